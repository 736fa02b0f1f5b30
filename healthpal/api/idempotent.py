"""Creates that a client may safely retry: `Idempotency-Key` (shared/API.md §7)."""
from collections.abc import Callable
from typing import TypeVar

from flask import request

from healthpal.api import body, conditional, tokens
from healthpal.domain import idempotency

Record = TypeVar("Record")


def create(make: Callable[[dict], Record], serialize: Callable[[Record], dict]):
    """201 with the record `make(data)` created and its ETag. With an Idempotency-Key, a retry of
    the same request replays that first answer (`Idempotent-Replayed: true`) instead of creating again."""
    data = body.json_object()
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
