"""PostgreSQL misbehaving under a running app, through a real TCP proxy (tests/faults/proxy.py):
connections dropped, refused, stalled, lost during COMMIT; a row lock held by someone else."""
import threading
import time

import psycopg2
import pytest
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from healthpal import database
from healthpal.errors import OUTCOME_UNKNOWN, UNAVAILABLE
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient
from tests import factories
from tests.api.support import Api
from tests.faults.conftest import FAST_TIMEOUTS
from tests.markup import page_text, parse
from tests.toolkit import sign_in, wait_until

pytestmark = pytest.mark.postgres
PORTAL_UNAVAILABLE = "Healthpal can't reach its database right now."


def timed(call, *, limit: float, proxy=None):
    """(result, seconds) of `call()`; fails if it has not returned within `limit` seconds (then
    the proxy is made to let it finish)."""
    outcome, app = {}, current_app._get_current_object()

    def run():
        with app.app_context():
            outcome["result"] = call()

    started = time.monotonic()
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        if proxy is not None:
            proxy.resume()
            proxy.drop_all()
        worker.join(30)
        pytest.fail(f"still waiting after {limit} s")
    return outcome["result"], time.monotonic() - started


@pytest.fixture
def clients(proxied_app, clinician, superuser):
    """The API, the portal and the admin panel of `proxied_app`, signed in while the database answers."""
    return (Api(proxied_app.test_client(), clinician), sign_in(proxied_app.test_client(), clinician.username),
            sign_in(proxied_app.test_client(), superuser.username))


def test_dropped_connections_fail_no_request(clients, pg_proxy, clinician):
    """A restart or failover closes every pooled connection; the next requests still succeed."""
    api, portal, admin = clients
    patient = factories.make_patient(clinician)
    for _ in range(3):
        pg_proxy.drop_all()
        assert api.get(f"/api/patients/{patient.id}/").status_code == 200
        pg_proxy.drop_all()
        assert portal.get(f"/patients/{patient.id}").status_code == 200
        pg_proxy.drop_all()
        assert admin.get("/admin/patient/").status_code == 200


def test_a_connection_closed_under_a_request_before_it_committed_costs_a_retry_not_an_error(
        clients, pg_proxy, clinician):
    api, _, _ = clients
    patient = factories.make_patient(clinician, phone="5550000001")
    pg_proxy.trip(b"FROM patients", "drop")
    assert api.get(f"/api/patients/{patient.id}/").json["phone"] == "5550000001"
    pg_proxy.trip(b"UPDATE patients", "drop")
    answer = api.patch(f"/api/patients/{patient.id}/", json={"phone": "5550000002"})
    updates = db.session.scalars(select(AuditEvent.changes).filter_by(entity_type="patient", action="update")).all()
    if answer.status_code == 503:
        # Under load the drop can land on the COMMIT that follows the UPDATE: then the honest answer
        # is "outcome unknown", never an error that claims nothing changed.
        assert answer.json["code"] == "outcome_unknown"
        assert updates in ([], [{"phone": ["5550000001", "5550000002"]}])
        return
    assert (answer.status_code, answer.json.get("phone")) == (200, "5550000002"), answer.json
    assert updates == [{"phone": ["5550000001", "5550000002"]}]


def test_a_database_refusing_connections_gets_503_then_recovers(clients, pg_proxy, proxied_app):
    api, portal, admin = clients
    pg_proxy.refuse()
    pg_proxy.drop_all()
    answer = api.get("/api/patients/")
    assert (answer.status_code, answer.json) == (503, {"detail": UNAVAILABLE})
    assert int(answer.headers["Retry-After"]) > 0
    for client, path in ((portal, "/"), (admin, "/admin/patient/")):
        page = client.get(path)
        assert page.status_code == 503
        assert PORTAL_UNAVAILABLE in page_text(parse(page))
        assert page.headers["Retry-After"]
    assert proxied_app.test_client().get("/healthz").json == {"status": "ok"}
    pg_proxy.accept()
    assert api.get("/api/patients/").status_code == 200
    assert portal.get("/").status_code == 200


