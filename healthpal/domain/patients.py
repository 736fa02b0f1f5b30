"""Patients: who may see them, the rules they obey, and every change to them."""
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, FromClause, Select, Table, Update, bindparam, false, func, or_, select, union_all
from sqlalchemy import update as update_rows
from sqlalchemy.orm import selectinload

from healthpal.domain import audit, channels, clock, rules, scope, sessions, snapshots, versions
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.domain.paging import Page, order_by, paginate, running_total
from healthpal.domain.transactions import atomic
from healthpal.extensions import PREPARED, db
from healthpal.models import Assessment, Patient, PatientCount, User

FIELDS = ("full_name", "gender", "birthdate", "phone", "address", "address_label")
ORDERING = {
    "full_name": Patient.full_name,
    "birthdate": Patient.birthdate,
    "created_at": Patient.created_at,
    "id": Patient.id,
    "last_assessed_on": Patient.last_assessed_on,
    "last_score": Patient.last_score,
}
NOT_ASSESSED_DAYS = (30, 90, 180, 365)
DEFAULT_ORDERING = "full_name"
DUPLICATE = "You already have a patient with this full name and birthdate."
UNKNOWN_CLINICIAN = "Choose an existing clinician, or none."
# What a violated constraint means, when a racing writer got past the checks below.
EXPLAINED = {"uq_patients_clinician_id_full_name_birthdate": ("non_field_errors", DUPLICATE)}


class Listed(NamedTuple):
    """A patient as a list or an API detail read shows it, read-only: its own columns in the table's
    order, named as Patient's attributes. A plain named tuple: a page's serializer reads ten fields
    of each of 100 rows, several times as fast as from the database rows themselves."""

    id: int
    clinician_id: int | None
    full_name: str
    gender: str
    birthdate: date
    phone: str
    address: str
    address_label: str
    last_assessed_on: date | None
    last_score: int | None
    version: int
    created_at: datetime
    updated_at: datetime


def visible(actor: User, via: str) -> Select:
    """SELECT of the patients `actor` may see: their own (admins in the admin panel: all)."""
    stmt = select(Patient)
    if not scope.sees_everything(actor, via):
        stmt = stmt.where(Patient.clinician_id == actor.id)
    return stmt


def age(patient: Patient | Listed, today: date | None = None) -> int:
    """Full years lived on `today` (the clock's today unless given: a list asks the clock once)."""
    return rules.age(patient.birthdate, today or clock.today())


def _by_id(everything: bool) -> Select:
    """SELECT of the patient `:patient_id` among those `:actor_id` sees (`everything`: all)."""
    stmt = select(Patient).where(Patient.id == bindparam("patient_id")).execution_options(**PREPARED)
    return stmt if everything else stmt.where(Patient.clinician_id == bindparam("actor_id"))


# Each detail read and write looks its patient up by id: the statements are built once per scope.
_GET = {everything: _by_id(everything) for everything in (False, True)}
_LOCK = {everything: stmt.with_for_update().execution_options(populate_existing=True)
         for everything, stmt in _GET.items()}
# The last-assessment lock, taken before writing one of a patient's assessments: the patient's row
# FOR NO KEY UPDATE (writers of the same patient's assessments take turns, while reads and foreign-key
# checks go on), so that `refresh_last_assessment`, a later statement, sees every assessment committed
# before.
_LOCK_FOR_ASSESSMENT = {everything: stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
                        for everything, stmt in _GET.items()}


_READ = {everything: audit.audited_read(stmt, Patient, patient_column="id") for everything, stmt in _GET.items()}
_READ_BY_SIGN_IN = audit.signed_in_read(_GET[False], Patient, patient_column="id", holder=sessions.APP_HOLDER,
                                        record=Listed._make)


