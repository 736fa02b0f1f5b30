"""Shared fixtures: one app per test session on SQLite (default) or PostgreSQL
(`TEST_DATABASE_URL`), every test isolated by emptying the tables after it."""
import os

import pytest

from healthpal import create_app
from healthpal.config import database_url
from healthpal.extensions import db, limiter
from tests import factories

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    raw = os.environ.get("TEST_DATABASE_URL")
    if raw:
        return database_url(raw, "")
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def test_config(database_uri, tmp_path_factory):
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture(scope="session")
def app(test_config):
    app = create_app(test_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_tables() -> None:
    """Delete every row (children first); `db.session.remove()` first so PostgreSQL is not left
    waiting on this session's open transaction."""
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(autouse=True)
def _isolated(app):
    """Each test runs in an app context and leaves every table empty and the limiter reset."""
    with app.app_context():
        yield
        empty_tables()
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clinician():
    return factories.make_user("alice", first_name="Alice", last_name="Adams")


@pytest.fixture
def other_clinician():
    return factories.make_user("bob", first_name="Bob", last_name="Brown")


@pytest.fixture
def superuser():
    return factories.make_user("root", is_superuser=True)
