"""Celery tasks that touch tenant data run inside the tenant scope of their organization."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from apps.core.request_context import request_context
from apps.tenancy.scope import tenant_scope

F = TypeVar("F", bound=Callable[..., Any])


def in_tenant_scope(function: F) -> F:
    """Wraps a task body: `organization_id` is a required keyword argument and becomes the
    active tenant scope (SET LOCAL in the task's transaction)."""

    @functools.wraps(function)
    def wrapper(*args: Any, organization_id: int, **kwargs: Any) -> Any:
        with request_context(source="task"), tenant_scope(organization_id):
            return function(*args, organization_id=organization_id, **kwargs)

    return wrapper  # type: ignore[return-value]
