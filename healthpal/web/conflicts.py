"""A save or delete that met a newer version: what the portal tells the user, from the domain's Stale."""
from datetime import UTC, datetime

from healthpal.domain.exceptions import Stale


def moment(at: datetime | None) -> str:
    """A UTC timestamp to the second (SQLite hands back naive UTC, PostgreSQL aware)."""
    if at is None:
        return "an unknown time"
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def text(value) -> str:
    """A form value as one readable text (Q&A rounds one per line)."""
    if isinstance(value, list):
        return "\n".join(f"{n}. {item['question']} — {item['answer']}" for n, item in enumerate(value, 1))
    return str(value)


def summary(stale: Stale, rows: list[dict] | None = None) -> dict:
    """Who saved the record last and when, its version now, and (for an edit) `rows`: what differs."""
    return {"by": stale.changed_by or "Someone", "at": moment(stale.changed_at), "version": stale.version,
            "rows": rows or []}


def differences(labels: dict, current: dict, yours: dict) -> list[dict]:
    """Each field where the saved value and the user's differ, as `{"label", "current", "yours"}`."""
    return [{"label": label, "current": text(current[name]), "yours": text(yours.get(name, ""))}
            for name, label in labels.items() if text(current[name]) != text(yours.get(name, ""))]
