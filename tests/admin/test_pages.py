"""What the admin pages show, and that lists cost a fixed number of queries however long they are."""
import re

import pytest

from healthpal.domain import audit
from tests import factories
from tests.toolkit import get_with_sql

LISTS = ("/admin/user/", "/admin/patient/", "/admin/assessment/", "/admin/audit/",
         "/admin/user/export/csv/", "/admin/patient/export/csv/", "/admin/assessment/export/csv/",
         "/admin/audit/export/csv/")


def test_the_home_page_says_where_things_are(admin):
    page = admin.get("/admin/").get_data(as_text=True)
    for text in ("/admin/user/", "/admin/patient/?flt0_clinician_unassigned=1", "/admin/assessment/",
                 "/admin/audit/", "purge-audit --before YYYY-MM-DD",
                 "signs the user out of the portal and the mobile app", 'href="/"'):
        assert text in page


@pytest.mark.parametrize("url", ["/admin/", "/admin/patient/", "/admin/audit/"])
def test_every_admin_page_shows_who_is_signed_in_and_signs_out(admin, url):
    page = admin.get(url).get_data(as_text=True)
    form = page[page.index('id="admin-sign-out"'):]
    assert 'action="/logout"' in page and "Sign out" in form and "Casey Clinician" in form
    response = admin.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert admin.get(url).status_code == 302                    # signed out: back to the sign-in page


def add_clinic(clinician, patients: int):
    for _ in range(patients):
        factories.make_assessment(factories.make_patient(clinician))


@pytest.mark.parametrize("url", LISTS)
def test_a_list_costs_the_same_queries_for_2_or_20_rows(admin, clinician, url):
    admin.get("/admin/")  # the first request completes the session Flask-Login keeps (and stores it once)
    add_clinic(clinician, 2)
    _, few = get_with_sql(admin, url)
    add_clinic(clinician, 18)
    _, many = get_with_sql(admin, url)
    assert len(many) == len(few)


def test_long_changes_are_cut_short_in_the_list_only(admin, clinician):
    patient = factories.make_patient(clinician)
    long_answer = "word " * 400
    assessment = factories.make_assessment(patient, qna_rounds=[{"question": "Tell me more?", "answer": long_answer}])
    event_id = audit.events_for(entity_type="assessment", entity_id=assessment.id)[-1].id
    listing = admin.get("/admin/audit/").get_data(as_text=True)
    assert long_answer.strip() not in listing and "…" in listing
    assert long_answer.strip() in admin.get(f"/admin/audit/details/?id={event_id}").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/admin/", "/admin/user/", "/admin/user/new/", "/admin/patient/", "/admin/audit/"])
def test_every_admin_page_names_its_icon(admin, url):
    """Without one, the browser asks for /favicon.ico on every page and logs a 404 error."""
    page = admin.get(url).get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/favicon.svg\?v=[0-9a-f]{10}" type="image/svg\+xml">', page)


def test_times_are_shown_to_the_second_and_searches_say_what_they_search(admin, clinician):
    patient = factories.make_patient(clinician)
    lists = {url: admin.get(url).get_data(as_text=True) for url in ("/admin/user/", "/admin/patient/")}
    details = admin.get(f"/admin/patient/details/?id={patient.id}").get_data(as_text=True)
    for page in (*lists.values(), details):
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b", page)
        assert not re.search(r"\d\d:\d\d:\d\d\.\d", page), "microseconds shown"
    assert 'placeholder="Full name, Phone"' in lists["/admin/patient/"]
    assert 'placeholder="Username, Email, First name, Last name"' in lists["/admin/user/"]


@pytest.mark.parametrize("url", ["/admin/patient/", "/admin/assessment/", "/admin/audit/", "/admin/user/"])
def test_a_list_pages_without_counting_the_whole_table(admin, clinician, url):
    """A count of a million audit events costs more than the page: lists offer next and previous."""
    factories.make_assessment(factories.make_patient(clinician))
    _, seen = get_with_sql(admin, url)
    assert not [s for s in seen if "count(" in s.lower()], seen
