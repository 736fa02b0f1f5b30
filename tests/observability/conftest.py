"""An app that logs in JSON, as in production, and a reader of the log lines it writes on stdout."""
import json

import pytest

from healthpal.observability import logs


@pytest.fixture
def json_app(app, another_app):
    """An app on the test database with production's JSON log lines (the session app's text lines
    come back afterwards: the app logger is one per process)."""
    yield another_app(HEALTHPAL_LOG_FORMAT="json")
    logs.init_app(app)


@pytest.fixture
def log_lines(capsys):
    """`log_lines()`: every line written on stdout since the last call, each parsed as JSON."""
    def read() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return read
