"""Shared fixtures: one app per test session on SQLite (default) or PostgreSQL
(`TEST_DATABASE_URL`), every test isolated by emptying the tables after it; the same app with CSRF
protection on, or with any other settings; the test users and clients signed in as them.
Plain helpers are in `tests/toolkit.py`."""
import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from argon2 import PasswordHasher, Type
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from healthpal import create_app, sign_in_throttle
from healthpal.config import database_url
from healthpal.domain import passwords
from healthpal.extensions import db
from tests import factories
from tests.toolkit import new_postgresql_database, sign_in

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def pytest_addoption(parser):
    parser.addoption(
        "--wall-clock", metavar="MOMENT", type=datetime.fromisoformat,
        help="start every test with the machine's clock at MOMENT (ISO 8601, UTC unless it names a zone), "
             "ticking on from there: `--wall-clock 2026-12-31T23:59:59.9` shows that no test depends on the "
             "real date or on when it runs")


@pytest.fixture(autouse=True)
def _wall_clock(request):
    """With `--wall-clock`, the whole process (test, app, live servers in threads) sees that moment
    when the test starts; Chromium and subprocesses keep the real clock."""
    moment = request.config.getoption("--wall-clock")
    if moment is None:
        yield
        return
    with time_machine.travel(moment if moment.tzinfo else moment.replace(tzinfo=UTC), tick=True):
        yield


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """SQLite: a file in this run's temporary folder (one per xdist worker, as that folder is).
    PostgreSQL: TEST_DATABASE_URL's database; under pytest-xdist (`-n 2`) each worker makes its own
    beside it, named after it and the worker (`healthpal_ci_gw0`), and drops it at the end."""
    raw = os.environ.get("TEST_DATABASE_URL")
    if not raw:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        yield database_url(raw, "")
        return
    with new_postgresql_database(raw, f"{make_url(raw).database}_{worker}") as url:
        yield url


@pytest.fixture(scope="session")
def test_config(database_uri, tmp_path_factory):
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "JWT_SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "HEALTHPAL_AUDIT_GUARD": "raise",   # a write path that forgets its audit event fails its tests
    }


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """The real hash (argon2id, 19 MiB, 2 passes) costs ~50-100 ms; tests hash hundreds of passwords,
    so they use argon2id at its cheapest. `tests/test_passwords.py` checks the real parameters."""
    patch = pytest.MonkeyPatch()
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
    patch.setattr(passwords, "HASHER", cheap)
    patch.setattr(passwords, "DUMMY_HASH", cheap.hash("not-a-real-password"))
    yield
    patch.undo()


class ServerLikeClient(FlaskClient):
    """A test client whose every request runs in its own app context, as under a real server.

    The autouse fixture below keeps one app context open for the whole test, and Flask would
    reuse it for each test-client request: `g` (with Flask-Login's cached user and the API's
    token holder) and the database session would carry over from one request to the next.
    A streamed body is read within that context too. Afterwards the test's own session is
    expired, so what the test reads next comes from the database as the request left it.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            if response.is_streamed:     # a server streams the body before the context is gone
                response.make_sequence()
        db.session.expire_all()
        return response


def make_app(config: dict):
    """An app for tests: every `app.test_client()` is a ServerLikeClient."""
    app = create_app(config)
    app.test_client_class = ServerLikeClient
    return app


@pytest.fixture(scope="session")
def app(test_config):
    app = make_app(test_config)
    with app.app_context():
        db.drop_all()
        if db.engine.dialect.name == "postgresql":  # the patient search indexes use pg_trgm (migration 0002)
            with db.engine.begin() as connection:
                connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
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
    """Each test runs in an app context and leaves every table empty and the throttle's counters reset."""
    with app.app_context():
        yield
        empty_tables()
        sign_in_throttle.counters(app).storage.reset()


@pytest.fixture
def another_app(test_config):
    """`another_app(**config)`: an app of its own (same tests' database unless told otherwise)."""
    made = []

    def build(**config):
        app = make_app({**test_config, **config})
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def csrf_app(test_config):
    """The app with CSRF protection on, as in production (same database as `app`)."""
    csrf_app = make_app({**test_config, "WTF_CSRF_ENABLED": True})
    yield csrf_app
    with csrf_app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    """An anonymous visitor."""
    return app.test_client()


@pytest.fixture(scope="module")
def live_server(app):
    """The app on a real socket (127.0.0.1, a free port), in a thread, for one module's tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


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


@pytest.fixture
def alice(app, clinician):
    """A test client signed in to the portal as the clinician alice."""
    return sign_in(app.test_client(), clinician.username)


@pytest.fixture
def bob(app, other_clinician):
    """A test client signed in to the portal as the clinician bob."""
    return sign_in(app.test_client(), other_clinician.username)


@pytest.fixture
def admin(app, superuser):
    """A test client signed in as the superuser root (the admin panel's sign-in is the portal's), the
    welcome of signing in already shown (on the panel's home page), as a session that went on."""
    client = sign_in(app.test_client(), superuser.username)
    client.get("/admin/")
    return client


class FrozenClock:
    """The domain's clock (`healthpal.domain.clock.now`), stopped; `advance(days=1)` moves it."""

    def __init__(self, monkeypatch, at: datetime):
        self.at = at
        monkeypatch.setattr("healthpal.domain.clock.now", lambda: self.at)

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def frozen_clock(monkeypatch):
    """The domain's "now" stopped at 2026-06-15 12:00 UTC for this test."""
    return FrozenClock(monkeypatch, datetime(2026, 6, 15, 12, tzinfo=UTC))


@pytest.fixture
def race(app, database_uri):
    """`race(call)` runs `call()` in several threads (`threads=4`), or `race(call_a, call_b, ...)` each
    call in a thread of its own, all released at the same moment, each in its own app context (so its
    own session and connection); returns each thread's result or exception, in the calls' order."""
    if not database_uri.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite admits one writer at a time, "
                    "so writes cannot race")

    def run(*calls, threads: int = 4) -> list:
        calls = calls * threads if len(calls) == 1 else calls
        db.session.commit()                      # nothing of this test's session may hold a lock
        start = threading.Barrier(len(calls))
        results = [None] * len(calls)

        def worker(index):
            with app.app_context():
                start.wait()
                try:
                    results[index] = calls[index]()
                except Exception as error:      # noqa: BLE001 - the caller judges each outcome
                    results[index] = error

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=30)
        db.session.expire_all()                  # what the test reads next comes from the database
        return results

    return run
