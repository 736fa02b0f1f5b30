"""The audit trail: every change through the admin panel and the CLI is recorded with who, what,
when and how; in the same transaction as the change; never with a password; kept until purged."""
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from healthpal import sign_in_throttle
from healthpal.domain import audit, channels, patients, users
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient, User
from tests import factories
from tests.admin.conftest import rows, sign_in, snapshot

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
PATIENT = {"full_name": "Amélie Laurent", "gender": "f", "birthdate": "1980-05-17", "phone": "5551234567",
           "address": "ChIJN1t_tDeuEmsRUsoyG83frY4"}
ROUND = {"rounds-0-question": "How do you feel?", "rounds-0-answer": "Fine"}


def at_utc(event) -> datetime:
    """The event's time as an aware UTC datetime (SQLite hands it back naive)."""
    return event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)


def latest(entity_type: str) -> AuditEvent:
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == entity_type)
                              .order_by(AuditEvent.id.desc())).first()


# Each admin write or read: (label, what the superuser does, the entity type, the action recorded).
def _user_create(client, ctx):
    client.post("/admin/user/new/", data={"username": "carol", "password": "a-long-fresh-secret", "is_active": "y"})


def _user_update(client, ctx):
    client.post(f"/admin/user/edit/?id={ctx['alice'].id}", data={
        "username": "alice", "email": "", "first_name": "Alicia", "last_name": "", "is_active": "y"})


def _user_password(client, ctx):
    client.post(f"/admin/user/password/?id={ctx['alice'].id}", data={"password": "a-long-fresh-secret"})


def _user_deactivate(client, ctx):
    client.post("/admin/user/action/", data={"action": "deactivate", "rowid": ctx["alice"].id})


def _user_delete(client, ctx):
    client.post("/admin/user/delete/", data={"id": ctx["alice"].id})


def _patient_create(client, ctx):
    client.post("/admin/patient/new/", data={**PATIENT, "clinician": ctx["alice"].id})


def _patient_update(client, ctx):
    client.post(f"/admin/patient/edit/?id={ctx['patient'].id}", data={"phone": "5550009999"})


def _patient_reassign(client, ctx):
    client.post(f"/admin/patient/edit/?id={ctx['patient'].id}", data={"clinician": ctx["root"].id})


def _patient_read(client, ctx):
    client.get(f"/admin/patient/details/?id={ctx['patient'].id}")


def _patient_delete(client, ctx):
    client.post("/admin/patient/delete/", data={"id": ctx["patient"].id})


def _assessment_create(client, ctx):
    client.post("/admin/assessment/new/", data={"patient": ctx["patient"].id, "type": "Mood check",
                                                "date": "2024-02-02", "score": "40", **ROUND})


def _assessment_update(client, ctx):
    a = ctx["assessment"]
    client.post(f"/admin/assessment/edit/?id={a.id}", data={"patient": a.patient_id, "type": a.type,
                                                            "date": a.date.isoformat(), "score": "99", **ROUND})


def _assessment_read(client, ctx):
    client.get(f"/admin/assessment/details/?id={ctx['assessment'].id}")


def _assessment_delete(client, ctx):
    client.post("/admin/assessment/delete/", data={"id": ctx["assessment"].id})


ADMIN_WRITES = [
    (_user_create, "user", "create"), (_user_update, "user", "update"), (_user_password, "user", "update"),
    (_user_deactivate, "user", "update"), (_user_delete, "user", "delete"),
    (_patient_create, "patient", "create"), (_patient_update, "patient", "update"),
    (_patient_reassign, "patient", "update"), (_patient_read, "patient", "read"),
    (_patient_delete, "patient", "delete"),
    (_assessment_create, "assessment", "create"), (_assessment_update, "assessment", "update"),
    (_assessment_read, "assessment", "read"), (_assessment_delete, "assessment", "delete"),
]


@pytest.fixture
def ctx(frozen_clock, app, superuser, clinician):
    patient = factories.make_patient(clinician)
    return {"root": superuser, "alice": clinician, "patient": patient,
            "assessment": factories.make_assessment(patient), "client": sign_in(app.test_client(), superuser)}