def get(*, actor: User, via: str, patient_id: int, for_update: bool = False,
        for_assessment: bool = False) -> Patient:
    """One visible patient, or NotFound. `for_update` locks its row until the transaction ends
    (a writer racing for it waits) and reads it afresh, whatever this session held;
    `for_assessment` takes the last-assessment lock instead, reading it afresh too, in the same
    statement (before writing one of its assessments)."""
    everything, values = scope.by_id(actor, via, "patient_id", patient_id)
    statements = _LOCK if for_update else _LOCK_FOR_ASSESSMENT if for_assessment else _GET
    patient = db.session.scalar(statements[everything], values)
    if patient is None:
        raise NotFound("Not found.")
    return patient


def read(*, actor: User, via: str, patient_id: int) -> Patient:
    """The audited read: one visible patient (as `get`), and an audit event recording that `actor`
    read it through `via`, in one statement where the database allows it. For showing a patient to
    someone; `get` is for writes and checks."""
    everything, values = scope.by_id(actor, via, "patient_id", patient_id)
    return audit.read(_READ[everything], values, actor=actor, via=via)


def read_by_sign_in(sign_in: dict, *, via: str, patient_id: int) -> tuple[int, Listed | None] | None:
    """`read` for the holder of a mobile-app sign-in not judged yet (`sessions.sign_in_values`), the
    sign-in judged in the same statement where the database allows it (`audit.read_by_sign_in`):
    their account's id and the patient, as `Listed`."""
    return audit.read_by_sign_in(_READ_BY_SIGN_IN, "patient_id", patient_id, sign_in=sign_in, via=via)


def matching(text: str) -> ColumnElement[bool]:
    """Patients that `text` finds: born on it when it is a date typed as YYYY-MM-DD, otherwise
    whose name contains it ignoring case and accents ("muller" finds "Müller"), or whose phone
    contains it."""
    text = unicodedata.normalize("NFC", text.strip())  # names are stored NFC
    if "\x00" in text:  # nothing stored holds a NUL (and PostgreSQL refuses one in a query)
        return false()
    try:
        return Patient.birthdate == rules.parse_date(text)
    except rules.FieldError:
        pass
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(func.name_fold(Patient.full_name).like(func.name_fold(pattern), escape="\\"),
               Patient.phone.like(pattern, escape="\\"))


def not_assessed_for(days: int) -> ColumnElement[bool]:
    """Patients with no assessment dated within the last `days` days, that day included (so
    never assessed, or last assessed before it)."""
    since = clock.today() - timedelta(days=days)
    return or_(Patient.last_assessed_on.is_(None), Patient.last_assessed_on < since)


def _narrowing(text: str | None, gender: str | None, not_assessed_days: int | None) -> list[ColumnElement[bool]]:
    """The conditions of a list's search and filters: the patients that `text` finds (see
    `matching`), of one gender, not assessed in the last `not_assessed_days` (one of
    NOT_ASSESSED_DAYS). None of them (an empty list): the whole list."""
    conditions: list[ColumnElement[bool]] = []
    text, gender = (text or "").strip(), gender or ""
    if "\x00" in gender:
        conditions.append(false())
    elif gender:
        conditions.append(Patient.gender == gender)
    if text:
        conditions.append(matching(text))
    if not_assessed_days in NOT_ASSESSED_DAYS:
        conditions.append(not_assessed_for(not_assessed_days))
    return conditions


def listing(*, actor: User, via: str, text: str | None = None, gender: str | None = None,
            not_assessed_days: int | None = None, ordering: str | None = None) -> Select:
    """SELECT of the visible patients that `text` finds (see `matching`), optionally of one gender,
    optionally only those not assessed in the last `not_assessed_days` (one of NOT_ASSESSED_DAYS),
    in the list's order (the list pages it; the CSV export streams all of it)."""
    return _listed(actor, via, _narrowing(text, gender, not_assessed_days), ordering)


def _listed(actor: User, via: str, narrowing: list, ordering: str | None) -> Select:
    return (visible(actor, via).where(*narrowing)
            .order_by(*order_by(ordering, ORDERING, DEFAULT_ORDERING, Patient.id)))


def total(clinician_id: int) -> int:
    """How many patients the clinician has, from their running count (`PatientCount`)."""
    return running_total(PatientCount, clinician_id)


