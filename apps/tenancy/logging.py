import logging

from apps.core.request_context import current_request_context
from apps.tenancy.scope import current_scope


class RequestContextFilter(logging.Filter):
    """Adds the request id and active organization to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request_context()
        record.request_id = context.request_id if context else None
        scope = current_scope()
        record.organization_id = scope.organization_id if scope else None
        return True
