from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.core.errors import NotFound
from apps.production.models import Project, Sequence, Shot, Version


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


def shots_visible() -> QuerySet[Shot]:
    return Shot.objects.select_related("sequence", "project")


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
