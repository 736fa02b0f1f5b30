"""Users in the domain layer: accounts, passwords, sign-in and its throttle, and the end of access."""
import pytest
from sqlalchemy import delete, func, select

from healthpal import sign_in_throttle
from healthpal.domain import channels, users
from healthpal.domain.exceptions import Invalid, NotFound, Throttled
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient, User
from tests import factories
from tests.helpers import count, errors_of, reloaded, sessions_of, signed_in_once, user_signing_in

CLI = channels.CLI
PASSWORD = factories.PASSWORD


# --- create ------------------------------------------------------------------------------------------

def test_create_stores_a_hashed_password_and_defaults():
    user = users.create(actor=None, via=CLI, data={"username": " dana ", "password": " s3cret pass "})
    stored = reloaded(User, user.id)
    assert (stored.username, stored.email, stored.first_name, stored.is_active, stored.is_superuser) == (
        "dana", "", "", True, False)
    assert stored.password_hash.startswith("$argon2id$") and "s3cret" not in stored.password_hash
    assert user_signing_in("dana", " s3cret pass ") == stored          # taken exactly as typed
    assert user_signing_in("dana", "s3cret pass") is None


def test_create_reports_every_field_error_at_once():
    errors = errors_of(lambda: users.create(actor=None, via=CLI, data={
        "username": "bad name", "password": "9081", "email": "nope", "is_superuser": "yes"}))
    assert set(errors) == {"username", "password", "email", "is_superuser"}
    assert errors["password"] == ["This password is too short. It must contain at least 8 characters.",
                                  "This password is entirely numeric."]
    errors = errors_of(lambda: users.create(actor=None, via=CLI, data={}))
    assert errors == {"username": ["This field is required."], "password": ["This field is required."]}
    assert count(User) == 0


@pytest.mark.parametrize("taken", ["alice", "ALICE", " Alice "])
def test_usernames_are_unique_ignoring_case(clinician, taken):
    errors = errors_of(lambda: users.create(actor=None, via=CLI, data={"username": taken, "password": PASSWORD}))
    assert errors == {"username": [users.USERNAME_TAKEN]}
    assert count(User) == 1


def register(**data):
    return users.register(via=channels.API, data=data, open_registration=True)


def test_register_checks_both_passwords_and_the_username():
    errors = errors_of(lambda: register(username="x y", password1="abc"))
    assert errors == {"password2": ["This field is required."], "username": errors["username"]}
    errors = errors_of(lambda: register(username="dana", password1=PASSWORD, password2=PASSWORD + "!"))
    assert errors == {"password2": [users.MISMATCH]}
    errors = errors_of(lambda: register(username="dana", password1="password", password2="password"))
    assert errors == {"password2": ["This password is too common."]}
    user = register(username="dana", password1=PASSWORD, password2=PASSWORD)
    assert user_signing_in("dana", PASSWORD) == user and not user.is_superuser


# --- update and deactivate ----------------------------------------------------------------------------

def test_users_edit_only_their_names_and_username(clinician):
    users.update(actor=clinician, via=channels.API, user_id=clinician.id, data={
        "username": "alice2", "first_name": "Al", "email": "new@example.org", "is_superuser": True})
    stored = reloaded(User, clinician.id)
    assert (stored.username, stored.first_name) == ("alice2", "Al")
    assert stored.email != "new@example.org" and not stored.is_superuser


def test_superusers_outside_the_admin_panel_edit_only_their_own_names(clinician, superuser):
    email = superuser.email
    users.update(actor=superuser, via=channels.API, user_id=superuser.id, data={
        "first_name": "Ro", "email": "new@example.org", "is_superuser": False, "is_active": False})
    stored = reloaded(User, superuser.id)
    assert (stored.first_name, stored.email, stored.is_superuser, stored.is_active) == (
        "Ro", email, True, True)
    with pytest.raises(NotFound):
        users.update(actor=superuser, via=channels.API, user_id=clinician.id, data={"first_name": "X"})


def test_clinicians_cannot_edit_anyone_else(clinician, other_clinician):
    with pytest.raises(NotFound):
        users.update(actor=clinician, via=channels.API, user_id=other_clinician.id, data={"first_name": "X"})
    assert reloaded(User, other_clinician.id).first_name == "Bob"


