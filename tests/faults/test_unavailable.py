"""A database that is not there at all, on either backend: a PostgreSQL port that refuses, a
SQLite file that cannot be opened. Every entry point says so plainly."""

import pytest

from healthpal.errors import UNAVAILABLE
from tests import factories
from tests.admin.conftest import sign_in
from tests.api.support import Api
from tests.faults.conftest import closed_port
from tests.markup import page_text, parse

SECRET = "s3cret-database-password"


@pytest.fixture(params=["postgresql refusing", "sqlite unopenable"])
def unreachable_app(request, another_app, tmp_path):
    if request.param == "postgresql refusing":
        uri = f"postgresql+psycopg2://healthpal:{SECRET}@127.0.0.1:{closed_port()}/healthpal"
    else:
        uri = f"sqlite:///{tmp_path}/missing-folder/healthpal.sqlite"
    return another_app(SQLALCHEMY_DATABASE_URI=uri)


def test_api_portal_and_admin_answer_503(app, unreachable_app, clinician, superuser):
    answer = Api(unreachable_app.test_client(), clinician).get("/api/patients/")
    assert (answer.status_code, answer.json) == (503, {"detail": UNAVAILABLE})
    assert int(answer.headers["Retry-After"]) > 0
    for user, path in ((clinician, "/"), (superuser, "/admin/patient/")):
        cookie = app.config["SESSION_COOKIE_NAME"]
        signed_in = sign_in(app.test_client(), user)        # signed in before the database went
        client = unreachable_app.test_client()
        client.set_cookie(cookie, signed_in.get_cookie(cookie).value)
        page = client.get(path)
        assert page.status_code == 503
        assert "Healthpal can't reach its database right now." in page_text(parse(page))


def test_health_needs_no_database_and_readiness_says_why_not(unreachable_app):
    client = unreachable_app.test_client()
    assert (client.get("/healthz").status_code, client.get("/healthz").json) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json) == (503, {"status": "unavailable",
                                                     "reason": "the database is unreachable or did not answer in time"})


@pytest.mark.parametrize("command", [
    ["create-user", "carol", "--password", factories.PASSWORD],
    ["deactivate-user", "alice"],
    ["delete-user", "alice"],
    ["seed-demo"],
    ["purge-audit", "--before", "2020-01-01", "--yes"],
])
def test_cli_commands_fail_in_one_line_without_the_password(unreachable_app, command):
    with unreachable_app.app_context():     # (the command would otherwise run in the tests' app context)
        result = unreachable_app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)               # not a traceback
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: {command[0]} failed: the database ")
    assert "is unavailable (" in line and SECRET not in line
