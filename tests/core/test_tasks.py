from __future__ import annotations

import pytest

from apps.production.models import Project
from apps.tenancy.tasks import in_tenant_scope
from tests.factories import World


@in_tenant_scope
def _visible_projects(*, organization_id: int) -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM production_project ORDER BY id")
        raw = [row[0] for row in cursor.fetchall()]
    assert raw == sorted(Project.objects.values_list("pk", flat=True))
    return raw


@pytest.mark.django_db
def test_a_task_sees_only_its_organization_in_orm_and_sql(world: World) -> None:
    assert _visible_projects(organization_id=world.b.organization.pk) == [world.b.project.pk]
    with pytest.raises(TypeError):
        _visible_projects()  # type: ignore[call-arg]
