"""Browser-facing safety for every surface (portal, htmx fragments, admin, API, Swagger UI, error
pages): the response headers each one gets, and the one check of where a redirect may send a user.

Every response: no framing (`frame-ancestors 'none'` and `X-Frame-Options: DENY`), `nosniff`,
`Referrer-Policy: same-origin`, `Cache-Control: no-store` (static files excepted: everything else
may need a signed-in user or carry tokens), `Strict-Transport-Security` when the request came over
HTTPS, and the strictest Content-Security-Policy its surface allows:

- portal (and its error pages): only this site's own files; no inline code at all.
- API: `default-src 'none'`: JSON is never a document to run or style.
- Swagger UI: its bundled files from this site (the start-up script is a static file too), plus
  the hash of the one <style> element the bundle writes.
- admin: only this site's own files, but Flask-Admin's templates force `script-src
  'unsafe-inline'`: its bulk actions, delete confirmations, filter menu and inline lists' Add
  button are `onclick` attributes, which no nonce can allow (and hashes only with
  'unsafe-hashes', per handler text). No third-party origin is allowed there either
  (tests/browser/test_policies.py drives both pages under these policies).
"""
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, g, request

from healthpal.api.paths import is_api

PORTAL = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}
ADMIN = {**PORTAL, "script-src": ("'self'", "'unsafe-inline'")}
# The one <style> element Swagger UI 5.34.0 (flask-swagger-ui's bundle) writes at start-up.
SWAGGER_UI_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"
DOCS = {
    "default-src": ("'none'",),
    "script-src": ("'self'",),
    "style-src": ("'self'", SWAGGER_UI_STYLE),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "base-uri": ("'none'",),
    "form-action": ("'none'",),
    "frame-ancestors": ("'none'",),
}
API = {
    "default-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'none'",),
    "frame-ancestors": ("'none'",),
}
DOCS_PREFIX = "/api/docs"
ADMIN_PREFIX = "/admin"
HSTS = "max-age=31536000; includeSubDomains"
EVERY_RESPONSE = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def policy_for(path: str) -> dict:
    """The Content-Security-Policy (as {directive: sources}) of the surface serving `path`."""
    if _under(path, DOCS_PREFIX):
        return DOCS
    if is_api(path):
        return API
    if _under(path, ADMIN_PREFIX):
        return ADMIN
    return PORTAL


def allow_sources(extra: dict) -> None:
    """Let the page this request renders use a few more origins ({directive: sources})."""
    g.extra_sources = extra


def content_security_policy(policy: dict, extra: dict) -> str:
    return "; ".join(" ".join((name, *sources, *extra.get(name, ()))) for name, sources in policy.items())


# Each surface's header as most responses send it (no extra sources), written once.
_WRITTEN = {id(policy): content_security_policy(policy, {}) for policy in (PORTAL, ADMIN, DOCS, API)}


def is_static_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def add_headers(response: Response) -> Response:
    policy, extra = policy_for(request.path), g.get("extra_sources")
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(policy, extra) if extra else _WRITTEN[id(policy)])
    for name, value in EVERY_RESPONSE.items():
        response.headers.setdefault(name, value)
    if not is_static_file():
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _fully_unquoted(text: str) -> str:
    previous = None
    while text != previous:  # %2F%2F, %252F%252F…: judged as a browser may end up reading them
        previous, text = text, unquote(text)
    return text


def _unsafe(text: str) -> bool:
    """A backslash (browsers read it as a slash) or a control character (they drop some)."""
    return "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text)


def safe_path(target: str | None) -> str | None:
    """`target` as a path on this site, or None: the one check of every redirect target.

    Refused: other hosts in any spelling (`http:evil.com`, `https:evil.com`, `//evil.com`,
    `/\\evil.com`, with control characters, or percent-encoded), and anything that is not a path.
    An absolute URL naming this very host (the admin sends `request.url` to the sign-in page) is
    reduced to its path and query.
    """
    if not target or _unsafe(target):
        return None
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc) and (parts.scheme not in ("http", "https") or parts.netloc != request.host):
        return None
    decoded = _fully_unquoted(parts.path)
    if target.startswith("//") or not parts.path.startswith("/") or decoded.startswith("//") or _unsafe(decoded):
        return None  # (urlsplit reads "///evil.com" as an empty host and "/evil.com"; browsers go to evil.com)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
