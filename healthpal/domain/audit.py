"""The audit trail: an append-only record of every change, and of every read of one record.

Recorded: each create, update and delete of a user, patient or assessment, whichever way it came
in (channel `api`, `portal`, `admin` or `cli`), including the patients a user's deletion leaves
unassigned and the assessments deleted with their patient; each read of one patient or one
assessment (`read`, through `patients.read` and `assessments.read`); and each export
(`record_export`: which list, in which format, with which filters, how many records). An event
holds the UTC time, the actor (user id and username; for a CLI command, the operating-system
account that ran it, as `os:<name>`), the action, the entity type and id, the patient it concerns,
the channel, and `changes`: `{field: [old, new]}` for each changed field of an update,
`{field: [null, value]}` for a create, `{field: [value, null]}` for a delete. Passwords and password
hashes never appear: a new password shows only as `{"password": "changed"}`, and a password
re-hashed the current way at sign-in as `{"password": "rehashed"}`.

`record` adds the event to the current transaction, so it commits, or rolls back, with the change
it describes: a change that fails leaves no event, and a committed change always has its event.
`audit_guard` checks the latter at every commit.

Events are kept forever unless an admin purges them by date (`flask --app wsgi purge-audit
--before YYYY-MM-DD`). The purge is itself recorded, and records of purges are never purged.
"""
import getpass
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import CursorResult, FromClause, Insert, Select, Table, bindparam, delete, insert, select, true
from sqlalchemy.orm import aliased

from healthpal.domain import channels, clock, rules
from healthpal.domain.exceptions import NotFound
from healthpal.domain.transactions import atomic
from healthpal.extensions import ALONE, PREPARED, db
from healthpal.models import AuditEvent, Model, Patient, User

CREATE, UPDATE, DELETE, READ, PURGE, EXPORT = "create", "update", "delete", "read", "purge", "export"
ACTIONS = (CREATE, UPDATE, DELETE, READ, PURGE, EXPORT)
ENTITY_TYPES = ("user", "patient", "assessment", "audit")
SECRET_FIELDS = frozenset({"password", "password_hash"})
_TABLE = cast(Table, AuditEvent.__table__)
_INSERT = insert(_TABLE)


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def diff(before: dict, after: dict) -> dict:
    """`{field: [old, new]}` for each field whose value changed; secrets say only that they changed."""
    changes: dict[str, object] = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in SECRET_FIELDS:
            changes[name] = "changed"
        else:
            changes[name] = [_plain(old), _plain(new)]
    return changes


def _actor_name(actor, via: str) -> str:
    """The actor's username; for a CLI command run without one, the operating-system account."""
    if actor is not None:
        return actor.username
    if via != channels.CLI:
        return ""
    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in the environment nor in the password database
        return "os:unknown"


def _values(*, actor, via: str, action: str, entity_type: str, entity_id: int | None,
            patient_id: int | None, changes: dict | None) -> dict:
    if via not in channels.ALL:
        raise ValueError(f"unknown channel {via!r}")
    return {"at": clock.now(), "actor_id": getattr(actor, "id", None), "actor_username": _actor_name(actor, via),
            "action": action, "entity_type": entity_type, "entity_id": entity_id, "patient_id": patient_id,
            "channel": via, "changes": changes or None}


def _event(*, actor, via: str, action: str, entity_type: str, entity_id: int | None,
           patient_id: int | None, changes: dict | None) -> None:
    """INSERT the event at once, in the current transaction: one statement, without the ORM's
    bookkeeping of an object nobody reads back (`audit_guard` sees the INSERT as the event)."""
    db.session.execute(_INSERT, _values(actor=actor, via=via, action=action, entity_type=entity_type,
                                        entity_id=entity_id, patient_id=patient_id, changes=changes))


_BOUND = ("at", "actor_id", "actor_username", "action", "entity_type", "patient_id", "channel", "changes")


def insert_for(written: FromClause, *, patient_column: str | None = None, actor: FromClause | None = None) -> Insert:
    """INSERT of one event for each row of `written` (a statement's RETURNING, or a SELECT, as a CTE:
    its `id` is the entity's), its other values bound by `bound` (`audit_` names), the patient's id
    too unless `written` has it in `patient_column`, the actor's id and username too unless `actor`
    (a CTE of one row, or none: then no event) has them as `id` and `username`: how a write of several
    statements made into one records its event in that same statement (`audit_guard` sees it as the
    event)."""
    columns = [_TABLE.c[name] for name in _BOUND if not (patient_column and name == "patient_id")]
    from_actor = {} if actor is None else {"actor_id": actor.c.id, "actor_username": actor.c.username}
    from_written = [written.c.id, *([written.c[patient_column]] if patient_column else [])]
    rows = select(*[from_actor.get(column.name, bindparam(f"audit_{column.name}", type_=column.type))
                    for column in columns], *from_written)
    return insert(_TABLE).from_select(
        [*columns, _TABLE.c.entity_id, *([_TABLE.c.patient_id] if patient_column else [])],
        rows if actor is None else rows.select_from(written.join(actor, true())),
    )


