"""API.md §1: paths, media types, body rules, error shapes, and the order the checks are made in."""
import pytest

from healthpal.api import errors
from tests import factories
from tests.api.support import Api, patient_data
from tests.toolkit import raising

PROTECTED = [
    ("GET", "/api/auth/user/"), ("PUT", "/api/auth/user/"), ("PATCH", "/api/auth/user/"),
    ("POST", "/api/auth/password/change/"),
    ("GET", "/api/patients/"), ("POST", "/api/patients/"),
    ("GET", "/api/patients/1/"), ("PUT", "/api/patients/1/"), ("PATCH", "/api/patients/1/"),
    ("DELETE", "/api/patients/1/"),
    ("GET", "/api/assessments/"), ("POST", "/api/assessments/"),
    ("GET", "/api/assessments/1/"), ("PUT", "/api/assessments/1/"), ("PATCH", "/api/assessments/1/"),
    ("DELETE", "/api/assessments/1/"),
]


@pytest.mark.parametrize("path", ["/api/patients", "/api/patients/", "/api/auth/user", "/api/auth/user/"])
def test_every_path_answers_with_and_without_its_trailing_slash(api, path):
    response = api.get(path)
    assert response.status_code == 200
    assert "Location" not in response.headers


def test_a_detail_path_answers_without_its_trailing_slash(api):
    patient = factories.make_patient(api.user)
    assert api.get(f"/api/patients/{patient.id}").json["id"] == patient.id


@pytest.mark.parametrize("method,path", PROTECTED)
def test_protected_paths_need_credentials_before_anything_else(anonymous, method, path):
    response = anonymous.request(method, path, data="{not json", content_type="text/plain")
    assert response.status_code == 401
    assert response.json == {"detail": errors.NOT_AUTHENTICATED}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("path", ["/api/patients/", "/api/assessments/1/", "/api/auth/user/",
                                  "/api/patients", "/api/assessments/1", "/api/auth/user"])
def test_a_wrong_method_on_a_protected_path_is_401_before_405(anonymous, path):
    assert anonymous.request("POST" if path.endswith("1/") else "DELETE", path).status_code == 401


@pytest.mark.parametrize("path", ["/api/patients/", "/api/patients"])
def test_a_wrong_method_is_405_with_allow_once_authenticated(api, path):
    response = api.patch(path)
    assert response.status_code == 405
    assert response.json == {"detail": 'Method "PATCH" not allowed.'}
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


@pytest.mark.parametrize("path", ["/api/auth/login/", "/api/auth/login"])
def test_a_wrong_method_on_a_public_path_is_405(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 405
    assert response.json == {"detail": 'Method "GET" not allowed.'}
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/nope/", "/api/patients/1/rounds/", "/api", "/api/", "/api/patients/x/y"])
@pytest.mark.parametrize("signed_in", [False, True])
def test_unknown_paths_are_json_404_whether_or_not_signed_in(client, clinician, path, signed_in):
    caller = Api(client, clinician if signed_in else None)
    response = caller.post(path)
    assert response.status_code == 404
    assert response.json == {"detail": "Not found."}


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "007", "1.5", "9" * 19, "99999999999999999999999", "%00"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "POST"])
def test_path_ids_must_be_positive_integers(api, raw, method):
    for resource in ("patients", "assessments"):
        response = api.request(method, f"/api/{resource}/{raw}/")
        assert response.status_code == 404
        assert response.json == {"detail": "Not found."}


def test_the_largest_path_id_is_a_404_not_an_error(api):
    assert api.delete("/api/patients/" + "9" * 18 + "/").status_code == 404


