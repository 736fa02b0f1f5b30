"""What the domain raises; each edge renders it its own way."""


class DomainError(Exception):
    """Base class of every error the domain raises on purpose."""


class Invalid(DomainError):
    """Input broke one or more rules.

    `errors` has the API's shape: `{field: [message, ...]}`, `{"non_field_errors": [...]}`, and for
    nested lists one dict per item aligned with the input (`{}` for a valid item).
    """

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class NotFound(DomainError):
    """No such record within the actor's scope (it may exist for someone else)."""


class Throttled(DomainError):
    """Too many failed sign-ins; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class NotAllowed(DomainError):
    """The clinic's settings do not allow this (self-registration while it is closed); the message says so."""


class Stale(DomainError):
    """The record changed since the version the caller read; nothing was written.

    Carries what the caller needs to decide again: the record's current `version`, its `current`
    values (the domain's snapshot of it), and who last saved it and when (from the audit trail).
    """

    def __init__(self, *, version: int, current: dict, changed_by: str, changed_at):
        super().__init__(version)
        self.version, self.current = version, current
        self.changed_by, self.changed_at = changed_by, changed_at


class Conflict(DomainError):
    """The write collided with another one in a way no rule explains; nothing was written."""


class KeyReused(DomainError):
    """An idempotency key already used for a different request."""


class InFlight(DomainError):
    """The first request with this idempotency key is still running."""


class OutcomeUnknown(DomainError):
    """The connection to the database was lost while a change was being committed: it may or may
    not have been saved."""

    def __init__(self, message: str = "The connection to the database was lost while the change was being "
                                      "committed: it may or may not have been saved. Check before trying again."):
        super().__init__(message)
