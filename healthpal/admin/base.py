"""What every admin model view shares: superusers only, ids checked before any query, and a
write path that goes through the domain layer.

Flask-Admin's own writes (`form.populate_obj` + commit) are replaced: a view turns the submitted
form into the domain's data dict and calls the domain as the signed-in superuser, via the admin
channel, so the admin obeys the same rules, with the same messages, as the API and the portal,
and every change is audited. A rule the domain refuses shows as errors on the re-rendered form
(and a flash) and changes nothing. Edit forms carry the record's version in a hidden field: saving
over a newer version changes nothing and says who saved it and when, each differing field showing
its saved value; saving again applies the admin's values deliberately.
"""
import secrets
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import Response, flash, request, stream_with_context
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model import template, typefmt
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.utils import secure_filename

from healthpal.admin import guard
from healthpal.admin.access import SuperuserOnly
from healthpal.domain import audit, channels, rules, spreadsheet, versions
from healthpal.domain.exceptions import Conflict, Invalid, NotFound, Stale
from healthpal.domain.transactions import atomic
from healthpal.extensions import db

VIA = channels.ADMIN
NO_CHOICE = ("", "__None")  # what a cleared select sends


class IdLoader(QueryAjaxModelLoader):
    """Looks up records for an ajax select by text; an id that cannot exist finds nothing."""

    def get_one(self, pk):
        number = rules.id_number(pk)
        return super().get_one(number) if rules.is_id(number) else None


def submitted(field) -> str | None:
    """The text sent for a form field, exactly as sent; None when the field was not sent at all."""
    return field.raw_data[0] if field.raw_data else None


def chosen(field) -> str | None:
    """The id picked in a select, "" for an explicit "none", None when the field was not sent."""
    value = submitted(field)
    return "" if value in NO_CHOICE else value


def messages(errors) -> list[str]:
    """Every message in a domain error value, flattened (nested per-item errors included)."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in messages(value)]
    return [m for value in errors for m in messages(value)]


def utc_time(view, value: datetime, name) -> str:
    """A timestamp as UTC to the second, saying so (stored naive-UTC on SQLite, tz-aware on PostgreSQL)."""
    moment = value if value.tzinfo is None else value.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def plain(value) -> str:
    """A value as an admin reads it: dates as YYYY-MM-DD, nothing as ""."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# Flask-Admin's own row actions: what they draw depends on the row's id alone.
BY_ID_ONLY = (template.ViewRowAction, template.ViewPopupRowAction, template.EditRowAction,
              template.EditPopupRowAction, template.DeleteRowAction)


class StampedRowAction(template.BaseListRowAction):
    """One of Flask-Admin's row actions (view, edit, delete), drawn once per page for a placeholder
    id and stamped with each row's id. Drawing them row by row (two URLs built, and a delete form
    rendered field by field through WTForms, 50 times) was half the time of an admin list page;
    the page's bytes are the same. Ids that are not plain digits are drawn as Flask-Admin draws them."""

    def __init__(self, action: template.BaseListRowAction, primary_key: str):
        super().__init__(title=action.title)
        self.action, self.primary_key = action, primary_key
        self.placeholder = f"row{secrets.token_hex(8)}"  # survives URL quoting and HTML escaping as it is
        self.drawn: str | None = None

    @pass_context
    def render_ctx(self, context, row_id, row):
        if not (isinstance(row_id, str) and row_id.isascii() and row_id.isdigit()):
            return self.action.render(context, row_id, row)
        if self.drawn is None:
            stand_in = SimpleNamespace(**{self.primary_key: self.placeholder})
            self.drawn = str(self.action.render(context, self.placeholder, stand_in))
        return Markup(self.drawn.replace(self.placeholder, row_id))


def conditions(form) -> dict:
    """What an update asks of the record besides its data: for a versioned record (its form has a
    hidden `version` field), the version the form was opened at."""
    return {"expected": versions.parse(submitted(form.version))} if "version" in form._fields else {}


