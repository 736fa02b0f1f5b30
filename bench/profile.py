"""Profile requests in process with pyinstrument, or measure their CPU cost (not a test; pyinstrument
is in requirements-dev.txt).

    DATABASE_URL=postgresql://healthpal:healthpal@127.0.0.1:5432/healthpal_bench \\
        python bench/profile.py [--path assessment] [--requests 2000] [--html out.html]
    DATABASE_URL=... python bench/profile.py --cpu [--path assessments,portal-patients] [--requests 300]

Sends the requests through the app (no server, no network) as `clin001` of the dataset of
bench/seed.py (the admin lists as `benchadmin`), in production mode, and prints where the time went.
With `--cpu`, no profiler: for each path (comma-separated; default every read path) it prints this
process's CPU milliseconds per request (the worker's cost, apart from the database's), the wall
time, the worst request's, and the garbage collector's share (collections per request, and their
milliseconds); on a shared machine CPU time is the figure that stays comparable. `--gc-freeze` and
`--gc-threshold` try the garbage-collection settings of deploy/gunicorn.conf.py.
Paths: `assessment` (detail), `patient` (detail), `create` (an assessment with 5 rounds, removed
again afterwards), `update`, `assessments` (the list, page_size=100), `assessments-filtered` (by
type and date_gte), `patients` (the list, page_size=100), `portal-patients` (`/`), `portal-patient`
(a patient page with its charts), `portal-form` (the new-assessment form), `admin-patients`,
`admin-assessments`, `admin-audit` (the admin's lists).
"""
import argparse
import gc
import os
import re
import secrets
import sys
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASE = "https://localhost"  # production's session cookie is Secure
ROUNDS = [{"question": f"Question {n}?", "answer": f"Answer {n}"} for n in range(5)]
PATHS = ("assessment", "patient", "create", "update", "assessments", "assessments-filtered", "patients",
         "portal-patients", "portal-patient", "portal-form", "admin-patients", "admin-assessments", "admin-audit")
READS = ("patients", "assessments", "assessments-filtered", "portal-patients", "portal-patient", "portal-form",
         "admin-patients", "admin-assessments", "admin-audit", "patient", "assessment")


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=None, help="one path to profile, or with --cpu comma-separated paths: "
                                                     + ", ".join(PATHS))
    parser.add_argument("--requests", type=int, default=None, help="per path (default 2000; 300 with --cpu)")
    parser.add_argument("--cpu", action="store_true", help="measure CPU ms per request, without the profiler")
    parser.add_argument("--username", default="clin001")
    parser.add_argument("--admin", default="benchadmin")
    parser.add_argument("--password", default="bench-password-2026")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="after the warm-up, freeze the objects that exist out of garbage collection (as "
                             "deploy/gunicorn.conf.py does once a worker has loaded the app)")
    parser.add_argument("--gc-threshold", type=int, help="the first garbage-collection threshold (CPython: 700)")
    args = parser.parse_args()
    args.paths = (args.path or ("assessment" if not args.cpu else ",".join(READS))).split(",")
    unknown = [p for p in args.paths if p not in PATHS]
    if unknown or (len(args.paths) > 1 and not args.cpu):
        parser.error(f"unknown path(s) {unknown}" if unknown else "profile one path at a time (or pass --cpu)")
    args.requests = args.requests or (300 if args.cpu else 2000)
    return args


def request_for(path: str, n: int, ids: dict) -> tuple[str, str, dict | None, str]:
    """(method, URL, JSON body, who): who is `api`, `portal` or `admin`."""
    patient = ids["patients"][n % len(ids["patients"])]
    assessment = ids["assessments"][n % len(ids["assessments"])]
    return {
        "assessment": ("GET", f"/api/assessments/{assessment}/", None, "api"),
        "patient": ("GET", f"/api/patients/{patient}/", None, "api"),
        "create": ("POST", "/api/assessments/", {"patient": patient, "type": f"Profile {n}", "score": 50,
                                                  "qna_rounds": ROUNDS}, "api"),
        # new rounds each time, as bench/run.py sends them: every update replaces them
        "update": ("PATCH", f"/api/assessments/{assessment}/", {"score": n % 101, "qna_rounds": [
            {"question": f"Question {k} of {n}?", "answer": f"Answer {k}"} for k in range(5)]}, "api"),
        "assessments": ("GET", "/api/assessments/?page_size=100", None, "api"),
        "assessments-filtered": ("GET", "/api/assessments/?page_size=100&type=Mood+check&date_gte=2023-01-01",
                                 None, "api"),
        "patients": ("GET", "/api/patients/?page_size=100", None, "api"),
        "portal-patients": ("GET", "/", None, "portal"),
        "portal-patient": ("GET", f"/patients/{patient}", None, "portal"),
        "portal-form": ("GET", f"/patients/{patient}/assessments/new", None, "portal"),
        "admin-patients": ("GET", "/admin/patient/", None, "admin"),
        "admin-assessments": ("GET", "/admin/assessment/", None, "admin"),
        "admin-audit": ("GET", "/admin/audit/", None, "admin"),
    }[path]


