"""Google Places address autocomplete: wired up, and allowed by the CSP, only with a Maps API key."""
import re

import pytest

from tests import factories

GOOGLE_SCRIPT = "https://maps.googleapis.com"


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
        page = response.get_data(as_text=True)
        assert '<label for="address">Google Place ID</label>' in page
        assert "address-search" not in page and "places.js" not in page
        assert "googleapis" not in response.headers["Content-Security-Policy"]


def test_with_a_key_the_form_offers_autocomplete_and_the_csp_allows_google(alice, clinician, maps_key):
    patient = factories.make_patient(clinician)
    for url in ("/patients/new", f"/patients/{patient.id}/edit"):
        response = alice.get(url)
        page = response.get_data(as_text=True)
        assert re.search(r'<script src="/static/js/places.js\?v=[0-9a-f]{10}" defer></script>', page)
        assert '<label for="address-search">Find the address</label>' in page
        assert f'data-maps-key="{maps_key}"' in page
        assert '<label for="address">Google Place ID</label>' in page
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
    assert "places.js" in response.get_data(as_text=True)


def test_other_pages_do_not_allow_google_even_with_a_key(alice, maps_key):
    for url in ("/", "/account"):
        assert "googleapis" not in alice.get(url).headers["Content-Security-Policy"]


def test_the_place_id_is_still_validated_by_the_domain(alice, maps_key):
    data = {"full_name": "Ann Able", "gender": "f", "birthdate": "1980-05-17", "phone": "555",
            "address": "not a place id!"}
    page = alice.post("/patients/new", data=data).get_data(as_text=True)
    assert '<small id="address-error" class="field-error">Address must be a Google Place ID' in page
