"""Admin view of users: create (password hashed by the domain), edit, reset a password,
deactivate, delete. Password hashes are never shown, in any list, page, form or export."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import BaseForm
from flask_admin.helpers import get_form_data
from flask_admin.model.template import EndpointLinkRowAction
from wtforms import BooleanField, PasswordField, StringField

from healthpal import server_sessions
from healthpal.admin.base import VIA, DomainView, submitted
from healthpal.domain import rules, users
from healthpal.domain.exceptions import Invalid, NotFound
from healthpal.extensions import db
from healthpal.models import User
from healthpal.security import safe_path

ENDS_ACCESS = "their portal sessions and API tokens stop working at once"
TEXT_FIELDS = ("username", "email", "first_name", "last_name")
# Someone else's new password: the browser must not fill in the admin's own saved one.
NEW_PASSWORD = {"autocomplete": "new-password"}


class UserForm(BaseForm):
    username = StringField("Username", description=rules.HINTS["username"])
    email = StringField("Email")
    first_name = StringField("First name")
    last_name = StringField("Last name")
    is_active = BooleanField("Active", default=True,
                             description=f"Untick to deactivate: the user can no longer sign in, and {ENDS_ACCESS}.")
    is_superuser = BooleanField("Superuser", description="May use this admin panel.")


class NewUserForm(UserForm):
    password = PasswordField("Password", description=rules.HINTS["password"], render_kw=NEW_PASSWORD)


class PasswordForm(BaseForm):
    password = PasswordField("New password", description=rules.HINTS["password"], render_kw=NEW_PASSWORD)


class UserView(DomainView):
    column_list = ("username", "first_name", "last_name", "email", "is_active", "is_superuser", "created_at")
    column_details_list = ("id", *column_list, "updated_at")
    column_export_list = ("id", *column_list)
    column_labels = {"username": "Username", "email": "Email", "first_name": "First name", "last_name": "Last name",
                     "is_active": "Active", "is_superuser": "Superuser", "created_at": "Created (UTC)",
                     "updated_at": "Updated (UTC)"}
    column_searchable_list = ("username", "email", "first_name", "last_name")
    column_filters = ("is_active", "is_superuser")
    column_default_sort = "username"
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-key", ".password_view", title="Reset password")]
    edit_template = "admin/user_edit.html"
    form = UserForm

    def get_create_form(self):
        return NewUserForm

    def form_data(self, form) -> dict:
        data = {name: submitted(form[name]) for name in TEXT_FIELDS}
        data = {name: value for name, value in data.items() if value is not None}
        data.update(is_active=form.is_active.data, is_superuser=form.is_superuser.data)
        if "password" in form:
            data["password"] = submitted(form.password) or ""
        return data

    def find(self, number: int):
        return users.get(user_id=number)

    def domain_create(self, data: dict):
        return users.create(actor=self.actor, via=VIA, data=data)

    def domain_update(self, record, data: dict, **conditions):
        return users.update(actor=self.actor, via=VIA, user_id=record.id, data=data, partial=False, **conditions)

    def domain_delete(self, record) -> None:
        users.delete(actor=self.actor, via=VIA, user_id=record.id)

    @expose("/password/", methods=("GET", "POST"))
    def password_view(self):
        """Set a new password for one user; every session and token they had ends."""
        return_url = safe_path(request.args.get("url")) or self.get_url(".index_view")
        user = self.get_one(request.args.get("id"))
        if user is None:
            flash("That record no longer exists.", "error")
            return redirect(return_url)
        form = PasswordForm(get_form_data())
        if request.method == "POST" and self.validate_form(form):
            try:
                users.set_password(actor=self.actor, via=VIA, user_id=user.id, password=submitted(form.password) or "")
            except Invalid as invalid:
                self.refused(form, invalid, "Could not set the password")
            else:
                if user.id == self.actor.id:
                    server_sessions.renew()  # the reset ended this very session too: carry on in a fresh one
                flash(f"New password set for {user.username}; {ENDS_ACCESS}.", "success")
                return redirect(return_url)
        return self.render("admin/user_password.html", form=form, user=user, return_url=return_url)

    @action("deactivate", "Deactivate",
            f"Deactivate the selected users? They can no longer sign in, and {ENDS_ACCESS}.")
    def action_deactivate(self, ids):
        done = 0
        for raw in ids:
            number = rules.id_number(raw)
            if number is None:
                continue
            try:
                users.deactivate(actor=self.actor, via=VIA, user_id=number)
            except (Invalid, NotFound):
                db.session.rollback()
                continue
            done += 1
        flash(f"{done} user(s) deactivated; {ENDS_ACCESS}.", "success")


def make_view() -> UserView:
    """The admin panel's users view (a new one per app)."""
    return UserView(User, name="Users", endpoint="user")
