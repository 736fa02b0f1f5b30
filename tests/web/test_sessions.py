"""Server-side portal sessions: the cookie is only a random id, and a session really ends (sign-out,
idle timeout, absolute lifetime, password change, deactivation, reset, deletion, the account page)."""
import re
from datetime import UTC, timedelta
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select, update

from healthpal.domain import channels, users
from healthpal.extensions import db
from healthpal.models import SessionRecord, User
from tests import factories
from tests.api.support import Api, Http
from tests.markup import flashes, page_text, parse, table_rows, text_of
from tests.web.conftest import audit_rows, count, sign_in

COOKIE = "session"


def cookie_of(client) -> str:
    return client.get_cookie(COOKIE).value


def with_cookie(app, value: str):
    """A brand-new client (another browser) presenting a copied cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def test_the_cookie_is_a_random_id_and_the_session_lives_in_the_database(alice, clinician):
    value = cookie_of(alice)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)                        # 256 random bits, nothing else
    db.session.expire_all()
    [record] = db.session.scalars(select(SessionRecord).where(SessionRecord.user_id == clinician.id))
    assert record.kind == "portal" and value not in record.digest           # only its digest is stored
    assert '"_user_id"' in record.data


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, alice):
    copied = cookie_of(alice)
    assert with_cookie(app, copied).get("/").status_code == 200
    alice.post("/logout")
    for method, path in (("GET", "/"), ("GET", "/account"), ("POST", "/patients/new")):
        response = with_cookie(app, copied).open(path, method=method, data={"full_name": "Ann Lee"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_fetching_assets_leaves_the_session_alone(alice):
    response = alice.get("/static/app.css")
    response.close()
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert alice.get("/").status_code == 200


def test_signing_in_issues_a_new_id(app, client, clinician):
    client.get("/login")                                                     # an anonymous session (CSRF, flashes)
    before = cookie_of(client)
    sign_in(client, "alice")
    assert cookie_of(client) != before
    assert with_cookie(app, before).get("/").status_code == 302


@pytest.mark.parametrize("end_it", [
    lambda user, admin: users.set_password(actor=admin, via=channels.ADMIN, user_id=user.id, password="reset-by-admin"),
    lambda user, admin: users.deactivate(actor=admin, via=channels.ADMIN, user_id=user.id),
    lambda user, admin: users.delete(actor=admin, via=channels.ADMIN, user_id=user.id),
], ids=["admin password reset", "deactivation", "deletion"])
def test_every_session_of_the_user_ends(app, alice, clinician, superuser, end_it):
    api = Api(app.test_client(), clinician)
    laptop = sign_in(app.test_client(), "alice")
    end_it(clinician, superuser)
    assert alice.get("/").status_code == 302 and laptop.get("/").status_code == 302
    assert api.get("/api/auth/user/").status_code == 401
    assert count(SessionRecord, SessionRecord.user_id == clinician.id) == 0


def test_idle_timeout_is_enforced_by_the_server(app, frozen_clock, clinician):
    alice = sign_in(app.test_client(), "alice")
    copied = cookie_of(alice)
    frozen_clock.advance(minutes=20)
    assert alice.get("/").status_code == 200                                 # using it restarts the idle clock
    frozen_clock.advance(minutes=25)
    assert alice.get("/").status_code == 200
    frozen_clock.advance(minutes=31)
    assert alice.get("/").status_code == 302
    assert with_cookie(app, copied).get("/").status_code == 302              # the cookie itself is worthless now


def test_absolute_lifetime_ends_even_a_busy_session(app, frozen_clock, clinician):
    assert app.config["HEALTHPAL_SESSION_LIFETIME"].total_seconds() == 12 * 3600
    alice = sign_in(app.test_client(), "alice")
    for _ in range(28):                                                      # a request every 25 minutes, 11 h 40
        frozen_clock.advance(minutes=25)
        assert alice.get("/").status_code == 200
    frozen_clock.advance(minutes=25)
    assert alice.get("/").status_code == 302


def test_lifetimes_are_configurable(app, frozen_clock, clinician, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_SESSION_LIFETIME", timedelta(hours=1))
    monkeypatch.setitem(app.config, "HEALTHPAL_IDLE_TIMEOUT", timedelta(minutes=5))
    alice = sign_in(app.test_client(), "alice")
    frozen_clock.advance(minutes=6)
    assert alice.get("/").status_code == 302


# --- the account page -------------------------------------------------------------------------------

def test_account_page_lists_browser_sessions_and_mobile_sign_ins(app, alice, clinician):
    laptop = app.test_client()
    laptop.post("/login", data={"username": "alice", "password": factories.PASSWORD},
                headers={"User-Agent": "Mozilla/5.0 (X11; Linux) Firefox/140.0"},
                environ_base={"REMOTE_ADDR": "198.51.100.7"})
    app.test_client().post("/api/auth/login/", json={"username": "alice", "password": factories.PASSWORD},
                           headers={"User-Agent": "Healthpal/3.1 (iPhone; iOS 19)"},
                           environ_base={"REMOTE_ADDR": "203.0.113.5"})
    doc = parse(alice.get("/account"))
    assert text_of(doc, "#sessions h2") == "Where you are signed in"
    assert "after 30 idle minutes or 12 hours at most" in page_text(doc)
    rows = table_rows(doc, "table.sessions")
    assert len(rows) == 3
    assert ["Browser", "Mozilla/5.0 (X11; Linux) Firefox/140.0", "198.51.100.7"] in [row[:3] for row in rows]
    assert ["Mobile app", "Healthpal/3.1 (iPhone; iOS 19)", "203.0.113.5"] in [row[:3] for row in rows]
    assert sorted(row[-1] for row in rows) == ["Sign out", "Sign out", "This browser"]
    assert [b.attributes["aria-label"] for b in doc.css("table.sessions button")] == ["Sign out this session"] * 2
    assert text_of(doc, 'form[action="/account/sessions/end-others"] button') == "Sign out everywhere else"


def this_browser(client) -> int:
    """The id of the client's own session, as its account page marks it."""
    return session_id(client, "This browser")


