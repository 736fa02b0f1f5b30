"""API tokens: issuing JWTs, and judging one (from the header or a body), one query per token.

Each sign-in of the mobile app is a session record (`domain.sessions`, kind `app`) whose secret the
tokens carry as `sid`, beside the user's id and per-account key. A token is honoured while
`sessions.honoured` says its session is: logout, ending the sign-in from the account page, a password
change or reset, deactivation and deletion all end it, so every token of that sign-in stops working.
"""
from datetime import UTC, datetime
from typing import cast

from flask import current_app, g, request
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError

from healthpal.api import errors
from healthpal.domain import sessions
from healthpal.extensions import jwt
from healthpal.models import SessionRecord, User

ACCESS, REFRESH = "access", "refresh"
SESSION, KEY = "sid", "user_key"
_HOLDERS = "api_token_holders"


class TokenNotValid(Exception):
    """A token from a request body that must not be honoured."""


def issue(user: User, *, user_agent: str = "", address: str = "") -> dict:
    """A new sign-in of the mobile app (from the device described): its access and refresh tokens."""
    _, secret = sessions.start(kind=sessions.APP, user_id=user.id, user_agent=user_agent, address=address,
                               lifetime=current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])
    return {"access": access_for(user, secret), "refresh": _create(create_refresh_token, user, REFRESH, secret)}


def access_for(user: User, secret: str) -> str:
    return _create(create_access_token, user, ACCESS, secret)


def _create(create, user: User, kind: str, secret: str) -> str:
    claims = {"token_type": kind, "user_id": user.id, KEY: user.key, SESSION: secret}
    return create(identity=str(user.id), additional_claims=claims)


def expiration(encoded: str) -> datetime:
    """When a token we just issued expires (UTC)."""
    return datetime.fromtimestamp(decode_token(encoded)["exp"], UTC)


def forget_holders() -> None:
    """Start a request with an empty holder cache (the app context, and `g`, may outlive one request)."""
    g.pop(_HOLDERS, None)


def _issued_by_us(claims: dict) -> bool:
    """The claims name a user, their account key and a sign-in, as every token we issue does."""
    sub = claims.get("sub")
    return (isinstance(sub, str) and sub.isascii() and sub.isdigit()
            and isinstance(claims.get(KEY), str) and isinstance(claims.get(SESSION), str))


def _holder(claims: dict) -> tuple[User | None, SessionRecord | None]:
    """The token's account and session record, as `sessions.token_holder` judges them, once per
    token per request."""
    if not _issued_by_us(claims):
        return None, None
    cache = g.setdefault(_HOLDERS, {})
    key = (claims["sub"], claims.get("jti"))
    if key not in cache:
        cache[key] = sessions.token_holder(secret=claims[SESSION], user_id=int(claims["sub"]), user_key=claims[KEY])
    return cache[key]


def _active_user(claims: dict) -> User | None:
    return _holder(claims)[0]


def _sign_in_ended(claims: dict) -> bool:
    """The token's sign-in has ended (logout, password change or reset, ended from the account page),
    or it does not have the claims of our tokens.

    flask-jwt-extended calls this its "revoked" check. A token whose account is gone is not refused
    here: the user lookup answers `user_not_found` for it.
    """
    if not _issued_by_us(claims):
        return True
    user, record = _holder(claims)
    return user is not None and record is None


def decode_honoured(encoded: str, *, kind: str | None = None) -> tuple[dict, SessionRecord]:
    """Decode a token sent in a body and judge it: its claims and session record while
    `sessions.honoured` honours its sign-in, otherwise TokenNotValid.

    `kind` (ACCESS or REFRESH) is required when given; otherwise either kind is accepted.
    """
    try:
        claims = decode_token(encoded)
    except (PyJWTError, JWTExtendedException):
        raise TokenNotValid() from None
    if kind is not None and claims.get("type") != kind:
        raise TokenNotValid()
    _, record = _holder(claims)
    if record is None:
        raise TokenNotValid()
    return claims, record


def refreshed(claims: dict, record: SessionRecord) -> str:
    """A new access token for the sign-in of this refresh token, which is noted as used now."""
    sessions.touch(record)
    return access_for(cast(User, record.user), claims[SESSION])  # an app sign-in always has its user


def require_access() -> None:
    """A valid access token in the Authorization header, whatever the method (401 otherwise).

    flask-jwt-extended waves every OPTIONS request through unchecked; ours are checked like the rest.
    """
    method, request.method = request.method, "GET"
    try:
        verify_jwt_in_request()
    finally:
        request.method = method


def presented_session() -> SessionRecord | None:
    """The sign-in of a valid access token in the Authorization header, or None (none, or not valid)."""
    try:
        found = verify_jwt_in_request(optional=True)
    except (PyJWTError, JWTExtendedException):
        return None
    return _holder(found[1])[1] if found else None


def register_loaders() -> None:
    """Point flask-jwt-extended at our holder check and our 401 bodies."""
    jwt.token_in_blocklist_loader(lambda _header, claims: _sign_in_ended(claims))
    jwt.user_lookup_loader(lambda _header, claims: _active_user(claims))
    jwt.user_lookup_error_loader(errors.user_not_found)
    jwt.unauthorized_loader(errors.not_authenticated)
    for loader in (jwt.invalid_token_loader, jwt.expired_token_loader, jwt.revoked_token_loader,
                   jwt.needs_fresh_token_loader, jwt.token_verification_failed_loader):
        loader(errors.token_not_valid)
