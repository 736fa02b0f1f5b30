"""Fixtures for the API tests: JSON clients, signed in or not."""
import pytest

from tests.api.support import Api, Http


@pytest.fixture
def api(client, clinician):
    """Alice, signed in."""
    return Api(client, clinician)


@pytest.fixture
def other_api(client, other_clinician):
    """Bob, signed in."""
    return Api(client, other_clinician)


@pytest.fixture
def anonymous(client):
    return Api(client)


@pytest.fixture
def http(live_server, clinician):
    """Alice, signed in, over real HTTP to the app on a socket."""
    return Api(Http(live_server), clinician)
