from __future__ import annotations

import pytest

from apps.production.models import Project, Shot
from apps.tenancy.models import Membership
from apps.tenancy.scope import (
    TenantScopeRequired,
    TenantScopeViolation,
    current_scope,
    tenant_scope,
)
from apps.tenancy.services import project_share_revoke
from tests.factories import World, share_with_studio


@pytest.mark.django_db
def test_querying_a_tenant_model_without_a_scope_raises(world: World) -> None:
    for model in (Project, Shot, Membership):
        with pytest.raises(TenantScopeRequired):
            list(model.objects.all())


@pytest.mark.django_db
def test_a_scope_only_sees_its_own_organization(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        assert list(Project.objects.values_list("pk", flat=True)) == [world.a.project.pk]
        assert not Shot.objects.filter(pk=world.b.shot.pk).exists()
    assert current_scope() is None


@pytest.mark.django_db
def test_writing_a_row_for_another_organization_is_refused(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        project = Project(organization_id=world.b.organization.pk, name="Sneaky", code="sneaky")
        with pytest.raises(TenantScopeViolation):
            project.save()


@pytest.mark.django_db
def test_studio_sees_a_partner_project_only_while_it_is_shared(world: World) -> None:
    with tenant_scope(world.studio.pk):
        assert not Project.objects.exists()
    share = share_with_studio(world.a, world.studio)
    with tenant_scope(world.studio.pk):
        assert list(Project.objects.values_list("pk", flat=True)) == [world.a.project.pk]
        assert list(Shot.objects.values_list("pk", flat=True)) == [world.a.shot.pk]
    with tenant_scope(world.a.organization.pk):
        project_share_revoke(share=share, actor=world.a.owner)
    with tenant_scope(world.studio.pk):
        assert not Project.objects.exists()
        assert not Shot.objects.exists()


@pytest.mark.django_db
def test_sharing_is_audited(world: World) -> None:
    from apps.audit.models import AuditEntry

    share_with_studio(world.a, world.studio)
    with tenant_scope(world.a.organization.pk):
        entry = AuditEntry.objects.filter(
            organization_id=world.a.organization.pk, action="project_share.create"
        ).get()
    assert entry.actor == world.a.owner
    assert entry.changes["grantee"] == world.studio.slug


@pytest.mark.django_db
def test_studio_may_write_rows_of_a_shared_project_only(world: World) -> None:
    from apps.production.models import Sequence

    share_with_studio(world.a, world.studio)
    with tenant_scope(world.studio.pk):
        shared = Sequence(
            organization_id=world.a.organization.pk, project=world.a.project, code="SQ900"
        )
        shared.save()  # a row of the shared project, owned by the partner
        assert shared.pk is not None
        unshared = Sequence(
            organization_id=world.b.organization.pk, project=world.b.project, code="SQ901"
        )
        with pytest.raises(TenantScopeViolation):
            unshared.save()
