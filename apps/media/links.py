"""Signed links: the only way to get a link to stored media."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.audit.services import audit_record
from apps.core.errors import Forbidden, NotFound
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.storage import s3_client, safe_filename
from apps.tenancy.models import Membership
from apps.tenancy.scope import require_scope

MAX_LINK_SECONDS = 300
ORIGINAL_KINDS = {
    MediaKind.PLATE,
    MediaKind.ELEMENT,
    MediaKind.MATTE,
    MediaKind.REFERENCE,
    MediaKind.RENDER,
    MediaKind.DOCUMENT,
}


@dataclass(frozen=True)
class GuestViewer:
    """A viewer without a membership (a guest of a review link), acting in the link's
    organization through the guest identity `user`. A guest may only stream review copies
    watermarked for that identity: no originals, no shared proxies, never a download."""

    organization_id: int
    user: Any


def _guest_media(actor: GuestViewer, media: MediaFile, purpose: str) -> None:
    if purpose != "play":
        raise Forbidden("Guests may watch but never download.")
    if media.kind != MediaKind.PROXY or media.viewer_id != actor.user.pk:
        raise NotFound("Media not found.")


def media_signed_url(
    *,
    actor: Membership | GuestViewer,
    media_id: int,
    purpose: str = "play",
    expires_in: int = MAX_LINK_SECONDS,
) -> str:
    """A presigned GET that lives at most five minutes, with a Content-Disposition, after
    re-checking the tenant, the media state and, for originals, the project's download
    policy against the actor's role (a GuestViewer only ever plays its own watermarked
    copy). Every link minted is audited."""
    scope = require_scope()
    if actor.organization_id != scope.organization_id:
        raise Forbidden("This membership is not the one of the active organization.")
    media = MediaFile.objects.select_related("project").filter(pk=media_id).first()
    if media is None or media.state != MediaState.READY:
        # Quarantined or rejected media is never served: it does not exist for readers.
        raise NotFound("Media not found.")
    if isinstance(actor, GuestViewer):
        _guest_media(actor, media, purpose)
    elif purpose == "download" and media.kind in ORIGINAL_KINDS:
        allowed = media.project.original_download_roles or []
        if actor.role not in allowed:
            raise Forbidden("Your role may stream this project's media but not download originals.")
    disposition = "attachment" if purpose == "download" else "inline"
    seconds = max(1, min(int(expires_in), MAX_LINK_SECONDS))
    url: str = s3_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.S3_BUCKET,
            "Key": media.storage_key,
            "ResponseContentDisposition": f'{disposition}; filename="{safe_filename(media.original_filename)}"',
            **({"ResponseContentType": media.content_type} if media.content_type else {}),
        },
        ExpiresIn=seconds,
    )
    audit_record(
        action=f"media.link.{purpose}",
        actor=actor.user,
        target=media,
        changes={"expires_in": seconds},
    )
    return url
