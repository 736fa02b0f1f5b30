"""Admin-panel fixtures and helpers: clients signed in as a superuser or a clinician, and a
snapshot of the database to prove a refused write changed nothing."""
import pytest
from sqlalchemy import func, select

from healthpal.extensions import db
from healthpal.models import Assessment, AuditEvent, Patient, QARound, User


def sign_in(client, user):
    """Sign `user` in to this client's cookie session, as the portal's login would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def admin(app, superuser):
    """A test client signed in as the superuser `root`."""
    return sign_in(app.test_client(), superuser)


@pytest.fixture
def as_clinician(app, clinician):
    """A test client signed in as the clinician `alice` (no superuser rights)."""
    return sign_in(app.test_client(), clinician)


def rows(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def snapshot() -> dict:
    """Every stored value an admin write could touch, as plain data."""
    db.session.expire_all()

    def dump(model, order):
        columns = [c.key for c in model.__table__.columns]
        return [tuple(getattr(r, c) for c in columns) for r in db.session.scalars(select(model).order_by(order))]

    return {
        "users": dump(User, User.id),
        "patients": dump(Patient, Patient.id),
        "assessments": dump(Assessment, Assessment.id),
        "rounds": dump(QARound, QARound.id),
        "audit": dump(AuditEvent, AuditEvent.id),
    }
