"""Printouts, repeating and comparing assessments, in a real browser on a phone and a desktop.

The printouts are printed to PDF by Chromium (`page.pdf`, as "Save as PDF" would) and read back
with pypdf: what is on paper, page by page."""
import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from healthpal.domain import clock
from tests import factories
from tests.toolkit import browser_sign_in

pytestmark = pytest.mark.browser


def printed_pages(page) -> list[str]:
    """The text of each sheet of paper the page prints to (A4), spaces normalised."""
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return [" ".join(sheet.extract_text().split()) for sheet in reader.pages]


@pytest.fixture
def clinic(live, monkeypatch):
    monkeypatch.setitem(live.app.config, "HEALTHPAL_CLINIC_NAME", "Lakeside Clinic")


def test_the_patient_summary_prints_with_clinic_date_history_and_charts(page, clinician, clinic):
    patient = factories.make_patient(clinician, full_name="Zoë Müller", phone="5550199")
    for n in range(45):   # enough rows for the table to run over several sheets
        factories.make_assessment(patient, type="Mood check", date=f"20{10 + n // 12}-{n % 12 + 1:02d}-15",
                                  score=40 + n)
    browser_sign_in(page, "alice")
    page.goto(f"/patients/{patient.id}")
    page.get_by_role("button", name="Print").click()
    expect(page.get_by_role("heading", name="Zoë Müller")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()          # on screen only

    sheets = printed_pages(page)
    assert len(sheets) > 1
    text = " ".join(sheets)
    assert sheets[0].startswith(f"Lakeside Clinic Printed {clock.today().isoformat()}")
    assert "Zoë Müller" in text and "5550199" in text and "Mood check score over time" not in text
    assert "Score" in text and "Date" in text                                  # the chart's axes
    assert "Print" not in text.replace("Printed", "") and "Back to" not in text and "Sign out" not in text
    for n in range(45):   # every row whole on one sheet: its date and score side by side
        row = f"Mood check 20{10 + n // 12}-{n % 12 + 1:02d}-15 {40 + n} 1"
        assert sum(row in sheet for sheet in sheets) == 1, row


def test_an_assessment_prints_with_every_round(page, clinician, clinic):
    patient = factories.make_patient(clinician, full_name="Zoë Müller")
    rounds = [{"question": f"Question {n}: how was it this month?", "answer": f"Answer {n}. " + "Quite well. " * 25}
              for n in range(1, 31)]
    assessment = factories.make_assessment(patient, type="Memory screen", score=77, qna_rounds=rounds)
    browser_sign_in(page, "alice")
    page.goto(f"/assessments/{assessment.id}")
    page.get_by_role("button", name="Print").click()
    expect(page.get_by_role("heading", name="Memory screen")).to_be_visible()

    sheets = printed_pages(page)
    assert len(sheets) > 1 and sheets[0].startswith("Lakeside Clinic Printed")
    assert "Score 77 / 100" in sheets[0] and "Zoë Müller" in sheets[0]
    for n in range(1, 31):   # each question on the same sheet as its whole answer
        whole = f"Question {n}: how was it this month? Answer {n}. " + " ".join(["Quite well."] * 25)
        assert sum(whole in sheet for sheet in sheets) == 1, n


def test_repeat_an_assessment_and_reuse_the_last_questions_of_a_type(page, clinician):
    patient = factories.make_patient(clinician, full_name="Zoë Müller")
    assessment = factories.make_assessment(patient, type="Mood check", date="2024-01-10", score=40, qna_rounds=[
        {"question": "Sleep?", "answer": "Badly"}, {"question": "Appetite?", "answer": "Good"}])
    browser_sign_in(page, "alice")
    page.goto(f"/assessments/{assessment.id}")
    page.get_by_role("button", name="Repeat this assessment").click()
    questions, answers = page.get_by_label("Question", exact=True), page.get_by_label("Answer", exact=True)
    expect(page.get_by_label("Type")).to_have_value("Mood check")
    expect(page.get_by_label("Date")).to_have_value(clock.today().isoformat())
    expect(page.get_by_label("Score")).to_have_value("")
    expect(questions).to_have_text(["Sleep?", "Appetite?"])
    expect(answers).to_have_text(["", ""])
    answers.nth(0).fill("Better")
    answers.nth(1).fill("Good")
    page.get_by_label("Score").fill("55")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text(f"Mood check of {clock.today().isoformat()} was saved.")).to_be_visible()

    # Another patient: typing the type offers the questions, which replace the blank pair in place.
    other = factories.make_patient(clinician, full_name="Otto Brandt")
    page.goto(f"/patients/{other.id}/assessments/new")
    url = page.url
    page.get_by_label("Type").press_sequentially("Mood check", delay=20)
    page.get_by_role("button", name="Use the questions from the last Mood check").click()
    expect(questions).to_have_text(["Sleep?", "Appetite?"])
    expect(answers).to_have_text(["", ""])
    expect(questions.first).to_be_focused()
    assert page.url == url


def test_compare_two_sittings_side_by_side_or_stacked_on_a_phone(page, clinician):
    patient = factories.make_patient(clinician, full_name="Zoë Müller")
    factories.make_assessment(patient, type="Mood check", date="2024-01-10", score=60, qna_rounds=[
        {"question": "Sleep?", "answer": "Well"}, {"question": "Any pain?", "answer": "No"}])
    factories.make_assessment(patient, type="Mood check", date="2024-02-10", score=48, qna_rounds=[
        {"question": "Sleep?", "answer": "Badly"}, {"question": "Mood today?", "answer": "Low"}])
    browser_sign_in(page, "alice")
    page.goto(f"/patients/{patient.id}")
    page.get_by_label("First assessment").select_option(label="Mood check, 2024-01-10 (score 60)")
    page.get_by_label("Second assessment").select_option(label="Mood check, 2024-02-10 (score 48)")
    page.get_by_role("button", name="Compare").click()

    expect(page.get_by_role("heading", name="Mood check: two sittings compared")).to_be_visible()
    expect(page.locator(".compare-score")).to_contain_text("60 on 2024-01-10 → 48 on 2024-02-10")
    expect(page.locator(".compare-score .change")).to_have_text("▼ Down 12")
    row = page.locator("table.compare tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text(["Well", "Badly (changed)"])
    earlier = page.get_by_role("region", name="Asked only on 2024-01-10")
    later = page.get_by_role("region", name="Asked only on 2024-02-10")
    expect(earlier).to_contain_text("Any pain?")
    expect(later).to_contain_text("Mood today?")

    first, second = earlier.bounding_box(), later.bounding_box()
    well, badly = row.locator("td").nth(0).bounding_box(), row.locator("td").nth(1).bounding_box()
    if page.viewport_size["width"] < 640:            # a phone: one column, nothing wider than the screen
        assert second["y"] >= first["y"] + first["height"]
        assert badly["y"] >= well["y"] + well["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    else:                                            # a desktop: side by side
        assert second["y"] == first["y"] and second["x"] > first["x"]
        assert badly["y"] == well["y"] and badly["x"] > well["x"]
