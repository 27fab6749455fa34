"""The application shell: home, dashboard, staff console and error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import reverse

from apps.audit.selectors import all_audit_entries_readable
from apps.production.selectors import projects_visible, versions_awaiting_decision
from apps.render.selectors import jobs_in_flight
from apps.review.selectors import sessions_open_to
from apps.tenancy.models import Membership, Organization
from apps.tenancy.policy import Capability, can
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import is_beta_admin, memberships_of_user


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("dashboard"))
    return HttpResponseRedirect(reverse("account_login"))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = memberships_of_user(request.user)
    wanted = request.GET.get("org")
    current: Membership | None = next(
        (m for m in memberships if m.organization.slug == wanted),
        memberships[0] if memberships else None,
    )
    projects = []
    sections: dict[str, list[Any]] = {"waiting": [], "jobs": [], "sessions": []}
    if current is not None:
        with tenant_scope(current.organization_id, user_id=request.user.pk):
            projects = list(projects_visible().select_related("organization").order_by("name"))
            if can(current, Capability.REVIEW_DECIDE):
                sections["waiting"] = versions_awaiting_decision()
            sections["jobs"] = jobs_in_flight()
            sections["sessions"] = sessions_open_to(request.user, current)
    return render(
        request,
        "dashboard.html",
        {"memberships": memberships, "current": current, "projects": projects, **sections},
    )


@login_required
def staff_console(request: HttpRequest) -> HttpResponse:
    if not is_beta_admin(request.user):
        raise Http404("Not found.")
    organizations = list(Organization.objects.order_by("kind", "name"))
    with all_audit_entries_readable() as entries:
        recent = list(entries.select_related("organization")[:50])
    return render(request, "staff/console.html", {"organizations": organizations, "recent": recent})


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "Not allowed", "Your role does not allow this.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Not found", "This page does not exist or is not shared with you.")


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: the failure may be the database the context needs.
    return HttpResponse(get_template("errors/500.html").render(), status=500)
