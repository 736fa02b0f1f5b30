"""API.md read line by line against the app: the corners a mobile client hits that the other test
modules do not (OPTIONS, odd paths, generic messages on auth forms, search and ordering details,
the OpenAPI schemas accepting what the API accepts)."""
import pytest
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from healthpal.api import docs, errors
from tests import factories
from tests.api.support import patient_data

LOGIN = "/api/auth/login/"
CHANGE = "/api/auth/password/change/"
REGISTER = "/api/auth/registration/"
NULL, BLANK = "This field may not be null.", "This field may not be blank."


@pytest.mark.parametrize("path", ["/api/patients/", "/api/patients", "/api/assessments/1/", "/api/assessments/1",
                                  "/api/auth/user/", "/api/auth/user"])
def test_options_on_a_protected_path_needs_credentials_too(anonymous, path):
    response = anonymous.request("OPTIONS", path)
    assert response.status_code == 401
    assert response.json == {"detail": errors.NOT_AUTHENTICATED}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("path,allowed", [
    ("/api/patients", "GET, HEAD, OPTIONS, POST"),
    ("/api/patients/7", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"),
    ("/api/auth/user", "GET, HEAD, OPTIONS, PATCH, PUT"),
])
def test_options_lists_the_methods_with_and_without_the_trailing_slash(api, path, allowed):
    for variant in (path, path + "/"):
        response = api.request("OPTIONS", variant)
        assert response.status_code == 200, variant
        assert response.headers["Allow"] == allowed, variant


def test_options_on_a_public_path_needs_no_token(anonymous):
    response = anonymous.request("OPTIONS", "/api/auth/login")
    assert response.status_code == 200
    assert response.headers["Allow"] == "OPTIONS, POST"


@pytest.mark.parametrize("path", ["/api//patients/", "/api//auth/user/", "/api//docs/"])
def test_a_path_with_doubled_slashes_is_a_json_404_not_a_redirect(api, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response.json == {"detail": "Not found."}
    assert "Location" not in response.headers


def test_the_openapi_document_answers_with_a_trailing_slash_too(client):
    response = client.get("/api/openapi.json/")
    assert response.status_code == 200
    assert response.json == docs.document()


def _validator(spec, name):
    registry = Registry().with_resource("urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012))
    return OAS31Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=registry)


@pytest.mark.parametrize("name", ["Amélie Laurent", "María José García-López", "Łukasz Nowak", "Anna-Lena Weiß"])
def test_the_documented_patient_schema_accepts_the_names_the_api_accepts(api, client, name):
    body = patient_data(full_name=name)
    assert api.post("/api/patients/", json=body).status_code == 201
    assert list(_validator(client.get("/api/openapi.json").json, "PatientWrite").iter_errors(body)) == []


def test_the_documented_score_accepts_a_spaced_digit_string_as_the_api_does(api, client):
    patient = factories.make_patient(api.user)
    body = {"patient": patient.id, "type": "Mood", "score": " 85 ",
            "qna_rounds": [{"question": "How do you feel?", "answer": "Fine"}]}
    assert api.post("/api/assessments/", json=body).json["score"] == 85
    assert list(_validator(client.get("/api/openapi.json").json, "AssessmentWrite").iter_errors(body)) == []


@pytest.mark.parametrize("body,expected", [
    ({"username": "alice", "password": None}, {"password": [NULL]}),
    ({"username": None, "password": "x"}, {"username": [NULL]}),
    ({"username": "  ", "password": ""}, {"username": [BLANK], "password": [BLANK]}),
    ({"username": "al\x00ice", "password": "x"}, {"username": ["Null characters are not allowed."]}),
    ({"username": "alice", "password": "x\x00"}, {"password": ["Null characters are not allowed."]}),
])
def test_login_fields_get_the_generic_messages_and_are_not_counted_as_failures(
        anonymous, clinician, app, monkeypatch, body, expected):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_USER", 1)
    for _ in range(2):
        response = anonymous.post(LOGIN, json=body)
        assert response.status_code == 400
        assert response.json == expected
    assert anonymous.post(LOGIN, json={"username": "alice", "password": factories.PASSWORD}).status_code == 200


@pytest.mark.parametrize("old,message", [(None, NULL), ("", BLANK)])
def test_a_null_or_blank_old_password_gets_the_generic_message(api, old, message):
    response = api.post(CHANGE, json={"old_password": old, "new_password1": "Another-pass-1",
                                      "new_password2": "Another-pass-1"})
    assert response.status_code == 400
    assert response.json == {"old_password": [message]}


def test_a_blank_new_password_is_reported_on_each_blank_field(api):
    response = api.post(CHANGE, json={"old_password": factories.PASSWORD, "new_password1": "", "new_password2": ""})
    assert response.status_code == 400
    assert response.json == {"new_password1": [BLANK], "new_password2": [BLANK]}


def test_registration_reports_every_password_field_error_together(anonymous, app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_OPEN_REGISTRATION", True)
    response = anonymous.post(REGISTER, json={"username": "newbie", "password1": None, "password2": ""})
    assert response.status_code == 400
    assert response.json == {"password1": [NULL], "password2": [BLANK]}


def test_search_finds_a_name_typed_in_decomposed_unicode(api):
    factories.make_patient(api.user, full_name="Amélie Laurent")
    response = api.get("/api/patients/", query_string={"search": "Ame\u0301lie"})
    assert [p["full_name"] for p in response.json["results"]] == ["Amélie Laurent"]


def test_a_doubled_minus_is_an_unknown_ordering_field_and_ignored(api):
    for name in ("Cleo Brown", "Abel Smith", "Bea Jones"):
        factories.make_patient(api.user, full_name=name)
    response = api.get("/api/patients/", query_string={"ordering": "--id"})
    assert [p["full_name"] for p in response.json["results"]] == ["Abel Smith", "Bea Jones", "Cleo Brown"]