@pytest.mark.parametrize(("do", "entity_type", "action"), ADMIN_WRITES, ids=[w[0].__name__[1:] for w in ADMIN_WRITES])
def test_every_admin_action_is_recorded(ctx, do, entity_type, action):
    count = rows(AuditEvent)
    do(ctx["client"], ctx)
    event = latest(entity_type)
    assert rows(AuditEvent) > count
    assert (event.action, event.channel) == (action, "admin")
    assert (event.actor_id, event.actor_username) == (ctx["root"].id, "root")
    assert at_utc(event) == NOW
    assert event.entity_id is not None
    if entity_type == "patient":
        assert event.patient_id == event.entity_id
    if entity_type == "assessment":
        assert event.patient_id == ctx["patient"].id
    if action == "update":
        assert event.changes and all(v == "changed" or (isinstance(v, list) and len(v) == 2 and v[0] != v[1])
                                     for v in event.changes.values())


# Each CLI command: (arguments, the events it records as (entity type, action)).
CLI_COMMANDS = {
    "create-user": (["create-user", "carol", "--password", "a-long-fresh-secret"], [("user", "create")]),
    "deactivate-user": (["deactivate-user", "alice"], [("user", "update")]),
    "delete-user": (["delete-user", "alice"], [("user", "delete"), ("patient", "update")]),
    "purge-audit": (["purge-audit", "--before", "2020-01-01", "--yes"], [("audit", "purge")]),
}


@pytest.mark.parametrize("command", CLI_COMMANDS)
def test_every_cli_command_is_recorded_as_the_os_account(ctx, runner, command):
    args, expected = CLI_COMMANDS[command]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    for entity_type, action in expected:
        event = latest(entity_type)
        assert (event.action, event.channel, event.actor_id) == (action, "cli", None)
        assert event.actor_username.startswith("os:") and len(event.actor_username) > 3
        assert at_utc(event) == NOW


def test_demo_data_is_recorded_as_entered_by_the_demo_clinician(frozen_clock, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    demo = users.by_username("demo")
    for entity_type in ("patient", "assessment"):
        event = latest(entity_type)
        assert (event.action, event.channel, event.actor_id, event.actor_username) == ("create", "cli", demo.id, "demo")


def test_deleting_a_user_records_each_patient_left_unassigned(ctx, runner):
    second = factories.make_patient(ctx["alice"])
    alice_id = ctx["alice"].id
    runner.invoke(args=["delete-user", "alice"])
    for patient in (ctx["patient"], second):
        event = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
        assert (event.action, event.patient_id) == ("update", patient.id)
        assert event.changes == {"clinician_id": [alice_id, None]}


def test_a_self_registration_is_recorded_with_the_new_user_as_actor():
    user = users.register(via=channels.API, open_registration=True, data={
        "username": "dana", "password1": "a-long-fresh-secret", "password2": "a-long-fresh-secret"})
    event = audit.events_for(entity_type="user", entity_id=user.id)[-1]
    assert (event.action, event.actor_id, event.actor_username) == ("create", user.id, "dana")


# --- same transaction: a failure inside it leaves neither the change nor its event -----------------

@pytest.fixture
def failing_commit(monkeypatch):
    """The next commits send everything to the database, then fail (as a lost connection would)."""
    def commit():
        db.session.flush()
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(db.session, "commit", commit)


@pytest.mark.parametrize("do", [w[0] for w in ADMIN_WRITES], ids=[w[0].__name__[1:] for w in ADMIN_WRITES])
def test_an_admin_action_that_fails_leaves_no_audit_event(ctx, request, do):
    before = snapshot()
    request.getfixturevalue("failing_commit")
    do(ctx["client"], ctx)
    assert snapshot() == before


def test_a_cli_command_that_fails_leaves_no_audit_event(ctx, runner, failing_commit):
    before = snapshot()
    result = runner.invoke(args=["create-user", "carol", "--password", "a-long-fresh-secret"])
    assert result.exit_code != 0
    assert snapshot() == before


def test_a_committed_change_always_has_its_event(ctx):
    """Every row written by the fixtures (users, patient, assessment) has its create event."""
    recorded = {(e.entity_type, e.entity_id) for e in audit.events_for() if e.action == "create"}
    stored = ({("user", i) for i in db.session.scalars(select(User.id))}
              | {("patient", i) for i in db.session.scalars(select(Patient.id))}
              | {("assessment", i) for i in db.session.scalars(select(Assessment.id))})
    assert stored <= recorded


# --- passwords --------------------------------------------------------------------------------------

def test_no_password_or_hash_ever_reaches_the_audit_trail(ctx, runner):
    secrets = ["cli-secret-pass-1", "admin-secret-pass-2", "reset-secret-pass-3", "change-secret-pass-4",
               "register-secret-pass-5", factories.PASSWORD]
    runner.invoke(args=["create-user", "carol", "--password", secrets[0]])
    client = ctx["client"]
    client.post("/admin/user/new/", data={"username": "dave", "password": secrets[1], "is_active": "y"})
    client.post(f"/admin/user/password/?id={ctx['alice'].id}", data={"password": secrets[2]})
    dave = users.by_username("dave")
    users.change_password(actor=dave, via=channels.API, address="10.0.0.1", throttle=sign_in_throttle.current(),
                          data={"old_password": secrets[1], "new_password1": secrets[3], "new_password2": secrets[3]})
    users.register(via=channels.API, open_registration=True,
                   data={"username": "erin", "password1": secrets[4], "password2": secrets[4]})
    runner.invoke(args=["delete-user", "carol"])
    hashes = list(db.session.scalars(select(User.password_hash)))
    trail = json.dumps([e.changes for e in audit.events_for()], ensure_ascii=False)
    for secret in secrets + hashes + [h.split("$")[-1] for h in hashes]:
        assert secret not in trail
    assert "password_hash" not in trail
    password_changes = [e.changes for e in audit.events_for() if e.changes and "password" in e.changes]
    assert password_changes == [{"password": "changed"}] * 2


# --- retention and purge ----------------------------------------------------------------------------

def test_purge_removes_old_events_and_records_itself(frozen_clock, runner, clinician):
    frozen_clock.at = datetime(2026, 1, 10, 9, tzinfo=UTC)
    old = factories.make_patient(clinician)
    frozen_clock.at = datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC)
    patients.read(actor=clinician, via=channels.API, patient_id=old.id)
    frozen_clock.at = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    patients.read(actor=clinician, via=channels.API, patient_id=old.id)
    kept_ids = {e.id for e in audit.events_for() if at_utc(e) >= datetime(2026, 3, 10, tzinfo=UTC)}
    removable = rows(AuditEvent) - len(kept_ids)
    frozen_clock.at = datetime(2026, 6, 20, tzinfo=UTC)

    result = runner.invoke(args=["purge-audit", "--before", "2026-03-10", "--yes"])

    assert result.exit_code == 0, result.output
    assert f"Purged {removable} audit event(s) recorded before 2026-03-10." in result.output
    events = audit.events_for()
    assert {e.id for e in events if e.action != "purge"} == kept_ids
    [purge] = [e for e in events if e.action == "purge"]
    assert (purge.action, purge.entity_type, purge.channel, purge.actor_id) == ("purge", "audit", "cli", None)
    assert purge.changes == {"before": "2026-03-10", "removed": removable}
    assert at_utc(purge) == datetime(2026, 6, 20, tzinfo=UTC)