def in_one_statement() -> bool:
    """Whether the database runs an INSERT, UPDATE or DELETE inside a WITH (PostgreSQL; not SQLite):
    then a read and its event (`read`), or a write of several statements and its event
    (`insert_for`), go in one statement."""
    return db.session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class AuditedRead:
    """The statements of one audited read of a `model` record, built once: `plain` selects it;
    `with_event` selects it and records its READ event in the same statement."""

    model: type[Model]
    plain: Select
    with_event: Select


def audited_read(found: Select, model: type[Model], *, patient_column: str,
                 options: Callable[[Any], tuple] | None = None) -> AuditedRead:
    """The statements that read the `model` record `found` selects (its columns, by id) for `read`.
    `with_event` records a READ event for each record found (PostgreSQL runs the INSERT whatever the
    SELECT reads of it); its values come from `bound`, the patient's id from the record's
    `patient_column`. `options`: loader options for the record, given its entity or alias."""
    rows = found.cte("found")
    event = insert_for(rows, patient_column=patient_column).cte("read_event")
    record = aliased(model, rows)
    return AuditedRead(model=model, plain=found.options(*(options(model) if options else ())),
                       with_event=select(record).add_cte(event).options(*(options(record) if options else ()))
                       .execution_options(**PREPARED))


@dataclass(frozen=True)
class SignedInRead:
    """The statement of one audited read of a `model` record by the holder of a mobile-app sign-in,
    built once (`signed_in_read`), for `read_by_sign_in`; `record` makes what it read of its columns."""

    model: type[Model]
    statement: Select
    record: Callable[[tuple], Any]


def signed_in_read(shown: Select, model: type[Model], *, patient_column: str, holder: FromClause,
                   record: Callable[[tuple], Any]) -> SignedInRead:
    """The Core statement that selects the id of the account whose sign-in `holder` finds honoured
    (`sessions.APP_HOLDER`: no row when it is not), then the columns of the `model` record `shown`
    selects (as the API shows it, by id among those of `:actor_id`; NULLs when there is none), and
    records a READ event, that account its actor and the patient's id from the record's
    `patient_column`, only for a record found and a sign-in honoured."""
    rows = shown.cte("found")
    event = insert_for(rows, patient_column=patient_column, actor=holder).cte("read_event")
    return SignedInRead(model=model, record=record, statement=(
        select(holder.c.id, *rows.c).select_from(holder.outerjoin(rows, true())).add_cte(event)
        .execution_options(**PREPARED, **ALONE)))


def read(statements: AuditedRead, values: dict, *, actor, via: str) -> Any:
    """The audited read: the record `statements` select with `values`, or NotFound, and a READ event
    recording that `actor` read it through `via`, in the same transaction (and the same statement
    where `in_one_statement`)."""
    with atomic():
        if in_one_statement():
            event = bound(actor=actor, via=via, action=READ, model=statements.model, patient_id=None, changes=None)
            found = db.session.scalar(statements.with_event, {**values, **event})
        else:
            found = db.session.scalar(statements.plain, values)
            if found is not None:
                record(actor=actor, via=via, action=READ, entity=found)
    if found is None:
        raise NotFound("Not found.")
    return found


def read_by_sign_in(signed_in: SignedInRead, name: str, record_id, *, sign_in: dict,
                    via: str) -> tuple[int, Any] | None:
    """`read` for the holder of a mobile-app token whose sign-in is not judged yet, where the
    database does it in one statement (`in_one_statement`): `signed_in`'s statement judges the
    sign-in as `sessions.token_holder` would (`sessions.APP_HOLDER`, with `sign_in` from
    `sessions.sign_in_values`), reads the record `record_id` (bound as `name`) among those of the
    account the token names, and records the READ event, the account its actor, as a transaction
    by itself (`ALONE`: no BEGIN or COMMIT sent).

    The account's id and the record, made by `signed_in.record` (None when the account sees no such
    record: no event); None when the sign-in is not honoured, or the database cannot do it in one
    statement, or `record_id` is not an id (nothing read, nothing recorded): the caller judges the
    sign-in the full way, and reads with `read`."""
    if not in_one_statement() or not rules.is_id(record_id):
        return None
    values = {name: record_id, "actor_id": sign_in["user_id"]}
    # (its actor's values are the holder's, in the statement: those `bound` gives go unused)
    event = bound(actor=None, via=via, action=READ, model=signed_in.model, patient_id=None, changes=None)
    with atomic():
        row = db.session.connection().execute(signed_in.statement, {**values, **sign_in, **event}).first()
    if row is None:
        return None
    return row[0], (None if row[1] is None else signed_in.record(tuple(row[1:])))


