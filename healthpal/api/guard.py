"""What every request under /api/ goes through before its view: body size, then authentication.

Order (shared/API.md §1): a body over MAX_CONTENT_LENGTH is 413 before anything else; then an
unauthenticated request to a protected path is 401 even if its method, media type or body is wrong;
a path that does not exist is 404 whether or not the caller is authenticated.
"""
from flask import current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import MapAdapter, RequestRedirect

from healthpal.api import bp, paths, tokens

PUBLIC = frozenset({
    "api.login", "api.token_refresh", "api.token_verify", "api.logout", "api.registration", "api.openapi",
})
# Views that judge the token's sign-in in their first statement (`tokens.as_holder`), and the methods
# for which they do: the guard checks the rest of the token.
JUDGED_BY_VIEW = {"api.patient_detail": frozenset({"GET", "HEAD"}),
                  "api.assessment_detail": frozenset({"GET", "HEAD"}),
                  "api.assessment_create": frozenset({"POST"}),
                  "api.assessment_update": frozenset({"PUT", "PATCH"})}


def no_redirect() -> None:
    """A path werkzeug would redirect to another (`/api//patients/` → `/api/patients/`) is not one
    of ours: 404 in JSON, never an HTML redirect."""
    if isinstance(request.routing_exception, RequestRedirect):
        request.routing_exception = NotFound()


def wrong_method_without_slash() -> None:
    """A wrong method on a path written without its trailing slash is a 405, as with the slash.

    Werkzeug serves such a path for the right methods (`strict_slashes=False`) but reports a wrong
    method there as a 404; matching the slashed path again tells which it is.
    """
    if not isinstance(request.routing_exception, NotFound) or request.path.endswith("/"):
        return
    adapter = _url_adapter()
    try:
        adapter.match(request.path + "/", method=request.method)
    except MethodNotAllowed as error:
        request.routing_exception = error
    except HTTPException:
        return


def endpoint() -> str | None:
    """The endpoint at this path, even when the method is not allowed there; None if no such path."""
    if request.url_rule is not None:
        return request.url_rule.endpoint
    error = request.routing_exception
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        adapter = _url_adapter()
        rule, _ = adapter.match(method=next(iter(error.valid_methods)), return_rule=True)
        return rule.endpoint
    return None


def read_body() -> None:
    """Read the body now: 413 past MAX_CONTENT_LENGTH, chunked bodies included.

    Werkzeug quietly stops reading a chunked body at the limit, so one byte past it is read to tell
    a body at the limit from one over it.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is None:
        return
    request.max_content_length = limit + 1
    if len(request.get_data(cache=True)) > limit:
        raise RequestEntityTooLarge()


def options(name: str | None):
    """OPTIONS on an existing path: 200 with its methods in `Allow`, with or without the slash
    (werkzeug finds none for a path written without its trailing slash)."""
    if request.method != "OPTIONS" or name is None:
        return None
    adapter = _url_adapter()
    methods = adapter.allowed_methods() or adapter.allowed_methods(request.path + "/")
    response = current_app.response_class()
    response.headers["Allow"] = ", ".join(sorted(methods))
    return response


def protected(name: str | None) -> bool:
    return name is not None and name.startswith("api.") and name not in PUBLIC


@bp.before_app_request
def check_request():
    if not paths.is_api(request.path):
        return
    tokens.forget_holders()
    no_redirect()
    wrong_method_without_slash()
    read_body()
    name = endpoint()
    if request.method in JUDGED_BY_VIEW.get(name or "", ()):
        tokens.require_token()
    elif protected(name):
        tokens.require_access()
    return options(name)


def _url_adapter() -> MapAdapter:
    """The URL map bound to this request (inside a request there always is one)."""
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        raise RuntimeError("no URL adapter outside a request")
    return adapter
