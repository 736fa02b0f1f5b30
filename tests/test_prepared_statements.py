"""The hot paths' statements are prepared once per PostgreSQL connection (healthpal/prepared_statements.py):
what PostgreSQL's own `pg_prepared_statements` holds after real requests, lists left out, the setting
that turns it off, a connection lost and replaced, a column's type changed by a migration, and
statements whose text is awkward to prepare."""
from contextlib import contextmanager

import pytest
from sqlalchemy import Integer, bindparam, create_engine, literal_column, select, text
from sqlalchemy.pool import NullPool

from healthpal.domain import audit
from healthpal.extensions import PREPARED, db
from healthpal.models import Patient, SessionRecord
from tests import factories
from tests.api.support import Api

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgresql(database_uri):
    if not database_uri.startswith("postgresql"):
        pytest.skip("prepared statements are PostgreSQL's (set TEST_DATABASE_URL)")


ROUNDS = [{"question": "Sleep?", "answer": "Badly"}, {"question": "Mood?", "answer": "Low"}]


def prepared() -> dict[str, tuple[str, int]]:
    """This connection's prepared statements: name → (statement, times PostgreSQL has planned or
    reused a plan for it). The tests run one request at a time, so the pool lends this connection
    to each of them in turn."""
    rows = db.session.execute(text("SELECT name, statement, generic_plans + custom_plans FROM pg_prepared_statements"))
    found = {name: (statement, runs) for name, statement, runs in rows}
    db.session.rollback()
    return found


def statements_with(found: dict, fragment: str) -> list[tuple[str, int]]:
    return [entry for entry in found.values() if fragment in entry[0]]


def one_connection(another_app, **config):
    """An app whose pool holds a single connection, so that every request and `prepared` use it."""
    return another_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "hide_parameters": True}, **config)


