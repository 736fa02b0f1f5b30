"""Signing in and out of the portal: the form, the throttle, where it leads, and how long it lasts."""
import json

import pytest

from healthpal.domain import channels, users
from tests import factories
from tests.markup import attr, csrf_token, flashes, form_values, one, page_text, parse, text_of


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client, clinician):
    response = client.get("/patients/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/patients/new"

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    doc = parse(page)
    assert form_values(doc, 'form[action="/login"]')["next"] == "/patients/new"
    assert "Please sign in to continue." in flashes(doc)

    response = client.post("/login", data={"username": "alice", "password": factories.PASSWORD,
                                           "next": "/patients/new"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/patients/new"


def test_signing_in_shows_the_clinician_and_a_sign_out_button_on_every_page(client, clinician):
    response = client.post("/login", data={"username": "alice", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/"
    home = parse(client.get("/"))
    assert "Welcome, Alice Adams." in flashes(home)
    for doc in (home, parse(client.get("/account"))):
        assert text_of(doc, "header a.who") == "Alice Adams"
        assert text_of(doc, 'header form[action="/logout"][method="post"] button') == "Sign out"


def test_wrong_password_shows_the_error_on_the_form_and_keeps_the_username(client, clinician):
    response = client.post("/login", data={"username": "alice", "password": "wrong-password"})
    assert response.status_code == 422
    doc = parse(response)
    assert text_of(doc, '.form-error[role="alert"]') == users.BAD_CREDENTIALS
    assert form_values(doc, 'form[action="/login"]')["username"] == "alice"
    assert "autofocus" in attr(doc, "#password", "autofocus")  # the field to retype
    assert "autofocus" not in one(doc, "#username").attributes
    assert client.get("/").status_code == 302


def test_inactive_clinician_cannot_sign_in(client, clinician):
    users.deactivate(actor=None, via=channels.CLI, user_id=clinician.id)
    response = client.post("/login", data={"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 422
    assert text_of(parse(response), '.form-error[role="alert"]') == users.BAD_CREDENTIALS


def test_repeated_failures_are_throttled_with_a_time_to_retry(app, client, clinician):
    limit = app.config["HEALTHPAL_LOGIN_FAILURES_PER_USER"]
    for _ in range(limit):
        assert client.post("/login", data={"username": "alice", "password": "nope-nope"}).status_code == 422
    response = client.post("/login", data={"username": "alice", "password": factories.PASSWORD})
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert 0 < retry <= app.config["HEALTHPAL_LOGIN_WINDOW_SECONDS"] + 1
    assert text_of(parse(response), '.form-error[role="alert"]') == (
        "Too many failed sign-in attempts. Try again in 15 minutes.")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(("next_value", "lands_on"), [
    ("/patients/new", "/patients/new"),
    ("/?q=ann&gender=f", "/?q=ann&gender=f"),
    ("http://localhost/admin/", "/admin/"),
    ("//evil.example/steal", "/"),
    ("https://evil.example/steal", "/"),
    ("http://localhost.evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("patients/new", "/"),
    ("/%0d%0aSet-Cookie:x=1", "/"),                  # encoded control characters are refused too
    ("/\r\nSet-Cookie:x=1", "/"),
])
def test_after_sign_in_only_our_own_paths_are_followed(client, clinician, next_value, lands_on):
    response = client.post("/login", data={"username": "alice", "password": factories.PASSWORD,
                                           "next": next_value})
    assert response.status_code == 302
    assert response.headers["Location"] == lands_on


def test_a_signed_in_clinician_visiting_sign_in_goes_home(alice):
    response = alice.get("/login?next=//evil.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_is_a_post_and_ends_the_session(alice):
    assert alice.get("/logout").status_code == 405
    response = alice.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You have signed out." in flashes(parse(alice.get("/login")))
    assert alice.get("/").status_code == 302


def test_htmx_request_without_a_session_redirects_the_whole_page(client):
    response = client.get("/?q=an", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/?q=an"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/?q%3Dan"


def test_sign_in_page_says_why_after_an_htmx_request_was_refused(client):
    for typed in ("a", "an"):  # a session that ended mid-search: several requests refused
        client.get(f"/?q={typed}", headers={"HX-Request": "true"})
    assert flashes(parse(client.get("/login?next=/"))).count("Please sign in to continue.") == 1


def test_password_change_elsewhere_ends_the_portal_session(alice, clinician):
    users.set_password(actor=None, via=channels.CLI, user_id=clinician.id, password="a-brand-new-secret")
    assert alice.get("/").status_code == 302


def test_deactivation_ends_the_portal_session(alice, clinician):
    users.deactivate(actor=None, via=channels.CLI, user_id=clinician.id)
    assert alice.get("/").status_code == 302


def test_sign_in_form_needs_its_csrf_token(csrf_app, clinician):
    client = csrf_app.test_client()
    refused = client.post("/login", data={"username": "alice", "password": factories.PASSWORD})
    assert refused.status_code == 400
    assert "This form has expired" in page_text(parse(refused))
    page = client.get("/login")
    accepted = client.post("/login", data={"username": "alice", "password": factories.PASSWORD,
                                           "csrf_token": csrf_token(parse(page))})
    assert accepted.status_code == 302


def test_sign_out_needs_the_csrf_token_as_a_field_or_htmx_header(csrf_client):
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/").status_code == 200
    token = csrf_token(parse(csrf_client.get("/")))
    assert csrf_client.post("/logout", headers={"X-CSRFToken": token}).status_code == 302
    assert csrf_client.get("/").status_code == 302


def test_every_page_carries_the_csrf_header_for_htmx(alice):
    doc = parse(alice.get("/"))
    assert json.loads(attr(doc, "body", "hx-headers")) == {"X-CSRFToken": csrf_token(doc)}

