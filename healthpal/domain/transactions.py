"""One write, one transaction."""
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError

from healthpal.domain.exceptions import Invalid, OutcomeUnknown
from healthpal.extensions import db


@contextmanager
def atomic(*, duplicate: str, field: str = "non_field_errors"):
    """Commit what the block did, or roll all of it back.

    A unique constraint that fires (another writer won a race) becomes `Invalid({field: [duplicate]})`.
    """
    try:
        yield
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Invalid({field: [duplicate]}) from None
    except BaseException:
        db.session.rollback()
        raise
    commit()


def commit() -> None:
    """COMMIT what is flushed. Until the COMMIT is sent a lost connection loses the transaction;
    losing it while the COMMIT is under way leaves the outcome unknown: OutcomeUnknown."""
    try:
        db.session.commit()
    except DBAPIError as error:
        db.session.rollback()
        if error.connection_invalidated:
            raise OutcomeUnknown() from error
        raise
