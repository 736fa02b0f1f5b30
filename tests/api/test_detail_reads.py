"""A detail read judges its token's sign-in in the statement that reads (on PostgreSQL: one
statement that judges the sign-in, reads the record and records the read). Every way a token can fail
answers exactly as it does anywhere else in the API, and records nothing; a read honoured is recorded
once, its actor the token's account."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from sqlalchemy import select

from healthpal.extensions import db
from healthpal.models import AuditEvent
from tests import factories
from tests.api.support import ENDINGS, FAILING_HEADERS, TOKEN_NOT_VALID, log_out


@pytest.fixture
def records(clinician):
    patient = factories.make_patient(clinician, phone="5550000001")
    assessment = factories.make_assessment(patient, qna_rounds=[{"question": "Sleep?", "answer": "Badly"}])
    return {"patient": patient.id, "assessment": assessment.id}


def detail_urls(records) -> list[str]:
    return [f"/api/patients/{records['patient']}/", f"/api/assessments/{records['assessment']}/"]


def reads() -> list[tuple]:
    db.session.rollback()
    return db.session.execute(select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.patient_id,
                                     AuditEvent.actor_id, AuditEvent.actor_username, AuditEvent.channel,
                                     AuditEvent.changes)
                              .filter_by(action="read").order_by(AuditEvent.id)).all()


@pytest.mark.parametrize(("ending", "answer"), ENDINGS)
def test_a_sign_in_ended_answers_as_anywhere_else_and_records_nothing(api, superuser, records, ending, answer):
    for url in detail_urls(records):
        assert api.get(url).status_code == 200
    before = len(reads())
    ending(api, superuser)
    for url in detail_urls(records):
        response = api.get(url)
        assert (response.status_code, response.json) == (401, answer), url
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
        assert api.get("/api/auth/user/").json == answer
    assert len(reads()) == before


@pytest.mark.parametrize(("header", "answer"), FAILING_HEADERS)
def test_a_token_that_fails_answers_as_anywhere_else_and_records_nothing(api, records, header, answer):
    sent = header(api)
    headers = {} if sent is None else {"Authorization": sent}
    for url in detail_urls(records):
        response = api.client.get(url, headers=headers)
        assert (response.status_code, response.json) == (401, answer), url
    assert reads() == []


def test_an_expired_token_is_refused_at_its_expiry_and_records_nothing(api, records):
    claims = jwt.decode(api.access, options={"verify_signature": False})
    with time_machine.travel(datetime.fromtimestamp(claims["exp"] - 1, UTC), tick=False) as clock:
        assert api.get(detail_urls(records)[0]).status_code == 200
        clock.shift(timedelta(seconds=1))
        for url in detail_urls(records):
            assert (api.get(url).status_code, api.get(url).json) == (401, TOKEN_NOT_VALID)
    assert len(reads()) == 1


def test_a_read_honoured_is_recorded_once_with_the_tokens_account_as_its_actor(api, clinician, records):
    assert api.get(f"/api/patients/{records['patient']}/").json["phone"] == "5550000001"
    assert api.get(f"/api/assessments/{records['assessment']}/").json["qna_rounds"] == [
        {"question": "Sleep?", "answer": "Badly"}]
    assert api.client.head(f"/api/patients/{records['patient']}/", headers=api.headers()).status_code == 200
    patient_read = ("patient", records["patient"], records["patient"], clinician.id, "alice", "api", None)
    assert reads() == [patient_read,
                       ("assessment", records["assessment"], records["patient"], clinician.id, "alice", "api", None),
                       patient_read]


def test_another_clinicians_record_or_none_is_not_found_and_not_recorded(other_api, records):
    for url in [*detail_urls(records), "/api/patients/999999/", "/api/assessments/999999/"]:
        response = other_api.get(url)
        assert (response.status_code, response.json) == (404, {"detail": "Not found."}), url
    assert reads() == []


def test_other_methods_on_a_detail_path_judge_the_token_first(api, superuser, records):
    url = detail_urls(records)[0]
    assert api.post(url, json={}).status_code == 405
    assert api.request("OPTIONS", url).status_code == 200
    log_out(api, superuser)
    for method in ("POST", "OPTIONS", "PATCH", "DELETE"):
        response = api.request(method, url, json={})
        assert (response.status_code, response.json) == (401, TOKEN_NOT_VALID), method
    assert api.get(url.rstrip("/")).status_code == 401    # without its slash, the same view
    assert reads() == []
