"""Load a clinic-sized benchmark dataset into a PostgreSQL database (not a test).

    DATABASE_URL=postgresql://healthpal:healthpal@127.0.0.1:5432/healthpal_bench \\
        python bench/seed.py [--clinicians 100] [--patients-per-clinician 1000] [--scale N] \\
            [--big-clinician PATIENTS ...] [--audit-rows N] [--password PASSWORD]

The database is migrated first and must hold no patients yet. Made, with set-based SQL
(INSERT … SELECT over generate_series), in chunks of clinicians behind a progress bar:
- clinicians `clin001` … (`--clinicians` × `--scale`), `--patients-per-clinician` patients each;
- per patient 10 assessments for `clin001`, 2 for every other clinician's (1 for every 12th
  patient), each with 5 Q&A rounds;
- per `--big-clinician PATIENTS` (repeatable) one more clinician, `big<PATIENTS>`, whose patients
  have 10 assessments each;
- `benchadmin`, a superuser for the admin panel;
- optionally `--audit-rows` read events in the audit trail.
Every record obeys every rule of the domain (names, phones, place ids, dates after the birthdate
and not in the future, unique questions, one assessment per patient, type and day). `clin001` is
created through the domain, so its password is hashed once by the app's own hasher; every other
account gets the same hash. The rows themselves bypass the domain, so they leave no audit events
but the optional ones. Ends with VACUUM ANALYZE (so index-only scans work at once) and prints
what it made and how long it took.
"""
import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from sqlalchemy import bindparam, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-2026"
ADMIN = "benchadmin"
FIRST_NAMES = ["Anna", "Élodie", "Łukasz", "Jonas", "Maria", "Noah", "Chloé", "Mateo", "Søren", "Zoë",
               "Amélie", "Jean-Luc", "Ines", "Tomás", "Ada", "Björn", "Lucía", "Omar", "Nina", "Raúl"]
TYPES = ["PHQ-9", "GAD-7", "Mood check", "Cognitive test", "Sleep review", "Pain score", "Memory test",
         "Mobility test", "Diet review", "Balance test"]
ROUNDS = [("How did you sleep this week?", "Mostly well, woke up twice."),
          ("How is your mood today?", "Better than last time."),
          ("Any pain? Where, and how strong (0–10)?", "Lower back, about 3."),
          ("Are you taking your medication as prescribed?", "Yes, every morning."),
          ("Anything you want to raise?", "Dizzy when standing up quickly.")]
CHUNK = 10  # clinicians per INSERT … SELECT


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinicians", type=int, default=100)
    parser.add_argument("--patients-per-clinician", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=1, help="multiplies the clinicians (and so everything)")
    parser.add_argument("--big-clinician", type=int, action="append", default=[], metavar="PATIENTS",
                        help="one more clinician with this many patients, 10 assessments each (repeatable)")
    parser.add_argument("--audit-rows", type=int, default=0)
    parser.add_argument("--password", default=PASSWORD, help="every account's password")
    return parser.parse_args()


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int):
        self.total, self.done, self.began = max(total, 1), 0, time.perf_counter()

    def step(self, amount: int, what: str) -> None:
        self.done += amount
        filled = 30 * self.done // self.total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * self.done // self.total:3d}% "
                         f"{what:<44} {time.perf_counter() - self.began:6.1f} s")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


PATIENTS_SQL = text("""
INSERT INTO patients (clinician_id, full_name, gender, birthdate, phone, address, created_at, updated_at)
SELECT u.id,
       (:first_names)[1 + i % :first_count] || ' '
           || initcap(translate(lpad(i::text, 6, '0'), '0123456789', 'bdfgklmnrt')) || 'son',
       CASE WHEN i % 2 = 0 THEN 'f' ELSE 'm' END,
       date '1940-01-01' + (i * 37 + u.id) % 23000,
       '55' || lpad(u.id::text, 6, '0') || lpad(i::text, 6, '0'),
       'ChIJ' || substr(md5(u.id::text || '-' || i::text), 1, 23),
       now() - make_interval(mins => i), now() - make_interval(mins => i)
FROM users u CROSS JOIN generate_series(0, :per_clinician - 1) AS i
WHERE u.id IN :clinicians
ORDER BY u.id, i
""").bindparams(bindparam("clinicians", expanding=True))

ASSESSMENTS_SQL = text("""
INSERT INTO assessments (patient_id, clinician_id, type, date, score, created_at, updated_at)
SELECT p.id, p.clinician_id, (:types)[1 + k],
       date '2020-01-01' + (p.id * 37 + k * 113) % 2000,
       (p.id * 7 + k * 13) % 101, now(), now()
FROM patients p
CROSS JOIN LATERAL generate_series(0, CASE WHEN :ten THEN 9 WHEN p.id % 12 = 0 THEN 0 ELSE 1 END) AS k
WHERE p.clinician_id IN :clinicians
ORDER BY p.id, k
""").bindparams(bindparam("clinicians", expanding=True))

ROUNDS_SQL = """
INSERT INTO qa_rounds (assessment_id, position, question, question_digest, answer)
SELECT a.id, r.position, r.question, r.digest, r.answer
FROM assessments a CROSS JOIN (VALUES {values}) AS r(position, question, digest, answer)
WHERE a.id > :after
ORDER BY a.id, r.position
"""

AUDIT_SQL = text("""
INSERT INTO audit_events (at, actor_id, actor_username, action, entity_type, entity_id, patient_id, channel)
SELECT now() - make_interval(secs => g), u.id, u.username, 'read', 'patient', p.id, p.id, 'api'
FROM generate_series(:start, :stop - 1) AS g
JOIN patients p ON p.id = :first_patient + (g::bigint * 7919) % :patients
JOIN users u ON u.id = p.clinician_id
""")


