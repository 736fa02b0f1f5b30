"""Server-side portal sessions: the cookie carries only a random session id; what Flask keeps in
`session` (the signed-in user, CSRF token, flashed messages) lives in the session's database record.

A session is honoured only while `domain.sessions.honoured` says so (not ended, within its absolute
lifetime and idle timeout, its user active). Whenever the signed-in user changes (signing in, signing
out) or `session.renew()` is called, the old record is deleted and a new one, with a new id, takes
its place: an id seen before signing in is worthless after it, and a cookie copied before signing out
is refused after it. The portal and the admin panel share this session.
"""
from datetime import datetime
from typing import cast

from flask import Flask, Request, Response, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.datastructures import CallbackDict

from healthpal.domain import sessions
from healthpal.models import SessionRecord, User

USER_ID = "_user_id"  # where Flask-Login keeps the signed-in user's id
_serializer = TaggedJSONSerializer()


class ServerSession(CallbackDict, SessionMixin):
    """The session's contents, as loaded from its record (or empty for a new visitor)."""

    def __init__(self, record: SessionRecord | None = None, *, refused: bool = False):
        super().__init__(_serializer.loads(record.data) if record is not None and record.data else None)
        self.record_id = record.id if record is not None else None
        self.user: User | None = record.user if record is not None else None
        self.loaded = record.data if record is not None else ""
        self.last_used_at = record.last_used_at if record is not None else None
        self.renewed = False
        self.refused = refused  # a cookie came that names no honoured session: it is deleted

    def renew(self) -> None:
        """Give this session a new id when the response goes out (its old record is ended), e.g.
        after a password change that ended every session of the user, this one included."""
        self.renewed = True

    def user_changed(self) -> bool:
        return self.get(USER_ID) != (str(self.user.id) if self.user is not None else None)


def idle_timeout(app: Flask):
    return app.config["HEALTHPAL_IDLE_TIMEOUT"]


class ServerSessionInterface(SessionInterface):
    """Flask's session, kept in the `sessions` table (kind `portal`)."""

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith(f"{app.static_url_path}/"):  # assets need no session
            return ServerSession()
        secret = request.cookies.get(self.get_cookie_name(app))
        record = sessions.honoured(kind=sessions.PORTAL, secret=secret, idle=idle_timeout(app)) if secret else None
        return ServerSession(record, refused=secret is not None and record is None)

    def save_session(self, app: Flask, mixin: SessionMixin, response: Response) -> None:
        session = cast(ServerSession, mixin)  # what open_session gave this request
        if session.record_id is None and not (session or session.refused):
            return  # no session, none wanted (an anonymous page view, an asset)
        response.vary.add("Cookie")
        data = _serializer.dumps(dict(session)) if session else ""
        if session.record_id is not None and not (session.renewed or session.user_changed()):
            try:
                sessions.save(record_id=session.record_id, data=data if data != session.loaded else None,
                              last_used_at=cast(datetime, session.last_used_at))
            except SQLAlchemyError:
                # The response stands (its own writes are committed or reported); the session
                # merely misses this request's "last used" time or flashed message.
                app.logger.warning("Could not save portal session %s", session.record_id, exc_info=True)
            return
        if session.record_id is not None:
            sessions.end(session.record_id)
        if session:
            self._start(app, session, data, response)
        else:
            response.delete_cookie(self.get_cookie_name(app), domain=self.get_cookie_domain(app),
                                   path=self.get_cookie_path(app), secure=self.get_cookie_secure(app),
                                   samesite=self.get_cookie_samesite(app), httponly=self.get_cookie_httponly(app))

    def _start(self, app: Flask, session: ServerSession, data: str, response: Response) -> None:
        user_id = session.get(USER_ID)
        record, secret = sessions.start(
            kind=sessions.PORTAL, user_id=int(user_id) if user_id is not None else None,
            lifetime=app.config["HEALTHPAL_SESSION_LIFETIME"], idle=idle_timeout(app), data=data,
            user_agent=request.user_agent.string, address=request.remote_addr or "",
        )
        response.set_cookie(self.get_cookie_name(app), secret, expires=record.expires_at,
                            domain=self.get_cookie_domain(app), path=self.get_cookie_path(app),
                            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
                            httponly=self.get_cookie_httponly(app))


def signed_in_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of this (honoured) session, loaded with it."""
    user = getattr(session, "user", None)
    return user if user is not None and str(user.id) == user_id else None


def current_id() -> int | None:
    """The id of this browser's session record (to tell it apart on the account page)."""
    return getattr(session, "record_id", None)


def renew() -> None:
    """Carry on in a new session (see ServerSession.renew)."""
    cast(ServerSession, session).renew()


def init_app(app: Flask) -> None:
    app.session_interface = ServerSessionInterface()
