"""Re-run with changes (the last mile): a new job of an AI-made version's operation, made
from its parent job and, often, from a review note on the parent's version.

Here: resolving the parent job and the note a form or the API names, the form values a
re-run starts from, the parameters diff between parent and child, and placing the child's
result beside its parent in the open review sessions (called by results intake)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from apps.core.errors import NotFound, ValidationFailed
from apps.production.models import Project, Version
from apps.render.models import Job
from apps.review.models import Note
from apps.review.selectors import access_note_by_id
from apps.review.sessions import playlist_place_beside
from gpu_workers.registry import Operation


def rerun_origin(
    *, project: Project, parent_id: int | None, note_id: int | None
) -> tuple[Job | None, Note | None]:
    """The parent job and the note of a re-run, both of this project (else a 400 naming
    the field: a form or a pipeline script gave an id that does not fit)."""
    parent = None
    note = None
    if parent_id:
        parent = Job.objects.select_related("version").filter(pk=parent_id, project=project).first()
        if parent is None:
            raise ValidationFailed("Choose a render job of this project to re-run.", field="parent")
    if note_id:
        if parent is None:
            raise ValidationFailed("A note is given only with the job it re-runs.", field="note")
        try:
            note = access_note_by_id(int(note_id))
        except NotFound as error:
            raise ValidationFailed("That note is not in this project.", field="note") from error
        if note.project_id != project.pk:
            raise ValidationFailed("That note is not in this project.", field="note")
    return parent, note


def rerun_form_values(job: Job) -> dict[str, Any]:
    """What the launch form starts from for a re-run of `job`: its operation, shot, pool,
    priority, character, every input and every parameter."""
    return {
        "operation": job.operation,
        "shot": job.shot_id,
        "pool": job.pool.name,
        "priority": job.priority,
        "character": job.character_id,
        "inputs": {
            role: item.get("media_file_id") if isinstance(item, dict) else item
            for role, item in (job.inputs or {}).items()
        },
        "params": dict(job.params or {}),
        "parent": job.pk,
    }


@dataclass(frozen=True)
class ParamChange:
    name: str
    label: str
    unit: str
    before: Any
    after: Any


def params_diff(parent: Job, child: Job, operation: Operation | None) -> list[ParamChange]:
    """The parameters that differ between a parent job and its re-run, in the operation's
    declared order (labels and units from the declaration)."""
    before, after = parent.params or {}, child.params or {}
    declared = {p.name: p for p in operation.params} if operation is not None else {}
    names = list(declared) + sorted((set(before) | set(after)) - set(declared))
    changes = []
    for name in names:
        if before.get(name) == after.get(name):
            continue
        param = declared.get(name)
        changes.append(
            ParamChange(
                name=name,
                label=param.label if param else name,
                unit=param.unit if param else "",
                before=before.get(name),
                after=after.get(name),
            )
        )
    return changes


def inputs_changed(parent: Job, child: Job) -> list[str]:
    """Input roles whose media differ between parent and child."""

    def ids(job: Job) -> dict[str, Any]:
        return {
            role: item.get("media_file_id") if isinstance(item, dict) else item
            for role, item in (job.inputs or {}).items()
        }

    a, b = ids(parent), ids(child)
    return sorted(role for role in set(a) | set(b) if a.get(role) != b.get(role))


def parent_version_of(job: Job) -> Version | None:
    """The version a re-run's result descends from (its parent job's, on the same shot)."""
    if job.parent_id is None:
        return None
    parent = Job.objects.select_related("version").filter(pk=job.parent_id).first()
    if parent is None or parent.version is None or parent.version.shot_id != job.shot_id:
        return None
    return parent.version


def place_beside_parent(*, job: Job, version: Version) -> list[int]:
    """Puts a re-run's result next to its parent version in every open review session
    that shows the parent. Runs in intake's transaction; returns the session ids."""
    anchor = parent_version_of(job)
    if anchor is None:
        return []
    return playlist_place_beside(anchor=anchor, version=version)
