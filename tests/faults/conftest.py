"""Fault fixtures: an app reaching PostgreSQL through a misbehaving TCP proxy (apps whose database is
not there are `another_app`s, in tests/conftest.py)."""
import pytest
from sqlalchemy.engine import make_url

from tests.faults.proxy import TcpProxy

# Small timeouts, so a test of a stall or a refusal takes seconds.
FAST_TIMEOUTS = {"DATABASE_CONNECT_TIMEOUT": 1, "DATABASE_STATEMENT_TIMEOUT": 2, "DATABASE_LOCK_TIMEOUT": 1}


@pytest.fixture
def postgresql(database_uri):
    """The tests' PostgreSQL URL; the test is skipped on SQLite."""
    if not database_uri.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL)")
    return database_uri


@pytest.fixture
def pg_proxy(postgresql):
    """A TcpProxy in front of the tests' PostgreSQL server."""
    url = make_url(postgresql)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_app(pg_proxy, database_uri, another_app):
    """An app whose every database connection goes through `pg_proxy`, with FAST_TIMEOUTS."""
    uri = make_url(database_uri).set(host="127.0.0.1", port=pg_proxy.port).render_as_string(hide_password=False)
    app = another_app(SQLALCHEMY_DATABASE_URI=uri, **FAST_TIMEOUTS)
    yield app
    pg_proxy.resume()
