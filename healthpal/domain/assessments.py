"""Assessments and their question/answer rounds: scoping, rules and atomic writes."""
from dataclasses import replace
from datetime import date, datetime
from typing import NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, false, func, insert, select
from sqlalchemy import delete as delete_rows
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from healthpal.domain import audit, clock, patients, rules, scope, snapshots, versions
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.domain.paging import Page, order_by, paginate
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import Assessment, AssessmentCount, Patient, QARound, User, question_digest

FIELDS = ("patient", "type", "date", "score", "qna_rounds")
ORDERING = {
    "date": Assessment.date,
    "type": Assessment.type,
    "patient": Assessment.patient_id,
    "score": Assessment.score,
}
DEFAULT_ORDERING = "date"
DUPLICATE = "This patient already has an assessment of this type on this date."
UNKNOWN_PATIENT = "Choose one of your patients."
BEFORE_BIRTH = "Assessment date cannot be before the patient's birthdate."
NOT_A_NUMBER = "Enter a number."
BAD_DATE = "Enter a valid date."
DUPLICATE_QUESTION = "Each question may appear only once."
# What a violated constraint means, when a racing writer got past the checks below.
EXPLAINED = {
    "uq_assessments_patient_id_date_type": ("non_field_errors", DUPLICATE),
    "uq_qa_rounds_assessment_id_question_digest": ("qna_rounds", DUPLICATE_QUESTION),
}


class Listed(NamedTuple):
    """An assessment as a list shows it, read-only: its columns, and its rounds in order (each
    with `question` and `answer`). Lists read these rather than model objects, which cost several
    times as much to build for a page of 100 assessments and their 500 rounds."""

    id: int
    type: str
    date: date
    score: int
    patient_id: int
    created_at: datetime
    updated_at: datetime
    rounds: list


LISTED_COLUMNS = (Assessment.id, Assessment.type, Assessment.date, Assessment.score, Assessment.patient_id,
                  Assessment.created_at, Assessment.updated_at)


def visible(actor: User, via: str) -> Select:
    """SELECT of the assessments of the patients `actor` may see.

    An assessment carries its patient's clinician, so this reads the clinician's own rows only.
    """
    stmt = select(Assessment)
    if not scope.sees_everything(actor, via):
        stmt = stmt.where(Assessment.clinician_id == actor.id)
    return stmt


def _by_id(everything: bool) -> list:
    """The conditions naming the assessment `:assessment_id` among those `:actor_id` sees
    (`everything`: all)."""
    conditions = [Assessment.id == bindparam("assessment_id")]
    return conditions if everything else [*conditions, Assessment.clinician_id == bindparam("actor_id")]


# Each detail read and write looks its assessment up by id: the statements are built once per scope.
_GET = {everything: select(Assessment).where(*_by_id(everything))
        .options(joinedload(Assessment.rounds), joinedload(Assessment.patient))
        for everything in (False, True)}
# Locks in the order a patient's deletion takes them (the patient, then its assessments), so the two
# never wait for each other: the patient shared (it must stay; read afresh, as the write needs it),
# then the assessment, read afresh with its rounds.
_LOCK_PATIENT = {everything: select(Patient).join(Patient.assessments).where(*_by_id(everything))
                 .with_for_update(of=Patient, read=True, key_share=True).execution_options(populate_existing=True)
                 for everything in (False, True)}
_LOCK = {everything: select(Assessment).where(*_by_id(everything)).with_for_update(of=Assessment)
         .options(selectinload(Assessment.rounds)).execution_options(populate_existing=True)
         for everything in (False, True)}


def get(*, actor: User, via: str, assessment_id: int, for_update: bool = False) -> Assessment:
    """One visible assessment with its rounds and patient (one query), or NotFound. `for_update`
    locks its patient's row (shared) and its own until the transaction ends (a writer racing for it,
    rounds included, waits) and reads them and its rounds afresh, whatever this session held."""
    if not rules.is_id(assessment_id):
        raise NotFound("Not found.")
    everything = scope.sees_everything(actor, via)
    values = {"assessment_id": assessment_id} if everything else {"assessment_id": assessment_id, "actor_id": actor.id}
    if not for_update:
        assessment = db.session.scalar(_GET[everything], values)
    else:
        patient = db.session.scalar(_LOCK_PATIENT[everything], values)
        assessment = db.session.scalar(_LOCK[everything], values)
        if assessment is not None:
            set_committed_value(assessment, "patient", patient)
    if assessment is None:
        raise NotFound("Not found.")
    return assessment


