"""The patient list, and creating, editing and deleting patients in the portal."""
import pytest

from healthpal.domain import patients, rules
from healthpal.models import Assessment, Patient, QARound
from tests import factories
from tests.markup import attr, csrf_token, errors_for, flashes, form_values, one, page_text, parse, text_of, texts
from tests.web.conftest import audit_rows, count, counting_queries

VALID = {"full_name": "Zoë O'Connor-Łukasz", "gender": "f", "birthdate": "1980-05-17",
         "phone": "5551234567", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}


def listed(doc) -> list[dict[str, str]]:
    """The patient list's rows, each cell's text by its column (the data-label phones show)."""
    return [{cell.attributes["data-label"]: " ".join(cell.text().split()) for cell in row.css("[data-label]")}
            for row in doc.css("table.patients tbody tr")]


def names_in(doc) -> list[str]:
    """The names the list shows, each a link to the patient's page."""
    return texts(doc, 'table.patients tbody th[data-label="Name"] a[href^="/patients/"]')


# The list ------------------------------------------------------------------------------------

def test_first_visit_invites_the_first_patient(alice):
    doc = parse(alice.get("/"))
    assert text_of(doc, "#results h2") == "No patients yet"
    assert text_of(doc, '#results a[href="/patients/new"]') == "Add your first patient"


def test_list_shows_the_clinicians_patients_with_their_latest_assessment(alice, clinician, other_clinician,
                                                                        frozen_clock):
    ann = factories.make_patient(clinician, full_name="Ann Able", gender="f", phone="5550001111",
                                 birthdate="1990-01-01")
    factories.make_patient(clinician, full_name="Ben Bold", gender="m")
    factories.make_patient(other_clinician, full_name="Bob's Patient")
    factories.make_assessment(ann, type="Mood check", date="2024-03-01", score=40)
    factories.make_assessment(ann, type="Cognitive test", date="2024-05-02", score=77)
    factories.make_assessment(ann, type="Mobility", date="2024-05-02", score=12)  # same day, entered later

    response = alice.get("/")
    doc = parse(response)
    assert names_in(doc) == ["Ann Able", "Ben Bold"]
    first, second = listed(doc)
    assert (first["Age"], first["Gender"], first["Phone"]) == ("36", "Female", "5550001111")   # born 1990-01-01
    assert (first["Last assessment"], first["Score"]) == ("2024-05-02 Mobility", "12")
    assert (second["Last assessment"], second["Score"]) == ("None yet", "—")
    assert "Bob's Patient" not in page_text(doc) and "Bob&#39;s Patient" not in response.get_data(as_text=True)


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
    assert names_in(parse(alice.get("/?q=LAUR"))) == ["Amélie Laurent"]
    assert names_in(parse(alice.get("/?q=00001"))) == ["Jonas Müller"]
    doc = parse(alice.get("/?q=zzz"))
    assert names_in(doc) == []
    assert "No patients match “zzz”." in text_of(doc, "#results")


def test_search_keeps_its_text_in_the_box_on_reload(alice, clinician):
    factories.make_patient(clinician, full_name="Amélie Laurent")
    doc = parse(alice.get("/?q=laur&gender=f"))
    search = form_values(doc, "#patient-search")
    assert (search["q"], search["gender"]) == ("laur", "f")
    assert text_of(doc, "#gender option[selected]") == "Female"


