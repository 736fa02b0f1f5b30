"""The admin's audit log: read-only, newest first, filterable by actor, patient, action, channel, date."""
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from healthpal.domain import audit, channels, patients, users
from healthpal.models import AuditEvent
from tests import factories
from tests.admin.conftest import rows, snapshot
from tests.markup import parse, table_rows


def shown_ids(admin, query="") -> list[int]:
    """The ids of the events the audit list shows, top to bottom (from each row's details link)."""
    response = admin.get(f"/admin/audit/?{query}")
    assert response.status_code == 200
    links = parse(response).css('table.model-list a[href^="/admin/audit/details/"]')
    return [int(parse_qs(urlsplit(link.attributes["href"]).query)["id"][0]) for link in links]


def details(page) -> dict[str, str]:
    """An admin details page's rows: each field's label and the value shown beside it."""
    return dict(table_rows(parse(page), "table.searchable"))


def test_the_audit_log_cannot_be_changed_from_the_admin(admin, clinician):
    factories.make_patient(clinician)
    event_id = audit.events_for()[-1].id
    listing = parse(admin.get("/admin/audit/"))
    targets = [node.attributes.get("href") or node.attributes.get("action") for node in listing.css("[href], [action]")]
    assert not [t for t in targets if t.startswith(("/admin/audit/new/", "/admin/audit/edit/", "/admin/audit/delete/"))]
    before = snapshot()
    for url, data in (("/admin/audit/new/", {"action": "create"}),
                      (f"/admin/audit/edit/?id={event_id}", {"action": "read"}),
                      ("/admin/audit/delete/", {"id": event_id}),
                      ("/admin/audit/action/", {"action": "delete", "rowid": event_id})):
        assert admin.post(url, data=data).status_code == 302
    assert admin.post("/admin/audit/ajax/update/", data={"list_form_pk": event_id, "action": "read"}).status_code == 404
    assert admin.get("/admin/audit/new/").status_code == 302
    assert admin.get(f"/admin/audit/edit/?id={event_id}").status_code == 302
    assert snapshot() == before


def test_newest_first_with_the_details_an_auditor_needs(frozen_clock, admin, clinician):
    patient = factories.make_patient(clinician, phone="5550000001")
    frozen_clock.advance(minutes=5)
    patients.update(actor=clinician, via=channels.PORTAL, patient_id=patient.id, data={"phone": "5550000002"},
                    partial=True)
    update = audit.events_for(entity_type="patient")[-1]
    ids = shown_ids(admin)
    assert ids[0] == update.id
    page = admin.get(f"/admin/audit/details/?id={update.id}")
    shown = details(page)
    assert (shown["Time (UTC)"], shown["Actor"], shown["Action"], shown["Entity"], shown["Entity id"],
            shown["Channel"]) == ("2026-06-15 12:05:00 UTC", f"Alice Adams (alice, id {clinician.id})", "update",
                                  "patient", str(patient.id), "portal")
    assert table_rows(parse(page), "table.audit-changes") == [["phone", "5550000001", "→", "5550000002"]]


@pytest.fixture
def history(clinician, other_clinician, frozen_clock):
    """Events over three days: alice creates Anna (June 1, portal), bob creates Boris (June 2, API),
    the CLI deletes carol (June 3)."""
    frozen_clock.at = datetime(2026, 6, 1, 23, 59, tzinfo=UTC)
    anna = patients.create(actor=clinician, via=channels.PORTAL, data={
        "full_name": "Anna Alpha", "gender": "f", "birthdate": "1980-01-01", "phone": "1", "address": "x"})
    frozen_clock.at = datetime(2026, 6, 2, 0, 0, tzinfo=UTC)
    boris = patients.create(actor=other_clinician, via=channels.API, data={
        "full_name": "Boris Beta", "gender": "m", "birthdate": "1980-01-01", "phone": "2", "address": "y"})
    frozen_clock.at = datetime(2026, 6, 3, 8, 0, tzinfo=UTC)
    carol = factories.make_user("carol")
    users.delete(actor=None, via=channels.CLI, user_id=carol.id)
    by = {(e.entity_type, e.action, e.entity_id): e.id for e in audit.events_for()}
    return {"anna": by["patient", "create", anna.id], "boris": by["patient", "create", boris.id],
            "anna_id": anna.id, "carol-create": by["user", "create", carol.id],
            "carol-delete": by["user", "delete", carol.id]}


@pytest.mark.parametrize(("query", "shown"), [
    ("flt0_actor_equals=alice", {"anna"}),
    ("flt0_actor_contains=BO", {"boris"}),
    ("flt0_channel_equals=api", {"boris"}),
    ("flt0_action_equals=delete", {"carol-delete"}),
    ("flt0_action_equals=create&flt1_entity_equals=patient", {"anna", "boris"}),
    ("flt0_date_on_utc=2026-06-01", {"anna"}),
    ("flt0_date_on_utc=2026-06-02", {"boris"}),
    ("flt0_date_on_or_after_utc=2026-06-02&flt1_entity_equals=patient", {"boris"}),
    ("flt0_date_before_utc=2026-06-02&flt1_entity_equals=patient", {"anna"}),
])
def test_filter_the_audit_log(admin, history, query, shown):
    assert set(shown_ids(admin, query)) == {history[name] for name in shown}


def test_filter_by_patient(admin, history):
    assert shown_ids(admin, f"flt0_patient_id_equals={history['anna_id']}") == [history["anna"]]


def test_the_audit_log_exports_as_csv(admin, history):
    response = admin.get("/admin/audit/export/csv/")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert text.splitlines()[0] == "\ufeffId,Time (UTC),Actor,Action,Entity,Entity id,Patient id,Channel,Changes"
    assert len(text.splitlines()) == 1 + rows(AuditEvent) - 1   # the export's own event comes after it


def test_each_event_shows_the_actors_id_and_current_username_beside_the_name_at_the_time(admin, clinician):
    """Usernames change (even to a deleted colleague's): the id and today's name tell who it was."""
    patient = factories.make_patient(clinician)
    users.update(actor=clinician, via=channels.API, user_id=clinician.id, data={"username": "alicia"})
    event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
    assert event.actor_username == "alice"
    assert details(admin.get(f"/admin/audit/details/?id={event.id}"))["Actor"] == (
        f"Alice Adams (alice, id {clinician.id})")
    assert event.id in shown_ids(admin, f"flt0_actor_id_equals={clinician.id}")
