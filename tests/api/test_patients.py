"""API.md §3: patients — the resource, CRUD, validation, filters, ordering and the audit trail."""
from datetime import UTC, datetime

import pytest

from healthpal.domain import audit
from healthpal.extensions import db
from healthpal.models import Assessment, Patient
from tests import factories
from tests.api.support import patient_data

KEYS = ["id", "full_name", "gender", "birthdate", "phone", "address", "address_label", "age", "created_at",
        "updated_at"]


def events(patient_id):
    return [(e.action, e.actor_id, e.channel, e.changes) for e in audit.events_for(entity_type="patient",
                                                                                  entity_id=patient_id)]


def test_create_returns_the_resource_in_contract_order(api, frozen_clock):
    response = api.post("/api/patients/", json=patient_data(full_name="  John   Doe ".replace("   ", " ")))
    assert response.status_code == 201
    body = response.json
    assert list(body) == KEYS
    assert body["full_name"] == "John Doe"
    assert body["age"] == 46  # 1980-05-17 → 2026-06-15
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    assert datetime.fromisoformat(body["created_at"]).tzinfo == UTC
    patient = db.session.get(Patient, body["id"])
    assert patient.clinician_id == api.user_id


def test_create_is_audited_with_the_fields_set(api):
    patient_id = api.post("/api/patients/", json=patient_data()).json["id"]
    [(action, actor, channel, changes)] = events(patient_id)
    assert (action, actor, channel) == ("create", api.user_id, "api")
    assert changes["full_name"] == [None, "John Doe"]
    assert changes["clinician_id"] == [None, api.user_id]


def test_a_phone_sent_as_a_json_integer_is_stored_as_its_digits(api):
    assert api.post("/api/patients/", json=patient_data(phone=5551234)).json["phone"] == "5551234"


@pytest.mark.parametrize("field", ["full_name", "gender", "birthdate", "phone", "address"])
def test_create_requires_all_five_fields(api, field):
    data = patient_data()
    del data[field]
    response = api.post("/api/patients/", json=data)
    assert response.status_code == 400
    assert response.json == {field: ["This field is required."]}


@pytest.mark.parametrize("field,value", [
    ("full_name", "J"), ("full_name", "John3"), ("full_name", "Иван Petrov"), ("full_name", "John  Doe"),
    ("full_name", "John ×Doe"), ("full_name", "-John"), ("full_name", None), ("full_name", "   "), ("full_name", 7),
    ("gender", "x"), ("gender", "M"), ("birthdate", "1980-5-17"), ("birthdate", "2999-01-01"),
    ("birthdate", "1800-01-01"), ("birthdate", "1980-02-30"), ("phone", "555-123"), ("phone", "1" * 16),
    ("phone", "٥٥٥"), ("address", "bad place!"), ("address", "a" * 513),
])
def test_invalid_fields_are_400_keyed_by_field(api, field, value):
    response = api.post("/api/patients/", json=patient_data(**{field: value}))
    assert response.status_code == 400
    assert list(response.json) == [field]
    assert db.session.query(Patient).count() == 0


def test_every_field_error_is_reported_at_once(api):
    response = api.post("/api/patients/", json={"full_name": "", "gender": None, "birthdate": "x", "phone": "a"})
    assert set(response.json) == {"full_name", "gender", "birthdate", "phone", "address"}
    assert response.json["gender"] == ["This field may not be null."]
    assert response.json["full_name"] == ["This field may not be blank."]
    assert response.json["birthdate"] == ["Date has wrong format. Use YYYY-MM-DD."]


def test_name_and_birthdate_are_unique_only_among_the_callers_patients(api, other_api):
    assert api.post("/api/patients/", json=patient_data()).status_code == 201
    again = api.post("/api/patients/", json=patient_data(phone="1"))
    assert again.status_code == 400
    assert list(again.json) == ["non_field_errors"]
    assert other_api.post("/api/patients/", json=patient_data()).status_code == 201


