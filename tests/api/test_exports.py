"""Exports through the API (shared/API.md §8): FHIR R4 bundles parsed by `fhir.resources`' R4B
models, CSV lists with the lists' filters and order, each export one audit event."""
import csv
import io

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests import factories
from tests.toolkit import audit_rows


def fhir_bundle(response) -> Bundle:
    """The response's body as an R4B Bundle: a malformed resource fails here."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/fhir+json"
    return Bundle.model_validate_json(response.get_data())


def resources(bundle: Bundle, kind: str) -> list:
    return [entry.resource for entry in bundle.entry if entry.resource.get_resource_type() == kind]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def record(clinician):
    """Alice's patient Zoë Müller with two assessments (the later one of two rounds)."""
    patient = factories.make_patient(clinician, full_name="Zoë Müller", gender="f", birthdate="1961-03-02",
                                     phone="5550101", address_label="Hauptstraße 5, 10115 Berlin")
    first = factories.make_assessment(patient, type="Mood check", date="2024-02-01", score=40,
                                      qna_rounds=[{"question": "Sleep?", "answer": "Badly"}])
    second = factories.make_assessment(patient, type="Mood check", date="2024-03-01", score=55,
                                       qna_rounds=[{"question": "Sleep?", "answer": "Better"},
                                                   {"question": "Appetite?", "answer": "=SUM(A1)"}])
    return patient, first, second


def test_a_patient_exports_as_a_valid_r4_collection_bundle(api, record, clinician):
    patient, first, second = record
    bundle = fhir_bundle(api.get(f"/api/patients/{patient.id}/fhir/"))
    assert bundle.type == "collection"
    assert [e.resource.get_resource_type() for e in bundle.entry] == [
        "Patient", "Practitioner", "QuestionnaireResponse", "Observation", "QuestionnaireResponse", "Observation"]
    assert all(e.fullUrl == f"urn:uuid:{e.resource.id}" for e in bundle.entry)

    (person,) = resources(bundle, "Patient")
    assert (person.name[0].text, person.gender, str(person.birthDate)) == ("Zoë Müller", "female", "1961-03-02")
    assert (person.telecom[0].system, person.telecom[0].value) == ("phone", "5550101")
    assert person.address[0].extension[0].valueString == patient.address
    assert person.address[0].text == "Hauptstraße 5, 10115 Berlin"
    (doctor,) = resources(bundle, "Practitioner")
    assert (doctor.name[0].given, doctor.name[0].family) == (["Alice"], "Adams")

    patient_ref, doctor_ref = f"urn:uuid:{person.id}", f"urn:uuid:{doctor.id}"
    answers = resources(bundle, "QuestionnaireResponse")
    assert [(r.status, str(r.authored), r.subject.reference, r.author.reference) for r in answers] == [
        ("completed", "2024-02-01", patient_ref, doctor_ref), ("completed", "2024-03-01", patient_ref, doctor_ref)]
    assert [(i.linkId, i.text, i.answer[0].valueString) for i in answers[1].item] == [
        ("1", "Sleep?", "Better"), ("2", "Appetite?", "=SUM(A1)")]
    scores = resources(bundle, "Observation")
    assert [(o.status, o.code.text, o.valueInteger, str(o.effectiveDateTime)) for o in scores] == [
        ("final", "Mood check", 40, "2024-02-01"), ("final", "Mood check", 55, "2024-03-01")]
    assert [o.derivedFrom[0].reference for o in scores] == [f"urn:uuid:{r.id}" for r in answers]
    assert all(o.subject.reference == patient_ref for o in scores)


def test_the_same_records_export_to_the_same_ids_with_or_without_the_slash(api, record):
    patient = record[0]
    once = fhir_bundle(api.get(f"/api/patients/{patient.id}/fhir/"))
    again = fhir_bundle(api.get(f"/api/patients/{patient.id}/fhir"))
    assert [e.fullUrl for e in once.entry] == [e.fullUrl for e in again.entry]
    assert len({e.fullUrl for e in once.entry}) == len(once.entry)


def test_a_patient_without_assessments_is_a_bundle_of_two(api, clinician):
    patient = factories.make_patient(clinician, gender="m")
    bundle = fhir_bundle(api.get(f"/api/patients/{patient.id}/fhir/"))
    assert [e.resource.get_resource_type() for e in bundle.entry] == ["Patient", "Practitioner"]
    assert bundle.entry[0].resource.gender == "male"


def test_a_fhir_export_is_one_audit_event_for_that_patient(api, record):
    patient = record[0]
    api.get(f"/api/patients/{patient.id}/fhir/")
    (event,) = audit_rows(action="export")
    assert (event.entity_type, event.patient_id, event.channel) == ("patient", patient.id, "api")
    assert event.changes == {"format": "fhir", "filters": {}, "rows": 3}


def test_another_clinicians_patient_cannot_be_exported(other_api, record):
    response = other_api.get(f"/api/patients/{record[0].id}/fhir/")
    assert (response.status_code, response.json) == (404, {"detail": "Not found."})
    assert audit_rows(action="export") == []


