"""App-wide error pages: JSON under the API prefix, the portal's own pages everywhere else."""
from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from healthpal.api.errors import error_response
from healthpal.api.paths import is_api
from healthpal.extensions import db
from healthpal.observability import request_ids, requests


def wants_json() -> bool:
    return is_api(request.path)


def _detail(error: HTTPException) -> str:
    if error.code == 404:
        return "Not found."
    if error.code == 405:
        return f'Method "{request.method}" not allowed.'
    return error.description or error.name


def handle_http_error(error: HTTPException):
    """A server-side failure names the request's id, which the user can quote and the logs hold."""
    request_id = request_ids.current() if (error.code or 500) >= 500 else None
    if wants_json():
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(sorted(allowed))} if allowed else None
        return error_response(error.code or 500, _detail(error), headers=headers, request_id=request_id)
    template = f"errors/{error.code}.html" if error.code in (403, 404, 500) else "errors/generic.html"
    return render_template(template, error=error, request_id=request_id), error.code


def handle_unexpected(error: Exception):
    """Anything unplanned: roll back, log, and answer a plain 500 (never a stack trace)."""
    db.session.rollback()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, requests.route())
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
