"""`flask --app wsgi ...` commands: what an operator types, sees, and finds stored afterwards."""
import re

import pytest
from sqlalchemy import func, select

from healthpal import demo
from healthpal.domain import users
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient, User
from tests import factories
from tests.helpers import sessions_of, signed_in_once, user_signing_in


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fresh_user(username: str) -> User | None:
    db.session.expire_all()
    return users.by_username(username)


# --- create-user -----------------------------------------------------------------------------------

def test_create_user_makes_a_clinician_who_can_sign_in(runner):
    result = runner.invoke(args=["create-user", "dana", "--password", "s3cret-enough", "--email", "dana@example.org",
                                 "--first-name", "Dana", "--last-name", "Reyes"])
    assert result.exit_code == 0, result.output
    assert "Created clinician dana" in result.output
    user = fresh_user("dana")
    assert (user.email, user.first_name, user.last_name, user.is_superuser, user.is_active) == (
        "dana@example.org", "Dana", "Reyes", False, True)
    assert user_signing_in("dana", "s3cret-enough") == user
    assert db.session.scalar(select(AuditEvent.channel).where(AuditEvent.entity_id == user.id)) == "cli"


def test_create_user_superuser(runner):
    result = runner.invoke(args=["create-user", "root", "--password", "s3cret-enough", "--superuser"])
    assert result.exit_code == 0 and "Created superuser root" in result.output
    assert fresh_user("root").is_superuser


@pytest.mark.parametrize("args, message", [
    (["dana", "--password", "1234567"], "password: This password is too short. It must contain at least 8 "
                                        "characters. This password is entirely numeric."),
    (["dana", "--password", "password"], "password: This password is too common."),
    (["da na", "--password", "s3cret-enough"], "username: "),
    (["dana", "--password", "s3cret-enough", "--email", "not-an-email"], "email: Enter a valid email address."),
    (["dana", "--password", "s3cret-enough", "--first-name", "x" * 151], "first_name: "),
])
def test_create_user_with_bad_input_says_why_and_stores_nothing(runner, args, message):
    result = runner.invoke(args=["create-user", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


def test_create_user_with_a_taken_username_fails(runner, clinician):
    result = runner.invoke(args=["create-user", "Alice", "--password", "s3cret-enough"])
    assert result.exit_code != 0
    assert "username: A user with that username already exists." in result.output
    assert count(User) == 1


def test_create_user_needs_a_password(runner):
    result = runner.invoke(args=["create-user", "dana"])
    assert result.exit_code != 0 and "--password" in result.output
    assert count(User) == 0


# --- deactivate-user and delete-user ----------------------------------------------------------------

def test_deactivate_user_stops_sign_in_and_revokes_tokens(runner, clinician):
    signed_in_once(clinician)
    result = runner.invoke(args=["deactivate-user", "alice"])
    assert result.exit_code == 0, result.output
    assert "Deactivated alice" in result.output
    user = fresh_user("alice")
    assert not user.is_active and sessions_of(user) == 0
    assert user_signing_in("alice", factories.PASSWORD) is None


@pytest.mark.parametrize("command", ["deactivate-user", "delete-user"])
def test_the_users_api_tokens_stop_working(runner, client, clinician, command):
    login = client.post("/api/auth/login/", json={"username": "alice", "password": factories.PASSWORD})
    assert login.status_code == 200, login.json
    bearer = {"Authorization": f"Bearer {login.json['access']}"}
    assert client.get("/api/patients/", headers=bearer).status_code == 200
    assert runner.invoke(args=[command, "alice"]).exit_code == 0
    assert client.get("/api/patients/", headers=bearer).status_code == 401
    assert client.post("/api/auth/token/refresh/", json={"refresh": login.json["refresh"]}).status_code == 401


def test_delete_user_leaves_their_patients_unassigned(runner, clinician):
    patient = factories.make_patient(clinician)
    factories.make_patient(clinician)
    factories.make_assessment(patient)
    result = runner.invoke(args=["delete-user", "alice"])
    assert result.exit_code == 0, result.output
    assert "Deleted alice; 2 patient(s) are now unassigned." in result.output
    assert fresh_user("alice") is None
    assert db.session.scalar(select(func.count()).where(Patient.clinician_id.is_(None))) == 2
    assert count(Assessment) == 1


@pytest.mark.parametrize("command", ["deactivate-user", "delete-user"])
def test_unknown_users_are_reported(runner, clinician, command):
    result = runner.invoke(args=[command, "nobody"])
    assert result.exit_code != 0
    assert "No user named 'nobody'." in result.output
    assert count(User) == 1 and fresh_user("alice").is_active


# --- seed-demo -----------------------------------------------------------------------------------------

def printed_logins(output: str) -> dict:
    return dict(re.findall(r"^\s+(?:Clinician|Admin):\s+(\S+) / (\S+)$", output, re.MULTILINE))


def test_seed_demo_makes_a_clinic_and_is_idempotent(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = (count(User), count(Patient), count(Assessment))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert (count(User), count(Patient), count(Assessment)) == counts
    assert "new: 0 users, 0 patients, 0 assessments" in second.output

    logins = printed_logins(first.output)
    assert logins == printed_logins(second.output) == {
        demo.CLINICIAN["username"]: demo.CLINICIAN["password"], demo.ADMIN["username"]: demo.ADMIN["password"]}
    signed_in = {name: user_signing_in(name, password) for name, password in logins.items()}
    assert all(signed_in.values())
    assert signed_in["admin"].is_superuser and not signed_in["demo"].is_superuser

    clinic = db.session.scalars(select(Patient)).all()
    assert 20 <= len(clinic) <= 30
    assert {p.clinician_id for p in clinic} == {signed_in["demo"].id}
    assert all(p.assessments for p in clinic)
    assert len({a.type for p in clinic for a in p.assessments}) >= 3
    assert any(len({a.date for a in p.assessments}) >= 3 for p in clinic)
    assert {p.gender for p in clinic} == {"m", "f"}


def test_seed_demo_keeps_existing_users(runner):
    factories.make_user("demo", password="another-password")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert user_signing_in("demo", "another-password") is not None
