"""Assessments and their question/answer rounds: scoping, rules and atomic writes."""
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Insert,
    Select,
    Table,
    bindparam,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy import delete as delete_rows
from sqlalchemy import update as update_rows
from sqlalchemy.dialects.postgresql import aggregate_order_by, array
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from healthpal.domain import audit, audit_guard, clock, patients, rules, scope, sessions, snapshots, versions
from healthpal.domain.exceptions import Conflict, Invalid, NotFound
from healthpal.domain.paging import Page, order_by, paginate, running_total
from healthpal.domain.transactions import atomic
from healthpal.extensions import PREPARED, db
from healthpal.models import Assessment, AssessmentCount, AssessmentMonthCount, Patient, QARound, User, question_digest

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
    """An assessment as a list or an API detail read shows it, read-only: its columns, and its
    rounds in order as (question, answer) pairs. Lists read these rather than model objects, which
    cost several times as much to build for a page of 100 assessments and their 500 rounds."""

    id: int
    type: str
    date: date
    score: int
    patient_id: int
    version: int
    created_at: datetime
    updated_at: datetime
    rounds: list


LISTED_COLUMNS = (Assessment.id, Assessment.type, Assessment.date, Assessment.score, Assessment.patient_id,
                  Assessment.version, Assessment.created_at, Assessment.updated_at)


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
_READ = {everything: audit.audited_read(select(Assessment).where(*_by_id(everything)), Assessment,
                                        patient_column="patient_id",
                                        options=lambda found: (joinedload(found.rounds), joinedload(found.patient)))
         for everything in (False, True)}
# An API detail read by sign-in shows an assessment as `Listed`: its columns, then its rounds in order
# as one array of [question, answer] pairs (PostgreSQL, which alone does it in one statement).
_SHOWN_ROUNDS = (select(func.array_agg(aggregate_order_by(array([QARound.question, QARound.answer]), QARound.position)))
                 .where(QARound.assessment_id == Assessment.id).scalar_subquery())


def _shown(columns: tuple) -> Listed:
    *listed, rounds = columns
    return Listed._make((*listed, [tuple(pair) for pair in rounds or ()]))


_READ_BY_SIGN_IN = audit.signed_in_read(select(*LISTED_COLUMNS, _SHOWN_ROUNDS).where(*_by_id(False)), Assessment,
                                        patient_column="patient_id", holder=sessions.APP_HOLDER, record=_shown)
# Locks in the order a patient's deletion takes them (the patient, then its assessments), so the two
# never wait for each other: the assessment's patient, and the patient a write may move it to (one the
# actor sees), in order of id, each with its last-assessment lock (as `patients.get` takes it
# `for_assessment`: writers of one patient's assessments take turns; none holds an assessment while
# it waits for a patient), read afresh; then the assessment, read afresh with its rounds.
def _current_patient(everything: bool):
    # (a visible assessment's patient is its clinician's: the constraint on clinician_id keeps it so)
    return select(Assessment.patient_id).where(*_by_id(everything)).scalar_subquery()


_TARGET = bindparam("target_id", type_=Patient.id.type)


def _lock_patients(everything: bool) -> Select:
    stmt = select(Patient).where(Patient.id.in_([_current_patient(everything), _TARGET]))
    if not everything:
        stmt = stmt.where(Patient.clinician_id == bindparam("actor_id"))
    return (stmt.order_by(Patient.id).with_for_update(key_share=True)
            .execution_options(populate_existing=True, **PREPARED))


_LOCK_PATIENTS = {everything: _lock_patients(everything) for everything in (False, True)}
_LOCK = {everything: select(Assessment).where(*_by_id(everything)).with_for_update(of=Assessment)
         .options(joinedload(Assessment.rounds)).execution_options(populate_existing=True, **PREPARED)
         for everything in (False, True)}
# A create or an update by a mobile-app sign-in (`create_by_sign_in`, `update_by_sign_in`) takes the
# same locks in the same order with statements that load no model objects: the first judges the
# sign-in too, each of its rows the account whose sign-in it honours (`sessions.APP_HOLDER`) and one
# of that account's patients; an update's second reads the assessment as `Listed`.
_PATIENTS = cast(Table, Patient.__table__)
_HOLDER = sessions.APP_HOLDER
_HOLDER_WIDTH = len(_HOLDER.c)
_PATIENT_FIELDS = tuple(column.key for column in _PATIENTS.columns)


