"""Admin users: create, edit, reset a password, deactivate, delete; hashes never shown."""
from urllib.parse import urlsplit

import pytest

from healthpal.domain import audit, channels, passwords, users
from healthpal.domain.exceptions import NotFound
from healthpal.extensions import db
from tests import factories
from tests.admin.conftest import sign_in, snapshot
from tests.helpers import sessions_of, user_signing_in
from tests.markup import errors_for, flashes, list_column, one, parse, text_of

NEW_USER = {"username": "carol", "email": "carol@example.org", "first_name": "Carol", "last_name": "Cruz",
            "is_active": "y", "password": "a-long-fresh-secret"}


def user_form(user, **changes) -> dict:
    """The edit form as the admin page would post it for `user`, with `changes` typed in."""
    data = {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "is_active": "y" if user.is_active else None,
            "is_superuser": "y" if user.is_superuser else None, **changes}
    return {name: value for name, value in data.items() if value is not None}


def last_event(entity_id):
    return audit.events_for(entity_type="user", entity_id=entity_id)[-1]


def test_create_a_clinician_with_a_hashed_password(admin, superuser):
    response = admin.post("/admin/user/new/", data=NEW_USER)
    assert response.status_code == 302
    carol = users.by_username("carol")
    assert (carol.email, carol.first_name, carol.last_name, carol.is_active, carol.is_superuser) == (
        "carol@example.org", "Carol", "Cruz", True, False)
    assert carol.password_hash != NEW_USER["password"]
    assert passwords.verify(carol.password_hash, NEW_USER["password"])
    event = last_event(carol.id)
    assert (event.action, event.channel, event.actor_id, event.actor_username) == (
        "create", "admin", superuser.id, "root")
    assert event.changes == {"username": [None, "carol"], "email": [None, "carol@example.org"],
                             "first_name": [None, "Carol"], "last_name": [None, "Cruz"],
                             "is_active": [None, True], "is_superuser": [None, False]}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"password": "short"}, "password", "This password is too short. It must contain at least 8 characters."),
    ({"password": "12345678901"}, "password", "This password is entirely numeric."),
    ({"password": "password123"}, "password", "This password is too common."),
    ({"password": ""}, "password", "This field may not be blank."),
    ({"username": "ALICE"}, "username", "A user with that username already exists."),
    ({"username": "no spaces allowed"}, "username",
     "Username must be up to 150 letters, digits and @ . + - _ characters."),
    ({"username": "  "}, "username", "This field may not be blank."),
    ({"email": "not-an-address"}, "email", "Enter a valid email address."),
])
def test_a_refused_new_user_shows_why_and_changes_nothing(admin, clinician, changes, field, message):
    before = snapshot()
    response = admin.post("/admin/user/new/", data={**NEW_USER, **changes})
    assert response.status_code == 200
    page = parse(response)
    assert message in errors_for(page, field)
    assert "Could not create the record: please correct the errors shown." in flashes(page)
    assert snapshot() == before


def test_edit_names_email_and_flags(admin, clinician):
    old_email = clinician.email
    response = admin.post(f"/admin/user/edit/?id={clinician.id}", data=user_form(
        clinician, username="alice.a", email="alice@clinic.example", first_name="Alicia", is_superuser="y"))
    assert response.status_code == 302
    alice = users.get(user_id=clinician.id)
    assert (alice.username, alice.email, alice.first_name, alice.last_name, alice.is_superuser) == (
        "alice.a", "alice@clinic.example", "Alicia", "Adams", True)
    event = last_event(alice.id)
    assert (event.action, event.channel, event.actor_username) == ("update", "admin", "root")
    assert event.changes == {"username": ["alice", "alice.a"], "email": [old_email, "alice@clinic.example"],
                             "first_name": ["Alice", "Alicia"], "is_superuser": [False, True]}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"username": "bob"}, "username", "A user with that username already exists."),
    ({"username": ""}, "username", "This field may not be blank."),
    ({"email": "nope@"}, "email", "Enter a valid email address."),
    ({"first_name": "x" * 151}, "first_name", "Ensure this field has no more than 150 characters."),
])
def test_a_refused_edit_shows_why_and_changes_nothing(admin, clinician, other_clinician, changes, field, message):
    before = snapshot()
    response = admin.post(f"/admin/user/edit/?id={clinician.id}", data=user_form(clinician, **changes))
    assert response.status_code == 200
    page = parse(response)
    assert message in errors_for(page, field)
    assert snapshot() == before


def test_deactivating_ends_the_users_sessions_and_tokens(app, admin, clinician):
    alice = sign_in(app.test_client(), clinician)
    assert alice.get("/admin/").status_code == 403     # signed in (not a superuser)
    response = admin.post(f"/admin/user/edit/?id={clinician.id}", data=user_form(clinician, is_active=None))
    assert response.status_code == 302
    alice_now = users.get(user_id=clinician.id)
    assert alice_now.is_active is False
    assert sessions_of(alice_now) == 0
    signed_out = alice.get("/admin/")
    assert signed_out.status_code == 302
    assert urlsplit(signed_out.headers["Location"]).path == "/login"
    assert user_signing_in("alice", factories.PASSWORD) is None
    assert last_event(clinician.id).changes == {"is_active": [True, False]}


