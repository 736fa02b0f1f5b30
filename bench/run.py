"""Benchmark Healthpal under gunicorn against the seeded dataset, beside the bare ceilings (not a test).

    python bench/run.py [--database-url URL] [--seed] [--only NAME,NAME] [--duration 15]
    python bench/run.py --flatness big100,clin001,big10000 --no-ceilings

What it does, starting and stopping everything it needs:
1. Checks that the database (default: `healthpal_bench` on 127.0.0.1) holds the dataset of
   bench/seed.py; with `--seed`, creates and seeds it when it is missing or empty (the default set,
   plus clinicians with 100 and 10,000 patients and 1,000,000 audit events). Then VACUUMs and
   ANALYZEs it, as autovacuum would in production.
2. In this process, sends one request of each scenario through the app to count its SQL statements,
   and prints the EXPLAIN (ANALYZE, BUFFERS) plan of each statement of each list, with a line saying
   whether a big table is scanned in full or walked beyond the clinician's own rows.
3. Starts a private Redis (the throttle's storage, as in production) and the app under gunicorn
   with deploy/gunicorn.conf.py when it exists (else the README's production command), in
   production mode, then drives every scenario as `clin001` (the admin lists as `benchadmin`) with
   ../shared/tools/loadgen.py: 4 keep-alive connections, a warm-up, then 15 s.
4. Starts the bare-Flask ceiling app (../shared/tools/ceiling.py) under the same gunicorn settings
   beside it. Right after each scenario it measures that scenario's ceiling (a one-row read, or a
   one-row read plus an INSERT and COMMIT) for `--ceiling-duration` seconds, so that a scenario
   and its ceiling run in the same minute: the host's speed swings by half within minutes. At the
   end it measures all three ceilings (a constant body too) for `--duration` seconds each, then the
   floor of an audited detail read (bench/floor.py: its own work in bare Flask) as long.
5. Prints a table (req/s, p50/p90/p99, SQL statements per request, fraction of the matching
   ceiling measured beside it, the CPU milliseconds per request of the app, PostgreSQL and the
   load generator and the host's steal (bench/cpu.py), worker memory), then each scenario against
   the issue's target, as written and scaled to this host (bench/targets.py), and the same as JSON
   lines; removes the assessments it created.
With `--flatness`, step 3 runs the lists and detail reads as each clinician in turn, and a last
table compares their p50s with the first clinician's.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, contextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# ../shared/tools beside the repository (or beside the folder of worktrees that holds this one).
TOOLS = next((folder for folder in (ROOT.parent / "shared" / "tools", ROOT.parent.parent / "shared" / "tools")
              if (folder / "loadgen.py").is_file()), ROOT.parent / "shared" / "tools")
DEFAULT_URL = "postgresql://healthpal:healthpal@127.0.0.1:5432/healthpal_bench"
BENCH_TYPE = "Bench"  # created assessments' type begins with it; they are removed at the end
ROUNDS = [{"question": f"Question {n} of ${{seq}}?", "answer": f"Answer {n}"} for n in range(5)]
PRODUCTION_COMMAND = ["--workers", "3"]  # README, "Deployment": gunicorn -w 3 … wsgi:app
FLAT = ("api patients page_size=100", "api patient detail", "api assessments page_size=100", "api assessments filtered",
        "api assessment detail", "portal patients page", "portal patient page")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--seed", action="store_true", help="create and seed the database if it is missing or empty")
    parser.add_argument("--username", default="clin001")
    parser.add_argument("--admin", default="benchadmin")
    parser.add_argument("--password", default="bench-password-2026")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario, after the warm-up")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--only", help="comma-separated scenario names (default: all)")
    parser.add_argument("--flatness", metavar="USER,USER,...",
                        help="run the lists and details as each of these clinicians in turn (smallest first) and "
                             "compare their p50s, e.g. big100,clin001,big10000")
    parser.add_argument("--flatness-rounds", type=int, default=100,
                        help="requests per clinician and scenario in the in-process flatness measurement")
    parser.add_argument("--no-ceilings", action="store_true")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor of an audited detail read (bench/floor.py), measured after the ceilings")
    parser.add_argument("--ceiling-duration", type=float, default=5,
                        help="seconds of each scenario's ceiling, measured right after it")
    parser.add_argument("--no-plans", action="store_true")
    parser.add_argument("--config", help="gunicorn config file (default: deploy/gunicorn.conf.py if it exists)")
    parser.add_argument("--workers", type=int, help="override the config's worker count")
    parser.add_argument("--worker-class", help="override the config's worker class (sync, gthread)")
    parser.add_argument("--threads", type=int, help="override the config's threads per worker (gthread)")
    parser.add_argument("--json", help="also write the JSON lines to this file")
    parser.add_argument("--tools", default=str(TOOLS), help="folder of loadgen.py and ceiling.py")
    return parser.parse_args()


def sqlalchemy_url(url: str) -> str:
    from healthpal.config import database_url

    return database_url(url, "")


# --- the dataset -----------------------------------------------------------------------------------

def ensure_dataset(args) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError, ProgrammingError

    url = make_url(sqlalchemy_url(args.database_url))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            seeded = connection.execute(text("SELECT EXISTS (SELECT FROM users WHERE username = :u)"),
                                        {"u": args.username}).scalar_one()
    except (OperationalError, ProgrammingError):
        seeded = None  # no such database, or no schema yet
    finally:
        engine.dispose()
    if seeded:
        return
    if not args.seed:
        sys.exit(f"{url.database} holds no benchmark dataset: run bench/seed.py into it, or pass --seed.")
    if seeded is None:
        server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            if not connection.execute(text("SELECT EXISTS (SELECT FROM pg_database WHERE datname = :d)"),
                                      {"d": url.database}).scalar_one():
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        server.dispose()
    env = {**os.environ, "DATABASE_URL": args.database_url}
    subprocess.run([sys.executable, str(ROOT / "bench" / "seed.py"), "--password", args.password,
                    "--big-clinician", "100", "--big-clinician", "10000", "--audit-rows", "1000000"],
                   env=env, check=True)


def dataset_facts(app, username: str) -> dict:
    """Ids the scenarios pick from: the clinician's patients and assessments (contiguous ranges)."""
    from sqlalchemy import text

    from healthpal.extensions import db

    with app.app_context():
        row = db.session.execute(text("""
            SELECT u.id, min(p.id), max(p.id), count(p.id),
                   (SELECT min(id) FROM assessments WHERE clinician_id = u.id AND type NOT LIKE :bench),
                   (SELECT max(id) FROM assessments WHERE clinician_id = u.id AND type NOT LIKE :bench),
                   (SELECT count(*) FROM assessments WHERE clinician_id = u.id AND type NOT LIKE :bench)
            FROM users u JOIN patients p ON p.clinician_id = u.id WHERE u.username = :u GROUP BY u.id
        """), {"u": username, "bench": BENCH_TYPE + " %"}).one()
        totals = db.session.execute(text(
            "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM assessments),"
            " (SELECT count(*) FROM qa_rounds), (SELECT count(*) FROM audit_events)")).one()
        db.session.remove()
    facts = dict(zip(("clinician", "p_lo", "p_hi", "patients", "a_lo", "a_hi", "assessments"), row, strict=True))
    if (facts["p_hi"] - facts["p_lo"] + 1 != facts["patients"]
            or facts["a_hi"] - facts["a_lo"] + 1 != facts["assessments"]):
        sys.exit(f"{username}'s patients or assessments do not have contiguous ids; use a dataset from bench/seed.py.")
    facts["totals"] = dict(zip(("patients", "assessments", "qa_rounds", "audit_events"), totals, strict=True))
    return facts


