"""Admin assessments: every clinician's, with their Q&A rounds edited inline, in order."""
from datetime import date

import pytest

from healthpal.domain import assessments, audit
from healthpal.extensions import db
from healthpal.models import Assessment
from tests import factories
from tests.admin.conftest import snapshot
from tests.markup import errors_for, flashes, form_values, parse, texts

ROUNDS = [("How do you feel?", "Fine"), ("¿Dormiste bien?", "Sí — ocho horas"), ("Any pain?", "No")]


def rounds_form(pairs, indices=None) -> dict:
    indices = indices or range(len(pairs))
    data = {}
    for index, (question, answer) in zip(indices, pairs, strict=True):
        data[f"rounds-{index}-question"] = question
        data[f"rounds-{index}-answer"] = answer
    return data


def assessment_form(for_patient, pairs=ROUNDS, **changes) -> dict:
    return {"patient": for_patient.id, "type": "Cognitive test", "date": "2024-03-01", "score": "85",
            **rounds_form(pairs), **changes}


def stored_rounds(assessment_id) -> list:
    db.session.expire_all()
    return [(r.question, r.answer) for r in db.session.get(Assessment, assessment_id).rounds]


@pytest.fixture
def patient(clinician):
    return factories.make_patient(clinician, birthdate="1980-05-17")


def test_create_an_assessment_with_rounds_in_order(admin, superuser, patient):
    response = admin.post("/admin/assessment/new/", data=assessment_form(patient))
    assert response.status_code == 302
    assessment = db.session.scalars(db.select(Assessment)).one()
    assert (assessment.patient_id, assessment.type, assessment.date.isoformat(), assessment.score) == (
        patient.id, "Cognitive test", "2024-03-01", 85)
    assert stored_rounds(assessment.id) == ROUNDS
    event = audit.events_for(entity_type="assessment", entity_id=assessment.id)[-1]
    assert (event.action, event.channel, event.actor_id) == ("create", "admin", superuser.id)
    assert event.patient_id == patient.id
    assert event.changes["qna_rounds"] == [None, [list(pair) for pair in ROUNDS]]


def test_rounds_keep_the_order_shown_even_with_gaps(admin, patient):
    """Rounds added in the browser get the next free index; removed ones leave gaps."""
    data = {**assessment_form(patient, pairs=[]), **rounds_form(ROUNDS, indices=[0, 2, 10])}
    assert admin.post("/admin/assessment/new/", data=data).status_code == 302
    assert stored_rounds(db.session.scalars(db.select(Assessment.id)).one()) == ROUNDS


def test_an_empty_date_means_today(admin, patient, frozen_clock):
    assert admin.post("/admin/assessment/new/", data=assessment_form(patient, date="")).status_code == 302
    assert db.session.scalars(db.select(Assessment)).one().date == date(2026, 6, 15)


def test_edit_shows_the_rounds_in_order_and_replaces_them(admin, patient):
    assessment = factories.make_assessment(patient, qna_rounds=[{"question": q, "answer": a} for q, a in ROUNDS])
    shown = form_values(parse(admin.get(f"/admin/assessment/edit/?id={assessment.id}")), "form.admin-form")
    assert [(shown[f"rounds-{n}-question"], shown[f"rounds-{n}-answer"]) for n in range(3)] == ROUNDS
    assert f"rounds-{len(ROUNDS)}-question" not in shown
    new_rounds = [ROUNDS[2], ("A new question?", "A new answer"), ROUNDS[0]]
    response = admin.post(f"/admin/assessment/edit/?id={assessment.id}", data=assessment_form(
        patient, pairs=new_rounds, date=assessment.date.isoformat(), score="70"))
    assert response.status_code == 302
    assert stored_rounds(assessment.id) == new_rounds
    event = audit.events_for(entity_type="assessment", entity_id=assessment.id)[-1]
    assert (event.action, event.channel) == ("update", "admin")
    assert event.changes["score"] == [50, 70]
    assert event.changes["qna_rounds"][1] == [list(pair) for pair in new_rounds]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"score": "101"}, "score", "Score must be between 0 and 100."),
    ({"score": "abc"}, "score", "Score must be a whole number."),
    ({"score": "50.5"}, "score", "Score must be a whole number."),
    ({"score": ""}, "score", "Score must be a whole number."),
    ({"type": "Cognitive_test!"}, "type", "Type must be up to 64 characters: words of letters (A-Z) and digits "
     "joined by a single space or hyphen."),
    ({"date": "2999-01-01"}, "date", "Assessment date cannot be in the future."),
    ({"date": "1970-01-01"}, "date", "Assessment date cannot be before the patient's birthdate."),
    ({"date": "01/03/2024"}, "date", "Date has wrong format. Use YYYY-MM-DD."),
    ({"patient": "999"}, "patient", "Choose one of your patients."),
    ({"patient": "__None"}, "patient", "This field is required."),
])
def test_a_refused_new_assessment_shows_why_and_changes_nothing(admin, patient, changes, field, message):
    before = snapshot()
    response = admin.post("/admin/assessment/new/", data=assessment_form(patient, **changes))
    assert response.status_code == 200
    assert message in errors_for(parse(response), field)
    assert snapshot() == before


def test_duplicate_questions_are_refused(admin, patient):
    before = snapshot()
    pairs = [("Same?", "One"), ("Other?", "Two"), ("Same?", "Three")]
    response = admin.post("/admin/assessment/new/", data=assessment_form(patient, pairs=pairs))
    assert response.status_code == 200
    assert 'Each question may appear only once: "Same?".' in flashes(parse(response))
    assert snapshot() == before


