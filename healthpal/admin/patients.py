"""Admin view of every clinician's patients: search, filter, fix and reassign."""
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_admin.form import BaseForm
from flask_admin.model.fields import AjaxSelectField
from wtforms import HiddenField, SelectField, StringField
from wtforms.widgets import DateInput

from healthpal.admin.base import VIA, DomainView, IdLoader, chosen, plain, submitted
from healthpal.admin.filters import Where, YesNo, clinician_ids
from healthpal.domain import patients, rules
from healthpal.extensions import db
from healthpal.models import Patient, User

GENDERS = tuple(rules.GENDERS.items())
TEXT_FIELDS = ("full_name", "gender", "birthdate", "phone", "address", "address_label")


class ActiveUserLoader(IdLoader):
    """Offers active users only: a patient handed to a deactivated account would be seen by no one.
    (A patient's current clinician still shows on its form, active or not.)"""

    def get_query(self):
        return super().get_query().filter(User.is_active.is_(True))


def clinicians(name: str = "clinician") -> IdLoader:
    """Ajax lookup of active users by username or name, for choosing a clinician."""
    return ActiveUserLoader(name, db, User, fields=("username", "first_name", "last_name"), order_by=User.username,
                            placeholder="Unassigned: type a username or name to choose")


def patient_form(clinician_loader) -> type[BaseForm]:
    class PatientForm(BaseForm):
        full_name = StringField("Full name")
        gender = SelectField("Gender", choices=GENDERS, validate_choice=False)
        birthdate = StringField("Birthdate", widget=DateInput(), description="YYYY-MM-DD")
        phone = StringField("Phone", description=rules.HINTS["phone"])
        address = StringField("Google Place ID", description=rules.HINTS["address"])
        address_label = StringField("Address", description=rules.HINTS["address_label"])
        clinician = AjaxSelectField(clinician_loader, "Clinician", allow_blank=True, blank_text="Unassigned",
                                    description="Type to search users; clear to leave the patient unassigned.")
        version = HiddenField()

    return PatientForm


def gender_name(view, context, model, name) -> str:
    return dict(GENDERS).get(model.gender, model.gender)


class PatientView(DomainView):
    column_list = ("full_name", "gender", "birthdate", "phone", "clinician", "created_at")
    column_details_list = ("id", "full_name", "gender", "birthdate", "phone", "address_label", "address",
                           "clinician", "created_at", "updated_at")
    column_export_list = ("id", "full_name", "gender", "birthdate", "phone", "address_label", "address", "clinician",
                          "created_at")
    column_labels = {"full_name": "Full name", "phone": "Phone", "address": "Google Place ID",
                     "address_label": "Address", "created_at": "Created (UTC)", "updated_at": "Updated (UTC)"}
    column_formatters = column_formatters_detail = {"gender": gender_name}
    column_searchable_list = ("full_name", "phone")
    column_sortable_list = ("full_name", "gender", "birthdate", ("clinician", "clinician.username"), "created_at")
    column_default_sort = "full_name"
    column_filters = (
        Where(Patient.clinician_id, "Clinician", "username is", lambda v: Patient.clinician_id.in_(clinician_ids(v))),
        YesNo(Patient.clinician_id, "Clinician", "unassigned",
              lambda yes: Patient.clinician_id.is_(None) if yes else Patient.clinician_id.is_not(None)),
        FilterEqual(Patient.gender, "Gender", options=GENDERS),
    )
    field_names = {"clinician_id": "clinician"}
    form_ajax_refs = {"clinician": clinicians()}

    def _apply_search(self, query, count_query, joins, count_joins, search: str):
        """The portal's search: names without case or accents, phones, a date of birth."""
        query = query.filter(patients.matching(search))
        if count_query is not None:
            count_query = count_query.filter(patients.matching(search))
        return query, count_query, joins, count_joins

    def scaffold_form(self):
        return patient_form(self._form_ajax_refs["clinician"])

    def form_data(self, form) -> dict:
        data = {name: submitted(form[name]) for name in TEXT_FIELDS}
        data["clinician_id"] = chosen(form.clinician)
        return {name: value for name, value in data.items() if value is not None}

    def find(self, number: int):
        if self.showing_one():
            return patients.read(actor=self.actor, via=VIA, patient_id=number)
        return patients.get(actor=self.actor, via=VIA, patient_id=number)

    def domain_create(self, data: dict):
        return patients.create(actor=self.actor, via=VIA, data=data)

    def domain_update(self, record, data: dict, **conditions):
        return patients.update(actor=self.actor, via=VIA, patient_id=record.id, data=data, partial=True,
                               **conditions)

    def shown(self, values: dict) -> dict[str, str]:
        clinician = rules.id_number(values.get("clinician_id"))
        user = db.session.get(User, clinician) if rules.is_id(clinician) else None
        return {**{name: plain(values.get(name)) for name in TEXT_FIELDS},
                "clinician": user.username if user is not None else ""}

    def domain_delete(self, record) -> None:
        patients.delete(actor=self.actor, via=VIA, patient_id=record.id)


def make_view() -> PatientView:
    """The admin panel's patients view (a new one per app)."""
    return PatientView(Patient, name="Patients", endpoint="patient")
