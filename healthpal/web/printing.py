"""Printable pages: a patient's summary and one assessment, laid out for paper."""
from flask import render_template

from healthpal.domain import channels, clock, patients, printouts
from healthpal.web import bp, charts, me

VIA = channels.PORTAL


def _printed_at() -> str:
    return clock.now().strftime("%Y-%m-%d %H:%M UTC")


@bp.get("/patients/<int:patient_id>/print")
def patient_print(patient_id: int):
    """The patient's details, assessment history and score trends."""
    patient, history = printouts.patient_summary(actor=me(), via=VIA, patient_id=patient_id)
    return render_template("print/patient.html", patient=patient, age=patients.age(patient),
                           history=history, charts=charts.trends(history), kind="", printed_at=_printed_at())


@bp.get("/assessments/<int:assessment_id>/print")
def assessment_print(assessment_id: int):
    """The assessment with every round."""
    assessment = printouts.assessment(actor=me(), via=VIA, assessment_id=assessment_id)
    return render_template("print/assessment.html", assessment=assessment, patient=assessment.patient,
                           printed_at=_printed_at())
