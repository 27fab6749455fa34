"""Guest review links, pages: the guest's `/g/<token>/` (no account) and the producer's
"Share with a guest" dialog (an HTML fragment loaded into templates/review/_guest_links.html).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.errors import BacklotError, NotFound
from apps.core.timecode import frames_to_timecode
from apps.production.selectors import access_version_by_id
from apps.review import guests, selectors
from apps.review.models import GuestLink, Note, ReviewSession
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, can
from apps.tenancy.web import organization_page

# The guest ----------------------------------------------------------------------------


def _closed(request: HttpRequest, error: BacklotError) -> HttpResponse:
    title = "Link closed" if error.status_code == 410 else "Link not found"
    return render(
        request,
        "review/guest_closed.html",
        {"status": error.status_code, "title": title, "message": error.message},
        status=error.status_code,
    )


def _unlocked(request: HttpRequest, link: GuestLink) -> bool:
    return not link.password_hash or link.pk in request.session.get(guests.UNLOCKED_KEY, [])


def _notes(link: GuestLink, version: Any) -> list[dict[str, Any]]:
    rate = selectors.project_rate(link.project)
    first = version.shot.cut_in
    rows = []
    for note in (
        Note.objects.filter(version=version).select_related("author").order_by("frame_in", "pk")
    ):
        rows.append(
            {
                "frame": first + note.frame_in,
                "timecode": frames_to_timecode(
                    rate.start_frame + first + note.frame_in, rate.rate, drop_frame=rate.drop_frame
                ),
                "text": note.text,
                "author": guests.author_label(note.author, guest=link.guest),
                "mine": note.author_id == link.guest_id,
                "status": note.get_status_display(),
            }
        )
    return rows


def _player_context(request: HttpRequest, link: GuestLink, token: str) -> dict[str, Any]:
    versions = guests.guest_link_versions(link)
    wanted = request.GET.get("v", "")
    current = next((v for v in versions if str(v.pk) == wanted), versions[0] if versions else None)
    copy, state = (None, "empty") if current is None else guests.guest_copy(link, current)
    return {
        "link": link,
        "token": token,
        "versions": versions,
        "current": current,
        "copy": copy,
        "copy_state": state,
        "notes": _notes(link, current) if current is not None else [],
        "session": link.session,
        "live": link.session is not None and link.session.state == "live",
    }


@never_cache
@require_http_methods(["GET", "POST"])
def guest_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        with guests.guest_scope(token) as link:
            if not _unlocked(request, link):
                return _password_form(request, link, token)
            guests.guest_view_record(link=link)
            return render(request, "review/guest.html", _player_context(request, link, token))
    except (NotFound, guests.LinkClosed) as error:
        return _closed(request, error)


def _password_form(request: HttpRequest, link: GuestLink, token: str) -> HttpResponse:
    error, status = "", 200
    if request.method == "POST":
        try:
            guests.guest_link_unlock(link=link, password=request.POST.get("password", ""))
        except (guests.TooManyAttempts, BacklotError) as failure:
            error, status = failure.message, failure.status_code
        else:
            unlocked = [*request.session.get(guests.UNLOCKED_KEY, []), link.pk]
            request.session[guests.UNLOCKED_KEY] = unlocked[-50:]
            request.session.cycle_key()
            return HttpResponseRedirect(reverse("guest-page", args=[token]))
    return render(
        request,
        "review/guest_password.html",
        {"link": link, "token": token, "error": error},
        status=status,
    )


@never_cache
@require_POST
def guest_note(request: HttpRequest, token: str) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        with guests.guest_scope(token) as link:
            if not _unlocked(request, link):
                raise NotFound("Enter the link's password first.")
            try:
                version_id = int(request.POST.get("version", ""))
            except ValueError:
                version_id = -1
            # The frame is the 0-based index into the version's media, as on every note.
            raw_frame = request.POST.get("frame", "").strip()
            frame: Any = int(raw_frame) if raw_frame.isdigit() else raw_frame
            version = guests.guest_version(link, version_id)
            note = guests.guest_note_create(
                link=link, version_id=version.pk, frame=frame, text=request.POST.get("text", "")
            )
    except BacklotError as error:
        if wants_json or error.status_code in (404, 410):
            return JsonResponse(
                {"error": {"code": error.code, "message": error.message, "field": error.field}},
                status=error.status_code,
            )
        return JsonResponse({"error": {"message": error.message}}, status=error.status_code)
    if wants_json:
        return JsonResponse({"id": note.pk}, status=201)
    return HttpResponseRedirect(f"{reverse('guest-page', args=[token])}?v={version.pk}#notes")


@never_cache
def guest_media(request: HttpRequest, token: str, media_id: int) -> HttpResponse:
    try:
        with guests.guest_scope(token) as link:
            if not _unlocked(request, link):
                raise NotFound("Enter the link's password first.")
            url = guests.guest_media_url(link=link, media_id=media_id)
    except BacklotError as error:
        return HttpResponse(error.message, status=error.status_code, content_type="text/plain")
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


# The producer ---------------------------------------------------------------------------


def _target(
    request: HttpRequest, membership: Membership, data: Any
) -> tuple[Any | None, ReviewSession | None]:
    version_id, session_id = str(data.get("version", "")), str(data.get("session", ""))
    if version_id.isdigit():
        return access_version_by_id(int(version_id)), None
    if session_id.isdigit():
        return None, selectors.access_session_by_id(request.user, membership, int(session_id))
    raise NotFound("Choose a version or a session to share.")


def _dialog(
    request: HttpRequest,
    membership: Membership,
    version: Any,
    session: ReviewSession | None,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    created: tuple[GuestLink, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    links = list(guests.guest_links_of(version=version, session=session))
    return render(
        request,
        "review/_guest_links_body.html",
        {
            "membership": membership,
            "version": version,
            "session": session,
            "links": links,
            "form": form or {"expires_in_days": "7", "allow_comments": True},
            "errors": errors or {},
            "created": created[0] if created else None,
            "created_url": (
                request.build_absolute_uri(reverse("guest-page", args=[created[1]]))
                if created
                else ""
            ),
            "max_days": guests.GUEST_LINK_MAX_DAYS,
            "can_share": can(membership, Capability.REVIEW_SHARE_GUEST_LINK),
        },
        status=status,
    )


@organization_page
@require_http_methods(["GET", "POST"])
def guest_links_dialog(request: HttpRequest, membership: Membership) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    version, session = _target(request, membership, data)
    if request.method == "GET":
        return _dialog(request, membership, version, session)
    form = {
        "email": request.POST.get("email", ""),
        "expires_in_days": request.POST.get("expires_in_days", ""),
        "allow_comments": request.POST.get("allow_comments") == "on",
    }
    try:
        created = guests.guest_link_create(
            actor=membership,
            version=version,
            session=session,
            email=form["email"],
            expires_in_days=form["expires_in_days"],
            password=request.POST.get("password", ""),
            allow_comments=bool(form["allow_comments"]),
        )
    except BacklotError as error:
        return _dialog(
            request,
            membership,
            version,
            session,
            form=form,
            errors={error.field or "form": error.message},
            status=error.status_code,
        )
    return _dialog(request, membership, version, session, created=created, status=201)


@organization_page
@require_POST
def guest_link_revoke(request: HttpRequest, membership: Membership, link_id: int) -> HttpResponse:
    link = guests.access_guest_link_by_id(link_id)
    try:
        guests.guest_link_revoke(actor=membership, link=link)
    except BacklotError as error:
        return HttpResponse(error.message, status=error.status_code, content_type="text/plain")
    version = link.version if link.version_id else None
    session = link.session if link.session_id else None
    return _dialog(request, membership, version, session)
