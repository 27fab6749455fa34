"""Pages: the project list and project creation. Pages that show media (project, shot,
version) live in `apps.web.production_pages`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.core.colorspace import color_space_names
from apps.core.errors import BacklotError, Forbidden, NotFound, ValidationFailed
from apps.production import selectors, services
from apps.production.models import Project
from apps.tenancy.models import Membership, ProjectShare
from apps.tenancy.policy import Capability, can
from apps.tenancy.selectors import studio_organization
from apps.tenancy.services import project_share_create, project_share_revoke
from apps.tenancy.web import organization_page


def _can_upload(membership: Membership, project: Project) -> bool:
    return (
        can(membership, Capability.MEDIA_UPLOAD)
        and project.organization_id == membership.organization_id
    )


@organization_page
@require_http_methods(["GET", "POST"])
def project_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    can_create = can(membership, Capability.PRODUCTION_WRITE)
    form: dict[str, Any] = {
        "name": "",
        "code": "",
        "frame_rate": "24",
        "width": "1920",
        "height": "1080",
        "working_color_space": "ACEScg",
        "start_timecode": "01:00:00:00",
    }
    error: BacklotError | None = None
    if request.method == "POST":
        form.update({k: request.POST.get(k, "").strip() for k in form})
        form["watermark_reviews"] = request.POST.get("watermark_reviews") == "on"
        form["burn_in_timecode"] = request.POST.get("burn_in_timecode") == "on"
        try:
            if not can_create:
                raise Forbidden("Your role cannot create projects.")
            try:
                width, height = int(form["width"]), int(form["height"])
            except ValueError as bad:
                raise ValidationFailed(
                    "Width and height are whole numbers of pixels.", field="width"
                ) from bad
            project = services.project_create(
                actor=request.user,
                name=form["name"],
                code=form["code"],
                frame_rate=form["frame_rate"],
                width=width,
                height=height,
                working_color_space=form["working_color_space"],
                start_timecode=form["start_timecode"],
                watermark_reviews=form["watermark_reviews"],
                burn_in_timecode=form["burn_in_timecode"],
            )
            return HttpResponseRedirect(
                reverse("project-page", args=[membership.organization.slug, project.pk])
            )
        except BacklotError as failure:
            error = failure
    projects = list(selectors.projects_visible().select_related("organization"))
    return render(
        request,
        "production/projects.html",
        {
            "membership": membership,
            "projects": projects,
            "can_create": can_create,
            "form": form,
            "error": error,
            "color_spaces": color_space_names(),
        },
        status=error.status_code if error else 200,
    )


@organization_page
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    """The project's settings: sharing with the studio for review (the owner shares and
    revokes; revoking closes the studio's open sockets at once)."""
    project = selectors.access_project_by_id(project_id)
    if project.organization_id != membership.organization_id:
        raise NotFound("Project not found.")
    can_share = can(membership, Capability.ORGANIZATION_MANAGE)
    studio = studio_organization()
    if request.method == "POST":
        try:
            if not can_share:
                raise Forbidden("Only the owner can share this project with the studio.")
            if studio is None:
                raise ValidationFailed("There is no studio to share with.", field="grantee")
            if request.POST.get("action") == "share":
                project_share_create(project=project, grantee=studio, actor=request.user)
                messages.success(request, f"{project.name} is now shared with {studio.name}.")
            elif request.POST.get("action") == "revoke":
                for share in ProjectShare.objects.filter(project=project, revoked_at__isnull=True):
                    project_share_revoke(share=share, actor=request.user)
                messages.success(request, f"{project.name} is no longer shared with the studio.")
            else:
                raise ValidationFailed("Unknown action.", field="action")
        except BacklotError as failure:
            messages.error(request, failure.message)
        return HttpResponseRedirect(request.path)
    shares = list(
        ProjectShare.objects.filter(project=project).select_related(
            "grantee", "granted_by", "revoked_by"
        )
    )
    return render(
        request,
        "production/settings.html",
        {
            "membership": membership,
            "project": project,
            "studio": studio,
            "active_share": next((s for s in shares if s.revoked_at is None), None),
            "shares": shares,
            "can_share": can_share,
        },
    )
