"""Two clinicians: neither can see, change or even detect the other's patients and assessments."""
import pytest

from healthpal.domain import audit
from tests import factories
from tests.api.support import Api, assessment_data, patient_data

NOT_FOUND = {"detail": "Not found."}


@pytest.fixture
def alices(api):
    patient = factories.make_patient(api.user, full_name="Alice Patient", phone="5550100")
    assessment = factories.make_assessment(patient, type="Private", date="2024-05-05")
    return {"patient": patient.id, "assessment": assessment.id}


@pytest.fixture
def bobs(other_api):
    patient = factories.make_patient(other_api.user, full_name="Bob Patient")
    return {"patient": patient.id}


def snapshot(api, alices):
    return (api.get(f"/api/patients/{alices['patient']}/").json,
            api.get(f"/api/assessments/{alices['assessment']}/").json)


def bodies(resource, bobs):
    if resource == "patients":
        return {"PUT": patient_data(full_name="Stolen Name"), "PATCH": {"phone": "1"}}
    return {"PUT": assessment_data(bobs["patient"]), "PATCH": {"score": 1}}


@pytest.mark.parametrize("resource", ["patients", "assessments"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_the_other_clinicians_records_are_404_on_every_method_and_unchanged(api, other_api, alices, bobs,
                                                                            resource, method):
    before = snapshot(api, alices)
    record_id = alices[resource.rstrip("s")]
    response = other_api.request(method, f"/api/{resource}/{record_id}/", json=bodies(resource, bobs).get(method))
    assert response.status_code == 404
    assert response.json == NOT_FOUND
    after = snapshot(api, alices)
    assert [{k: v for k, v in body.items() if k != "updated_at"} for body in after] == \
           [{k: v for k, v in body.items() if k != "updated_at"} for body in before]
    assert after[0]["updated_at"] == before[0]["updated_at"] and after[1]["updated_at"] == before[1]["updated_at"]
    assert all(e.actor_id != other_api.user_id for e in audit.events_for(patient_id=alices["patient"]))


@pytest.mark.parametrize("resource", ["patients", "assessments"])
def test_a_missing_record_and_someone_elses_look_the_same(other_api, alices, resource):
    record_id = alices[resource.rstrip("s")]
    theirs = other_api.get(f"/api/{resource}/{record_id}/")
    missing = other_api.get(f"/api/{resource}/{record_id + 10_000}/")
    assert (theirs.status_code, theirs.json) == (missing.status_code, missing.json)


@pytest.mark.parametrize("url", ["/api/patients/", "/api/patients/?search=Alice", "/api/patients/?search=5550100",
                                 "/api/patients/?gender=f&page=last", "/api/assessments/",
                                 "/api/assessments/?type=Private", "/api/assessments/?date=2024-05-05"])
def test_lists_never_show_the_other_clinicians_records(other_api, alices, bobs, url):
    body = other_api.get(url).json
    assert all(item.get("patient", item["id"]) != alices["patient"] for item in body["results"])
    assert all(item.get("full_name") != "Alice Patient" for item in body["results"])
    assert body["count"] == len(body["results"])


def test_filtering_by_the_other_clinicians_patient_gives_an_empty_page(other_api, alices):
    assert other_api.get(f"/api/assessments/?patient={alices['patient']}").json["count"] == 0


def test_assessing_the_other_clinicians_patient_is_400_patient(other_api, alices, bobs):
    response = other_api.post("/api/assessments/", json=assessment_data(alices["patient"]))
    assert response.status_code == 400
    assert list(response.json) == ["patient"]


def test_moving_an_assessment_to_the_other_clinicians_patient_is_400_patient(api, other_api, alices, bobs):
    own = other_api.post("/api/assessments/", json=assessment_data(bobs["patient"])).json
    response = other_api.patch(f"/api/assessments/{own['id']}/", json={"patient": alices["patient"]})
    assert response.status_code == 400
    assert list(response.json) == ["patient"]
    assert api.get(f"/api/assessments/?patient={alices['patient']}").json["count"] == 1


def test_a_superuser_sees_only_their_own_records_through_the_api(client, superuser, alices):
    root = Api(client, superuser)
    assert root.get("/api/patients/").json["count"] == 0
    assert root.get(f"/api/patients/{alices['patient']}/").status_code == 404
