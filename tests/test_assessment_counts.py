"""Each clinician's running count of assessments (`assessment_counts`, kept by triggers) stays the
exact total after every kind of write that adds, removes or moves an assessment: the API's creates
and deletes, a patient's deletion, an admin's reassignment of a patient or edit of an assessment, a
clinician's deletion (admin or CLI), and bulk SQL past the domain. The API's unfiltered list answers
its `count` from it, so each test compares that `count` with a real count of the rows."""
from datetime import date

import pytest
from sqlalchemy import Date, bindparam, func, select, text

from healthpal.domain import assessments, channels, patients, users
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import COUNT_SHARDS, Assessment, AssessmentCount
from tests import factories
from tests.api import support
from tests.api.support import Api
from tests.toolkit import count

API, ADMIN = channels.API, channels.ADMIN
ROUNDS = [{"question": "How do you feel?", "answer": "Fine"}]


def listed_count(client, clinician) -> int:
    """The `count` the API's unfiltered assessment list answers the clinician."""
    return support.listed_count(client, clinician, "/api/assessments/")


def assert_exact(client, *clinicians) -> None:
    support.assert_counted(client, clinicians, path="/api/assessments/", model=Assessment, total=assessments.total)


def make(patient, day: str):
    return factories.make_assessment(patient, date=day)


@pytest.fixture
def clinic(clinician, other_clinician):
    """Alice's patients in two different shards (one with two assessments, one with one) and Bob's
    patient with one."""
    first = factories.make_patient(clinician)
    second = factories.make_patient(clinician)
    bobs = factories.make_patient(other_clinician)
    assert first.id % COUNT_SHARDS != second.id % COUNT_SHARDS
    for patient, days in ((first, ["2024-01-01", "2024-02-01"]), (second, ["2024-03-01"]), (bobs, ["2024-04-01"])):
        for day in days:
            make(patient, day)
    return first, second, bobs


def test_the_api_counts_its_own_creates_and_deletes(client, clinician, other_clinician, clinic):
    first, _, _ = clinic
    api = Api(client, clinician)
    assert_exact(client, clinician, other_clinician)
    created = api.post("/api/assessments/", json={"patient": first.id, "type": "Mood", "date": "2024-05-01",
                                                  "score": 5, "qna_rounds": ROUNDS})
    assert created.status_code == 201, created.json
    assert listed_count(client, clinician) == 4
    assert api.request("DELETE", f"/api/assessments/{created.json['id']}/").status_code == 204
    oldest = db.session.scalar(select(func.min(Assessment.id)))
    assert api.request("DELETE", f"/api/assessments/{oldest}/").status_code == 204
    assert listed_count(client, clinician) == 2
    assert_exact(client, clinician, other_clinician)


def test_deleting_a_patient_uncounts_its_assessments(client, clinician, other_clinician, clinic):
    first, _, _ = clinic
    assert Api(client, clinician).request("DELETE", f"/api/patients/{first.id}/").status_code == 204
    assert listed_count(client, clinician) == 1
    assert_exact(client, clinician, other_clinician)


def test_an_admins_reassignment_moves_the_count_with_the_patient(client, clinician, other_clinician, superuser, clinic):
    first, _, _ = clinic
    patients.update(actor=superuser, via=ADMIN, patient_id=first.id, data={"clinician_id": other_clinician.id},
                    partial=True)
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (1, 3)
    assert_exact(client, clinician, other_clinician)


def test_an_assessment_moved_to_another_patient_or_clinician_is_counted_where_it_went(
        client, clinician, other_clinician, superuser, clinic):
    first, second, bobs = clinic
    moved = db.session.scalar(select(Assessment.id).where(Assessment.patient_id == first.id).limit(1))
    assessments.update(actor=clinician, via=API, assessment_id=moved, data={"patient": second.id}, partial=True)
    assert_exact(client, clinician, other_clinician)        # another shard of the same clinician
    assessments.update(actor=superuser, via=ADMIN, assessment_id=moved, data={"patient": bobs.id}, partial=True)
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (2, 2)
    assert_exact(client, clinician, other_clinician)


