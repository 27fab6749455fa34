"""The inbox page, opening an entry (marks it read, goes to the thing), mark all read, and
the email preferences page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import BacklotError, NotFound
from apps.notifications import selectors, services
from apps.notifications.models import NotificationKind

PAGE_SIZE = 50


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    show = "unread" if request.GET.get("show") == "unread" else "all"
    kind = request.GET.get("kind", "")
    items = selectors.inbox_of_user(request.user, unread_only=show == "unread")
    if kind in NotificationKind.values:
        items = items.filter(kind=kind)
    else:
        kind = ""
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "show": show,
            "kind": kind,
            "kinds": NotificationKind.choices,
            "unread": selectors.unread_count(request.user),
        },
    )


@login_required
@require_GET
def inbox_item_open(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.access_inbox_item_by_id(request.user, item_id)
    except NotFound as error:
        raise Http404(error.message) from error
    services.inbox_item_mark_read(user=request.user, item=item)
    target = item.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("inbox-page")
    return HttpResponseRedirect(target)


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("id", "")
    if raw == "all":
        count = services.inbox_mark_all_read(user=request.user)
        messages.success(request, f"Marked {count} entr{'y' if count == 1 else 'ies'} as read.")
    else:
        try:
            item = selectors.access_inbox_item_by_id(request.user, int(raw))
        except (ValueError, NotFound):
            messages.error(request, "That inbox entry does not exist.")
        else:
            services.inbox_item_mark_read(user=request.user, item=item)
    back = request.POST.get("next", "")
    if not back.startswith("/inbox/"):
        back = reverse("inbox-page")
    return HttpResponseRedirect(back)


@login_required
@require_http_methods(["GET", "POST"])
def inbox_settings_page(request: HttpRequest) -> HttpResponse:
    chosen = selectors.email_preferences_of(request.user)
    status = 200
    if request.method == "POST":
        emailed = set(request.POST.getlist("email"))
        try:
            services.email_preferences_update(user=request.user, emailed_kinds=emailed)
        except BacklotError as error:
            messages.error(request, error.message)
            chosen = {k: k in emailed for k in chosen}
            status = error.status_code
        else:
            messages.success(request, "Email preferences saved.")
            return HttpResponseRedirect(reverse("inbox-settings"))
    rows = [(kind, label, chosen[kind]) for kind, label in NotificationKind.choices]
    return render(
        request,
        "notifications/settings.html",
        {"rows": rows, "email": request.user.email},  # type: ignore[union-attr]
        status=status,
    )
