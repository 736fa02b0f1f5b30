"""Patients: `/api/patients/` and `/api/patients/<id>/`, scoped to the signed-in clinician."""
from flask import request

from healthpal.api import body, conditional, idempotent, pagination, route, serializers, tokens
from healthpal.domain import channels, patients


@route("/patients/", methods=["GET"])
def patient_list():
    """Filters `search` (name or phone) and `gender`; `ordering`; `page`, `page_size`."""
    page = patients.search(
        actor=tokens.current_user(), via=channels.API, text=request.args.get("search"),
        gender=request.args.get("gender"), ordering=request.args.get("ordering"), **body.page_params(),
    )
    return pagination.envelope(page, serializers.patient_list(page.items))


@route("/patients/", methods=["POST"])
def patient_create():
    return idempotent.create(body.json_object(),
                             lambda data: patients.create(actor=tokens.current_user(), via=channels.API, data=data),
                             serializers.patient)


@route("/patients/<id:patient_id>/", methods=["GET"])
def patient_detail(patient_id: int):
    patient = tokens.as_holder(
        lambda sign_in: patients.read_by_sign_in(sign_in, via=channels.API, patient_id=patient_id),
        lambda actor: patients.read(actor=actor, via=channels.API, patient_id=patient_id))
    return conditional.get_response(serializers.patient(patient), patient)


@route("/patients/<id:patient_id>/", methods=["PUT", "PATCH"])
def patient_update(patient_id: int):
    patient = patients.update(actor=tokens.current_user(), via=channels.API, patient_id=patient_id,
                              data=body.json_object(), partial=request.method == "PATCH",
                              expected=conditional.expected())
    return conditional.tagged(serializers.patient(patient), patient)


@route("/patients/<id:patient_id>/", methods=["DELETE"])
def patient_delete(patient_id: int):
    patients.delete(actor=tokens.current_user(), via=channels.API, patient_id=patient_id,
                    expected=conditional.expected())
    return "", 204
