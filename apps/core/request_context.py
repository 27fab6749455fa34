"""Who is acting, from where, in which request: carried in context variables so the
audit service and the JSON logs read it without every call passing it along."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None = None
    user_agent: str = ""
    source: str = "web"  # web, api, websocket, task, cli


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "backlot_request_context", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_context() -> RequestContext | None:
    return _current.get()


@contextmanager
def request_context(
    *,
    request_id: str | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    source: str = "web",
) -> Iterator[RequestContext]:
    context = RequestContext(
        request_id=request_id or new_request_id(),
        ip_address=ip_address,
        user_agent=user_agent[:512],
        source=source,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def mark_source(source: str) -> None:
    """Refine the source of the current request (e.g. 'api' once DRF takes over)."""
    context = _current.get()
    if context is not None:
        _current.set(replace(context, source=source))