def read(*, actor: User, via: str, assessment_id: int) -> Assessment:
    """The audited read: one visible assessment (as `get`), and an audit event recording that `actor`
    read it through `via`. For showing an assessment to someone; `get` is for writes and checks."""
    assessment = get(actor=actor, via=via, assessment_id=assessment_id)
    with atomic():
        audit.record(actor=actor, via=via, action=audit.READ, entity=assessment)
    return assessment


def parse_filters(params) -> dict:
    """List filters from query parameters (`type`, `date`, `date_gte`, `date_lte`, `patient`)."""
    filters, errors = {}, {}
    if params.get("type"):
        filters["type"] = params["type"].strip()
    for name in ("date", "date_gte", "date_lte"):
        if params.get(name):
            try:
                filters[name] = rules.parse_date(params[name])
            except rules.FieldError:
                errors[name] = [BAD_DATE]
    if params.get("patient"):
        number = rules.id_number(params["patient"])
        if number is None:
            errors["patient"] = [NOT_A_NUMBER]
        else:
            filters["patient"] = number
    if errors:
        raise Invalid(errors)
    return filters


def listing(*, actor: User, via: str, filters: dict | None = None, ordering: str | None = None) -> Select:
    """SELECT of the visible assessments matching `filters`, in the list's order (the list pages
    it; the CSV export streams all of it)."""
    filters = filters or {}
    stmt = visible(actor, via)
    if "type" in filters:
        kind = filters["type"]
        stmt = stmt.where(Assessment.type == kind if "\x00" not in kind else false())
    if "date" in filters:
        stmt = stmt.where(Assessment.date == filters["date"])
    if "date_gte" in filters:
        stmt = stmt.where(Assessment.date >= filters["date_gte"])
    if "date_lte" in filters:
        stmt = stmt.where(Assessment.date <= filters["date_lte"])
    if "patient" in filters:
        patient_id = filters["patient"]
        stmt = stmt.where(Assessment.patient_id == patient_id if rules.is_id(patient_id) else false())
    return stmt.order_by(*order_by(ordering, ORDERING, DEFAULT_ORDERING, Assessment.id))


_TOTAL = select(func.sum(AssessmentCount.total)).where(
    AssessmentCount.clinician_id == bindparam("clinician_id"))


def total(clinician_id: int) -> int:
    """How many assessments the clinician has: the sum of their running counts (at most 16 rows,
    however many assessments), which the database's triggers keep exact in every write's
    transaction (healthpal/models.py, `AssessmentCount`)."""
    return db.session.scalar(_TOTAL, {"clinician_id": clinician_id}) or 0


def search(*, actor: User, via: str, filters: dict | None = None, ordering: str | None = None,
           page: int | str = 1, page_size: int = 20) -> Page:
    """A page of visible assessments (as `Listed`), their rounds read in one extra query. Unfiltered,
    a clinician's total is their running count; filtered, a count of the filters' index entries."""
    stmt = listing(actor=actor, via=via, filters=filters, ordering=ordering)
    counted = None if filters or scope.sees_everything(actor, via) else (lambda: total(actor.id))
    found = paginate(stmt, number=page, size=page_size, columns=LISTED_COLUMNS, counted=counted)
    rounds: dict[int, list] = {row.id: [] for row in found.items}
    if rounds:
        for item in db.session.execute(
            select(QARound.assessment_id, QARound.question, QARound.answer)
            .where(QARound.assessment_id.in_(rounds)).order_by(QARound.assessment_id, QARound.position)
        ):
            rounds[item.assessment_id].append(item)
    return replace(found, items=[Listed._make((*row, rounds[row.id])) for row in found.items])


def types_used(*, actor: User, via: str) -> list[str]:
    """The assessment types this clinician has recorded, alphabetically (for suggestions)."""
    stmt = visible(actor, via).with_only_columns(Assessment.type).distinct().order_by(Assessment.type)
    return list(db.session.scalars(stmt))


def _patient(actor: User, via: str, value, lock: bool) -> Patient:
    number = rules.id_number(value)
    if number is None:
        raise rules.FieldError(UNKNOWN_PATIENT)
    try:
        return patients.get(actor=actor, via=via, patient_id=number, for_assessment=lock)
    except NotFound:
        raise rules.FieldError(UNKNOWN_PATIENT) from None


