"""Scope: who reaches which records. A clinician reaches their own patients and assessments (the
`visible` queries of `patients` and `assessments`) and their own account; an administrator, in the
admin panel, every record (`sees_everything`)."""
from healthpal.domain import channels, rules
from healthpal.domain.exceptions import NotFound
from healthpal.models import User


def is_administrator(actor: User | None) -> bool:
    """Who may use the admin panel: superusers."""
    return actor is not None and actor.is_superuser


def sees_everything(actor: User | None, via: str) -> bool:
    """Administrators see (and change) every record, but only through the admin panel."""
    return via == channels.ADMIN and is_administrator(actor)


def by_id(actor: User, via: str, name: str, record_id) -> tuple[bool, dict]:
    """Whether `actor` sees every record through `via`, and the values naming the record `record_id`
    (bound as `name`) among those they see (`actor_id`, unless they see every one); NotFound for
    what is not an id."""
    if not rules.is_id(record_id):
        raise NotFound("Not found.")
    everything = sees_everything(actor, via)
    return everything, {name: record_id} if everything else {name: record_id, "actor_id": actor.id}
