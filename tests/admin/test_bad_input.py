"""The admin never answers 500 to bad input: a NUL in a search, filter or lookup, a page, offset or
limit no list can have, and bulk-action row ids that cannot exist get a 400 saying why; other odd
values (a filter date at the end of time, text that is not UTF-8) get the list."""
import pytest

from healthpal.extensions import db
from healthpal.models import User
from tests import factories
from tests.admin.conftest import snapshot
from tests.markup import page_text, parse


def message(response) -> str:
    """What the answer says, as a person reads it (the page's text, or a plain-text body)."""
    return page_text(parse(response))


@pytest.mark.parametrize("url", [
    "/admin/patient/?search=%00",
    "/admin/user/?search=a%00b",
    "/admin/patient/?flt0_clinician_username_is=%00",
    "/admin/audit/?flt0_actor_equals=%00",
    "/admin/audit/?flt0_actor_contains=al%00",
    "/admin/assessment/?flt0_type_equals=%00",
    "/admin/patient/export/csv/?search=%00",
    "/admin/patient/ajax/lookup/?name=clinician&query=%00",
    "/admin/assessment/ajax/lookup/?name=patient&query=an%00",
])
def test_a_nul_in_a_search_or_filter_is_refused(admin, clinician, url):
    response = admin.get(url)
    assert response.status_code == 400
    assert "Null characters are not allowed in a search or filter." in message(response)


@pytest.mark.parametrize("url", [
    "/admin/patient/?page=-1",
    "/admin/audit/?page=-5",
    "/admin/patient/?page=9223372036854775808",
    "/admin/user/?page=1e3",
    "/admin/patient/?page_size=-1",
    "/admin/assessment/export/csv/?page=-1",
    "/admin/patient/ajax/lookup/?name=clinician&query=a&offset=-1",
    "/admin/patient/ajax/lookup/?name=clinician&query=a&limit=-1",
    "/admin/patient/ajax/lookup/?name=clinician&query=a&offset=9223372036854775808",
])
def test_a_page_no_list_can_have_is_refused(admin, clinician, url):
    response = admin.get(url)
    assert response.status_code == 400
    assert "There is no such page" in message(response)


def test_a_page_past_the_end_is_an_empty_list(admin, clinician):
    factories.make_patient(clinician)
    response = admin.get("/admin/patient/?page=1000000")
    assert response.status_code == 200
    assert "There are no items in the table." in message(response)


@pytest.mark.parametrize("url", [
    "/admin/audit/?flt0_date_on_utc=9999-12-31",
    "/admin/assessment/?flt0_date_between=2020-01-01+to+9999-12-31",
    "/admin/patient/?search=%FF%FE",
])
def test_odd_but_harmless_values_show_the_list(admin, clinician, url):
    factories.make_patient(clinician, full_name="Anna Odd")
    assert admin.get(url).status_code == 200


@pytest.mark.parametrize("url", [
    "/admin/audit/?flt0_patient_id_equals=99999999999999999999",
    "/admin/audit/?flt0_entity_id_equals=-1",
    "/admin/audit/?flt0_actor_id_equals=0",
    "/admin/assessment/?flt0_patient_id_equals=9223372036854775808",
])
def test_an_id_no_record_can_have_is_an_invalid_filter_value(admin, clinician, url):
    factories.make_patient(clinician)
    response = admin.get(url)
    assert response.status_code == 200 and "Invalid Filter Value" in message(response)


@pytest.mark.parametrize("view", ["user", "patient", "assessment"])
@pytest.mark.parametrize("ids", [["abc"], ["1", "x"], ["99999999999999999999"], ["-1"], ["\x00"], [""]])
def test_bulk_actions_refuse_ids_that_cannot_exist(admin, clinician, view, ids):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient)
    before = snapshot()
    response = admin.post(f"/admin/{view}/action/", data={"action": "delete", "rowid": ids})
    assert response.status_code == 400
    assert "The selected records are not valid record ids." in message(response)
    assert snapshot() == before


def test_bulk_actions_on_real_ids_still_work(admin, clinician):
    response = admin.post("/admin/user/action/", data={"action": "deactivate", "rowid": [str(clinician.id)]})
    assert response.status_code == 302
    assert db.session.get(User, clinician.id).is_active is False
