"""Creates that a client may safely retry: `Idempotency-Key` (shared/API.md §7)."""
from collections.abc import Callable
from typing import TypeVar

from flask import request

from healthpal.api import conditional, tokens
from healthpal.domain import idempotency

Record = TypeVar("Record")


def keyed() -> bool:
    """The request carries an Idempotency-Key: its create is looked up among its account's first."""
    return idempotency.HEADER in request.headers


def create(data: dict, make: Callable[[dict], Record], serialize: Callable[[Record], dict]):
    """201 with the record `make(data)` created (`data`: the request's body) and its ETag. With an
    Idempotency-Key, a retry of the same request replays that first answer (`Idempotent-Replayed:
    true`) instead of creating again."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return conditional.tagged(serialize(record := make(data)), record, 201)

    def render(record: Record) -> idempotency.Answer:
        return idempotency.Answer(201, conditional.json_text(serialize(record)), conditional.etag(record))

    fingerprint = idempotency.fingerprint(f"{request.method} {request.endpoint}", data)
    answer, replayed = idempotency.once(actor=tokens.current_user(), key=key, fingerprint=fingerprint,
                                        create=lambda: make(data), render=render)
    response = conditional.answer(answer.body, status=answer.status, tag=answer.etag)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