def test_records_of_purges_are_never_purged(frozen_clock, runner):
    runner.invoke(args=["purge-audit", "--before", "2026-01-01", "--yes"])
    frozen_clock.advance(days=30)
    runner.invoke(args=["purge-audit", "--before", "2027-01-01", "--yes"])
    assert [(e.action, e.changes["before"]) for e in audit.events_for()] == [
        ("purge", "2026-01-01"), ("purge", "2027-01-01")]


def test_purge_asks_first_and_does_nothing_unless_confirmed(runner, clinician):
    count = rows(AuditEvent)
    result = runner.invoke(args=["purge-audit", "--before", "2999-01-01"], input="n\n")
    assert result.exit_code == 1
    assert "Audit events are kept forever unless purged." in result.output
    assert rows(AuditEvent) == count


@pytest.mark.parametrize("before", ["2026-02-30", "yesterday", ""])
def test_purge_needs_a_date(runner, clinician, before):
    count = rows(AuditEvent)
    result = runner.invoke(args=["purge-audit", "--before", before, "--yes"])
    assert result.exit_code == 2
    assert rows(AuditEvent) == count


def test_purge_help_explains_retention(runner):
    help_text = " ".join(runner.invoke(args=["purge-audit", "--help"]).output.split())
    assert "kept forever unless purged" in help_text
    assert "records of purges are never purged" in help_text


def test_an_export_is_one_event_naming_the_list_format_filters_and_row_count(frozen_clock):
    alice = factories.make_user("alice")
    audit.record_export(actor=alice, via=channels.API, entity_type="patient", file_format="csv",
                        filters={"search": "mül"}, rows=3)
    db.session.commit()
    event = latest("patient")
    assert (event.action, event.actor_id, event.channel, event.entity_id) == ("export", alice.id, "api", None)
    assert event.changes == {"format": "csv", "filters": {"search": "mül"}, "rows": 3}
