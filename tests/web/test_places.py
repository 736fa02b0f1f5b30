"""Google Places address autocomplete: wired up, and allowed by the CSP, only with a Maps API key."""
import re

import pytest

from tests import factories
from tests.markup import attr, errors_for, parse, text_of

GOOGLE_SCRIPT = "https://maps.googleapis.com"


def scripts(doc, name: str) -> list:
    """The page's script elements that load `name` from our static files."""
    return [s for s in doc.css("script[src]") if s.attributes["src"].split("?")[0] == f"/static/js/{name}"]


@pytest.fixture
def maps_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "GOOGLE_MAPS_API_KEY", "test-maps-key")
    return "test-maps-key"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in policy.split("; "))}


def test_without_a_key_the_place_id_is_a_plain_field(alice, clinician):
    patient = factories.make_patient(clinician)
    for url in ("/patients/new", f"/patients/{patient.id}/edit"):
        response = alice.get(url)
        doc = parse(response)
        assert text_of(doc, 'label[for="address"]') == "Google Place ID"
        assert doc.css("#address-search") == [] and not scripts(doc, "places.js")
        assert "googleapis" not in response.headers["Content-Security-Policy"]


def test_with_a_key_the_form_offers_autocomplete_and_the_csp_allows_google(alice, clinician, maps_key):
    patient = factories.make_patient(clinician)
    for url in ("/patients/new", f"/patients/{patient.id}/edit"):
        response = alice.get(url)
        doc = parse(response)
        [places] = scripts(doc, "places.js")
        assert re.fullmatch(r"/static/js/places\.js\?v=[0-9a-f]{10}", places.attributes["src"])  # content-hashed URL
        assert "defer" in places.attributes
        assert text_of(doc, 'label[for="address-search"]') == "Find the address"
        assert attr(doc, "#address-search", "data-maps-key") == maps_key
        assert text_of(doc, 'label[for="address"]') == "Google Place ID"
        policy = directives(response)
        assert policy["script-src"] == ["'self'", GOOGLE_SCRIPT]
        assert policy["connect-src"] == ["'self'", GOOGLE_SCRIPT, "https://places.googleapis.com"]
        assert policy["img-src"] == ["'self'", "data:", "https://maps.gstatic.com", GOOGLE_SCRIPT]
        assert policy["style-src"] == ["'self'"] and policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]


def test_a_failed_save_still_offers_autocomplete(alice, maps_key):
    response = alice.post("/patients/new", data={"full_name": "Ann Able"})
    assert response.status_code == 422
    assert GOOGLE_SCRIPT in response.headers["Content-Security-Policy"]
    assert scripts(parse(response), "places.js")


def test_other_pages_do_not_allow_google_even_with_a_key(alice, maps_key):
    for url in ("/", "/account"):
        assert "googleapis" not in alice.get(url).headers["Content-Security-Policy"]


def test_the_place_id_is_still_validated_by_the_domain(alice, maps_key):
    data = {"full_name": "Ann Able", "gender": "f", "birthdate": "1980-05-17", "phone": "555",
            "address": "not a place id!"}
    [error] = errors_for(parse(alice.post("/patients/new", data=data)), "address")
    assert error.startswith("Address must be a Google Place ID")
