"""The database timeouts reach the database: PostgreSQL's session settings, SQLite's busy timeout."""
import pytest
from sqlalchemy import text

from healthpal import config
from healthpal.extensions import db


@pytest.mark.postgres
def test_each_postgresql_session_gets_the_configured_timeouts(another_app, postgresql):
    app = another_app(DATABASE_STATEMENT_TIMEOUT=7, DATABASE_LOCK_TIMEOUT=4.5, DATABASE_IDLE_IN_TRANSACTION_TIMEOUT=9)
    with app.app_context(), db.engine.connect() as connection:
        shown = {name: connection.execute(text(f"SHOW {name}")).scalar()
                 for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")}
    assert shown == {"statement_timeout": "7s", "lock_timeout": "4500ms", "idle_in_transaction_session_timeout": "9s"}


def test_sqlite_waits_for_another_writer_at_most_the_lock_timeout(another_app, tmp_path):
    app = another_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/busy.sqlite", DATABASE_LOCK_TIMEOUT=3)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 3000


def test_timeouts_default_well_below_the_worker_timeout_and_are_read_from_the_environment(monkeypatch):
    names = ("DATABASE_CONNECT_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT", "DATABASE_LOCK_TIMEOUT",
             "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    assert [config.from_environment("/nowhere")[name] for name in names] == [5, 15, 5, 20]
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "2.5")
    monkeypatch.setenv("DATABASE_LOCK_TIMEOUT", "0")
    settings = config.from_environment("/nowhere")
    assert (settings["DATABASE_STATEMENT_TIMEOUT"], settings["DATABASE_LOCK_TIMEOUT"]) == (2.5, 0)
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "5s")
    with pytest.raises(config.ConfigError, match="DATABASE_CONNECT_TIMEOUT must be a number of seconds"):
        config.from_environment("/nowhere")
