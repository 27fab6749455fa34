from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from apps.core.errors import NotFound
from apps.production.models import (
    Character,
    ConsentRecord,
    Project,
    Sequence,
    Shot,
    Version,
    VersionStatus,
)


def projects_visible() -> QuerySet[Project]:
    """Projects of the active organization plus projects shared with it."""
    # Aggregating queries drop Meta.ordering, so the order is explicit.
    return Project.objects.annotate(shot_count=Count("shots", distinct=True)).order_by("name", "pk")


def access_project_by_id(project_id: int) -> Project:
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound("Project not found.")
    return project


def sequences_of_project(project: Project) -> QuerySet[Sequence]:
    return (
        Sequence.objects.filter(project=project)
        .annotate(shot_count=Count("shots"))
        .order_by("code", "pk")
    )


def sequence_of_project(project: Project, sequence_id: int) -> Sequence | None:
    return Sequence.objects.filter(project=project, pk=sequence_id).first()


def shots_visible() -> QuerySet[Shot]:
    return Shot.objects.select_related("sequence", "project")


# The columns of a shot in API lists and reads, in this order (see `shot_row_data`).
SHOT_ROW_COLUMNS = (
    "id",
    "organization_id",
    "project_id",
    "sequence_id",
    "sequence__code",
    "code",
    "description",
    "cut_in",
    "cut_out",
    "created_at",
)


def shot_rows(queryset: QuerySet[Shot]) -> QuerySet[Any]:
    """Only the columns the API shows (no model instances): tuples of SHOT_ROW_COLUMNS."""
    return queryset.values_list(*SHOT_ROW_COLUMNS)


def shot_row_by_id(project_id: int, shot_id: int) -> tuple[Any, ...] | None:
    """One visible shot of the project as a SHOT_ROW_COLUMNS tuple: one query; a shot of
    another project (or of nobody visible) is None."""
    return shot_rows(Shot.objects.filter(pk=shot_id, project_id=project_id)).first()


def access_shot_by_id(shot_id: int) -> Shot:
    shot = Shot.objects.select_related("project", "sequence").filter(pk=shot_id).first()
    if shot is None:
        raise NotFound("Shot not found.")
    return shot


def access_version_by_id(version_id: int) -> Version:
    version = Version.objects.select_related("shot", "project").filter(pk=version_id).first()
    if version is None:
        raise NotFound("Version not found.")
    return version


def versions_of_shot(shot: Shot) -> QuerySet[Version]:
    return Version.objects.filter(shot=shot).order_by("-number")


def versions_of_project(project: Project) -> QuerySet[Version]:
    return Version.objects.filter(project=project).order_by("shot_id", "-number")


# --- characters and the consent their likeness depends on ------------------------------


def characters_of_project_with_consent(project: Project) -> QuerySet[Character]:
    return (
        Character.objects.filter(project=project)
        .select_related("consent", "consent__character")
        .order_by("name", "pk")
    )


def access_character_by_id(character_id: int, *, project: Project) -> Character:
    character = (
        characters_of_project_with_consent(project).filter(pk=character_id).first()
        if character_id
        else None
    )
    if character is None:
        raise NotFound("Character not found.")
    return character


def consent_in_force(record: ConsentRecord, *, scope: str, on: date) -> bool:
    return (
        record.revoked_at is None
        and record.valid_from <= on <= record.valid_until
        and scope in (record.scopes or [])
    )


def character_active_consent(
    character: Character, *, scope: str = "likeness", on: date | None = None
) -> ConsentRecord | None:
    """The consent in force today that covers `scope` for the character: the record the
    character depends on (chosen by a producer) first, else any record made for it."""
    day = on or timezone.localdate()
    if character.consent_id is not None:
        chosen = ConsentRecord.objects.filter(pk=character.consent_id).first()
        if chosen is not None and consent_in_force(chosen, scope=scope, on=day):
            return chosen
    for record in ConsentRecord.objects.filter(
        character=character, revoked_at__isnull=True, valid_from__lte=day, valid_until__gte=day
    ).order_by("-valid_until", "-pk"):
        if scope in (record.scopes or []):
            return record
    return None


def consents_in_force_of_project(
    project: Project, *, scope: str = "likeness", on: date | None = None
) -> list[ConsentRecord]:
    """Records a character of the project may depend on (unrevoked, in force, covering
    `scope`), newest first."""
    day = on or timezone.localdate()
    records = (
        ConsentRecord.objects.filter(
            project=project, revoked_at__isnull=True, valid_from__lte=day, valid_until__gte=day
        )
        .select_related("character")
        .order_by("-valid_until", "-pk")
    )
    return [record for record in records if scope in (record.scopes or [])]


def versions_awaiting_decision(limit: int = 8) -> list[Version]:
    """Versions in review in the active organization's projects and the projects shared
    with it, oldest first (the longest wait on top): the dashboard's "waiting for your
    decision"."""
    return list(
        Version.objects.filter(status=VersionStatus.IN_REVIEW)
        .select_related("shot", "project")
        .order_by("created_at", "pk")[:limit]
    )
