"""Admin patients: every clinician's, searched, filtered, fixed and reassigned through the domain."""
import json

import pytest

from healthpal.domain import audit, patients, users
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.admin.conftest import rows, snapshot
from tests.markup import attr, errors_for, flashes, form_values, list_column, parse, text_of

BAD_NAME = ("Full name may contain only Latin letters (accents allowed), with words joined by a single space, "
            "apostrophe or hyphen, and must start and end with a letter.")
GOOD = {"full_name": "Amélie Laurent", "gender": "f", "birthdate": "1980-05-17", "phone": "5551234567",
        "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}


def patient_form(patient, **changes) -> dict:
    """The edit form as the admin page would post it for `patient`, with `changes` typed in."""
    return {"full_name": patient.full_name, "gender": patient.gender, "birthdate": patient.birthdate.isoformat(),
            "phone": patient.phone, "address": patient.address,
            "clinician": str(patient.clinician_id) if patient.clinician_id else "__None", **changes}


def stored(patient_id) -> Patient:
    db.session.expire_all()
    return db.session.get(Patient, patient_id)


def test_create_a_patient_for_any_clinician(admin, superuser, other_clinician):
    response = admin.post("/admin/patient/new/", data={**GOOD, "clinician": other_clinician.id})
    assert response.status_code == 302
    patient = db.session.scalars(db.select(Patient)).one()
    assert (patient.full_name, patient.clinician_id) == ("Amélie Laurent", other_clinician.id)
    event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
    assert (event.action, event.channel, event.actor_id) == ("create", "admin", superuser.id)
    assert event.changes["clinician_id"] == [None, other_clinician.id]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"full_name": "John 3rd"}, "full_name", BAD_NAME),
    ({"full_name": "Иван Петров"}, "full_name", BAD_NAME),
    ({"full_name": " "}, "full_name", "This field may not be blank."),
    ({"phone": "555-1234"}, "phone", "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."),
    ({"phone": "1234567890123456"}, "phone", "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."),
    ({"birthdate": "2999-01-01"}, "birthdate", "Birthdate cannot be in the future."),
    ({"birthdate": "1980-5-17"}, "birthdate", "Date has wrong format. Use YYYY-MM-DD."),
    ({"gender": "x"}, "gender", '"x" is not a valid choice. Use "m" or "f".'),
    ({"address": "not a place id"}, "address",
     "Address must be a Google Place ID: up to 512 letters, digits, '_' or '-'."),
    ({"clinician": "999"}, "clinician", "Choose an existing clinician, or none."),
    ({"clinician": "abc"}, "clinician", "Choose an existing clinician, or none."),
])
def test_a_refused_new_patient_shows_why_and_changes_nothing(admin, clinician, changes, field, message):
    before = snapshot()
    response = admin.post("/admin/patient/new/", data={**GOOD, "clinician": clinician.id, **changes})
    assert response.status_code == 200
    page = parse(response)
    assert message in errors_for(page, field)
    assert snapshot() == before


def test_a_duplicate_patient_is_refused(admin, clinician):
    factories.make_patient(clinician, full_name=GOOD["full_name"], birthdate=GOOD["birthdate"])
    before = snapshot()
    response = admin.post("/admin/patient/new/", data={**GOOD, "clinician": clinician.id})
    assert response.status_code == 200
    assert "You already have a patient with this full name and birthdate." in flashes(parse(response))
    assert snapshot() == before


def test_a_refused_edit_changes_nothing(admin, clinician):
    patient = factories.make_patient(clinician)
    before = snapshot()
    response = admin.post(f"/admin/patient/edit/?id={patient.id}", data=patient_form(patient, phone="call me"))
    assert response.status_code == 200
    assert errors_for(parse(response), "phone") == [
        "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."]
    assert snapshot() == before


def test_fix_a_patient_of_any_clinician(admin, clinician):
    patient = factories.make_patient(clinician, phone="5550000001")
    response = admin.post(f"/admin/patient/edit/?id={patient.id}", data=patient_form(patient, phone=" 5550000002 "))
    assert response.status_code == 302
    assert stored(patient.id).phone == "5550000002"
    event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
    assert (event.action, event.channel, event.changes) == ("update", "admin", {"phone": ["5550000001", "5550000002"]})


def test_reassign_a_patient_to_another_clinician(admin, clinician, other_clinician):
    patient = factories.make_patient(clinician)
    response = admin.post(f"/admin/patient/edit/?id={patient.id}",
                          data=patient_form(patient, clinician=other_clinician.id))
    assert response.status_code == 302
    assert stored(patient.id).clinician_id == other_clinician.id
    event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
    assert event.changes == {"clinician_id": [clinician.id, other_clinician.id]}
    assert patients.search(actor=other_clinician, via="api").total == 1
    assert patients.search(actor=clinician, via="api").total == 0


def test_the_clinician_picker_offers_active_users_only(admin, clinician, other_clinician):
    users.deactivate(actor=None, via="cli", user_id=other_clinician.id)
    patient = factories.make_patient(other_clinician)
    found = admin.get("/admin/patient/ajax/lookup/?name=clinician&query=").get_json()
    offered = {name for _, name in found}
    assert clinician.username in offered and other_clinician.username not in offered
    form = parse(admin.get(f"/admin/patient/edit/?id={patient.id}"))
    assert form_values(form, "form.admin-form")["clinician"] == str(other_clinician.id)
    # the picker (select2) shows the current clinician's username, deactivated or not
    assert json.loads(attr(form, "#clinician", "data-json")) == [other_clinician.id, other_clinician.username]


