"""The active tenant scope.

Every read or write of tenant data happens inside `tenant_scope(...)`. The scope lives in
a context variable (for the ORM guard) and in PostgreSQL as transaction-local settings
(`SET LOCAL` via set_config(..., true)) that the row-level security policies read. Outside
a scope, tenant managers raise and the database returns no tenant rows.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from apps.core.errors import OutOfScope


class TenantScopeRequired(RuntimeError):
    """A tenant model was queried with no active tenant scope."""


class TenantScopeViolation(OutOfScope):
    """A write tried to put a row in an organization outside the active scope."""


@dataclass(frozen=True)
class TenantScope:
    organization_id: int
    user_id: int | None = None
    # Projects of other organizations shared with this one (studio staff only).
    shared_project_ids: frozenset[int] = field(default_factory=frozenset)


_current: contextvars.ContextVar[TenantScope | None] = contextvars.ContextVar(
    "backlot_tenant_scope", default=None
)
_user: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "backlot_scope_user", default=None
)


def current_scope() -> TenantScope | None:
    return _current.get()


def require_scope() -> TenantScope:
    scope = _current.get()
    if scope is None:
        raise TenantScopeRequired(
            "No tenant scope is active: wrap tenant reads and writes in tenant_scope()."
        )
    return scope


def _set_database_settings(*, organization_id: int | None, user_id: int | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('backlot.organization_id', %s, true),"
            " set_config('backlot.user_id', %s, true)",
            [
                "" if organization_id is None else str(organization_id),
                "" if user_id is None else str(user_id),
            ],
        )


@contextmanager
def user_scope(user_id: int) -> Iterator[None]:
    """Lets a user read their own memberships before any organization is chosen."""
    outer = _current.get()
    with transaction.atomic():
        outer_user = _user.get()
        token = _user.set(user_id)
        _set_database_settings(
            organization_id=outer.organization_id if outer else None, user_id=user_id
        )
        try:
            yield
        finally:
            _unwind(_user, token, outer_user)
            _restore_database_settings(outer)


def current_user_scope() -> int | None:
    return _user.get()


# One round trip (several statements in one simple query: one implicit transaction when
# no transaction is open): remember the current user setting, set the user for row-level
# security, run the query, put the previous setting back.
_AS_USER_SQL = (
    "SELECT set_config('backlot.user_before', coalesce(current_setting('backlot.user_id',"
    " true), ''), true); SELECT set_config('backlot.user_id', %s, true); {query};"
    " SELECT set_config('backlot.user_id', current_setting('backlot.user_before'), true)"
)


def fetch_as_user(user_id: int, query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of `query` read as `user_id` (what `user_scope` allows) in one round trip, and
    no setting left behind on the connection, in or out of a transaction."""
    with connection.cursor() as cursor:
        cursor.execute(_AS_USER_SQL.format(query=query), [str(user_id), *params])
        cursor.nextset()
        cursor.nextset()
        return list(cursor.fetchall())


def _unwind(
    variable: contextvars.ContextVar[Any], token: contextvars.Token[Any], outer: Any
) -> None:
    """Resets a scope variable. A scope closed from another context (a generator finalised
    elsewhere) cannot use its token; it then puts back the outer value in that context."""
    try:
        variable.reset(token)
    except ValueError:
        variable.set(outer)


def _restore_database_settings(outer: TenantScope | None) -> None:
    if connection.needs_rollback or connection.connection is None:
        return
    _set_database_settings(
        organization_id=outer.organization_id if outer else None,
        user_id=(outer.user_id if outer else None) or _user.get(),
    )


@contextmanager
def tenant_scope(
    organization_id: int, *, user_id: int | None = None, request_transaction: bool = False
) -> Iterator[TenantScope]:
    """Activate one organization for the enclosed code, in the app and in the database.

    Opens a transaction (or a savepoint inside one) because SET LOCAL only lives as long
    as the transaction that set it.

    `request_transaction=True` is for a caller that has just opened a transaction for this
    scope and ends it right after the scope closes (the API's request transaction): no
    savepoint then, and when that transaction is the outermost one, no settings to put
    back either (its COMMIT or ROLLBACK drops them). Either way, one round trip sets the
    scope and reads the projects shared with the organization.
    """
    outer = _current.get()
    # The caller's transaction is the outermost one when no savepoint lies inside it.
    outermost = request_transaction and connection.in_atomic_block and not connection.savepoint_ids
    with transaction.atomic(savepoint=not request_transaction):
        scope = TenantScope(
            organization_id=organization_id,
            user_id=user_id,
            shared_project_ids=_set_scope_and_read_shares(organization_id, user_id),
        )
        token = _current.set(scope)
        try:
            yield scope
        finally:
            # The database first: if the variable cannot be reset, the connection must
            # still not keep this organization's settings.
            if not outermost:
                _restore_database_settings(outer)
            _unwind(_current, token, outer)


def _set_scope_and_read_shares(organization_id: int, user_id: int | None) -> frozenset[int]:
    # Row-level security already limits the shares to those granted to the organization.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('backlot.organization_id', %s, true),"
            " set_config('backlot.user_id', %s, true);"
            " SELECT project_id FROM tenancy_projectshare"
            " WHERE grantee_id = %s AND revoked_at IS NULL",
            [str(organization_id), "" if user_id is None else str(user_id), organization_id],
        )
        cursor.nextset()
        return frozenset(row[0] for row in cursor.fetchall())
