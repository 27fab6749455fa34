"""Server processes keep their database connections in a pool, so one partner's tenant
settings must never ride a reused connection into the next request: they are
transaction-local and end with each request's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

from apps.tenancy import viewsets
from studio.settings import _database, database_pool_options
from tests.api.helpers import api_client_for
from tests.factories import make_partner


def _backend() -> tuple[int, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid(),"
            " coalesce(current_setting('backlot.organization_id', true), ''),"
            " coalesce(current_setting('backlot.user_id', true), '')"
        )
        pid, organization_id, user_id = cursor.fetchone()
    return pid, organization_id, user_id


@pytest.fixture
def one_pooled_connection() -> Iterator[None]:
    """The deployment's pool (off in the test run), with a single connection, so every
    request below is served on the same PostgreSQL session."""
    database = connections["default"]
    database.close()
    saved = dict(database.settings_dict["OPTIONS"])
    options = {**database_pool_options(), "min_size": 1, "max_size": 1}
    database.settings_dict["OPTIONS"] = {**saved, "pool": options}
    database.settings_dict["CONN_HEALTH_CHECKS"] = True
    try:
        yield
    finally:
        database.close()
        database.close_pool()  # type: ignore[attr-defined]  # PostgreSQL backend only
        database.settings_dict["OPTIONS"] = saved
        database.settings_dict["CONN_HEALTH_CHECKS"] = False


def test_server_processes_pool_and_check_their_connections() -> None:
    pooled = _database("postgres://app@db.example/backlot", pool=True)
    assert pooled["OPTIONS"]["pool"]["max_size"] >= 2
    assert pooled["CONN_HEALTH_CHECKS"] is True
    assert pooled["CONN_MAX_AGE"] == 0  # a pool, not a connection kept per thread


@pytest.mark.usefixtures("committed_db", "one_pooled_connection")
def test_partner_a_scope_never_reaches_partner_b_next_request_on_the_same_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = make_partner("reuse-a"), make_partner("reuse-b")
    client_a, client_b = api_client_for(a.owner), api_client_for(b.owner)
    seen_at_start: list[tuple[int, str, str]] = []
    original = viewsets.access_membership_by_slug

    def probe(user: Any, slug: str) -> Any:
        # Inside the request's transaction, before its own tenant scope is set.
        seen_at_start.append(_backend())
        return original(user, slug)

    monkeypatch.setattr(viewsets, "access_membership_by_slug", probe)
    a_shot = f"/api/v1/orgs/{a.organization.slug}/projects/{a.project.pk}/shots/{a.shot.pk}/"

    assert client_a.get(a_shot).status_code == 200
    after_a = _backend()
    # B asks for A's shot through B's organization, then lists B's projects.
    foreign = f"/api/v1/orgs/{b.organization.slug}/projects/{a.project.pk}/shots/{a.shot.pk}/"
    refused = client_b.get(foreign)
    projects = client_b.get(f"/api/v1/orgs/{b.organization.slug}/projects/").json()

    assert refused.status_code == 404
    assert [p["id"] for p in projects["results"]] == [b.project.pk]
    pids = {pid for pid, _, _ in [*seen_at_start, after_a]}
    assert len(pids) == 1, "the requests did not share one kept connection"
    assert after_a[1:] == ("", "")
    assert [seen[1:] for seen in seen_at_start] == [("", "")] * 3
