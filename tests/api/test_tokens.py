"""The life of a token: expiry, revocation (logout, password change, deactivation), deleted users,
wrong types and malformed tokens, and configurable lifetimes."""
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import time_machine
from flask_jwt_extended import create_access_token

from healthpal import config
from healthpal.domain import channels, users
from tests import factories
from tests.api.support import Api
from tests.toolkit import api_login

TOKEN_NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}
USER_NOT_FOUND = {"detail": "User not found", "code": "user_not_found"}


def refresh(api):
    return api.client.post("/api/auth/token/refresh/", json={"refresh": api.refresh})


def test_tokens_expire_after_their_configured_lifetime(client, clinician, app, monkeypatch):
    monkeypatch.setitem(app.config, "JWT_ACCESS_TOKEN_EXPIRES", timedelta(seconds=1))
    monkeypatch.setitem(app.config, "JWT_REFRESH_TOKEN_EXPIRES", timedelta(seconds=1))
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:   # however slowly the machine runs
        api = Api(client, clinician)
        claims = jwt.decode(api.access, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 1
        assert api.get("/api/auth/user/").status_code == 200
        clock.shift(timedelta(seconds=2))
        response = api.get("/api/auth/user/")
        assert response.status_code == 401
        assert response.json == TOKEN_NOT_VALID
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
        assert refresh(api).json == TOKEN_NOT_VALID


def test_default_lifetimes_are_30_minutes_and_a_day(api):
    access = jwt.decode(api.access, options={"verify_signature": False})
    long_lived = jwt.decode(api.refresh, options={"verify_signature": False})
    assert access["exp"] - access["iat"] == 30 * 60
    assert long_lived["exp"] - long_lived["iat"] == 24 * 3600


def test_lifetimes_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JWT_ACCESS_TOKEN_SECONDS", "90")
    monkeypatch.setenv("JWT_REFRESH_TOKEN_SECONDS", "600")
    settings = config.from_environment(str(tmp_path))
    assert settings["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(seconds=90)
    assert settings["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(seconds=600)


def test_a_password_change_revokes_every_earlier_token(client, clinician):
    phone, laptop = Api(client, clinician), Api(client, clinician)
    new = "a-brand-new-secret"
    response = phone.post("/api/auth/password/change/", json={
        "old_password": factories.PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 200
    for device in (phone, laptop):
        assert device.get("/api/auth/user/").json == TOKEN_NOT_VALID
        assert refresh(device).json == TOKEN_NOT_VALID
    fresh = api_login(client, "alice", "a-brand-new-secret")
    assert fresh.status_code == 200
    assert client.get("/api/auth/user/", headers={"Authorization": f"Bearer {fresh.json['access']}"}).status_code == 200


def test_an_admin_password_reset_revokes_every_earlier_token(api, superuser):
    users.set_password(actor=superuser, via=channels.ADMIN, user_id=api.user.id, password="reset-by-admin-1")
    assert api.get("/api/patients/").json == TOKEN_NOT_VALID


def test_a_deactivated_users_tokens_answer_user_not_found(api, superuser):
    users.deactivate(actor=superuser, via=channels.ADMIN, user_id=api.user.id)
    response = api.get("/api/patients/")
    assert response.status_code == 401
    assert response.json == USER_NOT_FOUND
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert refresh(api).json == TOKEN_NOT_VALID


def test_a_deleted_users_tokens_answer_user_not_found(api, superuser):
    users.delete(actor=superuser, via=channels.ADMIN, user_id=api.user.id)
    assert api.get("/api/auth/user/").json == USER_NOT_FOUND
    assert refresh(api).json == TOKEN_NOT_VALID


def test_a_refresh_token_is_not_an_access_token(api):
    response = api.client.get("/api/auth/user/", headers={"Authorization": f"Bearer {api.refresh}"})
    assert response.status_code == 401
    assert response.json == TOKEN_NOT_VALID


def _forged(api, secret="another-secret-that-is-long-enough-for-hs256"):
    claims = jwt.decode(api.access, options={"verify_signature": False})
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.mark.parametrize("header", ["Bearer abc", "Bearer a.b.c", "Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer x y",
                                    "Bearer", "forged", "tampered", "no-epoch"])
def test_malformed_or_forged_tokens_are_401_token_not_valid(api, header):
    if header == "forged":
        header = f"Bearer {_forged(api)}"
    elif header == "tampered":
        head, _, signature = api.access.split(".")
        body = jwt.utils.base64url_encode(b'{"sub": "1", "type": "access", "jti": "x", "exp": 9999999999}').decode()
        header = f"Bearer {head}.{body}.{signature}"
    elif header == "no-epoch":
        header = f"Bearer {create_access_token(identity=str(api.user.id))}"
    response = api.client.get("/api/auth/user/", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json == TOKEN_NOT_VALID


def test_a_token_honoured_before_is_refused_once_the_signing_key_changes(api, app, monkeypatch):
    """A worker remembers the tokens it has checked: under another key, it checks them again."""
    assert api.get("/api/auth/user/").status_code == 200
    monkeypatch.setitem(app.config, "JWT_SECRET_KEY", "a-new-signing-key-that-is-long-enough-for-hs256")
    response = api.get("/api/auth/user/")
    assert response.status_code == 401
    assert response.json == TOKEN_NOT_VALID


def test_a_token_checked_once_is_still_refused_after_its_expiry(api):
    """A worker remembers a token it has checked, yet checks its expiry on each use: honoured a
    second before it expires, refused when it does."""
    claims = jwt.decode(api.access, options={"verify_signature": False})
    with time_machine.travel(datetime.fromtimestamp(claims["exp"] - 1, UTC), tick=False) as clock:
        assert api.get("/api/auth/user/").status_code == 200
        clock.shift(timedelta(seconds=1))
        response = api.get("/api/auth/user/")
        assert response.status_code == 401
        assert response.json == TOKEN_NOT_VALID


@pytest.mark.parametrize("header", ["Basic YWxpY2U6eA==, Bearer {access}", "Bearer {access},", " Bearer  {access} "])
def test_the_bearer_token_is_found_among_other_credentials_and_spaces(api, header):
    response = api.client.get("/api/auth/user/", headers={"Authorization": header.format(access=api.access)})
    assert response.status_code == 200
    assert response.json["username"] == api.user.username


def test_two_bearer_tokens_are_not_credentials(api):
    response = api.client.get("/api/auth/user/", headers={"Authorization": f"Bearer {api.access}, Bearer {api.access}"})
    assert response.status_code == 401
    assert response.json == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("header", [None, "Basic YWxpY2U6eA==", "Token abc", ""])
def test_missing_or_non_bearer_credentials_are_not_provided(api, header):
    headers = {} if header is None else {"Authorization": header}
    response = api.client.get("/api/auth/user/", headers=headers)
    assert response.status_code == 401
    assert response.json == {"detail": "Authentication credentials were not provided."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
