"""The only place a JSON error body for the API is built."""
from flask import Blueprint, jsonify
from werkzeug.http import HTTP_STATUS_CODES

from healthpal.domain import versions
from healthpal.domain.exceptions import (
    Conflict,
    InFlight,
    Invalid,
    KeyReused,
    NotAllowed,
    NotFound,
    Stale,
    Throttled,
)

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="api"'}
NOT_AUTHENTICATED = "Authentication credentials were not provided."
TOKEN_NOT_VALID = "Given token not valid for any token type"
USER_NOT_FOUND = "User not found"


def error_response(status: int, detail: str | None = None, *, fields: dict | None = None,
                   code: str | None = None, headers: dict | None = None, request_id: str | None = None):
    """A JSON error: `{"detail": ..., ["code": ...], ["request_id": ...]}`, or the field errors
    themselves for a 400."""
    if fields is not None:
        body = fields
    else:
        body = {"detail": detail or HTTP_STATUS_CODES.get(status, "Error")}
        if code:
            body["code"] = code
        if request_id:
            body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    headers = dict(headers or {})
    if status == 401:
        headers.update(UNAUTHORIZED_HEADERS)
    response.headers.update(headers)
    return response


def not_authenticated(*_):
    """401 for a request with no (Bearer) credentials."""
    return error_response(401, NOT_AUTHENTICATED)


def token_not_valid(*_):
    """401 for a bad, expired, revoked or wrong-type token."""
    return error_response(401, TOKEN_NOT_VALID, code="token_not_valid")


def user_not_found(*_):
    """401 for a sound token whose user has been deleted or deactivated."""
    return error_response(401, USER_NOT_FOUND, code="user_not_found")


def invalid(error: Invalid):
    return error_response(400, fields=error.errors)


def not_found(error: NotFound):
    return error_response(404, str(error) or "Not found.")


def not_allowed(error: NotAllowed):
    return error_response(403, str(error))


def throttled(error: Throttled):
    return error_response(
        429, f"Too many failed login attempts. Try again in {error.retry_after} seconds.",
        headers={"Retry-After": str(error.retry_after)},
    )


def stale(_error: Stale):
    """If-Match named another version than the record's: nothing was changed."""
    return error_response(412, versions.STALE)


def conflict(error: Conflict | InFlight):
    """The write collided with another; nothing was changed (a retry may well succeed)."""
    return error_response(409, str(error), headers={"Retry-After": "1"})


def key_reused(error: KeyReused):
    return error_response(422, str(error))


def register(blueprint: Blueprint) -> None:
    """Render the domain's exceptions raised by the API's views."""
    blueprint.register_error_handler(Invalid, invalid)
    blueprint.register_error_handler(NotFound, not_found)
    blueprint.register_error_handler(NotAllowed, not_allowed)
    blueprint.register_error_handler(Throttled, throttled)
    blueprint.register_error_handler(Stale, stale)
    blueprint.register_error_handler(Conflict, conflict)
    blueprint.register_error_handler(InFlight, conflict)
    blueprint.register_error_handler(KeyReused, key_reused)