def test_htmx_search_returns_only_the_results_and_varies_on_the_header(alice, clinician):
    factories.make_patient(clinician, full_name="Amélie Laurent")
    response = alice.get("/?q=laur", headers={"HX-Request": "true"})
    doc = parse(response)
    assert names_in(doc) == ["Amélie Laurent"]
    assert doc.css_first("header, #q") is None  # no layout, no search box: only the results
    status = one(doc, "#results-status[role=status]")
    assert (status.text(), status.attributes["hx-swap-oob"]) == ("1 patient found", "true")  # read out
    assert "HX-Request" in response.headers["Vary"]
    restored = alice.get("/?q=laur", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert parse(restored).css_first("header.site-header") is not None


def test_gender_filter(alice, clinician):
    factories.make_patient(clinician, full_name="Ann Able", gender="f")
    factories.make_patient(clinician, full_name="Ben Bold", gender="m")
    assert names_in(parse(alice.get("/?gender=m"))) == ["Ben Bold"]
    assert names_in(parse(alice.get("/?gender=f"))) == ["Ann Able"]
    assert names_in(parse(alice.get("/?gender=x"))) == ["Ann Able", "Ben Bold"]


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
    doc = parse(alice.get(f"/?sort={sort}"))
    assert names_in(doc) == expected
    sorted_by = [(text_of(th, "a").rstrip(" ▲▼"), th.attributes["aria-sort"])
                 for th in doc.css('table.patients th[aria-sort]') if th.attributes["aria-sort"] != "none"]
    assert sorted_by == [marked]


def test_sort_links_keep_the_search(alice, clinician):
    factories.make_patient(clinician, full_name="Ann Able")
    doc = parse(alice.get("/?q=an&gender=f"))
    links = {text_of(th, "a").rstrip(" ▲▼"): attr(th, "a", "href") for th in doc.css("table.patients th[aria-sort]")}
    assert links["Name"] == "/?q=an&gender=f&sort=-full_name"
    assert links["Age"] == "/?q=an&gender=f&sort=-birthdate"


def test_sort_select_shows_the_current_order_and_travels_with_the_search(alice, clinician):
    """Phones hide the column headers, so a select (part of the search form) chooses the order."""
    factories.make_patient(clinician, full_name="Ann Able")
    doc = parse(alice.get("/?q=an&sort=birthdate"))
    options = doc.css('select#sort[form="patient-search"] option')
    assert [(o.attributes["value"], o.text()) for o in options] == [
        ("full_name", "Name, A to Z"), ("-full_name", "Name, Z to A"),
        ("-birthdate", "Youngest first"), ("birthdate", "Oldest first"),
        ("-last_assessed_on", "Last assessed, most recent first"),
        ("last_assessed_on", "Last assessed, longest ago first (never first)"),
        ("-last_score", "Latest score, highest first"), ("last_score", "Latest score, lowest first")]
    assert text_of(doc, "#sort option[selected]") == "Oldest first"
    assert form_values(doc, "#patient-search").getlist("sort") == ["birthdate"]  # one sort value sent, not two


def test_pagination_20_a_page(alice, clinician):
    for n in range(23):
        factories.make_patient(clinician, full_name=f"Pat {chr(65 + n)}name")
    first = parse(alice.get("/"))
    assert len(names_in(first)) == 20
    assert text_of(first, "#results .count") == "23 patients · page 1 of 2"
    assert attr(first, '.pagination a[rel="next"]', "href") == "/?page=2"
    assert first.css_first('.pagination a[rel="prev"]') is None
    second = parse(alice.get("/?page=2"))
    assert names_in(second) == ["Pat Uname", "Pat Vname", "Pat Wname"]
    assert attr(second, '.pagination a[rel="prev"]', "href") == "/"
    assert text_of(second, '.pagination a[rel="prev"]') == "← Previous"
    assert second.css_first('.pagination a[rel="next"]') is None
    assert alice.get("/?page=3").status_code == 404
    assert alice.get("/?page=99999999999999999999999").status_code == 404
    assert alice.get("/?page=abc").status_code == 404
    assert names_in(parse(alice.get("/?page=last"))) == ["Pat Uname", "Pat Vname", "Pat Wname"]


# Create and edit -----------------------------------------------------------------------------

def test_new_patient_form_has_labelled_fields(alice):
    doc = parse(alice.get("/patients/new"))
    for field, label in [("full_name", "Full name"), ("gender", "Gender"), ("birthdate", "Birthdate"),
                         ("phone", "Phone"), ("address", "Google Place ID")]:
        assert text_of(doc, f'label[for="{field}"]') == label
        assert attr(doc, f"form.patient-form #{field}", "name") == field
    assert "csrf_token" in form_values(doc, "form.patient-form")


def test_create_patient(alice, clinician):
    response = alice.post("/patients/new", data=VALID)
    assert response.status_code == 302
    stored = patients.search(actor=clinician, via="portal").items
    assert [p.full_name for p in stored] == ["Zoë O'Connor-Łukasz"]
    patient = stored[0]
    assert response.headers["Location"] == f"/patients/{patient.id}"
    assert patient.clinician_id == clinician.id
    assert "Zoë O'Connor-Łukasz was added." in flashes(parse(alice.get(response.headers["Location"])))
    [created] = audit_rows(action="create", entity_type="patient")
    assert created.channel == "portal" and created.actor_id == clinician.id


def test_invalid_patient_shows_each_message_by_its_field_and_keeps_the_input(alice):
    data = {**VALID, "full_name": "R2-D2", "phone": "555-123", "birthdate": "1980-5-17", "gender": ""}
    response = alice.post("/patients/new", data=data)
    assert response.status_code == 422
    doc = parse(response)
    assert count(Patient) == 0
    for field, message in [
        ("full_name", "Full name may contain only Latin letters"),
        ("phone", "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."),
        ("birthdate", rules.DATE_FORMAT),
        ("gender", rules.BLANK),
    ]:
        [error] = errors_for(doc, field)
        assert message in error, field
        assert attr(doc, f"#{field}", "aria-invalid") == "true", field
    assert errors_for(doc, "address") == []
    kept = form_values(doc, "form.patient-form")
    assert (kept["full_name"], kept["phone"], kept["birthdate"]) == ("R2-D2", "555-123", "1980-5-17")
    assert kept["address"] == "ChIJN1t_tDeuEmsRUsoyG83frY4"
    assert text_of(doc, '.form-error[role="alert"]') == "Please correct the fields marked below."


def test_duplicate_patient_is_a_form_level_error(alice, clinician):
    factories.make_patient(clinician, full_name=VALID["full_name"], birthdate=VALID["birthdate"])
    response = alice.post("/patients/new", data=VALID)
    assert response.status_code == 422
    assert text_of(parse(response), '.form-error[role="alert"]') == patients.DUPLICATE


def test_edit_patient(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    shown = form_values(parse(alice.get(f"/patients/{patient.id}/edit")), "form.patient-form")
    assert (shown["full_name"], shown["gender"]) == ("Ann Able", "f")
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
    assert errors_for(parse(response), "phone") == [
        "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."]
    assert count(Patient, Patient.full_name == "Ann Able") == 1


# Delete --------------------------------------------------------------------------------------

def test_delete_asks_first_and_says_how_many_assessments_go_too(alice, clinician):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    factories.make_assessment(patient)
    factories.make_assessment(patient)
    page = page_text(parse(alice.get(f"/patients/{patient.id}/delete")))
    assert "Delete Ann Able?" in page
    assert "This also deletes their 2 assessments." in page
    assert count(Patient) == 1

    response = alice.post(f"/patients/{patient.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert count(Patient) == count(Assessment) == count(QARound) == 0
    assert "Ann Able and their assessments were deleted." in flashes(parse(alice.get("/")))
    [deleted] = audit_rows(action="delete", entity_type="patient")
    assert deleted.channel == "portal"


def test_delete_of_a_patient_without_assessments_says_so(alice, clinician):
    patient = factories.make_patient(clinician)
    assert "They have no assessments." in page_text(parse(alice.get(f"/patients/{patient.id}/delete")))


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
    doc = parse(response)
    assert text_of(doc, "h1") == "Not found"
    assert "Ann Able" not in response.get_data(as_text=True)  # nowhere, not even in a title or attribute
    assert text_of(doc, "header a.who") == "Bob Brown"  # the portal's own layout
    assert count(Patient, Patient.full_name == "Ann Able") == 1
    assert count(Assessment) == 0


@pytest.mark.parametrize("path", ["/patients/new", "/patients/{id}/edit", "/patients/{id}/delete"])
def test_patient_forms_need_the_csrf_token(csrf_client, clinician, path):
    patient = factories.make_patient(clinician, full_name="Ann Able")
    url = path.format(id=patient.id)
    refused = csrf_client.post(url, data=VALID)
    assert refused.status_code == 400
    assert count(Patient) == 1 and count(Patient, Patient.full_name == "Ann Able") == 1
    accepted = csrf_client.post(url, data={**VALID, "csrf_token": csrf_token(parse(csrf_client.get(url)))})
    assert accepted.status_code == 302
