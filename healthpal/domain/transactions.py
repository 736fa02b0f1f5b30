"""One write, one transaction; database constraint violations explained by their name."""
import logging
import re
from contextlib import contextmanager

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.exc import IntegrityError

from healthpal.domain.exceptions import Conflict, Invalid
from healthpal.extensions import db

log = logging.getLogger(__name__)
CONFLICT = "Another change to this record was saved at the same moment; nothing was saved. Try again."
_OPEN = "healthpal.atomic"
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '(?P<index>[^']+)'|(?P<columns>.+))")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")


@contextmanager
def atomic(explained: dict[str, tuple[str, str]] | None = None):
    """Commit what the block did, or roll all of it back.

    `explained` maps a constraint's name (stable, from the naming convention in extensions.py) to
    the field and message it means for the caller: a violation of it (another writer won a race the
    domain's own checks could not see) becomes `Invalid({field: [message]})`. Any other violation
    is logged with its constraint and raised as `Conflict`, never passed off as a rule.

    After the commit the objects keep the state this transaction gave them: what a caller shows is
    what it committed, not a later writer's state re-read. A block inside another `atomic` joins
    that one's transaction, which commits or rolls back the whole.
    """
    session = db.session()
    if session.info.get(_OPEN):
        try:
            yield
        except IntegrityError as error:
            raise _explain(error, explained or {}) from None
        return
    session.info[_OPEN] = True
    try:
        yield
        _commit()
    except IntegrityError as error:
        session.rollback()
        raise _explain(error, explained or {}) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_OPEN, None)


def _commit() -> None:
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        db.session.commit()
    finally:
        session.expire_on_commit = previous


def _explain(error: IntegrityError, explained: dict) -> Exception:
    name = constraint_name(error)
    if name in explained:
        field, message = explained[name]
        return Invalid({field: [message]})
    log.error("Unexpected integrity error on constraint %s: %s", name or "(unknown)", error.orig)
    return Conflict(CONFLICT)


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint (or unique index) `error` violated, when the database tells."""
    diag = getattr(error.orig, "diag", None)  # psycopg2 reports it directly
    if diag is not None:
        return diag.constraint_name
    message = str(error.orig)
    if found := _SQLITE_CHECK.match(message):
        return found["name"]
    if found := _SQLITE_UNIQUE.match(message):
        return found["index"] or _unique_on(found["columns"])
    return None


def _unique_on(columns: str) -> str | None:
    """SQLite names the columns of a violated unique constraint ("t.a, t.b"), not the constraint."""
    qualified = [column.strip().split(".", 1) for column in columns.split(",")]
    table = db.metadata.tables.get(qualified[0][0])
    wanted = {name for _, name in qualified}
    if table is None:
        return None
    candidates: list[UniqueConstraint | Index] = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    candidates += [index for index in table.indexes if index.unique]
    return next((str(c.name) for c in candidates if {col.name for col in c.columns} == wanted), None)
