"""API tokens: issuing JWTs, and judging one (from the header or a body) with one database query.

A token is honoured while its user exists and is active, its `jti` is not revoked (logout) and its
`token_epoch` claim equals the user's current `User.token_epoch` (bumped by a password change,
reset or deactivation, which so revokes every token issued before).
"""
from datetime import UTC, datetime

from flask import g, request
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt.exceptions import PyJWTError

from healthpal.api import errors
from healthpal.domain import tokens
from healthpal.extensions import jwt
from healthpal.models import User

ACCESS, REFRESH = "access", "refresh"
EPOCH = "token_epoch"
_HOLDERS = "api_token_holders"


class TokenNotValid(Exception):
    """A token from a request body that must not be honoured."""


def issue(user: User) -> dict:
    """A fresh access and refresh token pair for `user`."""
    return {"access": access_for(user), "refresh": _create(create_refresh_token, user, REFRESH)}


def access_for(user: User) -> str:
    return _create(create_access_token, user, ACCESS)


def _create(create, user: User, kind: str) -> str:
    claims = {"token_type": kind, "user_id": user.id, EPOCH: user.token_epoch}
    return create(identity=str(user.id), additional_claims=claims)


def expiration(encoded: str) -> datetime:
    """When a token we just issued expires (UTC)."""
    return datetime.fromtimestamp(decode_token(encoded)["exp"], UTC)


def forget_holders() -> None:
    """Start a request with an empty holder cache (the app context, and `g`, may outlive one request)."""
    g.pop(_HOLDERS, None)


def _holder(claims: dict) -> tuple[User | None, bool]:
    """The token's user and whether its jti is revoked: one query per token per request."""
    cache = g.setdefault(_HOLDERS, {})
    key = (claims.get("sub"), claims.get("jti"))
    if key not in cache:
        sub = claims.get("sub")
        if isinstance(sub, str) and sub.isascii() and sub.isdigit() and isinstance(claims.get("jti"), str):
            cache[key] = tokens.holder(user_id=int(sub), jti=claims["jti"])
        else:
            cache[key] = (None, False)
    return cache[key]


def _active_user(claims: dict) -> User | None:
    user, _ = _holder(claims)
    return user if user is not None and user.is_active else None


def _revoked(claims: dict) -> bool:
    """Revoked one by one, or issued before the user's latest password change or reset.

    A token whose user is gone is not "revoked": the user lookup answers `user_not_found` for it.
    """
    user, revoked = _holder(claims)
    if user is None or not user.is_active:
        return False
    return revoked or claims.get(EPOCH) != user.token_epoch


def read(encoded: str, *, kind: str | None = None) -> tuple[dict, User]:
    """The claims and user of a token sent in a body, or TokenNotValid.

    `kind` (ACCESS or REFRESH) is required when given; otherwise either kind is accepted.
    """
    try:
        claims = decode_token(encoded)
    except (PyJWTError, JWTExtendedException):
        raise TokenNotValid() from None
    if kind is not None and claims.get("type") != kind:
        raise TokenNotValid()
    user = _active_user(claims)
    if user is None or _revoked(claims):
        raise TokenNotValid()
    return claims, user


def require_access() -> None:
    """A valid access token in the Authorization header, whatever the method (401 otherwise).

    flask-jwt-extended waves every OPTIONS request through unchecked; ours are checked like the rest.
    """
    method, request.method = request.method, "GET"
    try:
        verify_jwt_in_request()
    finally:
        request.method = method


def presented_access() -> dict | None:
    """The claims of a valid access token in the Authorization header, or None (none, or not valid)."""
    try:
        found = verify_jwt_in_request(optional=True)
    except (PyJWTError, JWTExtendedException):
        return None
    return found[1] if found else None


def revoke(*claims: dict) -> None:
    tokens.revoke(*[(c["jti"], c["exp"]) for c in claims])


def register_loaders() -> None:
    """Point flask-jwt-extended at our holder check and our 401 bodies."""
    jwt.token_in_blocklist_loader(lambda _header, claims: _revoked(claims))
    jwt.user_lookup_loader(lambda _header, claims: _active_user(claims))
    jwt.user_lookup_error_loader(errors.user_not_found)
    jwt.unauthorized_loader(errors.not_authenticated)
    for loader in (jwt.invalid_token_loader, jwt.expired_token_loader, jwt.revoked_token_loader,
                   jwt.needs_fresh_token_loader, jwt.token_verification_failed_loader):
        loader(errors.token_not_valid)