class AdminView(SuperuserOnly, ModelView):
    """A superuser-only model view of `model`; ids in URLs are checked before they reach a query."""

    can_view_details = True
    can_export = True
    named_filter_urls = True
    page_size = 50
    # Pages go forward and back without a count of the whole table: counting 1,000,000 audit
    # events (or every assessment of the clinic) cost far more than showing a page of them.
    simple_list_pager = True
    list_template = "admin/list.html"
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: utc_time}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: utc_time}
    column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, datetime: utc_time}

    def __init__(self, model, **kwargs):
        super().__init__(model, db, **kwargs)

    def _handle_view(self, name, **kwargs):
        """Superusers only; then input no view should see is refused (healthpal.admin.guard)."""
        refused = super()._handle_view(name, **kwargs)
        if refused is None:
            guard.refuse_bad_input(name)
        return refused

    def _export_csv(self, return_url):
        """The list as CSV (with the list's search, filters and sort), every cell spreadsheet-safe.
        The export is recorded in the audit trail (who, which list, the filters, how many rows) and
        committed before the file is sent, so the cells are read out as text first (the commit
        expires the records)."""
        _, records = self._export_data()
        rows = [[str(self.get_export_value(record, name)) for name, _ in self._export_columns] for record in records]
        filters = {name: value for name, value in request.args.items()
                   if name in ("search", "sort", "desc") or name.startswith("flt")}
        with atomic():
            audit.record_export(actor=current_user._get_current_object(), via=VIA, entity_type=self.endpoint,
                                file_format="csv", filters=filters, rows=len(rows))
        header = [label for _, label in self._export_columns]
        disposition = f"attachment;filename={secure_filename(self.get_export_name(export_type='csv'))}"
        return Response(stream_with_context(spreadsheet.csv_lines(header, rows)),
                        headers={"Content-Disposition": disposition}, mimetype="text/csv")

    def get_list_row_actions(self):
        """The row actions of this page's list (a new set per page), Flask-Admin's own stamped."""
        if not isinstance(self._primary_key, str):
            return super().get_list_row_actions()
        return [StampedRowAction(action, self._primary_key) if type(action) in BY_ID_ONLY else action
                for action in super().get_list_row_actions()]

    @pass_context
    def list_rows(self, context, rows, actions):
        """Each row of a list page as its id, its buttons (`actions`, the page's row actions) and its
        cells as (column, value), the values Flask-Admin's `get_list_value`: one call per page from
        admin/list.html, where a template call per cell and per button cost more than the values."""
        actions = actions if self.column_display_actions else ()
        columns = [name for name, _ in self._list_columns]
        for row in rows:
            row_id = self.get_pk_value(row)
            yield (row_id, Markup("\n").join(action.render_ctx(context, row_id, row) for action in actions),
                   [(name, self.get_list_value(context, row, name)) for name in columns])

    def get_one(self, id):
        number = rules.id_number(id)
        if not rules.is_id(number):
            return None
        try:
            return self.find(number)
        except NotFound:
            return None

    def find(self, number: int):
        """The record with this id (NotFound if none); views may read through the domain."""
        record = db.session.get(self.model, number)
        if record is None:
            raise NotFound("Not found.")
        return record

    def showing_one(self) -> bool:
        """Whether this request displays one record (its details page, or its edit form)."""
        return request.method == "GET" and request.endpoint in (
            f"{self.endpoint}.details_view", f"{self.endpoint}.edit_view",
        )


class DomainView(AdminView):
    """An admin view whose create, update and delete call the domain.

    Subclasses define `form_data(form)` (the submitted form as the domain's data dict),
    `domain_create(data)`, `domain_update(record, data, **conditions)` and `domain_delete(record)`, and for
    versioned records `shown(values)`;
    `field_names` maps a domain field to the form field showing its errors, where they differ.
    """

    field_names: dict[str, str] = {}

    def form_data(self, form) -> dict:
        raise NotImplementedError

    def domain_create(self, data: dict):
        raise NotImplementedError

    def domain_update(self, record, data: dict, **conditions):
        raise NotImplementedError

    def shown(self, values: dict) -> dict[str, str]:
        """Values in the domain's shape (a Stale refusal's saved ones, or the form's data) as text
        keyed by form field, so the two compare."""
        raise NotImplementedError

    def domain_delete(self, record) -> None:
        raise NotImplementedError

    @property
    def actor(self):
        return current_user._get_current_object()

    def create_model(self, form):
        try:
            return self.domain_create(self.form_data(form))
        except Invalid as invalid:
            self.refused(form, invalid, "Could not create the record")
        return False

    def update_model(self, form, model) -> bool:
        return self.attempt(lambda: self.domain_update(model, self.form_data(form), **conditions(form)), form,
                            "Could not save the record")

    def delete_model(self, model) -> bool:
        return self.attempt(lambda: self.domain_delete(model), None, "Could not delete the record")

    def attempt(self, write, form, what: str) -> bool:
        """Run a domain write on an existing record; show why it was refused, or that it is gone."""
        try:
            write()
        except Invalid as invalid:
            self.refused(form, invalid, what)
            return False
        except NotFound:
            self.gone()
            return False
        except Stale as stale:
            self.overtaken(form, stale)
            return False
        except Conflict as conflict:
            db.session.rollback()
            flash(str(conflict), "error")
            return False
        return True

    def overtaken(self, form, stale: Stale) -> None:
        """Someone saved the record after this form was opened: nothing was changed. Each field whose
        saved value differs from the form's says so; the form now carries the saved version, so
        saving it again applies the admin's values over theirs."""
        db.session.rollback()
        when = utc_time(self, stale.changed_at, "at") if stale.changed_at else "an unknown time"
        flash(f"Not saved: {stale.changed_by or 'someone'} saved this record at {when}, after you opened this "
              "form. Fields that differ show the saved value; save again to apply yours.", "error")
        saved, yours = self.shown(stale.current), self.shown(self.form_data(form))
        for name, value in saved.items():
            if value != yours.get(name) and name in form._fields:
                form[name].errors = [*form[name].errors, f"Saved now: {value or '(empty)'}"]
        form.version.data = str(stale.version)

    def gone(self) -> None:
        db.session.rollback()
        flash("That record no longer exists.", "error")

    def refused(self, form, invalid: Invalid, what: str) -> None:
        """Nothing was changed; show why: on the form's fields where there is one, else as a flash."""
        db.session.rollback()
        flash(f"{what}: please correct the errors shown." if form is not None else f"{what}:", "error")
        for name, errors in invalid.errors.items():
            field = form._fields.get(self.field_names.get(name, name)) if form is not None else None
            if field is None or not self.show_on_field(field, errors):
                for message in messages(errors):
                    flash(message, "error")

    def show_on_field(self, field, errors) -> bool:
        """Put a domain field's messages on its form field; False if they cannot be shown there."""
        if not all(isinstance(message, str) for message in errors):
            return False
        field.errors = [*field.errors, *errors]
        return True
