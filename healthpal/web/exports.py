"""Downloads from the portal: the patient list and one patient's assessments as CSV, one
patient's record as FHIR. The same domain exports as the API's, signed in with the session."""
from flask import request

from healthpal import downloads
from healthpal.domain import channels, exports, fhir, patients
from healthpal.web import bp, me
from healthpal.web.patients import list_query

VIA = channels.PORTAL


@bp.get("/patients.csv")
def patients_csv():
    """The patient list as on screen (search, gender, sort), every page of it."""
    query = list_query(request.args)
    return downloads.csv(exports.patients_csv(actor=me(), via=VIA, text=query["q"],
                                              gender=query["gender"] or None, ordering=query["sort"]))


@bp.get("/patients/<int:patient_id>/assessments.csv")
def patient_assessments_csv(patient_id: int):
    """One patient's assessments, newest first as on the patient page."""
    patient = patients.get(actor=me(), via=VIA, patient_id=patient_id)
    return downloads.csv(exports.assessments_csv(actor=me(), via=VIA, filters={"patient": patient.id},
                                                 ordering="-date"))


@bp.get("/patients/<int:patient_id>/fhir")
def patient_fhir(patient_id: int):
    """The patient's whole record as a FHIR R4 Bundle, to save as a file."""
    bundle = fhir.export(actor=me(), via=VIA, patient_id=patient_id)
    return downloads.fhir_json(bundle, filename=f"patient-{patient_id}.fhir.json")
