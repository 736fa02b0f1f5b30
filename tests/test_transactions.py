"""`transactions.atomic` is honest: a violated constraint is named, explained by the caller when it
means a rule (the right field, the right message), and otherwise logged and answered as a conflict
(API 409), never as "duplicate patient" or "username taken"."""
import logging

import pytest
from sqlalchemy.exc import IntegrityError

from healthpal.domain import assessments, transactions
from healthpal.domain.exceptions import Conflict
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, QARound, User
from tests import factories
from tests.api.support import Api
from tests.toolkit import count, errors_of


def violation(*rows) -> IntegrityError:
    """The IntegrityError the database raises for these rows (rolled back afterwards)."""
    db.session.add_all(rows)
    with pytest.raises(IntegrityError) as caught:
        db.session.flush()
    db.session.rollback()
    return caught.value


def test_every_constraint_is_named_on_this_database(clinician):
    patient = factories.make_patient(clinician)
    assessment = factories.make_assessment(patient)
    same_patient = {"clinician_id": clinician.id, "full_name": patient.full_name, "birthdate": patient.birthdate,
                    "gender": "f", "phone": "1", "address": "a"}
    cases = {
        "uq_patients_clinician_id_full_name_birthdate": [Patient(**same_patient)],
        "ck_patients_gender_m_or_f": [Patient(**{**same_patient, "full_name": "Other Name", "gender": "x"})],
        "uq_users_username_lower": [User(username=clinician.username.upper(), password_hash="x")],
        "uq_assessments_patient_id_date_type": [Assessment(patient_id=patient.id, type=assessment.type,
                                                           date=assessment.date, score=1)],
        "uq_qa_rounds_assessment_id_position": [QARound(assessment_id=assessment.id, position=0, question="New?",
                                                        answer="a")],
        "uq_qa_rounds_assessment_id_question_digest": [QARound(assessment_id=assessment.id, position=9,
                                                               question=assessment.rounds[0].question, answer="a")],
    }
    for name, rows in cases.items():
        assert transactions.constraint_name(violation(*rows)) == name


def test_an_explained_constraint_becomes_its_fields_message(clinician):
    def write():
        with transactions.atomic({"uq_users_username_lower": ("username", "Taken.")}):
            db.session.add(User(username=clinician.username.upper(), password_hash="x"))
            db.session.flush()

    assert errors_of(write) == {"username": ["Taken."]}


def test_an_unexplained_constraint_is_logged_and_a_conflict_not_a_rule(patient_with_assessment, caplog):
    """Rounds that clash on their position (no rule explains that) are not "a duplicate assessment"."""
    assessment = patient_with_assessment
    with (caplog.at_level(logging.ERROR, logger="healthpal.domain.transactions"), pytest.raises(Conflict),
          transactions.atomic(assessments.EXPLAINED)):
        db.session.add(QARound(assessment_id=assessment.id, position=0, question="Other?", answer="a"))
        db.session.flush()
    assert "uq_qa_rounds_assessment_id_position" in caplog.text
    assert count(QARound) == 1


@pytest.fixture
def patient_with_assessment(clinician):
    return factories.make_assessment(factories.make_patient(clinician))


def test_the_api_answers_an_unexplained_collision_with_409(client, clinician, patient_with_assessment, monkeypatch):
    """A round-position clash during a round replacement: 409 with a plain message, nothing changed."""
    assessment = patient_with_assessment
    rows = assessments._round_rows
    monkeypatch.setattr(assessments, "_round_rows", lambda *args: [{**row, "position": 0} for row in rows(*args)])
    api = Api(client, clinician)
    response = api.patch(f"/api/assessments/{assessment.id}/", json={"qna_rounds": [
        {"question": "One?", "answer": "a"}, {"question": "Two?", "answer": "b"}]})
    assert response.status_code == 409
    assert response.json == {"detail": transactions.CONFLICT}
    assert response.headers["Retry-After"] == "1"
    assert [r.question for r in db.session.get(Assessment, assessment.id).rounds] == ["How do you feel?"]


def test_a_nested_block_joins_the_outer_transaction(clinician):
    """Nothing commits until the outermost block ends; a failure after an inner block undoes it."""
    with pytest.raises(RuntimeError), transactions.atomic():
        factories.make_patient(clinician)
        raise RuntimeError("after the inner create")
    assert count(Patient) == 0


def test_a_committed_record_keeps_what_it_committed(clinician):
    """The caller's objects are not expired by the commit: reading them needs no new query."""
    patient = factories.make_patient(clinician)
    assert {"full_name", "version", "updated_at"} <= set(patient.__dict__)
