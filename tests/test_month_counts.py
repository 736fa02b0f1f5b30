"""A filtered assessment list's exact `count` (type and dates) sums each clinician's month counts
(`assessment_month_counts`, kept by triggers) for the months wholly inside the range, and counts the
edge months' own rows. Each test compares the API's `count` for many filters (month edges, Feb 29,
open either side, spanning years, a type with no rows, an empty range) with a real count of the
rows, after every kind of write that adds, removes or moves an assessment: the API's creates,
deletes and edits of date or type, a move to another patient or clinician, a patient's deletion, a
clinician's deletion, bulk SQL past the domain."""
from datetime import date
from urllib.parse import urlencode

import pytest
from sqlalchemy import Date, bindparam, select, text

from healthpal.domain import assessments, channels, patients, users
from healthpal.extensions import db
from healthpal.models import Assessment, AssessmentMonthCount
from tests import factories
from tests.api.support import Api
from tests.toolkit import count

API, ADMIN = channels.API, channels.ADMIN
ROUNDS = [{"question": "How do you feel?", "answer": "Fine"}]

DAYS = ["2022-06-15", "2023-12-31", "2024-01-01", "2024-01-31", "2024-02-01", "2024-02-15", "2024-02-29",
        "2024-03-01", "2024-03-31", "2024-04-01", "2025-01-01", "2025-03-10"]
FILTERS = [
    {"type": "Mood"},
    {"type": "Nothing recorded"},
    {"date_gte": "2024-02-01"},
    {"date_gte": "2024-02-15"},
    {"date_gte": "2024-03-31"},
    {"date_lte": "2024-02-29"},
    {"date_lte": "2024-02-28"},
    {"date_lte": "2024-03-01"},
    {"type": "Mood", "date_gte": "2024-01-01"},
    {"type": "Sleep", "date_gte": "2024-01-31", "date_lte": "2024-03-01"},
    {"date_gte": "2024-02-02", "date_lte": "2024-02-28"},             # inside one month
    {"date_gte": "2024-02-01", "date_lte": "2024-02-29"},             # one whole month, leap day
    {"date_gte": "2024-01-31", "date_lte": "2024-02-01"},             # two edge days
    {"date_gte": "2024-01-15", "date_lte": "2024-04-15"},             # edges and whole months
    {"date_gte": "2023-12-31", "date_lte": "2025-01-01"},             # spanning years
    {"type": "Mood", "date_gte": "2022-01-01", "date_lte": "2025-12-31"},
    {"date": "2024-02-29"},
    {"type": "Mood", "date": "2024-03-01"},
    {"date": "2024-02-29", "date_gte": "2024-01-01", "date_lte": "2024-12-31"},
    {"date_gte": "2024-03-01", "date_lte": "2024-02-01"},             # empty range
    {"date_gte": "0001-01-01", "date_lte": "9999-12-31"},
    {"date_gte": "9999-12-02"},
]


def real_count(clinician, filters: dict) -> int:
    where = [Assessment.clinician_id == clinician.id]
    for name, value in filters.items():
        if name == "type":
            where.append(Assessment.type == value)
        else:
            day = date.fromisoformat(value)
            where.append({"date": Assessment.date == day, "date_gte": Assessment.date >= day,
                          "date_lte": Assessment.date <= day}[name])
    return count(Assessment, *where)


def assert_exact(client, *clinicians) -> None:
    """For every filter, the `count` of a page of one (full, so counted) is the real count."""
    for clinician in clinicians:
        api = Api(client, clinician)
        listed, real = {}, {}
        for number, filters in enumerate(FILTERS):
            response = api.get(f"/api/assessments/?page_size=1&{urlencode(filters)}")
            assert response.status_code == 200, response.json
            listed[number], real[number] = response.json["count"], real_count(clinician, filters)
        assert listed == real, (clinician.username, [FILTERS[n] for n in listed if listed[n] != real[n]])


@pytest.fixture
def clinic(clinician, other_clinician):
    """Alice's two patients with a Mood on every day of DAYS and a Sleep on every other; Bob's
    patient with a Mood on every third."""
    first, second = factories.make_patient(clinician), factories.make_patient(clinician)
    bobs = factories.make_patient(other_clinician)
    for number, day in enumerate(DAYS):
        factories.make_assessment(first, type="Mood", date=day)
        if number % 2 == 0:
            factories.make_assessment(second, type="Sleep", date=day)
        if number % 3 == 0:
            factories.make_assessment(bobs, type="Mood", date=day)
    return first, second, bobs


def test_the_filters_count_what_they_list(client, clinician, other_clinician, clinic):
    assert real_count(clinician, {"date_gte": "2024-01-15", "date_lte": "2024-04-15"}) == 10
    assert_exact(client, clinician, other_clinician)


