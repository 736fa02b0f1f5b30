"""A patient's record as a FHIR R4 `Bundle` of type `collection` (shared/API.md §8).

The mapping (also in the README):
- `Patient`: `name[0].text` = the full name (names are free-form, so not split into given and
  family), `gender` `male`/`female`, `birthDate`, `telecom` = the phone, `address[0]`: `text` =
  the address label as people read it (left out when there is none), and the Google Place ID in
  an extension (FHIR has no field for it).
- `Practitioner`: the patient's clinician, `name[0]` with `text`, `given` and `family`, and the
  e-mail address as `telecom` when there is one.
- One `QuestionnaireResponse` per assessment: status `completed`, `authored` = the date, `author`
  = the practitioner, one `item` per round in order (`linkId` = its number from 1, `text` = the
  question, `answer[0].valueString` = the answer).
- One `Observation` per assessment: status `final`, category `survey`, `code.text` = the type,
  `valueInteger` = the score, `effectiveDateTime` = the date, `derivedFrom` = its
  QuestionnaireResponse.
Every resource's `id` is a UUID derived from its kind and record id (uuid5), and its `fullUrl`
is `urn:uuid:<id>`, so a record exports to the same ids every time; references use those URNs.
"""
import uuid

from sqlalchemy.orm import selectinload

from healthpal.domain import assessments, audit, clock, patients
from healthpal.domain.exceptions import NotFound
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, User

NAMESPACE = uuid.UUID("5d0c6a52-8a39-4f8e-9b3c-1c6f0e2b7a41")  # Healthpal's; never change it
PLACE_ID_EXTENSION = "https://developers.google.com/maps/documentation/places/web-service/place-id"
SURVEY = {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey",
          "display": "Survey"}
GENDERS = {"m": "male", "f": "female"}
MEDIA_TYPE = "application/fhir+json"


def resource_id(kind: str, record_id: int) -> str:
    """The stable UUID of one record as one kind of FHIR resource."""
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{record_id}"))


def _reference(resource: dict) -> dict:
    return {"reference": f"urn:uuid:{resource['id']}"}


def patient_resource(patient: Patient) -> dict:
    return {
        "resourceType": "Patient",
        "id": resource_id("Patient", patient.id),
        "name": [{"text": patient.full_name}],
        "telecom": [{"system": "phone", "value": patient.phone}],
        "gender": GENDERS[patient.gender],
        "birthDate": patient.birthdate.isoformat(),
        "address": [{**({"text": patient.address_label} if patient.address_label else {}),
                     "extension": [{"url": PLACE_ID_EXTENSION, "valueString": patient.address}]}],
    }


def practitioner_resource(clinician: User) -> dict:
    name: dict[str, str | list[str]] = {"text": clinician.display_name}
    if clinician.last_name:
        name["family"] = clinician.last_name
    if clinician.first_name:
        name["given"] = [clinician.first_name]
    resource = {"resourceType": "Practitioner", "id": resource_id("Practitioner", clinician.id), "name": [name]}
    if clinician.email:
        resource["telecom"] = [{"system": "email", "value": clinician.email}]
    return resource


def questionnaire_response(assessment: Assessment, subject: dict, author: dict) -> dict:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id("QuestionnaireResponse", assessment.id),
        "status": "completed",
        "subject": _reference(subject),
        "authored": assessment.date.isoformat(),
        "author": _reference(author),
        "item": [
            {"linkId": str(number), "text": r.question, "answer": [{"valueString": r.answer}]}
            for number, r in enumerate(assessment.rounds, start=1)
        ],
    }


def observation(assessment: Assessment, subject: dict, author: dict, response: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": resource_id("Observation", assessment.id),
        "status": "final",
        "category": [{"coding": [SURVEY]}],
        "code": {"text": assessment.type},
        "subject": _reference(subject),
        "effectiveDateTime": assessment.date.isoformat(),
        "performer": [_reference(author)],
        "valueInteger": assessment.score,
        "derivedFrom": [_reference(response)],
    }


def bundle(patient: Patient, clinician: User, records: list[Assessment]) -> dict:
    """The Bundle: the patient, the clinician, then each assessment's response and observation."""
    subject, author = patient_resource(patient), practitioner_resource(clinician)
    resources = [subject, author]
    for assessment in records:
        response = questionnaire_response(assessment, subject, author)
        resources += [response, observation(assessment, subject, author, response)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": clock.utc_iso(clock.now()),
        "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource} for resource in resources],
    }


def export(*, actor: User, via: str, patient_id: int) -> dict:
    """One visible patient's whole record as a Bundle (oldest assessment first), recorded in the
    audit trail as one export of that patient (rows: the patient and its assessments)."""
    patient = patients.get(actor=actor, via=via, patient_id=patient_id)
    if patient.clinician is None:  # unassigned patients are seen only in the admin panel, which has no FHIR export
        raise NotFound("Not found.")
    records = list(db.session.scalars(
        assessments.listing(actor=actor, via=via, filters={"patient": patient.id}, ordering="date")
        .options(selectinload(Assessment.rounds))
    ))
    result = bundle(patient, patient.clinician, records)
    with atomic():
        audit.record_export(actor=actor, via=via, entity_type="patient", file_format="fhir", filters={},
                            rows=1 + len(records), patient_id=patient.id)
    return result

