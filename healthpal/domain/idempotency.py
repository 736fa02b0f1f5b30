"""Idempotent creates (shared/API.md §7): a client that lost the answer to a create retries it with
the same key, and gets the first answer again instead of a twin record.

The first successful answer is stored with the create, in its transaction: a create that commits
always has its key, and one that fails leaves none (the client may fix the body and reuse the key).
Keys belong to one user and last 24 hours; expired ones are purged on the fly (the user's own, at
each keyed create) and by `flask --app wsgi purge-idempotency-keys`. While a request with a key runs,
a second one with that key is refused at once (PostgreSQL: a transaction-scoped advisory lock; on
SQLite, where writers queue anyway, the second waits for the first and then replays it).
"""
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar, cast

from sqlalchemy import CursorResult, delete, func, select

from healthpal.domain import clock
from healthpal.domain.exceptions import InFlight, Invalid, KeyReused
from healthpal.domain.transactions import atomic
from healthpal.extensions import db
from healthpal.models import IdempotencyKey, User

LIFETIME = timedelta(hours=24)
HEADER = "Idempotency-Key"
BAD_KEY = "Must be 1 to 255 printable ASCII characters."
REUSED = "This Idempotency-Key was already used with a different request body."
IN_FLIGHT = "A request with this Idempotency-Key is still being processed. Try again shortly."
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
Record = TypeVar("Record")


@dataclass(frozen=True)
class Answer:
    """A response as the client got it: status, body (the exact JSON text) and ETag."""

    status: int
    body: str
    etag: str


def fingerprint(operation: str, data) -> str:
    """What makes two requests "the same": the operation and the body's JSON, key order aside."""
    canonical = json.dumps([operation, data], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(*, actor: User, key: str, fingerprint: str, create: Callable[[], Record],
         render: Callable[[Record], Answer]) -> tuple[Answer, bool]:
    """`render(create())` the first time `actor` sends `key`; afterwards, for 24 hours, that answer
    again. Returns the answer and whether it is a replay.

    Invalid for a malformed key; KeyReused when the key came with another request; InFlight while
    the first request with it is still running. Whatever `create` raises leaves no key behind.
    """
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid({HEADER: [BAD_KEY]})
    with atomic():
        _hold(actor.id, key)
        db.session.execute(delete(IdempotencyKey).where(
            IdempotencyKey.user_id == actor.id, IdempotencyKey.created_at < clock.now() - LIFETIME,
        ))
        stored = db.session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.user_id == actor.id, IdempotencyKey.key == key,
        ))
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise KeyReused(REUSED)
            return Answer(stored.status, stored.body, stored.etag), True
        answer = render(create())
        db.session.add(IdempotencyKey(user_id=actor.id, key=key, fingerprint=fingerprint, status=answer.status,
                                      body=answer.body, etag=answer.etag, created_at=clock.now()))
    return answer, False


def _hold(user_id: int, key: str) -> None:
    """Claim the key for this transaction, or InFlight if another transaction holds it."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"idempotency-key:{user_id}:{key}".encode()).digest()
    lock_id = int.from_bytes(digest[:8], "big", signed=True)
    if not db.session.scalar(select(func.pg_try_advisory_xact_lock(lock_id))):
        raise InFlight(IN_FLIGHT)


def purge_expired() -> int:
    """Forget the keys older than 24 hours; returns how many."""
    with atomic():
        result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - LIFETIME))
    return cast(CursorResult, result).rowcount