def test_reassign_sending_only_the_clinician(admin, clinician, other_clinician):
    patient = factories.make_patient(clinician)
    response = admin.post(f"/admin/patient/edit/?id={patient.id}", data={"clinician": other_clinician.id})
    assert response.status_code == 302
    assert stored(patient.id).clinician_id == other_clinician.id


def test_reassigning_onto_a_duplicate_is_refused(admin, clinician, other_clinician):
    patient = factories.make_patient(clinician, full_name="Jonas Müller", birthdate="1970-01-01")
    factories.make_patient(other_clinician, full_name="Jonas Müller", birthdate="1970-01-01")
    before = snapshot()
    response = admin.post(f"/admin/patient/edit/?id={patient.id}",
                          data=patient_form(patient, clinician=other_clinician.id))
    assert response.status_code == 200
    assert "You already have a patient with this full name and birthdate." in flashes(parse(response))
    assert snapshot() == before


def test_unassign_a_patient(admin, clinician):
    patient = factories.make_patient(clinician)
    response = admin.post(f"/admin/patient/edit/?id={patient.id}", data=patient_form(patient, clinician="__None"))
    assert response.status_code == 302
    assert stored(patient.id).clinician_id is None


def listed(admin, query: str) -> list[str]:
    """The names the patient list shows for this query."""
    response = admin.get(f"/admin/patient/?{query}")
    assert response.status_code == 200
    return list_column(parse(response), "full_name")


@pytest.fixture
def clinic(clinician, other_clinician):
    """Three patients: Anna (alice's), Boris (bob's, male) and Cleo (unassigned, her clinician deleted)."""
    departed = factories.make_user("carol")
    factories.make_patient(clinician, full_name="Anna Alpha", phone="5550001111")
    factories.make_patient(other_clinician, full_name="Boris Beta", gender="m", phone="5550002222")
    factories.make_patient(departed, full_name="Cleo Gamma", phone="5550003333")
    users.delete(actor=None, via="cli", user_id=departed.id)


@pytest.mark.parametrize(("query", "shown"), [
    ("", {"Anna Alpha", "Boris Beta", "Cleo Gamma"}),
    ("flt0_clinician_unassigned=1", {"Cleo Gamma"}),
    ("flt0_clinician_unassigned=0", {"Anna Alpha", "Boris Beta"}),
    ("flt0_clinician_username_is=BOB", {"Boris Beta"}),
    ("flt0_gender_equals=m", {"Boris Beta"}),
    ("flt0_gender_equals=f&flt1_clinician_unassigned=0", {"Anna Alpha"}),
    ("search=gamma", {"Cleo Gamma"}),
    ("search=0002222", {"Boris Beta"}),
])
def test_search_and_filter_patients_of_all_clinicians(admin, clinic, query, shown):
    assert sorted(listed(admin, query)) == sorted(shown)


def test_opening_a_patient_is_an_audited_read(admin, superuser, clinician):
    patient = factories.make_patient(clinician)
    for url in (f"/admin/patient/details/?id={patient.id}", f"/admin/patient/edit/?id={patient.id}"):
        response = admin.get(url)
        assert response.status_code == 200
        assert patient.full_name in (text_of(parse(response), "table.searchable") if "details" in url
                                     else form_values(parse(response), "form.admin-form")["full_name"])
        event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
        assert (event.action, event.channel, event.actor_id, event.patient_id) == (
            "read", "admin", superuser.id, patient.id)
    assert len(audit.events_for(entity_type="patient", entity_id=patient.id)) == 3   # create + 2 reads


@pytest.mark.parametrize("patient_id", ["999", "abc", "0", "-1", "99999999999999999999"])
def test_a_missing_patient_is_a_message_not_an_error(admin, patient_id):
    response = admin.get(f"/admin/patient/details/?id={patient_id}", follow_redirects=True)
    assert response.status_code == 200
    assert "Record does not exist." in flashes(parse(response))


def test_delete_a_patient_with_their_assessments(admin, clinician):
    patient = factories.make_patient(clinician)
    first = factories.make_assessment(patient).id
    second = factories.make_assessment(patient, type="Mood check").id
    patient_id = patient.id
    response = admin.post("/admin/patient/delete/", data={"id": patient_id})
    assert response.status_code == 302
    assert rows(Patient) == rows(Assessment) == 0
    deleted = [(e.entity_type, e.entity_id, e.channel) for e in audit.events_for(patient_id=patient_id)
               if e.action == "delete"]
    assert sorted(deleted) == [("assessment", first, "admin"), ("assessment", second, "admin"),
                               ("patient", patient_id, "admin")]


def test_delete_several_patients_from_the_list(admin, clinician):
    ids = [factories.make_patient(clinician).id for _ in range(2)]
    response = admin.post("/admin/patient/action/", data={"action": "delete", "rowid": ids})
    assert response.status_code == 302
    assert rows(Patient) == 0
    assert [(e.action, e.channel) for e in audit.events_for(entity_type="patient") if e.action == "delete"] == [
        ("delete", "admin"), ("delete", "admin")]
