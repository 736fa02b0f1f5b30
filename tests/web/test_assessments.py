"""Assessments in the portal: the form with its question/answer rounds, the page, edit, delete."""
import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from healthpal.domain import assessments, rules
from healthpal.extensions import db
from healthpal.models import Assessment, QARound
from tests import factories
from tests.web.conftest import audit_rows, count, token_in


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
    page = alice.get(f"/patients/{patient.id}/assessments/new").get_data(as_text=True)
    assert '<label for="type">Type</label>' in page and 'list="assessment-types"' in page
    assert '<datalist id="assessment-types">' in page and '<option value="Mood check">' in page
    assert '<label for="date">Date</label>' in page and 'value="2025-02-03"' in page
    assert '<label for="score">Score</label>' in page
    assert page.count('name="question"') == 1 and page.count('name="answer"') == 1
    assert ">Question</label>" in page and ">Answer</label>" in page
    assert "Add question" in page and 'hx-get="/assessments/round"' in page and "Remove" in page


def test_add_question_returns_one_empty_labelled_pair(alice):
    response = alice.get("/assessments/round", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in page
    assert page.count('name="question"') == 1 and page.count('name="answer"') == 1
    key = re.search(r'id="round-(\w+)-question"', page).group(1)
    assert f'<label for="round-{key}-question">Question</label>' in page
    assert f'<label for="round-{key}-answer">Answer</label>' in page
    other = re.search(r'id="round-(\w+)-question"', alice.get("/assessments/round").get_data(as_text=True)).group(1)
    assert other != key  # every added pair has its own ids


def test_create_assessment_with_rounds_in_order(alice, clinician, patient):
    rounds = [("How do you feel?", "Fine"), ("Any pain?", "No"), ("Sleep?", "Six hours")]
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form(rounds))
    assert response.status_code == 302
    [assessment] = assessments.search(actor=clinician, via="portal").items
    assert response.headers["Location"] == f"/assessments/{assessment.id}"
    assert (assessment.type, assessment.date.isoformat(), assessment.score) == ("Cognitive test", "2024-03-01", 85)
    assert stored_rounds(assessment.id) == rounds
    page = alice.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cognitive test of 2024-03-01 was saved." in page
    assert re.findall(r'<p class="question">([^<]+)</p>', page) == [q for q, _ in rounds]
    [created] = audit_rows(action="create", entity_type="assessment")
    assert created.channel == "portal"


def test_errors_are_shown_per_field_and_per_round_and_nothing_is_saved(alice, patient):
    data = form([("How do you feel?", "Fine"), ("Any pain?", "  ")], type="Bad/type", score="101")
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert count(Assessment) == count(QARound) == 0
    assert re.search(r'<small id="type-error" class="field-error">Type must be', page)
    assert '<small id="score-error" class="field-error">Score must be between 0 and 100.</small>' in page
    assert '<small id="round-1-answer-error" class="field-error">This field may not be blank.</small>' in page
    assert 'id="round-0-answer-error"' not in page
    assert re.search(r'id="round-1-answer" name="answer"[^>]*aria-invalid="true"', page)
    assert "How do you feel?</textarea>" in page and "Any pain?</textarea>" in page  # input kept, in order
    assert 'value="Bad/type"' in page and 'value="101"' in page


def test_duplicate_questions_are_reported_for_the_whole_list(alice, patient):
    data = form([("Same?", "Yes"), ("Same?", "Again")])
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=data)
    assert response.status_code == 422
    assert escape('Each question may appear only once: "Same?".') in response.get_data(as_text=True)
    assert count(Assessment) == 0


def test_removing_every_round_is_refused(alice, patient):
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([]))
    assert response.status_code == 422
    assert "At least one question and answer round is required." in response.get_data(as_text=True)


def test_same_type_on_the_same_day_is_a_form_level_error(alice, patient):
    factories.make_assessment(patient, type="Cognitive test", date="2024-03-01")
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([("Q", "A")]))
    assert response.status_code == 422
    assert assessments.DUPLICATE in response.get_data(as_text=True)


def test_date_before_birth_is_refused_on_the_date_field(alice, patient):
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([("Q", "A")], date="1970-01-01"))
    expected = f'<small id="date-error" class="field-error">{escape(assessments.BEFORE_BIRTH)}'
    assert expected in response.get_data(as_text=True)


def test_blank_date_is_refused(alice, patient):
    response = alice.post(f"/patients/{patient.id}/assessments/new", data=form([("Q", "A")], date=""))
    assert rules.DATE_FORMAT in response.get_data(as_text=True)


def test_assessment_page_shows_rounds_in_order_with_edit_and_delete(alice, patient):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=61, qna_rounds=[
        {"question": "Zebra?", "answer": "Z"}, {"question": "Apple?", "answer": "A"}])
    page = alice.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "<h1>Mood check</h1>" in page and "<strong>61</strong>" in page and "Ann Able" in page
    assert re.findall(r'<p class="question">([^<]+)</p>', page) == ["Zebra?", "Apple?"]
    assert f'href="/assessments/{assessment.id}/edit"' in page
    assert f'href="/assessments/{assessment.id}/delete"' in page
    [read] = audit_rows(action="read", entity_type="assessment")
    assert read.channel == "portal" and read.entity_id == assessment.id


def test_edit_assessment_replaces_its_rounds(alice, patient):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05", qna_rounds=[
        {"question": "Old?", "answer": "Old"}])
    page = alice.get(f"/assessments/{assessment.id}/edit").get_data(as_text=True)
    assert 'value="Mood check"' in page and 'value="2024-01-05"' in page and "Old?</textarea>" in page
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
    page = alice.get(f"/assessments/{assessment.id}/delete").get_data(as_text=True)
    assert "Delete this assessment?" in page and "Mood check of 2024-01-05 for Ann Able" in page
    assert count(Assessment) == 1
    response = alice.post(f"/assessments/{assessment.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == f"/patients/{patient.id}"
    assert count(Assessment) == count(QARound) == 0
    assert "Mood check on 2024-01-05 was deleted." in alice.get(response.headers["Location"]).get_data(as_text=True)
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
    assert "Secret test" not in response.get_data(as_text=True)
    assert count(Assessment, Assessment.type == "Secret test") == 1


@pytest.mark.parametrize("path", ["/patients/{patient}/assessments/new", "/assessments/{assessment}/edit",
                                  "/assessments/{assessment}/delete"])
def test_assessment_forms_need_the_csrf_token(csrf_client, patient, path):
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-05")
    url = path.format(patient=patient.id, assessment=assessment.id)
    data = form([("Q", "A")])
    assert csrf_client.post(url, data=data).status_code == 400
    assert count(Assessment) == 1 and count(Assessment, Assessment.type == "Mood check") == 1
    data["csrf_token"] = token_in(csrf_client.get(url))
    assert csrf_client.post(url, data=data).status_code == 302
