"""Sign-in and tokens: login, refresh, verify, logout and (when a clinic enables it) registration."""
from flask import current_app, request

from healthpal import sign_in_throttle
from healthpal.api import body, errors, route, serializers, tokens
from healthpal.domain import channels, rules, sessions, users
from healthpal.domain.exceptions import Invalid

LOGGED_OUT = "Successfully logged out."
NO_REFRESH = "Refresh token was not included in request data."


def _token(data: dict, name: str) -> str:
    """The token sent as `name`, taken exactly as sent; 400 when absent, null, blank or not text."""
    cleaned, problems = rules.collect(data, {name: rules.token}, partial=False)
    if problems:
        raise Invalid(problems)
    return cleaned[name]


def _issue(user) -> dict:
    """Tokens for a new sign-in from this request's device (shown on the user's account page)."""
    return tokens.issue(user, user_agent=request.user_agent.string, address=request.remote_addr or "")


@route("/auth/login/", methods=["POST"])
def login():
    username, password = users.parse_credentials(body.json_object())
    user = users.sign_in(username=username, password=password, address=request.remote_addr or "",
                         via=channels.API, throttle=sign_in_throttle.current())
    return serializers.signed_in(user, _issue(user))


@route("/auth/token/refresh/", methods=["POST"])
def token_refresh():
    encoded = _token(body.json_object(), "refresh")
    try:
        claims, user, record_id = tokens.decode_honoured(encoded, kind=tokens.REFRESH)
    except tokens.TokenNotValid:
        return errors.token_not_valid()
    access = tokens.refreshed(claims, user, record_id)
    return {"access": access, "access_expiration": serializers.timestamp(tokens.expiration(access))}


@route("/auth/token/verify/", methods=["POST"])
def token_verify():
    encoded = _token(body.json_object(), "token")
    try:
        tokens.decode_honoured(encoded)
    except tokens.TokenNotValid:
        return errors.token_not_valid()
    return {}


@route("/auth/logout/", methods=["POST"])
def logout():
    """End the sign-in of the refresh token sent in the body, and that of the access token presented
    with it (if valid): every token of those sign-ins stops working."""
    encoded = body.json_object().get("refresh")
    if encoded is None:
        return errors.error_response(401, NO_REFRESH)
    try:
        _, _, record_id = tokens.decode_honoured(encoded, kind=tokens.REFRESH)
    except tokens.TokenNotValid:
        return errors.token_not_valid()
    presented = tokens.presented_session()
    sessions.end(record_id, *([presented] if presented is not None else []))
    return {"detail": LOGGED_OUT}


@route("/auth/registration/", methods=["POST"])
def registration():
    """A new, signed-in user; while registration is closed, 403 whatever the body."""
    open_registration = current_app.config["HEALTHPAL_OPEN_REGISTRATION"]
    users.check_registration(open_registration=open_registration)
    user = users.register(via=channels.API, data=body.json_object(), open_registration=open_registration)
    return serializers.signed_in(user, _issue(user)), 201
