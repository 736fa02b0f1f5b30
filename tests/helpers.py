"""Small assertions shared by the domain tests."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from healthpal.domain import sessions
from healthpal.domain.exceptions import Invalid
from healthpal.extensions import db
from healthpal.models import SessionRecord


def count(model) -> int:
    """How many rows the table of `model` holds now."""
    return db.session.scalar(select(func.count()).select_from(model))


def errors_of(call) -> dict:
    """The field errors `call()` is refused with (it must raise Invalid)."""
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.errors


def sessions_of(user) -> int:
    """How many sign-in sessions (portal or mobile app) the database holds for `user`."""
    return db.session.scalar(select(func.count()).select_from(SessionRecord).where(SessionRecord.user_id == user.id))


def signed_in_once(user) -> None:
    """Give `user` a mobile-app sign-in, as logging in would."""
    sessions.start(kind=sessions.APP, user_id=user.id, lifetime=timedelta(days=1))


def reloaded(model, record_id: int):
    """The record as the database holds it now (nothing cached by this test's session)."""
    db.session.expire_all()
    return db.session.get(model, record_id)
