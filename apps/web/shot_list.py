"""The project's shot list: filters (status of the latest version, sequence, free text) and
sorting (code, status, last activity) read from GET parameters, so a filtered list is a
shareable URL. Each row carries its latest version with its review state (note counts,
latest decision) and poster; the whole list costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import QueryDict

from apps.media.selectors import posters_of_versions
from apps.production.models import Project, Sequence, Shot, Version, VersionStatus
from apps.review.version_state import ReviewState, review_state, versions_with_review_state

NO_VERSION = "none"
SORTS = {
    "code": "Code",
    "status": "Status",
    "activity": "Last activity",
}
# Shots that need someone's attention first: changes requested, then waiting for review.
STATUS_RANK = [
    VersionStatus.CHANGES_REQUESTED,
    VersionStatus.IN_REVIEW,
    VersionStatus.PENDING,
    VersionStatus.REJECTED,
    VersionStatus.APPROVED,
]
MAX_SEARCH = 100


@dataclass
class ShotFilters:
    status: str = ""
    sequence: str = ""
    q: str = ""
    sort: str = "code"
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return bool(self.status or self.sequence or self.q)

    @property
    def grouped(self) -> bool:
        """Sorted by code the list keeps its sequence sections; other sorts are one list."""
        return self.sort == "code"


def status_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in VersionStatus.choices] + [
        (NO_VERSION, "No versions")
    ]


def parse_filters(params: QueryDict, sequences: list[Sequence]) -> ShotFilters:
    """Read the filters; an unknown value is dropped and reported against its field."""
    filters = ShotFilters()
    errors: dict[str, str] = {}
    status = params.get("status", "").strip()
    if status and status not in {value for value, _ in status_choices()}:
        errors["status"] = f"Unknown status {status[:40]!r}; pick one from the list."
    else:
        filters.status = status
    sequence = params.get("sequence", "").strip()
    if sequence and sequence not in {s.code for s in sequences}:
        errors["sequence"] = f"This project has no sequence {sequence[:40]!r}."
    else:
        filters.sequence = sequence
    q = params.get("q", "").strip()
    if len(q) > MAX_SEARCH:
        errors["q"] = f"Search for at most {MAX_SEARCH} characters."
    else:
        filters.q = q
    sort = params.get("sort", "").strip() or "code"
    if sort not in SORTS:
        errors["sort"] = f"Unknown sort {sort[:40]!r}; sort by code, status or activity."
    else:
        filters.sort = sort
    filters.errors = errors
    return filters


def _shots(project: Project, filters: ShotFilters) -> QuerySet[Shot]:
    latest = Version.objects.filter(shot=OuterRef("pk")).order_by("-number")
    shots = Shot.objects.filter(project=project).annotate(
        latest_version_id=Subquery(latest.values("pk")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
        last_activity=Coalesce(
            Greatest(
                Max("versions__created_at"),
                Max("versions__review_notes__updated_at"),
                Max("versions__review_decisions__created_at"),
                F("created_at"),
            ),
            F("created_at"),
            output_field=DateTimeField(),
        ),
        status_rank=Case(
            *[
                When(latest_status=status, then=Value(rank))
                for rank, status in enumerate(STATUS_RANK)
            ],
            default=Value(len(STATUS_RANK)),
            output_field=IntegerField(),
        ),
    )
    if filters.status == NO_VERSION:
        shots = shots.filter(latest_version_id__isnull=True)
    elif filters.status:
        shots = shots.filter(latest_status=filters.status)
    if filters.sequence:
        shots = shots.filter(sequence__code=filters.sequence)
    if filters.q:
        shots = shots.filter(
            Q(code__icontains=filters.q)
            | Q(description__icontains=filters.q)
            | Q(sequence__code__icontains=filters.q)
            | Q(sequence__name__icontains=filters.q)
        )
    order = {
        "code": ["sequence__code", "code", "pk"],
        "status": ["status_rank", "sequence__code", "code", "pk"],
        "activity": ["-last_activity", "sequence__code", "code", "pk"],
    }[filters.sort]
    return shots.select_related("sequence").order_by(*order)


@dataclass
class ShotRow:
    shot: Shot
    latest: Version | None
    poster: Any
    review: ReviewState | None


def shot_rows(project: Project, filters: ShotFilters) -> list[ShotRow]:
    shots = list(_shots(project, filters))
    latest_ids = [s.latest_version_id for s in shots if s.latest_version_id]  # type: ignore[attr-defined]
    # One query for the latest versions with their note counts and latest decision.
    versions = {
        v.pk: v for v in versions_with_review_state(Version.objects.filter(pk__in=latest_ids))
    }
    states = {pk: review_state(v) for pk, v in versions.items()}
    posters = posters_of_versions(latest_ids)
    rows = []
    for shot in shots:
        version_id = shot.latest_version_id  # type: ignore[attr-defined]
        rows.append(
            ShotRow(
                shot=shot,
                latest=versions.get(version_id),
                poster=posters.get(version_id),
                review=states.get(version_id),
            )
        )
    return rows


def shot_groups(
    project: Project, filters: ShotFilters, sequences: list[Sequence]
) -> list[tuple[Sequence | None, list[ShotRow]]]:
    """Sequence sections in cut order (sorted by code), or one list (other sorts)."""
    rows = shot_rows(project, filters)
    if not filters.grouped:
        return [(None, rows)]
    shown = [s for s in sequences if not filters.sequence or s.code == filters.sequence]
    by_sequence: dict[int, list[ShotRow]] = {s.pk: [] for s in shown}
    for row in rows:
        by_sequence.setdefault(row.shot.sequence_id, []).append(row)
    return [(s, by_sequence[s.pk]) for s in shown if by_sequence[s.pk] or not filters.active]
