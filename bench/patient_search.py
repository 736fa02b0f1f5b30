"""Benchmark the patient list (not a test): the query plans and times of the domain's search.

Needs a scratch PostgreSQL database (its schema is migrated, a benchmark clinician with N patients,
accented names (one in a thousand a Müller) and a last assessment on most, is added with one
INSERT … SELECT, and removed again at the end):

    DATABASE_URL=postgresql://healthpal:healthpal@localhost:5432/healthpal_bench \\
        python bench/patient_search.py [--patients 100000] [--text muller]

Prints, for an accent-blind name-or-phone search as `GET /api/patients/?search=…` runs it, and for
the portal list sorted by last assessment or latest score, filtered to "not assessed in the last 90
days", the scans PostgreSQL chose (the indexes of migrations 0002 and 0007, or a sequential scan)
and the execution time.
"""
import argparse
import os
import secrets
import sys
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--text", default="muller", help="what the clinician types")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database.")
    from flask_migrate import upgrade

    from healthpal import create_app
    from healthpal.domain import channels, patients, users
    from healthpal.extensions import db

    app = create_app({"SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        clinician = users.create(actor=None, via=channels.CLI, data={
            "username": f"bench-{secrets.token_hex(4)}", "password": secrets.token_urlsafe(16)})
        db.session.execute(text(
            "INSERT INTO patients (clinician_id, full_name, gender, birthdate, phone, address, last_assessed_on, "
            "last_score, created_at, updated_at) "
            "SELECT :clinician, CASE WHEN g % 1000 = 0 THEN 'Jonas Müller ' ELSE 'Łukasz Søren ' END || md5(g::text), "
            "'f', DATE '1980-01-01', (5550000000 + g)::text, 'x', "
            "CASE WHEN g % 10 = 0 THEN NULL ELSE CURRENT_DATE - (g % 400) END, "
            "CASE WHEN g % 10 = 0 THEN NULL ELSE g % 101 END, now(), now() "
            "FROM generate_series(1, :n) AS g"), {"clinician": clinician.id, "n": args.patients})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE patients"))  # as autovacuum would, soon after a bulk load
        try:
            captured = []

            def capture(_conn, _cursor, statement, parameters, _context, _many):
                captured.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", capture)
            print(f"patients of the clinician: {args.patients:,}")
            for title, query in (
                (f"search {args.text!r}", {"text": args.text}),
                ("sorted by last assessment, most recent first", {"ordering": "-last_assessed_on"}),
                ("sorted by latest score, lowest first", {"ordering": "last_score"}),
                ("not assessed in the last 90 days, longest ago first",
                 {"not_assessed_days": 90, "ordering": "last_assessed_on"}),
            ):
                page = patients.search(actor=clinician, via=channels.PORTAL, page_size=20, **query)
                statement, parameters = captured[-1]
                with db.engine.connect() as connection:
                    plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters)]
                print(f"{title}: {page.total:,} match(es), {len(page.items)} on the page")
                for line in plan:
                    if "Scan" in line or "Execution Time" in line:
                        print("  " + line.strip())
            event.remove(db.engine, "before_cursor_execute", capture)
        finally:
            db.session.rollback()
            db.session.execute(text("DELETE FROM patients WHERE clinician_id = :c"), {"c": clinician.id})
            users.delete(actor=None, via=channels.CLI, user_id=clinician.id)


if __name__ == "__main__":
    main()
