"""Editorial pages: import a cut with a preview before applying, export sequences."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.core.errors import BacklotError, Forbidden
from apps.interchange import edit, selectors, services
from apps.production.selectors import access_project_by_id, sequences_of_project
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page


def _require_writer(membership: Membership) -> None:
    if not can(membership, Capability.PRODUCTION_WRITE):
        raise Forbidden("Only owners and producers can import cuts.")


@organization_page
@require_http_methods(["GET", "POST"])
def editorial_page(request: HttpRequest, membership: Membership, project_id: int) -> HttpResponse:
    project = access_project_by_id(project_id)
    if request.method == "POST":
        try:
            _require_writer(membership)
            upload = request.FILES.get("file")
            if upload is None:
                raise Forbidden("Choose an edit file to import.")
            cut_import = services.cut_import_preview(
                actor=request.user,
                project=project,
                filename=upload.name or "edit",
                data=upload.read(services.MAX_EDIT_BYTES + 1),
                sequence_code=request.POST.get("sequence_code", ""),
            )
            return HttpResponseRedirect(
                reverse(
                    "editorial-import",
                    args=[membership.organization.slug, project.pk, cut_import.pk],
                )
            )
        except BacklotError as error:
            messages.error(request, error.message)
    return render(
        request,
        "interchange/editorial.html",
        {
            "membership": membership,
            "project": project,
            "sequences": sequences_of_project(project),
            "imports": selectors.cut_imports_of_project(project)[:20],
            "export_types": [
                ("edl", "CMX 3600 EDL"),
                ("fcp7xml", "FCP7 XML"),
                ("otio", "OpenTimelineIO"),
                ("ccc", "CDL collection (.ccc)"),
            ],
            "can_import": can(membership, Capability.PRODUCTION_WRITE),
            "accepted": ", ".join(sorted(edit.EXTENSIONS)),
        },
    )


@organization_page
@require_http_methods(["GET", "POST"])
def editorial_import_page(
    request: HttpRequest, membership: Membership, project_id: int, import_id: int
) -> HttpResponse:
    project = access_project_by_id(project_id)
    cut_import = selectors.access_cut_import_by_id(project, import_id)
    if request.method == "POST":
        try:
            _require_writer(membership)
            services.cut_import_apply(actor=request.user, cut_import=cut_import)
            messages.success(request, f"Cut applied to {project.name}.")
            return HttpResponseRedirect(
                reverse("project-page", args=[membership.organization.slug, project.pk])
            )
        except BacklotError as error:
            messages.error(request, error.message)
    counts = {
        action: sum(1 for row in cut_import.plan if row["action"] == action)
        for action in ("create", "update", "unchanged")
    }
    return render(
        request,
        "interchange/import_preview.html",
        {
            "membership": membership,
            "project": project,
            "cut_import": cut_import,
            "counts": counts,
            "can_apply": can(membership, Capability.PRODUCTION_WRITE),
        },
    )
