"""Assessments: `/api/assessments/` and `/api/assessments/<id>/`, scoped through their patient."""
from flask import request

from healthpal.api import body, conditional, idempotent, pagination, route, serializers, tokens
from healthpal.domain import assessments, channels


@route("/assessments/", methods=["GET"])
def assessment_list():
    """Filters `type`, `date`, `date_gte`, `date_lte`, `patient`; `ordering`; `page`, `page_size`."""
    page = assessments.search(
        actor=tokens.current_user(), via=channels.API, filters=assessments.parse_filters(request.args),
        ordering=request.args.get("ordering"), **body.page_params(),
    )
    return pagination.envelope(page, [serializers.assessment(item) for item in page.items])


@route("/assessments/", methods=["POST"])
def assessment_create():
    return idempotent.create(
        lambda data: assessments.create(actor=tokens.current_user(), via=channels.API, data=data),
        serializers.assessment,
    )


@route("/assessments/<id:assessment_id>/", methods=["GET"])
def assessment_detail(assessment_id: int):
    assessment = tokens.read_as_holder(
        lambda sign_in: assessments.read_by_sign_in(sign_in, via=channels.API, assessment_id=assessment_id),
        lambda actor: assessments.read(actor=actor, via=channels.API, assessment_id=assessment_id))
    return conditional.get_response(serializers.assessment(assessment), assessment)


@route("/assessments/<id:assessment_id>/", methods=["PUT", "PATCH"])
def assessment_update(assessment_id: int):
    assessment = assessments.update(actor=tokens.current_user(), via=channels.API, assessment_id=assessment_id,
                                    data=body.json_object(), partial=request.method == "PATCH",
                                    expected=conditional.expected())
    return conditional.tagged(serializers.assessment(assessment), assessment)


@route("/assessments/<id:assessment_id>/", methods=["DELETE"])
def assessment_delete(assessment_id: int):
    assessments.delete(actor=tokens.current_user(), via=channels.API, assessment_id=assessment_id,
                       expected=conditional.expected())
    return "", 204