def session_id(client, marked: str) -> int:
    """The id of the one session row (`<tr id="session-N">`) on the client's account page that says `marked`."""
    [row] = [tr for tr in parse(client.get("/account")).css("table.sessions tbody tr") if marked in tr.text()]
    return int(row.id.removeprefix("session-"))


def test_ending_one_session_from_the_account_page(app, alice, clinician):
    laptop = sign_in(app.test_client(), "alice")
    laptop_id = this_browser(laptop)
    response = alice.post(f"/account/sessions/{laptop_id}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "That session was signed out." in flashes(parse(alice.get("/account")))
    assert laptop.get("/").status_code == 302 and alice.get("/").status_code == 200
    [event] = audit_rows(action="update", entity_type="user")
    assert event.channel == "portal" and event.changes == {"sessions_ended": [laptop_id]}


def test_ending_a_mobile_sign_in_revokes_its_refresh_and_access_tokens(app, alice, clinician):
    phone = Api(app.test_client(), clinician)
    alice.post(f"/account/sessions/{session_id(alice, 'Mobile app')}/end")
    assert phone.get("/api/auth/user/").status_code == 401
    refreshed = phone.client.post("/api/auth/token/refresh/", json={"refresh": phone.refresh})
    assert refreshed.status_code == 401 and refreshed.json["code"] == "token_not_valid"


def test_a_token_refresh_notes_the_sign_in_as_used(app, frozen_clock, clinician):
    phone = Api(app.test_client(), clinician)
    frozen_clock.advance(hours=2)
    assert phone.client.post("/api/auth/token/refresh/", json={"refresh": phone.refresh}).status_code == 200
    db.session.expire_all()
    record = db.session.scalar(select(SessionRecord).where(SessionRecord.kind == "app"))
    assert record.last_used_at.replace(tzinfo=UTC) == frozen_clock.at                 # UTC, zone or not
    assert record.created_at.replace(tzinfo=UTC) == frozen_clock.at - timedelta(hours=2)


def test_sign_out_everywhere_else_keeps_this_browser(app, alice, clinician):
    laptop = sign_in(app.test_client(), "alice")
    phone = Api(app.test_client(), clinician)
    response = alice.post("/account/sessions/end-others")
    assert response.status_code == 302
    assert "Signed out everywhere else (2 sessions)." in flashes(parse(alice.get("/account")))
    assert alice.get("/").status_code == 200
    assert laptop.get("/").status_code == 302 and phone.get("/api/auth/user/").status_code == 401


def test_another_users_session_cannot_be_ended(app, alice, bob, other_clinician):
    db.session.expire_all()
    bobs = db.session.scalar(select(SessionRecord.id).where(SessionRecord.user_id == other_clinician.id))
    assert alice.post(f"/account/sessions/{bobs}/end").status_code == 404
    assert alice.post("/account/sessions/999999999/end").status_code == 404
    assert bob.get("/").status_code == 200


# --- over real HTTP -----------------------------------------------------------------------------------

def http_sign_in(http: Http, username: str) -> str:
    """Sign in through the portal's form over HTTP; returns the session cookie's value."""
    page = http.open("/login")
    cookie = SimpleCookie(page.headers["Set-Cookie"])[COOKIE].value
    response = http.open("/login", method="POST", data={"username": username, "password": factories.PASSWORD},
                         headers={"Cookie": f"{COOKIE}={cookie}"})
    assert response.status_code == 302
    return SimpleCookie(response.headers["Set-Cookie"])[COOKIE].value


def test_over_http_a_signed_out_cookie_is_refused(live_server, clinician):
    http = Http(live_server)
    copied = http_sign_in(http, "alice")
    signed_in = {"Cookie": f"{COOKIE}={copied}"}
    assert http.open("/account", headers=signed_in).status_code == 200
    assert http.open("/logout", method="POST", headers=signed_in).status_code == 302
    again = http.open("/account", headers=signed_in)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")


def test_over_http_a_deleted_accounts_cookie_and_tokens_match_nobody(live_server, clinician, superuser):
    """On SQLite the next user could be given the deleted one's id: their credentials must not carry over."""
    http = Http(live_server)
    cookie = {"Cookie": f"{COOKIE}={http_sign_in(http, 'alice')}"}
    tokens = Api(http, clinician)
    old_id = clinician.id
    users.delete(actor=superuser, via=channels.ADMIN, user_id=old_id)
    newcomer = factories.make_user("carol")
    assert newcomer.id != old_id                                             # AUTOINCREMENT: never reused
    assert http.open("/account", headers=cookie).status_code == 302
    refused = tokens.get("/api/auth/user/")
    assert refused.status_code == 401 and refused.json["code"] == "user_not_found"
    refreshed = http.open("/api/auth/token/refresh/", method="POST", json={"refresh": tokens.refresh})
    assert refreshed.status_code == 401


def test_a_later_account_given_the_same_id_does_not_honour_the_old_credentials(app, alice, clinician, superuser):
    """What SQLite did before AUTOINCREMENT, forced here on any database: the per-account key tells them apart."""
    phone = Api(app.test_client(), clinician)
    old_id = clinician.id
    users.delete(actor=superuser, via=channels.ADMIN, user_id=old_id)
    carol = factories.make_user("carol")
    with db.engine.begin() as connection:                                     # carol takes the old id
        connection.execute(update(User).where(User.id == carol.id).values(id=old_id))
    assert alice.get("/").status_code == 302
    refused = phone.get("/api/auth/user/")
    assert refused.status_code == 401 and refused.json["code"] == "user_not_found"
    assert phone.client.post("/api/auth/token/verify/", json={"token": phone.refresh}).status_code == 401
