"""The login throttle on Redis (`RATELIMIT_STORAGE_URI=redis://…`), as a multi-process deployment runs it.

Skipped only when nothing answers at 127.0.0.1:6379.
"""
import uuid

import pytest
import redis

from tests import factories
from tests.toolkit import api_login, listening

REDIS_URI = "redis://127.0.0.1:6379/11"


class Keys:
    """The Redis keys of one test: under a prefix of its own, so that test runs sharing this Redis
    (parallel workers, other checkouts) never see or delete each other's counters."""

    def __init__(self):
        self.prefix = f"healthpal-test-{uuid.uuid4().hex}"
        self.store = redis.Redis.from_url(REDIS_URI)

    def names(self) -> list[str]:
        return [key.decode() for key in self.store.scan_iter(f"{self.prefix}:*")]

    def delete_all(self) -> None:
        for name in self.names():
            self.store.delete(name)


@pytest.fixture
def redis_app(another_app):
    """An app whose throttle counts in Redis, under keys of its own (the session app keeps its own
    counters)."""
    if not listening(6379):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379: start redis-server to run this test")
    keys = Keys()
    app = another_app(RATELIMIT_STORAGE_URI=REDIS_URI, RATELIMIT_STORAGE_OPTIONS={"key_prefix": keys.prefix},
                      HEALTHPAL_LOGIN_FAILURES_PER_USER=3)
    yield app, keys
    keys.delete_all()
    keys.store.close()


def test_failed_logins_are_counted_in_redis_and_throttled(redis_app, clinician):
    app, keys = redis_app
    client = app.test_client()

    def attempt(password):
        return api_login(client, "alice", password)

    for _ in range(3):
        assert attempt("wrong-password").status_code == 400
    assert any("login-user" in key and "alice" in key for key in keys.names()), keys.names()
    throttled = attempt(factories.PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    keys.delete_all()  # the window passes (for every process sharing this Redis)
    assert attempt(factories.PASSWORD).status_code == 200
