"""Production pages that show media: the project (shots with posters), the shot (version
stack and uploads) and the version (proxy player). They span production and media (and
later review and render), so they live on the top floor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.colorspace import color_space_names
from apps.core.errors import NotFound
from apps.media.pipeline import viewer_proxy_request
from apps.media.selectors import rejected_uploads_of_shot, version_media, viewer_proxy_of
from apps.production import selectors
from apps.production.models import Project
from apps.review.version_state import review_state, versions_with_review_state
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page
from apps.web.shot_list import SORTS, parse_filters, shot_groups, status_choices
from apps.web.version_outputs import version_outputs_context
from apps.web.version_review import version_review_context


def _can_upload(membership: Membership, project: Project) -> bool:
    return (
        can(membership, Capability.MEDIA_UPLOAD)
        and project.organization_id == membership.organization_id
    )


@organization_page
def project_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    sequences = list(selectors.sequences_of_project(project))
    filters = parse_filters(request.GET, sequences)
    groups = shot_groups(project, filters, sequences)
    return render(
        request,
        "production/project.html",
        {
            "membership": membership,
            "project": project,
            "sequences": sequences,
            "groups": groups,
            "shown_count": sum(len(rows) for _, rows in groups),
            "filters": filters,
            "status_choices": status_choices(),
            "sort_choices": list(SORTS.items()),
            "shared_in": project.organization_id != membership.organization_id,
            "can_upload": _can_upload(membership, project),
            "can_add_shots": project.organization_id == membership.organization_id
            and can(membership, Capability.PRODUCTION_WRITE),
        },
        # A filter value that makes no sense is refused (named next to its field).
        status=400 if filters.errors else 200,
    )


@organization_page
def shot_page(
    request: HttpRequest, membership: Membership, project_id: int, shot_id: int
) -> HttpResponse:
    project = selectors.access_project_by_id(project_id)
    shot = selectors.access_shot_by_id(shot_id)
    if shot.project_id != project.pk:
        raise NotFound("Shot not found.")
    versions = list(
        versions_with_review_state(selectors.versions_of_shot(shot).select_related("created_by"))
    )
    stack = [(version, version_media(version), review_state(version)) for version in versions]
    return render(
        request,
        "production/shot.html",
        {
            "membership": membership,
            "project": project,
            "shot": shot,
            "stack": stack,
            "length_mismatch": length_mismatch(shot, stack),
            "rejected_uploads": rejected_uploads_of_shot(shot),
            "shared_in": project.organization_id != membership.organization_id,
            "can_upload": _can_upload(membership, project),
            "color_spaces": color_space_names(),
            "max_upload_bytes": settings.MEDIA_MAX_UPLOAD_BYTES,
        },
    )


def length_mismatch(shot: Any, stack: list[tuple[Any, Any, Any]]) -> dict[str, Any] | None:
    """The newest validated version whose media length differs from the cut's (a 48-frame
    plate on a 66-frame shot), with both numbers; None when they agree."""
    for version, files, _review in stack:
        source = files.get("source")
        if source is None or source.state != "ready" or not source.frame_count:
            continue
        if source.frame_count == shot.frame_count:
            return None
        difference = source.frame_count - shot.frame_count
        return {
            "version": version,
            "kind": source.get_kind_display().lower(),
            "frames": source.frame_count,
            "short_by": -difference,
            "long_by": difference,
        }
    return None


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
            # An image sequence is many objects under a prefix: no one-file download yet.
            "can_download": can_download
            and source is not None
            and source.state == "ready"
            and not source.storage_key.endswith("/"),
            "shared_in": project.organization_id != membership.organization_id,
            **version_review_context(version, membership),
            **version_outputs_context(version, membership, project),
        },
    )