def remove_created(app) -> int:
    from sqlalchemy import text

    from healthpal.extensions import db

    with app.app_context():
        removed = db.session.execute(text("DELETE FROM assessments WHERE type LIKE :bench"),
                                     {"bench": BENCH_TYPE + " %"}).rowcount
        db.session.commit()
        db.session.remove()
    return removed


# --- scenarios -------------------------------------------------------------------------------------

def scenarios(facts: dict) -> list[dict]:
    """Every scenario: name, request, whose session, whether it is a list (plans), which ceiling."""
    patient = f"${{rand:{facts['p_lo']}:{facts['p_hi']}}}"
    assessment = f"${{rand:{facts['a_lo']}:{facts['a_hi']}}}"
    create = {"patient": "__PATIENT__", "type": f"{BENCH_TYPE} ${{run}} ${{seq}}", "score": 50, "qna_rounds": ROUNDS}
    update = {"score": "__SCORE__", "qna_rounds": ROUNDS}
    body = {
        "create": json.dumps(create).replace('"__PATIENT__"', patient),
        "update": json.dumps(update).replace('"__SCORE__"', "${rand:0:100}"),
    }
    read, write = "one-row read", "read + INSERT + COMMIT"
    return [
        {"name": "api patients page_size=100", "path": "/api/patients/?page_size=100", "list": True, "ceiling": read},
        {"name": "api patient detail", "path": f"/api/patients/{patient}/", "ceiling": write},
        {"name": "api assessments page_size=100", "path": "/api/assessments/?page_size=100", "list": True,
         "ceiling": read},
        # Filtered by type and date, still a full page for every clinician (the one with 100 patients
        # has exactly 100 'Mood check's since 2020), so the flatness compares equal amounts of work.
        {"name": "api assessments filtered", "list": True, "ceiling": read,
         "path": "/api/assessments/?page_size=100&type=Mood+check&date_gte=2020-01-01"},
        {"name": "api assessment detail", "path": f"/api/assessments/{assessment}/", "ceiling": write},
        {"name": "portal patients page", "path": "/", "session": "clinician", "list": True, "ceiling": read},
        {"name": "portal patient page", "path": f"/patients/{patient}", "session": "clinician", "ceiling": write},
        {"name": "portal assessment form", "path": f"/patients/{patient}/assessments/new", "session": "clinician",
         "ceiling": read},
        {"name": "admin patients list", "path": "/admin/patient/", "session": "admin", "list": True, "ceiling": read},
        {"name": "admin assessments list", "path": "/admin/assessment/", "session": "admin", "list": True,
         "ceiling": read},
        {"name": "admin audit list", "path": "/admin/audit/", "session": "admin", "list": True, "ceiling": read},
        {"name": "api create assessment 5 rounds", "method": "POST", "path": "/api/assessments/",
         "body": body["create"], "expect": [201], "ceiling": write},
        {"name": "api update assessment 5 rounds", "method": "PATCH", "path": f"/api/assessments/{assessment}/",
         "body": body["update"], "ceiling": write},
        {"name": "api login", "method": "POST", "path": "/api/auth/login/", "auth": False, "ceiling": read,
         "body": "__LOGIN__"},
    ]


