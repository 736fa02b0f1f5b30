"""Portal sign-in: which user a session belongs to, signing in and signing out."""
import math

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from healthpal import server_sessions, sign_in_throttle
from healthpal.domain import channels, users
from healthpal.domain.exceptions import Invalid, Throttled
from healthpal.extensions import login_manager
from healthpal.security import safe_path
from healthpal.web import bp


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in user of this browser's session (loaded, and judged, with the session itself)."""
    return server_sessions.signed_in_user(user_id)


def wait_message(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    if seconds < 60:
        return f"Too many failed sign-in attempts. Try again in {seconds} seconds."
    return f"Too many failed sign-in attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with username and password, under the failed-login throttle the API shares."""
    next_path = safe_path(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("web.patient_list"))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_path, errors={}, username="")
    username = request.form.get("username")
    try:
        user = users.sign_in(username=username, password=request.form.get("password"),
                             address=request.remote_addr or "", via=channels.PORTAL,
                             throttle=sign_in_throttle.current())
    except Throttled as error:
        page = render_template("auth/login.html", next=next_path, errors={}, username=username or "",
                               throttled=wait_message(error.retry_after))
        return page, 429, {"Retry-After": str(error.retry_after)}
    except Invalid as error:
        return render_template("auth/login.html", next=next_path, errors=error.errors,
                               username=username or ""), 422
    session.clear()
    login_user(user)  # a new signed-in user: the session gets a new id (healthpal.server_sessions)
    flash(f"Welcome, {user.display_name}.", "success")
    return redirect(next_path or url_for("web.patient_list"))


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign the clinician out): the
    session's record is deleted, so its cookie is refused from now on, wherever it was copied to."""
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("web.login"))
