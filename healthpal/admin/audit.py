"""Admin view of the audit trail: read-only, newest first, filterable.

Nothing here can create, edit or delete an event; events are only ever removed by
`flask --app wsgi purge-audit --before YYYY-MM-DD`, which is itself recorded.
"""
import json

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from sqlalchemy.orm import joinedload

from healthpal.admin.base import AdminView
from healthpal.admin.filters import IdEqual, UtcDay
from healthpal.domain import audit, channels
from healthpal.models import AuditEvent

SHORT = 300


def changes(view, context, model, name) -> str:
    return json.dumps(model.changes, ensure_ascii=False) if model.changes else ""


def changes_in_short(view, context, model, name) -> str:
    """The list shows the start of long changes (a deleted assessment carries all its rounds)."""
    text = changes(view, context, model, name)
    return text if len(text) <= SHORT else text[:SHORT] + "…"


def current_username(view, context, model, name) -> str:
    """The actor's username today (usernames can change; the event keeps the one at the time)."""
    return model.actor.username if model.actor is not None else ""


def options(values) -> tuple:
    return tuple((value, value) for value in values)


class AuditView(AdminView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("at", "actor_username", "actor_id", "actor", "action", "entity_type", "entity_id", "patient_id",
                   "channel", "changes")
    column_details_list = ("id", *column_list)
    column_export_list = column_details_list
    column_labels = {"at": "Time (UTC)", "actor_username": "Actor", "actor_id": "Actor id",
                     "actor": "Actor's username now", "entity_type": "Entity", "entity_id": "Entity id",
                     "patient_id": "Patient id"}
    column_formatters = {"changes": changes_in_short, "actor": current_username}
    column_formatters_detail = column_formatters_export = {"changes": changes, "actor": current_username}
    column_sortable_list = ("at", "actor_username", "action", "entity_type", "channel")
    column_default_sort = [("at", True), ("id", True)]
    column_filters = (
        FilterEqual(AuditEvent.actor_username, "Actor"),
        FilterLike(AuditEvent.actor_username, "Actor"),
        IdEqual(AuditEvent.actor_id, "Actor id"),
        IdEqual(AuditEvent.patient_id, "Patient id"),
        FilterEqual(AuditEvent.action, "Action", options=options(audit.ACTIONS)),
        FilterEqual(AuditEvent.channel, "Channel", options=options(channels.ALL)),
        FilterEqual(AuditEvent.entity_type, "Entity", options=options(audit.ENTITY_TYPES)),
        IdEqual(AuditEvent.entity_id, "Entity id"),
        UtcDay(AuditEvent.at, "Date", "on"),
        UtcDay(AuditEvent.at, "Date", "from"),
        UtcDay(AuditEvent.at, "Date", "before"),
    )

    def get_query(self):
        """Each event with its actor's current account, in the same query."""
        return super().get_query().options(joinedload(AuditEvent.actor))


def view() -> AuditView:
    return AuditView(AuditEvent, name="Audit log", endpoint="audit")
