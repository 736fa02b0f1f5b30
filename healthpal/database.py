"""The database connection under faults: pooled connections checked before use, bounded waits,
sessions ended safely over lost connections, and telling "the database is unavailable" apart from
every other error.

PostgreSQL gets its timeouts once per connection, as connection options (`statement_timeout`,
`lock_timeout`, `idle_in_transaction_session_timeout`: no statement per request sets them). A pooled
connection is checked before it is lent without a round trip when it was returned moments ago (the
server closing it, on a restart or a failover, leaves its socket readable), with a ping otherwise
(`check_out`). psycopg2 waits for the server through a callback that
gives up after a deadline: a server or network that stops answering (no reply, not even an error)
fails the request after the connect timeout, or the statement timeout plus a margin, instead of
holding the worker until gunicorn kills it; after such a wait, new connections of that engine fail
at once for BACKOFF_SECONDS rather than wait again, so the requests queued behind it are answered
too. SQLite waits at most the lock timeout for a writer.

A statement marked `ALONE` (`healthpal.extensions`) that opens its transaction is sent in autocommit
mode (`_begin_alone`): PostgreSQL makes it a transaction of its own, and psycopg2 sends neither BEGIN
before it nor COMMIT when the session commits.
"""
import select
import sqlite3
import time
from functools import cache, partial

import psycopg2
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, g, has_app_context
from psycopg2.extensions import (
    POLL_OK,
    POLL_READ,
    POLL_WRITE,
    STATUS_READY,
    STATUS_SETUP,
    connection,
    set_wait_callback,
)
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Dialect, Engine, ExceptionContext, make_url

from healthpal import prepared_statements
from healthpal.extensions import ALONE, db

# What SQLite says when the database itself cannot be used (rather than the statement being wrong).
SQLITE_UNAVAILABLE = ("unable to open database file", "database is locked", "disk I/O error")

# Beyond the server's own statement timeout, how long to wait for its answer (the cancellation
# error) before deciding that the server or the network is gone.
STATEMENT_MARGIN_SECONDS = 0.5
BACKOFF_SECONDS = 2
# A pooled connection idle for longer than this is pinged before it is lent again.
PING_AFTER_IDLE_SECONDS = 5
_RETURNED_AT = "healthpal.returned_at"
_ALONE = next(iter(ALONE))


def init_app(app: Flask) -> None:
    """After Flask-SQLAlchemy is bound (teardowns run last-registered first): each app context's
    session ends here, even over a connection lost after the answer was ready. PostgreSQL's pooled
    connections are checked as they are lent (`check_out`), and the hot paths' statements are
    prepared on them (`prepared_statements`) unless DATABASE_PREPARED_STATEMENTS is off."""
    app.teardown_appcontext(end_session)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        event.listen(engine, "checkin", _note_return)
        event.listen(engine, "checkout", partial(check_out, engine.dialect))
        event.listen(engine, "before_cursor_execute", _begin_alone)
        event.listen(engine, "after_cursor_execute", _end_alone)
        event.listen(engine, "handle_error", _end_alone_after_error)
        if app.config["DATABASE_PREPARED_STATEMENTS"]:
            prepared_statements.install(engine)
    if not event.contains(db.session, "after_commit", _note_commit):
        event.listen(db.session, "after_commit", _note_commit)


def end_session(_error: BaseException | None = None) -> None:
    """Roll back and close the session; a connection lost meanwhile is simply discarded."""
    try:
        db.session.remove()
    except exc.SQLAlchemyError as error:
        if not unavailable(error):
            raise
        db.session.remove()     # the pool has invalidated the connection; this forgets the session


def _note_return(_dbapi_connection, record) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def check_out(dialect: Dialect, dbapi_connection, record, _proxy) -> None:
    """Before a pooled PostgreSQL connection is lent: one returned moments ago whose socket has
    nothing to read is trusted as is; otherwise (the server sent something while it was idle, such
    as the notice and end of file of a connection it closed, or it has been idle a while) a ping
    decides, and a dead connection discards every pooled one, as SQLAlchemy's own pre-ping does
    (the pool then connects afresh). A brand-new connection needs no check."""
    returned = record.info.get(_RETURNED_AT)
    if returned is None:
        return
    if time.monotonic() - returned < PING_AFTER_IDLE_SECONDS and not _readable(dbapi_connection):
        return
    try:
        _ping(dialect, dbapi_connection)
    except psycopg2.Error as error:
        if dialect.is_disconnect(error, dbapi_connection, None):
            raise exc.InvalidatePoolError() from error
        raise


def _ping(dialect: Dialect, dbapi_connection) -> None:
    """SQLAlchemy's ping, waiting at most the connect timeout (`TimedConnection.deadline`)."""
    timed = isinstance(dbapi_connection, TimedConnection)
    if timed:
        dbapi_connection.pinging = True
    try:
        dialect.do_ping(dbapi_connection)
    finally:
        if timed:
            dbapi_connection.pinging = False


def _readable(dbapi_connection) -> bool:
    """Whether the server sent anything (data or end of file) to this idle connection, or it is closed."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def _begin_alone(_connection, cursor, _statement, _parameters, context, _executemany) -> None:
    """Send a statement marked ALONE that opens its transaction in autocommit mode. One sent inside
    an open transaction joins it, as any statement does."""
    dbapi_connection = cursor.connection
    if (context is not None and context.execution_options.get(_ALONE) and isinstance(dbapi_connection, TimedConnection)
            and dbapi_connection.status == STATUS_READY and not dbapi_connection.autocommit):
        dbapi_connection.alone = dbapi_connection.autocommit = True


def _end_alone(_connection, cursor, *_args) -> None:
    _transactions_again(cursor.connection)


def _end_alone_after_error(context: ExceptionContext) -> None:
    cursor = getattr(context.execution_context, "cursor", None)
    if cursor is not None:
        _transactions_again(cursor.connection)


def _transactions_again(dbapi_connection) -> None:
    """After a statement sent alone, the connection's next statement opens a transaction again."""
    if getattr(dbapi_connection, "alone", False):
        dbapi_connection.alone = False
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = False


