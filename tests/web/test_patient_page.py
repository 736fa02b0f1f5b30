"""The patient page: details, the assessment history and its score-trend charts."""
import re

from tests import factories
from tests.web.conftest import audit_rows


def test_patient_page_shows_details_and_age(alice, clinician, frozen_clock):
    patient = factories.make_patient(clinician, full_name="Ann Able", gender="f", birthdate="1980-05-17",
                                     phone="5550001111", address="ChIJ_place-1")
    page = alice.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "<h1>Ann Able</h1>" in page
    assert "46 years old · Female" in page                 # 1980-05-17 → 2026-06-15
    assert "1980-05-17" in page and "5550001111" in page and "ChIJ_place-1" in page
    assert f'href="/patients/{patient.id}/assessments/new"' in page and "Add assessment" in page
    assert "No assessments yet." in page


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
    page = alice.get(f"/patients/{patient.id}").get_data(as_text=True)
    rows = re.findall(r'data-label="Type"><a href="/assessments/\d+">([^<]+)</a></th>\s*'
                      r'<td data-label="Date"><time[^>]*>([^<]+)</time></td>\s*'
                      r'<td data-label="Score">(\d+)</td>\s*<td data-label="Rounds">(\d+)</td>', page)
    assert rows == [("Cognitive test", "2024-03-01", "85", "3"), ("Mood check", "2024-01-05", "40", "1")]


def test_history_filters_by_type(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05")
    factories.make_assessment(patient, type="Cognitive test", date="2024-03-01")
    page = alice.get(f"/patients/{patient.id}?type=Mood+check").get_data(as_text=True)
    assert '<option value="Mood check" selected>' in page
    assert ">Mood check</a>" in page and ">Cognitive test</a>" not in page
    fragment = alice.get(f"/patients/{patient.id}?type=Cognitive+test", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert ">Cognitive test</a>" in fragment.get_data(as_text=True)
    everything = alice.get(f"/patients/{patient.id}?type=Unknown").get_data(as_text=True)
    assert ">Mood check</a>" in everything and ">Cognitive test</a>" in everything


def test_one_chart_per_type_with_a_point_and_tooltip_per_assessment(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=40)
    factories.make_assessment(patient, type="Mood check", date="2024-02-05", score=55)
    factories.make_assessment(patient, type="Mood check", date="2024-03-05", score=70)
    factories.make_assessment(patient, type="PHQ-9", date="2024-02-10", score=12)
    page = alice.get(f"/patients/{patient.id}").get_data(as_text=True)
    charts = re.findall(r'<figure class="chart">.*?</figure>', page, re.S)
    assert len(charts) == 2
    mood, phq = charts
    assert "<figcaption" in mood and "Mood check</figcaption>" in mood
    assert re.findall(r"<circle[^>]*>\s*<title>([^<]+)</title>", mood) == [
        "2024-01-05: score 40", "2024-02-05: score 55", "2024-03-05: score 70"]
    assert ">Date</text>" in mood and ">Score</text>" in mood
    for tick in ("0", "25", "50", "75", "100"):
        assert f'class="tick" fill="#3d4653" font-size="14">{tick}</text>' in mood
    assert ">2024-01-05</text>" in mood and ">2024-03-05</text>" in mood
    assert "<polyline" in mood
    assert re.findall(r"<title>([^<]+)</title>\s*</circle>", phq) == ["2024-02-10: score 12"]
    assert "<polyline" not in phq  # one point: nothing to join


def test_chart_points_rise_with_the_score_and_move_right_with_the_date(alice, clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, type="Mood check", date="2024-01-05", score=10)
    factories.make_assessment(patient, type="Mood check", date="2024-01-25", score=90)
    page = alice.get(f"/patients/{patient.id}").get_data(as_text=True)
    (x1, y1), (x2, y2) = [(float(x), float(y)) for x, y in re.findall(r'<circle[^>]*cx="([\d.]+)" cy="([\d.]+)"', page)]
    assert x2 > x1 and y2 < y1  # SVG y grows downwards