@pytest.mark.parametrize("when", ["before the request", "during a statement"])
def test_a_stalled_database_gets_503_within_the_timeouts(clients, pg_proxy, proxied_app, when):
    """Stalled traffic (no answer, not even an error) ends the request within the statement timeout
    plus a second, while pages that need no database keep answering."""
    api, _, _ = clients
    assert api.get("/api/patients/").status_code == 200
    if when == "before the request":
        pg_proxy.stall()
    else:
        pg_proxy.trip(b"FROM patients", "stall")
    answer, seconds = timed(lambda: api.get("/api/patients/"), limit=10, proxy=pg_proxy)
    assert (answer.status_code, answer.json) == (503, {"detail": UNAVAILABLE})
    assert seconds <= FAST_TIMEOUTS["DATABASE_STATEMENT_TIMEOUT"] + 1
    queued, seconds = timed(lambda: api.get("/api/patients/"), limit=10, proxy=pg_proxy)
    assert queued.status_code == 503 and seconds < 1.5    # not a second wait (ping 1 s + connect 1 s) after one in vain
    healthz, seconds = timed(lambda: proxied_app.test_client().get("/healthz"), limit=2, proxy=pg_proxy)
    assert healthz.status_code == 200 and seconds < 1.5
    pg_proxy.resume()
    wait_until(lambda: api.get("/api/patients/").status_code == 200, seconds=database.BACKOFF_SECONDS + 2,
               what="the API answers again once the back-off after the stall is over", every=0.1)


def test_a_connection_lost_during_commit_is_answered_as_unknown(clients, pg_proxy, clinician):
    """The connection goes as COMMIT is sent: the change may or may not be saved (the server may
    not even have read the COMMIT), so neither the API nor the portal may say that nothing was changed."""
    api, portal, _ = clients
    patient = factories.make_patient(clinician, phone="5550000001")
    pg_proxy.trip(b"COMMIT", "drop", after=b"UPDATE patients")
    answer = api.patch(f"/api/patients/{patient.id}/", json={"phone": "5550000002"})
    assert answer.status_code == 503
    assert answer.json == {"detail": OUTCOME_UNKNOWN, "code": "outcome_unknown"}
    pg_proxy.trip(b"COMMIT", "drop", after=b"UPDATE patients")
    page = portal.post(f"/patients/{patient.id}/edit", data={
        "full_name": patient.full_name, "gender": "f", "birthdate": "1980-05-17", "phone": "5550000003",
        "address": patient.address or ""})
    text_shown = page_text(parse(page))
    assert page.status_code == 503
    assert "We can't tell whether that was saved" in text_shown and "nothing was" not in text_shown


@pytest.mark.parametrize("write", ["patient", "assessment"])
def test_a_row_lock_held_elsewhere_gets_503_at_the_lock_timeout(another_app, postgresql, clinician, write):
    """Another session holds the patient's row: the update (of the patient, or of one of its
    assessments, whose first statement judges the token's sign-in too) waits the lock timeout, not the
    (much longer) statement timeout, and nothing changes; once the lock is gone, it goes through."""
    app = another_app(DATABASE_LOCK_TIMEOUT=1, DATABASE_STATEMENT_TIMEOUT=30)
    patient = factories.make_patient(clinician, phone="5550000001")
    assessment = factories.make_assessment(patient, score=50)
    path, body = ((f"/api/patients/{patient.id}/", {"phone": "5550000002"}) if write == "patient"
                  else (f"/api/assessments/{assessment.id}/", {"score": 51}))
    api = Api(app.test_client(), clinician)
    blocker = psycopg2.connect(make_url(postgresql).set(drivername="postgresql").render_as_string(False))
    try:
        blocker.cursor().execute("UPDATE patients SET phone = phone WHERE id = %s", (patient.id,))
        answer, seconds = timed(lambda: api.patch(path, json=body), limit=5)
    finally:
        blocker.rollback()
        blocker.close()
    assert (answer.status_code, answer.json) == (503, {"detail": UNAVAILABLE})
    assert seconds < 3
    assert db.session.execute(select(Patient.phone, Assessment.score).join(Assessment.patient)
                              .filter(Assessment.id == assessment.id)).one() == ("5550000001", 50)
    assert api.patch(path, json=body).status_code == 200


