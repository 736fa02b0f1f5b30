"""Things a first-time clinician tripped over, checked in a real browser on a phone and a desktop."""
import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.toolkit import browser_sign_in

pytestmark = pytest.mark.browser


def names(page) -> list[str]:
    return page.locator("table.patients tbody th").all_inner_texts()


def test_the_list_can_be_sorted_at_every_screen_size(page, clinician):
    factories.make_patient(clinician, full_name="Ann Able", birthdate="1950-01-01")
    factories.make_patient(clinician, full_name="Ben Bold", birthdate="2000-01-01")
    browser_sign_in(page, "alice")
    rows = page.locator("table.patients tbody tr")
    expect(rows.first).to_contain_text("Ann Able")
    phone = page.viewport_size["width"] < 641
    if phone:  # the column headers are hidden (rows are cards): a select chooses the order
        assert page.locator("table.patients thead").bounding_box()["height"] <= 1
        page.get_by_label("Sort by").select_option(label="Youngest first")
    else:
        expect(page.get_by_label("Sort by")).to_be_hidden()
        page.get_by_role("link", name="Age").click()
    expect(rows.first).to_contain_text("Ben Bold")
    expect(page).to_have_url(re.compile(r"/\?sort=-birthdate$"))
    # a search keeps the order
    page.get_by_label("Search by name, phone or date of birth").press_sequentially("b", delay=30)
    expect(page).to_have_url(re.compile(r"/\?q=b&sort=-birthdate$"))
    assert names(page) == ["Ben Bold", "Ann Able"]


def test_a_session_that_ended_mid_search_says_so_on_the_sign_in_page(page, clinician):
    browser_sign_in(page, "alice")
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()  # the session timed out
    page.get_by_label("Search by name, phone or date of birth").press_sequentially("ab", delay=30)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_text("Please sign in to continue.")).to_have_count(1)


def test_save_sits_beside_cancel(page, clinician):
    browser_sign_in(page, "alice")
    page.goto("/patients/new")
    save = page.get_by_role("button", name="Add patient").bounding_box()
    cancel = page.get_by_role("button", name="Cancel").bounding_box()
    assert abs(save["y"] - cancel["y"]) < 2 and save["x"] + save["width"] <= cancel["x"]
