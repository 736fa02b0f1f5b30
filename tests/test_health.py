"""`/healthz` and `/readyz` (shared/API.md §7): public, outside /api/, no throttle, no audit."""
import pytest
from sqlalchemy import text

from healthpal import database
from healthpal.extensions import db
from healthpal.models import AuditEvent
from tests.toolkit import count


@pytest.fixture
def recorded_migration(app):
    """`recorded_migration(revision)`: the database says its schema is at `revision` (the tests'
    schema comes from create_all, which records none)."""
    def record(revision: str) -> None:
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                                    "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            connection.execute(text("DELETE FROM alembic_version"))
            connection.execute(text("INSERT INTO alembic_version VALUES (:revision)"), {"revision": revision})

    yield record
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def newest(app) -> str:
    [head] = database.newest_migrations(app.extensions["migrate"].directory)
    return head


def test_healthz_answers_without_signing_in_or_being_throttled(client):
    for _ in range(50):
        answer = client.get("/healthz")
        assert (answer.status_code, answer.json) == (200, {"status": "ok"})


def test_readyz_is_ready_only_at_the_newest_migration(app, client, recorded_migration, clinician):
    events = count(AuditEvent)
    unmigrated = client.get("/readyz")
    assert unmigrated.status_code == 503
    assert unmigrated.json == {"status": "unavailable",
                               "reason": f"the database schema is at migration none, not {newest(app)}"}
    recorded_migration("0001")
    behind = client.get("/readyz")
    assert (behind.status_code, behind.json["reason"]) == (
        503, f"the database schema is at migration 0001, not {newest(app)}")
    recorded_migration(newest(app))
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json) == (200, {"status": "ready"})
    assert count(AuditEvent) == events
