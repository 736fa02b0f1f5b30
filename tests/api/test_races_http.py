"""Racing PUT, PATCH and DELETE on one patient or assessment over real HTTP (a threaded server, PostgreSQL):
the record ends as exactly one request, every 2xx body shows what its own request committed, the
audit trail chains, If-Match lets one racer through and the others get 412, never a false message."""
import time

import pytest

from healthpal.api import serializers
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.api.support import assessment_data
from tests.races import PAUSE, assert_unbroken_chain, slow_writes  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("slow_writes")]
ORIGINAL = {"full_name": "John Doe", "gender": "m", "birthdate": "1980-05-17", "phone": "5551234567",
            "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}
BODIES = [
    {**ORIGINAL, "full_name": "Ann Zero", "address": "Place0"},
    {**ORIGINAL, "phone": "111", "gender": "f"},
    {**ORIGINAL, "full_name": "Cy Two", "phone": "222", "birthdate": "1990-02-02"},
    {**ORIGINAL, "gender": "f", "birthdate": "1991-03-03", "address": "Place3"},
]


@pytest.fixture
def slow_answers(monkeypatch):
    """Each answer is written a while after its request committed: long enough for every other racer
    to commit too, so a body re-read from the database would show their writes."""
    def later(serialize):
        def serialized(record):
            time.sleep(PAUSE * (len(BODIES) + 2))
            return serialize(record)
        return serialized

    for name in ("patient", "assessment"):
        monkeypatch.setattr(serializers, name, later(getattr(serializers, name)))


def fields(body: dict) -> dict:
    return {name: body[name] for name in ORIGINAL}


@pytest.mark.usefixtures("slow_answers")
def test_racing_puts_leave_one_of_them_and_each_answer_shows_its_own(race, http):
    patient = factories.make_patient(http.user, **ORIGINAL)
    path = f"/api/patients/{patient.id}/"
    responses = race(*[lambda body=body: http.put(path, json=body) for body in BODIES])
    assert [r.status_code for r in responses] == [200] * len(BODIES)
    assert [fields(r.json) for r in responses] == BODIES
    assert sorted(r.headers["ETag"] for r in responses) == ['"2"', '"3"', '"4"', '"5"']
    stored = db.session.get(Patient, patient.id)
    assert fields(serializers.patient(stored)) in BODIES
    chain = assert_unbroken_chain("patient", patient.id)
    assert {name: chain[name] for name in ORIGINAL} == fields(serializers.patient(stored))


def test_racing_patches_with_if_match_let_one_through_and_412_the_rest(race, http):
    patient = factories.make_patient(http.user, **ORIGINAL)
    path = f"/api/patients/{patient.id}/"
    responses = race(*[lambda n=n: http.patch(path, json={"phone": f"77{n}"}, headers={"If-Match": '"1"'})
                       for n in range(4)])
    assert sorted(r.status_code for r in responses) == [200, 412, 412, 412]
    [winner] = [r for r in responses if r.status_code == 200]
    assert db.session.get(Patient, patient.id).phone == winner.json["phone"]
    assert all(r.json == {"detail": "This record was changed since you read it. Fetch it again."}
               for r in responses if r.status_code == 412)


def test_racing_round_replacements_end_as_one_list_never_a_false_duplicate(race, http):
    patient = factories.make_patient(http.user, **ORIGINAL)
    assessment = factories.make_assessment(patient)
    path = f"/api/assessments/{assessment.id}/"
    lists = [[{"question": f"Q{n}?", "answer": "A"}, {"question": "Shared?", "answer": str(n)}] for n in range(4)]
    patient_id = patient.id        # read here: the threads must not share this test's session (or its connection)
    responses = race(*[lambda qna=qna: http.put(path, json=assessment_data(patient_id, date="2024-01-15",
                                                                           qna_rounds=qna)) for qna in lists])
    assert [(r.status_code, r.json["qna_rounds"]) for r in responses] == [(200, qna) for qna in lists]
    stored = db.session.get(Assessment, assessment.id)
    assert [{"question": r.question, "answer": r.answer} for r in stored.rounds] in lists
    assert_unbroken_chain("assessment", assessment.id)


def test_racing_round_replacements_with_if_match_let_one_through(race, http):
    assessment = factories.make_assessment(factories.make_patient(http.user, **ORIGINAL))
    path = f"/api/assessments/{assessment.id}/"
    responses = race(*[lambda n=n: http.patch(path, json={"qna_rounds": [{"question": f"Q{n}?", "answer": "A"}]},
                                              headers={"If-Match": '"1"'}) for n in range(4)])
    assert sorted(r.status_code for r in responses) == [200, 412, 412, 412]


def test_racing_delete_and_writes_on_one_assessment(race, http):
    """The delete wins once; a write before it is 200 (and the deletion's audit shows it), after it 404."""
    assessment_id = factories.make_assessment(factories.make_patient(http.user, **ORIGINAL)).id
    path = f"/api/assessments/{assessment_id}/"
    responses = race(
        lambda: http.delete(path), lambda: http.delete(path),
        lambda: http.patch(path, json={"score": 1}), lambda: http.patch(path, json={"score": 2}),
    )
    assert sorted(r.status_code for r in responses[:2]) == [204, 404]
    assert all(r.status_code in (200, 404) for r in responses[2:])
    assert db.session.get(Assessment, assessment_id) is None
    assert_unbroken_chain("assessment", assessment_id)


def test_a_patient_deleted_while_its_assessment_changes_ends_both_cleanly(race, http):
    """An update locks the patient before the assessment, as the patient's deletion does, the token's
    sign-in judged in that first lock: neither waits for the other (no deadlock, no 500). An update
    before the deletion is 200 and the deletion's audit shows it; after it, 404."""
    patient = factories.make_patient(http.user, **ORIGINAL)
    patient_id, assessment_id = patient.id, factories.make_assessment(patient).id
    path = f"/api/assessments/{assessment_id}/"
    responses = race(lambda: http.delete(f"/api/patients/{patient_id}/"),
                     *[lambda n=n: http.patch(path, json={"score": n}) for n in (7, 8, 9)])
    assert responses[0].status_code == 204
    assert all(r.status_code in (200, 404) for r in responses[1:]), [r.status_code for r in responses]
    assert db.session.get(Assessment, assessment_id) is None
    assert_unbroken_chain("assessment", assessment_id)