def test_get_one_is_audited_as_a_read(api):
    patient = factories.make_patient(api.user)
    response = api.get(f"/api/patients/{patient.id}/")
    assert response.status_code == 200
    assert response.json["full_name"] == patient.full_name
    assert events(patient.id)[-1] == ("read", api.user_id, "api", None)


def test_the_read_event_names_the_patient_and_another_clinicians_read_records_none(api, other_api):
    patient = factories.make_patient(api.user)
    assert other_api.get(f"/api/patients/{patient.id}/").status_code == 404
    assert api.get(f"/api/patients/{patient.id}/").status_code == 200
    reads = audit.events_for(entity_type="patient", entity_id=patient.id)
    assert [(event.action, event.actor_id, event.patient_id) for event in reads if event.action == "read"] == [
        ("read", api.user_id, patient.id)]


def test_put_replaces_and_requires_all_fields(api):
    patient = factories.make_patient(api.user)
    name = patient.full_name
    assert api.put(f"/api/patients/{patient.id}/", json={"phone": "1"}).status_code == 400
    response = api.put(f"/api/patients/{patient.id}/", json=patient_data(full_name="Jane Roe", gender="f"))
    assert response.status_code == 200
    assert (response.json["full_name"], response.json["gender"]) == ("Jane Roe", "f")
    action, actor, channel, changes = events(patient.id)[-1]
    assert (action, actor, channel) == ("update", api.user_id, "api")
    assert changes["full_name"] == [name, "Jane Roe"]


def test_patch_validates_and_changes_only_the_keys_sent(api):
    patient = factories.make_patient(api.user)
    name, phone = patient.full_name, patient.phone
    assert api.patch(f"/api/patients/{patient.id}/", json={"phone": "abc"}).json == {"phone": [
        "Phone number must be 1 to 15 digits (0-9), with no spaces or symbols."]}
    response = api.patch(f"/api/patients/{patient.id}/", json={"phone": "  123 "})
    assert response.status_code == 200
    assert (response.json["phone"], response.json["full_name"]) == ("123", name)
    assert events(patient.id)[-1][3] == {"phone": [phone, "123"]}


def test_delete_removes_the_patient_and_its_assessments(api):
    patient = factories.make_patient(api.user)
    factories.make_assessment(patient)
    patient_id = patient.id
    response = api.delete(f"/api/patients/{patient_id}/")
    assert response.status_code == 204
    assert response.data == b""
    assert db.session.get(Patient, patient_id) is None
    assert db.session.query(Assessment).count() == 0
    action, actor, channel, changes = events(patient_id)[-1]
    assert (action, actor, channel) == ("delete", api.user_id, "api")
    assert changes["assessments"] == [1, 0]
    assert api.get(f"/api/patients/{patient_id}/").status_code == 404


def names(response):
    return [p["full_name"] for p in response.json["results"]]


@pytest.fixture
def roster(api):
    people = [("Zoë Adams", "f", "1990-01-01", "5550001"), ("adam Smith", "m", "1950-06-01", "5550002"),
              ("Émile Zola", "m", "1970-03-03", "7770003"), ("Bea Adamson", "f", "1970-03-03", "5550004")]
    return [factories.make_patient(api.user, full_name=n, gender=g, birthdate=b, phone=p) for n, g, b, p in people]


def test_list_is_ordered_by_full_name_by_default(api, roster):
    response = api.get("/api/patients/")
    assert response.json["count"] == 4
    assert set(names(response)) == {p.full_name for p in roster}
    assert names(api.get("/api/patients/?gender=f")) == ["Bea Adamson", "Zoë Adams"]


def test_search_matches_name_case_insensitively_or_phone(api, roster):
    assert set(names(api.get("/api/patients/?search=ADAM"))) == {"Zoë Adams", "adam Smith", "Bea Adamson"}
    assert names(api.get("/api/patients/?search=777")) == ["Émile Zola"]
    assert names(api.get("/api/patients/?search=%25")) == []


