"""The clinician portal (HTML + htmx): thin views over the domain layer."""
from flask import Blueprint, Flask, current_app, flash, redirect, session, url_for
from flask_login import current_user
from htmx_flask import request
from werkzeug.exceptions import Conflict as PageConflict
from werkzeug.exceptions import NotFound as PageNotFound

from healthpal.domain import rules
from healthpal.domain.exceptions import Conflict, NotFound
from healthpal.extensions import login_manager
from healthpal.security import safe_path

bp = Blueprint("web", __name__)
PUBLIC_ENDPOINTS = {"web.login"}


def me():
    """The signed-in user as the model object the domain expects (not Flask-Login's proxy)."""
    return current_user._get_current_object()


from healthpal.web import account, assessments, auth, compare, exports, links, patients, printing  # noqa: E402,F401  (register the views)


@bp.before_request
def require_sign_in():
    """Every portal page but the sign-in needs a signed-in user."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return send_to_sign_in()
    return None


def send_to_sign_in():
    """To the sign-in page, then back here; an htmx request makes the whole page go there.

    Either way the sign-in page says why (a session that timed out mid-search lands there too),
    once, however many htmx requests were refused on the way."""
    if (login_manager.login_message_category, login_manager.login_message) not in session.get("_flashes", []):
        flash(login_manager.login_message, login_manager.login_message_category)
    if request.htmx:
        back = safe_path(request.htmx.current_url) or url_for("web.patient_list")
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = url_for("web.login", next=back)
        return response
    return redirect(url_for("web.login", next=safe_path(request.full_path.rstrip("?"))))


@bp.errorhandler(NotFound)
def not_yours(_error):
    """Another clinician's record, or a missing one: the same 404 page."""
    return current_app.handle_http_exception(PageNotFound())


@bp.errorhandler(Conflict)
def collided(error: Conflict):
    """A write that collided with another in a way no rule explains: nothing was saved; say so."""
    return current_app.handle_http_exception(PageConflict(str(error)))


def init_app(app: Flask) -> None:
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    app.register_blueprint(bp)
    app.jinja_env.globals.update(hints=rules.HINTS, genders=rules.GENDERS, score_range=rules.SCORE_RANGE,
                                 url_for_each=links.url_for_each)
