"""Who may use the admin panel: signed-in superusers only."""
from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView
from flask_login import current_user

from healthpal.domain import scope


class SuperuserOnly:
    """Mixed into every admin view: anonymous visitors are sent to the portal's sign-in page (and
    back here afterwards); a signed-in user who is not a superuser gets 403 on every admin URL."""

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and scope.is_administrator(current_user)

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            abort(403)
        return redirect(url_for("web.login", next=request.url))


class IndexView(SuperuserOnly, AdminIndexView):
    """The admin panel's home page."""
