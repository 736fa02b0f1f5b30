"""Racing writes to one patient or assessment, through the domain (PostgreSQL, threads each with their
own connection): they never mix, every caller gets back what it committed, the audit trail chains,
and an expected version lets exactly one racer through. Each fails if the row lock is taken away."""
import pytest

from healthpal.domain import assessments, channels, patients, users
from healthpal.domain.exceptions import NotFound, Stale
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.races import assert_unbroken_chain, slow_writes  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("slow_writes")]
API = channels.API
ORIGINAL = {"full_name": "John Doe", "gender": "m", "birthdate": "1980-05-17", "phone": "5551234567",
            "address": "ChIJN1t_tDeuEmsRUsoyG83frY4", "address_label": ""}
# Each body keeps some of the original values and changes others: a write that sends only the columns
# differing from a stale read would leave a mix of two bodies.
BODIES = [
    {**ORIGINAL, "full_name": "Ann Zero", "address": "Place0"},
    {**ORIGINAL, "phone": "111", "gender": "f"},
    {**ORIGINAL, "full_name": "Cy Two", "phone": "222", "birthdate": "1990-02-02"},
    {**ORIGINAL, "gender": "f", "birthdate": "1991-03-03", "address": "Place3"},
]


def values(patient: Patient) -> dict:
    return {name: getattr(patient, name) if name != "birthdate" else patient.birthdate.isoformat()
            for name in patients.FIELDS}


def rounds(assessment: Assessment) -> list:
    return [{"question": r.question, "answer": r.answer} for r in assessment.rounds]


@pytest.fixture
def patient(clinician):
    return factories.make_patient(clinician, **ORIGINAL)


@pytest.fixture
def assessment(patient):
    return factories.make_assessment(patient)


def as_clinician(clinician_id: int, write):
    """A call for a racing thread: the clinician loaded in that thread's own session."""
    return lambda: write(users.get(user_id=clinician_id))


def chained(entity_type: str, entity_id: int, fields) -> dict:
    """The values the record's unbroken audit chain leaves, for `fields`."""
    state = assert_unbroken_chain(entity_type, entity_id)
    return {name: state.get(name) for name in fields}


def test_racing_full_updates_leave_exactly_one_of_them_and_each_caller_sees_its_own(race, patient):
    clinician_id, patient_id = patient.clinician_id, patient.id
    results = race(*[as_clinician(clinician_id, lambda actor, body=body: values(patients.update(
        actor=actor, via=API, patient_id=patient_id, data=body))) for body in BODIES])
    assert results == BODIES                                   # each caller got what it committed
    stored = values(db.session.get(Patient, patient_id))
    assert stored in BODIES                                    # exactly one of them, not a mix
    assert chained("patient", patient_id, stored) == stored
    assert db.session.get(Patient, patient_id).version == 1 + len(BODIES)


def test_racing_patches_keep_every_change_in_one_chain(race, patient):
    """Each patch sets the phone and one field of its own: every own field survives, the phone is
    the last writer's, and each patch's audit event starts from the value the one before left."""
    clinician_id, patient_id = patient.clinician_id, patient.id
    own = [{"full_name": "Jo Doe"}, {"address": "Elsewhere"}, {"gender": "f"}, {"birthdate": "1990-01-01"}]
    changes = [{"phone": f"99{n}", **change} for n, change in enumerate(own)]
    race(*[as_clinician(clinician_id, lambda actor, change=change: patients.update(
        actor=actor, via=API, patient_id=patient_id, data=change, partial=True)) for change in changes])
    stored = values(db.session.get(Patient, patient_id))
    assert stored == {**ORIGINAL, **{k: v for change in own for k, v in change.items()}, "phone": stored["phone"]}
    assert stored["phone"] in {change["phone"] for change in changes}
    assert chained("patient", patient_id, stored) == stored


def test_racing_writers_expecting_one_version_let_exactly_one_through(race, patient):
    clinician_id, patient_id = patient.clinician_id, patient.id
    results = race(*[as_clinician(clinician_id, lambda actor, body=body: values(patients.update(
        actor=actor, via=API, patient_id=patient_id, data=body, expected=1))) for body in BODIES])
    winners = [result for result in results if isinstance(result, dict)]
    assert len(winners) == 1 and all(isinstance(r, Stale) for r in results if not isinstance(r, dict))
    assert values(db.session.get(Patient, patient_id)) == winners[0]


def test_racing_round_replacements_end_as_one_clients_list(race, assessment):
    clinician_id, assessment_id = assessment.patient.clinician_id, assessment.id
    lists = [[{"question": f"Q{n}?", "answer": f"A{n}"}, {"question": "How do you feel?", "answer": str(n)}]
             for n in range(4)]
    results = race(*[as_clinician(clinician_id, lambda actor, qna=qna: rounds(assessments.update(
        actor=actor, via=API, assessment_id=assessment_id, data={"qna_rounds": qna}, partial=True)))
        for qna in lists])
    assert results == lists                                    # no false "duplicate" message
    assert rounds(db.session.get(Assessment, assessment_id)) in lists
    assert_unbroken_chain("assessment", assessment_id)


def test_racing_round_replacements_expecting_one_version_let_one_through(race, assessment):
    clinician_id, assessment_id = assessment.patient.clinician_id, assessment.id
    lists = [[{"question": f"Q{n}?", "answer": "A"}] for n in range(4)]
    results = race(*[as_clinician(clinician_id, lambda actor, qna=qna: rounds(assessments.update(
        actor=actor, via=API, assessment_id=assessment_id, data={"qna_rounds": qna}, partial=True, expected=1)))
        for qna in lists])
    assert sorted(type(r).__name__ for r in results) == ["Stale", "Stale", "Stale", "list"]
    assert rounds(db.session.get(Assessment, assessment_id)) in results


def test_racing_deletes_delete_once(race, assessment):
    clinician_id, assessment_id = assessment.patient.clinician_id, assessment.id
    results = race(as_clinician(clinician_id, lambda actor: assessments.delete(
        actor=actor, via=API, assessment_id=assessment_id)))
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "NotFound", "NotFound", "NotFound"]
    assert_unbroken_chain("assessment", assessment_id)


def test_a_patient_deleted_while_its_assessment_changes_records_what_was_deleted(race, assessment):
    """The deletion's audit event holds the assessment as it last was, whichever write came first."""
    clinician_id, assessment_id, patient_id = assessment.patient.clinician_id, assessment.id, assessment.patient_id
    results = race(
        *[as_clinician(clinician_id, lambda actor, n=n: assessments.update(
            actor=actor, via=API, assessment_id=assessment_id, data={"score": n}, partial=True)) for n in (7, 8, 9)],
        as_clinician(clinician_id, lambda actor: patients.delete(actor=actor, via=API, patient_id=patient_id)),
    )
    assert results[-1] is None and all(isinstance(r, Assessment | NotFound) for r in results[:-1])
    assert db.session.get(Assessment, assessment_id) is None
    assert_unbroken_chain("assessment", assessment_id)
