"""Tenant resolution for server-rendered pages, mirroring the API base class."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from apps.core.errors import NotFound
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import access_membership_by_slug

PageView = Callable[..., HttpResponse]


def organization_page(view: PageView) -> PageView:
    """Resolves `org` from the URL, 404 unless a member, runs the view in the tenant scope."""

    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            membership = access_membership_by_slug(request.user, org)
        except NotFound as error:
            raise Http404(error.message) from error
        with tenant_scope(membership.organization_id, user_id=request.user.pk):
            try:
                response = view(request, membership, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response.render()
                return response
            except NotFound as error:
                raise Http404(error.message) from error

    return wrapper
