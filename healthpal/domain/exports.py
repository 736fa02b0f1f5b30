"""CSV exports of the patient and assessment lists (shared/API.md §8): the lists' own queries
with their filters and order, unpaginated, streamed in batches so that memory stays flat however
many rows leave, every cell made spreadsheet-safe (`domain/spreadsheet.py`).

Patients: one row per patient, the API's fields (`id`, `full_name`, `gender`, `birthdate`, `age`,
`phone`, `address`, `address_label`, `created_at`, `updated_at`). Assessments: one row per assessment (`id`,
`patient`, `patient_name`, `type`, `date`, `score`, `created_at`, `updated_at`), then its rounds
in order as `question_1`, `answer_1`, `question_2`, `answer_2`, … up to the most rounds any
exported assessment has (shorter ones leave the rest empty).

Each export is one audit event (the list, `csv`, the filters as given, how many rows), committed
before the first line is sent.
"""
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from healthpal.domain import assessments, audit, clock, patients, rules, spreadsheet
from healthpal.domain.exceptions import NotFound
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import Assessment, Patient, QARound, User

BATCH = 500  # rows fetched (and held) at a time
PATIENT_COLUMNS = ("id", "full_name", "gender", "birthdate", "age", "phone", "address", "address_label",
                   "created_at", "updated_at")
ASSESSMENT_COLUMNS = ("id", "patient", "patient_name", "type", "date", "score", "created_at", "updated_at")
MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Export:
    """A CSV document about to be streamed: its suggested file name, its row count, its lines."""

    filename: str
    rows: int
    lines: Iterator[str]


def _given(filters: dict) -> dict:
    """The filters as the audit trail keeps them: only those given, dates as text."""
    return {name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in filters.items() if value not in (None, "")}


def _record(actor: User, via: str, entity_type: str, filters: dict, rows: int, patient_id: int | None) -> None:
    with atomic():
        audit.record_export(actor=actor, via=via, entity_type=entity_type, file_format="csv",
                            filters=_given(filters), rows=rows, patient_id=patient_id)


def _streamed(stmt: Select):
    """The statement's rows, fetched BATCH at a time (a server-side cursor on PostgreSQL)."""
    return db.session.execute(stmt.execution_options(yield_per=BATCH))


def patients_csv(*, actor: User, via: str, text: str | None = None, gender: str | None = None,
                 ordering: str | None = None) -> Export:
    """The patient list (search, gender, ordering as in `patients.listing`) as CSV."""
    stmt = patients.listing(actor=actor, via=via, text=text, gender=gender, ordering=ordering)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    _record(actor, via, "patient", {"search": text, "gender": gender, "ordering": ordering}, total, None)
    today = clock.today()

    def rows():
        for (patient,) in _streamed(stmt):
            yield _patient_row(patient, today)

    return Export("patients.csv", total, spreadsheet.csv_lines(PATIENT_COLUMNS, rows()))


def _patient_row(patient: Patient, today) -> list:
    return [patient.id, patient.full_name, patient.gender, patient.birthdate.isoformat(),
            rules.age(patient.birthdate, today), patient.phone, patient.address, patient.address_label,
            clock.utc_iso(patient.created_at), clock.utc_iso(patient.updated_at)]


def _visible_patient(actor: User, via: str, filters: dict) -> int | None:
    """The patient the export is limited to, when the actor may see that patient."""
    if "patient" not in filters:
        return None
    try:
        return patients.get(actor=actor, via=via, patient_id=filters["patient"]).id
    except NotFound:
        return None


def assessments_csv(*, actor: User, via: str, filters: dict | None = None, ordering: str | None = None) -> Export:
    """The assessment list (`assessments.parse_filters` filters, ordering) as CSV, one row per
    assessment with its rounds as question/answer column pairs."""
    filters = filters or {}
    stmt = assessments.listing(actor=actor, via=via, filters=filters, ordering=ordering)
    rounds = (select(func.count(QARound.id)).where(QARound.assessment_id == Assessment.id)
              .correlate(Assessment).scalar_subquery())
    counted = stmt.order_by(None).with_only_columns(rounds.label("rounds")).subquery()
    total, widest = db.session.execute(select(func.count(), func.coalesce(func.max(counted.c.rounds), 0))).one()
    patient_id = _visible_patient(actor, via, filters)
    _record(actor, via, "assessment", {**filters, "ordering": ordering}, total, patient_id)
    header = list(ASSESSMENT_COLUMNS)
    for number in range(1, widest + 1):
        header += [f"question_{number}", f"answer_{number}"]

    def rows():
        for assessment, patient_name in _streamed(
            stmt.join(Assessment.patient).add_columns(Patient.full_name).options(selectinload(Assessment.rounds))
        ):
            yield _assessment_row(assessment, patient_name, widest)

    filename = f"patient-{patient_id}-assessments.csv" if patient_id else "assessments.csv"
    return Export(filename, total, spreadsheet.csv_lines(header, rows()))


def _assessment_row(assessment: Assessment, patient_name: str, widest: int) -> list:
    row = [assessment.id, assessment.patient_id, patient_name, assessment.type, assessment.date.isoformat(),
           assessment.score, clock.utc_iso(assessment.created_at), clock.utc_iso(assessment.updated_at)]
    for r in assessment.rounds:
        row += [r.question, r.answer]
    return row + [""] * 2 * (widest - len(assessment.rounds))
