"""Assessments in the portal: the assessment page, create and edit with their Q&A rounds, delete."""
import secrets

from flask import flash, redirect, render_template, request, url_for

from healthpal.domain import assessments, audit, channels, clock, patients
from healthpal.domain.exceptions import Invalid, Stale
from healthpal.web import bp, conflicts, forms, me

VIA = channels.PORTAL
BLANK_ROUND = {"question": "", "answer": ""}
LABELS = {"type": "Type", "date": "Date", "score": "Score", "qna_rounds": "Questions and answers"}


def _form(patient, assessment, values: dict, errors: dict, status: int = 200, **context):
    per_round, whole = forms.round_errors(errors, len(values["qna_rounds"]))
    page = render_template(
        "assessments/form.html", patient=patient, assessment=assessment, values=values, errors=errors,
        round_errors=per_round, rounds_messages=whole, types=assessments.types_used(actor=me(), via=VIA), **context,
    )
    return page, status


@bp.route("/patients/<int:patient_id>/assessments/new", methods=["GET", "POST"])
def assessment_new(patient_id: int):
    """Record an assessment for one of the clinician's patients."""
    patient = patients.get(actor=me(), via=VIA, patient_id=patient_id)
    if request.method == "GET":
        values = {"type": "", "date": clock.today().isoformat(), "score": "", "qna_rounds": [BLANK_ROUND]}
        return _form(patient, None, values, {})
    data = forms.assessment_data(request.form, patient_id=patient.id)
    try:
        assessment = assessments.create(actor=me(), via=VIA, data=data)
    except Invalid as error:
        return _form(patient, None, data, error.errors, 422)
    flash(f"{assessment.type} of {assessment.date.isoformat()} was saved.", "success")
    return redirect(url_for("web.assessment_detail", assessment_id=assessment.id))


@bp.get("/assessments/<int:assessment_id>")
def assessment_detail(assessment_id: int):
    """An assessment with its rounds in order."""
    assessment = assessments.read(actor=me(), via=VIA, assessment_id=assessment_id)
    return render_template("assessments/detail.html", assessment=assessment, patient=assessment.patient,
                           last_change=audit.last_change(entity=assessment))


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
def assessment_edit(assessment_id: int):
    """Change an assessment; the rounds on the form replace the stored ones as a whole. Saving over a
    newer version changes nothing and comes back with who saved it, when, and what differs."""
    if request.method == "GET":
        assessment = assessments.read(actor=me(), via=VIA, assessment_id=assessment_id)
        return _form(assessment.patient, assessment, forms.assessment_values(assessment), {},
                     version=assessment.version)
    assessment = assessments.get(actor=me(), via=VIA, assessment_id=assessment_id)
    data = forms.assessment_data(request.form, patient_id=assessment.patient_id)
    try:
        assessments.update(actor=me(), via=VIA, assessment_id=assessment.id, data=data,
                           expected=forms.version(request.form))
    except Invalid as error:
        return _form(assessment.patient, assessment, data, error.errors, 422, version=request.form.get("version", ""))
    except Stale as stale:
        conflict = conflicts.summary(stale, conflicts.differences(LABELS, forms.stored_assessment(stale.current), data))
        return _form(assessment.patient, assessment, data, {}, 409, version=stale.version, conflict=conflict)
    flash("The assessment was saved.", "success")
    return redirect(url_for("web.assessment_detail", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>/delete", methods=["GET", "POST"])
def assessment_delete(assessment_id: int):
    """Ask first, then delete the assessment and its rounds; if it changed since the question was
    asked, ask again."""
    assessment = assessments.get(actor=me(), via=VIA, assessment_id=assessment_id)
    if request.method == "POST":
        patient_id, label = assessment.patient_id, str(assessment)
        try:
            assessments.delete(actor=me(), via=VIA, assessment_id=assessment.id, expected=forms.version(request.form))
        except Stale as stale:
            assessment = assessments.get(actor=me(), via=VIA, assessment_id=assessment_id)
            return render_template("assessments/delete.html", assessment=assessment, patient=assessment.patient,
                                   conflict=conflicts.summary(stale)), 409
        flash(f"{label} was deleted.", "success")
        return redirect(url_for("web.patient_detail", patient_id=patient_id))
    return render_template("assessments/delete.html", assessment=assessment, patient=assessment.patient)


@bp.get("/assessments/<int:assessment_id>/repeat")
def assessment_repeat(assessment_id: int):
    """The new-assessment form for the same patient, type and questions (answers, score empty, today)."""
    assessment = assessments.get(actor=me(), via=VIA, assessment_id=assessment_id)
    return _form(assessment.patient, None, forms.repeat_values(assessment, clock.today()), {})


@bp.get("/assessments/questions-offer")
def assessment_questions_offer():
    """Under the type field of a new assessment: an offer to reuse the questions of the last
    assessment of that type, when the clinician has one (htmx swaps it in as they type)."""
    last = assessments.last_of_type(actor=me(), via=VIA, kind=request.args.get("type", ""))
    return render_template("assessments/_questions_offer.html", last=last)


@bp.get("/assessments/questions")
def assessment_questions():
    """The question/answer pairs of the last assessment of a type, answers empty (htmx puts them
    in place of the form's pairs)."""
    last = assessments.last_of_type(actor=me(), via=VIA, kind=request.args.get("type", ""))
    rounds = forms.repeat_values(last, clock.today())["qna_rounds"] if last else [BLANK_ROUND]
    return render_template("assessments/_rounds_fields.html", rounds=rounds, prefix=secrets.token_hex(4))


@bp.get("/assessments/round")
def assessment_round():
    """One more empty question/answer pair for the form (htmx appends it)."""
    return render_template("assessments/_round.html", round=BLANK_ROUND, errors={},
                           key=secrets.token_hex(4), focus=True)
