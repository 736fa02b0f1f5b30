"""Admin view of every assessment, its Q&A rounds edited inline, in order."""
from flask import request
from flask_admin.contrib.sqla.filters import (
    DateBetweenFilter,
    DateEqualFilter,
    DateGreaterFilter,
    DateSmallerFilter,
    FilterEqual,
    FilterLike,
)
from flask_admin.form import BaseForm
from flask_admin.model.fields import AjaxSelectField, InlineFieldList, InlineFormField
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.widgets import DateInput

from healthpal.admin.base import VIA, DomainView, IdLoader, chosen, plain, submitted
from healthpal.admin.filters import IdEqual, Where, clinician_ids
from healthpal.domain import assessments, rules
from healthpal.extensions import db
from healthpal.models import Assessment, Patient


class RoundForm(BaseForm):
    question = TextAreaField("Question")
    answer = TextAreaField("Answer")


def assessment_form(patient_loader) -> type[BaseForm]:
    class AssessmentForm(BaseForm):
        patient = AjaxSelectField(patient_loader, "Patient", allow_blank=True,
                                  description="Any clinician's patient; search by name or phone.")
        type = StringField("Type", description=rules.HINTS["type"])
        date = StringField("Date", widget=DateInput(), description="YYYY-MM-DD; leave empty for today.")
        score = StringField("Score", description=rules.HINTS["score"])
        rounds = InlineFieldList(InlineFormField(RoundForm), label="Q&A round", min_entries=1)
        version = HiddenField()

    return AssessmentForm


def rounds_html(view, context, model, name) -> Markup:
    items = (f"<li><strong>{escape(r.question)}</strong><br>{escape(r.answer)}</li>" for r in model.rounds)
    return Markup(f"<ol>{''.join(items)}</ol>")


def rounds_text(view, context, model, name) -> str:
    return "\n".join(f"{i}. {r.question} — {r.answer}" for i, r in enumerate(model.rounds, 1))


def kept_rounds(field) -> list:
    """The round sub-forms submitted and not marked for removal, in the order shown."""
    return [entry for entry in field.entries if not field.should_delete(entry)]


def patient_ids(where):
    return Assessment.patient_id.in_(select(Patient.id).where(where))


class AssessmentView(DomainView):
    column_list = ("patient", "patient.clinician", "type", "date", "score", "updated_at")
    column_details_list = ("id", "patient", "patient.clinician", "type", "date", "score", "rounds",
                           "created_at", "updated_at")
    column_export_list = ("id", "patient", "patient.clinician", "type", "date", "score", "rounds")
    column_labels = {"patient.clinician": "Clinician", "rounds": "Q&A rounds",
                     "created_at": "Created (UTC)", "updated_at": "Updated (UTC)"}
    column_formatters_detail = {"rounds": rounds_html}
    column_formatters_export = {"rounds": rounds_text}
    column_sortable_list = (("patient", "patient.full_name"), "type", "date", "score", "updated_at")
    column_default_sort = ("date", True)
    column_filters = (
        FilterEqual(Assessment.type, "Type"),
        FilterLike(Assessment.type, "Type"),
        DateEqualFilter(Assessment.date, "Date"),
        DateGreaterFilter(Assessment.date, "Date"),
        DateSmallerFilter(Assessment.date, "Date"),
        DateBetweenFilter(Assessment.date, "Date"),
        IdEqual(Assessment.patient_id, "Patient id"),
        Where(Assessment.patient_id, "Patient", "name contains",
              lambda v: patient_ids(func.lower(Patient.full_name).contains(v.strip().lower(), autoescape=True))),
        Where(Assessment.patient_id, "Clinician", "username is",
              lambda v: patient_ids(Patient.clinician_id.in_(clinician_ids(v)))),
    )
    field_names = {"qna_rounds": "rounds"}
    form_ajax_refs = {
        "patient": IdLoader("patient", db, Patient, fields=("full_name", "phone"), order_by=Patient.full_name,
                            placeholder="Type a name or phone number"),
    }

    def scaffold_form(self):
        return assessment_form(self._form_ajax_refs["patient"])

    def get_query(self):
        """Rows with their patient and clinician in one query; an export also loads the rounds (one more)."""
        query = super().get_query().options(joinedload(Assessment.patient).joinedload(Patient.clinician))
        if request.endpoint == f"{self.endpoint}.export":
            query = query.options(selectinload(Assessment.rounds))
        return query

    def form_data(self, form) -> dict:
        data: dict[str, object] = {"patient": chosen(form.patient) or None, "type": submitted(form.type),
                "date": submitted(form.date) or None, "score": submitted(form.score)}
        data = {name: value for name, value in data.items() if value is not None}
        data["qna_rounds"] = [
            {name: value for name in ("question", "answer") if (value := submitted(entry.form[name])) is not None}
            for entry in kept_rounds(form.rounds)
        ]
        return data

    def show_on_field(self, field, errors) -> bool:
        """Per-round messages go on that round's question or answer; whole-list ones (a repeated
        question, too many rounds) are flashed, as the inline list has no visible place for them."""
        if field.name != "rounds":
            return super().show_on_field(field, errors)
        if all(isinstance(message, str) for message in errors):
            return False
        shown = True
        for entry, item in zip(kept_rounds(field), errors, strict=False):
            for name, item_errors in item.items():
                if name in entry.form:
                    entry.form[name].errors = [*entry.form[name].errors, *item_errors]
                else:
                    shown = False
        return shown

    def find(self, number: int):
        if self.showing_one():
            return assessments.read(actor=self.actor, via=VIA, assessment_id=number)
        return assessments.get(actor=self.actor, via=VIA, assessment_id=number)

    def domain_create(self, data: dict):
        return assessments.create(actor=self.actor, via=VIA, data=data)

    def domain_update(self, record, data: dict, **conditions):
        return assessments.update(actor=self.actor, via=VIA, assessment_id=record.id, data=data, partial=False,
                                  **conditions)

    def shown(self, values: dict) -> dict[str, str]:
        number = rules.id_number(values.get("patient"))
        patient = db.session.get(Patient, number) if rules.is_id(number) else None
        pairs = [(r.get("question"), r.get("answer")) if isinstance(r, dict) else tuple(r)
                 for r in values.get("qna_rounds", [])]
        return {"patient": str(patient or ""), "type": plain(values.get("type")), "date": plain(values.get("date")),
                "score": plain(values.get("score")),
                "rounds": "; ".join(f"{n}. {q} — {a}" for n, (q, a) in enumerate(pairs, 1))}

    def domain_delete(self, record) -> None:
        assessments.delete(actor=self.actor, via=VIA, assessment_id=record.id)


def make_view() -> AssessmentView:
    """The admin panel's assessments view (a new one per app)."""
    return AssessmentView(Assessment, name="Assessments", endpoint="assessment")
