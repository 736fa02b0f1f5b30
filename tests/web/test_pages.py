"""What every portal page shares: the layout, accessibility basics, error pages and security headers."""
import pytest
from flask import render_template
from werkzeug.exceptions import Forbidden

from healthpal.domain import patients
from tests import factories
from tests.markup import attr, csrf_token, page_text, parse, text_of, texts
from tests.web.conftest import sign_in

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
        doc = parse(response)
        assert doc.css("script:not([src])") == [], f"inline script on {url}"
        assert doc.css("style") == [], f"inline style on {url}"
        assert doc.css("[style]") == [], f"style attribute on {url}"
        attributes = {name for node in doc.css("*") for name in node.attributes}
        assert not [a for a in attributes if a.startswith("on")], f"event-handler attribute on {url}"
        assert not [a for a in attributes if a.startswith("hx-on")], f"hx-on (needs eval) on {url}"
        # links out to Google Maps and to its Place ID Finder are links, not assets
        addresses = [node.attributes.get("src") or node.attributes.get("href") for node in doc.css("[src], [href]")]
        assert not [a for a in addresses if a.startswith(("http://", "https://"))
                    and not a.startswith(("https://www.google.com/maps/", "https://developers.google.com/maps/"))], \
            f"external asset on {url}"


def test_every_page_is_navigable_by_keyboard_and_labelled(pages):
    for url, response in pages.items():
        doc = parse(response)
        skip = doc.body.css_first("a")  # the first thing the Tab key reaches
        assert (skip.text(), skip.attributes["href"]) == ("Skip to main content", "#main"), url
        assert doc.css_first("main#main") is not None, url
        assert text_of(doc, "header a.who") == "Alice Adams" and text_of(doc, "header button") == "Sign out", url
        labelled = {label.attributes["for"] for label in doc.css("label[for]")}
        for field in doc.css('input:not([type="hidden"]), select, textarea'):
            assert field.id in labelled, f"unlabelled {field.html} on {url}"


def test_unknown_page_is_a_friendly_404_in_the_portal_layout(pages, client):
    signed_in = pages["/no-such-page"]
    assert signed_in.status_code == 404
    doc = parse(signed_in)
    assert text_of(doc, "h1") == "Not found"
    assert attr(doc, "main a", "href") == "/" and text_of(doc, "main a") == "Go to your patients"
    anonymous = client.get("/no-such-page")
    assert anonymous.status_code == 404 and attr(parse(anonymous), "main a", "href") == "/login"


@pytest.mark.parametrize("path", ["/patients/99999999999999999999999", "/assessments/99999999999999999999999/edit",
                                  "/patients/0", "/assessments/abc"])
def test_impossible_ids_are_not_found(alice, path):
    assert alice.get(path).status_code == 404


def test_unexpected_failure_is_a_friendly_500_page(alice, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(patients, "search", broken)
    response = alice.get("/")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    page = page_text(parse(body))
    assert "Something went wrong" in page and "check whether it was saved" in page
    assert "nothing was changed" not in page      # a failure after a commit would make that untrue
    assert "database on fire" not in body and "Traceback" not in body
    assert "Go to your patients" in page


def test_forbidden_page_renders_in_the_layout(app):
    with app.test_request_context("/"):
        doc = parse(render_template("errors/403.html", error=Forbidden()))
    assert text_of(doc, "h1") == "You can't open this page" and text_of(doc, "a.skip-link") == "Skip to main content"


def test_wrong_method_gets_the_generic_error_page(alice):
    response = alice.get("/logout")
    assert response.status_code == 405
    assert "Method Not Allowed" in page_text(parse(response))


def test_superusers_find_the_admin_panel_from_the_portal(app, alice, superuser):
    root = sign_in(app.test_client(), superuser.username)
    assert texts(parse(root.get("/")), 'header a[href="/admin/"]') == ["Admin"]
    assert parse(alice.get("/")).css('a[href="/admin/"]') == []


def test_a_form_sent_after_the_session_ended_says_so(csrf_client, clinician):
    patient = factories.make_patient(clinician)
    form = csrf_client.get(f"/patients/{patient.id}/edit")
    token = csrf_token(parse(form))
    csrf_client.post("/logout", data={"csrf_token": token})  # the session ends (here: in another tab)
    response = csrf_client.post(f"/patients/{patient.id}/edit", data={"csrf_token": token, "full_name": "X"})
    assert response.status_code == 400
    doc = parse(response)
    page = page_text(doc)
    assert "You were signed out" in page and "nothing was saved" in page
    assert doc.css('main a[href="/login"]') != []
    assert "This form has expired" not in page


def test_an_expired_form_of_a_signed_in_user_asks_for_a_reload(csrf_client):
    response = csrf_client.post("/account", data={"csrf_token": "stale"})
    assert response.status_code == 400
    assert "This form has expired" in page_text(parse(response))


def test_flash_messages_are_announced(alice):
    alice.post("/logout")
    assert attr(parse(alice.get("/login")), ".flashes", "role") == "status"


def test_static_assets_are_served_locally(app):
    client = app.test_client()
    for path in ("/static/vendor/htmx-2.0.11/htmx.min.js", "/static/vendor/pico-2.1.1/pico.min.css",
                 "/static/app.css", "/static/js/rounds.js", "/static/js/places.js", "/static/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
