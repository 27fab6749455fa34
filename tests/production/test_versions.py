from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.production.models import Version
from apps.production.services import version_create
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner, World, make_partner


@pytest.mark.django_db
def test_versions_are_numbered_per_shot(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        first = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
        second = version_create(
            actor=world.a.owner, shot=world.a.shot, source="render", parent=first
        )
    assert (first.label, second.label) == ("v001", "v002")
    assert second.parent == first


def test_concurrent_versions_never_share_a_number(committed_db: None) -> None:
    partner: Partner = make_partner("race")
    errors: list[BaseException] = []

    def make() -> None:
        try:
            with tenant_scope(partner.organization.pk):
                version_create(actor=None, shot=partner.shot, source="render")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=make) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with tenant_scope(partner.organization.pk):
        numbers = sorted(Version.objects.filter(shot=partner.shot).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]
