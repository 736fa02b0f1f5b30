"""The request id: taken from the proxy's `X-Request-ID` when it is a sane token, else made here;
echoed on the response, written on every log line and shown on the 500 page, so that a clinician
can quote it and an operator can find the request in the logs of nginx and of the app."""
import re
import uuid

from flask import Flask, Response, request

HEADER = "X-Request-ID"
_KEY = "healthpal.request_id"
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # nginx's $request_id is 32 hex digits


def current() -> str:
    """This request's id (decided on first use, kept for the rest of the request)."""
    environ = request.environ
    if _KEY not in environ:
        given = request.headers.get(HEADER, "")
        environ[_KEY] = given if _SANE.fullmatch(given) else uuid.uuid4().hex
    return environ[_KEY]


def echo(response: Response) -> Response:
    response.headers[HEADER] = current()
    return response


def init_app(app: Flask) -> None:
    app.after_request(echo)