def ceiling_scenarios(facts: dict) -> list[dict]:
    patient = f"${{rand:{facts['p_lo']}:{facts['p_hi']}}}"
    return [
        {"name": "constant body", "path": "/hello", "auth": False},
        {"name": "one-row read", "path": f"/row/{patient}", "auth": False},
        {"name": "read + INSERT + COMMIT", "path": f"/rowwrite/{patient}", "auth": False},
    ]


def expanded(template: str, facts: dict) -> str:
    """A placeholder template as one concrete request (for counting statements in process)."""
    template = template.replace("${run}", "counting").replace("${seq}", secrets.token_hex(3).translate(
        str.maketrans("0123456789", "ghijklmnop"))).replace("${worker}", "0")
    return re.sub(r"\$\{rand:(-?\d+):(-?\d+)\}", lambda m: m.group(1), template)


# --- servers ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def process(command: list[str], *, env=None, cwd=None, log: Path):
    """A child process in its own process group, stopped (TERM, then KILL) on the way out."""
    with open(log, "ab") as out:
        child = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()


def wait_for(url: str, child, log: Path) -> None:
    for _ in range(600):
        if child.poll() is not None:
            sys.exit(f"{url}: the server exited early; see {log}:\n{log.read_text()[-2000:]}")
        try:
            urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{url} did not answer within a minute; see {log}")


