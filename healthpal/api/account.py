"""The signed-in user's own account: details and password."""
from flask import request

from healthpal import sign_in_throttle
from healthpal.api import body, route, serializers, tokens
from healthpal.domain import channels, users

PASSWORD_SAVED = "New password has been saved."


@route("/auth/user/", methods=["GET"])
def user_detail():
    return serializers.user(tokens.current_user())


@route("/auth/user/", methods=["PUT", "PATCH"])
def user_update():
    """PUT replaces username, first and last name; PATCH changes only the keys sent. Email is read-only."""
    me = tokens.current_user()
    user = users.update(actor=me, via=channels.API, user_id=me.id, data=body.json_object(),
                        partial=request.method == "PATCH")
    return serializers.user(user)


@route("/auth/password/change/", methods=["POST"])
def password_change():
    """Needs the old password; every token issued before stops working (log in again)."""
    users.change_password(actor=tokens.current_user(), via=channels.API, data=body.json_object(),
                          address=request.remote_addr or "", throttle=sign_in_throttle.current())
    return {"detail": PASSWORD_SAVED}
