"""API.md §5: the paginated envelope, page and page_size, and absolute links that keep other parameters."""
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories


@pytest.fixture
def many(api):
    return [factories.make_patient(api.user, phone=f"555{n:04d}") for n in range(25)]


def query(url):
    return parse_qs(urlsplit(url).query)


def test_the_first_page_has_twenty_and_a_next_link(api, many):
    response = api.get("/api/patients/")
    assert list(response.json) == ["count", "next", "previous", "results"]
    assert response.json["count"] == 25
    assert len(response.json["results"]) == 20
    assert response.json["next"] == "http://localhost/api/patients/?page=2"
    assert response.json["previous"] is None


def test_links_are_absolute_and_keep_the_other_parameters(api, many):
    response = api.get("/api/patients/?search=555&ordering=-id&page_size=10&page=2")
    assert len(response.json["results"]) == 10
    following, preceding = response.json["next"], response.json["previous"]
    assert following.startswith("http://localhost/api/patients/?")
    assert query(following) == {"search": ["555"], "ordering": ["-id"], "page_size": ["10"], "page": ["3"]}
    assert query(preceding) == {"search": ["555"], "ordering": ["-id"], "page_size": ["10"]}
    last = api.get(following)
    assert len(last.json["results"]) == 5
    assert last.json["next"] is None
    assert query(last.json["previous"])["page"] == ["2"]


def test_following_the_links_visits_every_record_once(api, many):
    seen, url = [], "/api/patients/?page_size=7&ordering=birthdate"
    while url:
        body = api.get(url).json
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(p.id for p in many)
    assert len(seen) == len(set(seen))


def test_page_last_is_the_last_page(api, many):
    response = api.get("/api/patients/?page=last&page_size=10")
    assert len(response.json["results"]) == 5
    assert response.json["next"] is None
    assert query(response.json["previous"])["page"] == ["2"]


@pytest.mark.parametrize("page", ["0", "4", "abc", "-1", "", "1.5", "99999999999999999999"])
def test_an_invalid_page_is_404(api, many, page):
    response = api.get(f"/api/patients/?page_size=10&page={page}")
    assert response.status_code == 404
    assert response.json == {"detail": "Invalid page."}


@pytest.mark.parametrize("size,expected", [("0", 20), ("abc", 20), ("-3", 20), ("", 20), ("5", 5), ("100", 25),
                                           ("1000", 25), ("99999999999999999999", 25)])
def test_page_size_defaults_to_20_and_is_at_most_100(api, many, size, expected):
    assert len(api.get(f"/api/patients/?page_size={size}").json["results"]) == expected


def test_page_size_is_capped_at_100(api):
    for n in range(101):
        factories.make_patient(api.user, full_name=f"Pat {chr(97 + n // 26)}{chr(97 + n % 26)}son")
    response = api.get("/api/patients/?page_size=1000")
    assert len(response.json["results"]) == 100
    assert query(response.json["next"]) == {"page_size": ["1000"], "page": ["2"]}


def test_an_empty_list_is_one_empty_page(api):
    assert api.get("/api/patients/").json == {"count": 0, "next": None, "previous": None, "results": []}
    assert api.get("/api/assessments/?page=last").json["results"] == []


def test_assessment_lists_are_paginated_the_same_way(api):
    patient = factories.make_patient(api.user)
    for day in range(1, 4):
        factories.make_assessment(patient, date=f"2024-02-{day:02d}")
    response = api.get(f"/api/assessments/?page_size=2&patient={patient.id}")
    assert response.json["count"] == 3
    assert query(response.json["next"]) == {"page_size": ["2"], "patient": [str(patient.id)], "page": ["2"]}


@pytest.mark.parametrize("path", ["/api/patients", "/api/assessments"])
def test_a_list_answers_the_same_body_with_or_without_its_trailing_slash(api, many, path):
    factories.make_assessment(many[0], type="Mood", date="2024-01-02")
    factories.make_assessment(many[0], type="Mood", date="2024-01-03")
    unslashed, slashed = api.get(path + "?page_size=1"), api.get(path + "/?page_size=1")
    assert unslashed.status_code == slashed.status_code == 200
    assert unslashed.json == slashed.json
    assert unslashed.json["next"] == f"http://localhost{path}/?page_size=1&page=2"
    assert api.get(path + "?page_size=1&page=2").json["previous"] == f"http://localhost{path}/?page_size=1"
