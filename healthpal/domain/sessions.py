"""Sign-in sessions: portal browser sessions and mobile-app sign-ins, each one database record.

A session is named by a random secret that only its holder has (the portal cookie's value, or the
`sid` claim of the app's tokens); the record stores its SHA-256 digest, never the secret. `honoured`
is the one judgement of whether a presented session still counts, for the portal and the API alike:
its record exists (signing out, ending it from the account page, a password change or reset, a
deactivation or the deletion of the user all delete records), its absolute lifetime has not run out,
a portal session has been used within the idle timeout, and its user (if signed in) is active and,
for a token, is the very account the token names (`User.key`).
"""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Select, Table, bindparam, delete, false, or_, select, true, update
from sqlalchemy.orm import contains_eager, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from healthpal.domain import audit, clock, rules
from healthpal.domain.exceptions import NotFound
from healthpal.domain.transactions import atomic
from healthpal.extensions import PREPARED, db
from healthpal.models import SessionRecord, User

PORTAL, APP = "portal", "app"
# "Last used" is written at most this often, so that a busy page does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)
USER_AGENT_LENGTH, ADDRESS_LENGTH = 255, 45


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _live(*, now: datetime, idle: timedelta | None):
    """The SQL condition of a record still within its lifetime (and, given `idle`, its idle timeout)."""
    condition = SessionRecord.expires_at > now
    if idle is not None:
        condition = condition & (SessionRecord.last_used_at > now - idle)
    return condition


def _presentable(secret) -> bool:
    return isinstance(secret, str) and bool(secret) and "\x00" not in secret


_SESSIONS, _USERS = cast(Table, SessionRecord.__table__), cast(Table, User.__table__)
# The conditions of a presented session still within its lifetime (the values are parameters), on
# the table's columns: the app's lookup below stays a Core statement, without the ORM's plumbing.
_NAMED_AND_LIVE = (_SESSIONS.c.digest == bindparam("digest"), _SESSIONS.c.kind == bindparam("kind"),
                   _SESSIONS.c.expires_at > bindparam("now"))
# The lookup of a presented session, built once (each request runs it).
_PRESENTED = (select(SessionRecord).outerjoin(SessionRecord.user).options(contains_eager(SessionRecord.user))
              .where(*_NAMED_AND_LIVE).execution_options(**PREPARED))
_PRESENTED_NOT_IDLE = _PRESENTED.where(SessionRecord.last_used_at > bindparam("idle_since"))


def _app_sign_in(*columns) -> Select:
    """`columns` of a mobile sign-in still honoured (`honoured`'s judgement, its account's checks in
    the WHERE) and its account: one row, or none."""
    return (select(*columns).join_from(_SESSIONS, _USERS, _USERS.c.id == _SESSIONS.c.user_id)
            .where(*_NAMED_AND_LIVE, _USERS.c.id == bindparam("user_id"), _USERS.c.key == bindparam("user_key"),
                   _USERS.c.is_active))


# Its record's id and its account's columns, read without the ORM's loading (API requests run it).
_APP_SIGN_IN = _app_sign_in(_SESSIONS.c.id, *_USERS.columns).execution_options(**PREPARED)
# The account (its columns; `account` makes its User) of a mobile sign-in still honoured, for a
# statement that judges the sign-in and does its work at once: an audited read
# (`audit.signed_in_read`), or a write's first lock (`assessments.create_by_sign_in`,
# `update_by_sign_in`). Its values come from `sign_in_values`.
APP_HOLDER = _app_sign_in(*_USERS.columns).cte("holder")
_USER_FIELDS = tuple(column.key for column in _USERS.columns)


def honoured(*, kind: str, secret, idle: timedelta | None = None, user_id: int | None = None,
             user_key=None) -> SessionRecord | None:
    """The session record `secret` names if it is still honoured, its user loaded; otherwise None.

    `idle`: the idle timeout (portal sessions). `user_id` and `user_key`: the account a token
    claims; the record must belong to that very account.
    """
    if not _presentable(secret):
        return None
    now = clock.now()
    values = {"digest": _digest(secret), "kind": kind, "now": now}
    if idle is not None:
        values["idle_since"] = now - idle
    record = db.session.scalar(_PRESENTED if idle is None else _PRESENTED_NOT_IDLE, values)
    if record is None:
        return None
    user = record.user
    if record.user_id is not None and (user is None or not user.is_active):
        return None
    if user_id is not None and not _is_account(user, user_id=user_id, user_key=user_key):
        return None
    return record


def _is_account(user: User | None, *, user_id: int, user_key) -> bool:
    """`user` is still the active account a token names: its id and per-account key (a later account
    given the same id has another key)."""
    return user is not None and user.is_active and user.id == user_id and user.key == user_key


def token_holder(*, secret, user_id: int, user_key) -> tuple[User | None, int | None]:
    """The account and sign-in of a mobile-app token. While `honoured` would honour the sign-in: its
    user and the id of its record. Otherwise no record, and the account the token names while it is
    still that active account (None once deleted or deactivated), so that an ended sign-in of a live
    account can be told from an account that is gone. One query; a second only for a token no longer
    honoured."""
    if not rules.is_id(user_id):
        return None, None
    if _presentable(secret):
        # on the session's connection, in its transaction, without the ORM's execution of a
        # statement that loads no object (a third of this check's cost, on every API request)
        row = db.session.connection().execute(_APP_SIGN_IN, sign_in_values(secret=secret, user_id=user_id,
                                                                           user_key=user_key)).first()
        if row is not None:
            return _in_session(row[1:]), row[0]
    user = db.session.get(User, user_id)
    return (user if _is_account(user, user_id=user_id, user_key=user_key) else None), None


