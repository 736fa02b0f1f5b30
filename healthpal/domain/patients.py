"""Patients: who may see them, the rules they obey, and every change to them."""
import unicodedata

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from healthpal.domain import audit, channels, clock, rules, versions
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.domain.paging import Page, order_by, paginate
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, User

FIELDS = ("full_name", "gender", "birthdate", "phone", "address")
ORDERING = {
    "full_name": Patient.full_name,
    "birthdate": Patient.birthdate,
    "created_at": Patient.created_at,
    "id": Patient.id,
}
DEFAULT_ORDERING = "full_name"
DUPLICATE = "You already have a patient with this full name and birthdate."
UNKNOWN_CLINICIAN = "Choose an existing clinician, or none."
# What a violated constraint means, when a racing writer got past the checks below.
EXPLAINED = {"uq_patients_clinician_id_full_name_birthdate": ("non_field_errors", DUPLICATE)}


def sees_everything(actor: User, via: str) -> bool:
    """Superusers see every record, but only through the admin panel."""
    return via == channels.ADMIN and actor is not None and actor.is_superuser


def visible(actor: User, via: str) -> Select:
    """SELECT of the patients `actor` may see: their own (admins in the admin panel: all)."""
    stmt = select(Patient)
    if not sees_everything(actor, via):
        stmt = stmt.where(Patient.clinician_id == actor.id)
    return stmt


def age(patient: Patient) -> int:
    return rules.age(patient.birthdate, clock.today())


def get(*, actor: User, via: str, patient_id: int, for_update: bool = False) -> Patient:
    """One visible patient, or NotFound. `for_update` locks its row until the transaction ends
    (a writer racing for it waits) and reads it afresh, whatever this session held."""
    if not rules.is_id(patient_id):
        raise NotFound("Not found.")
    stmt = visible(actor, via).where(Patient.id == patient_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    patient = db.session.scalar(stmt)
    if patient is None:
        raise NotFound("Not found.")
    return patient


def view(*, actor: User, via: str, patient_id: int) -> Patient:
    """`get`, recorded in the audit trail as a read of that patient."""
    patient = get(actor=actor, via=via, patient_id=patient_id)
    with atomic():
        audit.record(actor=actor, via=via, action=audit.READ, entity=patient)
    return patient


def listing(*, actor: User, via: str, text: str | None = None, gender: str | None = None,
            ordering: str | None = None) -> Select:
    """SELECT of the visible patients whose name or phone contains `text`, optionally of one
    gender, in the list's order (the list pages it; the CSV export streams all of it)."""
    stmt = visible(actor, via)
    text, gender = unicodedata.normalize("NFC", (text or "").strip()), gender or ""  # names are stored NFC
    if "\x00" in text + gender:  # nothing stored holds a NUL (and PostgreSQL refuses one in a query)
        stmt, text, gender = stmt.where(false()), "", ""
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Patient.full_name.ilike(pattern, escape="\\"),
                              Patient.phone.like(pattern, escape="\\")))
    if gender:
        stmt = stmt.where(Patient.gender == gender)
    return stmt.order_by(*order_by(ordering, ORDERING, DEFAULT_ORDERING, Patient.id))


def search(*, actor: User, via: str, text: str | None = None, gender: str | None = None,
           ordering: str | None = None, page: int | str = 1, page_size: int = 20) -> Page:
    """A page of visible patients whose name or phone contains `text`, optionally of one gender."""
    stmt = listing(actor=actor, via=via, text=text, gender=gender, ordering=ordering)
    return paginate(stmt, number=page, size=page_size)


def _clinician(value):
    if value is None or value == "":
        return None
    if isinstance(value, User):
        return value.id
    number = rules.id_number(value)
    if not rules.is_id(number) or db.session.get(User, number) is None:
        raise rules.FieldError(UNKNOWN_CLINICIAN)
    return number


