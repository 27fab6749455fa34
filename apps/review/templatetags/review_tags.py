"""Template helpers for the review includes placed on other apps' pages (version, job,
shot list): what the viewer may do, asked of the policy table, never of a role string."""

from __future__ import annotations

from typing import Any

from django import template

from apps.review.playlist import may_manage
from apps.review.selectors import open_sessions_of_project
from apps.tenancy.policy import Capability, can

register = template.Library()


@register.filter
def can_decide(membership: Any) -> bool:
    return can(membership, Capability.REVIEW_DECIDE)


@register.filter
def can_rerun(membership: Any) -> bool:
    """May launch a re-run with changes from a note (the render submit capability)."""
    return can(membership, Capability.RENDER_SUBMIT)


@register.filter
def can_run_sessions(membership: Any) -> bool:
    return can(membership, Capability.REVIEW_RUN_SESSION)


@register.simple_tag
def review_targets(project: Any, membership: Any) -> dict[str, Any]:
    """Whether the viewer may start a session on `project`, and the open sessions of the
    project they may add versions to."""
    if project is None or not can(membership, Capability.REVIEW_RUN_SESSION):
        return {"can_run": False, "sessions": []}
    sessions = [s for s in open_sessions_of_project(project)[:50] if may_manage(membership, s)]
    return {"can_run": True, "sessions": sessions}