def _patients_by_sign_in(which: ColumnElement[bool]) -> Select:
    return (select(*_HOLDER.c, *_PATIENTS.c).join_from(_HOLDER, _PATIENTS, _PATIENTS.c.clinician_id == _HOLDER.c.id)
            .where(which, _PATIENTS.c.clinician_id == bindparam("actor_id"))
            .order_by(_PATIENTS.c.id).with_for_update(key_share=True, of=_PATIENTS).execution_options(**PREPARED))


# An update's patients (as `_LOCK_PATIENTS`), and a create's one patient (as `patients.get` locks it
# `for_assessment`).
_LOCK_PATIENTS_BY_SIGN_IN = _patients_by_sign_in(_PATIENTS.c.id.in_([_current_patient(False), _TARGET]))
_LOCK_PATIENT_BY_SIGN_IN = _patients_by_sign_in(_PATIENTS.c.id == _TARGET)
_LOCK_SHOWN = (select(*LISTED_COLUMNS, _SHOWN_ROUNDS).where(*_by_id(False)).with_for_update(of=Assessment)
               .execution_options(**PREPARED))
MOVED_MEANWHILE = "This assessment was moved to another patient at the same moment; nothing was saved. Try again."


def get(*, actor: User, via: str, assessment_id: int, for_update: bool = False, moving_to=None) -> Assessment:
    """One visible assessment with its rounds and patient (one query), or NotFound. `for_update`
    locks its patient's row, and that of the visible patient `moving_to` names (a write's `patient`,
    as sent), and its own, until the transaction ends (a writer racing for them, rounds included,
    waits), and reads them and its rounds afresh, whatever this session held."""
    everything, values = scope.by_id(actor, via, "assessment_id", assessment_id)
    if not for_update:
        assessment = db.session.scalar(_GET[everything], values)
    else:
        locked = {patient.id: patient for patient in db.session.scalars(
            _LOCK_PATIENTS[everything], {**values, "target_id": _target(moving_to)})}
        assessment = db.session.scalar(_LOCK[everything], values)
        if assessment is not None:
            if assessment.patient_id not in locked:     # moved between the two reads: its patient is not locked
                raise Conflict(MOVED_MEANWHILE)
            set_committed_value(assessment, "patient", locked[assessment.patient_id])
    if assessment is None:
        raise NotFound("Not found.")
    return assessment


def _locked_by_sign_in(statement: Select, values: dict) -> tuple[User, dict[int, Patient]] | None:
    """The account and patients of a statement locking patients by sign-in (`_patients_by_sign_in`),
    as model objects apart from the session; None when it finds no row."""
    rows = db.session.connection().execute(statement, values).all()
    if not rows:
        return None
    return sessions.account(rows[0][:_HOLDER_WIDTH]), {
        row[_HOLDER_WIDTH]: Patient(**dict(zip(_PATIENT_FIELDS, row[_HOLDER_WIDTH:], strict=True))) for row in rows}


def _target(moving_to) -> int | None:
    """The id of the patient a write names as sent (its `patient`), if it can be one."""
    target = rules.id_number(moving_to)
    return target if rules.is_id(target) else None


def read(*, actor: User, via: str, assessment_id: int) -> Assessment:
    """The audited read: one visible assessment (as `get`), and an audit event recording that `actor`
    read it through `via`, in one statement where the database allows it. For showing an assessment
    to someone; `get` is for writes and checks."""
    everything, values = scope.by_id(actor, via, "assessment_id", assessment_id)
    return audit.read(_READ[everything], values, actor=actor, via=via)


def read_by_sign_in(sign_in: dict, *, via: str, assessment_id: int) -> tuple[int, Listed | None] | None:
    """`read` for the holder of a mobile-app sign-in not judged yet (`sessions.sign_in_values`), the
    sign-in judged in the same statement where the database allows it (`audit.read_by_sign_in`):
    their account's id and the assessment, as `Listed`."""
    return audit.read_by_sign_in(_READ_BY_SIGN_IN, "assessment_id", assessment_id, sign_in=sign_in, via=via)


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


def total(clinician_id: int) -> int:
    """How many assessments the clinician has, from their running count (`AssessmentCount`)."""
    return running_total(AssessmentCount, clinician_id)