def test_api_creates_deletes_and_edits_of_date_or_type_are_counted(client, clinician, other_clinician, clinic):
    first, second, _ = clinic
    api = Api(client, clinician)
    for kind, day in (("Mood", "2024-02-10"), ("Sleep", "2024-02-28"), ("Mood", "2023-11-30")):
        created = api.post("/api/assessments/", json={"patient": second.id, "type": kind, "date": day,
                                                      "score": 5, "qna_rounds": ROUNDS})
        assert created.status_code == 201, created.json
    assert_exact(client, clinician, other_clinician)
    ids = list(db.session.scalars(select(Assessment.id).where(Assessment.patient_id == first.id)
                                  .order_by(Assessment.date)))
    changes = ({"date": "2024-02-28"}, {"type": "Sleep"}, {"type": "Walk", "date": "2021-07-31"}, {"score": 9})
    for assessment_id, change in zip(ids[:4], changes, strict=True):
        edited = api.patch(f"/api/assessments/{assessment_id}/", json=change)
        assert edited.status_code == 200, edited.json
    assert_exact(client, clinician, other_clinician)
    for assessment_id in ids[4:7]:
        assert api.delete(f"/api/assessments/{assessment_id}/").status_code == 204
    assert_exact(client, clinician, other_clinician)


def test_moves_to_another_patient_or_clinician_and_deletions_are_counted(
        client, clinician, other_clinician, superuser, clinic):
    first, second, bobs = clinic
    moved = db.session.scalars(select(Assessment.id).where(Assessment.patient_id == second.id)
                               .order_by(Assessment.date)).all()
    assessments.update(actor=clinician, via=API, assessment_id=moved[0], data={"patient": first.id}, partial=True)
    assessments.update(actor=superuser, via=ADMIN, assessment_id=moved[1], data={"patient": bobs.id}, partial=True)
    assert_exact(client, clinician, other_clinician)
    patients.update(actor=superuser, via=ADMIN, patient_id=second.id, data={"clinician_id": other_clinician.id},
                    partial=True)
    assert_exact(client, clinician, other_clinician)
    assert Api(client, clinician).delete(f"/api/patients/{first.id}/").status_code == 204
    assert_exact(client, clinician, other_clinician)


def test_a_deleted_clinicians_month_counts_go_and_come_back_with_a_reassignment(
        client, clinician, other_clinician, superuser, clinic):
    first, second, _ = clinic
    users.delete(actor=superuser, via=ADMIN, user_id=clinician.id)
    assert count(AssessmentMonthCount, AssessmentMonthCount.clinician_id == clinician.id) == 0
    assert_exact(client, other_clinician)
    for patient in (first, second):
        patients.update(actor=superuser, via=ADMIN, patient_id=patient.id,
                        data={"clinician_id": other_clinician.id}, partial=True)
    assert_exact(client, other_clinician)


def test_bulk_sql_past_the_domain_is_counted_too(client, clinician, other_clinician, clinic):
    """Many rows of several clinicians, types and months in one statement, each way, and UPDATEs
    moving many to another month or type."""
    insert = text(
        "INSERT INTO assessments (patient_id, clinician_id, type, date, score, created_at, updated_at, version) "
        "SELECT id, clinician_id, :kind, :day, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 FROM patients"
    ).bindparams(bindparam("day", type_=Date))
    with db.engine.begin() as connection:
        for kind, day in (("Mood", date(2024, 2, 2)), ("Bulk", date(2024, 2, 29)), ("Bulk", date(2024, 6, 1))):
            connection.execute(insert, {"kind": kind, "day": day})
    assert_exact(client, clinician, other_clinician)
    day = text("UPDATE assessments SET date = :to WHERE type = 'Bulk' AND date = :day").bindparams(
        bindparam("to", type_=Date), bindparam("day", type_=Date))
    kind = text("UPDATE assessments SET type = 'Moved' WHERE date = :day").bindparams(bindparam("day", type_=Date))
    with db.engine.begin() as connection:
        connection.execute(day, {"to": date(2024, 3, 31), "day": date(2024, 2, 29)})
        connection.execute(kind, {"day": date(2024, 1, 31)})
    assert_exact(client, clinician, other_clinician)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM assessments WHERE type = 'Mood' AND date >= :d")
                           .bindparams(bindparam("d", type_=Date)), {"d": date(2024, 2, 15)})
    assert_exact(client, clinician, other_clinician)


@pytest.mark.postgres
def test_racing_creates_of_one_type_and_month_are_all_counted(app, client, race, clinician):
    """Eight creates of one clinician's same type in the same month at once (one month row): none
    is lost from the filtered count."""
    made = [factories.make_patient(clinician) for _ in range(8)]
    clinician_id = clinician.id

    def create(patient_id, day):
        return lambda: assessments.create(actor=users.get(user_id=clinician_id), via=API, data={
            "patient": patient_id, "type": "Mood", "date": day, "score": 5, "qna_rounds": ROUNDS})

    results = race(*[create(patient.id, f"2024-02-{number + 10}") for number, patient in enumerate(made)])
    assert all(isinstance(result, Assessment) for result in results), results
    response = Api(client, clinician).get("/api/assessments/?page_size=1&type=Mood&date_gte=2023-12-01")
    assert response.json["count"] == len(made) == count(Assessment)
    assert db.session.scalar(select(AssessmentMonthCount.total)) == len(made)
