"""What the admin pages show, and that lists cost a fixed number of queries however long they are."""
import re

import pytest
from flask_admin.contrib.sqla import ModelView

from healthpal.admin.base import AdminView
from healthpal.domain import audit
from tests import factories
from tests.markup import attr, list_column, one, parse, table_rows, text_of, texts
from tests.toolkit import get_with_sql

LISTS = ("/admin/user/", "/admin/patient/", "/admin/assessment/", "/admin/audit/",
         "/admin/user/export/csv/", "/admin/patient/export/csv/", "/admin/assessment/export/csv/",
         "/admin/audit/export/csv/")


def test_the_home_page_says_where_things_are(admin):
    doc = parse(admin.get("/admin/"))
    assert {" ".join(a.text().split()): a.attributes["href"] for a in doc.css("dl a")} == {
        "Users": "/admin/user/", "Patients": "/admin/patient/",
        "unassigned": "/admin/patient/?flt0_clinician_unassigned=1",
        "Assessments": "/admin/assessment/", "Audit log": "/admin/audit/"}
    assert text_of(doc, "dl code") == "flask --app wsgi purge-audit --before YYYY-MM-DD"
    assert "signs the user out of the portal and the mobile app" in text_of(doc, "dl")
    assert text_of(doc, 'nav a[href="/"]') == "Back to the portal"


@pytest.mark.parametrize("url", ["/admin/", "/admin/patient/", "/admin/audit/"])
def test_every_admin_page_shows_who_is_signed_in_and_signs_out(admin, url):
    form = one(parse(admin.get(url)), "form#admin-sign-out")
    assert (form.attributes["action"], form.attributes["method"]) == ("/logout", "post")
    assert text_of(form, "button") == "Sign out" and text_of(form, ".navbar-text").startswith("Casey Clinician")
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
    [changes] = [cell for cell in texts(parse(admin.get("/admin/audit/")), "td.col-changes") if "Tell me more?" in cell]
    assert long_answer.strip() not in changes and "…" in changes
    details = text_of(parse(admin.get(f"/admin/audit/details/?id={event_id}")), "table.searchable")
    assert long_answer.strip() in details


@pytest.mark.parametrize("url", ["/admin/", "/admin/user/", "/admin/user/new/", "/admin/patient/", "/admin/audit/"])
def test_every_admin_page_names_its_icon(admin, url):
    """Without one, the browser asks for /favicon.ico on every page and logs a 404 error."""
    icon = one(parse(admin.get(url)), 'head link[rel="icon"]')
    assert icon.attributes["type"] == "image/svg+xml"
    assert re.fullmatch(r"/static/favicon\.svg\?v=[0-9a-f]{10}", icon.attributes["href"])   # content-hashed URL


def test_times_are_shown_to_the_second_and_searches_say_what_they_search(admin, clinician):
    patient = factories.make_patient(clinician)
    lists = {url: parse(admin.get(url)) for url in ("/admin/user/", "/admin/patient/")}
    details = dict(table_rows(parse(admin.get(f"/admin/patient/details/?id={patient.id}")), "table.searchable"))
    for shown in (*(list_column(doc, "created_at") for doc in lists.values()), [details["Created (UTC)"]]):
        for time in shown:                                       # a text format: to the second, no microseconds
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", time), time
    assert attr(lists["/admin/patient/"], 'input[name="search"]', "placeholder") == "Full name, Phone"
    assert attr(lists["/admin/user/"], 'input[name="search"]', "placeholder") == (
        "Username, Email, First name, Last name")


@pytest.mark.parametrize("url", ["/admin/patient/", "/admin/assessment/", "/admin/audit/", "/admin/user/"])
def test_a_list_pages_without_counting_the_whole_table(admin, clinician, url):
    """A count of a million audit events costs more than the page: lists offer next and previous."""
    factories.make_assessment(factories.make_patient(clinician))
    _, seen = get_with_sql(admin, url)
    assert not [s for s in seen if "count(" in s.lower()], seen


def without_tokens(response) -> str:
    """The page, its CSRF tokens (signed with the time of the request) left out."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", response.get_data(as_text=True))


@pytest.mark.parametrize("url", ["/admin/user/", "/admin/patient/", "/admin/assessment/", "/admin/audit/",
                                 "/admin/patient/?search=a&sort=0&desc=1"])
def test_each_rows_view_edit_and_delete_buttons_are_its_own(admin, clinician, monkeypatch, url):
    """The row actions are drawn once per page and stamped with each row's id: the page is the one
    Flask-Admin draws row by row, each row's links and delete form naming that row."""
    add_clinic(clinician, 3)
    stamped = without_tokens(admin.get(url))
    monkeypatch.setattr(AdminView, "get_list_row_actions", ModelView.get_list_row_actions)
    assert without_tokens(admin.get(url)) == stamped
    ids = re.findall(r'/details/\?id=(\d+)&amp;', stamped)
    assert len(set(ids)) == len(ids) >= 2
    for id_ in ids:
        if "audit" not in url:
            assert f'<input type="checkbox" name="rowid" class="action-checkbox" value="{id_}"' in stamped
            assert f"/edit/?id={id_}&amp;" in stamped
            assert f'<input id="id" name="id" type="hidden" value="{id_}">' in stamped


def as_shown(page: str) -> str:
    """A page's markup with its white space as a browser shows it: runs made one space, none between tags."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page))


@pytest.mark.parametrize("url", ["/admin/user/", "/admin/patient/", "/admin/assessment/", "/admin/audit/",
                                 "/admin/patient/?search=a&sort=0&desc=1", "/admin/patient/?search=nobody-at-all"])
def test_a_list_shows_what_flask_admins_own_list_template_shows(admin, clinician, monkeypatch, url):
    """Rows are drawn in one loop (admin/list.html): the same checkboxes, buttons and cells as
    Flask-Admin's template, which draws them block by block."""
    add_clinic(clinician, 3)
    ours = without_tokens(admin.get(url))
    monkeypatch.setattr(AdminView, "list_template", ModelView.list_template)
    assert as_shown(without_tokens(admin.get(url))) == as_shown(ours)
    assert ("nobody" in url) == ('<td class="list-buttons-column">' not in ours)
