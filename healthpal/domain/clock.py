"""The domain's idea of now: always read at call time, in UTC (tests patch these)."""
from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`; a naive value (SQLite gives those) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
