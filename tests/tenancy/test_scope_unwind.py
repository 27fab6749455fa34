"""The tenant scope unwinds on every way out of a request, 500s included, in the app and in
the database session, so a reused connection can never carry one partner's settings into
another partner's request."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
from django.db import connection

from apps.production.api import ProjectViewSet
from apps.production.models import Project
from apps.tenancy.scope import current_scope, tenant_scope
from apps.tenancy.tasks import in_tenant_scope
from tests.api.helpers import api_client_for
from tests.factories import World


def _database_scope() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting('backlot.organization_id', true), ''),"
            " coalesce(current_setting('backlot.user_id', true), '')"
        )
        organization_id, user_id = cursor.fetchone()
    return organization_id, user_id


@pytest.mark.django_db
def test_an_unexpected_error_in_a_handler_leaves_no_scope_behind(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: Any, request: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(ProjectViewSet, "list", explode)
    client = api_client_for(world.a.owner)
    client.raise_request_exception = False
    slug = world.a.organization.slug

    response = client.get(f"/api/v1/orgs/{slug}/projects/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "a bug in a handler" not in response.content.decode()
    assert current_scope() is None
    assert _database_scope() == ("", "")


@pytest.mark.django_db
def test_a_refused_request_leaves_no_scope_behind(world: World) -> None:
    client = api_client_for(world.a.viewer)
    slug = world.a.organization.slug

    response = client.post(f"/api/v1/orgs/{slug}/projects/", {"name": "Nope"}, format="json")

    assert response.status_code == 403
    assert current_scope() is None
    assert _database_scope() == ("", "")


@pytest.mark.django_db
def test_a_scope_closed_from_another_context_still_restores_the_database(world: World) -> None:
    scope = tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk)
    # Entered in one context and closed in another: what a generator finalised by the
    # garbage collector does. Neither is this test's own context, which stays clean.
    contextvars.copy_context().run(scope.__enter__)
    assert _database_scope()[0] == str(world.a.organization.pk)
    contextvars.copy_context().run(scope.__exit__, None, None, None)
    assert _database_scope() == ("", "")
    assert current_scope() is None


@in_tenant_scope
def _task_that_fails(*, organization_id: int) -> None:
    assert _database_scope()[0] == str(organization_id)
    raise RuntimeError("a task body failing inside its tenant scope")


@pytest.mark.django_db
def test_a_failing_celery_task_body_leaves_no_scope_behind(world: World) -> None:
    with pytest.raises(RuntimeError):
        _task_that_fails(organization_id=world.b.organization.pk)
    assert current_scope() is None
    assert _database_scope() == ("", "")


@pytest.mark.django_db
def test_a_generator_abandoned_mid_iteration_leaves_no_scope_behind(world: World) -> None:
    def projects_one_by_one() -> Any:
        with tenant_scope(world.a.organization.pk):
            yield from Project.objects.values_list("pk", flat=True)

    walk = projects_one_by_one()
    assert next(walk) == world.a.project.pk
    assert _database_scope()[0] == str(world.a.organization.pk)
    walk.close()  # abandoned: the caller stops iterating
    assert current_scope() is None
    assert _database_scope() == ("", "")
