"""Small helpers shared by the tests: assertions over the domain, and scratch databases."""
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from healthpal import sign_in_throttle
from healthpal.domain import channels, sessions, users
from healthpal.domain.exceptions import Invalid
from healthpal.extensions import db
from healthpal.models import SessionRecord, User


def count(model) -> int:
    """How many rows the table of `model` holds now."""
    return db.session.scalar(select(func.count()).select_from(model))


def errors_of(call) -> dict:
    """The field errors `call()` is refused with (it must raise Invalid)."""
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.errors


def user_signing_in(username, password) -> User | None:
    """Who signs in with these credentials now (through `users.sign_in`, as the portal and the API
    do), or None when they are refused; a refusal counts as a failed sign-in for the throttle."""
    try:
        return users.sign_in(username=username, password=password, address="192.0.2.1", via=channels.API,
                             throttle=sign_in_throttle.current())
    except Invalid:
        return None


def sessions_of(user) -> int:
    """How many sign-in sessions (portal or mobile app) the database holds for `user`."""
    return db.session.scalar(select(func.count()).select_from(SessionRecord).where(SessionRecord.user_id == user.id))


def signed_in_once(user) -> None:
    """Give `user` a mobile-app sign-in, as logging in would."""
    sessions.start(kind=sessions.APP, user_id=user.id, lifetime=timedelta(days=1))


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


def reloaded(model, record_id: int):
    """The record as the database holds it now (nothing cached by this test's session)."""
    db.session.expire_all()
    return db.session.get(model, record_id)


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
