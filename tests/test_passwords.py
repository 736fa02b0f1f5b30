"""Stored passwords: argon2id at OWASP's parameters, older hashes still work and are upgraded at the
next sign-in (audited, no session ends), and the 10,000 most common passwords are refused everywhere."""
import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from healthpal.domain import audit, channels, passwords, rules, users
from healthpal.extensions import db
from healthpal.models import User
from tests import factories
from tests.markup import errors_for, parse
from tests.toolkit import api_login, portal_login, sign_in, user_signing_in

REAL = PasswordHasher(**passwords.PARAMETERS)
OWASP = "$argon2id$v=19$m=19456,t=2,p=1$"


def stored_hash(user_id: int) -> str:
    db.session.expire_all()
    return db.session.get(User, user_id).password_hash


def rehash_events(user_id: int) -> list:
    return [event for event in audit.events_for(entity_type="user", entity_id=user_id)
            if event.changes == {"password": "rehashed"}]


def test_new_passwords_are_argon2id_with_owasps_parameters(monkeypatch):
    monkeypatch.setattr(passwords, "HASHER", REAL)            # the tests otherwise use a cheap argon2id
    user = users.create(actor=None, via=channels.CLI, data={"username": "dana", "password": "s3cret-enough"})
    assert stored_hash(user.id).startswith(OWASP)
    assert user_signing_in("dana", "s3cret-enough") is not None
    assert user_signing_in("dana", "s3cret-enougH") is None
    cheaper = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("s3cret-enough")
    assert passwords.outdated(cheaper) and not passwords.outdated(stored_hash(user.id))


@pytest.mark.parametrize("older", [
    generate_password_hash("old-but-good-1", method="scrypt"),
    generate_password_hash("old-but-good-1", method="pbkdf2:sha256"),
    PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("old-but-good-1"),
], ids=["scrypt", "pbkdf2", "cheaper-argon2id"])   # not the hashes: their salts differ in each xdist worker
@pytest.mark.parametrize("channel", ["portal", "api"])
def test_an_older_hash_signs_in_and_is_replaced_once(app, monkeypatch, clinician, older, channel):
    monkeypatch.setattr(passwords, "HASHER", REAL)
    # Stored by an earlier version of the app (a plain UPDATE, as a migration of old data would).
    db.session.execute(update(User).where(User.id == clinician.id).values(password_hash=older))
    db.session.commit()
    client = app.test_client()
    login = portal_login if channel == "portal" else api_login

    assert login(client, "alice", "not-the-password").status_code in (422, 400)
    assert stored_hash(clinician.id) == older                  # a failed sign-in upgrades nothing
    assert login(client, "alice", "old-but-good-1").status_code in (302, 200)
    assert stored_hash(clinician.id).startswith(OWASP)
    if channel == "portal":                                     # not a password change: the session goes on
        assert client.get("/").status_code == 200
    assert login(client, "alice", "old-but-good-1").status_code in (302, 200)
    [event] = rehash_events(clinician.id)                       # once, by the user, through that channel
    assert (event.action, event.actor_id, event.channel) == ("update", clinician.id, channel)

# The 10,000th entry, one from the middle, one in another case, and the product's own name.
COMMON = ["desmond1", "dragonballz", "Trustno1", "healthpal"]


def test_the_list_holds_the_10000_most_common_passwords():
    assert len(rules.COMMON_PASSWORDS) == 10_000 + 3
    assert {"123456", "password", "qwerty", "desmond1"} <= rules.COMMON_PASSWORDS


@pytest.mark.parametrize("common", COMMON)
def test_common_passwords_are_refused_on_every_channel(app, runner, clinician, superuser, monkeypatch, common):
    too_common = "This password is too common."
    api = app.test_client()
    access = api_login(api, "alice").json["access"]
    change = api.post("/api/auth/password/change/", headers={"Authorization": f"Bearer {access}"}, json={
        "old_password": factories.PASSWORD, "new_password1": common, "new_password2": common})
    assert change.status_code == 400 and change.json == {"new_password2": [too_common]}
    monkeypatch.setitem(app.config, "HEALTHPAL_OPEN_REGISTRATION", True)
    joined = api.post("/api/auth/registration/", json={"username": "erin", "password1": common, "password2": common})
    assert joined.status_code == 400 and joined.json == {"password2": [too_common]}
    portal = sign_in(app.test_client(), "alice")
    page = portal.post("/account", data={"old_password": factories.PASSWORD, "new_password1": common,
                                         "new_password2": common})
    assert page.status_code == 422 and too_common in errors_for(parse(page), "new_password2")[0]
    admin = sign_in(app.test_client(), superuser.username)
    created = admin.post("/admin/user/new/", data={"username": "carol", "password": common, "is_active": "y"})
    assert created.status_code == 200 and too_common in errors_for(parse(created), "password")
    reset = admin.post(f"/admin/user/password/?id={clinician.id}", data={"password": common})
    assert reset.status_code == 200 and too_common in errors_for(parse(reset), "password")
    cli = runner.invoke(args=["create-user", "dana", "--password", common])
    assert cli.exit_code != 0 and too_common in cli.output
    assert user_signing_in("alice", factories.PASSWORD) is not None
    assert {users.by_username(name) for name in ("erin", "carol", "dana")} == {None}
