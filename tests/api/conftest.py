"""Fixtures for the API tests: an authenticated JSON client, a SQL statement counter and a live server."""
import threading

import pytest
from sqlalchemy import event
from werkzeug.serving import make_server

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


@pytest.fixture(scope="module")
def live_server(app):
    """The app on a real socket (127.0.0.1, a free port), in a thread, for this module's tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.socket.getsockname()[1]}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
