"""What the race tests share: a wider window between reading a record and committing a write to it,
and the audit trail's chain of old → new values."""
import time

import pytest

from healthpal.domain import audit, versions

# seconds: long enough that, unprotected, every racer reads the record before any commits. A delay
# put inside the code under test to widen the race window, not a wait for something to happen: the
# overlap it makes is what these tests are about.
PAUSE = 0.05


@pytest.fixture
def slow_writes(monkeypatch):
    """Each write pauses after reading the record it changes (with the row lock held, when it is
    taken), so that racing writers overlap every time rather than now and then."""
    check = versions.check

    def paused(*args, **kwargs):
        time.sleep(PAUSE)
        return check(*args, **kwargs)

    monkeypatch.setattr(versions, "check", paused)


def assert_unbroken_chain(entity_type: str, entity_id: int) -> dict:
    """Every update's old values are the values the events before it left (O → A → B, never O → A
    and O → B), and a delete's are the last ones; returns the values the events leave."""
    state: dict = {}
    for event in audit.events_for(entity_type=entity_type, entity_id=entity_id):
        if event.action == audit.READ:
            continue
        for field, (old, new) in (event.changes or {}).items():
            if event.action != audit.CREATE:
                assert old == state.get(field), (event.id, field, old, state.get(field))
            state[field] = new
    return state
