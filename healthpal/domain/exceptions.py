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


class OutcomeUnknown(DomainError):
    """The connection to the database was lost while a change was being committed: it may or may
    not have been saved."""