def rounds_sql():
    """The five rounds as a VALUES list, with the SHA-256 digest the model fills in for a question."""
    values, params = [], {}
    for n, (question, answer) in enumerate(ROUNDS):
        values.append(f"({n}, :q{n}, :d{n}, :a{n})")
        params |= {f"q{n}": question, f"d{n}": hashlib.sha256(question.encode()).hexdigest(), f"a{n}": answer}
    return text(ROUNDS_SQL.format(values=", ".join(values))), params


def accounts(app, args, clinicians: int) -> dict:
    """Create the accounts; return {username: (id, patients, ten assessments each)}."""
    from healthpal.domain import channels, users
    from healthpal.extensions import db

    with app.app_context():
        first = users.create(actor=None, via=channels.CLI, data={
            "username": "clin001", "password": args.password, "first_name": "Clinician", "last_name": "One"})
        db.session.execute(text("""
            INSERT INTO users (username, email, first_name, last_name, password_hash, is_active, is_superuser,
                               key, created_at, updated_at)
            SELECT name, '', 'Clinician', '', :hash, true, name = :admin, md5(gen_random_uuid()::text), now(), now()
            FROM unnest(CAST(:names AS text[])) WITH ORDINALITY AS n(name, position) ORDER BY position
        """), {"hash": first.password_hash, "admin": ADMIN,
               "names": [f"clin{n:03d}" for n in range(2, clinicians + 1)]
               + [f"big{size}" for size in args.big_clinician] + [ADMIN]})
        db.session.commit()
        ids = dict(db.session.execute(text("SELECT username, id FROM users")).all())
    plan = {f"clin{n:03d}": (ids[f"clin{n:03d}"], args.patients_per_clinician, n == 1)
            for n in range(1, clinicians + 1)}
    plan |= {f"big{size}": (ids[f"big{size}"], size, True) for size in args.big_clinician}
    return plan


def chunks(plan: dict) -> list[tuple[list[int], int, bool]]:
    """Clinicians grouped by (patients, ten assessments each), at most CHUNK per group, in id order."""
    groups = []
    for clinician_id, patients, ten in sorted(plan.values()):
        last = groups[-1] if groups else None
        if last and last[1] == patients and last[2] == ten and len(last[0]) < CHUNK:
            last[0].append(clinician_id)
        else:
            groups.append(([clinician_id], patients, ten))
    return groups


def load(connection, plan: dict, audit_rows: int, progress: Progress) -> dict:
    made = {"patients": 0, "assessments": 0, "qa_rounds": 0, "audit_events": 0}
    rounds, round_params = rounds_sql()
    for clinicians, per_clinician, ten in chunks(plan):
        made["patients"] += connection.execute(PATIENTS_SQL, {
            "clinicians": clinicians, "per_clinician": per_clinician,
            "first_names": FIRST_NAMES, "first_count": len(FIRST_NAMES)}).rowcount
        after = connection.execute(text("SELECT coalesce(max(id), 0) FROM assessments")).scalar_one()
        made["assessments"] += connection.execute(ASSESSMENTS_SQL, {
            "clinicians": clinicians, "types": TYPES, "ten": ten}).rowcount
        made["qa_rounds"] += connection.execute(rounds, {"after": after, **round_params}).rowcount
        connection.commit()
        progress.step(len(clinicians) * per_clinician,
                      f"{made['patients']:,} patients, {made['assessments']:,} assessments")
    first_patient, patients = connection.execute(text("SELECT min(id), count(*) FROM patients")).one()
    step = 100_000
    for start in range(0, audit_rows, step):
        stop = min(start + step, audit_rows)
        made["audit_events"] += connection.execute(AUDIT_SQL, {
            "start": start, "stop": stop, "first_patient": first_patient, "patients": patients}).rowcount
        connection.commit()
        progress.step(stop - start, f"{made['audit_events']:,} audit events")
    return made


def main() -> None:
    args = arguments()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (the dataset is made with PostgreSQL's set-based SQL).")
    from flask_migrate import upgrade

    from healthpal import create_app
    from healthpal.extensions import db

    began = time.perf_counter()
    # A bulk load and the closing VACUUM run statements far longer than a request may
    # (DATABASE_STATEMENT_TIMEOUT, 15 s): no limit for this one process, unless the caller set one.
    os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT", "0")
    os.environ.setdefault("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", "0")
    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        if db.session.execute(text("SELECT EXISTS (SELECT FROM patients)")).scalar_one():
            sys.exit("The database already holds patients: seed an empty (or new) database.")
        db.session.remove()
    clinicians = args.clinicians * args.scale
    plan = accounts(app, args, clinicians)
    progress = Progress(sum(patients for _, patients, _ in plan.values()) + args.audit_rows)
    with app.app_context():
        with db.engine.connect() as connection:
            connection.execute(text("SET synchronous_commit = off"))
            made = load(connection, plan, args.audit_rows, progress)
        progress.close()
        loaded = time.perf_counter() - began
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    big = ", ".join(f"big{size} ({size:,} patients)" for size in args.big_clinician)
    print(f"Made {len(plan):,} clinicians (clin001…clin{clinicians:03d}{', ' + big if big else ''}) and {ADMIN}, "
          f"{made['patients']:,} patients, {made['assessments']:,} assessments, {made['qa_rounds']:,} Q&A rounds, "
          f"{made['audit_events']:,} audit events; password {args.password!r}.")
    print(f"Loaded in {loaded:.1f} s, vacuumed and analysed in {time.perf_counter() - began - loaded:.1f} s "
          f"({time.perf_counter() - began:.1f} s in all).")


if __name__ == "__main__":
    main()