def test_an_assessment_update_whose_connection_is_lost_at_its_first_statement_runs_again(
        clients, pg_proxy, clinician):
    """Lost as the statement that judges the sign-in and takes the first lock is sent: nothing was
    written, so the request runs again on a fresh connection and is written once."""
    api, _, _ = clients
    assessment = factories.make_assessment(factories.make_patient(clinician), score=50)
    path = f"/api/assessments/{assessment.id}/"
    assert api.patch(path, json={"score": 51}).status_code == 200     # prepares its statements
    pg_proxy.trip(b"EXECUTE", "drop")
    assert api.patch(path, json={"score": 52}).json["score"] == 52
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent.changes).filter_by(entity_type="assessment", action="update")
                              .order_by(AuditEvent.id)).all() == [{"score": [50, 51]}, {"score": [51, 52]}]


def reads_of(patient_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .filter_by(entity_type="patient", entity_id=patient_id, action="read"))


def test_an_api_detail_read_is_one_message_to_the_server_and_writes_still_open_transactions(
        clients, pg_proxy, clinician):
    """The sign-in judged, the record read and the read recorded: one statement, which PostgreSQL
    runs as a transaction by itself (no BEGIN or COMMIT sent). The connection's next request opens
    a transaction again."""
    api, _, _ = clients
    patient = factories.make_patient(clinician, phone="5550000001")
    assert api.get(f"/api/patients/{patient.id}/").status_code == 200    # prepares the statement
    pg_proxy.queries()
    assert api.get(f"/api/patients/{patient.id}/").json["phone"] == "5550000001"
    assert [query.split()[0] for query in pg_proxy.queries()] == ["EXECUTE"]
    assert reads_of(patient.id) == 2
    pg_proxy.queries()
    assert api.patch(f"/api/patients/{patient.id}/", json={"phone": "5550000002"}).status_code == 200
    sent = pg_proxy.queries()
    assert sent[0] == "BEGIN" and sent[-1] == "COMMIT" and len(sent) > 3, sent


def test_a_detail_read_whose_connection_is_lost_runs_again_and_is_recorded(clients, pg_proxy, clinician):
    """Lost as its one statement is sent: the server may have run it (and recorded the read) or not;
    the request runs again on a fresh connection and answers. The read answered is recorded; the
    lost one may be too."""
    api, _, _ = clients
    patient = factories.make_patient(clinician, phone="5550000001")
    assert api.get(f"/api/patients/{patient.id}/").status_code == 200
    pg_proxy.trip(b"EXECUTE", "drop")
    assert api.get(f"/api/patients/{patient.id}/").json["phone"] == "5550000001"
    assert reads_of(patient.id) in (2, 3)


def test_a_stalled_detail_read_waits_a_statements_deadline_not_a_pings(clients, pg_proxy, clinician):
    """The one statement runs outside a transaction, as SQLAlchemy's pings do, but waits as long as a
    statement may run (the statement timeout plus a margin), not the connect timeout."""
    api, _, _ = clients
    patient = factories.make_patient(clinician)
    assert api.get(f"/api/patients/{patient.id}/").status_code == 200
    pg_proxy.trip(b"EXECUTE", "stall")
    answer, seconds = timed(lambda: api.get(f"/api/patients/{patient.id}/"), limit=10, proxy=pg_proxy)
    assert (answer.status_code, answer.json) == (503, {"detail": UNAVAILABLE})
    statement = FAST_TIMEOUTS["DATABASE_STATEMENT_TIMEOUT"]
    assert statement <= seconds <= statement + 1


def test_a_statement_in_autocommit_mode_waits_a_statements_deadline(proxied_app, pg_proxy):
    """Only connecting and the ping before a pooled connection is lent wait at most the connect
    timeout; a statement in autocommit mode (a VACUUM, a bulk load's) may run as long as any."""
    with proxied_app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
        pg_proxy.stall()
        started = time.monotonic()
        with pytest.raises(OperationalError, match="did not answer"):
            connection.execute(text("SELECT 2"))
        seconds = time.monotonic() - started
    statement = FAST_TIMEOUTS["DATABASE_STATEMENT_TIMEOUT"]
    assert statement <= seconds <= statement + 1
