"""Portal fixtures: a client of the CSRF-protected app, signed in."""
import pytest

from tests.toolkit import sign_in


@pytest.fixture
def csrf_client(csrf_app, clinician):
    """A client of the CSRF-protected app, signed in as alice (with the form's token)."""
    return sign_in(csrf_app.test_client(), clinician.username)