def test_a_body_over_one_mebibyte_is_413_before_authentication(anonymous):
    response = anonymous.post("/api/patients/", data=b"x" * (1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413
    assert set(response.json) == {"detail"}


def test_a_body_of_exactly_one_mebibyte_is_read(api):
    body = b'{"full_name": "' + b" " * (1024 * 1024 - 20) + b'"}'
    response = api.post("/api/patients/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "full_name" in response.json


@pytest.mark.parametrize("content_type,data", [
    ("application/x-www-form-urlencoded", "full_name=John+Doe"),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n"),
    ("text/plain", '{"full_name": "John Doe"}'),
    (None, '{"full_name": "John Doe"}'),
])
def test_bodies_of_other_media_types_are_415(api, content_type, data):
    response = api.post("/api/patients/", data=data, content_type=content_type)
    assert response.status_code == 415
    assert set(response.json) == {"detail"}


def test_a_form_post_to_login_is_415(anonymous):
    response = anonymous.post("/api/auth/login/", data={"username": "a", "password": "b"})
    assert response.status_code == 415


def test_json_with_a_charset_is_accepted(api):
    response = api.post("/api/patients/", data='{"full_name": "Zoë Núñez", "gender": "f", "birthdate": '
                        '"1990-01-01", "phone": "1", "address": "x"}'.encode(),
                        content_type="application/json; charset=utf-8")
    assert response.status_code == 201
    assert response.json["full_name"] == "Zoë Núñez"


@pytest.mark.parametrize("raw", ["{bad", "{\"a\": 1,}", "   ", "NaN", '{"score": Infinity}', "[" * 100_000,
                                 b'{"a": "\xff"}', '{"full_name": "\\ud800"}'])
def test_malformed_json_is_400_parse_error(api, raw):
    response = api.post("/api/patients/", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json) == ["detail"]
    assert response.json["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize("raw,kind", [("[]", "a list"), ('"x"', "a string"), ("1", "a number"), ("null", "null"),
                                      ("true", "a boolean")])
def test_json_that_is_not_an_object_is_400_non_field_errors(api, raw, kind):
    response = api.post("/api/patients/", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json == {"non_field_errors": [f"Invalid data. Expected an object, but got {kind}."]}


def test_an_empty_body_reads_as_an_empty_object(api):
    response = api.post("/api/patients/", data=b"", content_type=None)
    assert response.status_code == 400
    assert response.json["full_name"] == ["This field is required."]


def test_unknown_and_read_only_keys_are_ignored(api):
    response = api.post("/api/patients/", json=patient_data(id=999, age=3, created_at="x", clinician_id=5, extra=[1]))
    assert response.status_code == 201
    assert response.json["id"] != 999
    assert response.json["age"] != 3


def test_a_nul_character_in_a_text_field_is_400_on_that_field(api):
    response = api.post("/api/patients/", json=patient_data(full_name="John\x00Doe", address="ab\x00"))
    assert response.status_code == 400
    assert set(response.json) == {"full_name", "address"}


@pytest.mark.parametrize("params", ["search=a%00b", "gender=m%00", "ordering=%00"])
def test_a_nul_character_in_a_patient_filter_is_never_a_server_error(api, params):
    assert api.get(f"/api/patients/?{params}").status_code in (200, 400)


def test_a_nul_character_in_an_assessment_filter_is_never_a_server_error(api):
    assert api.get("/api/assessments/?type=a%00b").status_code in (200, 400)


def test_a_nul_character_in_a_login_is_never_a_server_error(anonymous):
    response = anonymous.post("/api/auth/login/", json={"username": "al\x00ice", "password": "x\x00"})
    assert response.status_code == 400


def test_responses_are_utf8_json_without_escaped_non_ascii(api):
    response = api.post("/api/patients/", json=patient_data(full_name="Łukasz Øster-Ñúñez"))
    assert response.status_code == 201
    assert response.mimetype == "application/json"
    assert "Łukasz Øster-Ñúñez".encode() in response.data
    assert b"\\u" not in response.data


def test_an_unexpected_failure_is_a_json_500_without_a_trace(api, monkeypatch):
    from healthpal.domain import patients

    monkeypatch.setattr(patients, "search", raising(RuntimeError("secret internals")))
    response = api.get("/api/patients/")
    assert response.status_code == 500
    assert list(response.json) == ["detail", "request_id"]
    assert response.json["request_id"] == response.headers["X-Request-ID"]
    assert b"secret internals" not in response.data and b"Traceback" not in response.data
