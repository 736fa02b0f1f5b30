"""List filters the stock Flask-Admin ones do not cover: by clinician username, unassigned
patients, UTC calendar days over a timestamp, and ids."""
from datetime import UTC, date, datetime, time, timedelta

from flask_admin.contrib.sqla.filters import BaseSQLAFilter, IntEqualFilter
from flask_admin.model.filters import BaseBooleanFilter, BaseDateFilter
from sqlalchemy import func, select

from healthpal.domain import rules
from healthpal.models import User

YES_NO = (("1", "Yes"), ("0", "No"))


def clinician_ids(username: str):
    """SELECT of the id of the user with this username (case-insensitive)."""
    return select(User.id).where(func.lower(User.username) == username.strip().lower())


class Where(BaseSQLAFilter):
    """A filter given as a function from the typed value to a WHERE clause."""

    def __init__(self, column, name: str, operation: str, clause, options=None):
        super().__init__(column, name, options)
        self._operation = operation
        self._clause = clause

    def apply(self, query, value, alias=None):
        return query.filter(self._clause(value))

    def operation(self) -> str:
        return self._operation


class YesNo(Where, BaseBooleanFilter):
    """A yes/no filter: `clause(True)` for yes, `clause(False)` for no."""

    def __init__(self, column, name: str, operation: str, clause):
        super().__init__(column, name, operation, clause, options=YES_NO)

    def apply(self, query, value, alias=None):
        return query.filter(self._clause(value == "1"))


class UtcDay(BaseSQLAFilter, BaseDateFilter):
    """Timestamps on, from or before a calendar day (YYYY-MM-DD), days counted in UTC."""

    OPERATIONS = {"on": "on (UTC)", "from": "on or after (UTC)", "before": "before (UTC)"}

    def __init__(self, column, name: str, how: str):
        super().__init__(column, name)
        self.how = how

    def apply(self, query, value, alias=None):
        start = datetime.combine(value, time.min, tzinfo=UTC)
        column = self.get_column(alias)
        if self.how == "from":
            return query.filter(column >= start)
        if self.how == "before":
            return query.filter(column < start)
        if value == date.max:  # the last day there is: no day after it to stop before
            return query.filter(column >= start)
        return query.filter(column >= start, column < start + timedelta(days=1))

    def operation(self) -> str:
        return self.OPERATIONS[self.how]


class IdEqual(IntEqualFilter):
    """An id equals this number; a number no record can have is an invalid value (shown as such,
    and the filter left out), not a query the database cannot run."""

    def validate(self, value) -> bool:
        return rules.is_id(rules.id_number(value))
