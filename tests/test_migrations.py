"""The committed migration history builds the schema the models describe, and takes it down again,
on an empty SQLite file and on an empty PostgreSQL database."""
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from healthpal import create_app
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, QARound, User, built_on
from tests.conftest import TEST_SECRET
from tests.toolkit import scratch_postgresql, wait_until

ROOT = Path(__file__).resolve().parent.parent
TABLES = {"users", "patients", "assessments", "qa_rounds", "sessions", "audit_events", "idempotency_keys",
          "assessment_counts", "assessment_month_counts", "patient_counts"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of a brand-new, empty database (PostgreSQL only when TEST_DATABASE_URL is set)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    with scratch_postgresql("healthpal_migrations") as url:
        yield url


@pytest.fixture
def migrated_app(empty_database):
    """An app on the empty database, upgraded to head through the migrations (never create_all)."""
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "JWT_SECRET_KEY": TEST_SECRET,
                      "SQLALCHEMY_DATABASE_URI": empty_database, "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def schema_drift() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": built_on(connection.dialect.name)})
        return compare_metadata(context, db.metadata)


def tables() -> set:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_matches_the_models_and_downgrade_removes_everything(migrated_app):
    assert tables() == TABLES
    assert schema_drift() == []
    downgrade(revision="base")
    db.session.remove()
    assert tables() == set()
    upgrade()
    assert tables() == TABLES and schema_drift() == []


def patient_indexes() -> set:
    """The names of the patients table's indexes, those on expressions included."""
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'patients'"
           if db.engine.dialect.name == "sqlite" else "SELECT indexname FROM pg_indexes WHERE tablename = 'patients'")
    with db.engine.connect() as connection:
        return set(connection.execute(text(sql)).scalars())