@pytest.mark.parametrize("how", ["admin", "cli"])
def test_a_deleted_clinicians_count_goes_and_comes_back_with_a_reassignment(
        client, runner, clinician, other_clinician, superuser, clinic, how):
    first, second, _ = clinic
    if how == "admin":
        users.delete(actor=superuser, via=ADMIN, user_id=clinician.id)
    else:
        result = runner.invoke(args=["delete-user", clinician.username])
        assert result.exit_code == 0, result.output
    assert count(AssessmentCount, AssessmentCount.clinician_id == clinician.id) == 0
    assert count(Assessment, Assessment.clinician_id.is_(None)) == 3
    assert_exact(client, other_clinician)
    for patient in (first, second):                         # unassigned patients handed on
        patients.update(actor=superuser, via=ADMIN, patient_id=patient.id,
                        data={"clinician_id": other_clinician.id}, partial=True)
    assert listed_count(client, other_clinician) == 4
    assert_exact(client, other_clinician)


def test_bulk_sql_past_the_domain_is_counted_too(client, clinician, other_clinician, clinic):
    """Many rows of several clinicians and shards in one statement, each way."""
    first, second, bobs = clinic
    insert = text(
        "INSERT INTO assessments (patient_id, clinician_id, type, date, score, created_at, updated_at, version) "
        "SELECT id, clinician_id, 'Bulk', :day, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1 FROM patients"
    ).bindparams(bindparam("day", type_=Date))
    with db.engine.begin() as connection:
        for day in (date(2023, 1, 1), date(2023, 1, 2)):
            connection.execute(insert, {"day": day})
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (7, 3)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM assessments WHERE type = 'Bulk' OR patient_id = :p"), {"p": first.id})
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (1, 1)
    assert_exact(client, clinician, other_clinician)


def test_a_filtered_list_counts_its_own_rows(client, clinician, clinic):
    response = Api(client, clinician).get("/api/assessments/?page_size=1&date_gte=2024-02-01")
    assert response.json["count"] == 2


@pytest.mark.postgres
def test_racing_creates_of_one_clinician_are_all_counted(app, client, race, clinician):
    """Eight creates at once, two by two in the same shard: none is lost from the count."""
    made = [factories.make_patient(clinician) for _ in range(COUNT_SHARDS + 4)]
    racing = made[:4] + made[COUNT_SHARDS:COUNT_SHARDS + 4]     # pairs of patients in one shard
    clinician_id = clinician.id

    def create(patient_id):
        return lambda: assessments.create(actor=users.get(user_id=clinician_id), via=API, data={
            "patient": patient_id, "type": "Mood", "date": "2024-01-01", "score": 5, "qna_rounds": ROUNDS})

    results = race(*[create(patient.id) for patient in racing])
    assert all(isinstance(result, Assessment) for result in results), results
    assert listed_count(client, clinician) == len(racing) == count(Assessment)


@pytest.mark.postgres
def test_a_create_does_not_wait_for_another_of_the_same_clinician_in_another_shard(another_app, clinician):
    """While one create of Alice's is still open (its count rows locked: its shard's, and its type's
    and month's in `assessment_month_counts`), another create of hers, for a patient of another
    shard and of another type, commits at once instead of waiting for it. (Two of the same type in
    the same month wait for each other's commit on their month row.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite admits one writer at a time")
    first, second = factories.make_patient(clinician), factories.make_patient(clinician)
    assert first.id % COUNT_SHARDS != second.id % COUNT_SHARDS
    impatient = another_app(DATABASE_LOCK_TIMEOUT=1)
    with atomic():
        assessments.create(actor=clinician, via=API, data={
            "patient": first.id, "type": "Mood", "date": "2024-01-01", "score": 5, "qna_rounds": ROUNDS})
        with impatient.app_context():
            assessments.create(actor=users.get(user_id=clinician.id), via=API, data={
                "patient": second.id, "type": "Sleep", "date": "2024-01-01", "score": 5, "qna_rounds": ROUNDS})
    assert assessments.total(clinician.id) == 2
