"""Patients in the domain layer: rules on whole inputs, uniqueness, scoping, cascades, audit."""
import unicodedata
from datetime import date

import pytest
from sqlalchemy import delete

from healthpal.domain import audit, channels, patients, users
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient, QARound
from tests import factories
from tests.toolkit import count, errors_of

API = channels.API
VALID = {"full_name": "John Doe", "gender": "m", "birthdate": "1980-05-17", "phone": "5551234567",
         "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}


def test_create_stores_cleaned_values_for_the_creating_clinician(clinician):
    patient = patients.create(actor=clinician, via=API, data={
        **VALID, "full_name": unicodedata.normalize("NFD", "  Zoë O'Connor "), "phone": 5551234567})
    db.session.expire_all()
    stored = db.session.get(Patient, patient.id)
    assert stored.clinician_id == clinician.id
    assert stored.full_name == "Zoë O'Connor"
    assert stored.phone == "5551234567"
    assert stored.birthdate == date(1980, 5, 17)
    assert stored.created_at is not None and stored.updated_at is not None


def test_create_reports_every_field_error_at_once(clinician):
    errors = errors_of(lambda: patients.create(actor=clinician, via=API, data={}))
    required = set(patients.FIELDS) - {"address_label"}
    assert errors == {name: ["This field is required."] for name in required}

    errors = errors_of(lambda: patients.create(actor=clinician, via=API, data={
        "full_name": "J0hn", "gender": None, "birthdate": "1980-5-17", "phone": "", "address": "a b",
        "address_label": "a\nb"}))
    assert set(errors) == set(patients.FIELDS)
    assert errors["gender"] == ["This field may not be null."]
    assert errors["birthdate"] == ["Date has wrong format. Use YYYY-MM-DD."]
    assert errors["phone"] == ["This field may not be blank."]
    assert count(Patient) == 0


@pytest.mark.parametrize("data", [None, [], "John", 5])
def test_create_refuses_a_body_that_is_not_an_object(clinician, data):
    assert errors_of(lambda: patients.create(actor=clinician, via=API, data=data)) == {
        "non_field_errors": ["Invalid data. Expected an object."]}


def test_same_name_and_birthdate_is_unique_per_clinician_only(clinician, other_clinician):
    patients.create(actor=clinician, via=API, data=VALID)
    duplicate = {**VALID, "full_name": unicodedata.normalize("NFD", " John Doe"), "phone": "1"}
    assert errors_of(lambda: patients.create(actor=clinician, via=API, data=duplicate)) == {
        "non_field_errors": [patients.DUPLICATE]}
    patients.create(actor=other_clinician, via=API, data=VALID)            # a colleague's patient: fine
    patients.create(actor=clinician, via=API, data={**VALID, "birthdate": "1980-05-18"})
    assert count(Patient) == 3


def test_put_needs_every_field_and_patch_only_changes_what_is_sent(clinician):
    patient = factories.make_patient(clinician, full_name="Ann Lee", phone="111")
    errors = errors_of(lambda: patients.update(actor=clinician, via=API, patient_id=patient.id,
                                               data={"full_name": "Ann Lee"}))
    assert errors == {name: ["This field is required."] for name in ("gender", "birthdate", "phone", "address")}

    patients.update(actor=clinician, via=API, patient_id=patient.id, data={"phone": "222"}, partial=True)
    db.session.expire_all()
    stored = db.session.get(Patient, patient.id)
    assert (stored.full_name, stored.phone) == ("Ann Lee", "222")

    patients.update(actor=clinician, via=API, patient_id=patient.id, data=VALID)
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).full_name == "John Doe"


def test_patch_validates_only_the_sent_keys(clinician):
    patient = factories.make_patient(clinician)
    errors = errors_of(lambda: patients.update(actor=clinician, via=API, patient_id=patient.id,
                                               data={"gender": "x", "phone": None}, partial=True))
    assert set(errors) == {"gender", "phone"}


