"""The admin as people read it: genders by name, addresses, accent-blind patient search, times in
UTC saying so, a password reset on the user's own page, and the audit log's actors by name."""
import re

from healthpal.domain import channels, users
from healthpal.extensions import db
from healthpal.models import Patient
from tests import factories
from tests.admin.test_patients import patient_form
from tests.markup import form_values, list_column, parse, table_rows, text_of, texts


def test_genders_read_female_and_male(admin, clinician):
    factories.make_patient(clinician, full_name="Ann Able", gender="f")
    factories.make_patient(clinician, full_name="Ben Bold", gender="m")
    listing = parse(admin.get("/admin/patient/"))
    assert list_column(listing, "full_name") == ["Ann Able", "Ben Bold"]
    assert list_column(listing, "gender") == ["Female", "Male"]
    form = parse(admin.get(f"/admin/patient/edit/?id={factories.make_patient(clinician).id}"))
    assert form_values(form, "form.admin-form")["gender"] == "f"
    assert text_of(form, "#gender option[selected]") == "Female"


def test_patient_search_ignores_case_and_accents_and_finds_a_date_of_birth(admin, clinician):
    factories.make_patient(clinician, full_name="Łukasz Müller", birthdate="1970-01-02")
    factories.make_patient(clinician, full_name="Ann Other")
    for typed in ("muller", "LUKASZ", "1970-01-02"):
        listing = parse(admin.get("/admin/patient/", query_string={"search": typed}))
        assert list_column(listing, "full_name") == ["Łukasz Müller"], typed


def test_the_address_label_is_shown_and_editable(admin, clinician):
    patient = factories.make_patient(clinician, address_label="Old Street 1")
    response = admin.post(f"/admin/patient/edit/?id={patient.id}",
                          data=patient_form(patient, address_label="Nowy Świat 5, Warszawa"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).address_label == "Nowy Świat 5, Warszawa"
    shown = dict(table_rows(parse(admin.get(f"/admin/patient/details/?id={patient.id}")), "table.searchable"))
    assert "Nowy Świat 5, Warszawa" in shown.values()


def test_times_say_utc(admin, clinician):
    factories.make_patient(clinician)
    [created] = list_column(parse(admin.get("/admin/patient/")), "created_at")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", created)          # a text format


def test_the_users_edit_page_offers_reset_password(admin, clinician):
    [link] = [a for a in parse(admin.get(f"/admin/user/edit/?id={clinician.id}")).css("a.btn")
              if a.text() == "Reset password"]
    assert f"id={clinician.id}" in link.attributes["href"]
    assert text_of(parse(admin.get(link.attributes["href"])), "h2") == "Reset the password of alice"


def test_the_audit_log_names_the_actor_with_username_and_id(admin, clinician, frozen_clock):
    factories.make_patient(clinician)
    users.update(actor=clinician, via=channels.PORTAL, user_id=clinician.id, data={"first_name": "Alicia"},
                 partial=True)
    listing = parse(admin.get("/admin/audit/"))
    [renamed] = [row for row in listing.css("table.model-list > tbody > tr")
                 if texts(row, "table.audit-changes tbody th") == ["first_name"]]
    assert text_of(renamed, "td.col-actor_username") == f"Alicia Adams (alice, id {clinician.id})"
    assert table_rows(renamed, "table.audit-changes") == [["first_name", "Alice", "→", "Alicia"]]
