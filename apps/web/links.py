"""One address per thing: `/r/<public id>/` opens a session, version or shot for everybody
allowed to see it, under the organization through which they see it (the partner's own,
or the studio through a project share). Missing and forbidden give the same 404."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.production.models import Shot, Version
from apps.review.models import ReviewSession
from apps.review.selectors import may_join
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import memberships_of_user

PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


def _page_in_scope(request: HttpRequest, membership: Membership, public_id: str) -> str | None:
    """The page of the thing under this membership's organization, or None."""
    slug = membership.organization.slug
    session = ReviewSession.objects.filter(public_id=public_id).first()
    if session is not None:
        if may_join(request.user, session, membership):
            return reverse("review-room", args=[slug, session.pk])
        return None
    version = Version.objects.filter(public_id=public_id).first()
    if version is not None:
        return reverse("version-page", args=[slug, version.project_id, version.pk])
    shot = Shot.objects.filter(public_id=public_id).first()
    if shot is not None:
        return reverse("shot-page", args=[slug, shot.project_id, shot.pk])
    return None


@login_required
def public_link(request: HttpRequest, public_id: str) -> HttpResponse:
    if not PUBLIC_ID.fullmatch(public_id):
        raise Http404("Not found.")
    for membership in memberships_of_user(request.user):
        with tenant_scope(membership.organization_id, user_id=request.user.pk):
            page = _page_in_scope(request, membership, public_id)
        if page is not None:
            return HttpResponseRedirect(page)
    raise Http404("Not found.")
