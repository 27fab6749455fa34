"""Shots without an editorial import: one shot from a form, or a shot list as CSV.

CSV columns (a header row, names case-insensitive, extra columns ignored):
`sequence`, `shot`, `cut_in`, `cut_out`, and optionally `description`. Frames are
timeline frames as everywhere (docs/interchange.md). Sequences that do not exist yet are
created. The whole file is checked first: one bad row refuses the file, naming the line,
and nothing is created.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from apps.core.errors import Conflict, ValidationFailed
from apps.production.models import Project, Sequence, Shot
from apps.production.services import sequence_create, shot_create
from apps.tenancy.policy import Capability, require

MAX_ROWS = 2000
MAX_BYTES = 1_000_000
REQUIRED = ("sequence", "shot", "cut_in", "cut_out")


@dataclass(frozen=True)
class ShotRow:
    line: int
    sequence: str
    shot: str
    cut_in: int
    cut_out: int
    description: str = ""


def _frame(value: str, line: int, column: str) -> int:
    try:
        frame = int(value.strip())
    except ValueError:
        raise ValidationFailed(
            f"Line {line}: {column} must be a whole frame number, not {value.strip()!r}.",
            field="file",
        ) from None
    if not 0 <= frame < 10_000_000:
        raise ValidationFailed(f"Line {line}: {column} is out of range.", field="file")
    return frame


def parse_shot_list(text: str) -> list[ShotRow]:
    if len(text.encode()) > MAX_BYTES:
        raise ValidationFailed("The shot list is larger than 1 MB.", field="file")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {(name or "").strip().lower(): name for name in (reader.fieldnames or [])}
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ValidationFailed(
            "The shot list needs the columns sequence, shot, cut_in and cut_out"
            f" (missing: {', '.join(missing)}).",
            field="file",
        )
    rows: list[ShotRow] = []
    seen: set[tuple[str, str]] = set()
    for raw in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed(f"A shot list has at most {MAX_ROWS} rows.", field="file")

        def cell(column: str, record: dict[str, Any] = raw) -> str:
            return str(record.get(header.get(column, ""), "") or "").strip()

        if not any(cell(column) for column in REQUIRED):
            continue  # a blank line
        row = ShotRow(
            line=line,
            sequence=cell("sequence"),
            shot=cell("shot"),
            cut_in=_frame(cell("cut_in"), line, "cut_in"),
            cut_out=_frame(cell("cut_out"), line, "cut_out"),
            description=cell("description")[:2000],
        )
        if not row.sequence or not row.shot:
            raise ValidationFailed(f"Line {line}: sequence and shot are required.", field="file")
        if row.cut_out < row.cut_in:
            raise ValidationFailed(f"Line {line}: cut_out is before cut_in.", field="file")
        if (row.sequence, row.shot) in seen:
            raise ValidationFailed(
                f"Line {line}: {row.sequence} {row.shot} is listed twice.", field="file"
            )
        seen.add((row.sequence, row.shot))
        rows.append(row)
    if not rows:
        raise ValidationFailed("The shot list has no shots.", field="file")
    return rows


def shots_add(*, actor: Any, membership: Any, project: Project, rows: list[ShotRow]) -> list[Shot]:
    """Creates the shots (and missing sequences) of `rows` in one transaction."""
    require(membership, Capability.PRODUCTION_WRITE)
    created: list[Shot] = []
    with transaction.atomic():
        sequences = {s.code: s for s in Sequence.objects.filter(project=project)}
        for row in rows:
            sequence = sequences.get(row.sequence)
            if sequence is None:
                sequence = sequence_create(actor=actor, project=project, code=row.sequence)
                sequences[row.sequence] = sequence
            try:
                created.append(
                    shot_create(
                        actor=actor,
                        sequence=sequence,
                        code=row.shot,
                        cut_in=row.cut_in,
                        cut_out=row.cut_out,
                        description=row.description,
                    )
                )
            except (ValidationFailed, Conflict) as error:
                raise ValidationFailed(f"Line {row.line}: {error.message}", field="file") from None
    return created
