"""One scale-out cluster per test module: a fresh PostgreSQL database migrated with the operator's
command, one Redis, two gunicorn instances and nginx in front of them."""
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import create_engine

from tests import factories
from tests.scaleout.cluster import ROOT, Instance, Nginx, Redis
from tests.toolkit import scratch_postgresql

SECRET = "scale-out-test-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="module")
def scaleout_database():
    """The URL of a new PostgreSQL database, dropped afterwards."""
    for program in ("nginx", "redis-server"):
        if not (shutil.which(program) or os.path.exists(f"/usr/sbin/{program}")):
            pytest.skip(f"needs {program} (apt-get install {program})")
    with scratch_postgresql("healthpal_scaleout") as url:
        yield url


class Cluster:
    def __init__(self, database_url: str, workdir):
        self.database_url = database_url
        self.redis = Redis(workdir)
        self.env = {
            **os.environ,
            "HEALTHPAL_ENV": "production",
            "SECRET_KEY": SECRET,
            "JWT_SECRET_KEY": SECRET + "-jwt",
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": self.redis.url,
            "HEALTHPAL_BEHIND_PROXY": "true",
            "HEALTHPAL_TRUSTED_PROXIES": "1",
            "SESSION_COOKIE_SECURE": "true",     # the test's client sends it back over plain HTTP all the same
            "HEALTHPAL_LOG_FORMAT": "json",
        }
        self.flask("db", "upgrade")
        self.instances = [Instance(name, self.env, workdir).start() for name in ("a", "b")]
        self.nginx = Nginx(workdir, [instance.port for instance in self.instances])
        self.engine = create_engine(database_url)

    def flask(self, *args) -> str:
        """The operator's `flask --app wsgi …` with the instances' settings."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def create_user(self, username: str) -> str:
        self.flask("create-user", username, "--password", factories.PASSWORD)
        return username

    def served_by(self, request_ids) -> set:
        """Which instances logged these requests (by the X-Request-ID nginx gave each)."""
        wanted = set(request_ids)
        return {instance.name for instance in self.instances
                if wanted & {line["request_id"] for line in instance.request_lines()}}

    def stop(self) -> None:
        self.engine.dispose()
        self.nginx.stop()
        for instance in self.instances:
            instance.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def cluster(scaleout_database, tmp_path_factory):
    running = Cluster(scaleout_database, tmp_path_factory.mktemp("scaleout"))
    yield running
    running.stop()