def portal_client(app, username: str, password: str):
    """A test client signed in to the portal through its form (its cookies kept)."""
    client = app.test_client()
    page = client.get("/login", base_url=BASE).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", base_url=BASE, headers={"Referer": BASE + "/login"},
                           data={"username": username, "password": password, "csrf_token": token})
    if response.status_code != 302:
        sys.exit(f"could not sign {username} in to the portal: {response.status_code}")
    return client


def main() -> None:
    args = arguments()
    os.environ.update({"HEALTHPAL_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
                       "RATELIMIT_STORAGE_URI": "memory://"})
    from healthpal import create_app
    from healthpal.extensions import db

    app = create_app()
    api = app.test_client()
    login = api.post("/api/auth/login/", base_url=BASE, json={"username": args.username, "password": args.password})
    headers = {"api": {"Authorization": f"Bearer {login.json['access']}"}, "portal": {}, "admin": {}}
    clients = {"api": api}
    if any(request_for(p, 0, {"patients": [0], "assessments": [0]})[3] != "api" for p in args.paths):
        clients["portal"] = portal_client(app, args.username, args.password)
        clients["admin"] = portal_client(app, args.admin, args.password)
    with app.app_context():
        clinician = db.session.scalar(text("SELECT id FROM users WHERE username = :u"), {"u": args.username})
        ids = {table: list(db.session.scalars(text(f"SELECT id FROM {table} WHERE clinician_id = :c ORDER BY id"
                                                   " LIMIT 1000"), {"c": clinician}))
               for table in ("patients", "assessments")}
        db.session.remove()

    pauses: list[float] = []
    collecting = {"since": 0.0}

    def timed_collections(phase: str, _info: dict) -> None:
        if phase == "start":
            collecting["since"] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - collecting["since"])

    def send(path: str, n: int) -> float:
        method, url, body, who = request_for(path, n, ids)
        began = time.perf_counter()
        response = clients[who].open(url, method=method, headers=headers[who], json=body, base_url=BASE)
        if response.status_code >= 300:
            sys.exit(f"{method} {url}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        return time.perf_counter() - began

    try:
        if args.cpu:
            for path in args.paths:
                for n in range(30):
                    send(path, n)
            if args.gc_freeze:
                gc.freeze()
            if args.gc_threshold:
                gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
            print(f"{'path':<22} {'CPU ms/req':>10} {'wall ms/req':>11} {'worst ms':>9} {'GCs/req':>8} {'GC ms/req':>9}"
                  f"  ({args.requests} requests each after 30 warm-up; gc thresholds {gc.get_threshold()}, "
                  f"{gc.get_freeze_count():,} objects frozen)")
            gc.callbacks.append(timed_collections)
            for path in args.paths:
                pauses.clear()
                began, cpu = time.perf_counter(), time.process_time()
                worst = max(send(path, 30 + n) for n in range(args.requests))
                elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
                print(f"{path:<22} {cpu / args.requests * 1000:10.2f} {elapsed / args.requests * 1000:11.2f} "
                      f"{worst * 1000:9.1f} {len(pauses) / args.requests:8.2f} "
                      f"{sum(pauses) / args.requests * 1000:9.2f}", flush=True)
            gc.callbacks.remove(timed_collections)
            return
        from pyinstrument import Profiler

        path = args.paths[0]
        for n in range(50):  # warm-up
            send(path, n)
        profiler = Profiler(interval=0.0005)
        began, cpu = time.perf_counter(), time.process_time()
        with profiler:
            for n in range(args.requests):
                send(path, 50 + n)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        print(f"{args.requests} × {path}, in process: {elapsed / args.requests * 1000:.2f} ms per request, "
              f"{cpu / args.requests * 1000:.2f} ms of this process's CPU (the database's is apart)")
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            Path(args.html).write_text(profiler.output_html())
    finally:
        if "create" in args.paths:
            with app.app_context():
                db.session.execute(text("DELETE FROM assessments WHERE type LIKE 'Profile %'"))
                db.session.commit()


if __name__ == "__main__":
    main()
