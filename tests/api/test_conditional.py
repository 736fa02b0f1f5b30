"""API.md §7: every patient and assessment response carries `ETag: "<version>"`; If-None-Match on a
detail GET answers 304; If-Match on PUT, PATCH and DELETE refuses a stale copy with 412."""
import pytest

from healthpal.domain import audit
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.api.support import assessment_data, patient_data

STALE = {"detail": "This record was changed since you read it. Fetch it again."}


@pytest.fixture
def patient(api):
    return factories.make_patient(api.user)


@pytest.fixture
def assessment(patient):
    return factories.make_assessment(patient)


def url(record) -> str:
    kind = "patients" if isinstance(record, Patient) else "assessments"
    return f"/api/{kind}/{record.id}/"


def test_every_patient_response_carries_its_version_as_etag(api):
    created = api.post("/api/patients/", json=patient_data())
    assert (created.status_code, created.headers["ETag"]) == (201, '"1"')
    path = f"/api/patients/{created.json['id']}/"
    assert api.get(path).headers["ETag"] == '"1"'
    assert api.put(path, json=patient_data(phone="1")).headers["ETag"] == '"2"'
    assert api.patch(path, json={"gender": "f"}).headers["ETag"] == '"3"'
    assert api.get(path).headers["ETag"] == '"3"'


def test_a_write_that_changes_nothing_keeps_the_etag(api, patient):
    assert api.patch(url(patient), json={"phone": patient.phone}).headers["ETag"] == '"1"'
    assert db.session.get(Patient, patient.id).version == 1


def test_every_assessment_response_carries_its_version_and_rounds_alone_change_it(api, patient):
    created = api.post("/api/assessments/", json=assessment_data(patient.id))
    assert (created.status_code, created.headers["ETag"]) == (201, '"1"')
    path = f"/api/assessments/{created.json['id']}/"
    rounds = [{"question": "Sleep?", "answer": "Badly"}]
    assert api.patch(path, json={"qna_rounds": rounds}).headers["ETag"] == '"2"'
    assert api.put(path, json=assessment_data(patient.id, qna_rounds=rounds, score=3)).headers["ETag"] == '"3"'
    assert api.get(path).headers["ETag"] == '"3"'


@pytest.mark.parametrize("kind", ["patient", "assessment"])
def test_if_none_match_with_the_current_etag_is_304_without_a_body(api, request, kind):
    record = request.getfixturevalue(kind)
    for tag in ('"1"', 'W/"1"', '"7", "1"', "*"):
        response = api.get(url(record), headers={"If-None-Match": tag})
        assert (response.status_code, response.data, response.headers["ETag"]) == (304, b"", '"1"')
    fresh = api.get(url(record), headers={"If-None-Match": '"0"'})
    assert fresh.status_code == 200 and fresh.json["id"] == record.id


@pytest.mark.parametrize("kind", ["patient", "assessment"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(api, request, kind, method):
    record = request.getfixturevalue(kind)
    body = {"PUT": patient_data(phone="1") if kind == "patient" else assessment_data(record.patient_id, score=1),
            "PATCH": {"phone": "1"} if kind == "patient" else {"score": 1}, "DELETE": None}[method]
    before = len(audit.events_for())
    for tag in ('"2"', 'W/"1"', '"abc"', '""'):
        response = api.request(method, url(record), json=body, headers={"If-Match": tag})
        assert (response.status_code, response.json) == (412, STALE)
    stored = db.session.get(type(record), record.id)
    assert stored is not None and stored.version == 1
    assert getattr(stored, "phone", None) != "1" and getattr(stored, "score", None) != 1
    assert len(audit.events_for()) == before


@pytest.mark.parametrize("tag", ['"1"', '"5", "1"', "*"])
def test_if_match_naming_the_current_version_or_star_applies(api, patient, tag):
    response = api.patch(url(patient), json={"phone": "1"}, headers={"If-Match": tag})
    assert (response.status_code, response.json["phone"], response.headers["ETag"]) == (200, "1", '"2"')


def test_a_client_that_read_before_another_write_gets_412(api, patient):
    """Two clients read version 1; the first saves; the second, sending what it read, is refused."""
    read = api.get(url(patient)).headers["ETag"]
    assert api.put(url(patient), json=patient_data(phone="111"), headers={"If-Match": read}).status_code == 200
    late = api.put(url(patient), json=patient_data(phone="222"), headers={"If-Match": read})
    assert late.status_code == 412
    assert db.session.get(Patient, patient.id).phone == "111"


@pytest.mark.parametrize("method", ["DELETE", "PATCH"])
def test_if_match_on_a_record_of_another_clinician_is_still_404(other_api, patient, method):
    response = other_api.request(method, url(patient), json={}, headers={"If-Match": "*"})
    assert (response.status_code, response.json) == (404, {"detail": "Not found."})


def test_deleting_with_the_current_etag_deletes(api, assessment):
    assessment_id = assessment.id
    response = api.delete(url(assessment), headers={"If-Match": '"1"'})
    assert (response.status_code, response.data) == (204, b"")
    assert db.session.get(Assessment, assessment_id) is None


def test_list_items_are_unchanged_by_versions(api, patient):
    [item] = api.get("/api/patients/").json["results"]
    assert "version" not in item and item["id"] == patient.id


def test_the_openapi_document_describes_the_headers_and_answers(client):
    spec = client.get("/api/openapi.json").json

    def params(operation) -> set:
        return {p["$ref"].rsplit("/", 1)[1] for p in operation.get("parameters", [])}

    for kind in ("patients", "assessments"):
        item = spec["paths"][f"/api/{kind}/{{{kind[:-1]}_id}}/"]
        assert "IfNoneMatch" in params(item["get"]) and "304" in item["get"]["responses"]
        for method in ("put", "patch", "delete"):
            assert "IfMatch" in params(item[method]) and "412" in item[method]["responses"]
        create = spec["paths"][f"/api/{kind}/"]["post"]
        assert "IdempotencyKey" in params(create) and {"409", "422"} <= set(create["responses"])
    assert spec["components"]["responses"]["PatientOk"]["headers"]["ETag"]
