"""API tokens: issuing JWTs, and judging one (from the header or a body), one query per token.

Each sign-in of the mobile app is a session record (`domain.sessions`, kind `app`) whose secret the
tokens carry as `sid`, beside the user's id and per-account key. A token is honoured while
`sessions.token_holder` says its session is: logout, ending the sign-in from the account page, a
password change or reset, deactivation and deletion all end it, so every token of that sign-in stops
working.

flask-jwt-extended issues the tokens and answers the errors (its exceptions, through the loaders set
in `register_loaders`); a token is checked here, decoded once per request (its `verify_jwt_in_request`
decodes one three or four times), its signature verified once per worker (`_decode`).

A detail read, or an assessment's create or update, judges the sign-in in its own first statement
instead, on PostgreSQL (`as_holder`): the guard checks what needs no database (`require_token`), then
one statement judges the sign-in and reads and records the read, or takes the write's first lock;
only a sign-in it does not honour is judged again the full way, for its 401.
"""
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TypeVar

import jwt as pyjwt
from flask import current_app, g, request
from flask_jwt_extended import create_access_token, create_refresh_token
from flask_jwt_extended.exceptions import (
    InvalidHeaderError,
    JWTDecodeError,
    JWTExtendedException,
    NoAuthorizationError,
    RevokedTokenError,
    UserLookupError,
    WrongTokenError,
)
from jwt.exceptions import DecodeError, ExpiredSignatureError, PyJWTError
from werkzeug.exceptions import HTTPException

from healthpal.api import errors
from healthpal.domain import sessions
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.extensions import jwt
from healthpal.models import User

ACCESS, REFRESH = "access", "refresh"
SESSION, KEY = "sid", "user_key"
HEADER, SCHEME = "Authorization", "Bearer"
_HOLDERS = "api_token_holders"
_ACCESS_HOLDER = "api_access_holder"
_UNJUDGED = "api_unjudged_access"
Shown = TypeVar("Shown")
Read = TypeVar("Read")
Parsed = TypeVar("Parsed")
# Tokens a worker remembers as checked: the live access and refresh tokens of its busiest minutes.
VERIFIED_TOKENS = 1024


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
    return datetime.fromtimestamp(_decode(encoded)["exp"], UTC)


def _decode(encoded: str) -> dict:
    """The claims of a token signed with our key, unexpired, with flask-jwt-extended's checks and
    defaults (its identity claim present; `type` access unless it says otherwise); PyJWTError or
    JWTDecodeError otherwise.

    A token's signature, header and claims never change, so a worker checks them once per token
    (`_verified`); only time can make a good token bad, so its expiry is checked on every use. The
    token's sign-in is still judged on every request (`_holder`)."""
    if not isinstance(encoded, str):   # a body's token may be any JSON value
        raise DecodeError("Invalid token type")
    config = current_app.config
    audience, leeway = config["JWT_DECODE_AUDIENCE"], config["JWT_DECODE_LEEWAY"]
    leeway = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
    claims = _verified(encoded, config["JWT_SECRET_KEY"],
                       tuple(config["JWT_DECODE_ALGORITHMS"] or [config["JWT_ALGORITHM"]]),
                       audience if audience is None or isinstance(audience, str) else tuple(audience),
                       config["JWT_DECODE_ISSUER"], leeway, config["JWT_IDENTITY_CLAIM"])
    if "exp" in claims and int(claims["exp"]) <= time.time() - leeway:
        raise ExpiredSignatureError("Signature has expired")
    return dict(claims)


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(encoded: str, key: str, algorithms: tuple[str, ...], audience, issuer, leeway: float,
              identity_claim: str) -> dict:
    """PyJWT's whole check of a token (signature, header, every registered claim), remembered when
    it passes: a refused token is checked afresh each time."""
    claims = pyjwt.decode(encoded, key, algorithms=list(algorithms), audience=audience, issuer=issuer,
                          leeway=leeway, options={"verify_aud": audience is not None})
    if identity_claim not in claims:
        raise JWTDecodeError(f"Missing claim: {identity_claim}")
    claims.setdefault("type", ACCESS)
    return claims


