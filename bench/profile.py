"""Profile API requests in process with pyinstrument (not a test; pyinstrument is in requirements-dev.txt).

    DATABASE_URL=postgresql://healthpal:healthpal@127.0.0.1:5432/healthpal_bench \\
        python bench/profile.py [--path assessment] [--requests 2000] [--html out.html]

Sends the requests through the app (no server, no network) as `clin001` of the dataset of
bench/seed.py, in production mode, and prints this process's CPU time per request (the best and
the median of `--rounds` rounds without the profiler: the machine may be shared, and the CPU a
process gets for itself is steadier than the wall clock) with the SQL statements per request, then
where the time went. Paths: `assessment` (detail),
`patient` (detail), `create` (an assessment with 5 rounds, removed again afterwards), `update`,
`assessments` (the list, page_size=100), `patients` (the list, page_size=100).
"""
import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROUNDS = [{"question": f"Question {n}?", "answer": f"Answer {n}"} for n in range(5)]


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="assessment",
                        choices=["assessment", "patient", "create", "update", "assessments", "patients"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--username", default="clin001")
    parser.add_argument("--password", default="bench-password-2026")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --requests timed without the profiler")
    parser.add_argument("--no-profile", action="store_true", help="only the timed rounds, no pyinstrument")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    return parser.parse_args()


def request_for(path: str, n: int, ids: dict) -> tuple[str, str, dict | None]:
    patient = ids["patients"][n % len(ids["patients"])]
    assessment = ids["assessments"][n % len(ids["assessments"])]
    return {
        "assessment": ("GET", f"/api/assessments/{assessment}/", None),
        "patient": ("GET", f"/api/patients/{patient}/", None),
        "create": ("POST", "/api/assessments/", {"patient": patient, "type": f"Profile {n}", "score": 50,
                                                  "qna_rounds": ROUNDS}),
        "update": ("PATCH", f"/api/assessments/{assessment}/", {"score": n % 101, "qna_rounds": [
            {"question": f"Question {k} of {n}?", "answer": f"Answer {k}"} for k in range(5)]}),
        "assessments": ("GET", "/api/assessments/?page_size=100", None),
        "patients": ("GET", "/api/patients/?page_size=100", None),
    }[path]


def main() -> None:
    args = arguments()
    from pyinstrument import Profiler

    os.environ.update({"HEALTHPAL_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                       "RATELIMIT_STORAGE_URI": "memory://"})
    from healthpal import create_app
    from healthpal.extensions import db

    app = create_app()
    client = app.test_client()
    login = client.post("/api/auth/login/", json={"username": args.username, "password": args.password})
    headers = {"Authorization": f"Bearer {login.json['access']}"}
    with app.app_context():
        clinician = db.session.scalar(text("SELECT id FROM users WHERE username = :u"), {"u": args.username})
        ids = {table: list(db.session.scalars(text(f"SELECT id FROM {table} WHERE clinician_id = :c ORDER BY id"
                                                   " LIMIT 1000"), {"c": clinician}))
               for table in ("patients", "assessments")}
        db.session.remove()
    sent = 0

    def send(count: int) -> None:
        nonlocal sent
        for _ in range(count):
            method, path, body = request_for(args.path, sent, ids)
            sent += 1
            response = client.open(path, method=method, headers=headers, json=body)
            if response.status_code >= 300:
                sys.exit(f"{method} {path}: {response.status_code} {json.dumps(response.json)[:300]}")

    send(50)  # warm-up
    statements = []

    def note(*_):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    send(10)
    event.remove(engine, "before_cursor_execute", note)
    print(f"{len(statements) / 10:g} SQL statements per request")
    cpu_ms = []
    for _ in range(args.rounds):
        began = time.process_time()
        send(args.requests)
        cpu_ms.append((time.process_time() - began) / args.requests * 1000)
    if cpu_ms:
        print(f"{args.requests} × {args.path}, in process, {args.rounds} rounds: {min(cpu_ms):.2f} ms of this "
              f"process's CPU per request at best, {statistics.median(cpu_ms):.2f} the median "
              f"({', '.join(f'{ms:.2f}' for ms in cpu_ms)}; the database's CPU is apart)")
    if not args.no_profile:
        profiler = Profiler(interval=0.0005)
        began = time.perf_counter()
        with profiler:
            send(args.requests)
        elapsed = time.perf_counter() - began
        print(f"under the profiler: {elapsed / args.requests * 1000:.2f} ms per request (wall clock)")
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            Path(args.html).write_text(profiler.output_html())
    if args.path == "create":
        with app.app_context():
            db.session.execute(text("DELETE FROM assessments WHERE type LIKE 'Profile %'"))
            db.session.commit()


if __name__ == "__main__":
    main()
