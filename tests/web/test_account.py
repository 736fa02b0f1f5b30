"""The account page: changing one's own password from the portal."""
from healthpal.domain import passwords, users
from healthpal.extensions import db
from tests import factories
from tests.helpers import user_signing_in
from tests.markup import attr, csrf_token, errors_for, flashes, parse, text_of
from tests.web.conftest import audit_rows, sign_in

NEW = "a-much-better-secret"
def signs_in_with(password: str) -> bool:
    db.session.expire_all()
    return user_signing_in("alice", password) is not None


CHANGE = {"old_password": factories.PASSWORD, "new_password1": NEW, "new_password2": NEW}


def test_account_page_shows_the_clinician_and_a_labelled_password_form(alice):
    doc = parse(alice.get("/account"))
    assert "Alice Adams" in text_of(doc, "main") and "alice" in text_of(doc, "main")
    for field, label in [("old_password", "Current password"), ("new_password1", "New password"),
                         ("new_password2", "New password again")]:
        assert text_of(doc, f'label[for="{field}"]') == label
        assert (attr(doc, f"#{field}", "name"), attr(doc, f"#{field}", "type")) == (field, "password")


def test_changing_the_password_keeps_this_browser_signed_in_and_ends_other_sessions(app, alice, clinician):
    elsewhere = sign_in(app.test_client(), "alice")
    api_login = app.test_client().post("/api/auth/login/", json={"username": "alice",
                                                                  "password": factories.PASSWORD})
    access = api_login.get_json()["access"]

    response = alice.post("/account", data=CHANGE)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Your password has been changed. Your other sessions and the mobile app were signed out." in flashes(
        parse(alice.get("/account")))
    assert alice.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    revoked = app.test_client().get("/api/auth/user/", headers={"Authorization": f"Bearer {access}"})
    assert revoked.status_code == 401
    assert signs_in_with(NEW)
    [changed] = audit_rows(action="update", entity_type="user")
    assert changed.channel == "portal" and changed.changes == {"password": "changed"}


def test_wrong_current_password_is_shown_on_its_field(alice, clinician):
    response = alice.post("/account", data={**CHANGE, "old_password": "not-it-at-all"})
    assert response.status_code == 422
    assert errors_for(parse(response), "old_password") == [users.WRONG_OLD_PASSWORD]
    assert signs_in_with(factories.PASSWORD)
    assert alice.get("/").status_code == 200                      # still signed in


def test_mismatched_or_weak_new_password_is_shown_on_the_second_field(alice):
    mismatch = alice.post("/account", data={**CHANGE, "new_password2": "something-else"})
    assert errors_for(parse(mismatch), "new_password2") == [users.MISMATCH]
    weak = alice.post("/account", data={**CHANGE, "new_password1": "12345", "new_password2": "12345"})
    [shown] = errors_for(parse(weak), "new_password2")
    assert "This password is too short." in shown and "This password is entirely numeric." in shown
    assert signs_in_with(factories.PASSWORD)


def test_password_form_needs_the_csrf_token(csrf_client):
    assert csrf_client.post("/account", data=CHANGE).status_code == 400
    assert signs_in_with(factories.PASSWORD)
    data = {**CHANGE, "csrf_token": csrf_token(parse(csrf_client.get("/account")))}
    assert csrf_client.post("/account", data=data).status_code == 302
    assert signs_in_with(NEW)


def test_guessing_the_current_password_is_throttled_like_sign_in(app, alice, clinician):
    wrong = {**CHANGE, "old_password": "a-guess-at-it"}
    assert [alice.post("/account", data=wrong).status_code for _ in range(5)] == [422] * 5
    response = alice.post("/account", data=CHANGE)
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 901
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in text_of(parse(response), "main")
    stored = users.by_username("alice").password_hash
    assert passwords.verify(stored, factories.PASSWORD) and not passwords.verify(stored, NEW)   # not changed
    login = app.test_client().post("/login", data={"username": "alice", "password": factories.PASSWORD})
    assert login.status_code == 429