def test_deactivate_several_users_from_the_list(app, admin, clinician, other_clinician):
    bob = sign_in(app.test_client(), other_clinician)
    response = admin.post("/admin/user/action/", data={"action": "deactivate",
                                                       "rowid": [clinician.id, other_clinician.id]})
    assert response.status_code == 302
    for user in (clinician, other_clinician):
        now = users.get(user_id=user.id)
        assert (now.is_active, sessions_of(now)) == (False, 0)
        assert last_event(user.id).channel == "admin"
    assert urlsplit(bob.get("/admin/").headers["Location"]).path == "/login"


def test_reset_a_password(app, admin, clinician):
    alice = sign_in(app.test_client(), clinician)
    page = admin.get(f"/admin/user/password/?id={clinician.id}")
    assert page.status_code == 200
    assert text_of(parse(page), "h2") == "Reset the password of alice"
    response = admin.post(f"/admin/user/password/?id={clinician.id}", data={"password": "a-brand-new-secret"})
    assert response.status_code == 302
    assert user_signing_in("alice", "a-brand-new-secret") is not None
    assert user_signing_in("alice", factories.PASSWORD) is None
    assert sessions_of(clinician) == 0
    assert urlsplit(alice.get("/admin/").headers["Location"]).path == "/login"
    event = last_event(clinician.id)
    assert (event.action, event.channel, event.changes) == ("update", "admin", {"password": "changed"})


def test_a_weak_reset_password_is_refused(admin, clinician):
    before = snapshot()
    response = admin.post(f"/admin/user/password/?id={clinician.id}", data={"password": "qwerty"})
    assert response.status_code == 200
    page = parse(response)
    assert errors_for(page, "password") == [
        "This password is too short. It must contain at least 8 characters.", "This password is too common."]
    assert snapshot() == before


def test_a_superuser_resetting_their_own_password_stays_signed_in(app, admin, superuser):
    response = admin.post(f"/admin/user/password/?id={superuser.id}", data={"password": "a-brand-new-secret"})
    assert response.status_code == 302
    assert admin.get("/admin/").status_code == 200


def test_browsers_do_not_fill_the_admins_own_password_into_someone_elses(admin, clinician):
    for url in ("/admin/user/new/", f"/admin/user/password/?id={clinician.id}"):
        assert one(parse(admin.get(url)), "input#password").attributes.get("autocomplete") == "new-password", url


def test_reset_password_of_a_missing_user(admin):
    response = admin.get("/admin/user/password/?id=999")
    assert response.status_code == 302
    assert "That record no longer exists." in flashes(parse(admin.get("/admin/user/")))


def test_delete_a_user_leaves_their_patients_unassigned(admin, clinician):
    patient, clinician_id = factories.make_patient(clinician), clinician.id
    response = admin.post("/admin/user/delete/", data={"id": clinician_id})
    assert response.status_code == 302
    assert users.by_username("alice") is None
    unassigned = audit.events_for(entity_type="patient", entity_id=patient.id)[-1]
    assert (unassigned.action, unassigned.channel) == ("update", "admin")
    assert unassigned.changes == {"clinician_id": [clinician_id, None]}
    assert last_event(clinician_id).action == "delete"


def test_password_hashes_are_never_shown(admin, clinician):
    secret = users.get(user_id=clinician.id).password_hash
    for url in ("/admin/user/", f"/admin/user/details/?id={clinician.id}", f"/admin/user/edit/?id={clinician.id}",
                "/admin/user/new/", f"/admin/user/password/?id={clinician.id}", "/admin/user/export/csv/",
                "/admin/audit/", "/admin/audit/export/csv/"):
        response = admin.get(url)
        text = response.get_data(as_text=True)                  # read now: exports are streamed
        assert response.status_code == 200
        assert "alice" in text or url.endswith("/new/")
        assert secret not in text and secret.split("$")[-1] not in text
        assert "password_hash" not in text and "Password Hash" not in text


def test_search_and_filter_users(admin, clinician, other_clinician):
    users.deactivate(actor=None, via="cli", user_id=other_clinician.id)
    assert list_column(parse(admin.get("/admin/user/?search=brown")), "username") == ["bob"]
    assert list_column(parse(admin.get("/admin/user/?flt0_active_equals=0")), "username") == ["bob"]


def test_only_superusers_in_the_admin_or_the_cli_change_account_flags(superuser, clinician, other_clinician):
    """Outside the admin panel (and the CLI) everyone, superusers too, edits only their own name and username."""
    email = superuser.email
    users.update(actor=superuser, via=channels.API, user_id=superuser.id,
                 data={"first_name": "Ruth", "email": "root@example.org", "is_superuser": False})
    db.session.expire_all()
    root = users.get(user_id=superuser.id)
    assert (root.first_name, root.email, root.is_superuser) == ("Ruth", email, True)
    for via in (channels.API, channels.PORTAL, channels.ADMIN):
        with pytest.raises(NotFound):
            users.update(actor=clinician, via=via, user_id=other_clinician.id, data={"is_active": False})
    assert users.get(user_id=other_clinician.id).is_active is True
