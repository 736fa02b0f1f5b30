"""API.md §2: login (and its throttle), token refresh and verify, logout, registration."""
import jwt
import pytest

from healthpal.domain import audit, users
from tests import factories
from tests.api.support import Api
from tests.toolkit import api_login

LOGIN = "/api/auth/login/"
BAD_CREDENTIALS = {"non_field_errors": [users.BAD_CREDENTIALS]}
TOKEN_NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


def test_login_returns_tokens_and_the_user(anonymous, clinician):
    response = api_login(anonymous.client, "alice")
    assert response.status_code == 200
    assert list(response.json) == ["access", "refresh", "user"]
    assert response.json["user"] == {"pk": clinician.id, "username": "alice", "email": clinician.email,
                                     "first_name": "Alice", "last_name": "Adams"}
    claims = jwt.decode(response.json["access"], options={"verify_signature": False})
    assert claims["token_type"] == "access" and claims["sub"] == str(clinician.id)
    assert {"exp", "iat", "jti"} <= set(claims)
    refresh = jwt.decode(response.json["refresh"], options={"verify_signature": False})
    assert refresh["token_type"] == "refresh" and refresh["jti"] != claims["jti"]


def test_the_login_token_opens_protected_paths(anonymous, clinician):
    access = api_login(anonymous.client, "alice").json["access"]
    response = anonymous.get("/api/auth/user/", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    assert response.json["username"] == "alice"


def test_the_username_is_trimmed_but_the_password_is_not(anonymous, clinician):
    assert api_login(anonymous.client, "  alice ").status_code == 200
    assert api_login(anonymous.client, "alice", f" {factories.PASSWORD}").json == BAD_CREDENTIALS


def test_wrong_password_unknown_and_inactive_users_get_the_same_400(anonymous, clinician):
    factories.make_user("ivy", is_active=False)
    for username, password in (("alice", "wrong-password"), ("nobody", factories.PASSWORD),
                               ("ivy", factories.PASSWORD)):
        response = api_login(anonymous.client, username, password)
        assert response.status_code == 400
        assert response.json == BAD_CREDENTIALS


@pytest.mark.parametrize("body,fields", [({}, {"username", "password"}), ({"username": "alice"}, {"password"}),
                                         ({"password": "x"}, {"username"})])
def test_a_missing_login_field_is_keyed_by_that_field(anonymous, body, fields):
    response = anonymous.post(LOGIN, json=body)
    assert response.status_code == 400
    assert set(response.json) == fields
    assert all(messages == ["This field is required."] for messages in response.json.values())


def test_failed_logins_for_one_username_are_throttled(anonymous, clinician, app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_USER", 3)
    for _ in range(3):
        assert api_login(anonymous.client, "alice", "wrong-password").status_code == 400
    response = api_login(anonymous.client, "alice")  # even the right password waits out the window
    assert response.status_code == 429
    assert set(response.json) == {"detail"}
    assert 1 <= int(response.headers["Retry-After"]) <= app.config["HEALTHPAL_LOGIN_WINDOW_SECONDS"] + 1
    assert api_login(anonymous.client, "bob", "whatever-it-is").status_code == 400  # other names go on


def test_failed_logins_from_one_address_are_throttled(anonymous, clinician, app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_ADDRESS", 4)
    for n in range(4):
        assert api_login(anonymous.client, f"guess{n}", "wrong-password").status_code == 400
    assert api_login(anonymous.client, "alice").status_code == 429
    elsewhere = {"REMOTE_ADDR": "10.0.0.9"}
    assert api_login(anonymous.client, "alice", environ_base=elsewhere).status_code == 200


def test_a_successful_login_clears_that_usernames_failures(anonymous, clinician, app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_USER", 3)
    for _ in range(2):
        api_login(anonymous.client, "alice", "wrong-password")
    assert api_login(anonymous.client, "alice").status_code == 200
    for _ in range(2):
        assert api_login(anonymous.client, "alice", "wrong-password").status_code == 400
    assert api_login(anonymous.client, "alice").status_code == 200


def test_refresh_gives_a_working_access_token(api):
    response = api.client.post("/api/auth/token/refresh/", json={"refresh": api.refresh})
    assert response.status_code == 200
    assert list(response.json) == ["access", "access_expiration"]
    assert response.json["access_expiration"].endswith("Z")
    headers = {"Authorization": f"Bearer {response.json['access']}"}
    assert api.client.get("/api/auth/user/", headers=headers).status_code == 200


@pytest.mark.parametrize("token", ["access", "garbage", "a.b.c", "  "])
def test_refresh_refuses_anything_but_a_valid_refresh_token(api, token):
    sent = api.access if token == "access" else token
    response = api.client.post("/api/auth/token/refresh/", json={"refresh": sent})
    assert response.status_code == 401
    assert response.json == TOKEN_NOT_VALID
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("body,message", [
    ({}, "This field is required."), ({"refresh": None}, "This field may not be null."),
    ({"refresh": ""}, "This field may not be blank."),
])
def test_refresh_without_a_token_is_400(anonymous, body, message):
    response = anonymous.post("/api/auth/token/refresh/", json=body)
    assert response.status_code == 400
    assert response.json == {"refresh": [message]}


def test_verify_accepts_valid_access_and_refresh_tokens(api):
    for token in (api.access, api.refresh):
        response = api.client.post("/api/auth/token/verify/", json={"token": token})
        assert response.status_code == 200
        assert response.json == {}


def test_verify_refuses_bad_and_revoked_tokens(api):
    api.post("/api/auth/logout/", json={"refresh": api.refresh})
    for token in ("garbage", api.refresh, api.access):
        response = api.client.post("/api/auth/token/verify/", json={"token": token})
        assert response.status_code == 401
        assert response.json == TOKEN_NOT_VALID
    assert api.client.post("/api/auth/token/verify/", json={}).json == {"token": ["This field is required."]}


def test_logout_revokes_the_refresh_and_the_presented_access_token(api):
    response = api.post("/api/auth/logout/", json={"refresh": api.refresh})
    assert response.status_code == 200
    assert response.json == {"detail": "Successfully logged out."}
    assert api.get("/api/auth/user/").json == TOKEN_NOT_VALID
    assert api.client.post("/api/auth/token/refresh/", json={"refresh": api.refresh}).json == TOKEN_NOT_VALID


def test_logout_without_an_access_token_ends_the_whole_sign_in(api, client, clinician):
    """The refresh token's sign-in ends, so its access tokens stop too; another sign-in carries on."""
    tablet = Api(client, clinician)
    assert api.client.post("/api/auth/logout/", json={"refresh": api.refresh}).status_code == 200
    assert api.get("/api/auth/user/").status_code == 401
    assert api.client.post("/api/auth/token/refresh/", json={"refresh": api.refresh}).status_code == 401
    assert tablet.get("/api/auth/user/").status_code == 200


def test_logout_with_a_bad_access_token_still_revokes_the_refresh_token(api):
    response = api.client.post("/api/auth/logout/", json={"refresh": api.refresh},
                               headers={"Authorization": "Bearer expired-or-garbage"})
    assert response.status_code == 200
    assert api.client.post("/api/auth/token/refresh/", json={"refresh": api.refresh}).status_code == 401


@pytest.mark.parametrize("body", [{}, {"refresh": None}, {"refresh": "garbage"}, {"refresh": 12},
                                  {"refresh": {"a": [1]}}, {"refresh": ["x"]}, "access"])
def test_logout_with_a_missing_or_invalid_refresh_token_is_401(api, body):
    response = api.post("/api/auth/logout/", json={"refresh": api.access} if body == "access" else body)
    assert response.status_code == 401
    assert "detail" in response.json
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert api.get("/api/auth/user/").status_code == 200


def test_logging_out_twice_is_401(api):
    assert api.post("/api/auth/logout/", json={"refresh": api.refresh}).status_code == 200
    assert api.client.post("/api/auth/logout/", json={"refresh": api.refresh}).status_code == 401


REGISTRATION = "/api/auth/registration/"


@pytest.mark.parametrize("kwargs", [
    {"json": {"username": "new", "password1": "a-long-pass", "password2": "a-long-pass"}},
    {"data": "{bad", "content_type": "application/json"},
    {"data": {"username": "x"}},
])
def test_registration_is_closed_by_default_whatever_the_body(anonymous, kwargs):
    response = anonymous.client.post(REGISTRATION, **kwargs)
    assert response.status_code == 403
    assert set(response.json) == {"detail"}
    assert users.by_username("new") is None


@pytest.fixture
def open_registration(app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_OPEN_REGISTRATION", True)


def test_open_registration_creates_a_signed_in_user(anonymous, open_registration):
    response = anonymous.post(REGISTRATION, json={"username": "newbie", "email": "n@example.org",
                                                  "password1": "a-long-pass", "password2": "a-long-pass"})
    assert response.status_code == 201
    assert response.json["user"]["username"] == "newbie"
    assert response.json["user"]["email"] == "n@example.org"
    assert Api(anonymous.client).get("/api/auth/user/", headers={
        "Authorization": f"Bearer {response.json['access']}"}).json["username"] == "newbie"
    created = audit.events_for(entity_type="user", entity_id=response.json["user"]["pk"])
    assert [(e.action, e.channel) for e in created] == [("create", "api")]
    assert api_login(anonymous.client, "newbie", "a-long-pass").status_code == 200


def test_open_registration_validates(anonymous, open_registration, clinician):
    response = anonymous.post(REGISTRATION, json={"username": "alice", "password1": "a-long-pass",
                                                  "password2": "another-pass"})
    assert response.status_code == 400
    assert set(response.json) == {"username", "password2"}
    weak = anonymous.post(REGISTRATION, json={"username": "zed", "password1": "12345678", "password2": "12345678"})
    assert set(weak.json) == {"password2"}
    assert anonymous.post(REGISTRATION, json={}).status_code == 400
