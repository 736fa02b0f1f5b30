"""The domain's idea of now: always read at call time, in UTC (tests patch these)."""
from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()
