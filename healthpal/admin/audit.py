"""Admin view of the audit trail: read-only, newest first, filterable.

Nothing here can create, edit or delete an event; events are only ever removed by
`flask --app wsgi purge-audit --before YYYY-MM-DD`, which is itself recorded.
"""
import json

from flask_admin.contrib.sqla.filters import FilterEqual, FilterLike
from markupsafe import Markup, escape

from healthpal.admin.base import AdminView
from healthpal.admin.filters import IdEqual, UtcDay
from healthpal.domain import audit, channels
from healthpal.models import AuditEvent

SHORT = 300


def changes(view, context, model, name) -> str:
    return json.dumps(model.changes, ensure_ascii=False) if model.changes else ""


def _shown(value, limit: int | None) -> str:
    """One old or new value as people read it: text as it is, anything else as JSON; shortened to `limit`."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if limit is None or len(text) <= limit else text[:limit] + "…"


def changes_table(model, limit: int | None) -> Markup:
    """The changes as a table: one row per field, its old value → its new one (for an export or a
    purge, what was recorded about it)."""
    if not model.changes:
        return Markup("")
    rows = []
    for field, value in model.changes.items():
        if isinstance(value, list) and len(value) == 2:
            cells = (f'<td>{escape(_shown(value[0], limit))}</td><td aria-hidden="true">→</td>'
                     f'<td>{escape(_shown(value[1], limit))}</td>')
        else:
            cells = f'<td colspan="3">{escape(_shown(value, limit))}</td>'
        rows.append(f"<tr><th scope=\"row\">{escape(field)}</th>{cells}</tr>")
    return Markup('<table class="table table-sm audit-changes"><thead><tr><th scope="col">Field</th>'
                  '<th scope="col">Before</th><th scope="col"><span class="sr-only">becomes</span></th>'
                  f'<th scope="col">After</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def changes_in_short(view, context, model, name) -> Markup:
    """The list shows the start of long values (a deleted assessment carries all its rounds)."""
    return changes_table(model, SHORT)


def changes_in_full(view, context, model, name) -> Markup:
    return changes_table(model, None)


def actor(view, context, model, name) -> str:
    """Who did it: their name as it is now, with the username and id recorded at the time."""
    if model.actor_id is None:
        return model.actor_username or "—"
    name = model.actor.display_name if model.actor is not None else model.actor_username
    if name == model.actor_username:
        return f"{name} (id {model.actor_id})"
    return f"{name} ({model.actor_username}, id {model.actor_id})"


def options(values) -> tuple:
    return tuple((value, value) for value in values)


class AuditView(AdminView):
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ("at", "actor_username", "action", "entity_type", "entity_id", "patient_id", "channel", "changes")
    column_details_list = ("id", *column_list)
    column_export_list = column_details_list
    column_labels = {"at": "Time (UTC)", "actor_username": "Actor", "entity_type": "Entity",
                     "entity_id": "Entity id", "patient_id": "Patient id"}
    column_formatters = {"changes": changes_in_short, "actor_username": actor}
    column_formatters_detail = {"changes": changes_in_full, "actor_username": actor}
    column_formatters_export = {"changes": changes}
    column_select_related_list = (AuditEvent.actor,)
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


def make_view() -> AuditView:
    """The admin panel's audit log view (a new one per app)."""
    return AuditView(AuditEvent, name="Audit log", endpoint="audit")
