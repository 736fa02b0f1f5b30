"""Assessments in the portal: the form with its question/answer rounds, the page, edit, delete."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from healthpal.domain import assessments, rules
from healthpal.extensions import db
from healthpal.models import Assessment, QARound
from tests import factories
from tests.markup import attr, csrf_token, errors_for, flashes, form_values, page_text, parse, text_of, texts
from tests.web.conftest import audit_rows, count


def form(rounds, **fields) -> MultiDict:
    """An assessment form post: the fields, then each round's question and answer in page order."""
    data = MultiDict({"type": "Cognitive test", "date": "2024-03-01", "score": "85", **fields})
    for question, answer in rounds:
        data.add("question", question)
        data.add("answer", answer)
    return data


def stored_rounds(assessment_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    stmt = select(QARound).where(QARound.assessment_id == assessment_id).order_by(QARound.position)
    return [(r.question, r.answer) for r in db.session.scalars(stmt)]


@pytest.fixture
def patient(clinician):
    return factories.make_patient(clinician, full_name="Ann Able", birthdate="1980-05-17")


def test_new_assessment_form_starts_with_today_and_one_round(alice, patient, frozen_clock):
    frozen_clock.at = datetime(2025, 2, 3, 12, tzinfo=UTC)
    factories.make_assessment(patient, type="Mood check")
    doc = parse(alice.get(f"/patients/{patient.id}/assessments/new"))
    assert text_of(doc, 'label[for="type"]') == "Type"
    suggestions = attr(doc, "#type", "list")
    assert [o.attributes["value"] for o in doc.css(f"datalist#{suggestions} option")] == ["Mood check"]
    assert text_of(doc, 'label[for="date"]') == "Date" and text_of(doc, 'label[for="score"]') == "Score"
    fields = form_values(doc, "form.assessment-form")
    assert fields["date"] == "2025-02-03"
    assert fields.getlist("question") == fields.getlist("answer") == [""]
    assert texts(doc, "#rounds label") == ["Question", "Answer"]
    assert text_of(doc, "#add-round") == "Add question" and attr(doc, "#add-round", "hx-get") == "/assessments/round"
    assert texts(doc, "#rounds button[data-remove-round]") == ["Remove"]


def test_add_question_returns_one_empty_labelled_pair(alice):
    response = alice.get("/assessments/round", headers={"HX-Request": "true"})
    doc = parse(response)
    assert response.status_code == 200 and doc.css_first("header") is None  # the pair alone, no layout
    [pair] = doc.css("fieldset.round")
    question, answer = pair.css("textarea")
    assert (question.attributes["name"], question.text()) == ("question", "")
    assert (answer.attributes["name"], answer.text()) == ("answer", "")
    assert text_of(pair, f'label[for="{question.id}"]') == "Question"
    assert text_of(pair, f'label[for="{answer.id}"]') == "Answer"
    other = attr(parse(alice.get("/assessments/round")), 'textarea[name="question"]', "id")
    assert other != question.id  # every added pair has its own ids


def test_create_assessment_with_rounds_in_order(alice, clinician, patient):
    rounds = [("How do you feel?", "Fine"), ("Any pain?", "No"), ("Sleep?", "Six hours")]
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form(rounds))
    assert response.status_code == 302
    [assessment] = assessments.search(actor=clinician, via="portal").items
    assert response.headers["Location"] == f"/assessments/{assessment.id}"
    assert (assessment.type, assessment.date.isoformat(), assessment.score) == ("Cognitive test", "2024-03-01", 85)
    assert stored_rounds(assessment.id) == rounds
    doc = parse(alice.get(response.headers["Location"]))
    assert "Cognitive test of 2024-03-01 was saved." in flashes(doc)
    assert texts(doc, "p.question") == [q for q, _ in rounds]
    [created] = audit_rows(action="create", entity_type="assessment")
    assert created.channel == "portal"


def test_errors_are_shown_per_field_and_per_round_and_nothing_is_saved(alice, patient):
    data = form([("How do you feel?", "Fine"), ("Any pain?", "  ")], type="Bad/type", score="101")
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=data)
    assert response.status_code == 422
    doc = parse(response)
    assert count(Assessment) == count(QARound) == 0
    [type_error] = errors_for(doc, "type")
    assert type_error.startswith("Type must be")
    assert errors_for(doc, "score") == ["Score must be between 0 and 100."]
    assert errors_for(doc, "round-1-answer") == ["This field may not be blank."]
    assert errors_for(doc, "round-0-answer") == []
    assert attr(doc, "#round-1-answer", "aria-invalid") == "true"
    kept = form_values(doc, "form.assessment-form")
    assert kept.getlist("question") == ["How do you feel?", "Any pain?"]  # input kept, in order
    assert (kept["type"], kept["score"]) == ("Bad/type", "101")


def test_duplicate_questions_are_reported_for_the_whole_list(alice, patient):
    data = form([("Same?", "Yes"), ("Same?", "Again")])
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=data)
    assert response.status_code == 422
    assert texts(parse(response), "#rounds-error") == ['Each question may appear only once: "Same?".']
    assert count(Assessment) == 0


