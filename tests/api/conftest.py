"""Fixtures for the API tests: JSON clients, signed in or not."""
import pytest

from tests.api.support import Api


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
