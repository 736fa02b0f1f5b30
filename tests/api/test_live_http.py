"""The API over real HTTP (a live werkzeug server in a thread): every endpoint, each documented error,
links, unicode on the wire, and concurrent duplicate creates."""
import json
import threading
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest

from healthpal.domain import channels, users
from healthpal.domain import patients as patient_domain
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.api.support import Api, Http, assessment_data, patient_data
from tests.toolkit import api_login, raising

TOKEN_NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


@pytest.fixture
def anonymous_http(live_server):
    return Api(Http(live_server))


def test_every_auth_endpoint_over_http(anonymous_http, clinician, app, monkeypatch):
    signed_in = api_login(anonymous_http.client, "alice")
    assert signed_in.status_code == 200
    pair = signed_in.json
    bearer = {"Authorization": f"Bearer {pair['access']}"}
    assert anonymous_http.get("/api/auth/user", headers=bearer).json["username"] == "alice"
    assert anonymous_http.patch("/api/auth/user/", json={"first_name": "Al"}, headers=bearer).json["first_name"] == "Al"
    assert anonymous_http.put("/api/auth/user/", json={"username": "alice", "first_name": "A", "last_name": "B"},
                              headers=bearer).status_code == 200
    assert anonymous_http.post("/api/auth/token/verify/", json={"token": pair["refresh"]}).json == {}
    refreshed = anonymous_http.post("/api/auth/token/refresh", json={"refresh": pair["refresh"]})
    assert refreshed.status_code == 200 and refreshed.json["access_expiration"].endswith("Z")
    assert anonymous_http.post("/api/auth/logout/", json={"refresh": pair["refresh"]},
                               headers=bearer).json == {"detail": "Successfully logged out."}
    after = anonymous_http.get("/api/auth/user/", headers=bearer)
    assert (after.status_code, after.json) == (401, TOKEN_NOT_VALID)
    assert after.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert anonymous_http.post("/api/auth/registration/", json={}).status_code == 403
    monkeypatch.setitem(app.config, "HEALTHPAL_OPEN_REGISTRATION", True)
    joined = anonymous_http.post("/api/auth/registration/", json={"username": "newbie", "password1": "long-enough-1",
                                                                  "password2": "long-enough-1"})
    assert joined.status_code == 201
    newbie = {"Authorization": f"Bearer {joined.json['access']}"}
    changed = anonymous_http.post("/api/auth/password/change/", headers=newbie, json={
        "old_password": "long-enough-1", "new_password1": "long-enough-2", "new_password2": "long-enough-2"})
    assert changed.json == {"detail": "New password has been saved."}
    assert anonymous_http.get("/api/auth/user/", headers=newbie).json == TOKEN_NOT_VALID


def test_patient_and_assessment_crud_over_http(http):
    created = http.post("/api/patients/", json=patient_data())
    assert created.status_code == 201
    pid = created.json["id"]
    assert http.get(f"/api/patients/{pid}").json == created.json
    assert http.put(f"/api/patients/{pid}/", json=patient_data(phone="1")).json["phone"] == "1"
    assert http.patch(f"/api/patients/{pid}/", json={"gender": "f"}).json["gender"] == "f"
    assessment = http.post("/api/assessments", json=assessment_data(pid))
    assert assessment.status_code == 201
    aid = assessment.json["id"]
    assert http.get(f"/api/assessments/{aid}/").json["qna_rounds"] == [{"question": "How do you feel?",
                                                                         "answer": "Fine"}]
    assert http.put(f"/api/assessments/{aid}/", json=assessment_data(pid, score=1)).json["score"] == 1
    assert http.patch(f"/api/assessments/{aid}", json={"type": "Mood"}).json["type"] == "Mood"
    assert http.get("/api/assessments/").json["count"] == 1
    assert http.get("/api/patients/").json["count"] == 1
    deleted = http.delete(f"/api/assessments/{aid}/")
    assert (deleted.status_code, deleted.data) == (204, b"")
    assert http.delete(f"/api/patients/{pid}").status_code == 204
    assert http.get(f"/api/patients/{pid}/").json == {"detail": "Not found."}


def test_documented_errors_over_http(http, anonymous_http, other_clinician, app, monkeypatch):
    theirs = factories.make_patient(other_clinician)
    cases = [
        (anonymous_http.get("/api/patients/"), 401, {"detail": "Authentication credentials were not provided."}),
        (http.post("/api/patients/", json={"phone": "x"}), 400, None),
        (http.post("/api/patients/", data="{oops", content_type="application/json"), 400, None),
        (http.post("/api/patients/", json=[1]), 400, {"non_field_errors": ["Invalid data. Expected an object, but "
                                                                           "got a list."]}),
        (http.post("/api/patients/", data={"full_name": "x"}), 415, None),
        (http.get(f"/api/patients/{theirs.id}/"), 404, {"detail": "Not found."}),
        (http.get("/api/nowhere/"), 404, {"detail": "Not found."}),
        (http.get("/api/patients/?page=9"), 404, {"detail": "Invalid page."}),
        (http.get("/api/assessments/?date=soon"), 400, {"date": ["Enter a valid date."]}),
        (http.request("PATCH", "/api/assessments/"), 405, {"detail": 'Method "PATCH" not allowed.'}),
        (anonymous_http.post("/api/auth/registration/", json={}), 403, None),
    ]
    for response, status, body in cases:
        assert response.status_code == status
        assert response.mimetype == "application/json"
        assert body is None or response.json == body
    assert "Allow" in cases[9][0].headers
    assert "JSON parse error - " in cases[2][0].json["detail"]