def test_removing_every_round_is_refused(alice, patient):
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([]))
    assert response.status_code == 422
    assert texts(parse(response), "#rounds-error") == ["At least one question and answer round is required."]


def test_same_type_on_the_same_day_is_a_form_level_error(alice, patient):
    factories.make_assessment(patient, type="Cognitive test", date="2024-03-01")
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([("Q", "A")]))
    assert response.status_code == 422
    assert text_of(parse(response), '.form-error[role="alert"]') == assessments.DUPLICATE


def test_date_before_birth_is_refused_on_the_date_field(alice, patient):
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([("Q", "A")], date="1970-01-01"))
    assert errors_for(parse(response), "date") == [assessments.BEFORE_BIRTH]


def test_blank_date_is_refused(alice, patient):
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([("Q", "A")], date=""))
    assert errors_for(parse(response), "date") == [rules.DATE_FORMAT]


def test_assessment_page_shows_rounds_in_order_with_edit_and_delete(alice, patient):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=61, qna_rounds=[
        {"question": "Zebra?", "answer": "Z"}, {"question": "Apple?", "answer": "A"}])
    doc = parse(alice.get(f"/assessments/{assessment.id}"))
    assert text_of(doc, "h1") == "Mood check" and text_of(doc, "p.score") == "Score 61 / 100"
    assert text_of(doc, "hgroup p") == "2024-01-05 · Ann Able"
    assert texts(doc, "p.question") == ["Zebra?", "Apple?"]
    actions = {" ".join(a.text().split()): a.attributes["href"] for a in doc.css(".page-head .actions a")}
    assert actions["Edit"] == f"/assessments/{assessment.id}/edit"
    assert actions["Delete"] == f"/assessments/{assessment.id}/delete"
    [read] = audit_rows(action="read", entity_type="assessment")
    assert read.channel == "portal" and read.entity_id == assessment.id


def test_edit_assessment_replaces_its_rounds(alice, patient):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05", qna_rounds=[
        {"question": "Old?", "answer": "Old"}])
    shown = form_values(parse(alice.get(f"/assessments/{assessment.id}/edit")), "form.assessment-form")
    assert (shown["type"], shown["date"], shown.getlist("question")) == ("Mood check", "2024-01-05", ["Old?"])
    rounds = [("New one?", "Yes"), ("New two?", "No")]
    response = alice.post(f"/assessments/{assessment.id}/edit", data=form(rounds, type="Mood check", score="30"))
    assert response.status_code == 302 and response.headers["Location"] == f"/assessments/{assessment.id}"
    assert stored_rounds(assessment.id) == rounds
    [updated] = audit_rows(action="update", entity_type="assessment")
    assert updated.channel == "portal"


def test_invalid_edit_keeps_the_stored_assessment(alice, patient):
    assessment = factories.make_assessment(patient, qna_rounds=[{"question": "Old?", "answer": "Old"}])
    response = alice.post(f"/assessments/{assessment.id}/edit", data=form([("New?", "")]))
    assert response.status_code == 422
    assert stored_rounds(assessment.id) == [("Old?", "Old")]


def test_delete_assessment_asks_first(alice, patient):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05")
    page = page_text(parse(alice.get(f"/assessments/{assessment.id}/delete")))
    assert "Delete this assessment?" in page and "Mood check of 2024-01-05 for Ann Able" in page
    assert count(Assessment) == 1
    response = alice.post(f"/assessments/{assessment.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == f"/patients/{patient.id}"
    assert count(Assessment) == count(QARound) == 0
    assert "Mood check on 2024-01-05 was deleted." in flashes(parse(alice.get(response.headers["Location"])))
    [deleted] = audit_rows(action="delete", entity_type="assessment")
    assert deleted.channel == "portal"


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/assessments/{id}"),
    ("get", "/assessments/{id}/edit"),
    ("post", "/assessments/{id}/edit"),
    ("get", "/assessments/{id}/delete"),
    ("post", "/assessments/{id}/delete"),
])
def test_another_clinicians_assessment_is_not_found(bob, patient, method, path):
    assessment = factories.make_assessment(patient, type="Secret test")
    response = getattr(bob, method)(path.format(id=assessment.id), data=form([("Q", "A")]))
    assert response.status_code == 404
    assert "Secret test" not in response.get_data(as_text=True)  # nowhere, not even in a title or attribute
    assert count(Assessment, Assessment.type == "Secret test") == 1


@pytest.mark.parametrize("path", ["/patients/{patient}/assessments/new", "/assessments/{assessment}/edit",
                                  "/assessments/{assessment}/delete"])
def test_assessment_forms_need_the_csrf_token(csrf_client, patient, path):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05")
    url = path.format(patient=patient.id, assessment=assessment.id)
    data = form([("Q", "A")])
    assert csrf_client.post(url, data=data).status_code == 400
    assert count(Assessment) == 1 and count(Assessment, Assessment.type == "Mood check") == 1
    data["csrf_token"] = csrf_token(parse(csrf_client.get(url)))
    assert csrf_client.post(url, data=data).status_code == 302
