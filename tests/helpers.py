"""Small assertions shared by the domain tests."""
import pytest
from sqlalchemy import func, select

from healthpal.domain.exceptions import Invalid
from healthpal.extensions import db


def count(model) -> int:
    """How many rows the table of `model` holds now."""
    return db.session.scalar(select(func.count()).select_from(model))


def errors_of(call) -> dict:
    """The field errors `call()` is refused with (it must raise Invalid)."""
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.errors


def reloaded(model, record_id: int):
    """The record as the database holds it now (nothing cached by this test's session)."""
    db.session.expire_all()
    return db.session.get(model, record_id)
