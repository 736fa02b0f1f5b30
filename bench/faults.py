"""Measure how the app answers while PostgreSQL and Redis misbehave (not a test).

Runs gunicorn (2 sync workers) on a scratch PostgreSQL database (DATABASE_URL; its schema is
migrated and a bench clinician with a few patients is added) reached through the tests' TCP proxy
(tests/faults/proxy.py), with the sign-in throttle on a redis-server of its own. Four client
threads keep requesting patients from the API while, in turn:

1. every pooled connection is killed every 3 s            → 5xx count (want 0);
2. the database refuses connections for 10 s               → statuses served (want 503s), and the
                                                             time to recover once it is back (want < 3 s);
3. all database traffic stalls for 30 s                    → the longest request (want ≤ statement timeout + 1 s);
4. Redis is stopped while clients sign in (right and wrong) → statuses (want 200/400, no 500).

    DATABASE_URL=postgresql://…/scratch python bench/faults.py [--scale 1.0]

`--scale 0.5` halves every duration (for a loaded machine).
"""
import argparse
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from healthpal.config import database_url  # noqa: E402
from tests.faults.proxy import TcpProxy  # noqa: E402

PASSWORD = "bench-password-not-secret"
CLIENTS = 4


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every duration")
    parser.add_argument("--only", default="1,2,3,4", help="which scenarios to run, e.g. 1,3")
    parser.add_argument("--server-log", default=os.devnull, help="where gunicorn's log goes")
    return parser.parse_args()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(patients: int = 20) -> str:
    """Migrate the scratch database (directly, not through the proxy) and add a clinician."""
    from flask_migrate import upgrade

    from healthpal import create_app
    from healthpal.domain import channels, users
    from healthpal.domain import patients as patient_domain

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        username = f"bench-{secrets.token_hex(4)}"
        user = users.create(actor=None, via=channels.CLI, data={"username": username, "password": PASSWORD})
        for n in range(patients):
            patient_domain.create(actor=user, via=channels.CLI, data={
                "full_name": f"Fault Bench {chr(97 + n)}", "gender": "f", "birthdate": "1970-01-01",
                "phone": f"555{n:07d}", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"})
    return username


class Clients:
    """CLIENTS threads sending `request()` in a loop; every answer kept as (start, end, status)."""

    def __init__(self, port: int, request):
        self.port, self.request = port, request
        self.results: list[tuple[float, float, int]] = []
        self.running = True
        self.threads = [threading.Thread(target=self.loop, args=(n,)) for n in range(CLIENTS)]

    def loop(self, worker: int) -> None:
        while self.running:
            method, path, body, headers = self.request(worker)
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except OSError:
                status = 0                           # no HTTP answer at all
            self.results.append((started, time.monotonic(), status))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self.running = False
        for thread in self.threads:
            thread.join(90)

    def statuses(self, since: float = 0, until: float = float("inf")) -> dict:
        return dict(sorted(Counter(s for start, _, s in self.results if since <= start < until).items()))


def token(port: int, username: str, password: str = PASSWORD) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/auth/login/", body=json.dumps({"username": username, "password": password}),
                       headers={"Content-Type": "application/json"})
    return json.loads(connection.getresponse().read())["access"]


def killed_connections(port, proxy, headers, scale) -> None:
    with Clients(port, lambda n: ("GET", "/api/patients/", None, headers)) as clients:
        end = time.monotonic() + 30 * scale
        kills = 0
        while time.monotonic() < end:
            time.sleep(3)
            proxy.drop_all()
            kills += 1
    counts = clients.statuses()
    fives = sum(n for status, n in counts.items() if status >= 500 or status == 0)
    print(f"1. connections killed every 3 s ({kills} times) under {CLIENTS} clients for {30 * scale:g} s: "
          f"{sum(counts.values())} requests, 5xx = {fives} (want 0); statuses {counts}")


def refused(port, proxy, headers, scale) -> None:
    with Clients(port, lambda n: ("GET", "/api/patients/", None, headers)) as clients:
        time.sleep(2)
        down = time.monotonic()
        proxy.refuse()
        proxy.drop_all()
        time.sleep(10 * scale)
        proxy.accept()
        back = time.monotonic()
        time.sleep(5)
    during = clients.statuses(down, back)
    after = [(start, end, status) for start, end, status in clients.results if end > back]
    failed_after = [end for start, end, status in after if status != 200]
    first_ok = min((end for start, end, status in after if status == 200 and start >= back), default=None)
    recovered = (max(failed_after) - back) if failed_after else 0.0
    print(f"2. database refusing connections for {10 * scale:g} s: statuses served {during} (want 503s); "
          f"after it returned: first 200 in {first_ok - back:.2f} s, last non-200 answered "
          f"{recovered:.2f} s after (want < 3 s)")


def stalled(port, proxy, headers, scale, statement_timeout) -> None:
    with Clients(port, lambda n: ("GET", "/api/patients/", None, headers)) as clients:
        time.sleep(2)
        began = time.monotonic()
        proxy.stall()
        time.sleep(30 * scale)
        proxy.resume()
        ended = time.monotonic()
        time.sleep(3)
    longest = max(end - start for start, end, _ in clients.results)
    print(f"3. database stalled for {30 * scale:g} s: longest request {longest:.2f} s "
          f"(want <= statement timeout {statement_timeout:g} s + 1 s); statuses during the stall "
          f"{clients.statuses(began, ended)}")


def redis_down(port, redis, username, scale) -> None:
    def sign_in(worker):
        password = PASSWORD if worker % 2 else "wrong-password"
        return ("POST", "/api/auth/login/", json.dumps({"username": username, "password": password}),
                {"Content-Type": "application/json"})

    with Clients(port, sign_in) as clients:
        time.sleep(2)
        stopped = time.monotonic()
        redis.terminate()
        redis.wait(10)
        time.sleep(10 * scale)
    print(f"4. Redis stopped: sign-in statuses while it was down {clients.statuses(stopped)} "
          f"(want 200/400, no 500); before {clients.statuses(0, stopped)}")


def main():
    args = arguments()
    raw = os.environ.get("DATABASE_URL", "")
    if not raw.startswith(("postgres://", "postgresql")):
        sys.exit("set DATABASE_URL to a scratch PostgreSQL database (its schema is migrated, data added)")
    url = make_url(database_url(raw, ""))
    os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ["DATABASE_URL"] = url.render_as_string(hide_password=False)
    username = seed()

    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    redis_port = free_port()
    redis = subprocess.Popen([shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(redis_port),
                              "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    port = free_port()
    env = {**os.environ,
           "DATABASE_URL": url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
           "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{redis_port}/0",
           "HEALTHPAL_LOGIN_FAILURES_PER_USER": "1000000", "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS": "1000000"}
    log = open(args.server_log, "w")   # noqa: SIM115 - open while gunicorn runs
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env, stderr=log)
    try:
        for _ in range(100):
            try:
                urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token(port, username)}"}
        from healthpal.config import from_environment

        statement_timeout = from_environment("")["DATABASE_STATEMENT_TIMEOUT"]
        print(f"gunicorn 2 sync workers, PostgreSQL through a TCP proxy, {CLIENTS} client threads, "
              f"durations x{args.scale:g}")
        chosen = args.only.split(",")
        for number, scenario in (("1", lambda: killed_connections(port, proxy, headers, args.scale)),
                                 ("2", lambda: refused(port, proxy, headers, args.scale)),
                                 ("3", lambda: stalled(port, proxy, headers, args.scale, statement_timeout)),
                                 ("4", lambda: redis_down(port, redis, username, args.scale))):
            if number in chosen:
                scenario()
    finally:
        server.terminate()
        server.wait(30)
        log.close()
        if redis.poll() is None:
            redis.terminate()
        proxy.stop()


if __name__ == "__main__":
    main()