def forget_holders() -> None:
    """Start a request with an empty holder cache and no checked token (the app context, and `g`,
    may outlive one request)."""
    g.pop(_HOLDERS, None)
    g.pop(_ACCESS_HOLDER, None)
    g.pop(_UNJUDGED, None)


def _issued_by_us(claims: dict) -> bool:
    """The claims name a user, their account key and a sign-in, as every token we issue does."""
    sub = claims.get("sub")
    return (isinstance(sub, str) and sub.isascii() and sub.isdigit()
            and isinstance(claims.get(KEY), str) and isinstance(claims.get(SESSION), str))


def _sign_in(claims: dict) -> dict:
    """The sign-in the claims of one of our tokens present: its secret, and the account it names."""
    return {"secret": claims[SESSION], "user_id": int(claims["sub"]), "user_key": claims[KEY]}


def _holder(claims: dict) -> tuple[User | None, int | None]:
    """The token's account and the id of its session record, as `sessions.token_holder` judges
    them, once per token per request."""
    if not _issued_by_us(claims):
        return None, None
    cache = g.setdefault(_HOLDERS, {})
    key = (claims["sub"], claims.get("jti"))
    if key not in cache:
        cache[key] = sessions.token_holder(**_sign_in(claims))
    return cache[key]


def _sign_in_ended(claims: dict) -> bool:
    """The token's sign-in has ended (logout, password change or reset, ended from the account page),
    or it does not have the claims of our tokens.

    A token whose account is gone is not refused here: the user lookup answers `user_not_found` for it.
    """
    if not _issued_by_us(claims):
        return True
    user, record_id = _holder(claims)
    return user is not None and record_id is None


def decode_honoured(encoded: str, *, kind: str | None = None) -> tuple[dict, User, int]:
    """Decode a token sent in a body and judge it: its claims, account and session record's id while
    `sessions.token_holder` honours its sign-in, otherwise TokenNotValid.

    `kind` (ACCESS or REFRESH) is required when given; otherwise either kind is accepted.
    """
    try:
        claims = _decode(encoded)
    except (PyJWTError, JWTDecodeError):
        raise TokenNotValid() from None
    if kind is not None and claims["type"] != kind:
        raise TokenNotValid()
    user, record_id = _holder(claims)
    if user is None or record_id is None:
        raise TokenNotValid()
    return claims, user, record_id


def refreshed(claims: dict, user: User, record_id: int) -> str:
    """A new access token for the sign-in of this refresh token, which is noted as used now."""
    sessions.touch(record_id)
    return access_for(user, claims[SESSION])


def _bearer() -> str:
    """The token of the Authorization header, read as flask-jwt-extended reads it: NoAuthorizationError
    without one (or without one Bearer value), InvalidHeaderError when that value is malformed."""
    found = request.headers.get(HEADER, "").strip().strip(",")
    if not found:
        raise NoAuthorizationError(f"Missing {HEADER} Header")
    values = [value for value in re.split(r",\s*", found) if value and value.split()[0] == SCHEME]
    if len(values) != 1:
        raise NoAuthorizationError(f"Missing '{SCHEME}' type in '{HEADER}' header. Expected '{HEADER}: {SCHEME} <JWT>'")
    parts = values[0].split()
    if len(parts) != 2:
        raise InvalidHeaderError(f"Bad {HEADER} header. Expected '{HEADER}: {SCHEME} <JWT>'")
    return parts[1]


def _access_claims() -> dict:
    """The claims of the access token in the Authorization header, checked as flask-jwt-extended
    checks one before its sign-in: decoded (signature, expiry, claims), not a refresh token; its
    exceptions otherwise."""
    encoded = _bearer()
    try:
        claims = _decode(encoded)
    except PyJWTError as error:
        raise JWTDecodeError(str(error)) from None
    if claims["type"] == REFRESH:
        raise WrongTokenError("Only non-refresh tokens are allowed")
    return claims


