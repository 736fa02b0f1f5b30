"""API.md §4: assessments — the resource, CRUD, validation, filters, ordering and the audit trail."""
import pytest

from healthpal.domain import audit
from healthpal.models import Assessment, QARound
from tests import factories
from tests.api.support import assessment_data
from tests.toolkit import count

KEYS = ["id", "qna_rounds", "type", "date", "score", "patient", "created_at", "updated_at"]


@pytest.fixture
def patient(api):
    return factories.make_patient(api.user, birthdate="1980-05-17")


def events(assessment_id):
    return [(e.action, e.actor_id, e.channel, e.changes)
            for e in audit.events_for(entity_type="assessment", entity_id=assessment_id)]


def test_create_returns_the_resource_and_is_audited(api, patient):
    response = api.post("/api/assessments/", json=assessment_data(patient.id, score="85"))
    assert response.status_code == 201
    body = response.json
    assert list(body) == KEYS
    assert (body["patient"], body["score"], body["date"]) == (patient.id, 85, "2024-01-15")
    assert body["qna_rounds"] == [{"question": "How do you feel?", "answer": "Fine"}]
    assert body["created_at"].endswith("Z")
    [(action, actor, channel, changes)] = events(body["id"])
    assert (action, actor, channel) == ("create", api.user_id, "api")
    assert changes["score"] == [None, 85]
    assert changes["qna_rounds"] == [None, [["How do you feel?", "Fine"]]]


def test_date_defaults_to_today(api, patient, frozen_clock):
    data = assessment_data(patient.id)
    del data["date"]
    assert api.post("/api/assessments/", json=data).json["date"] == "2026-06-15"


def test_unicode_questions_and_answers_round_trip_unescaped(api, patient):
    rounds = [{"question": "Как вы себя чувствуете? 🙂", "answer": "«Très bien» — 很好 ✓"},
              {"question": "مرحبا", "answer": "¿Qué tal? ß ø ł"}]
    response = api.post("/api/assessments/", json=assessment_data(patient.id, qna_rounds=rounds))
    assert response.status_code == 201
    assert "Как вы себя чувствуете? 🙂".encode() in response.data
    assert b"\\u" not in response.data
    assert api.get(f"/api/assessments/{response.json['id']}/").json["qna_rounds"] == rounds


@pytest.mark.parametrize("score,expected", [(0, 0), (100, 100), ("85", 85), (" 7 ", 7), (85.0, 85)])
def test_scores_accepted_for_compatibility(api, patient, score, expected):
    assert api.post("/api/assessments/", json=assessment_data(patient.id, score=score)).json["score"] == expected


@pytest.mark.parametrize("field,value", [
    ("score", 50.5), ("score", "85.0"), ("score", "abc"), ("score", True), ("score", 101), ("score", -1),
    ("type", "Bad_type"), ("type", "x" * 65), ("type", "two  spaces"), ("date", "2024-1-15"), ("date", None),
    ("date", "2999-01-01"), ("date", "1970-01-01"), ("patient", "abc"), ("patient", 999999), ("patient", True),
    ("qna_rounds", []), ("qna_rounds", "text"), ("qna_rounds", [{"question": "q", "answer": "a"}] * 2),
    ("qna_rounds", [{"question": f"q{n}", "answer": "a"} for n in range(201)]),
])
def test_invalid_fields_are_400_keyed_by_field_and_nothing_is_saved(api, patient, field, value):
    response = api.post("/api/assessments/", json=assessment_data(patient.id, **{field: value}))
    assert response.status_code == 400
    assert list(response.json) == [field]
    assert (count(Assessment), count(QARound)) == (0, 0)


def test_round_errors_are_aligned_with_the_input(api, patient):
    rounds = [{"question": "Fine?", "answer": "Yes"}, {"question": "Why?", "answer": "  "}, {"answer": "x"},
              {"question": "q\x00", "answer": "a" * 10_001}]
    response = api.post("/api/assessments/", json=assessment_data(patient.id, qna_rounds=rounds))
    errors = response.json["qna_rounds"]
    assert errors[0] == {}
    assert errors[1] == {"answer": ["This field may not be blank."]}
    assert errors[2] == {"question": ["This field is required."]}
    assert set(errors[3]) == {"question", "answer"}


def test_another_clinicians_patient_is_refused_like_a_missing_one(api, patient, other_clinician):
    theirs = factories.make_patient(other_clinician)
    foreign = api.post("/api/assessments/", json=assessment_data(theirs.id))
    missing = api.post("/api/assessments/", json=assessment_data(theirs.id + 1000))
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json == missing.json
    assert list(foreign.json) == ["patient"]


def test_patient_date_and_type_are_unique_together(api, patient):
    assert api.post("/api/assessments/", json=assessment_data(patient.id)).status_code == 201
    again = api.post("/api/assessments/", json=assessment_data(patient.id, score=1))
    assert again.status_code == 400
    assert list(again.json) == ["non_field_errors"]
    assert (count(Assessment), count(QARound)) == (1, 1)


def test_get_one_is_audited_as_a_read(api, patient):
    assessment = factories.make_assessment(patient)
    assert api.get(f"/api/assessments/{assessment.id}/").json["id"] == assessment.id
    assert events(assessment.id)[-1] == ("read", api.user_id, "api", None)


def test_the_read_event_names_the_patient_and_another_clinicians_read_records_none(api, other_api, patient):
    factories.make_assessment(patient, type="Earlier")        # so that the assessment's id is not its patient's
    assessment = factories.make_assessment(patient)
    assert assessment.id != patient.id
    assert other_api.get(f"/api/assessments/{assessment.id}/").status_code == 404
    assert api.get(f"/api/assessments/{assessment.id}/").status_code == 200
    reads = audit.events_for(entity_type="assessment", entity_id=assessment.id)
    assert [(event.action, event.actor_id, event.patient_id) for event in reads if event.action == "read"] == [
        ("read", api.user_id, patient.id)]


