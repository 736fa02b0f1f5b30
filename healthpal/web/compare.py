"""Two sittings of the same assessment side by side, chosen on the patient page."""
from flask import render_template, request

from healthpal.domain import assessments, channels, comparison, patients, rules
from healthpal.domain.exceptions import Invalid
from healthpal.web import bp, me

VIA = channels.PORTAL
CHOOSE_TWO = "Choose two assessments to compare."


@bp.get("/patients/<int:patient_id>/compare")
def assessment_compare(patient_id: int):
    """The two chosen assessments' questions aligned, both answers, and the score change."""
    patient = patients.get(actor=me(), via=VIA, patient_id=patient_id)
    choices = comparison.comparable(assessments.history(actor=me(), via=VIA, patient_id=patient.id))
    first, second = (rules.id_number(request.args.get(name, "")) for name in ("first", "second"))
    result, errors = None, {}
    try:
        if first is not None and second is not None:
            result = comparison.compare(actor=me(), via=VIA, patient_id=patient.id, first_id=first,
                                        second_id=second)
        elif "first" in request.args or "second" in request.args:
            raise Invalid({"second": [CHOOSE_TWO]})
    except Invalid as error:
        errors = error.errors
    return render_template("patients/compare.html", patient=patient, choices=choices, result=result,
                           errors=errors, chosen={"first": first, "second": second}), 422 if errors else 200
