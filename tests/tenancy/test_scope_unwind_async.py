"""The consumer path: websocket handlers run their database work through
`database_sync_to_async`, on a thread whose connection is kept between calls. A handler
that fails inside a tenant scope must leave that connection with no tenant settings and no
active scope for the next message, whoever it is for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from apps.tenancy.scope import current_scope, tenant_scope
from tests.factories import Partner, make_partner


@pytest.fixture
def partner(committed_db: None) -> Iterator[Partner]:
    # Keep the handler thread's connection between calls, as pooled connections would.
    saved = connection.settings_dict.get("CONN_MAX_AGE", 0)
    connection.settings_dict["CONN_MAX_AGE"] = None
    try:
        yield make_partner("async-scope")
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = saved


@database_sync_to_async
def _handler_that_fails(organization_id: int) -> None:
    with tenant_scope(organization_id):
        raise RuntimeError("a consumer handler failing inside its tenant scope")


@database_sync_to_async
def _what_the_next_message_sees() -> tuple[int, str, str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid(),"
            " coalesce(current_setting('backlot.organization_id', true), ''),"
            " coalesce(current_setting('backlot.user_id', true), '')"
        )
        backend, organization_id, user_id = cursor.fetchone()
    return backend, organization_id, user_id, current_scope() is None


@database_sync_to_async
def _close_the_handler_connection() -> None:
    connection.close()


async def test_a_failing_consumer_handler_leaves_no_scope_on_the_kept_connection(
    partner: Partner,
) -> None:
    try:
        backend_before, *_ = await _what_the_next_message_sees()
        with pytest.raises(RuntimeError):
            await _handler_that_fails(partner.organization.pk)
        backend_after, organization_id, user_id, no_scope = await _what_the_next_message_sees()
    finally:
        await _close_the_handler_connection()  # the test database is dropped at the end
    assert backend_after == backend_before  # the same database session was reused
    assert (organization_id, user_id) == ("", "")
    assert no_scope
