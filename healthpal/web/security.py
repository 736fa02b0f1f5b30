"""Browser-facing safety for the portal: the Content-Security-Policy, other response headers,
and where a sign-in may send the user next."""
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

# What the Maps JavaScript API with the Places library needs, and nothing more: its loader and
# code (script), its autocomplete requests (connect), and the "powered by Google" logo (img).
GOOGLE_MAPS = {
    "script-src": ("https://maps.googleapis.com",),
    "connect-src": ("https://maps.googleapis.com", "https://places.googleapis.com"),
    "img-src": ("https://maps.gstatic.com", "https://maps.googleapis.com"),
}
POLICY = {
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
NOT_PORTAL = ("/api/", "/admin/")


def allow_google_maps() -> None:
    """Let this page load Google Places (only when a Maps API key is configured)."""
    if current_app.config.get("GOOGLE_MAPS_API_KEY"):
        g.google_maps = True


def content_security_policy(google_maps: bool) -> str:
    extra = GOOGLE_MAPS if google_maps else {}
    return "; ".join(
        " ".join((name, *sources, *extra.get(name, ()))) for name, sources in POLICY.items()
    )


def is_portal(path: str) -> bool:
    return not any(path.startswith(prefix) or path == prefix.rstrip("/") for prefix in NOT_PORTAL)


def add_headers(response: Response) -> Response:
    """Portal pages (and the error pages outside the API and admin) get a strict policy."""
    if is_portal(request.path):
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(g.get("google_maps", False)),
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def safe_next(target: str | None) -> str | None:
    """`target` as a path on this site, or None: never another host, never an absolute URL.

    An absolute URL naming this very host (the admin panel sends `request.url`) is reduced to
    its path and query.
    """
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    foreign = parts.scheme not in ("http", "https") or parts.netloc != request.host
    if (parts.scheme or parts.netloc) and foreign:
        return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
