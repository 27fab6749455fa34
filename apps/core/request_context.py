"""Who is acting, from where, in which request: carried in context variables so the
audit service and the JSON logs read it without every call passing it along."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip_address: str | None = None
    user_agent: str = ""
    source: str = "web"  # web, api, websocket, task, cli
    # Reads made once per HTTP request and shared by the middleware and the view (who the
    # caller is, their memberships): see `request_memo`. None outside an HTTP request.
    memo: dict[Any, Any] | None = field(default=None, compare=False, repr=False)


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
    memo: bool = False,
) -> Iterator[RequestContext]:
    context = RequestContext(
        request_id=request_id or new_request_id(),
        ip_address=ip_address,
        user_agent=user_agent[:512],
        source=source,
        memo={} if memo else None,
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


def request_memo() -> dict[Any, Any] | None:
    """The current HTTP request's memo, or None (websockets, tasks, commands: they must
    read access afresh each time, so nothing is memoized for them)."""
    context = _current.get()
    return context.memo if context is not None else None


def forget_memo(key: Any) -> None:
    """Drop a memoized read after a write that changes it (e.g. a new membership)."""
    memo = request_memo()
    if memo is not None:
        memo.pop(key, None)
