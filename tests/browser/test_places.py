"""Google Places autocomplete on the patient form, against a stand-in for Google's script.

The stand-in is served at Google's real address (Playwright intercepts the request), so the page's
Content-Security-Policy is checked exactly as it would be with the real script.
"""
import re

import pytest
from playwright.sync_api import expect

from healthpal.domain import patients
from tests.toolkit import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("page", ["desktop"], indirect=True)]

SYDNEY = "ChIJP3Sa8ziYEmsRUKgyFmh9AQM"
FAKE_PLACES = """
window.google = {maps: {places: {Autocomplete: function (input, options) {
  var self = this, listeners = {};
  window.autocompleteFields = options.fields;
  this.addListener = function (name, listener) { listeners[name] = listener; };
  this.getPlace = function () { return self.place; };
  input.addEventListener("input", function () {
    if (input.value === "Sydney Opera House") {
      self.place = {place_id: "SYDNEY", formatted_address: "Bennelong Point, Sydney NSW 2000, Australia"};
      listeners.place_changed();
    }
  });
}}}};
window[new URL(document.currentScript.src).searchParams.get("callback")]();
""".replace("SYDNEY", SYDNEY)


def serve_fake_google(page) -> list[str]:
    """Answer every request to Google's Maps origin with the stand-in; returns the URLs asked for."""
    asked = []

    def fulfil(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/javascript", body=FAKE_PLACES)

    page.route(re.compile(r"^https://maps\.googleapis\.com/"), fulfil)
    return asked


def test_picking_a_suggestion_fills_in_the_address_and_its_place_id(page, live, clinician, monkeypatch):
    monkeypatch.setitem(live.app.config, "GOOGLE_MAPS_API_KEY", "test-maps-key")
    asked = serve_fake_google(page)
    browser_sign_in(page, "alice")
    page.goto("/patients/new")
    search = page.get_by_label("Find the address")
    search.fill("Sydney Opera House")
    expect(page.get_by_label("Google Place ID")).to_have_value(SYDNEY)
    expect(page.get_by_label("Address", exact=True)).to_have_value("Bennelong Point, Sydney NSW 2000, Australia")
    expect(page.get_by_role("status")).to_contain_text("Address and Place ID filled in for Bennelong Point")
    assert len(asked) == 1
    assert "key=test-maps-key" in asked[0] and "libraries=places" in asked[0]
    assert page.evaluate("window.autocompleteFields") == ["place_id", "formatted_address"]

    search.press("Enter")  # choosing with Enter must not submit the form
    expect(page.get_by_role("heading", name="New patient")).to_be_visible()
    page.get_by_label("Full name").fill("Ann Able")
    page.get_by_label("Gender").select_option("f")
    page.get_by_label("Birthdate").fill("1980-05-17")
    page.get_by_label("Phone").fill("5550100")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_text("Ann Able was added.")).to_be_visible()
    assert [(p.address, p.address_label) for p in patients.search(actor=clinician, via="portal").items] == [
        (SYDNEY, "Bennelong Point, Sydney NSW 2000, Australia")]
    expect(page.get_by_text("Bennelong Point, Sydney NSW 2000, Australia")).to_be_visible()


def test_without_a_key_the_clinician_types_the_address_and_is_told_how_to_find_a_place_id(page, clinician):
    asked = serve_fake_google(page)
    browser_sign_in(page, "alice")
    page.goto("/patients/new")
    expect(page.get_by_label("Google Place ID")).to_be_visible()
    expect(page.get_by_label("Find the address")).to_have_count(0)
    expect(page.get_by_role("link", name="Place ID Finder")).to_have_attribute(
        "href", "https://developers.google.com/maps/documentation/places/web-service/place-id")
    page.get_by_label("Full name").fill("Ann Able")
    page.get_by_label("Gender").select_option("f")
    page.get_by_label("Birthdate").fill("1980-05-17")
    page.get_by_label("Phone").fill("5550100")
    page.get_by_label("Address", exact=True).fill("Bennelong Point, Sydney")
    page.get_by_label("Google Place ID").fill(SYDNEY)
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_text("Ann Able was added.")).to_be_visible()
    expect(page.get_by_text("Bennelong Point, Sydney")).to_be_visible()
    assert asked == []
