"""The login throttle on Redis (`RATELIMIT_STORAGE_URI=redis://…`), as a multi-process deployment runs it.

Skipped only when nothing answers at 127.0.0.1:6379.
"""
import socket

import pytest
import redis

from tests import factories
from tests.toolkit import api_login

REDIS_URI = "redis://127.0.0.1:6379/11"  # a database of its own, emptied before and after


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture
def redis_app(another_app):
    """An app whose throttle counts in Redis (the session app's storage comes back afterwards)."""
    if not redis_answers():
        pytest.skip("Redis is not reachable at 127.0.0.1:6379: start redis-server to run this test")
    app = another_app(RATELIMIT_STORAGE_URI=REDIS_URI, HEALTHPAL_LOGIN_FAILURES_PER_USER=3)
    store = redis.Redis.from_url(REDIS_URI)
    store.flushdb()
    yield app, store
    store.flushdb()
    store.close()


def test_failed_logins_are_counted_in_redis_and_throttled(redis_app, clinician):
    app, store = redis_app
    client = app.test_client()

    def attempt(password):
        return api_login(client, "alice", password)

    for _ in range(3):
        assert attempt("wrong-password").status_code == 400
    keys = [key.decode() for key in store.keys("*")]
    assert any("login-user" in key and "alice" in key for key in keys), keys
    throttled = attempt(factories.PASSWORD)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    store.flushdb()  # the window passes (for every process sharing this Redis)
    assert attempt(factories.PASSWORD).status_code == 200
