"""Racing PUTs on one patient over real HTTP (not a test): do concurrent full updates ever mix?

Starts the app under gunicorn on 127.0.0.1 against DATABASE_URL (which must name a scratch
PostgreSQL database: it is migrated and a benchmark clinician with one patient is added), then sends
N pairs of PUTs to that patient, the two of each pair released at the same moment. Each body keeps
some of the patient's current values and changes others, so a record built from both would show.
Prints how many rounds left a record matching neither request (mixed records, want 0) and how many
200 responses showed anything but their own request's data (responses showing another write, want 0).

    DATABASE_URL=postgresql://healthpal:healthpal@127.0.0.1:5432/scratch python bench/races.py [--rounds 50]
"""
import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-not-secret"
FIELDS = ("full_name", "gender", "birthdate", "phone", "address")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    return parser.parse_args()


def seed(app) -> tuple[str, int, dict]:
    """Migrate, then add a clinician with one patient; their username, the patient's id and fields."""
    from flask_migrate import upgrade

    from healthpal.domain import channels, patients, users

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        username = f"bench-{secrets.token_hex(4)}"
        user = users.create(actor=None, via=channels.CLI, data={"username": username, "password": PASSWORD})
        fields = {"full_name": "Race Start", "gender": "f", "birthdate": "1970-01-01", "phone": "5550000000",
                  "address": "PlaceStart"}
        patient = patients.create(actor=user, via=channels.CLI, data=fields)
        return username, patient.id, fields


def letters(n: int) -> str:
    return "".join(chr(ord("a") + int(digit)) for digit in str(n)).capitalize()


def pair(n: int, current: dict) -> tuple[dict, dict]:
    """Two full bodies for round `n`: each changes what the other keeps, and keeps what it changes."""
    first = {**current, "full_name": f"Ann {letters(n)}", "gender": "m" if current["gender"] == "f" else "f",
             "address": f"PlaceA{n}"}
    second = {**current, "phone": f"555{n:07d}", "birthdate": f"19{50 + n % 40}-02-0{1 + n % 9}"}
    return first, second


def call(port: int, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict | None]:
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        connection.close()


def race(port: int, path: str, token: str, bodies) -> list[tuple[int, dict | None]]:
    start, results = threading.Barrier(len(bodies)), [None] * len(bodies)

    def send(index):
        start.wait()
        results[index] = call(port, "PUT", path, bodies[index], token)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, server) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("gunicorn exited early")
        try:
            call(port, "GET", "/api/openapi.json")
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not start")


def main():
    args = arguments()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (it is migrated and written to).")
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32)}
    os.environ.update(env)
    from healthpal import create_app

    username, patient_id, current = seed(create_app())
    path = f"/api/patients/{patient_id}/"
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    mixed = foreign = failed = 0
    try:
        wait_until_up(port, server)
        status, body = call(port, "POST", "/api/auth/login/", {"username": username, "password": PASSWORD})
        token = body["access"]
        for n in range(args.rounds):
            bodies = pair(n, current)
            answers = race(port, path, token, bodies)
            failed += sum(status != 200 for status, _ in answers)
            foreign += sum(status == 200 and {f: answer[f] for f in FIELDS} != sent
                           for (status, answer), sent in zip(answers, bodies, strict=True))
            _, stored = call(port, "GET", path, token=token)
            current = {f: stored[f] for f in FIELDS}
            mixed += current not in bodies
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"gunicorn {args.workers} sync workers on PostgreSQL, {args.rounds} rounds of 2 racing PUTs on one patient")
    print(f"mixed records (want 0):                      {mixed}")
    print(f"responses showing another write (want 0):    {foreign}")
    print(f"responses other than 200:                    {failed}")


if __name__ == "__main__":
    main()