def sign_in_values(*, secret, user_id: int, user_key) -> dict | None:
    """The values with which a statement reading `APP_HOLDER` judges a mobile-app token's sign-in as
    `token_holder` does; None for a token whose sign-in no statement could find (`token_holder`
    tells why)."""
    if not rules.is_id(user_id) or not _presentable(secret):
        return None
    return {"digest": _digest(secret), "kind": APP, "now": clock.now(), "user_id": user_id, "user_key": user_key}


def account(columns) -> User:
    """The User of its columns in order (`users`' columns, as `APP_HOLDER` has them), apart from
    the session: who did something, for the rules and the audit trail."""
    return User(**dict(zip(_USER_FIELDS, columns, strict=True)))


def _in_session(columns) -> User:
    """`account`, in the session as if the ORM had loaded it (the one the session holds already, if
    it does)."""
    held = db.session.identity_map.get(identity_key(User, columns[0]))
    if held is not None:
        return held
    user = account(columns)
    make_transient_to_detached(user)
    db.session.add(user)
    return user


def start(*, kind: str, user_id: int | None, lifetime: timedelta, user_agent: str = "", address: str = "",
          data: str = "", idle: timedelta | None = None) -> tuple[SessionRecord, str]:
    """A new session record and its secret (to hand to the holder, and nowhere else).

    Records that have run out (their lifetime, or `idle` when given) are deleted on the way.
    """
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    record = SessionRecord(digest=_digest(secret), kind=kind, user_id=user_id, data=data,
                           user_agent=user_agent[:USER_AGENT_LENGTH], address=address[:ADDRESS_LENGTH],
                           created_at=now, last_used_at=now, expires_at=now + lifetime)
    with atomic():
        _delete_ended(now=now, idle=idle)
        db.session.add(record)
    return record, secret


def _delete_ended(*, now: datetime, idle: timedelta | None) -> None:
    ended = SessionRecord.expires_at <= now
    if idle is not None:
        ended = or_(ended, (SessionRecord.kind == PORTAL) & (SessionRecord.last_used_at <= now - idle))
    db.session.execute(delete(SessionRecord).where(ended).execution_options(synchronize_session=False))


def save(*, record_id: int, data: str | None, last_used_at: datetime) -> None:
    """Store a portal session's contents (when given) and note that it was used now.

    Without new contents, "last used" (`last_used_at` as loaded) is written only when it is older
    than TOUCH_EVERY. A record deleted meanwhile (the session was ended) stays deleted.
    """
    now = clock.now()
    if data is None and _aware(last_used_at) > now - TOUCH_EVERY:
        return
    values = {"last_used_at": now} if data is None else {"last_used_at": now, "data": data}
    with atomic():
        db.session.execute(update(SessionRecord).where(SessionRecord.id == record_id).values(**values)
                           .execution_options(synchronize_session=False))


def _aware(moment: datetime) -> datetime:
    """SQLite hands back UTC times without their zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def touch(record_id: int) -> None:
    """Note that a mobile sign-in was used now (its refresh token was)."""
    with atomic():
        db.session.execute(update(SessionRecord).where(SessionRecord.id == record_id)
                           .values(last_used_at=clock.now()).execution_options(synchronize_session=False))


def end(*record_ids: int) -> None:
    """End these sessions (signing out); ids of sessions already ended are skipped."""
    with atomic():
        db.session.execute(delete(SessionRecord).where(SessionRecord.id.in_(record_ids))
                           .execution_options(synchronize_session=False))


def end_all_of(user: User) -> None:
    """End every session of `user`, within the caller's transaction (a password change, reset,
    deactivation): their portal sessions and mobile sign-ins stop being honoured at once."""
    db.session.execute(delete(SessionRecord).where(SessionRecord.user_id == user.id)
                       .execution_options(synchronize_session=False))


def active_for(*, actor: User, idle: timedelta) -> list[SessionRecord]:
    """The actor's sessions still honoured, browser sessions and mobile sign-ins, most recently used first."""
    now = clock.now()
    portal_live = (SessionRecord.kind == PORTAL) & _live(now=now, idle=idle)
    app_live = (SessionRecord.kind == APP) & _live(now=now, idle=None)
    stmt = (select(SessionRecord).where(SessionRecord.user_id == actor.id, or_(portal_live, app_live))
            .order_by(SessionRecord.last_used_at.desc(), SessionRecord.id.desc()))
    return list(db.session.scalars(stmt))


def end_one(*, actor: User, via: str, record_id: int) -> None:
    """The actor ends one of their own sessions or mobile sign-ins (from the account page); someone
    else's, or one already ended, is NotFound."""
    owned = SessionRecord.id == record_id if rules.is_id(record_id) else false()
    if not _end_owned(actor=actor, via=via, which=owned):
        raise NotFound("Not found.")


def end_others(*, actor: User, via: str, keep: int | None) -> int:
    """The actor ends every session and mobile sign-in of theirs but `keep` (this browser's).
    Returns how many ended."""
    return _end_owned(actor=actor, via=via, which=SessionRecord.id != keep if keep is not None else true())


def _end_owned(*, actor: User, via: str, which) -> int:
    """Delete the actor's session records matching `which`, recorded in the audit trail (the ids ended)."""
    ids = sorted(db.session.scalars(select(SessionRecord.id).where(SessionRecord.user_id == actor.id, which)))
    if not ids:
        return 0
    with atomic():
        db.session.execute(delete(SessionRecord).where(SessionRecord.id.in_(ids))
                           .execution_options(synchronize_session=False))
        audit.record(actor=actor, via=via, action=audit.UPDATE, entity=actor, changes={"sessions_ended": ids})
    return len(ids)