def _presented_access() -> tuple[User, int]:
    """The account and sign-in of the access token in the Authorization header, in the order
    flask-jwt-extended checks one: decoded (signature, expiry, claims), not a refresh token, its
    sign-in honoured, its account live; its exceptions otherwise (its error handlers answer them
    with the loaders set in `register_loaders`)."""
    claims = _access_claims()
    header: dict = {}
    if _sign_in_ended(claims):
        raise RevokedTokenError(header, claims)
    user, record_id = _holder(claims)
    if user is None or record_id is None:
        raise UserLookupError(f"no active account {claims['sub']}", header, claims)
    return user, record_id


def require_access() -> None:
    """A valid access token in the Authorization header, whatever the method (401 otherwise); its
    account is the request's `current_user`."""
    user, _ = _presented_access()
    setattr(g, _ACCESS_HOLDER, (user, user.id))   # the id kept apart: the log reads it after any rollback


def require_token() -> None:
    """`require_access`'s checks that need no database, its errors in its order; the sign-in is left
    for the view to judge in its first statement (`as_holder`)."""
    setattr(g, _UNJUDGED, _access_claims())


def as_holder(by_sign_in: Callable[[dict], tuple[int, Shown | None] | None],
              otherwise: Callable[[User], Read]) -> Shown | Read:
    """What a view reads or writes as the holder of this request's access token. When the guard left
    the sign-in unjudged (`require_token`), `by_sign_in` is given the values that judge it
    (`sessions.sign_in_values`) and judges it in its first statement: the account's id and what it
    read or wrote (None: NotFound). When it cannot (None: a sign-in not honoured, or a database that
    does not do it in one statement), `require_access` judges the sign-in the full way, with its
    401s, and `otherwise` does the work for the account."""
    claims = g.pop(_UNJUDGED, None)
    if claims is not None:
        values = sessions.sign_in_values(**_sign_in(claims)) if _issued_by_us(claims) else None
        found = by_sign_in(values) if values else None
        if found is not None:
            user_id, record = found
            setattr(g, _ACCESS_HOLDER, (None, user_id))    # no User kept: `current_user_id` tells who
            if record is None:
                raise NotFound("Not found.")
            return record
        require_access()
    return otherwise(current_user())


def judged_first(parse: Callable[[], Parsed]) -> Parsed:
    """`parse()` (of the request's body), whose refusal waits for the sign-in the guard left unjudged
    (`require_token`): a token not honoured is a 401 before a body's 400 or 415 (shared/API.md §1)."""
    try:
        return parse()
    except (HTTPException, Invalid):
        if g.pop(_UNJUDGED, None) is not None:
            require_access()
        raise


def current_user() -> User:
    """The account of this request's access token (after `require_access`)."""
    return g.get(_ACCESS_HOLDER)[0]


def current_user_id() -> int | None:
    """The account id of this request's access token once it has been checked, else None."""
    holder = g.get(_ACCESS_HOLDER)
    return holder[1] if holder is not None else None


def presented_session() -> int | None:
    """The sign-in (its record's id) of a valid access token in the Authorization header, or None
    (none, or not valid)."""
    try:
        return _presented_access()[1]
    except (PyJWTError, JWTExtendedException):
        return None


def register_loaders() -> None:
    """Point flask-jwt-extended's errors at our 401 bodies."""
    jwt.user_lookup_error_loader(errors.user_not_found)
    jwt.unauthorized_loader(errors.not_authenticated)
    for loader in (jwt.invalid_token_loader, jwt.expired_token_loader, jwt.revoked_token_loader,
                   jwt.needs_fresh_token_loader, jwt.token_verification_failed_loader):
        loader(errors.token_not_valid)
