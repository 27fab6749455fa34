"""Pages that prepare a review session: the new-session form (from a shot list selection,
a version or a render job's result) and the session's own page (playlist, schedule,
participants, start and end). Thin: every write is a service in `review.sessions` or
`review.playlist`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from apps.core.errors import BacklotError, NotFound, ValidationFailed
from apps.production.selectors import access_project_by_id, versions_of_project
from apps.review import playlist, selectors, sessions
from apps.review.models import PlaylistItem, ReviewSession
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page


def _ids(values: list[str], field: str) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError as error:
        raise ValidationFailed("Choose from the list.", field=field) from error


def parse_schedule(request: HttpRequest) -> datetime | None:
    """`scheduled_for` is an ISO time with its offset (the browser converts the viewer's
    local time); without script, the local field is read as UTC."""
    raw = request.POST.get("scheduled_for", "").strip()
    local = request.POST.get("scheduled_local", "").strip()
    if not raw and not local:
        return None
    try:
        when = datetime.fromisoformat((raw or local).replace("Z", "+00:00"))
    except ValueError as error:
        raise ValidationFailed(
            "Give the date and time as shown in the picker.", field="scheduled_for"
        ) from error
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _next_url(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return default


def _manage_url(membership: Membership, session: ReviewSession) -> str:
    return reverse("review-session-manage", args=[membership.organization.slug, session.pk])


@organization_page
@require_http_methods(["GET", "POST"])
def new_session_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """GET ?project=&shot=…|version=… shows the form; POST creates and opens the session."""
    data = request.POST if request.method == "POST" else request.GET
    error: BacklotError | None = None
    project_raw = data.get("project", "")
    if not project_raw.isdigit():
        raise NotFound("Project not found.")
    project = access_project_by_id(int(project_raw))
    form: dict[str, Any] = {
        "title": data.get("title", "").strip(),
        "scheduled_for": data.get("scheduled_for", ""),
        "scheduled_local": data.get("scheduled_local", ""),
    }
    try:
        version_ids = _ids(data.getlist("version"), "versions")
        shot_ids = _ids(data.getlist("shot"), "versions")
    except ValidationFailed as failure:
        version_ids, shot_ids, error = [], [], failure
    chosen = selectors.latest_versions_of_shots(project, shot_ids)
    by_id = {
        v.pk: v
        for v in versions_of_project(project).select_related("shot").filter(pk__in=version_ids)
    }
    chosen = [by_id[v] for v in version_ids if v in by_id] + [
        v for v in chosen if v.pk not in by_id
    ]
    if not form["title"]:
        form["title"] = f"{project.name} review" + (
            f" · {chosen[0].shot.code} {chosen[0].label}" if len(chosen) == 1 else ""
        )
    if request.method == "POST" and error is None:
        try:
            session = sessions.session_create(
                actor=membership,
                project=project,
                title=form["title"],
                version_ids=[v.pk for v in chosen],
                scheduled_for=parse_schedule(request),
            )
            messages.success(request, f"Review session “{session.title}” created.")
            return HttpResponseRedirect(_manage_url(membership, session))
        except BacklotError as failure:
            error = failure
    if request.method == "GET" and shot_ids and not chosen:
        error = ValidationFailed("The selected shots have no versions yet.", field="versions")
    return render(
        request,
        "review/new.html",
        {
            "membership": membership,
            "project": project,
            "versions": chosen,
            "form": form,
            "error": error,
            "can_run": can(membership, Capability.REVIEW_RUN_SESSION),
        },
        status=error.status_code if error and request.method == "POST" else 200,
    )


def _apply(request: HttpRequest, membership: Membership, session: ReviewSession) -> str:
    """Runs the posted action; returns the success message."""
    action = request.POST.get("action", "")
    if action == "add":
        added = playlist.playlist_add(
            actor=membership,
            session=session,
            version_ids=_ids(request.POST.getlist("version"), "versions"),
        )
        return f"Added {len(added)} version{'s' if len(added) != 1 else ''} to the playlist."
    if action in ("remove", "up", "down"):
        version_id = _ids([request.POST.get("version", "")], "version")
        if not version_id:
            raise ValidationFailed("Choose a version.", field="version")
        if action == "remove":
            playlist.playlist_remove(actor=membership, session=session, version_id=version_id[0])
            return "Removed from the playlist."
        item = PlaylistItem.objects.filter(session=session, version_id=version_id[0]).first()
        if item is None:
            raise ValidationFailed("That version is not on the playlist.", field="version")
        step = -1 if action == "up" else 1
        playlist.playlist_move(
            actor=membership,
            session=session,
            version_id=version_id[0],
            position=item.position + step,
        )
        return "Playlist reordered."
    if action == "update":
        playlist.session_update(
            actor=membership,
            session=session,
            title=request.POST.get("title", ""),
            scheduled_for=parse_schedule(request),
        )
        return "Session saved."
    if action == "invite":
        invited = playlist.participants_invite(
            actor=membership,
            session=session,
            user_ids=_ids(request.POST.getlist("participant"), "participants"),
        )
        return f"Invited {', '.join(str(u) for u in invited) or 'nobody new'}."
    if action in ("live", "ended"):
        sessions.session_set_state(actor=membership, session=session, state=action)
        return "Session started." if action == "live" else "Session ended."
    raise ValidationFailed("Unknown action.", field="action")


@organization_page
@require_http_methods(["GET", "POST"])
def manage_page(request: HttpRequest, membership: Membership, session_id: int) -> HttpResponse:
    session = selectors.access_session_by_id(request.user, membership, session_id)
    error: BacklotError | None = None
    if request.method == "POST":
        try:
            note = _apply(request, membership, session)
            messages.success(request, note)
            return HttpResponseRedirect(_next_url(request, _manage_url(membership, session)))
        except BacklotError as failure:
            error = failure
            session.refresh_from_db()
    items = list(
        PlaylistItem.objects.filter(session=session)
        .select_related("version", "version__shot")
        .order_by("position")
    )
    on_playlist = {i.version_id for i in items}
    invited = {p.user_id for p in session.participants.all()}
    manager = playlist.may_manage(membership, session)
    return render(
        request,
        "review/manage.html",
        {
            "membership": membership,
            "session": session,
            "project": session.project,
            "items": items,
            "addable": [
                v
                for v in versions_of_project(session.project).select_related("shot")
                if v.pk not in on_playlist
            ]
            if manager
            else [],
            "participants": [p.user for p in session.participants.select_related("user")],
            "invitable": [u for u in selectors.invitable_users(session) if u.pk not in invited]
            if manager
            else [],
            "shared": selectors.project_is_shared(session.project),
            "can_manage": manager and session.state != "ended",
            "is_host": session.host_id == request.user.pk,
            "error": error,
            "posted": request.POST if error else {},
        },
        status=error.status_code if error else 200,
    )


@organization_page
@require_http_methods(["POST"])
def add_to_session(request: HttpRequest, membership: Membership) -> HttpResponse:
    """ "Add to review" on a version or job page: append the version to a chosen session."""
    back = _next_url(request, reverse("review-sessions", args=[membership.organization.slug]))
    try:
        session_ids = _ids([request.POST.get("session", "")], "session")
        if not session_ids:
            raise ValidationFailed("Choose a session.", field="session")
        session = selectors.access_session_by_id(request.user, membership, session_ids[0])
        added = playlist.playlist_add(
            actor=membership,
            session=session,
            version_ids=_ids(request.POST.getlist("version"), "versions"),
        )
    except BacklotError as failure:
        messages.error(request, failure.message)
        return HttpResponseRedirect(back)
    link = _manage_url(membership, session)
    if added:
        messages.success(request, f"Added to “{session.title}”.")
    else:
        messages.info(request, f"Already on the playlist of “{session.title}”.")
    return HttpResponseRedirect(link if request.POST.get("open") else back)