def test_put_replaces_rounds_and_keeps_the_date_when_not_sent(api, patient):
    assessment = factories.make_assessment(patient, date="2024-03-03")
    data = assessment_data(patient.id, qna_rounds=[{"question": "New?", "answer": "Yes"}], score=10)
    del data["date"]
    response = api.put(f"/api/assessments/{assessment.id}/", json=data)
    assert response.status_code == 200
    assert (response.json["date"], response.json["score"]) == ("2024-03-03", 10)
    assert response.json["qna_rounds"] == [{"question": "New?", "answer": "Yes"}]
    assert (count(Assessment), count(QARound)) == (1, 1)
    action, actor, channel, changes = events(assessment.id)[-1]
    assert (action, actor, channel) == ("update", api.user_id, "api")
    assert set(changes) == {"score", "qna_rounds"}
    assert api.put(f"/api/assessments/{assessment.id}/", json={"score": 5}).status_code == 400


def test_patch_leaves_rounds_alone_unless_sent(api, patient):
    assessment = factories.make_assessment(patient, qna_rounds=[{"question": "A?", "answer": "1"},
                                                                {"question": "B?", "answer": "2"}])
    response = api.patch(f"/api/assessments/{assessment.id}/", json={"score": 99})
    assert response.json["score"] == 99
    assert [r["question"] for r in response.json["qna_rounds"]] == ["A?", "B?"]
    assert events(assessment.id)[-1][3] == {"score": [50, 99]}
    replaced = api.patch(f"/api/assessments/{assessment.id}/", json={"qna_rounds": [{"question": "C?", "answer": "3"}]})
    assert replaced.json["qna_rounds"] == [{"question": "C?", "answer": "3"}]


def test_patch_checks_rules_against_the_resulting_record(api, patient):
    assessment = factories.make_assessment(patient)
    response = api.patch(f"/api/assessments/{assessment.id}/", json={"date": "1979-01-01"})
    assert response.status_code == 400
    assert list(response.json) == ["date"]
    young = factories.make_patient(api.user, birthdate="2024-06-01")
    moved = api.patch(f"/api/assessments/{assessment.id}/", json={"patient": young.id})
    assert list(moved.json) == ["date"]


def test_a_failed_update_changes_nothing(api, patient):
    assessment = factories.make_assessment(patient, score=40)
    bad_rounds = [{"question": "Fine?", "answer": "x"}, {"question": "Fine?", "answer": "y"}]
    response = api.put(f"/api/assessments/{assessment.id}/", json=assessment_data(patient.id, qna_rounds=bad_rounds))
    assert response.status_code == 400
    body = api.get(f"/api/assessments/{assessment.id}/").json
    assert (body["score"], len(body["qna_rounds"])) == (40, 1)


def test_delete_removes_the_assessment_and_its_rounds(api, patient):
    assessment_id = factories.make_assessment(patient).id
    response = api.delete(f"/api/assessments/{assessment_id}/")
    assert response.status_code == 204
    assert (count(Assessment), count(QARound)) == (0, 0)
    assert events(assessment_id)[-1][:3] == ("delete", api.user_id, "api")


@pytest.fixture
def history(api, patient):
    other = factories.make_patient(api.user, full_name="Other Person")
    made = [
        factories.make_assessment(patient, type="Memory", date="2024-01-10", score=30),
        factories.make_assessment(patient, type="Mood", date="2024-02-10", score=90),
        factories.make_assessment(patient, type="Memory", date="2024-03-10", score=60),
        factories.make_assessment(other, type="Memory", date="2024-02-10", score=60),
    ]
    return [a.id for a in made], other.id


def ids(response):
    return [a["id"] for a in response.json["results"]]


@pytest.mark.parametrize("params,picked", [
    ("", [0, 1, 3, 2]), ("type=Memory", [0, 3, 2]), ("date=2024-02-10", [1, 3]), ("date_gte=2024-02-10", [1, 3, 2]),
    ("date_lte=2024-02-10", [0, 1, 3]), ("date_gte=2024-02-01&date_lte=2024-02-28&type=Memory", [3]),
    ("ordering=-score", [1, 3, 2, 0]), ("ordering=score", [0, 2, 3, 1]), ("ordering=type,-date", [2, 3, 0, 1]),
    ("ordering=-date", [2, 3, 1, 0]), ("ordering=bogus&unknown=1", [0, 1, 3, 2]),
])
def test_filters_and_ordering(api, history, params, picked):
    made, _ = history
    assert ids(api.get(f"/api/assessments/?{params}")) == [made[i] for i in picked]


def test_patient_filter(api, history, other_clinician):
    made, other_id = history
    assert ids(api.get(f"/api/assessments/?patient={other_id}")) == [made[3]]
    theirs = factories.make_patient(other_clinician)
    factories.make_assessment(theirs)
    assert api.get(f"/api/assessments/?patient={theirs.id}").json["count"] == 0


@pytest.mark.parametrize("params,error", [
    ("date=2024-1-1", {"date": ["Enter a valid date."]}), ("date_gte=x", {"date_gte": ["Enter a valid date."]}),
    ("date_lte=2024-02-30", {"date_lte": ["Enter a valid date."]}), ("patient=abc", {"patient": ["Enter a number."]}),
])
def test_invalid_filters_are_400(api, params, error):
    response = api.get(f"/api/assessments/?{params}")
    assert response.status_code == 400
    assert response.json == error
