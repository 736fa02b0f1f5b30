"""Conditional requests (shared/API.md §7): a record's version is its ETag; If-None-Match on a read
answers 304 when the client's copy is current; If-Match on a write says which version it replaces."""
from flask import current_app, request

from healthpal.domain import versions


def etag(record) -> str:
    return str(record.version)


def expected() -> versions.Expected:
    """The versions If-Match accepts: None without the header, ANY for `*`, otherwise those its
    strong tags name (a tag naming no version matches nothing, so the write is refused)."""
    if "If-Match" not in request.headers:
        return None
    if request.if_match.star_tag:
        return versions.ANY
    return frozenset(int(tag) for tag in request.if_match.as_set()
                     if tag and tag.isascii() and tag.isdigit())


def json_text(body: dict) -> str:
    """The exact JSON text a response carries for `body` (as `jsonify` writes it)."""
    return current_app.json.dumps(body) + "\n"


def answer(body: str, *, status: int, tag: str):
    """A JSON response from its exact text, with its ETag."""
    response = current_app.response_class(body, status=status, mimetype="application/json")
    response.set_etag(tag)
    return response


def tagged(body: dict, record, status: int = 200):
    """`body` as JSON with the record's ETag."""
    return answer(json_text(body), status=status, tag=etag(record))


def get_response(body: dict, record):
    """The response to a detail GET: 304 with no body when If-None-Match names the current version,
    else the body."""
    if request.if_none_match.contains_weak(etag(record)):
        response = current_app.response_class(status=304)
        response.set_etag(etag(record))
        return response
    return tagged(body, record)