def test_update_into_another_patients_name_and_birthdate_is_refused(clinician):
    factories.make_patient(clinician, full_name="Ann Lee", birthdate="1990-01-01")
    other = factories.make_patient(clinician, full_name="Bea Lee", birthdate="1990-01-01")
    errors = errors_of(lambda: patients.update(actor=clinician, via=API, patient_id=other.id,
                                               data={"full_name": "Ann Lee"}, partial=True))
    assert errors == {"non_field_errors": [patients.DUPLICATE]}
    db.session.expire_all()
    assert db.session.get(Patient, other.id).full_name == "Bea Lee"
    # Saving a patient unchanged is not a clash with itself.
    patients.update(actor=clinician, via=API, patient_id=other.id, data={"full_name": "Bea Lee"}, partial=True)


def test_a_birthdate_valid_tomorrow_is_refused_today(clinician, frozen_clock):
    tomorrow = "2026-06-16"
    errors = errors_of(lambda: patients.create(actor=clinician, via=API, data={**VALID, "birthdate": tomorrow}))
    assert errors == {"birthdate": ["Birthdate cannot be in the future."]}
    frozen_clock.advance(days=1)
    patient = patients.create(actor=clinician, via=API, data={**VALID, "birthdate": tomorrow})
    assert patients.age(patient) == 0
    frozen_clock.advance(days=366)
    assert patients.age(patient) == 1


def test_the_120_year_limit_moves_with_today(clinician, frozen_clock):
    data = {**VALID, "birthdate": "1906-06-15"}
    patients.create(actor=clinician, via=API, data=data)
    frozen_clock.advance(days=1)
    errors = errors_of(lambda: patients.create(actor=clinician, via=API, data={**data, "full_name": "Ann Lee"}))
    assert errors == {"birthdate": ["Birthdate cannot be more than 120 years ago."]}


# --- scoping ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("operation", ["get", "read", "update", "patch", "delete", "assessment_count"])
def test_another_clinicians_patient_is_not_found(clinician, other_clinician, operation):
    patient = factories.make_patient(other_clinician)
    calls = {
        "get": lambda: patients.get(actor=clinician, via=API, patient_id=patient.id),
        "read": lambda: patients.read(actor=clinician, via=API, patient_id=patient.id),
        "update": lambda: patients.update(actor=clinician, via=API, patient_id=patient.id, data=VALID),
        "patch": lambda: patients.update(actor=clinician, via=API, patient_id=patient.id, data={}, partial=True),
        "delete": lambda: patients.delete(actor=clinician, via=API, patient_id=patient.id),
        "assessment_count": lambda: patients.assessment_count(actor=clinician, via=API, patient_id=patient.id),
    }
    with pytest.raises(NotFound):
        calls[operation]()
    db.session.expire_all()
    stored = db.session.get(Patient, patient.id)
    assert stored is not None and stored.full_name != VALID["full_name"]


@pytest.mark.parametrize("patient_id", [0, -1, 2**31, 2**63, 10**30])
def test_ids_that_cannot_exist_are_not_found(clinician, patient_id):
    with pytest.raises(NotFound):
        patients.get(actor=clinician, via=API, patient_id=patient_id)


def test_lists_never_include_other_clinicians_patients(clinician, other_clinician):
    mine = factories.make_patient(clinician, full_name="Ann Lee")
    factories.make_patient(other_clinician, full_name="Ann Leeds")
    page = patients.search(actor=clinician, via=API, text="ann")
    assert [p.id for p in page.items] == [mine.id] and page.total == 1


def test_superusers_see_everything_only_in_the_admin_panel(clinician, superuser):
    theirs = factories.make_patient(clinician)
    for via in (channels.API, channels.PORTAL, channels.CLI):
        assert patients.search(actor=superuser, via=via).total == 0
        with pytest.raises(NotFound):
            patients.get(actor=superuser, via=via, patient_id=theirs.id)
    assert patients.get(actor=superuser, via=channels.ADMIN, patient_id=theirs.id).id == theirs.id
    assert patients.search(actor=superuser, via=channels.ADMIN).total == 1
    # A clinician in the admin channel (should the edge let one in) still sees only their own.
    assert patients.search(actor=factories.make_user("carol"), via=channels.ADMIN).total == 0


