"""The signed-in clinician's own account: changing the password."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user

from healthpal.domain import channels, users
from healthpal.domain.exceptions import Invalid, Throttled
from healthpal.web import bp, me
from healthpal.web.auth import wait_message

PASSWORD_FIELDS = ("old_password", "new_password1", "new_password2")


@bp.route("/account", methods=["GET", "POST"])
def account():
    """Show the account; change the password (current one, then the new one twice). Wrong
    current passwords count as failed sign-ins: too many, and the page says when to try again."""
    if request.method == "GET":
        return render_template("account.html", errors={})
    data = {name: request.form.get(name, "") for name in PASSWORD_FIELDS}
    try:
        user = users.change_password(actor=me(), via=channels.PORTAL, data=data, address=request.remote_addr or "")
    except Throttled as error:
        page = render_template("account.html", errors={}, throttled=wait_message(error.retry_after))
        return page, 429, {"Retry-After": str(error.retry_after)}
    except Invalid as error:
        return render_template("account.html", errors=error.errors), 422
    # The change ended every session of this user, this one included: start a fresh one here.
    login_user(user)
    flash("Your password has been changed. Your other sessions and the mobile app were signed out.", "success")
    return redirect(url_for("web.account"))
