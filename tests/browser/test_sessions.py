"""Sessions in a real browser: the account page's list of sign-ins, and a cookie that dies with sign-out."""
import pytest
from playwright.sync_api import expect

from tests.toolkit import browser_sign_in

pytestmark = pytest.mark.browser


def test_account_page_lists_sessions_and_signs_out_another_one(page, browser, live, clinician):
    other = browser.new_context(base_url=live.url, user_agent="Mozilla/5.0 (Other laptop) Firefox/140.0")
    laptop = other.new_page()
    try:
        browser_sign_in(laptop, "alice")
        browser_sign_in(page, "alice")
        page.goto("/account")
        sessions = page.get_by_role("table")
        expect(sessions.get_by_role("row")).to_have_count(3)                  # the header, two browsers
        expect(sessions.get_by_text("This browser")).to_be_visible()
        laptop_row = sessions.get_by_role("row").filter(has_text="Other laptop")
        laptop_row.get_by_role("button", name="Sign out this session").click()
        expect(page.get_by_text("That session was signed out.")).to_be_visible()
        expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)

        laptop.goto("/account")
        expect(laptop).to_have_url(f"{live.url}/login?next=/account")
    finally:
        other.close()


def test_a_cookie_copied_before_sign_out_is_refused_after_it(page, browser, live, clinician):
    browser_sign_in(page, "alice")
    [copied] = [cookie for cookie in page.context.cookies() if cookie["name"] == "session"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    thief = browser.new_context(base_url=live.url)
    try:
        thief.add_cookies([copied])
        stolen = thief.new_page()
        stolen.goto("/account")
        expect(stolen).to_have_url(f"{live.url}/login?next=/account")
        expect(stolen.get_by_role("button", name="Sign in")).to_be_visible()
    finally:
        thief.close()
    browser_sign_in(page, "alice")                             # the account itself signs in again
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
