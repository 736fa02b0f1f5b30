"""Exports (shared/API.md §8): one patient's record as FHIR, the patient and assessment lists as CSV."""
from flask import request

from healthpal import downloads
from healthpal.api import route, tokens
from healthpal.domain import assessments, channels, exports, fhir


@route("/patients/<id:patient_id>/fhir/", methods=["GET"])
def patient_fhir(patient_id: int):
    """The patient's record as a FHIR R4 Bundle."""
    return downloads.fhir_json(fhir.export(actor=tokens.current_user(), via=channels.API, patient_id=patient_id))


@route("/exports/patients.csv", methods=["GET"])
def patients_csv():
    """The patient list (`search`, `gender`, `ordering`) as CSV, unpaginated."""
    return downloads.csv(exports.patients_csv(
        actor=tokens.current_user(), via=channels.API, text=request.args.get("search"),
        gender=request.args.get("gender"), ordering=request.args.get("ordering"),
    ))


@route("/exports/assessments.csv", methods=["GET"])
def assessments_csv():
    """The assessment list (`type`, `date`, `date_gte`, `date_lte`, `patient`, `ordering`) as CSV."""
    return downloads.csv(exports.assessments_csv(
        actor=tokens.current_user(), via=channels.API, filters=assessments.parse_filters(request.args),
        ordering=request.args.get("ordering"),
    ))
