"""Each clinician's running count of patients (`patient_counts`, kept by triggers) stays the exact
total after every kind of write that adds, removes or reassigns a patient: the API's creates and
deletes, an admin's reassignment, a clinician's deletion (admin or CLI) and the reassignment of the
patients it left unassigned, and bulk SQL past the domain. The unfiltered lists (API and portal)
answer their total from it, so each test compares that total with a real count of the rows."""
import pytest
from sqlalchemy import text

from healthpal.domain import channels, patients, users
from healthpal.extensions import db
from healthpal.models import COUNT_SHARDS, Patient, PatientCount
from tests import factories
from tests.api import support
from tests.api.support import Api
from tests.toolkit import count

ADMIN = channels.ADMIN
NEW = {"full_name": "Ann Lee", "gender": "f", "birthdate": "1980-05-17", "phone": "5551234567",
       "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}


def listed_count(client, clinician, query: str = "") -> int:
    """The `count` the API's patient list answers the clinician (with `query`'s filters)."""
    return support.listed_count(client, clinician, f"/api/patients/?{query}")


def assert_exact(client, *clinicians) -> None:
    support.assert_counted(client, clinicians, path="/api/patients/", model=Patient, total=patients.total)


@pytest.fixture
def clinic(clinician, other_clinician):
    """Alice's three patients (two of them in different shards) and Bob's one."""
    made = [factories.make_patient(clinician) for _ in range(3)] + [factories.make_patient(other_clinician)]
    assert made[0].id % COUNT_SHARDS != made[1].id % COUNT_SHARDS
    return made


def test_the_api_counts_its_own_creates_and_deletes(client, clinician, other_clinician, clinic):
    api = Api(client, clinician)
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (3, 1)
    created = api.post("/api/patients/", json=NEW)
    assert created.status_code == 201, created.json
    assert listed_count(client, clinician) == 4
    for patient_id in (created.json["id"], clinic[0].id):
        assert api.request("DELETE", f"/api/patients/{patient_id}/").status_code == 204
    assert listed_count(client, clinician) == 2
    assert_exact(client, clinician, other_clinician)


def test_the_portal_list_shows_the_same_total(alice, clinician, clinic):
    """The portal's first page (20 rows, full once there are 20) tells the running count."""
    for _ in range(20):
        factories.make_patient(clinician)
    page = alice.get("/")
    assert page.status_code == 200
    assert "23 patients" in page.get_data(as_text=True)


def test_an_admins_reassignment_moves_the_count_with_the_patient(client, clinician, other_clinician, superuser, clinic):
    patients.update(actor=superuser, via=ADMIN, patient_id=clinic[0].id, data={"clinician_id": other_clinician.id},
                    partial=True)
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (2, 2)
    assert_exact(client, clinician, other_clinician)


@pytest.mark.parametrize("how", ["admin", "cli"])
def test_a_deleted_clinicians_count_goes_and_comes_back_with_a_reassignment(
        client, runner, clinician, other_clinician, superuser, clinic, how):
    if how == "admin":
        users.delete(actor=superuser, via=ADMIN, user_id=clinician.id)
    else:
        result = runner.invoke(args=["delete-user", clinician.username])
        assert result.exit_code == 0, result.output
    assert count(PatientCount, PatientCount.clinician_id == clinician.id) == 0
    assert count(Patient, Patient.clinician_id.is_(None)) == 3
    assert_exact(client, other_clinician)
    for patient in clinic[:2]:                              # unassigned patients handed on
        patients.update(actor=superuser, via=ADMIN, patient_id=patient.id,
                        data={"clinician_id": other_clinician.id}, partial=True)
    assert listed_count(client, other_clinician) == 3
    assert_exact(client, other_clinician)


def test_bulk_sql_past_the_domain_is_counted_too(client, clinician, other_clinician, clinic):
    """Many rows of several clinicians and shards in one statement, each way."""
    copy = text("INSERT INTO patients (clinician_id, full_name, gender, birthdate, phone, address, created_at, "
                "updated_at, version) SELECT clinician_id, full_name || :suffix, gender, birthdate, phone, address, "
                "created_at, updated_at, 1 FROM patients")
    with db.engine.begin() as connection:
        connection.execute(copy, {"suffix": " Jr"})
        connection.execute(copy, {"suffix": " Sr"})
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (12, 4)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM patients WHERE full_name LIKE '% Jr Sr' OR id = :p"), {"p": clinic[3].id})
    assert (listed_count(client, clinician), listed_count(client, other_clinician)) == (9, 2)
    assert_exact(client, clinician, other_clinician)


def test_a_filtered_list_counts_its_own_rows(client, clinician, clinic):
    factories.make_patient(clinician, gender="m")
    assert listed_count(client, clinician) == 4
    assert listed_count(client, clinician, "gender=m") == 1
    assert listed_count(client, clinician, "search=Pat") == 4
    assert listed_count(client, clinician, "search=nobody") == 0


@pytest.mark.postgres
def test_racing_creates_of_one_clinician_are_all_counted(app, client, race, clinician):
    """Eight creates at once, several in one shard: none is lost from the count."""
    clinician_id = clinician.id

    def create(n):
        return lambda: patients.create(actor=users.get(user_id=clinician_id), via=channels.API,
                                       data={**NEW, "birthdate": f"1980-05-{n + 1:02d}"})

    results = race(*[create(n) for n in range(8)])
    assert all(isinstance(result, Patient) for result in results), results
    assert listed_count(client, clinician) == 8 == count(Patient)