def clean(data, *, actor: User, via: str, partial: bool, current: Assessment | None = None,
          lock_patient: bool = False) -> dict:
    """Stored values for `data` (`patient` as a Patient, rounds as (question, answer) pairs).

    Cross-field rules are checked against the resulting record; every error is reported at once.
    `lock_patient`: the patient is read with `patients.lock_last_assessment`'s lock (before a create).
    """
    if not isinstance(data, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected an object."]})
    today = clock.today()
    cleaners = {
        "patient": lambda v: _patient(actor, via, v, lock_patient),
        "type": rules.assessment_type,
        "date": lambda v: rules.assessment_date(v, today=today),
        "score": rules.score,
        "qna_rounds": rules.qna_rounds,
    }
    required = dict(data)
    if current is None and "date" not in data:
        required["date"] = today.isoformat()
    if current is not None and not partial and "date" not in data:
        required["date"] = current.date.isoformat()
    cleaned, errors = rules.collect(required, cleaners, partial=partial)
    patient = cleaned.get("patient", current.patient if current is not None else None)
    day = cleaned.get("date", current.date if current is not None else None)
    if "patient" not in errors and "date" not in errors and patient is not None and day < patient.birthdate:
        errors["date"] = [BEFORE_BIRTH]
    if errors:
        raise Invalid(errors)
    return cleaned


_CLASH = select(Assessment.id).where(Assessment.patient_id == bindparam("patient_id"),
                                     Assessment.date == bindparam("day"), Assessment.type == bindparam("kind"))
_CLASH_OTHER = _CLASH.where(Assessment.id != bindparam("exclude_id"))


def _check_unique(patient: Patient, day, kind: str, exclude_id: int | None) -> None:
    values = {"patient_id": patient.id, "day": day, "kind": kind}
    if exclude_id is None:
        clash = db.session.scalar(_CLASH, values)
    else:
        clash = db.session.scalar(_CLASH_OTHER, {**values, "exclude_id": exclude_id})
    if clash is not None:
        raise Invalid({"non_field_errors": [DUPLICATE]})


_ROUNDS = cast(Table, QARound.__table__)


def _round_rows(assessment_id: int, pairs) -> list[dict]:
    """The qa_rounds rows of (question, answer) pairs, in their order."""
    return [{"assessment_id": assessment_id, "position": position, "question": question,
             "question_digest": question_digest(question), "answer": answer}
            for position, (question, answer) in enumerate(pairs)]


def _store_rounds(assessment: Assessment, pairs, *, replace: bool) -> None:
    """Store the (flushed) assessment's rounds from (question, answer) pairs in one INSERT, after one
    DELETE of its old ones when `replace`: no per-object flush. `assessment.rounds` then holds them
    as stored, as if loaded."""
    rows = _round_rows(assessment.id, pairs)
    with db.session.no_autoflush:       # the assessment's own changes go in its one UPDATE, later
        if replace:
            db.session.execute(delete_rows(_ROUNDS).where(_ROUNDS.c.assessment_id == assessment.id))
            for old in assessment.rounds:
                db.session.expunge(old)
        returned = db.session.execute(insert(_ROUNDS).returning(_ROUNDS.c.position, _ROUNDS.c.id), rows) if rows else ()
        ids = {position: round_id for position, round_id in returned}
    stored = [QARound(id=ids[row["position"]], **row) for row in rows]
    for round_ in stored:
        make_transient_to_detached(round_)
    db.session.add_all(stored)
    set_committed_value(assessment, "rounds", stored)


def create(*, actor: User, via: str, data: dict) -> Assessment:
    """A new assessment for one of the actor's patients, with its rounds, in one transaction."""
    with atomic(EXPLAINED):
        cleaned = clean(data, actor=actor, via=via, partial=False, lock_patient=True)
        patient = cleaned["patient"]
        _check_unique(patient, cleaned["date"], cleaned["type"], None)
        assessment = Assessment(patient=patient, clinician_id=patient.clinician_id, type=cleaned["type"],
                                date=cleaned["date"], score=cleaned["score"])
        db.session.add(assessment)
        db.session.flush()
        _store_rounds(assessment, cleaned["qna_rounds"], replace=False)
        patients.refresh_last_assessment(assessment.patient_id)
        audit.record(actor=actor, via=via, action=audit.CREATE, entity=assessment,
                     changes=audit.diff({}, snapshots.assessment(assessment)))
    return assessment


def update(*, actor: User, via: str, assessment_id: int, data: dict, partial: bool = False,
           expected: versions.Expected = None) -> Assessment:
    """Replace (or patch) a visible assessment on its locked row; sent rounds replace the old ones as
    a whole. Stale if its version is not `expected`. Returns it as this change committed it."""
    with atomic(EXPLAINED):
        assessment = get(actor=actor, via=via, assessment_id=assessment_id, for_update=True)
        versions.check(assessment, expected, snapshot=snapshots.assessment)
        cleaned = clean(data, actor=actor, via=via, partial=partial, current=assessment)
        before = snapshots.assessment(assessment)
        patient = cleaned.get("patient", assessment.patient)
        day, kind = cleaned.get("date", assessment.date), cleaned.get("type", assessment.type)
        # A patient's last assessment follows its assessments' dates and scores only.
        moved = (patient.id, day, cleaned.get("score", assessment.score)) != (
            assessment.patient_id, assessment.date, assessment.score)
        touched = sorted({assessment.patient_id, patient.id}) if moved else []
        for patient_id in touched:
            patients.lock_last_assessment(patient_id)
        if (patient.id, day, kind) != (assessment.patient_id, assessment.date, assessment.type):
            _check_unique(patient, day, kind, assessment.id)   # else it is this record's own (unique) key
        for name in ("patient", "type", "date", "score"):
            if name in cleaned:
                setattr(assessment, name, cleaned[name])
        # the keys as the flush will write them, set now: the changes are taken before the one flush
        assessment.patient_id, assessment.clinician_id = patient.id, patient.clinician_id
        if "qna_rounds" in cleaned and before["qna_rounds"] != [list(p) for p in cleaned["qna_rounds"]]:
            _store_rounds(assessment, cleaned["qna_rounds"], replace=True)
        changes = audit.diff(before, snapshots.assessment(assessment))
        if changes:
            assessment.updated_at = clock.now()
            versions.bump(assessment)
        db.session.flush()      # one UPDATE of the assessment, before its patients' last assessment is read
        for patient_id in touched:
            patients.refresh_last_assessment(patient_id)
        if changes:
            audit.record(actor=actor, via=via, action=audit.UPDATE, entity=assessment, changes=changes)
    return assessment


def delete(*, actor: User, via: str, assessment_id: int, expected: versions.Expected = None) -> None:
    """Delete a visible assessment and its rounds, its row locked first; Stale if its version is not
    `expected`."""
    with atomic(EXPLAINED):
        assessment = get(actor=actor, via=via, assessment_id=assessment_id, for_update=True)
        versions.check(assessment, expected, snapshot=snapshots.assessment)
        patient_id = assessment.patient_id
        patients.lock_last_assessment(patient_id)
        audit.record(actor=actor, via=via, action=audit.DELETE, entity=assessment,
                     changes=audit.diff(snapshots.assessment(assessment), {}))
        db.session.delete(assessment)
        db.session.flush()
        patients.refresh_last_assessment(patient_id)


def latest_for(*, actor: User, via: str, patient_ids) -> dict:
    """The most recent assessment (latest date, then highest id) of each of these visible
    patients, keyed by patient id, as a read-only row of (id, patient_id, type, date, score), in
    one query (for a page of patients)."""
    ids = [number for number in patient_ids if rules.is_id(number)]
    if not ids:
        return {}
    rank = func.row_number().over(
        partition_by=Assessment.patient_id, order_by=(Assessment.date.desc(), Assessment.id.desc()),
    ).label("rank")
    ranked = (visible(actor, via).where(Assessment.patient_id.in_(ids))
              .with_only_columns(Assessment.id, Assessment.patient_id, Assessment.type, Assessment.date,
                                 Assessment.score, rank).subquery())
    latest = select(ranked.c.id, ranked.c.patient_id, ranked.c.type, ranked.c.date, ranked.c.score)
    return {row.patient_id: row for row in db.session.execute(latest.where(ranked.c.rank == 1))}


def history(*, actor: User, via: str, patient_id: int) -> list:
    """Every assessment of one visible patient, newest first, as rows of
    (id, type, date, score, rounds = how many Q&A rounds), in one query."""
    rounds = (
        select(func.count(QARound.id)).where(QARound.assessment_id == Assessment.id)
        .correlate(Assessment).scalar_subquery()
    )
    stmt = (
        visible(actor, via)
        .where(Assessment.patient_id == patient_id if rules.is_id(patient_id) else false())
        .with_only_columns(Assessment.id, Assessment.type, Assessment.date, Assessment.score, rounds.label("rounds"))
        .order_by(Assessment.date.desc(), Assessment.id.desc())
    )
    return list(db.session.execute(stmt))


def last_of_type(*, actor: User, via: str, kind: str) -> Assessment | None:
    """The actor's most recent assessment of type `kind` (latest date, then highest id) with its
    rounds, or None when they have never recorded that type."""
    kind = (kind or "").strip()
    if not kind or "\x00" in kind:
        return None
    return db.session.scalar(
        visible(actor, via).where(Assessment.type == kind).options(selectinload(Assessment.rounds))
        .order_by(Assessment.date.desc(), Assessment.id.desc()).limit(1)
    )
