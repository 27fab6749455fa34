"""Domain errors raised by services and selectors; the API maps them to HTTP."""

from __future__ import annotations


class BacklotError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(BacklotError):
    status_code = 400
    code = "invalid"


class NotFound(BacklotError):
    """Missing and forbidden look the same across tenants."""

    status_code = 404
    code = "not_found"


class Forbidden(BacklotError):
    """Inside one's own organization only: the role does not allow the action."""

    status_code = 403
    code = "permission_denied"


class Conflict(BacklotError):
    status_code = 409
    code = "conflict"


class OutOfScope(RuntimeError):
    """Data of another scope was touched (e.g. a row written into another tenant). Shown as
    not found: a caller must not learn that the other scope's data exists. The tenancy
    layer raises its own subclass; core only knows how to present it."""
