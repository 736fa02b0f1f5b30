"""The patient list, and creating, editing and deleting patients in the portal."""
import re

import pytest

from healthpal.domain import patients, rules
from healthpal.models import Assessment, Patient, QARound
from tests import factories
from tests.web.conftest import audit_rows, count, counting_queries, token_in

VALID = {"full_name": "Zoë O'Connor-Łukasz", "gender": "f", "birthdate": "1980-05-17",
         "phone": "5551234567", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}


def names_in(page: str) -> list[str]:
    return re.findall(r'<th scope="row" data-label="Name"><a href="/patients/\d+">([^<]+)</a>', page)


# The list ------------------------------------------------------------------------------------

def test_first_visit_invites_the_first_patient(alice):
    page = alice.get("/").get_data(as_text=True)
    assert "No patients yet" in page
    assert "Add your first patient" in page


def test_list_shows_the_clinicians_patients_with_their_latest_assessment(alice, clinician, other_clinician):
    ann = factories.make_patient(clinician, full_name="Ann Able", gender="f", phone="5550001111",
                                 birthdate="1990-01-01")
    factories.make_patient(clinician, full_name="Ben Bold", gender="m")
    factories.make_patient(other_clinician, full_name="Bob's Patient")
    factories.make_assessment(ann, type="Mood check", date="2024-03-01", score=40)
    factories.make_assessment(ann, type="Cognitive test", date="2024-05-02", score=77)
    factories.make_assessment(ann, type="Mobility", date="2024-05-02", score=12)  # same day, entered later

    page = alice.get("/").get_data(as_text=True)
    assert names_in(page) == ["Ann Able", "Ben Bold"]
    row = page[page.index("Ann Able"):page.index("Ben Bold")]
    assert f'data-label="Age">{patients.age(ann)}<' in row
    assert "Female" in row and "5550001111" in row
    assert "2024-05-02" in row and "Mobility" in row and 'data-label="Score">12<' in row
    assert "None yet" in page[page.index("Ben Bold"):]
    assert "Bob&#39;s Patient" not in page and "Bob's Patient" not in page


def test_list_runs_the_same_number_of_queries_for_3_or_20_patients(alice, clinician):
    def queries_for_list():
        with counting_queries() as seen:
            assert alice.get("/").status_code == 200
        return seen[0]

    alice.get("/")  # shows (and so removes from the session) the welcome message of signing in
    for _ in range(3):
        factories.make_assessment(factories.make_patient(clinician))
    few = queries_for_list()
    for _ in range(22):
        factories.make_assessment(factories.make_patient(clinician))
    many = queries_for_list()
    # The session with its user, the page of patients, their latest assessments; a full page also counts.
    assert few + 1 == many == 4


def test_search_by_part_of_name_or_phone(alice, clinician):
    factories.make_patient(clinician, full_name="Amélie Laurent", phone="5550100000")
    factories.make_patient(clinician, full_name="Jonas Müller", phone="5550100001")
    assert names_in(alice.get("/?q=LAUR").get_data(as_text=True)) == ["Amélie Laurent"]
    assert names_in(alice.get("/?q=00001").get_data(as_text=True)) == ["Jonas Müller"]
    page = alice.get("/?q=zzz").get_data(as_text=True)
    assert names_in(page) == []
    assert "No patients match “zzz”." in page


def test_search_keeps_its_text_in_the_box_on_reload(alice, clinician):
    factories.make_patient(clinician, full_name="Amélie Laurent")
    page = alice.get("/?q=laur&gender=f").get_data(as_text=True)
    assert 'name="q" value="laur"' in page
    assert '<option value="f" selected>Female</option>' in page