def gunicorn_command(args, port: int, app: str, *extra: str) -> list[str]:
    config = args.config or (str(ROOT / "deploy" / "gunicorn.conf.py")
                             if (ROOT / "deploy" / "gunicorn.conf.py").is_file() else None)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--config", config] if config else PRODUCTION_COMMAND if args.workers is None else []
    for flag, value in (("--workers", args.workers), ("--worker-class", args.worker_class),
                        ("--threads", args.threads)):
        if value is not None:
            command += [flag, str(value)]
    return command + list(extra) + [app]


def settings_used(args) -> str:
    command = gunicorn_command(args, 0, "APP")
    return " ".join(command[command.index("--bind") + 2:-1])


# The ceiling app's scratch table for its read + INSERT + COMMIT, as ceiling.py creates it.
SCRATCH = ("CREATE SCHEMA IF NOT EXISTS perf_scratch",
           "CREATE TABLE IF NOT EXISTS perf_scratch.writes (id bigserial PRIMARY KEY, patient_id int,"
           " at timestamptz DEFAULT now())")


def start_ceiling(stack: ExitStack, args, env: dict, port: int, workdir: Path):
    """The bare-Flask ceiling app under the same gunicorn settings, running until `stack` closes.

    Its scratch table is made first: each worker creates it on its first request, and when they race
    there, a loser whose first request is an INSERT leaves its connection in a failed transaction
    and answers every later request with a 500 (seen once, in a run whose first ceiling was the
    read + INSERT + COMMIT: 40-55 % errors, which made that ceiling look faster)."""
    from sqlalchemy import text

    from healthpal.extensions import db

    with db.engine.begin() as connection:   # the benchmark's own engine (main's app context)
        for statement in SCRATCH:
            connection.execute(text(statement))
    log = workdir / "ceiling.log"
    command = gunicorn_command(args, port, "ceiling:app", "--chdir", str(Path(args.tools)))
    ceiling = stack.enter_context(process(command, env=env, cwd=args.tools, log=log))
    wait_for(f"http://127.0.0.1:{port}/hello", ceiling, log)
    return ceiling


def measure_floor(stack: ExitStack, args, env: dict, workdir: Path, username: str, facts: dict) -> dict:
    """The floor of an audited detail read (bench/floor.py) under the same gunicorn settings, signed in
    as `username`, for `--duration` seconds; its sign-in and audit events removed afterwards."""
    from bench import floor

    port, key, secret = free_port(), secrets.token_hex(32), secrets.token_urlsafe(32)
    token = floor.sign_in(args.database_url, username, key, secret)
    try:
        log = workdir / "floor.log"
        command = gunicorn_command(args, port, "floor:app", "--chdir", str(ROOT / "bench"))
        server = stack.enter_context(process(command, env=env | {"FLOOR_KEY": key}, cwd=ROOT / "bench", log=log))
        wait_for(f"http://127.0.0.1:{port}/ready", server, log)
        scenario = {"name": "floor: audited patient detail", "path": f"/api/patients/${{rand:{facts['p_lo']}:"
                    f"{facts['p_hi']}}}/", "auth": False, "headers": [f"Authorization: Bearer {token}"]}
        [result] = drive(args, f"http://127.0.0.1:{port}", server.pid, [scenario], {}, workdir, None)
    finally:
        floor.forget(args.database_url, secret)
    return result


def workers_of(master: int) -> list[int]:
    from bench import cpu

    return [process.pid for process in cpu.processes() if process.parent == master]


