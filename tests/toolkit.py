"""The tests' toolkit: the helpers every test folder shares (the fixtures built on them are in
`tests/conftest.py`).

- Reading the database: `count`, `audit_rows`, `snapshot`, `stored_rounds`, `reloaded`, `sessions_of`,
  `errors_of`, `user_signing_in` (who the domain signs in with these credentials).
- Counting SQL: `sql_statements()` (a block's statements), `get_with_sql(client, url)`.
- Breaking things: `raising(error)`, a stand-in that fails.
- Signing in: `portal_login` and `api_login` (the answer, whatever it is), `sign_in` (a test client
  signed in to the portal, and so to the admin panel for a superuser), `browser_sign_in` (a Playwright
  page), `signed_in_once` (a mobile sign-in, by the domain).
- Reading forms (through `tests/markup.py`): `version_in` (the record version a form carries).
- Servers of the test's own: `free_port`, `listening`, `wait_until` (never a fixed sleep),
  `new_postgresql_database`, `scratch_postgresql` (a brand-new PostgreSQL database).
"""
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from healthpal import sign_in_throttle
from healthpal.domain import channels, sessions, users
from healthpal.domain.exceptions import Invalid
from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient, QARound, SessionRecord, User
from tests.factories import PASSWORD
from tests.markup import attr, csrf_token, parse

# --- reading the database -----------------------------------------------------------------------------

def count(model, *where) -> int:
    """How many rows of `model` (a model or a table) the database holds now, of those matching `where`."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audit_rows(**where) -> list[AuditEvent]:
    """The audit events whose columns equal `where` (e.g. `action="export"`), oldest first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def snapshot() -> dict:
    """Every stored value a write could touch, as plain data: equal snapshots, nothing changed."""
    db.session.expire_all()

    def dump(model):
        columns = [c.key for c in model.__table__.columns]
        return [tuple(getattr(r, c) for c in columns) for r in db.session.scalars(select(model).order_by(model.id))]

    return {"users": dump(User), "patients": dump(Patient), "assessments": dump(Assessment),
            "rounds": dump(QARound), "audit": dump(AuditEvent)}


def stored_rounds(assessment_id: int) -> list[tuple[str, str]]:
    """The (question, answer) rounds stored for an assessment, in their order."""
    db.session.expire_all()
    stmt = select(QARound).where(QARound.assessment_id == assessment_id).order_by(QARound.position)
    return [(r.question, r.answer) for r in db.session.scalars(stmt)]


def reloaded(model, record_id: int):
    """The record as the database holds it now (nothing cached by this test's session)."""
    db.session.expire_all()
    return db.session.get(model, record_id)


def sessions_of(user) -> int:
    """How many sign-in sessions (portal or mobile app) the database holds for `user`."""
    return count(SessionRecord, SessionRecord.user_id == user.id)


def user_signing_in(username, password) -> User | None:
    """Who signs in with these credentials now (through `users.sign_in`, as the portal and the API
    do), or None when they are refused; a refusal counts as a failed sign-in for the throttle."""
    try:
        return users.sign_in(username=username, password=password, address="192.0.2.1", via=channels.API,
                             throttle=sign_in_throttle.current())
    except Invalid:
        return None


def errors_of(call) -> dict:
    """The field errors `call()` is refused with (it must raise Invalid)."""
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.errors


# --- counting SQL ------------------------------------------------------------------------------------

class Statement(str):
    """One SQL statement as sent to the database; `parameters` are the values sent with it."""

    parameters: object


@contextmanager
def sql_statements() -> Iterator[list[Statement]]:
    """Every SQL statement the app's engine sends inside the block, in order (BEGIN and COMMIT are
    not cursor executions, so they are not among them): `with sql_statements() as sent: ...; len(sent)`."""
    sent: list[Statement] = []

    def record(_connection, _cursor, sql, parameters, _context, _executemany):
        statement = Statement(sql)
        statement.parameters = parameters
        sent.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def get_with_sql(client, url: str):
    """GET `url` (it must answer 200; a streamed body is read to its end); the response and the SQL
    statements it sent."""
    with sql_statements() as sent:
        response = client.get(url)
        body = response.data             # a streamed body (an export) runs to its end in the block
    assert response.status_code == 200, body[:500]
    return response, sent