def test_admins_edit_every_field(clinician, superuser):
    users.update(actor=superuser, via=channels.ADMIN, user_id=clinician.id, data={
        "email": "new@example.org", "is_superuser": True, "last_name": ""})
    stored = reloaded(User, clinician.id)
    assert (stored.email, stored.is_superuser, stored.last_name) == ("new@example.org", True, "")


def test_update_to_a_taken_username_is_keyed_username(clinician, other_clinician):
    errors = errors_of(lambda: users.update(actor=clinician, via=channels.API, user_id=clinician.id,
                                            data={"username": "Bob"}))
    assert errors == {"username": [users.USERNAME_TAKEN]}
    users.update(actor=clinician, via=channels.API, user_id=clinician.id, data={"username": "alice"})   # own: fine


def test_update_of_an_unknown_user_is_not_found(superuser):
    for user_id in (10**6, 0, 2**63):
        with pytest.raises(NotFound):
            users.update(actor=superuser, via=channels.ADMIN, user_id=user_id, data={})


def test_deactivate_ends_sign_in_and_every_token(clinician):
    signed_in_once(clinician)
    users.deactivate(actor=None, via=CLI, user_id=clinician.id)
    stored = reloaded(User, clinician.id)
    assert not stored.is_active and sessions_of(stored) == 0
    assert user_signing_in("alice", PASSWORD) is None
    events = count(AuditEvent)
    users.deactivate(actor=None, via=CLI, user_id=clinician.id)        # again: nothing more happens
    assert count(AuditEvent) == events


# --- delete ------------------------------------------------------------------------------------------

def test_deleting_a_clinician_leaves_their_patients_unassigned(clinician, other_clinician):
    patient = factories.make_patient(clinician)
    factories.make_assessment(patient)
    untouched = factories.make_patient(other_clinician)
    users.delete(actor=None, via=CLI, user_id=clinician.id)
    db.session.expire_all()
    assert db.session.get(User, clinician.id) is None
    assert db.session.get(Patient, patient.id).clinician_id is None
    assert db.session.get(Patient, untouched.id).clinician_id == other_clinician.id
    assert count(Assessment) == 1
    # The audit trail keeps the deleted user's name, though the link to the row is gone.
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "patient", AuditEvent.entity_id == patient.id, AuditEvent.action == "create"))
    assert event.actor_id is None and event.actor_username == "alice"


