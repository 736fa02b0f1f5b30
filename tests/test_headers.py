"""Security headers on every surface, over real HTTP: portal pages, htmx fragments, the admin, the
API, Swagger UI, static files and error pages; HSTS behind TLS; the session cookie's flags."""

import pytest

from healthpal import config
from tests import factories
from tests.api.support import Http
from tests.markup import attr, parse

PORTAL_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
ADMIN_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'; "
             "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
             "form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'none'; script-src 'self'; "
            "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
STATIC = "static"

# (what, method, path, needs, CSP): `needs` is who asks: None (anonymous), "portal" (alice's
# cookie), "admin" (root's cookie), "token" (alice's bearer token).
SURFACES = [
    ("sign-in page", "GET", "/login", None, PORTAL_CSP),
    ("portal page", "GET", "/", "portal", PORTAL_CSP),
    ("htmx fragment", "GET", "/?q=pat", "portal+htmx", PORTAL_CSP),
    ("account page", "GET", "/account", "portal", PORTAL_CSP),
    ("portal 404", "GET", "/no-such-page", "portal", PORTAL_CSP),
    ("portal 405", "DELETE", "/login", None, PORTAL_CSP),
    ("portal redirect to sign-in", "GET", "/patients/new", None, PORTAL_CSP),
    ("admin home", "GET", "/admin/", "admin", ADMIN_CSP),
    ("admin list", "GET", "/admin/user/", "admin", ADMIN_CSP),
    ("admin password form", "GET", "/admin/user/password/?id={alice}", "admin", ADMIN_CSP),
    ("admin export", "GET", "/admin/patient/export/csv/", "admin", ADMIN_CSP),
    ("admin 400", "GET", "/admin/user/?page=-1", "admin", ADMIN_CSP),
    ("admin 403", "GET", "/admin/user/", "portal", ADMIN_CSP),
    ("API sign-in with tokens", "POST", "/api/auth/login/", None, API_CSP),
    ("API list", "GET", "/api/patients/", "token", API_CSP),
    ("API 401", "GET", "/api/patients/", None, API_CSP),
    ("API 404", "GET", "/api/nothing-here/", None, API_CSP),
    ("OpenAPI document", "GET", "/api/openapi.json", None, API_CSP),
    ("Swagger UI", "GET", "/api/docs/", None, DOCS_CSP),
    ("Swagger UI without the slash", "GET", "/api/docs", None, DOCS_CSP),
    ("Swagger UI asset", "GET", "/api/docs/swagger-ui.css", None, DOCS_CSP),
    ("portal static file", "GET", "/static/app.css", STATIC, PORTAL_CSP),
    ("admin static file", "GET", "/admin/static/admin/js/actions.js", STATIC, ADMIN_CSP),
]


def cookie_of(response) -> str:
    return response.headers["Set-Cookie"].split(";", 1)[0]


@pytest.fixture
def http(live_server):
    return Http(live_server)


@pytest.fixture
def credentials(http, clinician, superuser):
    """Request headers for each kind of caller, got by signing in over HTTP."""
    portal = cookie_of(http.open("/login", "POST", data={"username": "alice", "password": factories.PASSWORD}))
    admin = cookie_of(http.open("/login", "POST", data={"username": "root", "password": factories.PASSWORD}))
    token = http.open("/api/auth/login/", "POST", json={"username": "alice", "password": factories.PASSWORD}).json
    return {None: {}, STATIC: {}, "portal": {"Cookie": portal}, "admin": {"Cookie": admin},
            "portal+htmx": {"Cookie": portal, "HX-Request": "true"},
            "token": {"Authorization": f"Bearer {token['access']}"}}


def test_every_surface_sends_the_security_headers(http, credentials, clinician):
    factories.make_patient(clinician)
    for what, method, path, needs, csp in SURFACES:
        body = {"username": "alice", "password": factories.PASSWORD} if path == "/api/auth/login/" else None
        response = http.open(path.format(alice=clinician.id), method, json=body, headers=credentials[needs])
        assert response.status_code < 500, what
        headers = response.headers
        assert headers["Content-Security-Policy"] == csp, what
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"], headers["Referrer-Policy"]) == (
            "DENY", "nosniff", "same-origin"), what
        assert "Strict-Transport-Security" not in headers, what     # plain HTTP: no HSTS
        if needs == STATIC:
            assert headers.get("Cache-Control") != "no-store", what
        else:
            assert headers["Cache-Control"] == "no-store", what


def test_the_api_sign_in_with_its_tokens_is_never_cached(http, clinician):
    response = http.open("/api/auth/login/", "POST", json={"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 200 and "refresh" in response.json
    assert response.headers["Cache-Control"] == "no-store"


def test_swagger_ui_starts_without_inline_code(http):
    doc = parse(http.open("/api/docs/").data.decode())
    assert doc.css("script:not([src])") == [] and attr(doc, "div#swagger-ui", "data-config")
    assert "/static/js/swagger-ui.js" in [s.attributes["src"].split("?")[0] for s in doc.css("script[src]")]
    assert http.open("/static/js/swagger-ui.js").status_code == 200


@pytest.mark.parametrize("path", ["/login", "/admin/", "/api/patients/", "/api/docs/"])
def test_hsts_when_the_request_came_over_https(client, path):
    assert client.get(path, base_url="https://localhost").headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains")
    assert "Strict-Transport-Security" not in client.get(path).headers


def test_the_session_cookie_is_http_only_and_same_site(http, clinician):
    response = http.open("/login", "POST", data={"username": "alice", "password": factories.PASSWORD})
    flags = {flag.strip().lower() for flag in response.headers["Set-Cookie"].split(";")[1:]}
    assert {"httponly", "samesite=lax"} <= flags


def test_the_session_cookie_is_secure_by_default_in_production_only(monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("HEALTHPAL_ENV", "production")
    assert config.from_environment("/nowhere")["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")                # e.g. a plain-HTTP staging test
    assert config.from_environment("/nowhere")["SESSION_COOKIE_SECURE"] is False
    monkeypatch.delenv("SESSION_COOKIE_SECURE")
    monkeypatch.setenv("HEALTHPAL_ENV", "development")
    assert config.from_environment("/nowhere")["SESSION_COOKIE_SECURE"] is False
