"""Benchmark the API's list and detail endpoints (not a test).

Starts the app under gunicorn on 127.0.0.1 (a SQLite file in a temporary folder unless
DATABASE_URL names another database, which must be a scratch one: its schema is migrated and a
benchmark clinician with N patients is added), seeds the data through the domain, counts the SQL
statements of one request to each endpoint, then drives each endpoint with the shared load
generator (`../shared/tools/loadgen.py` beside the repo) and prints requests/s, p50/p99 and queries
per request.

    python bench/api_lists.py [--patients 500] [--assessments 2] [--duration 10] [--concurrency 4]
"""
import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-password-not-secret"


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--assessments", type=int, default=2, help="per patient")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--loadgen", default=str(ROOT.parent / "shared" / "tools" / "loadgen.py"))
    return parser.parse_args()


def environment(workdir: str) -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite")
    env.setdefault("SECRET_KEY", secrets.token_hex(32))
    return env


def seed(app, patients: int, per_patient: int):
    """Migrate, then add a clinician with `patients` patients of `per_patient` assessments each."""
    from flask_migrate import upgrade

    from healthpal.domain import assessments, channels, users
    from healthpal.domain import patients as patient_domain

    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        username = f"bench-{secrets.token_hex(4)}"
        user = users.create(actor=None, via=channels.CLI, data={"username": username, "password": PASSWORD})
        patient_ids, assessment_ids = [], []
        for n in range(patients):
            name = "Bench " + "".join(chr(97 + int(d)) for d in f"{n:05d}").capitalize()
            patient = patient_domain.create(actor=user, via=channels.CLI, data={
                "full_name": name, "gender": "mf"[n % 2], "birthdate": f"19{50 + n % 50}-0{1 + n % 9}-1{n % 9}",
                "phone": f"555{n:07d}", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"})
            patient_ids.append(patient.id)
            for k in range(per_patient):
                assessment = assessments.create(actor=user, via=channels.CLI, data={
                    "patient": patient.id, "type": f"Test {k}", "date": f"2024-0{1 + k % 9}-15", "score": (n + k) % 101,
                    "qna_rounds": [{"question": f"Question {q}?", "answer": f"Answer {q}"} for q in range(3)]})
                assessment_ids.append(assessment.id)
        return username, user.id, patient_ids, assessment_ids


def scenarios(patient_ids, assessment_ids) -> list[dict]:
    return [
        {"name": "patients list, 20", "method": "GET", "path": "/api/patients/?page_size=20"},
        {"name": "patients list, 100", "method": "GET", "path": "/api/patients/?page_size=100"},
        {"name": "patients search", "method": "GET", "path": "/api/patients/?search=bench+aaa&ordering=-birthdate"},
        {"name": "assessments list, 20", "method": "GET", "path": "/api/assessments/?page_size=20"},
        {"name": "assessments list, 100", "method": "GET", "path": "/api/assessments/?page_size=100"},
        {"name": "patient detail", "method": "GET",
         "path": f"/api/patients/${{rand:{min(patient_ids)}:{max(patient_ids)}}}/"},
        {"name": "assessment detail", "method": "GET",
         "path": f"/api/assessments/${{rand:{min(assessment_ids)}:{max(assessment_ids)}}}/"},
    ]


def queries_per_request(app, user_id: int, plan: list[dict], patient_ids, assessment_ids) -> dict:
    """SQL statements of one request to each scenario's path (placeholders → a real id)."""
    from sqlalchemy import event

    from healthpal.api import tokens
    from healthpal.extensions import db
    from healthpal.models import User

    counts = {}
    with app.app_context():
        headers = {"Authorization": f"Bearer {tokens.issue(db.session.get(User, user_id))['access']}"}
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        client = app.test_client()
        for scenario in plan:
            path = scenario["path"].split("${")[0]
            if "${" in scenario["path"]:
                path += str(patient_ids[0] if "patients" in path else assessment_ids[0]) + "/"
            db.session.remove()
            seen.clear()
            assert client.get(path, headers=headers).status_code == 200, path
            counts[scenario["name"]] = len(seen)
        event.remove(db.engine, "before_cursor_execute", listener)
    return counts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, server) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("gunicorn exited early")
        try:
            urlopen(base + "/api/openapi.json", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("gunicorn did not start")


def main():
    args = arguments()
    if not Path(args.loadgen).is_file():
        sys.exit(f"no load generator at {args.loadgen}")
    with tempfile.TemporaryDirectory() as workdir:
        env = environment(workdir)
        os.environ.update(env)
        from healthpal import create_app

        app = create_app()
        began = time.perf_counter()
        username, user_id, patient_ids, assessment_ids = seed(app, args.patients, args.assessments)
        print(f"seeded {len(patient_ids)} patients, {len(assessment_ids)} assessments "
              f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}) in {time.perf_counter() - began:.1f} s")
        plan = scenarios(patient_ids, assessment_ids)
        queries = queries_per_request(app, user_id, plan, patient_ids, assessment_ids)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        try:
            wait_until_up(base, server)
            plan_file = Path(workdir) / "scenarios.json"
            plan_file.write_text(json.dumps(plan))
            run = subprocess.run(
                [sys.executable, args.loadgen, "--base", base, "--login-path", "/api/auth/login/",
                 "--username", username, "--password", PASSWORD, "--concurrency", str(args.concurrency),
                 "--duration", str(args.duration), "--scenarios-file", str(plan_file)],
                capture_output=True, text=True, check=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"gunicorn {args.workers} workers, {args.concurrency} connections, {args.duration:g} s per scenario")
    print(f"{'scenario':24} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'queries':>8}")
    for line in run.stdout.splitlines():
        result = json.loads(line)
        print(f"{result['scenario']:24} {result['rps']:>8} {result['p50_ms']:>8} {result['p99_ms']:>8} "
              f"{result['errors']:>7} {queries[result['scenario']]:>8}")


if __name__ == "__main__":
    main()
