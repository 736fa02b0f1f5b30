"""Fixtures for the API tests: an authenticated JSON client and a SQL statement counter."""
import pytest
from sqlalchemy import event

from healthpal.extensions import db
from tests.api.support import Api


@pytest.fixture
def api(client, clinician):
    """Alice, signed in."""
    return Api(client, clinician)


@pytest.fixture
def other_api(client, other_clinician):
    """Bob, signed in."""
    return Api(client, other_clinician)


@pytest.fixture
def anonymous(client):
    return Api(client)


@pytest.fixture
def statements():
    """Every SQL statement sent to the database while the test runs (cleared by the test at will)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)
