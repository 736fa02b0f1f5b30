"""Pagination and ordering shared by every list: the page's rows, and an exact total that costs only
the index entries of the rows the list may show."""
import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select

from healthpal.domain.exceptions import NotFound
from healthpal.extensions import db
from healthpal.models import AssessmentCount, PatientCount, ShardedCount

LAST = "last"
DEFAULT_SIZE = 20
MAX_SIZE = 100
MAX_PAGE = 2**31 - 1  # keeps OFFSET within every database's integer range


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def number(raw: str | None) -> int | str:
    """A page number as a query string gives it (the portal's list and the API alike): an int for
    ASCII digits, "last", or the text itself, which `paginate` refuses as an invalid page, as it
    does a number outside 1..MAX_PAGE or past the last page. Absent means page 1."""
    if raw is None:
        return 1
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and len(raw) <= 10:
        return int(raw)
    return raw


def size(raw: str | None) -> int:
    """A page size as a query string gives it: 20 by default, at most 100; 0 or not a number → 20."""
    digits = (raw or "").strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit()):  # absent, zero, or not a number
        return DEFAULT_SIZE
    return MAX_SIZE if len(digits) > 3 else min(int(digits), MAX_SIZE)


def _direction(column, desc: bool):
    """`column` ascending or descending. Where it may be empty, empty counts as the lowest value on
    every database (PostgreSQL would put it highest), so an index serves both directions."""
    if not getattr(column.expression, "nullable", False):
        return column.desc() if desc else column.asc()
    return column.desc().nulls_last() if desc else column.asc().nulls_first()


def order_by(raw: str | None, columns: dict, default: str, tiebreak) -> list:
    """ORDER BY clauses from `a,-b` (unknown names ignored); ties broken by `tiebreak` in the
    direction of the first field."""
    clauses, first_desc = [], None
    for name in (raw or "").split(","):
        name = name.strip()
        desc = name.startswith("-")
        column = columns.get(name[1:] if desc else name)
        if column is None:
            continue
        clauses.append(_direction(column, desc))
        if first_desc is None:
            first_desc = desc
    if not clauses:
        return order_by(default, columns, default, tiebreak)
    clauses.append(tiebreak.desc() if first_desc else tiebreak.asc())
    return clauses


def count(stmt: Select) -> int:
    """How many rows `stmt` selects. Counted apart from any page, so that the database answers it
    from the index that serves the list's filters (an index-only scan of the caller's own entries),
    instead of visiting every joined row as a `count(*) OVER ()` beside the page would."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# A clinician's total from each running count: the statements are built once.
_SUMS: dict[type[ShardedCount], Select] = {
    counts: select(func.sum(counts.total)).where(counts.clinician_id == bindparam("clinician_id"))
    for counts in (AssessmentCount, PatientCount)
}


def running_total(counts: type[ShardedCount], clinician_id: int) -> int:
    """A clinician's exact total from their running count `counts` (at most 16 rows, however many
    rows it counts), as a list's `counted`."""
    return db.session.connection().scalar(_SUMS[counts], {"clinician_id": clinician_id}) or 0


def paginate(stmt: Select, *, number: int | str, size: int, options: tuple = (), columns: tuple = (),
             counted: Callable[[], int] | None = None) -> Page:
    """Rows of page `number` (1-based, or "last") of `stmt`, loaded with `options`, and the total.
    With `columns`, the items are read-only rows of those columns (attributes named as the model's)
    instead of model objects, read as plain database rows through the session's connection: a page
    of them costs no identity map, no change tracking, no object to collect afterwards and no ORM
    step per row, which for a page of 100 is most of a list's time.

    A page that is not full tells the total by itself; only a full page (or "last") costs a count:
    `counted()` when given (a total kept elsewhere, exactly `stmt`'s), else `count(stmt)`.
    An out-of-range page raises NotFound.
    """
    counter = counted or (lambda: count(stmt))
    total = None
    if number == LAST:
        total = counter()
        number = max(1, math.ceil(total / size))
    if not isinstance(number, int) or not 1 <= number <= MAX_PAGE:
        raise NotFound("Invalid page.")
    offset = (number - 1) * size
    shown = stmt.limit(size).offset(offset)
    items: list
    if columns:
        items = list(db.session.connection().execute(shown.with_only_columns(*columns)).all())
    else:
        items = list(db.session.scalars(shown.options(*options)))
    if not items and number > 1:
        raise NotFound("Invalid page.")
    if total is None:
        total = offset + len(items) if len(items) < size else counter()
    return Page(items=items, total=total, number=number, size=size)