def bound(*, actor, via: str, action: str, model: type[Model], patient_id: int | None, changes: dict | None) -> dict:
    """The values of `insert_for`'s event about a record of `model`, by their bound names."""
    values = _values(actor=actor, via=via, action=action, entity_type=model.__tablename__.rstrip("s"),
                     entity_id=None, patient_id=patient_id, changes=changes)
    return {f"audit_{name}": values[name] for name in _BOUND}


def add(event: dict, *, entity_id: int) -> None:
    """Add the event `bound` gave the values of, about `entity_id`, to the current transaction, as
    a statement of its own (where `insert_for` cannot join the write's)."""
    db.session.execute(_INSERT, {**{name: event[f"audit_{name}"] for name in _BOUND}, "entity_id": entity_id})


def _entity_type(entity) -> str:
    return type(entity).__tablename__.rstrip("s")


def record(*, actor, via: str, action: str, entity, changes: dict | None = None) -> None:
    """Add one audit event for `entity` (a model object with an id) to the current transaction."""
    patient_id = entity.id if isinstance(entity, Patient) else getattr(entity, "patient_id", None)
    _event(actor=actor, via=via, action=action, entity_type=_entity_type(entity),
                  entity_id=entity.id, patient_id=patient_id, changes=changes)


def record_export(*, actor, via: str, entity_type: str, file_format: str, filters: dict, rows: int,
                  patient_id: int | None = None) -> None:
    """Add one audit event for one export to the current transaction: the list exported
    (`entity_type`; with `patient_id` when it is one patient's record), the format, the filters
    as the caller gave them, and how many records left."""
    _event(actor=actor, via=via, action=EXPORT, entity_type=entity_type, entity_id=patient_id,
                  patient_id=patient_id, changes={"format": file_format, "filters": filters, "rows": rows})


def events_for(*, entity_type: str | None = None, entity_id: int | None = None,
               patient_id: int | None = None) -> list[AuditEvent]:
    """Audit events, oldest first, optionally for one entity or one patient."""
    stmt = select(AuditEvent).order_by(AuditEvent.at, AuditEvent.id)
    if entity_type is not None:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Change:
    """Who last changed a record, and when (UTC): `by` is the actor's name as it is now (their
    username if they have no name, or the username recorded if they are gone)."""

    by: str
    actor_username: str
    at: datetime


# Each record's page asks who last changed it: the statement is built once, and prepared. Its actions
# are written into it, not sent as values, so that even a plan made for any record reads the partial
# index of creates and updates (migration 0010).
_LAST_CHANGE = (
    select(AuditEvent.at, AuditEvent.actor_username, User)
    .outerjoin(User, User.id == AuditEvent.actor_id)
    .where(AuditEvent.entity_type == bindparam("entity_type"), AuditEvent.entity_id == bindparam("entity_id"),
           AuditEvent.action.in_(bindparam("changes", (CREATE, UPDATE), expanding=True, literal_execute=True)))
    .order_by(AuditEvent.id.desc()).limit(1)  # writes to one record are serialised by its row lock
    .execution_options(**PREPARED)
)


def last_change(entity) -> Change | None:
    """The latest create or update recorded for `entity`, in one query."""
    row = db.session.execute(_LAST_CHANGE, {"entity_type": _entity_type(entity), "entity_id": entity.id}).first()
    if row is None:
        return None
    moment = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    return Change(by=row.User.display_name if row.User is not None else row.actor_username,
                  actor_username=row.actor_username, at=moment.astimezone(UTC))


def purge(*, actor, via: str, before: date) -> int:
    """Delete the events recorded before the start of `before` (UTC), except records of purges,
    and record this purge (the date and how many were removed) in the same transaction.
    Returns how many events were removed."""
    cutoff = datetime.combine(before, time.min, tzinfo=UTC)
    with atomic():
        result = db.session.execute(
            delete(AuditEvent).where(AuditEvent.at < cutoff, AuditEvent.action != PURGE)
            .execution_options(synchronize_session=False)
        )
        removed = cast(CursorResult, result).rowcount
        _event(actor=actor, via=via, action=PURGE, entity_type="audit", entity_id=None, patient_id=None,
               changes={"before": before.isoformat(), "removed": removed})
    return removed