def _next_month(day: date) -> date | None:
    """The first day of the month after `day`'s (None past the calendar's end)."""
    if day.year == date.max.year and day.month == 12:
        return None
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _ends_a_month(day: date) -> bool:
    return day == date.max or (day + timedelta(days=1)).day == 1


# The filters a filtered total can read from the month counts (a patient's few are counted).
_MONTHLY = {"type", "date", "date_gte", "date_lte"}


def _filtered_total(clinician_id: int, filters: dict) -> Callable[[], int] | None:
    """How to count the clinician's assessments matching `filters` (type and dates only) without
    reading each: the month counts (`AssessmentMonthCount`) of the months wholly inside the date
    range, plus the index entries of the partial months at its two edges, in one statement. None
    when the filters name a patient or no month lies wholly inside the range (the range then
    reaches into two months at most: its index count is as small)."""
    if not filters.keys() <= _MONTHLY or "\x00" in filters.get("type", ""):
        return None
    lows = [filters[name] for name in ("date", "date_gte") if name in filters]
    highs = [filters[name] for name in ("date", "date_lte") if name in filters]
    first, last = max(lows, default=None), min(highs, default=None)
    # The whole months: start <= month < end (None: open on that side).
    start = first if first is None or first.day == 1 else _next_month(first)
    end = None if last is None else _next_month(last) if _ends_a_month(last) else last.replace(day=1)
    if (first is not None and start is None) or (start is not None and end is not None and start >= end):
        return None
    own = [Assessment.clinician_id == clinician_id]
    counts = [AssessmentMonthCount.clinician_id == clinician_id]
    if "type" in filters:
        own.append(Assessment.type == filters["type"])
        counts.append(AssessmentMonthCount.type == filters["type"])
    if start is not None:
        counts.append(AssessmentMonthCount.month >= start)
    if end is not None:
        counts.append(AssessmentMonthCount.month < end)
    total_of: ColumnElement[int] = select(func.coalesce(func.sum(AssessmentMonthCount.total), 0)).where(
        *counts).scalar_subquery()
    if first is not None and start is not None and first < start:
        total_of = total_of + select(func.count()).where(*own, Assessment.date >= first, Assessment.date < start
                                                         ).scalar_subquery()
    if last is not None and end is not None and end <= last:
        total_of = total_of + select(func.count()).where(*own, Assessment.date >= end, Assessment.date <= last
                                                         ).scalar_subquery()
    return lambda: db.session.scalar(select(total_of)) or 0


# The rounds of a page of assessments, in order: built once, sent as one parameter whatever the page's size.
_PAGE_ROUNDS = (select(QARound.assessment_id, QARound.question, QARound.answer)
                .where(QARound.assessment_id.in_(bindparam("ids", expanding=True)))
                .order_by(QARound.assessment_id, QARound.position))


def search(*, actor: User, via: str, filters: dict | None = None, ordering: str | None = None,
           page: int | str = 1, page_size: int = 20) -> Page:
    """A page of visible assessments (as `Listed`), their rounds read in one extra query. A
    clinician's total is their running count unfiltered, their month counts and edge months'
    index entries filtered by type and dates (`_filtered_total`), else a count of the filters'
    index entries."""
    filters = filters or {}
    stmt = listing(actor=actor, via=via, filters=filters, ordering=ordering)
    counted: Callable[[], int] | None = None
    if not scope.sees_everything(actor, via):
        counted = _filtered_total(actor.id, filters) if filters else (lambda: total(actor.id))
    found = paginate(stmt, number=page, size=page_size, columns=LISTED_COLUMNS, counted=counted)
    rounds: dict[int, list] = {row[0]: [] for row in found.items}
    if rounds:
        read = db.session.connection().execute(_PAGE_ROUNDS, {"ids": list(rounds)}).all()  # one fetch, not 500
        for assessment_id, question, answer in read:
            rounds[assessment_id].append((question, answer))
    return replace(found, items=[Listed._make((*row, rounds[row[0]])) for row in found.items])


