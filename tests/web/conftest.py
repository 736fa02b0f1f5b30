"""Portal fixtures: clients signed in through the real sign-in form, an app with CSRF on,
and a counter of the SQL statements a request runs."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from healthpal.extensions import db
from healthpal.models import AuditEvent
from tests import factories
from tests.conftest import make_app
from tests.markup import csrf_token, parse


@pytest.fixture
def client(app):
    """An anonymous portal visitor."""
    return app.test_client()


def sign_in(client, username: str, password: str = factories.PASSWORD):
    """Sign in through the portal's form; returns the client, now carrying the session cookie."""
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def alice(app, clinician):
    """A test client signed in as the clinician alice."""
    return sign_in(app.test_client(), clinician.username)


@pytest.fixture
def bob(app, other_clinician):
    """A test client signed in as the clinician bob."""
    return sign_in(app.test_client(), other_clinician.username)


@pytest.fixture(scope="session")
def csrf_app(test_config):
    """The app with CSRF protection on, as in production (same database as `app`)."""
    csrf_app = make_app({**test_config, "WTF_CSRF_ENABLED": True})
    yield csrf_app
    with csrf_app.app_context():
        db.engine.dispose()


@pytest.fixture
def csrf_client(csrf_app, clinician):
    """A client of the CSRF-protected app, signed in as alice (with the form's token)."""
    client = csrf_app.test_client()
    page = client.get("/login")
    client.post("/login", data={"username": clinician.username, "password": factories.PASSWORD,
                                "csrf_token": csrf_token(parse(page))})
    return client


def audit_rows(**where) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, name) == value)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@contextmanager
def counting_queries():
    """Count the SQL statements run inside the block: `with counting_queries() as n: ...; n[0]`."""
    seen = [0]

    def count_one(*_args):
        seen[0] += 1

    event.listen(db.engine, "before_cursor_execute", count_one)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count_one)