def _note_commit(_session) -> None:
    if has_app_context():
        g.database_committed = True


def lost_before_commit(error: BaseException) -> bool:
    """The connection was lost (closed, not merely slow) while this request had committed nothing:
    the server rolled back whatever it did, so running the request again changes nothing twice."""
    return (isinstance(error, exc.DBAPIError) and error.connection_invalidated
            and not isinstance(error.orig, Unanswered) and not g.get("database_committed"))


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS for the configured database and timeouts (seconds; 0 = none)."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    connect = config["DATABASE_CONNECT_TIMEOUT"]
    statement = config["DATABASE_STATEMENT_TIMEOUT"]
    if url.get_backend_name() == "postgresql":
        set_wait_callback(wait)   # for the whole process; connections without a deadline wait as before
        settings = {
            "statement_timeout": statement,
            "lock_timeout": config["DATABASE_LOCK_TIMEOUT"],
            "idle_in_transaction_session_timeout": config["DATABASE_IDLE_IN_TRANSACTION_TIMEOUT"],
        }
        return {"connect_args": {
            "options": " ".join(f"-c {name}={round(seconds * 1000)}" for name, seconds in settings.items()),
            "connection_factory": partial(TimedConnection, deadlines=Deadlines(
                connect_seconds=connect or None,
                statement_seconds=statement + STATEMENT_MARGIN_SECONDS if statement else None,
            )),
        }}
    if url.get_backend_name() == "sqlite":
        return {"pool_pre_ping": True, "connect_args": {"timeout": config["DATABASE_LOCK_TIMEOUT"]}}
    return {"pool_pre_ping": True}


class Unanswered(psycopg2.OperationalError):
    """The server did not answer in time (or did not, moments ago)."""


class Deadlines:
    """How long the connections of one engine wait for the server; and, once it has let one wait
    in vain, the moment until which connecting or pinging fails at once."""

    def __init__(self, connect_seconds: float | None, statement_seconds: float | None):
        self.connect_seconds, self.statement_seconds = connect_seconds, statement_seconds
        self.backing_off_until = 0.0

    def backing_off(self) -> bool:
        return time.monotonic() < self.backing_off_until

    def missed(self, seconds: float) -> Unanswered:
        self.backing_off_until = time.monotonic() + BACKOFF_SECONDS
        return Unanswered(f"the database server did not answer within {seconds:g} s")


class TimedConnection(connection):
    """A psycopg2 connection that knows how long to wait for the server."""

    pinging = False   # the ping before a pooled connection is lent again (`check_out`)
    alone = False     # sending a statement marked ALONE, in autocommit mode (`_begin_alone`)

    def __init__(self, *args, deadlines: Deadlines, **kwargs):
        self.deadlines = deadlines
        super().__init__(*args, **kwargs)

    def deadline(self) -> float | None:
        """Connecting, or the ping before a pooled connection is lent again, takes a round trip or
        two: a server that has not answered within the connect timeout is not there. A statement,
        in a transaction or in autocommit mode (one sent alone, a VACUUM), may run until the
        server's statement timeout cancels it."""
        if self.status == STATUS_SETUP or self.pinging:
            return 0.0 if self.deadlines.backing_off() else self.deadlines.connect_seconds
        return self.deadlines.statement_seconds


def wait(conn) -> None:
    """Wait as blocking libpq would, but give up at the connection's deadline.

    Raising here makes psycopg2 close the connection; SQLAlchemy then sees a disconnect and
    discards it from the pool.
    """
    limit = conn.deadline() if isinstance(conn, TimedConnection) else None
    give_up = None if limit is None else time.monotonic() + limit
    while (state := conn.poll()) != POLL_OK:
        if state not in (POLL_READ, POLL_WRITE):
            raise psycopg2.OperationalError(f"unexpected state from poll(): {state!r}")
        if limit == 0:
            raise Unanswered("the database server did not answer moments ago")
        poller = select.poll()   # afresh each time: libpq may move to another socket while connecting
        poller.register(conn.fileno(), select.POLLIN if state == POLL_READ else select.POLLOUT)
        remaining = None if give_up is None else max(0.0, give_up - time.monotonic()) * 1000
        if not poller.poll(remaining):
            raise conn.deadlines.missed(limit)


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached, or did not answer in time
    (refused, dropped or stalled connections, timeouts, a full pool), not that the request was wrong."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.OperationalError) and isinstance(error.orig, sqlite3.Error):
        # SQLite reports a wrong statement ("no such table") as an OperationalError too
        return any(reason in str(error.orig) for reason in SQLITE_UNAVAILABLE)
    return isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError | exc.DisconnectionError)


def describe(error: BaseException, url: URL | str) -> str:
    """One line for people: which database (without its password) and what went wrong."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__]
    return f"the database {make_url(url).render_as_string(hide_password=True)} is unavailable ({reason[0]})"


@cache
def newest_migrations(migrations: str) -> frozenset[str]:
    return frozenset(ScriptDirectory(migrations).get_heads())


def schema_problem(engine: Engine, migrations: str) -> str | None:
    """None when the database answers and its schema is at the newest migration, else why not."""
    expected = newest_migrations(migrations)
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current != expected:
        found = ", ".join(sorted(current)) or "none"
        return f"the database schema is at migration {found}, not {', '.join(sorted(expected))}"
    return None
