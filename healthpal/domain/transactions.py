"""One write, one transaction."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from healthpal.domain.exceptions import Invalid
from healthpal.extensions import db


@contextmanager
def atomic(*, duplicate: str, field: str = "non_field_errors"):
    """Commit what the block did, or roll all of it back.

    A unique constraint that fires (another writer won a race) becomes `Invalid({field: [duplicate]})`.
    """
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Invalid({field: [duplicate]}) from None
    except BaseException:
        db.session.rollback()
        raise
