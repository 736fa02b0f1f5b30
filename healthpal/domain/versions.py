"""Record versions: how a write made from an old copy of a patient or assessment is refused.

Every committed change of a record bumps its `version` (`bump`). A write may name the version(s)
its author read (`expected`): an int, a set of ints (the API's If-Match may list several), `ANY`
(any existing record), or None (no condition: the last writer wins). The domain checks it on the
row it has locked for the write, so nothing slips in between the check and the write.
"""
from collections.abc import Callable, Collection
from typing import TypeVar

from healthpal.domain import audit
from healthpal.domain.exceptions import Stale
from healthpal.models import Versioned

ANY = "*"
STALE = "This record was changed since you read it. Fetch it again."
Expected = int | Collection[int] | str | None
Record = TypeVar("Record", bound=Versioned)


def matches(version: int, expected: Expected) -> bool:
    if expected is None or expected == ANY:
        return True
    if isinstance(expected, int):
        return version == expected
    return version in expected


def check(record: Record, expected: Expected, *, snapshot: Callable[[Record], dict]) -> None:
    """Raise Stale, with the record's current values and its last change, unless `expected` matches."""
    if matches(record.version, expected):
        return
    change = audit.last_change(record)
    raise Stale(version=record.version, current=snapshot(record),
                changed_by=change.actor_username if change else "", changed_at=change.at if change else None)


def bump(record: Versioned) -> None:
    record.version = bumped(record)


def bumped(record: Versioned) -> int:
    """The version a change of `record` commits (for a write that stores it without the ORM)."""
    return record.version + 1


def parse(value) -> Expected:
    """A version sent back by a form: None when absent or blank; a number; anything else never matches."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else frozenset()