@contextmanager
def outside(app):
    """A connection of its own to the app's database, beside the pool (which holds its one)."""
    engine = create_engine(db.engine.url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def backend_after(api: Api, url: str) -> int:
    """The server process of the pool's one connection, once a GET of `url` has prepared its statements."""
    response = api.get(url)
    assert response.status_code == 200, response.json
    backend = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.rollback()
    return backend


def new_assessment(api: Api, patient_id: int):
    return api.post("/api/assessments/", json={"patient": patient_id, "type": "PHQ-9", "date": "2026-01-05",
                                               "score": 40, "qna_rounds": ROUNDS})


def signed_in(app, clinician) -> tuple[Api, int]:
    """A client of `app` signed in as `clinician`, and one of their patients' id. (Read once: the test's
    own session would hold the pool's one connection to read a record again after a request.)"""
    api = Api(app.test_client(), clinician)
    patient_id = factories.make_patient(clinician).id
    db.session.rollback()
    return api, patient_id


def test_detail_reads_and_assessment_writes_are_prepared_once_and_reused(another_app, clinician):
    app = one_connection(another_app)
    with app.app_context():
        api, patient_id = signed_in(app, clinician)
        for _ in range(3):
            assert api.get(f"/api/patients/{patient_id}/").status_code == 200
        created = new_assessment(api, patient_id)
        assert created.status_code == 201, created.json
        changed = api.patch(f"/api/assessments/{created.json['id']}/",
                            json={"score": 41, "qna_rounds": [{"question": "Appetite?", "answer": "Good"}]})
        assert changed.status_code == 200 and changed.json["score"] == 41
        assert api.get(f"/api/assessments/{created.json['id']}/").json["qna_rounds"] == [
            {"question": "Appetite?", "answer": "Good"}]

        found = prepared()
        assert not statements_with(found, "SELECT sessions.id")   # no sign-in judged apart: each in a first statement
        # the create's and the update's first locks, each judging the sign-in too, run once each
        locks = statements_with(found, "FOR NO KEY UPDATE OF patients")
        assert len(locks) == 2 and all("FROM sessions JOIN users" in lock and runs == 1 for lock, runs in locks), locks
        # the audited reads (each judging the sign-in too), by what they read before their event: the
        # patient's was prepared once, run 3 times
        reads = {statement.split("read_event")[0]: runs for statement, runs in statements_with(found, "read_event")}
        assert all("FROM sessions JOIN users" in read for read in reads)
        assert [runs for read, runs in reads.items() if "FROM patients" in read] == [3]
        assert statements_with(found, "INSERT INTO assessments")
        assert statements_with(found, "UPDATE assessments SET")
        assert len(found) == len({statement for statement, _ in found.values()})   # none prepared twice


def test_lists_are_planned_for_each_request(another_app, clinician):
    """A list's best plan depends on how many rows the clinician has: it is not prepared."""
    app = one_connection(another_app)
    with app.app_context():
        api, patient_id = signed_in(app, clinician)
        assert new_assessment(api, patient_id).status_code == 201
        assert api.get("/api/auth/user/").status_code == 200
        before = prepared()
        for url in ("/api/patients/?ordering=-birthdate", "/api/assessments/?page_size=1", "/api/assessments/?type=x"):
            assert api.get(url).status_code == 200
        after = prepared()
        assert after.keys() == before.keys()
        assert {name: runs - before[name][1] for name, (_, runs) in after.items()} == {
            name: 3 if "SELECT sessions.id" in statement else 0 for name, (statement, _) in before.items()}


def test_turned_off_nothing_is_prepared(another_app, clinician):
    app = one_connection(another_app, DATABASE_PREPARED_STATEMENTS=False)
    with app.app_context():
        api, patient_id = signed_in(app, clinician)
        assert api.get(f"/api/patients/{patient_id}/").json["id"] == patient_id
        assert new_assessment(api, patient_id).status_code == 201
        assert prepared() == {}


def test_a_connection_lost_is_replaced_and_its_statements_prepared_again(another_app, clinician):
    app = one_connection(another_app)
    with app.app_context():
        api, patient_id = signed_in(app, clinician)
        backend = backend_after(api, f"/api/patients/{patient_id}/")
        with outside(app) as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        assert backend_after(api, f"/api/patients/{patient_id}/") != backend
        assert statements_with(prepared(), "FROM sessions JOIN users")


def test_a_percent_sign_and_an_expanding_in_list_are_prepared_as_written(another_app, clinician):
    with one_connection(another_app).app_context():
        patients = [factories.make_patient(clinician, full_name=name) for name in ("Ann Lee", "Bo Lee", "Cy Day")]
        ids = [patient.id for patient in patients]
        db.session.rollback()
        statement = (select(literal_column("'100%'"), Patient.full_name)
                     .where(Patient.id.in_(bindparam("ids", expanding=True)),
                            Patient.full_name.like(bindparam("pattern")),
                            Patient.id > bindparam("above", type_=Integer))
                     .order_by(Patient.id).execution_options(**PREPARED))
        for _ in range(2):
            assert db.session.execute(statement, {"ids": ids[:1], "pattern": "%Lee", "above": 0}).all() == [
                ("100%", "Ann Lee")]
            assert db.session.execute(statement, {"ids": ids, "pattern": "%Lee", "above": ids[0]}).all() == [
                ("100%", "Bo Lee")]
        db.session.rollback()
        assert len(statements_with(prepared(), "'100%'")) == 2      # one for each length of the list


def test_values_a_column_could_not_hold_are_compared_as_sent(another_app, clinician):
    """A parameter's type is its column's, widened: a string one character longer than the column's
    length is not cut back to a stored value, an id past INTEGER's range finds nothing."""
    app = one_connection(another_app)
    with app.app_context():
        signed_in(app, clinician)
        digest = db.session.scalar(select(SessionRecord.digest))
        by_digest = select(SessionRecord.id).where(SessionRecord.digest == bindparam("digest")).execution_options(
            **PREPARED)
        by_id = select(Patient.id).where(Patient.id == bindparam("id")).execution_options(**PREPARED)
        assert len(digest) == SessionRecord.digest.type.length
        for _ in range(2):
            assert db.session.execute(by_digest, {"digest": digest}).all()
            assert db.session.execute(by_digest, {"digest": digest + "0"}).all() == []
            assert db.session.execute(by_id, {"id": 2**31}).all() == []
        db.session.rollback()
        assert len(prepared()) == 2


@pytest.mark.parametrize(("column", "length", "url"), [
    ("users.first_name", 150, "/api/auth/user/"),                   # the sign-in check returns it
    ("patients.phone", 15, "/api/patients/{patient_id}/"),          # the one-statement read returns it
])
def test_a_column_whose_type_changes_under_a_prepared_statement_costs_no_request(
        another_app, clinician, column, length, url):
    """A migration that lengthens a VARCHAR a prepared statement returns: PostgreSQL refuses the
    statement as prepared, the connection is replaced and the request runs again on it."""
    app = one_connection(another_app)
    table, name = column.split(".")
    with app.app_context():
        api, patient_id = signed_in(app, clinician)
        url = url.format(patient_id=patient_id)
        backend = backend_after(api, url)
        try:
            with outside(app) as migration:
                migration.execute(text(f"ALTER TABLE {table} ALTER COLUMN {name} TYPE varchar({length + 50})"))
            assert backend_after(api, url) != backend
        finally:
            with outside(app) as migration:
                migration.execute(text(f"ALTER TABLE {table} ALTER COLUMN {name} TYPE varchar({length})"))


def test_who_last_changed_a_record_reads_the_partial_index_even_in_a_plan_made_for_any_record(
        another_app, clinician):
    """The pages' "last changed by" is prepared with its actions written in: PostgreSQL's generic
    plan, which it may keep after five runs, still reads migration 0010's index of creates and updates."""
    app = one_connection(another_app)
    with app.app_context():
        patient = factories.make_patient(clinician)
        for _ in range(6):
            assert audit.last_change(patient).actor_username == clinician.username
        db.session.rollback()
        [name] = [name for name, (statement, _) in prepared().items() if "FROM audit_events" in statement]
        db.session.execute(text("SET plan_cache_mode = force_generic_plan"))   # its values: type, id, LIMIT
        plan = db.session.execute(text(f"EXPLAIN EXECUTE {name}('patient', {patient.id}, 1)")).scalars().all()
        db.session.execute(text("RESET plan_cache_mode"))
        db.session.rollback()
        assert any("ix_audit_events_entity_changes" in line for line in plan), plan
