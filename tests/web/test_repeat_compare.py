"""Repeating an assessment (same type and questions, a fresh sitting) and comparing two sittings."""
import re

from tests import factories
from tests.web.conftest import audit_rows


def question_fields(page: str) -> list[str]:
    return re.findall(r'<textarea id="round-[^"]+-question" name="question"[^>]*>([^<]*)</textarea>', page)


def answer_fields(page: str) -> list[str]:
    return re.findall(r'<textarea id="round-[^"]+-answer" name="answer"[^>]*>([^<]*)</textarea>', page)


def test_repeat_opens_a_new_form_with_the_same_type_and_questions_in_order(alice, clinician, frozen_clock):
    patient = factories.make_patient(clinician)
    assessment = factories.make_assessment(patient, type="Mood check", score=60, qna_rounds=[
        {"question": "Sleep?", "answer": "Badly"}, {"question": "Appetite?", "answer": "Good"},
        {"question": "Energy?", "answer": "Low"}])
    detail = alice.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert f'href="/assessments/{assessment.id}/repeat">Repeat this assessment</a>' in detail
    page = alice.get(f"/assessments/{assessment.id}/repeat").get_data(as_text=True)
    assert f'action="/patients/{patient.id}/assessments/new"' in page
    assert 'name="type" type="text" value="Mood check"' in page
    assert 'name="date" type="date" value="2026-06-15"' in page
    assert 'name="score" type="number" value=""' in page
    assert question_fields(page) == ["Sleep?", "Appetite?", "Energy?"]
    assert answer_fields(page) == ["", "", ""]


def test_another_clinicians_assessment_cannot_be_repeated(bob, clinician):
    assessment = factories.make_assessment(factories.make_patient(clinician))
    assert bob.get(f"/assessments/{assessment.id}/repeat").status_code == 404


def test_a_type_used_before_offers_its_last_questions(alice, clinician, other_clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Memory screen", date="2024-01-01",
                              qna_rounds=[{"question": "Old question", "answer": "x"}])
    factories.make_assessment(factories.make_patient(clinician), type="Memory screen", date="2024-05-01",
                              qna_rounds=[{"question": "Year?", "answer": "2024"},
                                          {"question": "Place?", "answer": "Here"}])
    factories.make_assessment(factories.make_patient(other_clinician), type="Memory screen", date="2024-06-01")
    form = alice.get(f"/patients/{patient.id}/assessments/new").get_data(as_text=True)
    assert 'hx-get="/assessments/questions-offer"' in form and 'id="questions-offer"' in form

    offer = alice.get("/assessments/questions-offer?type=Memory+screen", headers={"HX-Request": "true"})
    text = offer.get_data(as_text=True)
    assert "Use the questions from the last Memory screen</button>" in text
    assert "2 questions, from" in text and "2024-05-01" in text
    rounds = alice.get("/assessments/questions?type=Memory+screen", headers={"HX-Request": "true"})
    assert question_fields(rounds.get_data(as_text=True)) == ["Year?", "Place?"]
    assert answer_fields(rounds.get_data(as_text=True)) == ["", ""]


def test_a_type_never_used_offers_nothing(alice, clinician, other_clinician):
    factories.make_assessment(factories.make_patient(other_clinician), type="Memory screen")
    for kind in ("Memory+screen", "", "Memory"):
        offer = alice.get(f"/assessments/questions-offer?type={kind}", headers={"HX-Request": "true"})
        assert offer.status_code == 200 and "Use the questions" not in offer.get_data(as_text=True)


def test_the_edit_form_makes_no_offer(alice, clinician):
    assessment = factories.make_assessment(factories.make_patient(clinician))
    assert "questions-offer" not in alice.get(f"/assessments/{assessment.id}/edit").get_data(as_text=True)


def sittings(clinician):
    patient = factories.make_patient(clinician)
    earlier = factories.make_assessment(patient, type="Mood check", date="2024-01-10", score=40, qna_rounds=[
        {"question": "How do you sleep?", "answer": "Badly"}, {"question": "Appetite?", "answer": "Good"},
        {"question": "Any pain?", "answer": "No"}])
    later = factories.make_assessment(patient, type="Mood check", date="2024-02-10", score=55, qna_rounds=[
        {"question": "appetite?", "answer": "Good"}, {"question": "How  do you sleep?", "answer": "Better"},
        {"question": "Mood today?", "answer": "Fair"}])
    other = factories.make_assessment(patient, type="Memory screen", date="2024-02-10", score=90)
    return patient, earlier, later, other


def test_the_patient_page_offers_types_sat_twice_for_comparison(alice, clinician):
    patient, earlier, later, other = sittings(clinician)
    page = alice.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Compare two assessments" in page
    assert '<optgroup label="Mood check">' in page and '<optgroup label="Memory screen">' not in page


def test_two_sittings_side_by_side_questions_aligned_and_the_score_change(alice, clinician):
    patient, earlier, later, _ = sittings(clinician)
    page = alice.get(f"/patients/{patient.id}/compare?first={later.id}&second={earlier.id}").get_data(as_text=True)
    assert re.findall(r'<th scope="col">([^<]+)</th>', page) == ["Question", "2024-01-10", "2024-02-10"]
    rows = re.findall(r'<th scope="row" class="question">([^<]+)</th>'
                      r'\s*<td data-label="[^"]+" class="answer">([^<]+)</td>'
                      r'\s*<td data-label="[^"]+" class="answer">([^<]+)', page)
    assert [(q, a.strip(), b.strip()) for q, a, b in rows] == [
        ("How do you sleep?", "Badly", "Better"), ("Appetite?", "Good", "Good")]
    only = re.findall(r'<h3 id="only-\d">Asked only on ([^<]+)</h3>'
                      r'\s*<ol class="qna">\s*<li><p class="question">([^<]+)', page)
    assert only == [("2024-01-10", "Any pain?"), ("2024-02-10", "Mood today?")]
    assert "40 on 2024-01-10 → 55 on 2024-02-10" in page and "Up 15</strong>" in page
    assert {e.entity_id for e in audit_rows(action="read", entity_type="assessment")} == {earlier.id, later.id}


def test_a_lower_score_is_shown_going_down(alice, clinician):
    patient = factories.make_patient(clinician)
    first = factories.make_assessment(patient, type="Mood check", date="2024-01-10", score=70)
    second = factories.make_assessment(patient, type="Mood check", date="2024-03-10", score=62)
    page = alice.get(f"/patients/{patient.id}/compare?first={first.id}&second={second.id}").get_data(as_text=True)
    assert "Down 8</strong>" in page


def test_two_types_or_one_assessment_twice_are_refused_with_a_reason(alice, clinician):
    patient, earlier, _, other = sittings(clinician)
    mixed = alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={other.id}")
    assert mixed.status_code == 422 and "Choose two assessments of the same type." in mixed.get_data(as_text=True)
    twice = alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={earlier.id}")
    assert twice.status_code == 422 and "Choose two different assessments." in twice.get_data(as_text=True)
    half = alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second=")
    assert half.status_code == 422 and "Choose two assessments to compare." in half.get_data(as_text=True)
    assert audit_rows(action="read", entity_type="assessment") == []


def test_assessments_of_another_patient_or_clinician_cannot_be_compared(alice, bob, clinician):
    patient, earlier, later, _ = sittings(clinician)
    elsewhere = factories.make_assessment(factories.make_patient(clinician), type="Mood check")
    assert alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={elsewhere.id}").status_code == 404
    assert bob.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={later.id}").status_code == 404
