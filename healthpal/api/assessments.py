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
    data = tokens.judged_first(body.json_object)

    def by_sign_in(sign_in: dict):
        if idempotent.keyed():
            return None
        created = assessments.create_by_sign_in(sign_in, via=channels.API, data=data)
        if created is None:
            return None
        return created[0], conditional.tagged(serializers.assessment(created[1]), created[1], 201)

    return tokens.as_holder(by_sign_in, lambda actor: idempotent.create(
        data, lambda sent: assessments.create(actor=actor, via=channels.API, data=sent), serializers.assessment))


@route("/assessments/<id:assessment_id>/", methods=["GET"])
def assessment_detail(assessment_id: int):
    assessment = tokens.as_holder(
        lambda sign_in: assessments.read_by_sign_in(sign_in, via=channels.API, assessment_id=assessment_id),
        lambda actor: assessments.read(actor=actor, via=channels.API, assessment_id=assessment_id))
    return conditional.get_response(serializers.assessment(assessment), assessment)


@route("/assessments/<id:assessment_id>/", methods=["PUT", "PATCH"])
def assessment_update(assessment_id: int):
    data, partial, expected = tokens.judged_first(body.json_object), request.method == "PATCH", conditional.expected()
    assessment = tokens.as_holder(
        lambda sign_in: assessments.update_by_sign_in(sign_in, via=channels.API, assessment_id=assessment_id,
                                                      data=data, partial=partial, expected=expected),
        lambda actor: assessments.update(actor=actor, via=channels.API, assessment_id=assessment_id, data=data,
                                         partial=partial, expected=expected))
    return conditional.tagged(serializers.assessment(assessment), assessment)


@route("/assessments/<id:assessment_id>/", methods=["DELETE"])
def assessment_delete(assessment_id: int):
    assessments.delete(actor=tokens.current_user(), via=channels.API, assessment_id=assessment_id,
                       expected=conditional.expected())
    return "", 204
