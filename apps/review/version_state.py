"""Reads of a version's review state for lists and pages: how many notes (and how many are
still open) and the latest decision with who made it and when. One annotated query for any
number of versions (no query per row); always inside the caller's tenant scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery

from apps.production.models import Version
from apps.review.models import Decision, DecisionKind, Note, NoteStatus


def versions_with_review_state(versions: QuerySet[Version]) -> QuerySet[Version]:
    """`versions` annotated with `note_count`, `open_note_count`, `last_decision`,
    `last_decision_at`, `last_decision_by_email` and `last_decision_by_name`."""
    latest = Decision.objects.filter(version=OuterRef("pk")).order_by("-created_at", "-pk")
    notes = Note.objects.filter(version=OuterRef("pk")).order_by().values("version")
    return versions.annotate(
        note_count=Subquery(notes.annotate(n=Count("pk")).values("n")[:1]),
        open_note_count=Subquery(
            notes.filter(status=NoteStatus.OPEN).annotate(n=Count("pk")).values("n")[:1]
        ),
        last_decision=Subquery(latest.values("decision")[:1]),
        last_decision_at=Subquery(latest.values("created_at")[:1]),
        last_decision_by_email=Subquery(latest.values("actor__email")[:1]),
        last_decision_by_name=Subquery(latest.values("actor__display_name")[:1]),
    )


@dataclass(frozen=True)
class ReviewState:
    """What a page shows about a version's review."""

    note_count: int
    open_note_count: int
    decision: str | None
    decision_label: str
    decided_at: datetime | None
    decided_by: str

    @property
    def resolved_note_count(self) -> int:
        return self.note_count - self.open_note_count


def review_state(version: Any) -> ReviewState:
    """The state of one annotated version (see `versions_with_review_state`)."""
    decision = getattr(version, "last_decision", None)
    name = getattr(version, "last_decision_by_name", "") or ""
    email = getattr(version, "last_decision_by_email", "") or ""
    return ReviewState(
        note_count=getattr(version, "note_count", None) or 0,
        open_note_count=getattr(version, "open_note_count", None) or 0,
        decision=decision,
        decision_label=DecisionKind(decision).label if decision else "",
        decided_at=getattr(version, "last_decision_at", None),
        decided_by=name or email.split("@")[0],
    )


def review_state_of_version(version: Version) -> ReviewState:
    annotated = versions_with_review_state(Version.objects.filter(pk=version.pk)).get()
    return review_state(annotated)


def review_state_by_version(versions: QuerySet[Version]) -> dict[int, ReviewState]:
    """One query: the review state of every version in `versions`, by id."""
    return {v.pk: review_state(v) for v in versions_with_review_state(versions)}