def raising(error: Exception) -> Callable:
    """A stand-in for a function that fails with `error` however it is called (monkeypatch it in)."""

    def fail(*_args, **_kwargs):
        raise error

    return fail


# --- signing in ------------------------------------------------------------------------------------

def version_in(response) -> str:
    """The record version an edit or delete form carries (sent back to detect a concurrent change).
    `response`: a Flask test response or an `Http` one."""
    return attr(parse(response.data.decode()), 'input[type="hidden"][name="version"]', "value")


def portal_login(client, username: str, password: str = PASSWORD, *, csrf: bool | None = None,
                 data: dict | None = None, **request):
    """Post the portal's sign-in form; the answer (302 when signed in). `client` is a Flask test client,
    or anything with its `open` (e.g. `Http`). The form's CSRF token is fetched first when `csrf`, which
    by default is whether the client's app checks it. `data` adds form fields (e.g. `next`), `request`
    passes on to `open` (e.g. `headers`)."""
    form = {"username": username, "password": password, **(data or {})}
    if csrf is None:
        app = getattr(client, "application", None)
        csrf = app is not None and app.config["WTF_CSRF_ENABLED"]
    if csrf:
        form["csrf_token"] = csrf_token(parse(client.open("/login").data.decode()))
    return client.open("/login", method="POST", data=form, **request)


def sign_in(client, username: str, password: str = PASSWORD, *, csrf: bool | None = None):
    """Sign in through the portal's form (a superuser so reaches the admin panel) as `portal_login`
    does; the client, signed in."""
    response = portal_login(client, username, password, csrf=csrf)
    assert response.status_code == 302, response.data[:500]
    return client


def api_login(client, username: str, password: str = PASSWORD, **request):
    """Log in to the API (`client`: a Flask test client or an `Http`); the answer, with the tokens on 200.
    `request` passes on to `open` (e.g. `headers`, `environ_base`)."""
    return client.open("/api/auth/login/", method="POST", json={"username": username, "password": password},
                       **request)


def browser_sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in as a person would in a Playwright `page`: type, click, wait for the next page to load."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()  # htmx is set up once the page has loaded


def signed_in_once(user) -> None:
    """Give `user` a mobile-app sign-in, as logging in would (through the domain, no request)."""
    sessions.start(kind=sessions.APP, user_id=user.id, lifetime=timedelta(days=1))


# --- servers of the test's own -------------------------------------------------------------------

def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port` now."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def wait_until(condition, *, seconds: float, what: str, every: float = 0.05):
    """Ask `condition()` again and again until it answers something true, and return that; the test
    fails if `seconds` pass first. For waiting on a real server or process: never a fixed sleep."""
    deadline = time.monotonic() + seconds
    while not (answer := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:g} s: {what}")
        time.sleep(every)
    return answer


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a connection there is refused; a server may take it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]



@contextmanager
def new_postgresql_database(url: str, name: str) -> Iterator[str]:
    """The URL of a new, empty database `name` on the PostgreSQL server of `url` (whose role needs
    CREATEDB); one of that name left by an interrupted run is dropped first, and this one afterwards,
    however the block ends."""
    server = make_url(url).set(drivername="postgresql+psycopg2")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_postgresql(prefix: str) -> Iterator[str]:
    """The URL of a brand-new PostgreSQL database on TEST_DATABASE_URL's server (skipped without
    one), dropped afterwards however the block ends."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL (its role needs CREATEDB)")
    with new_postgresql_database(raw, f"{prefix}_{uuid.uuid4().hex[:12]}") as url:
        yield url