def _types_used(everything: bool) -> Select:
    """The distinct types, each found by one step down the index that begins with (the clinician and)
    the type: the smallest, then the smallest greater than it, and so on (a recursive query). A
    clinician's few types cost a few index entries each, instead of a DISTINCT over every one of
    their assessments (10,000 of them for a busy clinician) on each view of the assessment form."""
    mine = () if everything else (Assessment.clinician_id == bindparam("actor_id"),)
    found = select(func.min(Assessment.type).label("type")).where(*mine).cte("types", recursive=True)
    following = select(func.min(Assessment.type)).where(*mine, Assessment.type > found.c.type).scalar_subquery()
    found = found.union_all(select(following).where(found.c.type.is_not(None)))
    return select(found.c.type).where(found.c.type.is_not(None)).order_by(found.c.type)


# The assessment form asks for these on each view: the statements are built once per scope.
_TYPES_USED = {everything: _types_used(everything) for everything in (False, True)}


def types_used(*, actor: User, via: str) -> list[str]:
    """The assessment types this clinician has recorded, alphabetically (for suggestions)."""
    everything = scope.sees_everything(actor, via)
    return list(db.session.scalars(_TYPES_USED[everything], {} if everything else {"actor_id": actor.id}))


def _patient(actor: User, via: str, value, lock: bool) -> Patient:
    number = rules.id_number(value)
    if number is None:
        raise rules.FieldError(UNKNOWN_PATIENT)
    try:
        return patients.get(actor=actor, via=via, patient_id=number, for_assessment=lock)
    except NotFound:
        raise rules.FieldError(UNKNOWN_PATIENT) from None