def test_htmx_search_returns_only_the_results_and_varies_on_the_header(alice, clinician):
    factories.make_patient(clinician, full_name="Amélie Laurent")
    response = alice.get("/?q=laur", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert names_in(page) == ["Amélie Laurent"]
    assert "<html" not in page and 'id="q"' not in page
    assert ('<p id="results-status" class="visually-hidden" role="status" hx-swap-oob="true">'
            "1 patient found</p>") in page  # what a screen reader announces
    assert "HX-Request" in response.headers["Vary"]
    restored = alice.get("/?q=laur", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True)


def test_gender_filter(alice, clinician):
    factories.make_patient(clinician, full_name="Ann Able", gender="f")
    factories.make_patient(clinician, full_name="Ben Bold", gender="m")
    assert names_in(alice.get("/?gender=m").get_data(as_text=True)) == ["Ben Bold"]
    assert names_in(alice.get("/?gender=f").get_data(as_text=True)) == ["Ann Able"]
    assert names_in(alice.get("/?gender=x").get_data(as_text=True)) == ["Ann Able", "Ben Bold"]


@pytest.mark.parametrize(("sort", "expected", "marked"), [
    ("full_name", ["Ann Able", "Ben Bold", "Cy Cole"], ("Name", "ascending")),
    ("-full_name", ["Cy Cole", "Ben Bold", "Ann Able"], ("Name", "descending")),
    ("-birthdate", ["Ben Bold", "Cy Cole", "Ann Able"], ("Age", "ascending")),
    ("birthdate", ["Ann Able", "Cy Cole", "Ben Bold"], ("Age", "descending")),
    ("gender", ["Ann Able", "Ben Bold", "Cy Cole"], ("Name", "ascending")),
])
def test_sortable_columns(alice, clinician, sort, expected, marked):
    factories.make_patient(clinician, full_name="Ann Able", birthdate="1950-01-01")
    factories.make_patient(clinician, full_name="Ben Bold", birthdate="2000-01-01")
    factories.make_patient(clinician, full_name="Cy Cole", birthdate="1975-01-01")
    page = alice.get(f"/?sort={sort}").get_data(as_text=True)
    assert names_in(page) == expected
    label, direction = marked
    header = re.search(rf'<th scope="col" aria-sort="(\w+)">\s*<a[^>]*>{label}<', page)
    assert header.group(1) == direction


def test_sort_links_keep_the_search(alice, clinician):
    factories.make_patient(clinician, full_name="Ann Able")
    page = alice.get("/?q=an&gender=f").get_data(as_text=True)
    assert 'href="/?q=an&amp;gender=f&amp;sort=-full_name"' in page
    assert 'href="/?q=an&amp;gender=f&amp;sort=-birthdate"' in page


def test_sort_select_shows_the_current_order_and_travels_with_the_search(alice, clinician):
    """Phones hide the column headers, so a select (part of the search form) chooses the order."""
    factories.make_patient(clinician, full_name="Ann Able")
    page = alice.get("/?q=an&sort=birthdate").get_data(as_text=True)
    select = re.search(r'<select id="sort" name="sort" form="patient-search"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no sort select on the list"
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', select.group(1))
    assert [(value, text) for value, _, text in options] == [
        ("full_name", "Name, A to Z"), ("-full_name", "Name, Z to A"),
        ("-birthdate", "Youngest first"), ("birthdate", "Oldest first"),
        ("-last_assessed_on", "Last assessed, most recent first"),
        ("last_assessed_on", "Last assessed, longest ago first (never first)"),
        ("-last_score", "Latest score, highest first"), ("last_score", "Latest score, lowest first")]
    assert [value for value, selected, _ in options if selected] == ["birthdate"]
    assert page.count('name="sort"') == 1  # one sort value sent with the search, not two


def test_pagination_20_a_page(alice, clinician):
    for n in range(23):
        factories.make_patient(clinician, full_name=f"Pat {chr(65 + n)}name")
    first = alice.get("/").get_data(as_text=True)
    assert len(names_in(first)) == 20
    assert "23 patients · page 1 of 2" in first
    assert 'href="/?page=2"' in first
    second = alice.get("/?page=2").get_data(as_text=True)
    assert names_in(second) == ["Pat Uname", "Pat Vname", "Pat Wname"]
    assert 'href="/"' in second and "Previous" in second
    assert alice.get("/?page=3").status_code == 404
    assert alice.get("/?page=99999999999999999999999").status_code == 404
    assert alice.get("/?page=abc").status_code == 404
    assert names_in(alice.get("/?page=last").get_data(as_text=True)) == ["Pat Uname", "Pat Vname", "Pat Wname"]


# Create and edit -----------------------------------------------------------------------------

def test_new_patient_form_has_labelled_fields(alice):
    page = alice.get("/patients/new").get_data(as_text=True)
    for field, label in [("full_name", "Full name"), ("gender", "Gender"), ("birthdate", "Birthdate"),
                         ("phone", "Phone"), ("address", "Google Place ID")]:
        assert f'<label for="{field}">{label}</label>' in page
        assert f'id="{field}" name="{field}"' in page
    assert 'name="csrf_token"' in page


def test_create_patient(alice, clinician):
    response = alice.post("/patients/new", data=VALID)
    assert response.status_code == 302
    stored = patients.search(actor=clinician, via="portal").items
    assert [p.full_name for p in stored] == ["Zoë O'Connor-Łukasz"]
    patient = stored[0]
    assert response.headers["Location"] == f"/patients/{patient.id}"
    assert patient.clinician_id == clinician.id
    page = alice.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zoë O&#39;Connor-Łukasz was added." in page
    [created] = audit_rows(action="create", entity_type="patient")
    assert created.channel == "portal" and created.actor_id == clinician.id


def test_invalid_patient_shows_each_message_by_its_field_and_keeps_the_input(alice):
    data = {**VALID, "full_name": "R2-D2", "phone": "555-123", "birthdate": "1980-5-17", "gender": ""}
    response = alice.post("/patients/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert count(Patient) == 0
    for field, message in [
        ("full_name", "Full name may contain only Latin letters"),
        ("phone", "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."),
        ("birthdate", rules.DATE_FORMAT),
        ("gender", rules.BLANK),
    ]:
        error = re.search(rf'<small id="{field}-error" class="field-error">([^<]+)</small>', page)
        assert error and message in error.group(1), field
        assert re.search(rf'id="{field}" name="{field}"[^>]*aria-invalid="true"', page), field
    assert 'value="R2-D2"' in page and 'value="555-123"' in page and 'value="1980-5-17"' in page
    assert 'value="ChIJN1t_tDeuEmsRUsoyG83frY4"' in page
    assert "Please correct the fields marked below." in page


def test_duplicate_patient_is_a_form_level_error(alice, clinician):
    factories.make_patient(clinician, full_name=VALID["full_name"], birthdate=VALID["birthdate"])
    response = alice.post("/patients/new", data=VALID)
    assert response.status_code == 422
    assert patients.DUPLICATE in response.get_data(as_text=True)


def test_edit_patient(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    form = alice.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    assert 'value="Ann Able"' in form and '<option value="f" selected>' in form
    response = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "full_name": "Ann Able-Smith"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/patients/{patient.id}"
    assert count(Patient, Patient.full_name == "Ann Able-Smith") == 1
    [updated] = audit_rows(action="update", entity_type="patient")
    assert updated.channel == "portal"
    assert updated.changes["full_name"] == ["Ann Able", "Ann Able-Smith"]


def test_invalid_edit_changes_nothing(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    response = alice.post(f"/patients/{patient.id}/edit", data={**VALID, "phone": "call me"})
    assert response.status_code == 422
    assert "Phone number must be" in response.get_data(as_text=True)
    assert count(Patient, Patient.full_name == "Ann Able") == 1


# Delete --------------------------------------------------------------------------------------

def test_delete_asks_first_and_says_how_many_assessments_go_too(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    factories.make_assessment(patient)
    factories.make_assessment(patient)
    page = alice.get(f"/patients/{patient.id}/delete").get_data(as_text=True)
    assert "Delete Ann Able?" in page
    assert "This also deletes their 2 assessments." in page
    assert count(Patient) == 1

    response = alice.post(f"/patients/{patient.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert count(Patient) == count(Assessment) == count(QARound) == 0
    assert "Ann Able and their assessments were deleted." in alice.get("/").get_data(as_text=True)
    [deleted] = audit_rows(action="delete", entity_type="patient")
    assert deleted.channel == "portal"


def test_delete_of_a_patient_without_assessments_says_so(alice, clinician):
    patient = factories.make_patient(clinician)
    assert "They have no assessments." in alice.get(f"/patients/{patient.id}/delete").get_data(as_text=True)


# Isolation and CSRF --------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("get", "/patients/{id}"),
    ("get", "/patients/{id}/edit"),
    ("post", "/patients/{id}/edit"),
    ("get", "/patients/{id}/delete"),
    ("post", "/patients/{id}/delete"),
    ("get", "/patients/{id}/assessments/new"),
    ("post", "/patients/{id}/assessments/new"),
])
def test_another_clinicians_patient_is_not_found(bob, clinician, method, path):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    response = getattr(bob, method)(path.format(id=patient.id), data=VALID)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found" in page and "Ann Able" not in page
    assert "Bob Brown" in page  # the portal's own layout
    assert count(Patient, Patient.full_name == "Ann Able") == 1
    assert count(Assessment) == 0


@pytest.mark.parametrize("path", ["/patients/new", "/patients/{id}/edit", "/patients/{id}/delete"])
def test_patient_forms_need_the_csrf_token(csrf_client, clinician, path):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    url = path.format(id=patient.id)
    refused = csrf_client.post(url, data=VALID)
    assert refused.status_code == 400
    assert count(Patient) == 1 and count(Patient, Patient.full_name == "Ann Able") == 1
    accepted = csrf_client.post(url, data={**VALID, "csrf_token": token_in(csrf_client.get(url))})
    assert accepted.status_code == 302
