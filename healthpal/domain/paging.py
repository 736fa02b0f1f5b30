"""Pagination and ordering shared by every list: one query for the rows and the total together."""
import math
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from healthpal.domain.exceptions import NotFound
from healthpal.extensions import db

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
    """A page number as a query string gives it: an int for ASCII digits, "last", or the text
    itself, which `paginate` refuses as an invalid page. Absent means page 1."""
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
        clauses.append(column.desc() if desc else column.asc())
        if first_desc is None:
            first_desc = desc
    if not clauses:
        return order_by(default, columns, default, tiebreak)
    clauses.append(tiebreak.desc() if first_desc else tiebreak.asc())
    return clauses


def paginate(stmt: Select, *, number: int | str, size: int) -> Page:
    """Rows of page `number` (1-based, or "last") of `stmt`, with the total count.

    The count rides along as a window function, so a page costs one query; only "last" and an
    empty page past the first need a separate count. An out-of-range page raises NotFound.
    """
    if number == LAST:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        number = max(1, math.ceil(total / size))
    if not isinstance(number, int) or not 1 <= number <= MAX_PAGE:
        raise NotFound("Invalid page.")
    counted = stmt.add_columns(func.count().over().label("_total")).limit(size).offset((number - 1) * size)
    rows = db.session.execute(counted).all()
    if rows:
        total = rows[0][-1]
    elif number == 1:
        total = 0
    else:
        raise NotFound("Invalid page.")
    return Page(items=[row[0] for row in rows], total=total, number=number, size=size)