def test_a_blank_answer_is_shown_on_its_round(admin, patient):
    before = snapshot()
    pairs = [("First?", "Yes"), ("Second?", "   "), ("Third?", "No")]
    response = admin.post("/admin/assessment/new/", data=assessment_form(patient, pairs=pairs))
    assert response.status_code == 200
    page = parse(response)
    assert errors_for(page, "rounds-1-answer") == ["This field may not be blank."]
    assert errors_for(page, "rounds-0-answer") == errors_for(page, "rounds-2-answer") == []
    assert snapshot() == before


def test_an_assessment_needs_a_round(admin, patient):
    before = snapshot()
    response = admin.post("/admin/assessment/new/", data=assessment_form(patient, pairs=[]))
    assert response.status_code == 200
    page = parse(response)                         # the form always offers one round to fill in
    assert errors_for(page, "rounds-0-question") == errors_for(page, "rounds-0-answer") == [
        "This field is required."]
    assert snapshot() == before


def test_a_duplicate_assessment_is_refused(admin, patient):
    factories.make_assessment(patient, type="Cognitive test", date="2024-03-01")
    before = snapshot()
    response = admin.post("/admin/assessment/new/", data=assessment_form(patient))
    assert response.status_code == 200
    assert assessments.DUPLICATE in flashes(parse(response))
    assert snapshot() == before


def test_a_refused_edit_changes_nothing(admin, patient):
    assessment = factories.make_assessment(patient)
    before = snapshot()
    response = admin.post(f"/admin/assessment/edit/?id={assessment.id}",
                          data=assessment_form(patient, pairs=[("Q?", "A"), ("Q?", "B")], score="-1"))
    assert response.status_code == 200
    page = parse(response)
    assert errors_for(page, "score") == ["Score must be a whole number."]
    assert 'Each question may appear only once: "Q?".' in flashes(page)
    assert snapshot() == before


@pytest.fixture
def clinic(clinician, other_clinician):
    """Alice's patient Anna (a Cognitive test on 2024-01-10, a Mood check on 2024-02-20) and Bob's Boris
    (a Mood check on 2024-03-30)."""
    anna = factories.make_patient(clinician, full_name="Anna Alpha")
    boris = factories.make_patient(other_clinician, full_name="Boris Beta")
    made = {
        "anna-cognitive": factories.make_assessment(anna, type="Cognitive test", date="2024-01-10", score=11),
        "anna-mood": factories.make_assessment(anna, type="Mood check", date="2024-02-20", score=22),
        "boris-mood": factories.make_assessment(boris, type="Mood check", date="2024-03-30", score=33),
    }
    return {"anna": anna.id, "boris": boris.id, **{name: a.id for name, a in made.items()}}


def listed_ids(admin, query) -> set:
    response = admin.get(f"/admin/assessment/?{query}")
    assert response.status_code == 200
    return {int(box.attributes["value"]) for box in parse(response).css('table.model-list input.action-checkbox')}


@pytest.mark.parametrize(("query", "shown"), [
    ("", {"anna-cognitive", "anna-mood", "boris-mood"}),
    ("flt0_type_equals=Mood check", {"anna-mood", "boris-mood"}),
    ("flt0_type_contains=cogn", {"anna-cognitive"}),
    ("flt0_date_equals=2024-02-20", {"anna-mood"}),
    ("flt0_date_greater_than=2024-02-01", {"anna-mood", "boris-mood"}),
    ("flt0_date_smaller_than=2024-02-01", {"anna-cognitive"}),
    ("flt0_date_between=2024-02-01 to 2024-03-01", {"anna-mood"}),
    ("flt0_patient_name_contains=BORIS", {"boris-mood"}),
    ("flt0_clinician_username_is=alice", {"anna-cognitive", "anna-mood"}),
    ("flt0_clinician_username_is=alice&flt1_type_equals=Mood check", {"anna-mood"}),
])
def test_filter_assessments(admin, clinic, query, shown):
    assert listed_ids(admin, query) == {clinic[name] for name in shown}


def test_filter_by_patient_id(admin, clinic):
    assert listed_ids(admin, f"flt0_patient_id_equals={clinic['boris']}") == {clinic["boris-mood"]}


def test_details_show_the_rounds_in_order_and_are_an_audited_read(admin, superuser, patient):
    assessment = factories.make_assessment(patient, qna_rounds=[{"question": q, "answer": a} for q, a in ROUNDS])
    doc = parse(admin.get(f"/admin/assessment/details/?id={assessment.id}"))
    assert texts(doc, "table.searchable ol li strong") == [question for question, _ in ROUNDS]
    event = audit.events_for(entity_type="assessment", entity_id=assessment.id)[-1]
    assert (event.action, event.channel, event.actor_id) == ("read", "admin", superuser.id)


def test_delete_an_assessment(admin, patient):
    assessment_id = factories.make_assessment(patient).id
    assert admin.post("/admin/assessment/delete/", data={"id": assessment_id}).status_code == 302
    assert db.session.scalars(db.select(Assessment.id)).all() == []
    event = audit.events_for(entity_type="assessment", entity_id=assessment_id)[-1]
    assert (event.action, event.channel) == ("delete", "admin")
    assert assessments.search(actor=patient.clinician, via="api").total == 0


def test_rounds_are_shown_as_text_never_as_markup(admin, patient):
    assessment = factories.make_assessment(patient, qna_rounds=[
        {"question": "<script>alert('q')</script>", "answer": "<b>bold</b> & more"}])
    doc = parse(admin.get(f"/admin/assessment/details/?id={assessment.id}"))
    assert texts(doc, "table.searchable ol li") == ["<script>alert('q')</script><b>bold</b> & more"]
    assert doc.css("table.searchable ol script, table.searchable ol b") == []  # shown as text, not made elements