def test_a_deleted_users_token_is_401_user_not_found_over_http(http, superuser):
    users.delete(actor=superuser, via=channels.ADMIN, user_id=http.user_id)
    response = http.get("/api/patients/")
    assert (response.status_code, response.json) == (401, {"detail": "User not found", "code": "user_not_found"})
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_body_over_one_mebibyte_is_413_over_http(anonymous_http):
    response = anonymous_http.post("/api/patients/", data="x" * (1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413
    assert set(response.json) == {"detail"}


def test_a_chunked_body_over_one_mebibyte_is_413_over_http(live_server):
    connection = HTTPConnection(*urlsplit(live_server).netloc.split(":"), timeout=30)
    try:
        chunks = (b"x" * 65536 for _ in range(17))
        connection.request("POST", "/api/patients/", body=chunks, encode_chunked=True,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 413
        assert set(json.loads(response.read())) == {"detail"}
    finally:
        connection.close()


def test_the_document_and_swagger_ui_over_http(anonymous_http):
    assert anonymous_http.get("/api/openapi.json").json["openapi"].startswith("3.")
    page = anonymous_http.get("/api/docs/")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    assert anonymous_http.get("/api/docs/swagger-ui-bundle.js").status_code == 200


def test_throttled_logins_are_429_over_http(anonymous_http, clinician, app, monkeypatch):
    monkeypatch.setitem(app.config, "HEALTHPAL_LOGIN_FAILURES_PER_USER", 2)
    for _ in range(2):
        api_login(anonymous_http.client, "alice", "wrong-password")
    response = api_login(anonymous_http.client, "alice")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


def test_an_unexpected_failure_is_a_json_500_over_http(http, monkeypatch):
    monkeypatch.setattr(patient_domain, "search", raising(RuntimeError("boom")))
    response = http.get("/api/patients/")
    assert response.status_code == 500
    assert list(response.json) == ["detail", "request_id"]
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_pagination_links_name_the_live_host(http, live_server):
    for n in range(3):
        factories.make_patient(http.user, phone=f"77{n}")
    response = http.get("/api/patients/?page_size=2&search=77")
    link = urlsplit(response.json["next"])
    assert f"{link.scheme}://{link.netloc}" == live_server
    assert http.get(link.path + "?" + link.query).json["previous"].startswith(live_server)


def test_both_forms_of_a_list_path_give_the_same_links_over_http(http, live_server):
    for n in range(3):
        factories.make_patient(http.user, phone=f"77{n}")
    unslashed, slashed = http.get("/api/patients?page_size=2"), http.get("/api/patients/?page_size=2")
    assert unslashed.json == slashed.json
    assert unslashed.json["next"] == f"{live_server}/api/patients/?page_size=2&page=2"


def test_a_put_of_the_username_alone_keeps_the_names_over_http(http):
    response = http.put("/api/auth/user", json={"username": "alice-renamed"})
    assert response.status_code == 200
    assert (response.json["first_name"], response.json["last_name"]) == ("Alice", "Adams")
    assert http.put("/api/auth/user/", json={"last_name": "Li"}).json == {"username": ["This field is required."]}


def test_unicode_round_trips_unescaped_on_the_wire(http):
    patient = factories.make_patient(http.user, full_name="Dvořák Ñúñez-Øst")
    rounds = [{"question": "Как дела? «ça va» 🙂", "answer": "好 — ✓ مرحبا"}]
    created = http.post("/api/assessments/", json=assessment_data(patient.id, qna_rounds=rounds))
    assert created.status_code == 201
    raw = http.get(f"/api/assessments/{created.json['id']}/")
    assert raw.headers["Content-Type"].startswith("application/json")
    assert "Как дела? «ça va» 🙂".encode() in raw.data and b"\\u" not in raw.data
    assert "Dvořák Ñúñez-Øst".encode() in http.get(f"/api/patients/{patient.id}/").data


def race(count: int, send) -> list[int]:
    """Run `send` from `count` threads released together; their status codes."""
    start, statuses = threading.Barrier(count), []

    def worker():
        start.wait()
        statuses.append(send().status_code)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def test_concurrent_duplicate_patients_give_one_201_and_400s(http):
    body = patient_data()
    statuses = race(6, lambda: http.post("/api/patients/", json=body))
    assert statuses == [201] + [400] * 5
    assert db.session.query(Patient).count() == 1


def test_concurrent_duplicate_assessments_give_one_201_and_400s(http):
    body = assessment_data(factories.make_patient(http.user).id)
    statuses = race(6, lambda: http.post("/api/assessments/", json=body))
    assert statuses == [201] + [400] * 5
    assert db.session.query(Assessment).count() == 1
