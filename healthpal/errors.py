"""App-wide error pages: JSON under the API prefix, the portal's own pages everywhere else."""
from flask import Flask, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from healthpal import database
from healthpal.api.errors import error_response
from healthpal.api.paths import is_api
from healthpal.domain.exceptions import OutcomeUnknown
from healthpal.extensions import db, login_manager
from healthpal.observability import request_ids, requests

UNAVAILABLE = "The service is temporarily unavailable. Try again shortly."
OUTCOME_UNKNOWN = ("The connection to the database was lost while your change was being saved, so whether it "
                   "was saved is unknown. Fetch the record to check, or retry with the same Idempotency-Key.")
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    return is_api(request.path)


def _detail(error: HTTPException) -> str:
    if error.code == 404:
        return "Not found."
    if error.code == 405:
        return f'Method "{request.method}" not allowed.'
    return error.description or error.name


def render_page(template: str, status: int, **context):
    """An error page; a server-side failure's page never touches the database.

    Flask-Login would load the signed-in user for the template, from the database that may be
    what failed (and after the rollback even a user already loaded would be read again), so those
    pages are rendered as for a visitor who is not signed in.
    """
    if status >= 500:
        login_manager._update_request_context_with_user()
    return render_template(template, **context), status


def handle_http_error(error: HTTPException):
    """A server-side failure names the request's id, which the user can quote and the logs hold."""
    request_id = request_ids.current() if (error.code or 500) >= 500 else None
    if wants_json():
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(sorted(allowed))} if allowed else None
        return error_response(error.code or 500, _detail(error), headers=headers, request_id=request_id)
    template = f"errors/{error.code}.html" if error.code in (403, 404, 500) else "errors/generic.html"
    return render_page(template, error.code or 500, error=error, request_id=request_id)


def service_unavailable(template: str, detail: str, code: str | None = None):
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        return error_response(503, detail, code=code, headers=headers)
    page, status = render_page(template, 503)
    return page, status, headers


def handle_outcome_unknown(error: OutcomeUnknown):
    """The connection went during COMMIT: the change may or may not be saved, and the answer says so."""
    database.end_session()
    current_app.logger.warning("Outcome of %s %s unknown: %s", request.method, request.path,
                               database.describe(error.__cause__ or error, db.engine.url))
    return service_unavailable("errors/outcome_unknown.html", OUTCOME_UNKNOWN, code="outcome_unknown")


def handle_unexpected(error: Exception):
    """Anything unplanned: roll back, log, and answer a plain 500 (never a stack trace); a
    database that cannot be reached or does not answer in time is a 503 (try again shortly).

    A request whose database connection was closed under it (a restart, a failover) before it
    committed anything runs once more, on a fresh connection."""
    database.end_session()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    if database.lost_before_commit(error) and not g.get("ran_again"):
        g.ran_again = True
        current_app.logger.warning("%s %s lost its database connection; running it again", request.method, request.path)
        try:
            return current_app.preprocess_request() or current_app.dispatch_request()
        except Exception as again:      # noqa: BLE001 - answered like the first failure
            return current_app.handle_user_exception(again)
    if database.unavailable(error):
        current_app.logger.warning("%s %s: %s", request.method, request.path, database.describe(error, db.engine.url))
        return service_unavailable("errors/503.html", UNAVAILABLE)
    current_app.logger.exception("Unhandled error on %s %s", request.method, requests.route())
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OutcomeUnknown, handle_outcome_unknown)
    app.register_error_handler(Exception, handle_unexpected)