@pytest.mark.parametrize("path", ["/api/patients/1/fhir/", "/api/exports/patients.csv", "/api/exports/assessments.csv"])
def test_exports_need_a_token(anonymous, path):
    assert anonymous.get(path).status_code == 401


def test_the_patient_csv_has_the_lists_filters_and_order_and_every_row(api, clinician, other_clinician):
    for name in ("Zoë Müller", "Anna Müller", "Bruno Mülheim", "Carla Smith"):
        factories.make_patient(clinician, full_name=name)
    factories.make_patient(clinician, full_name="Mülla Male", gender="m")
    factories.make_patient(other_clinician, full_name="Else Müller")
    query = "search=Mül&gender=f&ordering=-full_name"
    listed = [p["full_name"] for p in api.get(f"/api/patients/?{query}").json["results"]]
    rows = csv_rows(api.get(f"/api/exports/patients.csv?{query}"))
    assert rows[0] == ["id", "full_name", "gender", "birthdate", "age", "phone", "address", "address_label",
                       "created_at", "updated_at"]
    assert [row[1] for row in rows[1:]] == listed == ["Zoë Müller", "Bruno Mülheim", "Anna Müller"]


def test_the_patient_csv_is_not_paginated(api, clinician):
    for n in range(25):
        factories.make_patient(clinician, full_name=f"Pat {chr(ord('a') + n)}")
    assert len(csv_rows(api.get("/api/exports/patients.csv?page_size=5&page=2"))) == 26


def test_a_csv_export_is_one_audit_event_naming_the_filters_and_the_rows(api, clinician):
    factories.make_patient(clinician, full_name="Zoë Müller")
    api.get("/api/exports/patients.csv?search=zo&ordering=birthdate").get_data()
    (event,) = audit_rows(action="export")
    assert (event.entity_type, event.patient_id, event.actor_id) == ("patient", None, clinician.id)
    assert event.changes == {"format": "csv", "filters": {"search": "zo", "ordering": "birthdate"}, "rows": 1}


def test_the_assessment_csv_has_one_row_per_assessment_and_numbered_rounds(api, record, clinician):
    patient, first, second = record
    other = factories.make_patient(clinician, full_name="Otto Brandt")
    factories.make_assessment(other, type="Memory screen", date="2024-03-05", score=90)
    rows = csv_rows(api.get("/api/exports/assessments.csv?type=Mood check&ordering=-date"))
    assert rows[0] == ["id", "patient", "patient_name", "type", "date", "score", "created_at", "updated_at",
                       "question_1", "answer_1", "question_2", "answer_2"]
    assert [row[:6] for row in rows[1:]] == [
        [str(second.id), str(patient.id), "Zoë Müller", "Mood check", "2024-03-01", "55"],
        [str(first.id), str(patient.id), "Zoë Müller", "Mood check", "2024-02-01", "40"]]
    assert rows[1][8:] == ["Sleep?", "Better", "Appetite?", "'=SUM(A1)"]
    assert rows[2][8:] == ["Sleep?", "Badly", "", ""]


def test_the_assessment_csv_takes_the_lists_date_and_patient_filters(api, record):
    patient, first, second = record
    rows = csv_rows(api.get(f"/api/exports/assessments.csv?patient={patient.id}&date_lte=2024-02-15"))
    assert [row[0] for row in rows[1:]] == [str(first.id)]
    (event,) = audit_rows(action="export")
    assert (event.entity_type, event.patient_id) == ("assessment", patient.id)
    assert event.changes["filters"] == {"patient": patient.id, "date_lte": "2024-02-15"}


def test_the_assessment_csv_refuses_a_bad_filter_as_the_list_does(api):
    response = api.get("/api/exports/assessments.csv?date_gte=2024-13-01")
    assert (response.status_code, response.json) == (400, {"date_gte": ["Enter a valid date."]})
    assert audit_rows(action="export") == []


def test_another_clinicians_assessments_never_leave(other_api, record):
    rows = csv_rows(other_api.get(f"/api/exports/assessments.csv?patient={record[0].id}"))
    assert rows == [["id", "patient", "patient_name", "type", "date", "score", "created_at", "updated_at"]]
    (event,) = audit_rows(action="export")
    assert (event.patient_id, event.changes["rows"]) == (None, 0)


def test_csv_downloads_are_attachments_never_cached(api, record):
    response = api.get("/api/exports/assessments.csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == 'attachment; filename="assessments.csv"'


def test_a_patient_without_an_address_label_exports_the_place_id_alone(api, clinician):
    patient = factories.make_patient(clinician)
    bundle = api.get(f"/api/patients/{patient.id}/fhir/").json
    address = bundle["entry"][0]["resource"]["address"]
    assert address == [{"extension": [{"url": "https://developers.google.com/maps/documentation/places/web-service/place-id",
                                       "valueString": patient.address}]}]
