"""Pages: project list and creation, shot list, shot page (version stack and uploads),
version page (proxy player) and the signed-link redirect used by <img>/<video>."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.core.errors import BacklotError, Forbidden, NotFound, ValidationFailed
from apps.media.api import UPLOADERS
from apps.media.proxy import color_space_names
from apps.media.selectors import (
    access_media_by_id,
    posters_of_versions,
    version_media,
    viewer_proxy_of,
)
from apps.media.services import media_signed_url, viewer_proxy_request
from apps.production import selectors, services
from apps.production.models import Project, Version
from apps.tenancy.models import Membership
from apps.tenancy.web import organization_page

PROJECT_CREATORS = frozenset({"owner", "producer"})


def _can_upload(membership: Membership, project: Project) -> bool:
    return membership.role in UPLOADERS and project.organization_id == membership.organization_id


@organization_page
@require_http_methods(["GET", "POST"])
def project_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    can_create = membership.role in PROJECT_CREATORS
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


def _latest_versions(shot_ids: list[int]) -> dict[int, Version]:
    latest: dict[int, Version] = {}
    for version in Version.objects.filter(shot_id__in=shot_ids).order_by("shot_id", "number"):
        latest[version.shot_id] = version
    return latest


@organization_page
def project_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    sequences = []
    shot_ids: list[int] = []
    for sequence in selectors.sequences_of_project(project):
        shots = list(sequence.shots.order_by("code"))
        shot_ids += [shot.pk for shot in shots]
        sequences.append((sequence, shots))
    latest = _latest_versions(shot_ids)
    posters = posters_of_versions([v.pk for v in latest.values()])
    rows = [
        (
            sequence,
            [
                (
                    shot,
                    latest.get(shot.pk),
                    posters.get(latest[shot.pk].pk) if shot.pk in latest else None,
                )
                for shot in shots
            ],
        )
        for sequence, shots in sequences
    ]
    return render(
        request,
        "production/project.html",
        {
            "membership": membership,
            "project": project,
            "sequences": rows,
            "shared_in": project.organization_id != membership.organization_id,
            "can_upload": _can_upload(membership, project),
        },
    )


@organization_page
def shot_page(
    request: HttpRequest, membership: Membership, project_id: int, shot_id: int
) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    shot = selectors.access_shot_by_id(shot_id)
    if shot.project_id != project.pk:
        raise NotFound("Shot not found.")
    versions = list(selectors.versions_of_shot(shot).select_related("created_by"))
    stack = [(version, version_media(version)) for version in versions]
    return render(
        request,
        "production/shot.html",
        {
            "membership": membership,
            "project": project,
            "shot": shot,
            "stack": stack,
            "shared_in": project.organization_id != membership.organization_id,
            "can_upload": _can_upload(membership, project),
            "color_spaces": color_space_names(),
            "max_upload_bytes": settings.MEDIA_MAX_UPLOAD_BYTES,
        },
    )


@organization_page
def version_page(
    request: HttpRequest, membership: Membership, project_id: int, version_id: int
) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    version = selectors.access_version_by_id(version_id)
    if version.project_id != project.pk:
        raise NotFound("Version not found.")
    files = version_media(version)
    source = files["source"]
    proxy = files["proxy"]
    waiting_for_copy = False
    if project.watermark_reviews and source is not None and proxy is not None:
        # Everyone watches a copy with their own name, partner and date burned in.
        proxy = viewer_proxy_of(source, request.user)
        if proxy is None:
            viewer_proxy_request(actor=request.user, source=source)
            waiting_for_copy = True
    can_download = membership.role in (project.original_download_roles or [])
    siblings = list(selectors.versions_of_shot(version.shot))
    return render(
        request,
        "production/version.html",
        {
            "membership": membership,
            "project": project,
            "version": version,
            "shot": version.shot,
            "source": source,
            "proxy": proxy,
            "waiting_for_copy": waiting_for_copy,
            "poster": files["poster"],
            "filmstrip": files["filmstrip"],
            "siblings": siblings,
            # The page's feedback control is about this version.
            "feedback_subject_type": "version",
            "feedback_subject_id": version.pk,
            "can_download": can_download and source is not None and source.state == "ready",
            "shared_in": project.organization_id != membership.organization_id,
        },
    )


@organization_page
def media_link(
    request: HttpRequest, membership: Membership, media_id: int, purpose: str
) -> HttpResponse:
    """Mints a fresh presigned link (≤5 min, audited) and redirects to it, so pages can
    use stable URLs in <img> and <video> without ever holding a long-lived link."""
    if purpose not in ("play", "download"):
        raise NotFound("Not found.")
    media = access_media_by_id(media_id)
    try:
        url = media_signed_url(
            actor=request.user, role=membership.role, media_id=media.pk, purpose=purpose
        )
    except Forbidden:
        return HttpResponse("Your role may not download original media.", status=403)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response
