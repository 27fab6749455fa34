"""Many shots at once (a cut import): one permission check, one audit entry, all or none."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEntry
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.production.bulk import ShotRow, shots_create_bulk
from apps.production.models import Sequence, Shot
from apps.tenancy.scope import tenant_scope
from tests.factories import World


@pytest.mark.django_db
def test_bulk_creates_shots_and_missing_sequences_with_one_audit_entry(world: World) -> None:
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.producer.pk):
        shots = shots_create_bulk(
            actor=a.producer,
            project=a.project,
            rows=[
                ShotRow("SQ010", "SH0020", 1001, 1040),
                ShotRow("SQ020", "SH0010", 0, 23),
                ShotRow("SQ020", "SH0020", 24, 24),
            ],
        )
        assert [(s.sequence.code, s.code, s.cut_in, s.cut_out) for s in shots] == [
            ("SQ010", "SH0020", 1001, 1040),
            ("SQ020", "SH0010", 0, 23),
            ("SQ020", "SH0020", 24, 24),
        ]
        assert all(s.pk for s in shots)
        assert Sequence.objects.filter(project=a.project, code="SQ020").count() == 1
        assert Shot.objects.filter(project=a.project).count() == 4
        entries = AuditEntry.objects.filter(action="shot.create_bulk")
        assert [(e.changes["shots"], e.changes["sequences_created"]) for e in entries] == [
            (3, ["SQ020"])
        ]


@pytest.mark.django_db
def test_bulk_refuses_viewers_duplicates_and_bad_ranges_and_creates_nothing(
    world: World,
) -> None:
    a = world.a
    with tenant_scope(a.organization.pk, user_id=a.viewer.pk):
        with pytest.raises(Forbidden):
            shots_create_bulk(
                actor=a.viewer, project=a.project, rows=[ShotRow("SQ010", "SH0020", 1, 2)]
            )
    with tenant_scope(a.organization.pk, user_id=a.owner.pk):
        with pytest.raises(Conflict, match="SH0010 already exists in SQ010"):
            shots_create_bulk(
                actor=a.owner,
                project=a.project,
                rows=[ShotRow("SQ030", "SH0001", 1, 2), ShotRow("SQ010", "SH0010", 1, 2)],
            )
        with pytest.raises(ValidationFailed, match="SH0002: the cut out frame"):
            shots_create_bulk(
                actor=a.owner, project=a.project, rows=[ShotRow("SQ010", "SH0002", 10, 9)]
            )
        with pytest.raises(Conflict, match="listed twice"):
            shots_create_bulk(
                actor=a.owner,
                project=a.project,
                rows=[ShotRow("SQ010", "SH0003", 1, 2), ShotRow("SQ010", "SH0003", 3, 4)],
            )
        assert list(Shot.objects.filter(project=a.project).values_list("code", flat=True)) == [
            "SH0010"
        ]
        assert not Sequence.objects.filter(project=a.project, code="SQ030").exists()