def test_gender_filter(api, roster):
    assert set(names(api.get("/api/patients/?gender=f"))) == {"Zoë Adams", "Bea Adamson"}


@pytest.mark.parametrize("ordering,expected", [
    ("birthdate", ["adam Smith", "Émile Zola", "Bea Adamson", "Zoë Adams"]),
    ("-birthdate", ["Zoë Adams", "Bea Adamson", "Émile Zola", "adam Smith"]),
    ("-birthdate,-nonsense", ["Zoë Adams", "Bea Adamson", "Émile Zola", "adam Smith"]),
    ("id", None), ("-id", "reversed"), ("-created_at", "reversed"),
])
def test_ordering_with_ties_broken_by_id_in_the_first_fields_direction(api, roster, ordering, expected):
    by_id = [p.full_name for p in roster]
    if expected is None:
        expected = by_id
    elif expected == "reversed":
        expected = by_id[::-1]
    assert names(api.get(f"/api/patients/?ordering={ordering}")) == expected


def test_list_results_have_the_resource_shape(api, roster):
    assert all(list(item) == KEYS for item in api.get("/api/patients/").json["results"])


# address_label (API.md §3, new and optional) ----------------------------------------------------

@pytest.mark.parametrize(("sent", "stored"), [
    ({}, ""), ({"address_label": None}, ""), ({"address_label": ""}, ""), ({"address_label": "  "}, ""),
    ({"address_label": " 48 Pirrama Rd, Pyrmont NSW 2009 "}, "48 Pirrama Rd, Pyrmont NSW 2009"),
    ({"address_label": "東京都千代田区丸の内1丁目"}, "東京都千代田区丸の内1丁目"),
    ({"address_label": "x" * 255}, "x" * 255),
])
def test_address_label_is_optional_and_any_script(api, sent, stored):
    response = api.post("/api/patients/", json=patient_data(**sent))
    assert response.status_code == 201, response.json
    assert response.json["address_label"] == stored
    assert api.get(f"/api/patients/{response.json['id']}/").json["address_label"] == stored


@pytest.mark.parametrize(("label", "message"), [
    ("x" * 256, "Address label must be at most 255 characters long."),
    ("line one\nline two", "Address label may not contain control characters such as line breaks or tabs."),
    ("tab\there", "Address label may not contain control characters such as line breaks or tabs."),
    ("nul\x00", "Null characters are not allowed."),
    (5, "Not a valid string."),
])
def test_address_label_refused(api, label, message):
    response = api.post("/api/patients/", json=patient_data(address_label=label))
    assert response.status_code == 400
    assert response.json == {"address_label": [message]}


def test_patch_leaves_the_label_unless_sent_and_put_without_it_clears_it(api):
    created = api.post("/api/patients/", json=patient_data(address_label="Old Street 1")).json
    url = f"/api/patients/{created['id']}/"
    assert api.patch(url, json={"phone": "123"}).json["address_label"] == "Old Street 1"
    assert api.patch(url, json={"address_label": "New Street 2"}).json["address_label"] == "New Street 2"
    assert api.put(url, json=patient_data()).json["address_label"] == ""
    events = audit.events_for(entity_type="patient", entity_id=created["id"])
    assert events[-2].changes == {"address_label": ["Old Street 1", "New Street 2"]}


def test_search_is_accent_blind_and_finds_a_date_of_birth(api):
    api.post("/api/patients/", json=patient_data(full_name="Łukasz Müller", birthdate="1970-01-02"))
    api.post("/api/patients/", json=patient_data(full_name="Ann Other"))
    for typed in ("muller", "LUKASZ", "1970-01-02"):
        assert [p["full_name"] for p in api.get("/api/patients/", query_string={"search": typed}).json["results"]] \
            == ["Łukasz Müller"], typed
