"""The admin as people read it: genders by name, addresses, accent-blind patient search, times in
UTC saying so, a password reset on the user's own page, and the audit log's actors by name."""
import re

from healthpal.domain import channels, users
from healthpal.extensions import db
from healthpal.models import Patient
from tests import factories
from tests.admin.test_patients import patient_form


def test_genders_read_female_and_male(admin, clinician):
    factories.make_patient(clinician, full_name="Ann Able", gender="f")
    factories.make_patient(clinician, full_name="Ben Bold", gender="m")
    page = admin.get("/admin/patient/").get_data(as_text=True)
    assert re.search(r'class="col-gender">\s*Female\s*</td>', page)
    assert re.search(r'class="col-gender">\s*Male\s*</td>', page)
    form = admin.get(f"/admin/patient/edit/?id={factories.make_patient(clinician).id}").get_data(as_text=True)
    assert '<option selected value="f">Female</option>' in form or '<option value="f" selected>Female</option>' in form


def test_patient_search_ignores_case_and_accents_and_finds_a_date_of_birth(admin, clinician):
    factories.make_patient(clinician, full_name="Łukasz Müller", birthdate="1970-01-02")
    factories.make_patient(clinician, full_name="Ann Other")
    for typed in ("muller", "LUKASZ", "1970-01-02"):
        page = admin.get("/admin/patient/", query_string={"search": typed}).get_data(as_text=True)
        assert "Łukasz Müller" in page and "Ann Other" not in page, typed


def test_the_address_label_is_shown_and_editable(admin, clinician):
    patient = factories.make_patient(clinician, address_label="Old Street 1")
    response = admin.post(f"/admin/patient/edit/?id={patient.id}",
                          data=patient_form(patient, address_label="Nowy Świat 5, Warszawa"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).address_label == "Nowy Świat 5, Warszawa"
    assert "Nowy Świat 5, Warszawa" in admin.get(f"/admin/patient/details/?id={patient.id}").get_data(as_text=True)


def test_times_say_utc(admin, clinician):
    factories.make_patient(clinician)
    assert re.search(r">\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s*<", admin.get("/admin/patient/").get_data(as_text=True))


def test_the_users_edit_page_offers_reset_password(admin, clinician):
    page = admin.get(f"/admin/user/edit/?id={clinician.id}").get_data(as_text=True)
    link = re.search(r'<a class="btn btn-outline-secondary" href="([^"]+)">Reset password</a>', page)
    assert link and f"id={clinician.id}" in link.group(1)
    assert "Reset the password of alice" in admin.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)


def test_the_audit_log_names_the_actor_with_username_and_id(admin, clinician, frozen_clock):
    factories.make_patient(clinician)
    users.update(actor=clinician, via=channels.PORTAL, user_id=clinician.id, data={"first_name": "Alicia"},
                 partial=True)
    page = admin.get("/admin/audit/").get_data(as_text=True)
    assert f"Alicia Adams (alice, id {clinician.id})" in page
    assert re.search(r'<th scope="row">first_name</th><td>Alice</td><td aria-hidden="true">→</td><td>Alicia</td>',
                     page)
