"""Pages: the project list and project creation. Pages that show media (project, shot,
version) live in `apps.web.production_pages`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.core.colorspace import color_space_names
from apps.core.errors import BacklotError, Forbidden, NotFound, ValidationFailed
from apps.production import selectors, services
from apps.production.models import Project
from apps.production.shot_list_import import ShotRow, parse_shot_list, shots_add
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
    can_edit = can(membership, Capability.PRODUCTION_WRITE)
    studio = studio_organization()
    currency_form = {"currency": project.currency, "error": ""}
    if request.method == "POST" and request.POST.get("action") == "currency":
        currency_form["currency"] = request.POST.get("currency", "")
        if not can_edit:
            raise PermissionDenied("Only the partner's owners and producers change the currency.")
        try:
            services.project_update(
                actor=request.user, project=project, currency=currency_form["currency"]
            )
        except BacklotError as failure:
            currency_form["error"] = failure.message
        else:
            messages.success(
                request, f"Budgets and costs of {project.name} are now in {project.currency}."
            )
            return HttpResponseRedirect(request.path)
    elif request.method == "POST":
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
            "can_edit": can_edit,
            "currency_form": currency_form,
            "currencies": services.CURRENCIES,
        },
        status=400 if currency_form["error"] else 200,
    )


@organization_page
@require_http_methods(["POST"])
def shots_add_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    """The project page's "Add shot" (one row of the form) and "Import shot list (CSV)"."""
    project = selectors.access_project_by_id(project_id)
    if project.organization_id != membership.organization_id:
        raise NotFound("Project not found.")
    back = reverse("project-page", args=[membership.organization.slug, project.pk])
    try:
        upload = request.FILES.get("file")
        if upload is not None:
            if (upload.size or 0) > 1_000_000:
                raise ValidationFailed("The shot list is larger than 1 MB.", field="file")
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationFailed("Save the shot list as UTF-8 CSV.", field="file") from None
            rows = parse_shot_list(text)
        else:
            values = [request.POST.get(k, "") for k in ("sequence", "shot", "cut_in", "cut_out")]
            rows = _form_row(values, request)
        created = shots_add(actor=request.user, membership=membership, project=project, rows=rows)
    except BacklotError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back)
    names = ", ".join(shot.code for shot in created[:5]) + ("…" if len(created) > 5 else "")
    messages.success(
        request, f"Added {len(created)} shot{'s' if len(created) != 1 else ''}: {names}."
    )
    return HttpResponseRedirect(back)


def _form_row(values: list[str], request: HttpRequest) -> list[ShotRow]:
    sequence, shot, cut_in, cut_out = (v.strip() for v in values)
    if not sequence or not shot:
        raise ValidationFailed("Give the sequence and the shot code.", field="shot")
    try:
        first, last = int(cut_in), int(cut_out)
    except ValueError:
        raise ValidationFailed(
            "Cut in and cut out are whole frame numbers.", field="cut_in"
        ) from None
    if last < first:
        raise ValidationFailed("The cut out frame must not be before the cut in frame.")
    return [
        ShotRow(
            line=1,
            sequence=sequence,
            shot=shot,
            cut_in=first,
            cut_out=last,
            description=request.POST.get("description", "").strip()[:2000],
        )
    ]
