"""Repeating an assessment (same type and questions, a fresh sitting) and comparing two sittings."""
from tests import factories
from tests.markup import attr, errors_for, form_values, one, parse, table_rows, text_of, texts
from tests.web.conftest import audit_rows


def rounds_in(doc) -> list[tuple[str, str]]:
    """The question/answer pairs the form's rounds hold, in page order."""
    return [(text_of(pair, 'textarea[name="question"]'), text_of(pair, 'textarea[name="answer"]'))
            for pair in doc.css("fieldset.round")]


def test_repeat_opens_a_new_form_with_the_same_type_and_questions_in_order(alice, clinician, frozen_clock):
    patient = factories.make_patient(clinician)
    assessment = factories.make_assessment(patient, type="Mood check", score=60, qna_rounds=[
        {"question": "Sleep?", "answer": "Badly"}, {"question": "Appetite?", "answer": "Good"},
        {"question": "Energy?", "answer": "Low"}])
    detail = parse(alice.get(f"/assessments/{assessment.id}"))
    assert text_of(detail, f'main a[href="/assessments/{assessment.id}/repeat"]') == "Repeat this assessment"
    doc = parse(alice.get(f"/assessments/{assessment.id}/repeat"))
    assert attr(doc, "form.assessment-form", "action") == f"/patients/{patient.id}/assessments/new"
    fields = form_values(doc, "form.assessment-form")
    assert (fields["type"], fields["date"], fields["score"]) == ("Mood check", "2026-06-15", "")
    assert rounds_in(doc) == [("Sleep?", ""), ("Appetite?", ""), ("Energy?", "")]


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
    form = parse(alice.get(f"/patients/{patient.id}/assessments/new"))
    assert attr(form, "#type", "hx-get") == "/assessments/questions-offer"
    assert attr(form, "#type", "hx-target") == "#questions-offer" and form.css_first("#questions-offer") is not None

    offer = parse(alice.get("/assessments/questions-offer?type=Memory+screen", headers={"HX-Request": "true"}))
    assert text_of(offer, "button") == "Use the questions from the last Memory screen"
    assert text_of(offer, ".hint").startswith("2 questions, from 2024-05-01;")
    rounds = alice.get("/assessments/questions?type=Memory+screen", headers={"HX-Request": "true"})
    assert rounds_in(parse(rounds)) == [("Year?", ""), ("Place?", "")]


def test_a_type_never_used_offers_nothing(alice, clinician, other_clinician):
    factories.make_assessment(factories.make_patient(other_clinician), type="Memory screen")
    for kind in ("Memory+screen", "", "Memory"):
        offer = alice.get(f"/assessments/questions-offer?type={kind}", headers={"HX-Request": "true"})
        assert offer.status_code == 200 and parse(offer).css("button") == []


def test_the_edit_form_makes_no_offer(alice, clinician):
    assessment = factories.make_assessment(factories.make_patient(clinician))
    form = parse(alice.get(f"/assessments/{assessment.id}/edit"))
    assert form.css("#questions-offer") == [] and "hx-get" not in one(form, "#type").attributes


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
    doc = parse(alice.get(f"/patients/{patient.id}"))
    assert text_of(doc, "#compare-title") == "Compare two assessments"
    for choice in ("#compare-first", "#compare-second"):
        assert [group.attributes["label"] for group in doc.css(f"{choice} optgroup")] == ["Mood check"]


def test_two_sittings_side_by_side_questions_aligned_and_the_score_change(alice, clinician):
    patient, earlier, later, _ = sittings(clinician)
    doc = parse(alice.get(f"/patients/{patient.id}/compare?first={later.id}&second={earlier.id}"))
    assert texts(doc, "table.compare thead th") == ["Question", "2024-01-10", "2024-02-10"]
    assert table_rows(doc, "table.compare") == [
        ["How do you sleep?", "Badly", "Better (changed)"], ["Appetite?", "Good", "Good"]]
    only = [(text_of(part, "h3"), texts(part, "ol.qna p.question")) for part in doc.css(".compare-unmatched section")]
    assert only == [("Asked only on 2024-01-10", ["Any pain?"]), ("Asked only on 2024-02-10", ["Mood today?"])]
    assert text_of(doc, ".compare-score .score-pair") == "40 on 2024-01-10 → 55 on 2024-02-10"
    assert text_of(doc, ".compare-score strong") == "▲ Up 15"
    assert {e.entity_id for e in audit_rows(action="read", entity_type="assessment")} == {earlier.id, later.id}


def test_a_lower_score_is_shown_going_down(alice, clinician):
    patient = factories.make_patient(clinician)
    first = factories.make_assessment(patient, type="Mood check", date="2024-01-10", score=70)
    second = factories.make_assessment(patient, type="Mood check", date="2024-03-10", score=62)
    doc = parse(alice.get(f"/patients/{patient.id}/compare?first={first.id}&second={second.id}"))
    assert text_of(doc, ".compare-score strong") == "▼ Down 8"


def test_two_types_or_one_assessment_twice_are_refused_with_a_reason(alice, clinician):
    patient, earlier, _, other = sittings(clinician)
    mixed = alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={other.id}")
    assert mixed.status_code == 422
    assert errors_for(parse(mixed), "compare-second") == ["Choose two assessments of the same type."]
    twice = alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={earlier.id}")
    assert twice.status_code == 422 and errors_for(parse(twice), "compare-second") == [
        "Choose two different assessments."]
    half = alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second=")
    assert half.status_code == 422 and errors_for(parse(half), "compare-second") == [
        "Choose two assessments to compare."]
    assert audit_rows(action="read", entity_type="assessment") == []


def test_assessments_of_another_patient_or_clinician_cannot_be_compared(alice, bob, clinician):
    patient, earlier, later, _ = sittings(clinician)
    elsewhere = factories.make_assessment(factories.make_patient(clinician), type="Mood check")
    assert alice.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={elsewhere.id}").status_code == 404
    assert bob.get(f"/patients/{patient.id}/compare?first={earlier.id}&second={later.id}").status_code == 404
