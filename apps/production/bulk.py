"""Creating many shots at once (a cut import of thousands of events): one permission check,
a few statements for the whole batch, one audit entry, one event after commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import send_organization_event
from apps.production.models import Project, Sequence, Shot
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require
from apps.tenancy.scope import require_scope

BATCH = 1000


@dataclass(frozen=True)
class ShotRow:
    sequence_code: str
    code: str
    cut_in: int
    cut_out: int
    description: str = ""


def _membership(actor: Any) -> Any:
    """The actor's membership in the organization in scope (a Membership passes through)."""
    if hasattr(actor, "role"):
        return actor
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    scope = require_scope()
    return Membership.objects.filter(organization_id=scope.organization_id, user=actor).first()


def _validated(rows: Iterable[ShotRow]) -> list[ShotRow]:
    clean: list[ShotRow] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        code, sequence_code = row.code.strip(), row.sequence_code.strip()
        if not code:
            raise ValidationFailed("A shot needs a code.", field="code")
        if not sequence_code:
            raise ValidationFailed(f"Shot {code} needs a sequence.", field="sequence_code")
        if row.cut_out < row.cut_in:
            raise ValidationFailed(
                f"Shot {code}: the cut out frame must not be before the cut in frame.",
                field="cut_out",
            )
        if (sequence_code, code) in seen:
            raise Conflict(f"Shot {code} is listed twice in {sequence_code}.", field="code")
        seen.add((sequence_code, code))
        clean.append(ShotRow(sequence_code, code, row.cut_in, row.cut_out, row.description))
    return clean


def shots_create_bulk(*, actor: Any, project: Project, rows: Iterable[ShotRow]) -> list[Shot]:
    """Create the shots (and the sequences they name that do not exist yet) in one
    transaction. Refuses the whole batch if any shot already exists in its sequence."""
    require(_membership(actor), Capability.PRODUCTION_WRITE)
    clean = _validated(rows)
    if not clean:
        return []
    with transaction.atomic():
        sequences = {s.code: s for s in Sequence.objects.filter(project=project)}
        new_sequences = [
            Sequence(organization_id=project.organization_id, project=project, code=code)
            for code in sorted({row.sequence_code for row in clean} - set(sequences))
        ]
        for sequence in Sequence.objects.bulk_create(new_sequences, batch_size=BATCH):
            sequences[sequence.code] = sequence
        taken = set(
            Shot.objects.filter(
                project=project, sequence__code__in={row.sequence_code for row in clean}
            ).values_list("sequence__code", "code")
        )
        clash = next((row for row in clean if (row.sequence_code, row.code) in taken), None)
        if clash is not None:
            raise Conflict(
                f"Shot {clash.code} already exists in {clash.sequence_code}.", field="code"
            )
        shots = Shot.objects.bulk_create(
            [
                Shot(
                    organization_id=project.organization_id,
                    project=project,
                    sequence=sequences[row.sequence_code],
                    code=row.code,
                    cut_in=row.cut_in,
                    cut_out=row.cut_out,
                    description=row.description,
                )
                for row in clean
            ],
            batch_size=BATCH,
        )
        audit_record(
            action="shot.create_bulk",
            actor=actor,
            target=project,
            changes={
                "shots": len(shots),
                "sequences_created": [s.code for s in new_sequences],
                "first": [clean[0].code, clean[0].cut_in, clean[0].cut_out],
                "last": [clean[-1].code, clean[-1].cut_in, clean[-1].cut_out],
            },
        )
        # Sent when the transaction commits (send_group_event_after_commit).
        send_organization_event(
            project.organization_id,
            {"type": "shots.created", "project_id": project.pk, "count": len(shots)},
        )
    return shots