def test_admin_may_assign_a_clinician_or_none(clinician, other_clinician, superuser):
    patient = patients.create(actor=superuser, via=channels.ADMIN, data={**VALID, "clinician_id": clinician.id})
    assert patient.clinician_id == clinician.id
    patients.update(actor=superuser, via=channels.ADMIN, patient_id=patient.id,
                    data={"clinician_id": str(other_clinician.id)}, partial=True)
    assert patient.clinician_id == other_clinician.id
    patients.update(actor=superuser, via=channels.ADMIN, patient_id=patient.id, data={"clinician_id": None},
                    partial=True)
    assert patient.clinician_id is None
    for bad in (10**6, "abc", True, "²"):
        errors = errors_of(lambda bad=bad: patients.update(actor=superuser, via=channels.ADMIN, patient_id=patient.id,
                                                           data={"clinician_id": bad}, partial=True))
        assert errors == {"clinician_id": [patients.UNKNOWN_CLINICIAN]}


def test_clinicians_cannot_reassign_through_the_api(clinician, other_clinician):
    patient = patients.create(actor=clinician, via=API, data={**VALID, "clinician_id": other_clinician.id})
    assert patient.clinician_id == clinician.id


# --- deletion and cascades ---------------------------------------------------------------------------

def test_delete_removes_the_patient_with_its_assessments_and_rounds(clinician):
    patient = factories.make_patient(clinician)
    kept = factories.make_patient(clinician)
    factories.make_assessment(patient, qna_rounds=[{"question": "A", "answer": "1"}, {"question": "B", "answer": "2"}])
    factories.make_assessment(patient)
    factories.make_assessment(kept)
    assert patients.assessment_count(actor=clinician, via=API, patient_id=patient.id) == 2
    patients.delete(actor=clinician, via=API, patient_id=patient.id)
    assert count(Patient) == 1 and count(Assessment) == 1 and count(QARound) == 1
    event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
    assert event.action == audit.DELETE and event.changes["assessments"] == [2, 0]


def test_the_database_itself_cascades_a_patient_delete(clinician):
    """Without the ORM (an admin in psql, a future bulk job) the rows still go together."""
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient, qna_rounds=[{"question": "A", "answer": "1"}, {"question": "B", "answer": "2"}])
    db.session.execute(delete(Patient).where(Patient.id == patient.id))
    db.session.commit()
    assert count(Assessment) == 0 and count(QARound) == 0


# --- audit -----------------------------------------------------------------------------------------

def test_changes_and_reads_are_audited_with_channel_and_actor(clinician):
    patient = patients.create(actor=clinician, via=channels.PORTAL, data=VALID)
    patients.update(actor=clinician, via=API, patient_id=patient.id, data={"phone": "999"}, partial=True)
    patients.update(actor=clinician, via=API, patient_id=patient.id, data={"phone": "999"}, partial=True)
    patients.read(actor=clinician, via=API, patient_id=patient.id)
    events = audit.events_for(patient_id=patient.id)
    assert [(e.action, e.channel, e.actor_username) for e in events] == [
        ("create", "portal", "alice"), ("update", "api", "alice"), ("read", "api", "alice")]
    assert events[1].changes == {"phone": ["5551234567", "999"]}


def test_a_refused_write_leaves_no_audit_event(clinician):
    with pytest.raises(Invalid):
        patients.create(actor=clinician, via=API, data={**VALID, "gender": "x"})
    assert count(AuditEvent) == 1      # only the clinician's own creation


# --- races (PostgreSQL) ------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("precheck", ["with", "without"])
def test_simultaneous_identical_creates_give_one_patient(clinician, race, monkeypatch, precheck):
    if precheck == "without":
        monkeypatch.setattr(patients, "_check_unique", lambda patient: None)
    clinician_id = clinician.id
    results = race(lambda: patients.create(actor=users.get(user_id=clinician_id), via=API, data=VALID))
    assert sorted(type(r).__name__ for r in results) == ["Invalid", "Invalid", "Invalid", "Patient"]
    assert all(r.errors == {"non_field_errors": [patients.DUPLICATE]} for r in results if isinstance(r, Invalid))
    assert count(Patient) == 1


def test_a_listed_patient_has_the_tables_columns_in_its_order():
    """Lists and detail reads make `Listed` from a row of the table's columns, by position."""
    assert patients.Listed._fields == tuple(Patient.__table__.columns.keys())