def test_the_database_itself_unassigns_on_a_clinician_delete(clinician):
    patient = factories.make_patient(clinician)
    db.session.execute(delete(User).where(User.id == clinician.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Patient, patient.id).clinician_id is None


def test_unassigned_patients_may_share_a_name_and_birthdate(clinician, other_clinician):
    factories.make_patient(clinician, full_name="Ann Lee", birthdate="1990-01-01")
    factories.make_patient(other_clinician, full_name="Ann Lee", birthdate="1990-01-01")
    users.delete(actor=None, via=CLI, user_id=clinician.id)
    users.delete(actor=None, via=CLI, user_id=other_clinician.id)
    assert db.session.scalar(select(func.count()).where(Patient.clinician_id.is_(None))) == 2


# --- sign in ------------------------------------------------------------------------------------------

def sign_in(username, password=PASSWORD, address="10.0.0.1"):
    return users.sign_in(username=username, password=password, address=address, via=channels.API,
                         throttle=sign_in_throttle.current())


def test_sign_in_takes_only_an_active_user_with_the_right_password(clinician):
    assert sign_in("alice") == clinician
    assert sign_in(" alice ") == clinician
    refused = {"non_field_errors": [users.BAD_CREDENTIALS]}
    assert errors_of(lambda: sign_in("alice", PASSWORD + "x")) == refused
    assert errors_of(lambda: sign_in("nobody")) == refused
    assert errors_of(lambda: sign_in(["alice"])) == refused
    assert errors_of(lambda: sign_in("alice", 42)) == refused
    users.deactivate(actor=None, via=CLI, user_id=clinician.id)
    assert errors_of(lambda: sign_in("alice")) == refused


def test_sign_in_gives_one_message_for_every_kind_of_miss(clinician, other_clinician):
    users.deactivate(actor=None, via=CLI, user_id=other_clinician.id)
    misses = [errors_of(lambda: sign_in("alice", "wrong-password")), errors_of(lambda: sign_in("nobody")),
              errors_of(lambda: sign_in("bob"))]
    assert misses == [{"non_field_errors": [users.BAD_CREDENTIALS]}] * 3
    assert sign_in("alice") == clinician


def test_sign_in_needs_both_fields():
    assert errors_of(lambda: sign_in(None, None)) == {
        "username": ["This field is required."], "password": ["This field is required."]}


def test_five_failures_for_a_username_throttle_it(app, clinician, other_clinician):
    for attempt in range(5):
        with pytest.raises(Invalid):
            sign_in("Alice", "wrong-password", address=f"10.0.0.{attempt}")
    with pytest.raises(Throttled) as caught:
        sign_in("alice")                                    # even the right password waits
    assert 0 < caught.value.retry_after <= app.config["HEALTHPAL_LOGIN_WINDOW_SECONDS"] + 1
    assert sign_in("bob") == other_clinician               # other usernames are not affected


def test_a_success_clears_that_usernames_failures(clinician):
    for _ in range(4):
        with pytest.raises(Invalid):
            sign_in("alice", "wrong-password")
    assert sign_in("alice") == clinician
    for _ in range(4):
        with pytest.raises(Invalid):
            sign_in("alice", "wrong-password")
    assert sign_in("alice") == clinician


def test_failures_from_one_address_throttle_that_address(app, clinician, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS", 3)
    for name in ("x1", "x2", "x3"):
        with pytest.raises(Invalid):
            sign_in(name, address="10.9.9.9")
    with pytest.raises(Throttled):
        sign_in("alice", address="10.9.9.9")
    assert sign_in("alice", address="10.9.9.8") == clinician


# --- passwords -----------------------------------------------------------------------------------------

def change(user, address="10.0.0.1", **data):
    return users.change_password(actor=user, via=channels.API, data=data, address=address,
                                 throttle=sign_in_throttle.current())


def test_change_password_errors_are_keyed_by_field(clinician):
    assert errors_of(lambda: change(clinician)) == {name: ["This field is required."] for name in (
        "old_password", "new_password1", "new_password2")}
    errors = errors_of(lambda: change(clinician, old_password="wrong", new_password1="new-pass-1",
                                      new_password2="new-pass-2"))
    assert errors == {"old_password": [users.WRONG_OLD_PASSWORD], "new_password2": [users.MISMATCH]}
    errors = errors_of(lambda: change(clinician, old_password=PASSWORD, new_password1="short",
                                      new_password2="short"))
    assert errors == {"new_password2": ["This password is too short. It must contain at least 8 characters."]}
    assert user_signing_in("alice", PASSWORD) == clinician


def test_change_password_ends_earlier_tokens_and_takes_the_new_one(clinician):
    signed_in_once(clinician)
    change(clinician, old_password=PASSWORD, new_password1="a-new-secret", new_password2="a-new-secret")
    assert sessions_of(clinician) == 0
    assert user_signing_in("alice", PASSWORD) is None
    assert user_signing_in("alice", "a-new-secret") == reloaded(User, clinician.id)
    changes = db.session.scalars(select(AuditEvent.changes).where(AuditEvent.action == "update")).all()
    assert changes == [{"password": "changed"}]                # the password itself is never logged


def test_set_password_refuses_weak_ones_keyed_password(clinician):
    errors = errors_of(lambda: users.set_password(actor=None, via=CLI, user_id=clinician.id, password="12345678"))
    assert errors == {"password": ["This password is entirely numeric.", "This password is too common."]}


# --- races (PostgreSQL) ------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("precheck", ["with", "without"])
def test_simultaneous_creates_of_one_username_give_one_user(race, monkeypatch, precheck):
    if precheck == "without":
        monkeypatch.setattr(users, "_username_taken", lambda username, exclude_id: {})
    results = race(lambda: users.create(actor=None, via=CLI, data={"username": "dana", "password": PASSWORD}))
    assert sorted(type(r).__name__ for r in results) == ["Invalid", "Invalid", "Invalid", "User"]
    assert all(r.errors == {"username": [users.USERNAME_TAKEN]} for r in results if isinstance(r, Invalid))
    assert count(User) == 1
