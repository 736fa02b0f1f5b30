"""Fault fixtures: an app reaching PostgreSQL through a misbehaving TCP proxy, apps whose database
is not there, and the Limiter put back afterwards."""
import socket

import pytest
from sqlalchemy.engine import make_url

from healthpal.extensions import db, limiter
from tests.conftest import make_app
from tests.faults.proxy import TcpProxy

# Small timeouts, so a test of a stall or a refusal takes seconds.
FAST_TIMEOUTS = {"DATABASE_CONNECT_TIMEOUT": 1, "DATABASE_STATEMENT_TIMEOUT": 2, "DATABASE_LOCK_TIMEOUT": 1}


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (a connection there is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def another_app(test_config):
    """`another_app(**config)`: an app of its own (same tests' database unless told otherwise).

    The Limiter is one object per process whose storage comes from the app it was last bound to,
    so the session app's storage is put back afterwards."""
    saved = limiter._storage, limiter._limiter
    made = []

    def build(**config):
        app = make_app({**test_config, **config})
        made.append(app)
        return app

    yield build
    limiter._storage, limiter._limiter = saved
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


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
