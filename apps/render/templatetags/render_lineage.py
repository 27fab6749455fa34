"""`{% version_lineage version membership %}`: on the page of an AI-made version, the
"Re-run with changes" link and the lineage (parent version, parameters diff, re-runs)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from apps.render import rerun, selectors
from apps.render.models import Job
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can

register = template.Library()


def rerun_url(membership: Membership, job: Job, note_id: int | None = None) -> str:
    """The launch form pre-filled from `job` (and the note that asks for the re-run)."""
    url = reverse("render-job-new", args=[membership.organization.slug, job.project_id])
    return f"{url}?rerun_of={job.pk}" + (f"&note={note_id}" if note_id else "")


@register.inclusion_tag("render/_lineage.html")
def version_lineage(version: Any, membership: Membership) -> dict[str, Any]:
    job = (
        Job.objects.select_related("parent", "parent__version", "note", "note__author")
        .filter(version=version)
        .first()
        if version is not None and getattr(version, "source", "") == "render"
        else None
    )
    if job is None:
        return {"job": None}
    operation = selectors.operation_of_job(job)
    parent = job.parent
    children = list(
        Job.objects.select_related("version").filter(parent=job).order_by("submitted_at", "pk")
    )
    return {
        "job": job,
        "membership": membership,
        "operation": operation,
        "can_rerun": can(membership, Capability.RENDER_SUBMIT) and operation is not None,
        "rerun_url": rerun_url(membership, job),
        "parent": parent,
        "changes": rerun.params_diff(parent, job, operation) if parent else [],
        "inputs_changed": rerun.inputs_changed(parent, job) if parent else [],
        "children": children,
    }