def name_collation() -> str | None:
    """The collation of patients.full_name, as the database reports it (SQLite: in its CREATE TABLE)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'patients'")).scalar_one()
        return "und-x-icu" if 'full_name VARCHAR(255) COLLATE "und-x-icu"' in sql else None
    column = next(c for c in inspect(db.engine).get_columns("patients") if c["name"] == "full_name")
    return column["type"].collation


def test_the_later_steps_go_down_and_up_again(migrated_app):
    """0007 (accent-blind search, address labels, last assessment), 0003 (the names' collation)
    and 0002 (the search indexes) come off, and go back on (0004 and 0006 with them)."""
    search_indexes = {"ix_patients_name_fold_trgm", "ix_patients_phone_trgm"}
    list_indexes = {"ix_patients_clinician_last_assessed_on", "ix_patients_clinician_last_score"}
    assert search_indexes | list_indexes <= patient_indexes() and name_collation() == "und-x-icu"
    downgrade(revision="0004")
    db.session.remove()
    assert {"ix_patients_full_name_trgm", "ix_patients_phone_trgm"} <= patient_indexes()
    assert not {"address_label", "last_assessed_on", "last_score"} & columns("patients")
    downgrade(revision="0001")
    db.session.remove()
    assert not {"ix_patients_full_name_trgm", "ix_patients_phone_trgm"} & patient_indexes()
    assert name_collation() is None
    later = {"sessions", "idempotency_keys", "assessment_counts", "assessment_month_counts",   # 0004, 0005, 0008, 0009
             "patient_counts"}                                                               # 0011
    assert tables() == TABLES - later | {"revoked_tokens"}
    upgrade()
    assert search_indexes | list_indexes <= patient_indexes() and name_collation() == "und-x-icu"
    assert schema_drift() == []


def columns(table: str) -> set:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def test_0004_versions_existing_records_from_1_and_goes_down_again(migrated_app):
    """Records stored before 0004 get version 1; downgrading removes the versions and the keys."""
    downgrade(revision="0003")
    db.session.remove()
    assert "version" not in columns("patients") | columns("assessments") and "idempotency_keys" not in tables()
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (username, email, first_name, last_name, password_hash, "
                                "is_active, is_superuser, token_epoch, created_at, updated_at) VALUES "
                                "('alice', '', '', '', 'x', true, false, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        connection.execute(text("INSERT INTO patients (clinician_id, full_name, gender, birthdate, phone, address, "
                                "created_at, updated_at) SELECT id, 'Ann Lee', 'f', '1980-01-01', '1', 'a', "
                                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users"))
    upgrade()
    assert db.session.scalar(select(Patient.version)) == 1
    assert tables() == TABLES and schema_drift() == []


def test_0007_fills_in_each_patients_last_assessment(migrated_app):
    """Patients assessed before the upgrade get their latest assessment's date and score; the
    others none, and every address label starts empty."""
    downgrade(revision="0005")
    db.session.remove()
    assert not {"address_label", "last_assessed_on", "last_score"} & columns("patients")
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, username, password_hash, email, first_name, last_name, "
                                "is_active, is_superuser, key, created_at, updated_at) VALUES "
                                "(1, 'alice', 'x', '', '', '', true, false, 'k1', '2026-01-01', '2026-01-01')"))
        connection.execute(text("INSERT INTO patients (id, clinician_id, full_name, gender, birthdate, phone, "
                                "address, created_at, updated_at) VALUES "
                                "(1, 1, 'Ann Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01'), "
                                "(2, 1, 'Bea Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01')"))
        connection.execute(text("INSERT INTO assessments (id, patient_id, clinician_id, type, date, score, "
                                "created_at, updated_at) VALUES "
                                "(1, 1, 1, 'Mood', '2026-03-01', 40, '2026-01-01', '2026-01-01'), "
                                "(2, 1, 1, 'Sleep', '2026-05-01', 70, '2026-01-01', '2026-01-01'), "
                                "(3, 1, 1, 'Memory', '2026-04-01', 90, '2026-01-01', '2026-01-01')"))
    upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, last_assessed_on, last_score, address_label FROM patients "
                                       "ORDER BY id")).all()
    assert [(r.id, str(r.last_assessed_on) if r.last_assessed_on else None, r.last_score, r.address_label)
            for r in rows] == [(1, "2026-05-01", 70, ""), (2, None, None, "")]


TWO_CLINICIANS = ("INSERT INTO users (id, username, password_hash, email, first_name, last_name, is_active, "
                  "is_superuser, key, created_at, updated_at) VALUES "
                  "(1, 'alice', 'x', '', '', '', true, false, 'k1', '2026-01-01', '2026-01-01'), "
                  "(2, 'bob', 'x', '', '', '', true, false, 'k2', '2026-01-01', '2026-01-01')")


# Alice's patients 1 and 2, Bob's 3, and 4 unassigned.
FOUR_PATIENTS = ("INSERT INTO patients (id, clinician_id, full_name, gender, birthdate, phone, address, created_at, "
                 "updated_at) VALUES "
                 "(1, 1, 'Ann Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01'), "
                 "(2, 1, 'Bea Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01'), "
                 "(3, 2, 'Cy Lee', 'm', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01'), "
                 "(4, NULL, 'Di Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01')")


def test_0008_counts_each_clinicians_existing_assessments(migrated_app):
    """Assessments stored before the upgrade are counted per clinician (an unassigned patient's for
    nobody), and the triggers count those written after it."""
    downgrade(revision="0007")
    db.session.remove()
    assert "assessment_counts" not in tables()
    with db.engine.begin() as connection:
        connection.execute(text(TWO_CLINICIANS))
        connection.execute(text(FOUR_PATIENTS))
        connection.execute(text("INSERT INTO assessments (patient_id, clinician_id, type, date, score, "
                                "created_at, updated_at) VALUES "
                                "(1, 1, 'Mood', '2026-03-01', 40, '2026-01-01', '2026-01-01'), "
                                "(1, 1, 'Sleep', '2026-03-01', 40, '2026-01-01', '2026-01-01'), "
                                "(2, 1, 'Mood', '2026-03-01', 40, '2026-01-01', '2026-01-01'), "
                                "(3, 2, 'Mood', '2026-03-01', 40, '2026-01-01', '2026-01-01'), "
                                "(4, NULL, 'Mood', '2026-03-01', 40, '2026-01-01', '2026-01-01')"))
    upgrade()
    counted = "SELECT clinician_id, sum(total) FROM assessment_counts GROUP BY clinician_id ORDER BY clinician_id"
    with db.engine.begin() as connection:
        assert connection.execute(text(counted)).all() == [(1, 3), (2, 1)]
        connection.execute(text("INSERT INTO assessments (patient_id, clinician_id, type, date, score, "
                                "created_at, updated_at) VALUES (3, 2, 'Sleep', '2026-03-01', 40, "
                                "'2026-01-01', '2026-01-01')"))
        connection.execute(text("DELETE FROM patients WHERE id = 1"))
        assert connection.execute(text(counted)).all() == [(1, 1), (2, 2)]


def test_0009_counts_each_clinicians_existing_assessments_by_type_and_month(migrated_app):
    """Assessments stored before the upgrade are counted per clinician, type and month (an
    unassigned patient's for nobody), and the triggers count those written, moved and deleted
    after it; downgraded, the triggers go with the table (writes go on)."""
    downgrade(revision="0008")
    db.session.remove()
    assert "assessment_month_counts" not in tables()
    with db.engine.begin() as connection:
        connection.execute(text(TWO_CLINICIANS))
        connection.execute(text("INSERT INTO patients (id, clinician_id, full_name, gender, birthdate, phone, "
                                "address, created_at, updated_at) VALUES "
                                "(1, 1, 'Ann Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01'), "
                                "(2, 2, 'Cy Lee', 'm', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01'), "
                                "(3, NULL, 'Di Lee', 'f', '1980-01-01', '1', 'a', '2026-01-01', '2026-01-01')"))
        connection.execute(text("INSERT INTO assessments (patient_id, clinician_id, type, date, score, "
                                "created_at, updated_at) VALUES "
                                "(1, 1, 'Mood', '2024-02-01', 40, '2026-01-01', '2026-01-01'), "
                                "(1, 1, 'Mood', '2024-02-29', 40, '2026-01-01', '2026-01-01'), "
                                "(1, 1, 'Mood', '2024-03-01', 40, '2026-01-01', '2026-01-01'), "
                                "(1, 1, 'Sleep', '2024-02-29', 40, '2026-01-01', '2026-01-01'), "
                                "(2, 2, 'Mood', '2024-02-10', 40, '2026-01-01', '2026-01-01'), "
                                "(3, NULL, 'Mood', '2024-02-10', 40, '2026-01-01', '2026-01-01')"))
    upgrade()
    counted = ("SELECT clinician_id, type, month, total FROM assessment_month_counts WHERE total <> 0 "
               "ORDER BY clinician_id, type, month")
    with db.engine.begin() as connection:
        assert [tuple(map(str, row)) for row in connection.execute(text(counted))] == [
            ("1", "Mood", "2024-02-01", "2"), ("1", "Mood", "2024-03-01", "1"), ("1", "Sleep", "2024-02-01", "1"),
            ("2", "Mood", "2024-02-01", "1")]
        connection.execute(text("UPDATE assessments SET date = '2024-03-31' WHERE patient_id = 1 AND type = 'Sleep'"))
        connection.execute(text("UPDATE assessments SET type = 'Sleep' WHERE patient_id = 2"))
        connection.execute(text("DELETE FROM assessments WHERE patient_id = 1 AND date = '2024-02-01'"))
        assert [tuple(map(str, row)) for row in connection.execute(text(counted))] == [
            ("1", "Mood", "2024-02-01", "1"), ("1", "Mood", "2024-03-01", "1"), ("1", "Sleep", "2024-03-01", "1"),
            ("2", "Sleep", "2024-02-01", "1")]
    downgrade(revision="0008")
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO assessments (patient_id, clinician_id, type, date, score, "
                                "created_at, updated_at) VALUES (2, 2, 'Walk', '2024-05-01', 40, "
                                "'2026-01-01', '2026-01-01')"))
        connection.execute(text("DELETE FROM assessments WHERE patient_id = 1"))
    assert "assessment_month_counts" not in tables()
    upgrade()


def test_0011_counts_each_clinicians_existing_patients(migrated_app):
    """Patients stored before the upgrade are counted per clinician (an unassigned one for nobody),
    and the triggers count those added, reassigned and deleted after it; downgraded, the triggers
    go with the table (writes go on)."""
    downgrade(revision="0010")
    db.session.remove()
    assert "patient_counts" not in tables()
    with db.engine.begin() as connection:
        connection.execute(text(TWO_CLINICIANS))
        connection.execute(text(FOUR_PATIENTS))
    upgrade()
    counted = "SELECT clinician_id, sum(total) FROM patient_counts GROUP BY clinician_id ORDER BY clinician_id"
    with db.engine.begin() as connection:
        assert connection.execute(text(counted)).all() == [(1, 2), (2, 1)]
        connection.execute(text("UPDATE patients SET clinician_id = 2 WHERE id IN (1, 4)"))
        connection.execute(text("DELETE FROM patients WHERE id = 3"))
        assert connection.execute(text(counted)).all() == [(1, 1), (2, 2)]
    downgrade(revision="0010")
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM patients WHERE id = 2"))
    assert "patient_counts" not in tables()
    upgrade()


def test_patient_search_is_backed_by_trigram_indexes_on_postgresql(migrated_app):
    """`search` matches any part of a name (folded) or phone; on PostgreSQL GIN trigram indexes serve it."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("trigram (pg_trgm) indexes are PostgreSQL's")
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(connection.execute(text(
            "EXPLAIN SELECT id FROM patients WHERE name_fold(full_name) LIKE name_fold('%MÜL%') OR phone LIKE '%555%'"
        )).scalars())
        folded = connection.execute(text("SELECT name_fold('Łukasz Müller-Øster')")).scalar_one()
    assert "ix_patients_name_fold_trgm" in plan and "ix_patients_phone_trgm" in plan, plan
    assert folded == "lukasz muller-oster"


def test_the_migrated_schema_enforces_its_constraints(migrated_app):
    """The database's own last line of defence, rows written past the domain layer."""
    def refused(*rows):
        db.session.add_all(rows)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()

    clinician = User(username="alice", password_hash="x")
    patient = Patient(clinician=clinician, full_name="Ann Lee", gender="f", birthdate=date(1980, 1, 1),
                      phone="1", address="a")
    db.session.add(patient)
    db.session.commit()
    patient_id, clinician_id = patient.id, clinician.id

    def row(**fields):
        return Patient(**{"clinician_id": clinician_id, "full_name": "Bea Lee", "gender": "f",
                          "birthdate": date(1980, 1, 1), "phone": "1", "address": "a", **fields})

    def visit(**fields):
        return Assessment(**{"patient_id": patient_id, "type": "Mood", "date": date(2024, 1, 1), "score": 5,
                             **fields})

    refused(row(gender="x"))
    refused(row(full_name="Ann Lee"))                                   # same clinician, name, birthdate
    refused(visit(score=101))
    refused(visit(score=-1))
    refused(User(username="alice", password_hash="x"))
    refused(User(username="ALICE", password_hash="x"))                  # usernames are one whatever the case
    assessment = visit()
    assessment.rounds = [QARound(position=0, question="Q" * 10_000, answer="A"),
                         QARound(position=1, question="Q" * 10_000, answer="B")]
    refused(assessment)                                                 # duplicate 10,000-character question
    db.session.add(visit(rounds=[QARound(position=0, question="Q", answer="A")]))
    db.session.commit()
    refused(visit(score=50))                                            # same patient, date and type

    with db.engine.begin() as connection:                               # ON DELETE, without the ORM
        connection.execute(text("DELETE FROM users"))
        assert connection.execute(text("SELECT clinician_id FROM patients")).scalar_one() is None
        connection.execute(text("DELETE FROM patients"))
        assert connection.execute(text("SELECT count(*) FROM qa_rounds")).scalar_one() == 0


@pytest.fixture
def app_at_0003(empty_database):
    """An app on the empty database, upgraded only to 0003 (before server-side sessions)."""
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "JWT_SECRET_KEY": TEST_SECRET,
                      "SQLALCHEMY_DATABASE_URI": empty_database, "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        upgrade(revision="0003")
        yield app
        db.session.remove()
        db.engine.dispose()


def test_0005_keeps_every_row_gives_each_user_a_key_and_never_reuses_ids(app_at_0003):
    """Rebuilding the tables on SQLite (for AUTOINCREMENT) must not lose or unlink a row, even
    though their foreign keys cascade; and an id once used is never handed out again."""
    stamp = "'2026-01-01 00:00:00'"
    with db.engine.begin() as connection:
        for name in ("first", "second"):
            connection.execute(text(
                "INSERT INTO users (username, email, first_name, last_name, password_hash, is_active, "
                f"is_superuser, token_epoch, created_at, updated_at) VALUES ('{name}', '', '', '', 'x', true, false, "
                f"3, {stamp}, {stamp})"))
        first, second = connection.execute(text("SELECT id FROM users ORDER BY id")).scalars().all()
        connection.execute(text(
            "INSERT INTO patients (clinician_id, full_name, gender, birthdate, phone, address, created_at, "
            f"updated_at) VALUES ({first}, 'Ann Lee', 'f', '1980-01-01', '1', 'a', {stamp}, {stamp})"))
        connection.execute(text(
            "INSERT INTO assessments (patient_id, type, date, score, created_at, updated_at) "
            f"SELECT id, 'Mood', '2024-01-01', 5, {stamp}, {stamp} FROM patients"))
        connection.execute(text("INSERT INTO qa_rounds (assessment_id, position, question, question_digest, "
                                "answer) SELECT id, 0, 'Q', 'd', 'A' FROM assessments"))
    upgrade()
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT clinician_id FROM patients")).scalar_one() == first
        assert connection.execute(text("SELECT count(*) FROM qa_rounds")).scalar_one() == 1
        keys = connection.execute(text("SELECT key FROM users ORDER BY id")).scalars().all()
        assert len(set(keys)) == 2 and all(len(key) == 32 for key in keys)
        connection.execute(text(f"DELETE FROM users WHERE id = {second}"))
    assert schema_drift() == []
    newcomer = User(username="newcomer", password_hash="x")
    db.session.add(newcomer)
    db.session.commit()
    assert newcomer.id > second                                         # the deleted user's id is not reused
    db.session.remove()                                                 # (PostgreSQL: no read left holding users)
    downgrade(revision="0003")
    db.session.remove()
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT username, token_epoch FROM users ORDER BY id")).all() == [
            ("first", 0), ("newcomer", 0)]
        assert connection.execute(text("SELECT count(*) FROM assessments")).scalar_one() == 1


def test_flask_db_upgrade_builds_an_empty_sqlite_file(tmp_path):
    """The real command an operator runs, in a fresh process."""
    database = tmp_path / "operator.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "HEALTHPAL_ENV": "development"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> 0001" in result.stderr
    engine = create_engine(f"sqlite:///{database}")
    try:
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()


# --- on deploy: `flask db upgrade` twice, or by two servers at once --------------------------------

HEAD = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
MIGRATION_LOCK = "healthpal-migrations"      # the advisory lock migrations/env.py takes on PostgreSQL


def flask_db_upgrade(database_url: str) -> subprocess.Popen:
    """The operator's command, in a process of its own."""
    env = {**os.environ, "DATABASE_URL": database_url, "HEALTHPAL_ENV": "development"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> str:
    """Wait for an upgrade; it must succeed. Returns what it logged."""
    _, logged = process.communicate(timeout=120)
    assert process.returncode == 0, logged
    return logged


def recorded_versions(database_url: str) -> list:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def lock_requests_waiting(connection) -> int:
    """How many advisory-lock requests in this connection's database are waiting to be granted."""
    waiting = connection.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).scalar()
    connection.commit()
    return waiting


def needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite admits one writer at a time; concurrent deploys use PostgreSQL")


def test_upgrading_twice_changes_nothing_the_second_time(empty_database):
    assert "Running upgrade  -> 0001" in finished(flask_db_upgrade(empty_database))
    assert "Running upgrade" not in finished(flask_db_upgrade(empty_database))
    assert recorded_versions(empty_database) == [HEAD]


def test_two_upgrades_at_once_run_the_migrations_once(empty_database):
    needs_postgresql(empty_database)
    first, second = flask_db_upgrade(empty_database), flask_db_upgrade(empty_database)
    logs = [finished(first), finished(second)]
    assert sum("Running upgrade  -> 0001" in logged for logged in logs) == 1
    assert recorded_versions(empty_database) == [HEAD]


def test_an_upgrade_waits_while_another_holds_the_migration_lock(empty_database):
    needs_postgresql(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as other_deploy:
            other_deploy.execute(text("SELECT pg_advisory_lock(hashtext(:name))"), {"name": MIGRATION_LOCK})
            other_deploy.commit()
            waiting = flask_db_upgrade(empty_database)
            wait_until(lambda: waiting.poll() is not None or lock_requests_waiting(other_deploy),
                       seconds=60, what="the second upgrade asks for the migration lock")
            assert waiting.poll() is None
            assert "alembic_version" not in inspect(other_deploy).get_table_names()
            other_deploy.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": MIGRATION_LOCK})
            other_deploy.commit()
        finished(waiting)
    finally:
        engine.dispose()
    assert recorded_versions(empty_database) == [HEAD]
