"""The signed-in clinician's own account: changing the password, and the sessions signed in as them."""
from flask import current_app, flash, redirect, render_template, request, url_for

from healthpal import server_sessions, sign_in_throttle
from healthpal.domain import channels, sessions, users
from healthpal.domain.exceptions import Invalid, Throttled
from healthpal.web import bp, me
from healthpal.web.auth import wait_message

PASSWORD_FIELDS = ("old_password", "new_password1", "new_password2")


def _page(errors: dict, status: int = 200, throttled: str | None = None):
    signed_in = sessions.active_for(actor=me(), idle=current_app.config["HEALTHPAL_IDLE_TIMEOUT"])
    return render_template("account.html", errors=errors, signed_in=signed_in, throttled=throttled,
                           current_id=server_sessions.current_id()), status


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Show the account and where it is signed in; change the password (current one, then the new one
    twice). Wrong current passwords count as failed sign-ins: too many, and the page says when to try again."""
    if request.method == "GET":
        return _page({})
    data = {name: request.form.get(name, "") for name in PASSWORD_FIELDS}
    try:
        users.change_password(actor=me(), via=channels.PORTAL, data=data, address=request.remote_addr or "",
                              throttle=sign_in_throttle.current())
    except Throttled as error:
        page, status = _page({}, 429, throttled=wait_message(error.retry_after))
        return page, status, {"Retry-After": str(error.retry_after)}
    except Invalid as error:
        return _page(error.errors, 422)
    # The change ended every session of this user, this one included: carry on in a fresh one.
    server_sessions.renew()
    flash("Your password has been changed. Your other sessions and the mobile app were signed out.", "success")
    return redirect(url_for("web.account"))


@bp.post("/account/sessions/<int:record_id>/end")
def end_session(record_id: int):
    """End one browser session or mobile sign-in of this account."""
    sessions.end_one(actor=me(), via=channels.PORTAL, record_id=record_id)
    flash("That session was signed out.", "success")
    return redirect(url_for("web.account"))


@bp.post("/account/sessions/end-others")
def end_other_sessions():
    """End every session and mobile sign-in of this account but this browser's."""
    ended = sessions.end_others(actor=me(), via=channels.PORTAL, keep=server_sessions.current_id())
    flash(f"Signed out everywhere else ({ended} session{'s' if ended != 1 else ''}).", "success")
    return redirect(url_for("web.account"))
