"""An assessment's create (POST) and update (PUT, PATCH) judge their token's sign-in in the statement
that takes the write's first lock (on PostgreSQL; SQLite judges it first, in a statement of its own).
Every way a token can fail answers exactly as it does anywhere else in the API and changes nothing,
whatever the body; a write honoured is written once, its actor the token's account."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from sqlalchemy import func, select

from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient
from tests import factories
from tests.api.support import ENDINGS, FAILING_HEADERS, TOKEN_NOT_VALID, assessment_data, log_out

NOT_FOUND = {"detail": "Not found."}


@pytest.fixture
def assessment(clinician):
    patient = factories.make_patient(clinician, birthdate="1980-05-17")
    return factories.make_assessment(patient, type="Sleep review", score=50,
                                     qna_rounds=[{"question": "Sleep?", "answer": "Badly"}])


def url_of(assessment) -> str:
    return f"/api/assessments/{assessment.id}/"


def stored(assessment_id: int) -> tuple:
    """The assessment's patient, score and version as committed, and its update events (their actor's
    id apart: a deleted account's events keep its name only)."""
    db.session.rollback()
    row = db.session.execute(select(Assessment.patient_id, Assessment.score, Assessment.version)
                             .filter_by(id=assessment_id)).one()
    events = db.session.execute(select(AuditEvent.actor_username, AuditEvent.channel, AuditEvent.changes)
                                .filter_by(entity_type="assessment", entity_id=assessment_id, action="update")
                                .order_by(AuditEvent.id)).all()
    return tuple(row), events


def _change(api, assessment, score: int):
    return [api.patch(url_of(assessment), json={"score": score}),
            api.put(url_of(assessment), json={"patient": assessment.patient_id, "type": assessment.type,
                                              "score": score, "qna_rounds": [{"question": "Q?", "answer": "A"}]}),
            api.post("/api/assessments/", json=assessment_data(assessment.patient_id, score=score))]


def created() -> int:
    """How many assessments are stored."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Assessment))


@pytest.mark.parametrize(("ending", "answer"), ENDINGS)
def test_a_sign_in_ended_answers_as_anywhere_else_and_changes_nothing(api, superuser, assessment, ending, answer):
    assert api.patch(url_of(assessment), json={"score": 51}).status_code == 200
    before, count = stored(assessment.id), created()
    ending(api, superuser)
    for response in _change(api, assessment, 52):
        assert (response.status_code, response.json) == (401, answer)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert (stored(assessment.id), created()) == (before, count)


@pytest.mark.parametrize(("header", "answer"), FAILING_HEADERS)
def test_a_token_that_fails_answers_as_anywhere_else_and_changes_nothing(api, assessment, header, answer):
    before, count = stored(assessment.id), created()
    sent = header(api)
    headers = {} if sent is None else {"Authorization": sent}
    for method in ("PATCH", "PUT"):
        response = api.client.open(url_of(assessment), method=method, json={"score": 52}, headers=headers)
        assert (response.status_code, response.json) == (401, answer), method
    response = api.client.post("/api/assessments/", json=assessment_data(assessment.patient_id), headers=headers)
    assert (response.status_code, response.json) == (401, answer)
    assert (stored(assessment.id), created()) == (before, count)


@pytest.mark.parametrize(("body", "kind", "refused"), [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b"score=52", "application/x-www-form-urlencoded", 415),
])
def test_a_sign_in_ended_is_a_401_before_a_bad_body_is_refused(api, superuser, assessment, body, kind, refused):
    """shared/API.md §1: an unauthenticated request is 401 even if its media type or body is wrong."""
    writes = (("PATCH", url_of(assessment)), ("POST", "/api/assessments/"))
    for method, url in writes:
        answer = api.request(method, url, data=body, headers={"Content-Type": kind})
        assert answer.status_code == refused, method
    log_out(api, superuser)
    for method, url in writes:
        answer = api.request(method, url, data=body, headers={"Content-Type": kind})
        assert (answer.status_code, answer.json) == (401, TOKEN_NOT_VALID), method


@pytest.mark.parametrize("patient", ["abc", None, 999999])
def test_a_sign_in_ended_is_a_401_whatever_patient_a_create_names(api, superuser, assessment, patient):
    """A create naming no patient by id, or none of the account's, cannot judge the sign-in in the
    patient's lock: it is judged the full way first."""
    answer = api.post("/api/assessments/", json=assessment_data(patient))
    assert (answer.status_code, answer.json) == (400, {"patient": [
        "This field may not be null." if patient is None else "Choose one of your patients."]})
    log_out(api, superuser)
    answer = api.post("/api/assessments/", json=assessment_data(patient))
    assert (answer.status_code, answer.json) == (401, TOKEN_NOT_VALID)


