"""What each request was — method, route template, status, duration, user, channel — written as
one log line and counted in the metrics. Never the raw path, the query string, the body or a name:
the route template says `/api/patients/<id:patient_id>`, not which patient."""
import logging
import time

from flask import Flask, Response, g, request
from sqlalchemy import inspect

from healthpal.api import tokens
from healthpal.api.paths import is_api
from healthpal.domain import channels
from healthpal.observability import metrics

log = logging.getLogger("healthpal.requests")
OPS = "ops"                                   # the probes and the metrics, for the operator's tools
OPS_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})
UNMATCHED = "<unmatched>"                     # no route: one label for every unknown path
_STARTED = "healthpal.started"


def start() -> None:
    request.environ[_STARTED] = time.perf_counter()


def route() -> str:
    return request.url_rule.rule if request.url_rule is not None else UNMATCHED


def channel() -> str:
    path = request.path
    if is_api(path):
        return channels.API
    if path == "/admin" or path.startswith("/admin/"):
        return channels.ADMIN
    if path in OPS_PATHS:
        return OPS
    return channels.PORTAL


def user_id() -> int | None:
    """The API token's user once the token has been checked, else the portal's or the admin's
    signed-in user if this request loaded one — never a database query to write a log line."""
    checked = tokens.current_user_id()
    if checked is not None:
        return checked
    signed_in = inspect(g.get("_login_user"), raiseerr=False)   # Flask-Login's user, if loaded
    return signed_in.identity[0] if signed_in is not None and signed_in.identity else None


def finish(response: Response) -> Response:
    started = request.environ.get(_STARTED, time.perf_counter())
    seconds = time.perf_counter() - started
    summary = {"method": request.method, "route": route(), "status": response.status_code,
               "duration_ms": round(seconds * 1000, 1), "user_id": user_id(), "channel": channel()}
    log.info("%s %s %s", summary["method"], summary["route"], summary["status"], extra=summary)
    metrics.count_request(summary["method"], summary["route"], summary["status"], seconds)
    return response


def init_app(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)
