"""The signed-link redirect used by <img> and <video> on every page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.core.errors import Forbidden, NotFound
from apps.media.links import media_signed_url
from apps.media.models import ProxyStatus
from apps.media.pipeline import media_request_proxy
from apps.media.selectors import access_media_by_id
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require
from apps.tenancy.web import organization_page


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
        url = media_signed_url(actor=membership, media_id=media.pk, purpose=purpose)
    except Forbidden:
        return HttpResponse("Your role may not download original media.", status=403)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@organization_page
def proxy_retry(request: HttpRequest, membership: Membership, media_id: int) -> HttpResponse:
    """The retry button of a failed proxy (its reason is on the version page): queues the
    proxy again with fresh attempts, then back to where the button was."""
    media = access_media_by_id(media_id)
    try:
        require(membership, Capability.MEDIA_UPLOAD)
    except Forbidden as error:
        return HttpResponse(error.message, status=403)
    if media.proxy_status == ProxyStatus.FAILED:
        media_request_proxy(actor=request.user, media=media)
    back = request.headers.get("Referer", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
    return HttpResponseRedirect(back if back and safe else "/")