class MemoryWatch(threading.Thread):
    """The largest resident size (MB) of any gunicorn worker, sampled every half second."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master, self.peak, self.stopping = master, 0.0, threading.Event()

    def run(self):
        while not self.stopping.wait(0.5):
            for pid in workers_of(self.master):
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                found = re.search(r"VmRSS:\s+(\d+) kB", status)
                if found:
                    self.peak = max(self.peak, int(found.group(1)) / 1024)


# --- sessions --------------------------------------------------------------------------------------

class LoopbackCookies(DefaultCookiePolicy):
    """Send `Secure` cookies over the loopback's plain HTTP: production marks the session cookie
    `Secure` (TLS ends at nginx there), and the benchmark talks to gunicorn directly."""

    def return_ok_secure(self, cookie, request):
        return True


def portal_cookie(base: str, username: str, password: str) -> str:
    """Sign in through the portal's form; the session cookie as a `Cookie:` header value."""
    jar = CookieJar(LoopbackCookies())
    opener = build_opener(HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(base + "/login", urlencode({"username": username, "password": password, "csrf_token": token})
                .encode(), timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if opener.open(base + "/", timeout=30).geturl().rstrip("/") != base:
        sys.exit(f"could not sign {username} in to the portal")
    return cookie


def api_token(client, username: str, password: str) -> str:
    response = client.post("/api/auth/login/", json={"username": username, "password": password})
    if response.status_code != 200:
        sys.exit(f"could not sign {username} in to the API: {response.status_code} {response.get_data(as_text=True)}")
    return response.json["access"]


# --- counting statements, and the plans of the lists -----------------------------------------------

def inspect_in_process(app, plan: list[dict], facts: dict, cookies: dict, token: str, login: str, show_plans: bool):
    """SQL statements per request for each scenario; the plans of the lists' statements (printed)."""
    from sqlalchemy import event

    from healthpal.extensions import db

    counts, verdicts = {}, {}
    client = app.test_client(use_cookies=False)  # the sessions' cookies go in as headers
    with app.app_context():
        seen = []

        def record(_conn, _cursor, statement, parameters, _context, _many):
            seen.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            for scenario in plan:
                headers = {"Accept": "application/json"}
                if scenario.get("session"):
                    headers["Cookie"] = cookies[scenario["session"]]
                elif scenario.get("auth", True):
                    headers["Authorization"] = f"Bearer {token}"
                body = login if scenario.get("body") == "__LOGIN__" else scenario.get("body")
                db.session.remove()
                seen.clear()
                with app.app_context():  # a fresh `g` per request, as under a server
                    response = client.open(expanded(scenario["path"], facts), method=scenario.get("method", "GET"),
                                           headers=headers, data=expanded(body, facts) if body else None,
                                           content_type="application/json" if body else None)
                if response.status_code not in scenario.get("expect", [200]):
                    sys.exit(f"{scenario['name']}: HTTP {response.status_code} {response.get_data(as_text=True)[:300]}")
                counts[scenario["name"]] = len(seen)
                if scenario.get("list") and show_plans:
                    captured = [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]
                    verdicts[scenario["name"]] = explain_all(scenario, captured, facts)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
            db.session.remove()
    return counts, verdicts


def explain_all(scenario: dict, captured, facts: dict) -> list[str]:
    from bench import plans
    from healthpal.extensions import db

    own = None if scenario.get("session") == "admin" else facts["own"]
    lines = []
    print(f"\n=== plans: {scenario['name']} ({scenario['path']})")
    with db.engine.connect() as connection:
        for statement, parameters in captured:
            if not any(table in statement for table in plans.BIG_TABLES):
                continue
            print("--- " + " ".join(statement.split())[:300])
            print(plans.explain(connection, statement, parameters, fmt="TEXT"))
            line = plans.verdict(plans.explain(connection, statement, parameters), own)
            print(">>> " + line)
            lines.append(line)
        connection.rollback()
    return lines


# --- load ------------------------------------------------------------------------------------------

def drive(args, base: str, master: int, plan: list[dict], cookies: dict, workdir: Path, username: str | None,
          duration: float | None = None):
    """Run the scenarios with loadgen.py against the gunicorn master `master` (signed in to the API
    as `username`, if any), `duration` seconds each (default: `--duration`); yield each result, with
    the CPU each process spent on it (bench/cpu.py)."""
    from bench import cpu

    duration = duration or args.duration
    login_body = json.dumps({"username": username, "password": args.password})
    items = []
    for scenario in plan:
        item = {"name": scenario["name"], "method": scenario.get("method", "GET"), "path": scenario["path"],
                "auth": scenario.get("auth", True) and not scenario.get("session"),
                "body": login_body if scenario.get("body") == "__LOGIN__" else scenario.get("body"),
                "expect": scenario.get("expect", [200]), "duration": duration}
        if scenario.get("session"):
            item["headers"] = [f"Cookie: {cookies[scenario['session']]}"]
        item["headers"] = item.get("headers", []) + scenario.get("headers", [])
        items.append(item)
    spec = workdir / f"scenarios-{secrets.token_hex(3)}.json"
    spec.write_text(json.dumps(items))
    command = [sys.executable, str(Path(args.tools) / "loadgen.py"), "--base", base, "--scenarios-file", str(spec),
               "--concurrency", str(args.concurrency), "--duration", str(args.duration),
               "--warmup", str(args.warmup)]
    if username:
        command += ["--login-path", "/api/auth/login/", "--username", username, "--password", args.password]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as loadgen:
        window = cpu.Window(master, loadgen.pid, warmup=args.warmup, duration=duration)
        for line in loadgen.stdout:
            result = json.loads(line)
            result |= window.figures(result["rps"])
            window = cpu.Window(master, loadgen.pid, warmup=args.warmup, duration=duration)
            yield result
        window.cancel()
    if loadgen.returncode:
        sys.exit(f"loadgen failed with exit code {loadgen.returncode}")


def figure(value, width: int, spec: str = ".1f") -> str:
    """A number for the tables; "-" when a scenario finished no request to measure it by."""
    return f"{value:>{width}{spec}}" if value is not None else f"{'-':>{width}}"


def show(result: dict) -> None:
    print(f"  {result['scenario']:<34} {figure(result['rps'], 8)} req/s  p50 {figure(result['p50_ms'], 7)}  "
          f"p99 {figure(result['p99_ms'], 7)} ms  errors {result['errors']}", flush=True)


def table(results: list[dict]) -> str:
    """One line per scenario, with its share of the ceiling measured beside it. The CPU columns are
    milliseconds per request of the app's gunicorn processes, of PostgreSQL's and of the load
    generator, then the share of the machine's CPU time stolen by the host meanwhile (bench/cpu.py)."""
    lines = [f"{'scenario':<34} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'SQL/req':>7} "
             f"{'errors':>6} {'of ceiling':>22} {'CPU ms/req: app':>15} {'PG':>5} {'load':>5} {'steal':>6}"]
    for r in results:
        fraction = r.get("fraction_of_ceiling")
        share = f"{fraction:6.1%} of {r['ceiling'][:12]}" if fraction is not None else ""
        used, machine = r.get("cpu_ms_per_request", {}), r.get("machine") or {}
        lines.append(f"{r['scenario']:<34} {figure(r['rps'], 8)} {figure(r['p50_ms'], 8)} {figure(r['p90_ms'], 8)} "
                     f"{figure(r['p99_ms'], 8)} {figure(r.get('sql_per_request'), 7, 'd')} {r['errors']:>6} "
                     f"{share:>22} {figure(used.get('app'), 15, '.2f')} {figure(used.get('postgres'), 5, '.2f')} "
                     f"{figure(used.get('load generator'), 5, '.2f')} {figure(machine.get('steal'), 6, '.1%')}")
    return "\n".join(lines)


def interleaved_p50(app, users: list[str], facts: dict, sessions: dict, rounds: int) -> dict:
    """Server-side time of one request (in process, one at a time) per clinician and list or
    detail scenario: the clinicians take turns request by request, so that the machine's other
    work slows them all alike. Returns {(username, scenario): p50 ms}."""
    import statistics

    client = app.test_client(use_cookies=False)
    times: dict = {}
    plans_by_user = {u: {s["name"]: s for s in scenarios(facts[u]) if s["name"] in FLAT} for u in users}
    for name in FLAT:
        for n in range(rounds):
            for username in users:
                scenario = plans_by_user[username][name]
                path = re.sub(r"\$\{rand:(-?\d+):(-?\d+)\}",
                              lambda m, n=n: str(int(m.group(1)) + n * 7919 % (int(m.group(2)) - int(m.group(1)) + 1)),
                              scenario["path"])
                headers = ({"Cookie": sessions[username]["cookie"]} if scenario.get("session")
                           else {"Authorization": f"Bearer {sessions[username]['token']}"})
                began = time.perf_counter()
                with app.app_context():
                    response = client.get(path, headers=headers)
                times.setdefault((username, name), []).append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{name} as {username}: HTTP {response.status_code}")
    return {key: statistics.median(values) for key, values in times.items()}


def chosen(plan: list[dict], args) -> list[dict]:
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        return [s for s in plan if s["name"] in wanted]
    if args.flatness:
        return [s for s in plan if s["name"] in FLAT]
    return plan


def flatness_table(p50: dict, users: list[str], facts: dict) -> str:
    """p50 of each list and detail per clinician, and its ratio to the first (smallest) clinician's."""
    header = f"{'scenario':<34}" + "".join(f"{u + ' (' + format(facts[u]['patients'], ',') + ')':>24}" for u in users)
    lines = [header]
    for name in FLAT:
        if (users[0], name) not in p50:
            continue
        base = p50[(users[0], name)]
        cells = [f"{p50[(u, name)]:8.1f} ms ×{p50[(u, name)] / base:4.2f}" for u in users if (u, name) in p50]
        lines.append(f"{name:<34}" + "".join(f"{c:>24}" for c in cells))
    return "\n".join(lines)


def main() -> None:
    args = arguments()
    for tool in ("loadgen.py", "ceiling.py"):
        if not (Path(args.tools) / tool).is_file():
            sys.exit(f"no {tool} in {args.tools} (pass --tools)")
    began = time.time()
    ensure_dataset(args)
    users = [u.strip() for u in args.flatness.split(",")] if args.flatness else [args.username]
    workdir = Path(tempfile.mkdtemp(prefix="healthpal-bench-"))
    redis_port, app_port, ceiling_port = free_port(), free_port(), free_port()
    storage = f"redis://127.0.0.1:{redis_port}/0" if shutil.which("redis-server") else "memory://"
    env = {**os.environ, "HEALTHPAL_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "JWT_SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": args.database_url,
           "RATELIMIT_STORAGE_URI": storage, "HEALTHPAL_TRUSTED_PROXIES": "0"}
    env.pop("SESSION_COOKIE_SECURE", None)
    os.environ.update(env)
    from sqlalchemy import text

    from bench import plans, targets
    from healthpal import create_app
    from healthpal.extensions import db

    app = create_app()
    app.app_context().push()  # for db.engine below; requests get their own contexts
    facts = {username: dataset_facts(app, username) for username in users}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # What autovacuum keeps in production: earlier runs left dead rows (every update replaces an
        # assessment's rounds; the created assessments are removed) and grew `sessions` and
        # `audit_events`; a server without autovacuum (this machine's) would write into bloated
        # tables and indexes and plan with stale statistics.
        connection.execute(text("VACUUM (ANALYZE)"))
        for username in users:
            facts[username]["own"] = plans.own_rows(connection, facts[username]["clinician"])
    db.engine.dispose()
    results = []
    with ExitStack() as stack:
        if storage.startswith("redis"):
            stack.enter_context(process(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"], log=workdir / "redis.log"))
        base = f"http://127.0.0.1:{app_port}"
        log = workdir / "gunicorn.log"
        command = gunicorn_command(args, app_port, "wsgi:app", "--chdir", str(ROOT))
        server = stack.enter_context(process(command, env=env, cwd=ROOT, log=log))
        wait_for(base + "/login", server, log)
        ceiling = None if args.no_ceilings else start_ceiling(stack, args, env, ceiling_port, workdir)
        bare = f"http://127.0.0.1:{ceiling_port}"
        bare_plans = {c["name"]: c for c in ceiling_scenarios(facts[users[0]])}
        admin_cookie = portal_cookie(base, args.admin, args.password)
        sessions = {u: {"cookie": portal_cookie(base, u, args.password),
                        "token": api_token(app.test_client(), u, args.password)} for u in users}
        if args.flatness:
            print(f"\n=== flatness in process: {args.flatness_rounds} requests per clinician and scenario, "
                  "the clinicians taking turns", flush=True)
            interleaved = interleaved_p50(app, users, facts, sessions, args.flatness_rounds)
            db.engine.dispose()
        memory = MemoryWatch(server.pid)
        memory.start()
        for username in users:
            plan = chosen(scenarios(facts[username]), args)
            cookies = {"clinician": sessions[username]["cookie"], "admin": admin_cookie}
            token = sessions[username]["token"]
            login = json.dumps({"username": username, "password": args.password})
            counts, verdicts = inspect_in_process(app, plan, facts[username], cookies, token, login,
                                                  not args.no_plans)
            db.engine.dispose()
            beside = f", each followed by its ceiling for {args.ceiling_duration:g} s" if ceiling else ""
            print(f"\n=== load as {username}: {len(plan)} scenarios, {args.concurrency} connections, "
                  f"{args.warmup:g} s warm-up + {args.duration:g} s each{beside}; gunicorn {settings_used(args)}",
                  flush=True)
            for scenario in plan:
                [result] = drive(args, base, server.pid, [scenario], cookies, workdir, username)
                result |= {"username": username, "sql_per_request": counts.get(result["scenario"]),
                           "ceiling": scenario["ceiling"], "plan": verdicts.get(result["scenario"])}
                show(result)
                results.append(result)
                if ceiling:
                    [bare_result] = drive(args, bare, ceiling.pid, [bare_plans[scenario["ceiling"]]], {}, workdir,
                                          None, duration=args.ceiling_duration)
                    if result["rps"] is not None and bare_result["rps"]:
                        result |= {"ceiling_rps": bare_result["rps"],
                                   "fraction_of_ceiling": round(result["rps"] / bare_result["rps"], 3)}
                    results.append(bare_result | {"kind": "ceiling", "beside": result["scenario"]})
        memory.stopping.set()
        if ceiling:
            print("\n=== ceilings, then the floor of an audited detail read (bare Flask, same gunicorn settings)",
                  flush=True)
            for result in drive(args, bare, ceiling.pid, list(bare_plans.values()), {}, workdir, None):
                results.append(result | {"kind": "ceiling"})
                show(result)
            if not args.no_floor:
                result = measure_floor(stack, args, env, workdir, users[0], facts[users[0]])
                results.append(result | {"kind": "ceiling"})
                show(result)
            stack.close()
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA IF EXISTS perf_scratch CASCADE"))
    removed = remove_created(app)
    for result in results:
        result["worker_peak_rss_mb"] = round(memory.peak, 1)
    load = os.getloadavg()
    totals = facts[users[0]]["totals"]
    print(f"\n=== results ({totals['patients']:,} patients, {totals['assessments']:,} assessments, "
          f"{totals['audit_events']:,} audit events; "
          + ", ".join(f"{u}: {facts[u]['patients']:,} patients, {facts[u]['assessments']:,} assessments"
                      for u in users) + ")")
    print(f"gunicorn {settings_used(args)}; {os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; worker peak RSS {memory.peak:.0f} MB; {removed:,} benchmark assessments removed; "
          f"{time.time() - began:.0f} s in all")
    scenario_results = [r for r in results if r.get("kind") != "ceiling"]
    print(table(scenario_results))
    if not args.flatness:
        for result in scenario_results:
            result["target"] = targets.judged(result)
        print("\n=== the issue's targets, as written and scaled by the ceiling measured beside each scenario "
              "(bench/targets.py)\n" + targets.table(scenario_results, memory.peak))
    alone = [r for r in results if r.get("kind") == "ceiling" and "beside" not in r]
    if alone:
        print("\n=== ceilings at the end (each scenario's own, measured beside it, are in the JSON lines)\n"
              + table(alone))
    if args.flatness:
        print("\n=== flatness under load: p50 per clinician (measured one after the other), and its ratio to "
              "the first one's\n"
              + flatness_table({(r["username"], r["scenario"]): r["p50_ms"] for r in results
                                if "username" in r and r["p50_ms"] is not None}, users, facts))
        print("\n=== flatness in process: p50 of one request at a time, clinicians taking turns\n"
              + flatness_table(interleaved, users, facts))
    print("\n=== JSON lines")
    lines = [json.dumps(r, ensure_ascii=False) for r in results]
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text("\n".join(lines) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