def clean(data, *, partial: bool, via: str) -> dict:
    """The stored values for `data`, or Invalid with every field error at once."""
    if not isinstance(data, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected an object."]})
    today = clock.today()
    cleaners = {
        "full_name": rules.full_name,
        "gender": rules.gender,
        "birthdate": lambda v: rules.birthdate(v, today=today),
        "phone": rules.phone,
        "address": rules.place_id,
    }
    cleaned, errors = rules.collect(data, cleaners, partial=partial)
    if via == channels.ADMIN and "clinician_id" in data:
        try:
            cleaned["clinician_id"] = _clinician(data["clinician_id"])
        except rules.FieldError as error:
            errors["clinician_id"] = error.messages
    if errors:
        raise Invalid(errors)
    return cleaned


def _check_unique(patient: Patient) -> None:
    if patient.clinician_id is None:
        return
    clash = db.session.scalar(
        select(Patient.id).where(
            Patient.clinician_id == patient.clinician_id,
            Patient.full_name == patient.full_name,
            Patient.birthdate == patient.birthdate,
            Patient.id != patient.id if patient.id is not None else True,
        )
    )
    if clash is not None:
        raise Invalid({"non_field_errors": [DUPLICATE]})


def _snapshot(patient: Patient) -> dict:
    return {name: getattr(patient, name) for name in (*FIELDS, "clinician_id")}


def create(*, actor: User, via: str, data: dict) -> Patient:
    """A new patient assigned to `actor` (in the admin panel: to the chosen clinician)."""
    cleaned = clean(data, partial=False, via=via)
    cleaned.setdefault("clinician_id", actor.id)
    patient = Patient(**cleaned)
    with atomic(EXPLAINED):
        _check_unique(patient)
        db.session.add(patient)
        db.session.flush()
        audit.record(actor=actor, via=via, action=audit.CREATE, entity=patient,
                     changes=audit.diff({}, _snapshot(patient)))
    return patient


def update(*, actor: User, via: str, patient_id: int, data: dict, partial: bool = False,
           expected: versions.Expected = None) -> Patient:
    """Replace (or with `partial`, patch) a visible patient's fields, on its locked row; Stale if
    its version is not `expected`. Returns the patient as this change committed it."""
    with atomic(EXPLAINED):
        patient = get(actor=actor, via=via, patient_id=patient_id, for_update=True)
        versions.check(patient, expected, snapshot=_snapshot)
        cleaned = clean(data, partial=partial, via=via)
        before = _snapshot(patient)
        with db.session.no_autoflush:
            for name, value in cleaned.items():
                setattr(patient, name, value)
            _check_unique(patient)
        changes = audit.diff(before, _snapshot(patient))
        if changes:
            versions.bump(patient)
            audit.record(actor=actor, via=via, action=audit.UPDATE, entity=patient, changes=changes)
    return patient


def assessment_count(*, actor: User, via: str, patient_id: int) -> int:
    """How many assessments would go with the patient if it were deleted."""
    patient = get(actor=actor, via=via, patient_id=patient_id)
    return db.session.scalar(select(func.count(Assessment.id)).where(Assessment.patient_id == patient.id)) or 0


def delete(*, actor: User, via: str, patient_id: int, expected: versions.Expected = None) -> None:
    """Delete a visible patient and, with it, its assessments (each recorded as deleted too), all
    rows locked first; Stale if the patient's version is not `expected`."""
    with atomic(EXPLAINED):
        patient = get(actor=actor, via=via, patient_id=patient_id, for_update=True)
        versions.check(patient, expected, snapshot=_snapshot)
        gone = list(db.session.scalars(
            select(Assessment).where(Assessment.patient_id == patient.id).order_by(Assessment.id)
            .with_for_update().options(selectinload(Assessment.rounds))
            .execution_options(populate_existing=True)
        ))
        changes = audit.diff(_snapshot(patient), {})
        changes["assessments"] = [len(gone), 0]
        for assessment in gone:
            audit.record(actor=actor, via=via, action=audit.DELETE, entity=assessment, changes=audit.diff({
                "patient": assessment.patient_id, "type": assessment.type, "date": assessment.date,
                "score": assessment.score, "qna_rounds": [[r.question, r.answer] for r in assessment.rounds],
            }, {}))
        audit.record(actor=actor, via=via, action=audit.DELETE, entity=patient, changes=changes)
        db.session.delete(patient)