def clean(data, *, actor: User, via: str, partial: bool, current: Assessment | None = None,
          lock_patient: bool = False, patient: Patient | None = None) -> dict:
    """Stored values for `data` (`patient` as a Patient, rounds as (question, answer) pairs).

    Cross-field rules are checked against the resulting record; every error is reported at once.
    `lock_patient`: the patient is read with its last-assessment lock (before a create); `patient`:
    the patient `data` names, read and locked so already.
    """
    if not isinstance(data, dict):
        raise Invalid({"non_field_errors": ["Invalid data. Expected an object."]})
    today = clock.today()
    cleaners = {
        "patient": (lambda v: patient) if patient is not None else (lambda v: _patient(actor, via, v, lock_patient)),
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
    whose = cleaned.get("patient", current.patient if current is not None else None)
    day = cleaned.get("date", current.date if current is not None else None)
    if "patient" not in errors and "date" not in errors and whose is not None and day < whose.birthdate:
        errors["date"] = [BEFORE_BIRTH]
    if errors:
        raise Invalid(errors)
    return cleaned


_ASSESSMENTS = cast(Table, Assessment.__table__)
_ROUNDS = cast(Table, QARound.__table__)
_WRITTEN = (_ASSESSMENTS.c.id, _ASSESSMENTS.c.patient_id, _ASSESSMENTS.c.date, _ASSESSMENTS.c.score)
_NEW = ("patient_id", "clinician_id", "type", "date", "score", "created_at", "updated_at", "version")
_CHANGED = ("patient_id", "clinician_id", "type", "date", "score", "updated_at", "version")


def _value(name: str):
    """The bound value of the assessment's column `name`, as `_bound` names it (apart from any column's
    name: a statement's parameters named as a column of a table it writes would be written to it)."""
    return bindparam(f"value_{name}", type_=_ASSESSMENTS.c[name].type)


def _bound(values: dict) -> dict:
    return {f"value_{name}": value for name, value in values.items()}


# The uniqueness of (patient, date, type) is checked by the write itself: it writes no row when another
# assessment holds the key (a racing writer that got past it meets the constraint, see EXPLAINED).
_CLASH = exists().where(_ASSESSMENTS.c.patient_id == _value("patient_id"), _ASSESSMENTS.c.date == _value("date"),
                        _ASSESSMENTS.c.type == _value("type"))
_INSERT = (insert(_ASSESSMENTS).from_select(_NEW, select(*[_value(name) for name in _NEW]).where(~_CLASH))
           .returning(*_WRITTEN).execution_options(**audit_guard.WRITES))
_UPDATE = (update_rows(_ASSESSMENTS)
           .where(_ASSESSMENTS.c.id == _value("id"), ~_CLASH.where(_ASSESSMENTS.c.id != _value("id")))
           .values({name: _value(name) for name in _CHANGED})
           .returning(*_WRITTEN).execution_options(**audit_guard.WRITES))
_INSERT_ROUNDS = insert(_ROUNDS).returning(_ROUNDS.c.position, _ROUNDS.c.id).execution_options(**audit_guard.WRITES)
_DELETE_ROUNDS = (delete_rows(_ROUNDS).where(_ROUNDS.c.assessment_id == bindparam("assessment_id"))
                  .execution_options(**audit_guard.WRITES))
# The same, for the UPDATE's one statement: the rounds of the assessment it writes.
_DELETE_OLD_ROUNDS = delete_rows(_ROUNDS).where(_ROUNDS.c.assessment_id == _value("id")).returning(_ROUNDS.c.id)


_ROUND_COLUMNS = ("position", "question", "question_digest", "answer")


def _rounds_from(written, replaced=None) -> Insert:
    """INSERT of the rounds sent as one array per column (`_arrays`) for the assessment `written` names
    (a CTE), returning their ids and positions (PostgreSQL). `replaced`: the DELETE of its old rounds
    (a CTE), which the INSERT waits for: it counts their rows before it inserts a row (the parts of
    one statement otherwise run in no set order, and the new rounds may take the old ones' positions
    and questions, which are unique per assessment)."""
    sent = (func.unnest(*[bindparam(f"rounds_{name}", type_=ARRAY(_ROUNDS.c[name].type)) for name in _ROUND_COLUMNS])
            .table_valued(*_ROUND_COLUMNS).render_derived())
    rows = select(written.c.id, *[sent.c[name] for name in _ROUND_COLUMNS]).select_from(written).join(sent, true())
    if replaced is not None:
        rows = rows.where(select(func.count()).select_from(replaced).scalar_subquery() >= 0)
    return (insert(_ROUNDS).from_select(["assessment_id", *_ROUND_COLUMNS], rows)
            .returning(_ROUNDS.c.id, _ROUNDS.c.position))


def _arrays(rows: list[dict]) -> dict:
    """`_rounds_from`'s values: the rounds' rows (`_round_rows`) as one array per column."""
    return {f"rounds_{name}": [row[name] for row in rows] for name in _ROUND_COLUMNS}


def _one_statement(write, *, rounds: bool, touched: bool) -> Insert:
    """`write` (an assessment's INSERT or UPDATE, returning `_WRITTEN`) with, in the same statement,
    its rounds (`rounds`; an UPDATE's replace its old ones, deleted there too), the last assessment of
    the patients `:touched` (`touched`) and its audit event, which returns the assessment's id, and its
    rounds' ids in order (PostgreSQL)."""
    written = write.cte("written")
    parts = []
    round_ids: ColumnElement = literal(None)
    if rounds:
        replaced = None
        if write is _UPDATE:
            replaced = _DELETE_OLD_ROUNDS.cte("replaced_rounds")
            parts.append(replaced)
        stored = _rounds_from(written, replaced).cte("written_rounds")
        parts.append(stored)
        round_ids = select(func.array_agg(aggregate_order_by(stored.c.id, stored.c.position))).scalar_subquery()
    if touched:
        parts.append(patients.refresh_last_assessment_from(written).cte("refreshed"))
    event = audit.insert_for(written)
    return event.add_cte(*parts).returning(event.table.c.entity_id, round_ids).execution_options(**PREPARED)


_ONE_STATEMENT = {(write, rounds, touched): _one_statement(statement, rounds=rounds, touched=touched)
                  for write, statement in (("insert", _INSERT), ("update", _UPDATE))
                  for rounds in (False, True) for touched in (False, True)}


def _write(write: str, values: dict, *, pairs, touched: list[int], event: dict) -> tuple[int, list[int]] | None:
    """Write an assessment (`write`: `insert` or `update`, with `values`), its rounds from (question,
    answer) `pairs` (an update's replace its old ones; None: they stay), the last assessment of the
    patients `touched` and its audit `event` (`audit.bound`'s values), in one statement where the
    database allows it, else one by one. Returns its id and its new rounds' ids, or None when another
    assessment holds its key."""
    if audit.in_one_statement():
        rows = _round_rows(values.get("id"), pairs or ())   # the assessment's id is the statement's
        sent = {**_bound(values), **event, **_arrays(rows), "touched": touched}
        row = db.session.execute(_ONE_STATEMENT[write, bool(rows), bool(touched)], sent).first()
        return None if row is None else (row[0], list(row[1] or ()))
    if write == "update" and pairs:
        db.session.execute(_DELETE_ROUNDS, {"assessment_id": values["id"]})
    row = db.session.execute(_INSERT if write == "insert" else _UPDATE, _bound(values)).first()
    if row is None:
        return None
    rows = _round_rows(row.id, pairs or ())
    returned = db.session.execute(_INSERT_ROUNDS, rows) if rows else ()
    ids = dict(tuple(item) for item in returned)
    for patient_id in touched:
        patients.refresh_last_assessment(patient_id)
    audit.add(event, entity_id=row.id)
    return row.id, [ids[item["position"]] for item in rows]


def _round_rows(assessment_id: int | None, pairs) -> list[dict]:
    """The qa_rounds rows of (question, answer) pairs, in their order."""
    return [{"assessment_id": assessment_id, "position": position, "question": question,
             "question_digest": question_digest(question), "answer": answer}
            for position, (question, answer) in enumerate(pairs)]


def _attach_rounds(assessment: Assessment, pairs, ids: list[int]) -> None:
    """`assessment.rounds` as just stored (rows `ids`, in order), as if loaded: no flush to come."""
    stored = [QARound(id=round_id, **row) for round_id, row in zip(ids, _round_rows(assessment.id, pairs), strict=True)]
    for round_ in stored:
        make_transient_to_detached(round_)
    db.session.add_all(stored)
    set_committed_value(assessment, "rounds", stored)


def create(*, actor: User, via: str, data: dict) -> Assessment:
    """A new assessment for one of the actor's patients, with its rounds, in one transaction: the
    patient locked and checked in one statement, the rest written in another (PostgreSQL)."""
    with atomic(EXPLAINED):
        cleaned = clean(data, actor=actor, via=via, partial=False, lock_patient=True)
        assessment, pairs, round_ids = _insert(cleaned, actor=actor, via=via)
        make_transient_to_detached(assessment)
        db.session.add(assessment)
        set_committed_value(assessment, "patient", cleaned["patient"])
        _attach_rounds(assessment, pairs, round_ids)
    return assessment


def create_by_sign_in(sign_in: dict, *, via: str, data: dict) -> tuple[int, Listed] | None:
    """`create` by the holder of a mobile-app sign-in not judged yet (`sessions.sign_in_values`), the
    sign-in judged in the statement that locks the patient `data` names, where the database allows
    it: their account's id and the new assessment, as `Listed`.

    None when that statement finds no row, the sign-in not honoured or the patient not their
    account's, or when it cannot be sent, the database unable to judge the sign-in there or `data`
    naming no patient by id (nothing written): the caller judges the sign-in the full way, and
    creates with `create`."""
    target = _target(_patient_sent(data))
    if not audit.in_one_statement() or target is None:
        return None
    with atomic(EXPLAINED):
        locked = _locked_by_sign_in(_LOCK_PATIENT_BY_SIGN_IN,
                                    {**sign_in, "target_id": target, "actor_id": sign_in["user_id"]})
        if locked is None:
            return None
        actor, patients_locked = locked
        cleaned = clean(data, actor=actor, via=via, partial=False, patient=patients_locked[target])
        assessment, pairs, _ = _insert(cleaned, actor=actor, via=via)
    return actor.id, _listed(assessment, pairs)


def _insert(cleaned: dict, *, actor: User, via: str) -> tuple[Assessment, list, list[int]]:
    """`create`'s write of the values `clean` gave, their patient locked, in the caller's transaction:
    the assessment as stored (apart from the session), its rounds ((question, answer) pairs) and
    their ids."""
    patient, pairs, now = cleaned["patient"], cleaned["qna_rounds"], clock.now()
    values = {"patient_id": patient.id, "clinician_id": patient.clinician_id, "type": cleaned["type"],
              "date": cleaned["date"], "score": cleaned["score"], "created_at": now, "updated_at": now,
              "version": 1}
    assessment = Assessment(**values)
    event = audit.bound(actor=actor, via=via, action=audit.CREATE, model=Assessment, patient_id=patient.id,
                        changes=audit.diff({}, snapshots.assessment(assessment, rounds=pairs)))
    written = _write("insert", values, pairs=pairs, touched=[patient.id], event=event)
    if written is None:
        raise Invalid({"non_field_errors": [DUPLICATE]})
    assessment.id, round_ids = written
    return assessment, pairs, round_ids


def _listed(assessment: Assessment, rounds) -> Listed:
    """The assessment (its columns as set), with its rounds as (question, answer) pairs, as `Listed`."""
    return Listed._make((*[getattr(assessment, name) for name in Listed._fields[:-1]], list(rounds)))


def update(*, actor: User, via: str, assessment_id: int, data: dict, partial: bool = False,
           expected: versions.Expected = None) -> Assessment:
    """Replace (or patch) a visible assessment on its locked row; sent rounds replace the old ones as
    a whole. Stale if its version is not `expected`. Returns it as this change committed it."""
    with atomic(EXPLAINED):
        assessment = get(actor=actor, via=via, assessment_id=assessment_id, for_update=True,
                         moving_to=_patient_sent(data))
        old = list(assessment.rounds)
        written = _change(assessment, [(round_.question, round_.answer) for round_ in old], actor=actor, via=via,
                          data=data, partial=partial, expected=expected)
        if written is not None and written[0]:
            for round_ in old:     # the write deleted their rows
                db.session.expunge(round_)
            _attach_rounds(assessment, *written)
    return assessment


def update_by_sign_in(sign_in: dict, *, via: str, assessment_id: int, data: dict, partial: bool = False,
                      expected: versions.Expected = None) -> tuple[int, Listed | None] | None:
    """`update` by the holder of a mobile-app sign-in not judged yet (`sessions.sign_in_values`), the
    sign-in judged in the statement that takes the update's first locks, where the database allows
    it: their account's id and the assessment as this change committed it, as `Listed` (None when
    their account sees no such assessment: nothing changed). A mobile sign-in reaches its account's
    own records only (`scope.sees_everything` is for the admin panel).

    None when that statement finds no row, the sign-in not honoured or the assessment not their
    account's, or when the database cannot judge it there (nothing changed, nothing locked): the
    caller judges the sign-in the full way, and updates with `update`."""
    if not audit.in_one_statement() or not rules.is_id(assessment_id):
        return None
    values = {"assessment_id": assessment_id, "actor_id": sign_in["user_id"]}
    with atomic(EXPLAINED):
        locked = _locked_by_sign_in(_LOCK_PATIENTS_BY_SIGN_IN,
                                    {**values, **sign_in, "target_id": _target(_patient_sent(data))})
        if locked is None:
            return None
        actor, patients_locked = locked
        found = db.session.connection().execute(_LOCK_SHOWN, values).first()
        if found is None:
            return actor.id, None
        current = _shown(tuple(found))
        if current.patient_id not in patients_locked:     # moved between the two reads: its patient is not locked
            raise Conflict(MOVED_MEANWHILE)
        assessment = Assessment(**dict(zip(Listed._fields[:-1], current[:-1], strict=True)))
        set_committed_value(assessment, "patient", patients_locked[current.patient_id])
        written = _change(assessment, current.rounds, actor=actor, via=via, data=data, partial=partial,
                          expected=expected)
    return actor.id, _listed(assessment, current.rounds if written is None or written[0] is None else written[0])


def _patient_sent(data) -> object:
    """The patient a write's `data` names, as sent (None: none)."""
    return data.get("patient") if isinstance(data, dict) else None


def _change(assessment: Assessment, rounds: list, *, actor: User, via: str, data: dict, partial: bool,
            expected: versions.Expected) -> tuple[list | None, list[int]] | None:
    """`update`'s change of the assessment locked and read afresh, its rounds `rounds` ((question,
    answer) pairs), in the caller's transaction; its values are set on `assessment` as stored. The
    rounds written and their ids (None: the rounds stay as they were); None when nothing changes."""
    versions.check(assessment, expected, snapshot=lambda record: snapshots.assessment(record, rounds=rounds))
    cleaned = clean(data, actor=actor, via=via, partial=partial, current=assessment)
    before = snapshots.assessment(assessment, rounds=rounds)
    patient = cleaned.get("patient", assessment.patient)
    values = {"patient_id": patient.id, "clinician_id": patient.clinician_id,
              "type": cleaned.get("type", assessment.type), "date": cleaned.get("date", assessment.date),
              "score": cleaned.get("score", assessment.score)}
    pairs = cleaned.get("qna_rounds")
    if pairs is not None and before["qna_rounds"] == [list(pair) for pair in pairs]:
        pairs = None
    # A patient's last assessment follows its assessments' dates and scores only.
    moved = (patient.id, values["date"], values["score"]) != (assessment.patient_id, assessment.date,
                                                               assessment.score)
    touched = sorted({assessment.patient_id, patient.id}) if moved else []
    # the values as the write will store them, set now (as if loaded): the changes are taken from them
    for name, value in values.items():
        set_committed_value(assessment, name, value)
    set_committed_value(assessment, "patient", patient)
    changes = audit.diff(before, snapshots.assessment(assessment, rounds=rounds if pairs is None else pairs))
    if not changes:
        return None
    values.update(id=assessment.id, updated_at=clock.now(), version=versions.bumped(assessment))
    event = audit.bound(actor=actor, via=via, action=audit.UPDATE, model=Assessment, patient_id=patient.id,
                        changes=changes)
    written = _write("update", values, pairs=pairs, touched=touched, event=event)
    if written is None:
        raise Invalid({"non_field_errors": [DUPLICATE]})
    for name in ("updated_at", "version"):
        set_committed_value(assessment, name, values[name])
    return pairs, written[1]


def delete(*, actor: User, via: str, assessment_id: int, expected: versions.Expected = None) -> None:
    """Delete a visible assessment and its rounds, its row locked first; Stale if its version is not
    `expected`."""
    with atomic(EXPLAINED):
        assessment = get(actor=actor, via=via, assessment_id=assessment_id, for_update=True)
        versions.check(assessment, expected, snapshot=snapshots.assessment)
        patient_id = assessment.patient_id
        audit.record(actor=actor, via=via, action=audit.DELETE, entity=assessment,
                     changes=audit.diff(snapshots.assessment(assessment), {}))
        db.session.delete(assessment)
        db.session.flush()
        patients.refresh_last_assessment(patient_id)


def _latest_for(everything: bool) -> Select:
    rank = func.row_number().over(
        partition_by=Assessment.patient_id, order_by=(Assessment.date.desc(), Assessment.id.desc()),
    ).label("rank")
    ranked = (select(Assessment.id, Assessment.patient_id, Assessment.type, Assessment.date, Assessment.score, rank)
              .where(Assessment.patient_id.in_(bindparam("patient_ids", expanding=True))))
    if not everything:
        ranked = ranked.where(Assessment.clinician_id == bindparam("actor_id"))
    latest = ranked.subquery()
    return (select(latest.c.id, latest.c.patient_id, latest.c.type, latest.c.date, latest.c.score)
            .where(latest.c.rank == 1))


# The portal's patient list asks for these on each page: the statements are built once per scope.
_LATEST_FOR = {everything: _latest_for(everything) for everything in (False, True)}


def latest_for(*, actor: User, via: str, patient_ids) -> dict:
    """The most recent assessment (latest date, then highest id) of each of these visible
    patients, keyed by patient id, as a read-only row of (id, patient_id, type, date, score), in
    one query (for a page of patients)."""
    ids = [number for number in patient_ids if rules.is_id(number)]
    if not ids:
        return {}
    everything = scope.sees_everything(actor, via)
    values = {"patient_ids": ids} if everything else {"patient_ids": ids, "actor_id": actor.id}
    return {row.patient_id: row for row in db.session.execute(_LATEST_FOR[everything], values)}


def _history(everything: bool) -> Select:
    rounds = (
        select(func.count(QARound.id)).where(QARound.assessment_id == Assessment.id)
        .correlate(Assessment).scalar_subquery()
    )
    stmt = (
        select(Assessment.id, Assessment.type, Assessment.date, Assessment.score, rounds.label("rounds"))
        .where(Assessment.patient_id == bindparam("patient_id"))
        .order_by(Assessment.date.desc(), Assessment.id.desc())
        .execution_options(**PREPARED)      # one patient's rows, whoever's: its plan is the same for all
    )
    return stmt if everything else stmt.where(Assessment.clinician_id == bindparam("actor_id"))


# The patient page asks for it on each view: the statements are built once per scope.
_HISTORY = {everything: _history(everything) for everything in (False, True)}


def history(*, actor: User, via: str, patient_id: int) -> list:
    """Every assessment of one visible patient, newest first, as rows of
    (id, type, date, score, rounds = how many Q&A rounds), in one query."""
    if not rules.is_id(patient_id):
        return []
    everything = scope.sees_everything(actor, via)
    values = {"patient_id": patient_id} if everything else {"patient_id": patient_id, "actor_id": actor.id}
    return list(db.session.execute(_HISTORY[everything], values))


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