def search(*, actor: User, via: str, text: str | None = None, gender: str | None = None,
           not_assessed_days: int | None = None, ordering: str | None = None,
           page: int | str = 1, page_size: int = 20) -> Page:
    """A page of `listing`, as `Listed` rows: cheaper to read than model objects, and all a list shows.
    A clinician's unfiltered total is their running count (`total`); a filtered one, a count of the
    filters' index entries."""
    narrowing = _narrowing(text, gender, not_assessed_days)
    stmt = _listed(actor, via, narrowing, ordering)
    counted = (lambda: total(actor.id)) if not narrowing and not scope.sees_everything(actor, via) else None
    found = paginate(stmt, number=page, size=page_size, columns=tuple(Patient.__table__.columns), counted=counted)
    return replace(found, items=[Listed._make(row) for row in found.items])


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
        "address_label": rules.address_label,
    }
    if data.get("address_label") is None and (not partial or "address_label" in data):
        data = {**data, "address_label": ""}  # optional: absent (on create and replace) or null is ""
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
        if before["clinician_id"] is None and patient.clinician_id is not None:
            _hand_on_assessments(patient)
    return patient


def _hand_on_assessments(patient: Patient) -> None:
    """An unassigned patient given a clinician: its assessments, which carry no clinician, take the
    new one. (The foreign key's ON UPDATE CASCADE carries every other change of clinician, but a
    key holding NULL refers to nothing, so it has nothing to carry here.)"""
    db.session.flush()
    db.session.execute(update_rows(Assessment).where(Assessment.patient_id == patient.id)
                       .values(clinician_id=patient.clinician_id).execution_options(synchronize_session=False))


def _latest(column):
    return (select(column).where(Assessment.patient_id == bindparam("patient_id"))
            .order_by(Assessment.date.desc(), Assessment.id.desc()).limit(1).scalar_subquery())


_REFRESH_LAST_ASSESSMENT = (
    update_rows(Patient).where(Patient.id == bindparam("patient_id"))
    # updated_at and version stay: the patient's own details did not change
    .values(last_assessed_on=_latest(Assessment.date), last_score=_latest(Assessment.score),
            updated_at=Patient.updated_at)
    .execution_options(synchronize_session=False)
)


def refresh_last_assessment_from(written: FromClause) -> Update:
    """The UPDATE of `refresh_last_assessment` for the patients `:touched` (a list of ids), to run in
    the statement that writes one assessment, `written` (its RETURNING as a CTE: id, patient_id, date,
    score), whose changes the UPDATE would not see: the assessment as `written` gives it stands in for
    its stored row (the last-assessment lock first, each patient in an earlier statement)."""
    patients, assessments = cast(Table, Patient.__table__), cast(Table, Assessment.__table__)
    stored = (select(assessments.c.id, assessments.c.date, assessments.c.score)
              .where(assessments.c.patient_id == patients.c.id, assessments.c.id.not_in(select(written.c.id))))
    new = select(written.c.id, written.c.date, written.c.score).where(written.c.patient_id == patients.c.id)
    candidates = union_all(stored.correlate(patients), new.correlate(patients)).subquery("candidates")

    def latest(column):
        return (select(column).order_by(candidates.c.date.desc(), candidates.c.id.desc()).limit(1)
                .correlate(patients).scalar_subquery())

    return (update_rows(patients).where(patients.c.id.in_(bindparam("touched", expanding=True)))
            .values(last_assessed_on=latest(candidates.c.date), last_score=latest(candidates.c.score),
                    updated_at=patients.c.updated_at))


def refresh_last_assessment(patient_id: int) -> None:
    """Set the patient's last assessment date and score from its assessments (latest date, then
    latest id), in the current transaction, after writing one of them (the last-assessment lock first)."""
    db.session.execute(_REFRESH_LAST_ASSESSMENT, {"patient_id": patient_id})


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
            audit.record(actor=actor, via=via, action=audit.DELETE, entity=assessment,
                         changes=audit.diff(snapshots.assessment(assessment), {}))
        audit.record(actor=actor, via=via, action=audit.DELETE, entity=patient, changes=changes)
        db.session.delete(patient)
