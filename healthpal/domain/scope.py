"""Scope: who reaches which records. A clinician reaches their own patients and assessments (the
`visible` queries of `patients` and `assessments`) and their own account; an administrator, in the
admin panel, every record (`sees_everything`)."""
from healthpal.domain import channels
from healthpal.models import User


def is_administrator(actor: User | None) -> bool:
    """Who may use the admin panel: superusers."""
    return actor is not None and actor.is_superuser


def sees_everything(actor: User | None, via: str) -> bool:
    """Administrators see (and change) every record, but only through the admin panel."""
    return via == channels.ADMIN and is_administrator(actor)
