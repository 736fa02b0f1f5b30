"""One log line per request on stdout: time, request id, method, route template, status, duration,
user, channel — and never a patient's data, the raw path or the query string."""
import pytest
from sqlalchemy import text

from healthpal.domain import patients
from healthpal.extensions import db
from healthpal.observability import logs
from tests.api.support import Api, patient_data
from tests.conftest import make_app
from tests.markup import page_text, parse, texts
from tests.web.conftest import sign_in

PATIENT_NAME = "Élodie Martin"
FIELDS = ["time", "level", "logger", "request_id", "message", "method", "route", "status", "duration_ms",
          "user_id", "channel"]


def test_an_api_request_is_one_json_line_without_patient_data(json_app, clinician, log_lines):
    api = Api(json_app.test_client(), clinician)
    created = api.post("/api/patients/", json=patient_data(full_name="Élodie Martin", phone="5550001111"))
    log_lines()
    response = api.get(f"/api/patients/{created.json['id']}/?search=Martin", headers={"X-Request-ID": "req-42"})
    [line] = log_lines()
    assert list(line) == FIELDS
    assert line["time"].endswith("Z") and line["level"] == "INFO" and line["logger"] == "healthpal.requests"
    assert {key: line[key] for key in ("request_id", "method", "route", "status", "user_id", "channel")} == {
        "request_id": "req-42", "method": "GET", "route": "/api/patients/<id:patient_id>/", "status": 200,
        "user_id": clinician.id, "channel": "api"}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert response.headers["X-Request-ID"] == "req-42"
    written = str(line)
    assert "Martin" not in written and "5550001111" not in written and "search" not in written
    assert str(created.json["id"]) not in line["route"]


def test_refused_requests_are_logged_too(json_app, log_lines):
    client = json_app.test_client()
    log_lines()
    client.get("/api/patients/")
    client.get("/api/no-such-thing/")
    unauthenticated, unknown = log_lines()
    assert (unauthenticated["route"], unauthenticated["status"], unauthenticated["user_id"]) == (
        "/api/patients/", 401, None)
    assert (unknown["route"], unknown["status"]) == ("<unmatched>", 404)


def test_portal_and_admin_requests_name_their_channel_and_user(json_app, clinician, superuser, log_lines):
    portal = sign_in(json_app.test_client(), clinician.username)
    admin = sign_in(json_app.test_client(), superuser.username)
    log_lines()
    portal.get("/")
    admin.get("/admin/")
    on_portal, on_admin = log_lines()
    assert (on_portal["channel"], on_portal["user_id"], on_portal["status"]) == ("portal", clinician.id, 200)
    assert (on_admin["channel"], on_admin["user_id"], on_admin["route"]) == ("admin", superuser.id, "/admin/")


def test_an_unexpected_error_is_a_json_line_with_the_request_id(json_app, clinician, log_lines, monkeypatch):
    def broken(**_):
        db.session.execute(text("INSERT INTO no_such_table VALUES (:name)"), {"name": PATIENT_NAME})

    monkeypatch.setattr(patients, "search", broken)
    log_lines()
    response = Api(json_app.test_client(), clinician).get("/api/patients/")
    error, request = log_lines()
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 500 and response.json["request_id"] == request_id
    assert (error["level"], error["request_id"], error["message"]) == (
        "ERROR", request_id, "Unhandled error on GET /api/patients/")
    assert "no_such_table" in error["exception"]
    assert PATIENT_NAME not in error["exception"]      # the statement's values stay out of the logs
    assert (request["request_id"], request["status"]) == (request_id, 500)


def test_the_portal_500_page_shows_the_request_id(json_app, clinician, monkeypatch):
    def broken(**_):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(patients, "search", broken)
    portal = sign_in(json_app.test_client(), clinician.username)
    response = portal.get("/", headers={"X-Request-ID": "7f3a9c"})
    assert response.status_code == 500
    doc = parse(response)
    assert "Reference: 7f3a9c" in page_text(doc) and texts(doc, "main code") == ["7f3a9c"]


@pytest.mark.parametrize("given", ["", "has space", "semi;colon", "<script>", "x" * 129, "-dash", "quote\"d", "é"])
def test_an_insane_request_id_is_replaced(client, given):
    response = client.get("/login", headers={"X-Request-ID": given})
    made = response.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and int(made, 16) >= 0


def test_every_request_gets_its_own_id(client):
    first, second = client.get("/login"), client.get("/api/")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_development_logs_are_readable_text(client, clinician, capsys):
    capsys.readouterr()
    Api(client, clinician).get("/api/patients/", headers={"X-Request-ID": "dev-1"})
    line = capsys.readouterr().out.strip()
    assert line.endswith(f"INFO [dev-1] GET /api/patients/ 200 method=GET route=/api/patients/ status=200 "
                         f"duration_ms={line.split('duration_ms=')[1].split()[0]} user_id={clinician.id} "
                         f"channel=api")


def test_the_log_level_silences_request_lines(app, test_config, capsys):
    quiet = make_app({**test_config, "HEALTHPAL_LOG_LEVEL": "WARNING"})
    try:
        capsys.readouterr()
        quiet.test_client().get("/login")
        assert capsys.readouterr().out == ""
    finally:
        logs.init_app(app)
