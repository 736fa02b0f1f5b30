"""The only place a JSON error body for the API is built."""
from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="api"'}


def error_response(status: int, detail: str | None = None, *, fields: dict | None = None,
                   code: str | None = None, headers: dict | None = None):
    """A JSON error: `{"detail": ..., ["code": ...]}`, or the field errors themselves for a 400."""
    if fields is not None:
        body = fields
    else:
        body = {"detail": detail or HTTP_STATUS_CODES.get(status, "Error")}
        if code:
            body["code"] = code
    response = jsonify(body)
    response.status_code = status
    headers = dict(headers or {})
    if status == 401:
        headers.update(UNAUTHORIZED_HEADERS)
    response.headers.update(headers)
    return response
