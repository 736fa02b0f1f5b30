"""The sign-in throttle on a Redis that goes away mid-test (a redis-server of the test's own)."""
import shutil
import subprocess

import pytest
import redis

from healthpal.domain import throttle
from tests import factories
from tests.faults.conftest import closed_port
from tests.helpers import listening, wait_until


class RedisServer:
    """redis-server on 127.0.0.1 at a free port, without persistence; stop() and start() at will."""

    def __init__(self):
        self.port = closed_port()
        self.uri = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_until(lambda: listening(self.port), seconds=10, what=f"redis-server listens on {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def stored_keys(self) -> list[str]:
        with redis.Redis(port=self.port) as client:
            return [key.decode() for key in client.keys("*")]


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def test_sign_in_works_while_redis_is_down_and_counts_in_redis_again_when_it_is_back(
        another_app, redis_server, clinician, caplog, monkeypatch):
    monkeypatch.setattr(throttle, "RETRY_STORAGE_SECONDS", 0)
    app = another_app(RATELIMIT_STORAGE_URI=redis_server.uri, HEALTHPAL_LOGIN_FAILURES_PER_USER=3)
    api, portal = app.test_client(), app.test_client()

    def api_sign_in(password):
        return api.post("/api/auth/login/", json={"username": "alice", "password": password}).status_code

    def portal_sign_in(password):
        return portal.post("/login", data={"username": "alice", "password": password}).status_code

    assert api_sign_in("wrong-password") == 400
    assert any("login-user" in key for key in redis_server.stored_keys())

    redis_server.stop()
    assert [api_sign_in("wrong-password"), portal_sign_in("wrong-password"), api_sign_in("wrong-password")] == [
        400, 422, 400]
    assert api_sign_in(factories.PASSWORD) == 429        # still counted: in this process's memory
    warnings = [r for r in caplog.records if r.name == throttle.__name__ and "storage failed" in r.getMessage()]
    assert len(warnings) == 1

    redis_server.start()                                  # back, empty (no persistence)
    assert api_sign_in(factories.PASSWORD) == 200
    assert portal_sign_in(factories.PASSWORD) == 302
    assert api_sign_in("wrong-password") == 400
    assert any("login-user" in key for key in redis_server.stored_keys())
