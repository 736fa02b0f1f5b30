"""Session handling the API needs around the domain's calls."""
from contextlib import contextmanager

from healthpal.extensions import db


@contextmanager
def loaded_after_commit():
    """Keep what the block loaded usable after the block's commit.

    A detail GET reads the record and commits its audit "read" event; serialising the record
    afterwards would otherwise SELECT it again, only because the commit expired it. After a
    create or an update, the body so shows exactly what that write committed, without reading
    it back (by then another writer may have changed it).
    """
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = previous
