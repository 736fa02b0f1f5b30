"""The patient page: details, the assessment history and its score-trend charts."""
from tests import factories
from tests.markup import form_values, parse, table_rows, text_of, texts
from tests.toolkit import audit_rows


def test_patient_page_shows_details_and_age(alice, clinician, frozen_clock):
    patient = factories.make_patient(clinician, full_name="Ann Able", gender="f", birthdate="1980-05-17",
                                     phone="5550001111", address="ChIJ_place-1")
    doc = parse(alice.get(f"/patients/{patient.id}"))
    assert text_of(doc, "h1") == "Ann Able"
    assert "46 years old · Female" in text_of(doc, "hgroup")          # 1980-05-17 → 2026-06-15
    details = text_of(doc, "main")
    assert "1980-05-17" in details and "5550001111" in details and "ChIJ_place-1" in details
    assert text_of(doc, f'main a[href="/patients/{patient.id}/assessments/new"]') == "Add assessment"
    assert text_of(doc, ".empty p") == "No assessments yet."


def test_reading_the_patient_page_is_audited_as_a_portal_read(alice, clinician):
    patient = factories.make_patient(clinician)
    alice.get(f"/patients/{patient.id}")
    [read] = audit_rows(action="read", entity_type="patient")
    assert (read.entity_id, read.channel, read.actor_id) == (patient.id, "portal", clinician.id)


def test_history_lists_type_date_score_and_rounds_newest_first(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=40)
    factories.make_assessment(patient, type="Cognitive test", date="2024-03-01", score=85, qna_rounds=[
        {"question": "Q1", "answer": "A"}, {"question": "Q2", "answer": "B"}, {"question": "Q3", "answer": "C"}])
    doc = parse(alice.get(f"/patients/{patient.id}"))
    assert table_rows(doc, "table.history") == [["Cognitive test", "2024-03-01", "85", "3"],
                                                ["Mood check", "2024-01-05", "40", "1"]]
    assert [a.attributes["href"].startswith("/assessments/") for a in doc.css("table.history a")] == [True, True]


def test_history_filters_by_type(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05")
    factories.make_assessment(patient, type="Cognitive test", date="2024-03-01")
    doc = parse(alice.get(f"/patients/{patient.id}?type=Mood+check"))
    assert form_values(doc, f'form[action="/patients/{patient.id}"]')["type"] == "Mood check"
    assert texts(doc, "table.history a") == ["Mood check"]
    fragment = parse(alice.get(f"/patients/{patient.id}?type=Cognitive+test", headers={"HX-Request": "true"}))
    assert fragment.css_first("header") is None                   # the history alone, no layout
    assert texts(fragment, "table.history a") == ["Cognitive test"]
    everything = parse(alice.get(f"/patients/{patient.id}?type=Unknown"))
    assert texts(everything, "table.history a") == ["Cognitive test", "Mood check"]


def test_one_chart_per_type_with_a_point_and_tooltip_per_assessment(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=40)
    factories.make_assessment(patient, type="Mood check", date="2024-02-05", score=55)
    factories.make_assessment(patient, type="Mood check", date="2024-03-05", score=70)
    factories.make_assessment(patient, type="PHQ-9", date="2024-02-10", score=12)
    mood, phq = parse(alice.get(f"/patients/{patient.id}")).css("figure.chart")
    assert text_of(mood, "figcaption") == "Mood check" and text_of(phq, "figcaption") == "PHQ-9"
    assert texts(mood, "circle title") == ["2024-01-05: score 40", "2024-02-05: score 55", "2024-03-05: score 70"]
    assert texts(mood, "text.axis-title") == ["Date", "Score"]
    scores = mood.css("g.grid-lines text.tick")
    assert sorted(int(tick.text()) for tick in scores) == [0, 25, 50, 75, 100]
    assert {(tick.attributes["fill"], tick.attributes["font-size"]) for tick in mood.css("text.tick")} == {
        ("#3d4653", "14")}                                          # dark and large enough to print
    dates = texts(mood, "svg > text.tick")
    assert dates[0] == "2024-01-05" and dates[-1] == "2024-03-05"
    assert mood.css_first("polyline") is not None
    assert texts(phq, "circle title") == ["2024-02-10: score 12"]
    assert phq.css_first("polyline") is None  # one point: nothing to join
    for chart in (mood, phq):                 # each has its own grid, axes and axis titles
        assert texts(chart, "g.grid-lines text.tick") == ["0", "25", "50", "75", "100"]
        assert len(chart.css("svg > line.axis")) == 2 and texts(chart, "text.axis-title") == ["Date", "Score"]


def test_chart_points_rise_with_the_score_and_move_right_with_the_date(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=10)
    factories.make_assessment(patient, type="Mood check", date="2024-01-25", score=90)
    points = parse(alice.get(f"/patients/{patient.id}")).css("figure.chart circle")
    (x1, y1), (x2, y2) = [(float(p.attributes["cx"]), float(p.attributes["cy"])) for p in points]
    assert x2 > x1 and y2 < y1  # SVG y grows downwards
