"""What every portal page shares: the layout, accessibility basics, error pages and security headers."""
import re

import pytest
from flask import render_template
from werkzeug.exceptions import Forbidden

from healthpal.domain import patients
from tests import factories
from tests.toolkit import csrf_token, raising, sign_in

STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@pytest.fixture
def pages(alice, clinician):
    """Every kind of portal page, rendered for alice."""
    patient = factories.make_patient(clinician)
    assessment = factories.make_assessment(patient)
    urls = ["/", "/patients/new", f"/patients/{patient.id}", f"/patients/{patient.id}/edit",
            f"/patients/{patient.id}/delete", f"/patients/{patient.id}/assessments/new",
            f"/assessments/{assessment.id}", f"/assessments/{assessment.id}/edit",
            f"/assessments/{assessment.id}/delete", "/account", "/no-such-page"]
    return {url: alice.get(url) for url in urls}


def test_every_page_has_the_strict_csp_and_no_inline_code(pages, client):
    pages["/login"] = client.get("/login")
    for url, response in pages.items():
        assert response.headers["Content-Security-Policy"] == STRICT_CSP, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
        assert not re.search(r"<style\b", html), f"inline style on {url}"
        assert not re.search(r"\sstyle=", html), f"style attribute on {url}"
        assert not re.search(r"\son[a-z]+=", html), f"event-handler attribute on {url}"
        assert not re.search(r"\shx-on", html), f"hx-on (needs eval) on {url}"
        # links out to Google Maps and to its Place ID Finder are links, not assets
        assert not re.search(r"""(?:src|href)=["']https?://(?!(?:www|developers)\.google\.com/maps/)""", html), \
            f"external asset on {url}"


def test_every_page_is_navigable_by_keyboard_and_labelled(pages):
    for url, response in pages.items():
        html = response.get_data(as_text=True)
        assert '<a class="skip-link" href="#main">Skip to main content</a>' in html, url
        assert '<main id="main"' in html, url
        assert "Alice Adams" in html and "Sign out" in html, url
        ids = set(re.findall(r'<label for="([^"]+)"', html))
        for field in re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*>', html):
            field_id = re.search(r'\bid="([^"]+)"', field)
            assert field_id and field_id.group(1) in ids, f"unlabelled {field} on {url}"


def test_unknown_page_is_a_friendly_404_in_the_portal_layout(pages, client):
    signed_in = pages["/no-such-page"]
    assert signed_in.status_code == 404
    assert "Not found" in signed_in.get_data(as_text=True)
    assert "Go to your patients" in signed_in.get_data(as_text=True)
    anonymous = client.get("/no-such-page")
    assert anonymous.status_code == 404 and 'href="/login"' in anonymous.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/patients/99999999999999999999999", "/assessments/99999999999999999999999/edit",
                                  "/patients/0", "/assessments/abc"])
def test_impossible_ids_are_not_found(alice, path):
    assert alice.get(path).status_code == 404


def test_unexpected_failure_is_a_friendly_500_page(alice, monkeypatch):
    monkeypatch.setattr(patients, "search", raising(RuntimeError("database on fire")))
    response = alice.get("/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "check whether it was saved" in page
    assert "nothing was changed" not in page      # a failure after a commit would make that untrue
    assert "database on fire" not in page and "Traceback" not in page
    assert "Go to your patients" in page


def test_forbidden_page_renders_in_the_layout(app):
    with app.test_request_context("/"):
        page = render_template("errors/403.html", error=Forbidden())
    assert "<h1>You can&#39;t open this page</h1>" in page and "Skip to main content" in page


def test_wrong_method_gets_the_generic_error_page(alice):
    response = alice.get("/logout")
    assert response.status_code == 405
    assert "Method Not Allowed" in response.get_data(as_text=True)


def test_superusers_find_the_admin_panel_from_the_portal(app, alice, superuser):
    root = sign_in(app.test_client(), superuser.username)
    assert '<a href="/admin/">Admin</a>' in root.get("/").get_data(as_text=True)
    assert 'href="/admin/"' not in alice.get("/").get_data(as_text=True)


def test_a_form_sent_after_the_session_ended_says_so(csrf_client, clinician):
    patient = factories.make_patient(clinician)
    form = csrf_client.get(f"/patients/{patient.id}/edit")
    token = csrf_token(form)
    csrf_client.post("/logout", data={"csrf_token": token})  # the session ends (here: in another tab)
    response = csrf_client.post(f"/patients/{patient.id}/edit", data={"csrf_token": token, "full_name": "X"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "You were signed out" in page and "nothing was saved" in page and 'href="/login"' in page
    assert "This form has expired" not in page


def test_an_expired_form_of_a_signed_in_user_asks_for_a_reload(csrf_client):
    response = csrf_client.post("/account", data={"csrf_token": "stale"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_flash_messages_are_announced(alice):
    alice.post("/logout")
    page = alice.get("/login").get_data(as_text=True)
    assert '<div class="flashes" role="status">' in page


def test_static_assets_are_served_locally(app):
    client = app.test_client()
    for path in ("/static/vendor/htmx-2.0.11/htmx.min.js", "/static/vendor/pico-2.1.1/pico.min.css",
                 "/static/app.css", "/static/js/rounds.js", "/static/js/places.js", "/static/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
