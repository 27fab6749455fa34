"""Pages: the sessions of an organization and the live review room."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.review import selectors
from apps.review.models import ReviewSession
from apps.tenancy.models import Membership
from apps.tenancy.web import organization_page


@organization_page
def sessions_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    sessions = [
        s
        for s in ReviewSession.objects.select_related("project", "host").order_by("-created_at")[
            :200
        ]
        if selectors.may_join(request.user, s, membership)
    ]
    return render(request, "review/sessions.html", {"membership": membership, "sessions": sessions})


@organization_page
def room_page(request: HttpRequest, membership: Membership, session_id: int) -> HttpResponse:
    session = selectors.access_session_by_id(request.user, membership, session_id)
    return render(
        request,
        "review/room.html",
        {
            "membership": membership,
            "session": session,
            "session_info": selectors.session_data(session),
        },
    )
