"""Each patient's last assessment date and score, kept by the domain on every assessment write,
and the list's sorts and "not assessed lately" filter built on them."""
from datetime import date

import pytest

from healthpal.domain import assessments, channels, patients, users
from healthpal.extensions import db
from healthpal.models import Patient
from tests import factories

VIA = channels.PORTAL


def last(patient) -> tuple:
    row = db.session.get(Patient, patient.id)
    db.session.refresh(row)
    return row.last_assessed_on, row.last_score


def names(page) -> list[str]:
    return [p.full_name for p in page.items]


def test_create_update_and_delete_keep_the_latest_date_and_score(clinician):
    patient = factories.make_patient(clinician)
    assert last(patient) == (None, None)
    march = factories.make_assessment(patient, type="Mood", date="2024-03-01", score=40)
    assert last(patient) == (date(2024, 3, 1), 40)
    january = factories.make_assessment(patient, type="Mood", date="2024-01-01", score=90)
    assert last(patient) == (date(2024, 3, 1), 40)                      # an older one changes nothing
    same_day = factories.make_assessment(patient, type="Sleep", date="2024-03-01", score=70)
    assert last(patient) == (date(2024, 3, 1), 70)                      # same date: the later one
    assessments.update(actor=clinician, via=VIA, assessment_id=january.id, data={"date": "2024-05-01"},
                       partial=True)
    assert last(patient) == (date(2024, 5, 1), 90)
    assessments.update(actor=clinician, via=VIA, assessment_id=january.id, data={"score": 12}, partial=True)
    assert last(patient) == (date(2024, 5, 1), 12)
    for gone, expected in ((january, (date(2024, 3, 1), 70)), (same_day, (date(2024, 3, 1), 40)),
                           (march, (None, None))):
        assessments.delete(actor=clinician, via=VIA, assessment_id=gone.id)
        assert last(patient) == expected


def test_moving_an_assessment_to_another_patient_updates_both(clinician, superuser):
    first, second = factories.make_patient(clinician), factories.make_patient(clinician)
    moved = factories.make_assessment(first, date="2024-03-01", score=40)
    assessments.update(actor=superuser, via=channels.ADMIN, assessment_id=moved.id,
                       data={"patient": second.id}, partial=True)
    assert last(first) == (None, None)
    assert last(second) == (date(2024, 3, 1), 40)


def test_an_assessment_write_leaves_the_patients_own_updated_at(clinician):
    patient = factories.make_patient(clinician)
    db.session.expire_all()
    before = db.session.get(Patient, patient.id).updated_at, db.session.get(Patient, patient.id).version
    factories.make_assessment(patient)
    db.session.expire_all()
    row = db.session.get(Patient, patient.id)
    assert row.last_assessed_on is not None and (row.updated_at, row.version) == before


@pytest.fixture
def seen(clinician, frozen_clock):
    """Patients last assessed 10, 100 and 400 days before 2026-06-15, and one never."""
    made = {}
    for name, day, score in (("Ann Recent", "2026-06-05", 50), ("Bea Spring", "2026-03-07", 80),
                             ("Cy Lastyear", "2025-05-11", 20), ("Dee Never", None, None)):
        made[name] = factories.make_patient(clinician, full_name=name)
        if day:
            factories.make_assessment(made[name], date=day, score=score)
    return made


@pytest.mark.parametrize(("days", "expected"), [
    (30, ["Bea Spring", "Cy Lastyear", "Dee Never"]), (90, ["Bea Spring", "Cy Lastyear", "Dee Never"]),
    (180, ["Cy Lastyear", "Dee Never"]), (365, ["Cy Lastyear", "Dee Never"]),
])
def test_not_assessed_in_the_last_days(clinician, seen, days, expected):
    assert names(patients.search(actor=clinician, via=VIA, not_assessed_days=days)) == expected


def test_assessed_exactly_30_days_ago_is_within_the_last_30_days(clinician, frozen_clock):
    for name, day in (("Ann Thirty", "2026-05-16"), ("Bea Thirtyone", "2026-05-15")):
        factories.make_assessment(factories.make_patient(clinician, full_name=name), date=day)
    assert names(patients.search(actor=clinician, via=VIA, not_assessed_days=30)) == ["Bea Thirtyone"]


@pytest.mark.parametrize(("ordering", "expected"), [
    ("last_assessed_on", ["Dee Never", "Cy Lastyear", "Bea Spring", "Ann Recent"]),
    ("-last_assessed_on", ["Ann Recent", "Bea Spring", "Cy Lastyear", "Dee Never"]),
    ("last_score", ["Dee Never", "Cy Lastyear", "Ann Recent", "Bea Spring"]),
    ("-last_score", ["Bea Spring", "Ann Recent", "Cy Lastyear", "Dee Never"]),
])
def test_sort_by_last_assessment_and_latest_score_with_never_assessed_lowest(clinician, seen, ordering, expected):
    assert names(patients.search(actor=clinician, via=VIA, ordering=ordering)) == expected


def test_simultaneous_assessments_of_one_patient_leave_the_latest(clinician, race):
    """Each write locks the patient's row first, so the last to commit sees the others' rows."""
    patient = factories.make_patient(clinician)
    patient_id, clinician_id = patient.id, clinician.id
    days = iter(["2024-01-01", "2024-03-01", "2024-02-01", "2024-04-01"])

    def write():
        return assessments.create(actor=users.get(user_id=clinician_id), via=VIA, data={
            "patient": patient_id, "type": "Mood", "date": next(days), "score": 10,
            "qna_rounds": [{"question": "How?", "answer": "Fine"}]})

    results = race(write)
    assert all(not isinstance(result, Exception) for result in results), results
    assert last(patient) == (date(2024, 4, 1), 10)
