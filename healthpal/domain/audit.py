"""The audit trail: an append-only record of every change, and every read of one record.

`record` adds the event to the current transaction, so it commits (or rolls back) together with
the change it describes.
"""
from datetime import date, datetime

from sqlalchemy import delete, select

from healthpal.domain import channels, clock
from healthpal.extensions import db
from healthpal.models import AuditEvent, Patient

CREATE, UPDATE, DELETE, READ, PURGE = "create", "update", "delete", "read", "purge"
ACTIONS = (CREATE, UPDATE, DELETE, READ, PURGE)
SECRET_FIELDS = frozenset({"password", "password_hash"})


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def diff(before: dict, after: dict) -> dict:
    """`{field: [old, new]}` for each field whose value changed; secrets say only that they changed."""
    changes = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in SECRET_FIELDS:
            changes[name] = "changed"
        else:
            changes[name] = [_plain(old), _plain(new)]
    return changes


def record(*, actor, via: str, action: str, entity, changes: dict | None = None) -> AuditEvent:
    """Add one audit event for `entity` (a model object with an id) to the current transaction."""
    if via not in channels.ALL:
        raise ValueError(f"unknown channel {via!r}")
    entity_type = type(entity).__tablename__.rstrip("s")
    patient_id = entity.id if isinstance(entity, Patient) else getattr(entity, "patient_id", None)
    event = AuditEvent(
        at=clock.now(),
        actor_id=getattr(actor, "id", None),
        actor_username=getattr(actor, "username", ""),
        action=action,
        entity_type=entity_type,
        entity_id=entity.id,
        patient_id=patient_id,
        channel=via,
        changes=changes or None,
    )
    db.session.add(event)
    return event


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


def purge(*, actor, via: str, before: date) -> int:
    """Delete the events older than `before` (UTC); the purge itself is recorded. Returns the count."""
    cutoff = datetime.combine(before, datetime.min.time(), tzinfo=clock.now().tzinfo)
    removed = db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount
    db.session.add(AuditEvent(
        at=clock.now(), actor_id=getattr(actor, "id", None), actor_username=getattr(actor, "username", ""),
        action=PURGE, entity_type="audit", entity_id=None, channel=via,
        changes={"before": before.isoformat(), "removed": removed},
    ))
    db.session.commit()
    return removed
