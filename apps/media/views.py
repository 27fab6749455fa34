"""The signed-link redirect used by <img> and <video> on every page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.core.errors import Forbidden, NotFound
from apps.media.links import media_signed_url
from apps.media.selectors import access_media_by_id
from apps.tenancy.models import Membership
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
    return response
