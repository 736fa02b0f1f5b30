"""The signed-in user's account: `/api/auth/user/` and `/api/auth/password/change/`."""
import pytest

from healthpal.domain import audit, passwords, users
from tests import factories
from tests.api.support import Api, Http
from tests.helpers import user_signing_in

CHANGE = "/api/auth/password/change/"


def test_get_user_shows_the_signed_in_user(api):
    response = api.get("/api/auth/user/")
    assert response.status_code == 200
    assert response.json == {"pk": api.user_id, "username": "alice", "email": api.user.email,
                             "first_name": "Alice", "last_name": "Adams"}
    assert list(response.json) == ["pk", "username", "email", "first_name", "last_name"]


def test_patch_changes_only_the_keys_sent_and_email_is_read_only(api):
    response = api.patch("/api/auth/user/", json={"first_name": "  Alicia ", "email": "evil@example.org", "pk": 99})
    assert response.status_code == 200
    assert response.json["first_name"] == "Alicia"
    assert response.json["last_name"] == "Adams"
    assert response.json["email"] == api.user.email != "evil@example.org"
    assert response.json["pk"] == api.user_id
    assert users.get(user_id=api.user_id).first_name == "Alicia"


def test_put_replaces_username_and_names(api):
    response = api.put("/api/auth/user/", json={"username": "alice2", "first_name": "A", "last_name": ""})
    assert response.status_code == 200
    assert response.json["username"] == "alice2"
    assert response.json["last_name"] == ""
    assert api.get("/api/auth/user/").status_code == 200  # the token names the user by id


def test_put_of_the_username_alone_keeps_the_names(api):
    response = api.put("/api/auth/user/", json={"username": "alice2"})
    assert response.status_code == 200
    assert (response.json["username"], response.json["first_name"], response.json["last_name"]) == (
        "alice2", "Alice", "Adams")
    account = users.get(user_id=api.user_id)
    assert (account.username, account.first_name, account.last_name) == ("alice2", "Alice", "Adams")


def test_put_without_a_username_is_400_keyed_by_username_alone_and_changes_nothing(api):
    response = api.put("/api/auth/user/", json={"first_name": "Ana"})
    assert response.status_code == 400
    assert response.json == {"username": ["This field is required."]}
    assert users.get(user_id=api.user_id).first_name == "Alice"


def test_a_taken_username_is_400(api, other_clinician):
    response = api.patch("/api/auth/user/", json={"username": "BOB"})
    assert response.status_code == 400
    assert list(response.json) == ["username"]


def test_a_superuser_cannot_grant_themselves_anything_through_the_api(client, superuser):
    root = Api(client, superuser)
    response = root.patch("/api/auth/user/", json={"is_superuser": False, "is_active": False, "email": "x@y.org"})
    assert response.status_code == 200
    account = users.get(user_id=superuser.id)
    assert account.is_superuser and account.is_active and account.email != "x@y.org"


def test_password_change_saves_the_new_password_and_records_it(api):
    response = api.post(CHANGE, json={"old_password": factories.PASSWORD, "new_password1": "a-brand-new-secret",
                                      "new_password2": "a-brand-new-secret"})
    assert response.status_code == 200
    assert response.json == {"detail": "New password has been saved."}
    assert user_signing_in("alice", "a-brand-new-secret") is not None
    assert user_signing_in("alice", factories.PASSWORD) is None
    [event] = [e for e in audit.events_for(entity_type="user", entity_id=api.user_id) if e.action == "update"]
    assert (event.actor_id, event.channel, event.changes) == (api.user_id, "api", {"password": "changed"})


@pytest.mark.parametrize("body,fields", [
    ({"old_password": "wrong", "new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"},
     {"old_password"}),
    ({"new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"}, {"old_password"}),
    ({"old_password": factories.PASSWORD, "new_password1": "a-brand-new-secret", "new_password2": "another-secret"},
     {"new_password2"}),
    ({"old_password": factories.PASSWORD, "new_password1": "short", "new_password2": "short"}, {"new_password2"}),
    ({"old_password": factories.PASSWORD, "new_password1": "1234567890", "new_password2": "1234567890"},
     {"new_password2"}),
    ({"old_password": factories.PASSWORD, "new_password1": "password123", "new_password2": "password123"},
     {"new_password2"}),
    ({}, {"old_password", "new_password1", "new_password2"}),
])
def test_password_change_errors_are_keyed_by_field(api, body, fields):
    response = api.post(CHANGE, json=body)
    assert response.status_code == 400
    assert set(response.json) == fields
    assert api.get("/api/auth/user/").status_code == 200  # nothing changed, the token still works


GUESS = {"old_password": "a-guess-at-it", "new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"}


def test_guessing_the_current_password_is_throttled_like_sign_in(live_server, clinician, other_clinician):
    """Over HTTP: 5 wrong old passwords, then even the right one gets 429, and so does signing in."""
    http = Http(live_server)
    token = http.open("/api/auth/login/", "POST", json={"username": "alice", "password": factories.PASSWORD}).json
    bearer = {"Authorization": f"Bearer {token['access']}"}
    assert [http.open(CHANGE, "POST", headers=bearer, json=GUESS).status_code for _ in range(5)] == [400] * 5
    right = http.open(CHANGE, "POST", headers=bearer, json={**GUESS, "old_password": factories.PASSWORD})
    assert right.status_code == 429 and 0 < int(right.headers["Retry-After"]) <= 901
    assert right.json["detail"].startswith("Too many failed login attempts.")
    assert passwords.verify(users.by_username("alice").password_hash, factories.PASSWORD)   # not changed
    login = http.open("/api/auth/login/", "POST", json={"username": "alice", "password": factories.PASSWORD})
    assert login.status_code == 429
    assert http.open("/api/auth/login/", "POST", json={"username": "bob", "password": factories.PASSWORD}
                     ).status_code == 200                                       # another user is not affected


def test_wrong_current_passwords_count_against_the_address_too(api, app, monkeypatch, other_clinician):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS", 3)
    assert [api.post(CHANGE, json=GUESS).status_code for _ in range(3)] == [400] * 3
    bob = api.client.post("/api/auth/login/", json={"username": "bob", "password": factories.PASSWORD})
    assert bob.status_code == 429


def test_the_right_current_password_clears_the_users_failures(api):
    assert [api.post(CHANGE, json=GUESS).status_code for _ in range(4)] == [400] * 4
    assert api.post(CHANGE, json={**GUESS, "old_password": factories.PASSWORD, "new_password2": "x"}
                    ).status_code == 400                                          # right password, bad new one
    assert [api.post(CHANGE, json=GUESS).status_code for _ in range(4)] == [400] * 4