def test_an_expired_token_is_refused_at_its_expiry_and_changes_nothing(api, assessment):
    claims = jwt.decode(api.access, options={"verify_signature": False})
    with time_machine.travel(datetime.fromtimestamp(claims["exp"] - 1, UTC), tick=False) as clock:
        assert api.patch(url_of(assessment), json={"score": 51}).json["score"] == 51
        clock.shift(timedelta(seconds=1))
        answer = api.patch(url_of(assessment), json={"score": 52})
        assert (answer.status_code, answer.json) == (401, TOKEN_NOT_VALID)
    assert stored(assessment.id)[0][1] == 51


def test_an_update_honoured_is_written_once_with_the_tokens_account_as_its_actor(api, clinician, assessment):
    answer = api.patch(url_of(assessment), json={"score": 51})
    assert (answer.status_code, answer.json["score"], answer.headers["ETag"]) == (200, 51, '"2"')
    assert stored(assessment.id) == ((assessment.patient_id, 51, 2), [("alice", "api", {"score": [50, 51]})])
    assert db.session.scalar(select(AuditEvent.actor_id).filter_by(action="update")) == clinician.id


def test_an_update_may_move_the_assessment_to_another_of_the_accounts_patients(api, clinician, assessment):
    other = factories.make_patient(clinician, full_name="Other Patient", birthdate="1970-01-01")
    answer = api.patch(url_of(assessment), json={"patient": other.id})
    assert (answer.status_code, answer.json["patient"]) == (200, other.id)
    assert stored(assessment.id)[0] == (other.id, 50, 2)
    db.session.rollback()
    assert db.session.scalar(select(Patient.last_score).filter_by(id=other.id)) == 50


def test_another_accounts_patient_is_no_place_to_move_to(api, other_clinician, assessment):
    theirs = factories.make_patient(other_clinician, birthdate="1970-01-01")
    answer = api.patch(url_of(assessment), json={"patient": theirs.id, "score": 51})
    assert (answer.status_code, answer.json) == (400, {"patient": ["Choose one of your patients."]})
    assert stored(assessment.id)[0] == (assessment.patient_id, 50, 1)


def test_another_clinicians_assessment_or_none_is_not_found_and_unchanged(other_api, assessment):
    for url in (url_of(assessment), "/api/assessments/999999/"):
        for method in ("PATCH", "PUT"):
            answer = other_api.request(method, url, json={"score": 52})
            assert (answer.status_code, answer.json) == (404, NOT_FOUND), (method, url)
    assert stored(assessment.id) == ((assessment.patient_id, 50, 1), [])


def test_a_sign_in_ended_on_another_clinicians_assessment_is_still_a_401(other_api, superuser, assessment):
    log_out(other_api, superuser)
    answer = other_api.patch(url_of(assessment), json={"score": 52})
    assert (answer.status_code, answer.json) == (401, TOKEN_NOT_VALID)


def test_a_create_honoured_is_written_once_with_the_tokens_account_as_its_actor(api, clinician, assessment):
    count = created()
    answer = api.post("/api/assessments/", json=assessment_data(assessment.patient_id, score=77))
    assert (answer.status_code, answer.headers["ETag"]) == (201, '"1"')
    assert {key: answer.json[key] for key in ("patient", "type", "date", "score", "qna_rounds")} == {
        "patient": assessment.patient_id, "type": "Cognitive test", "date": "2024-01-15", "score": 77,
        "qna_rounds": [{"question": "How do you feel?", "answer": "Fine"}]}
    assert created() == count + 1
    event = db.session.execute(select(AuditEvent.actor_id, AuditEvent.actor_username, AuditEvent.channel)
                               .filter_by(action="create", entity_type="assessment", entity_id=answer.json["id"])).one()
    assert tuple(event) == (clinician.id, "alice", "api")
    assert api.get(f"/api/assessments/{answer.json['id']}/").json == answer.json


def test_a_create_for_another_accounts_patient_or_a_duplicate_writes_nothing(api, other_clinician, assessment):
    theirs = factories.make_patient(other_clinician, birthdate="1970-01-01")
    assert api.post("/api/assessments/", json=assessment_data(assessment.patient_id)).status_code == 201
    count = created()
    answer = api.post("/api/assessments/", json=assessment_data(theirs.id))
    assert (answer.status_code, answer.json) == (400, {"patient": ["Choose one of your patients."]})
    answer = api.post("/api/assessments/", json=assessment_data(assessment.patient_id))
    assert (answer.status_code, answer.json) == (400, {"non_field_errors": [
        "This patient already has an assessment of this type on this date."]})
    assert created() == count
