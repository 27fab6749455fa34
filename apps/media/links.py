"""Signed links: the only way to get a link to stored media."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.audit.services import audit_record
from apps.core.errors import Forbidden, NotFound
from apps.media.models import MediaFile, MediaKind, MediaState
from apps.media.pipeline import viewer_proxy_request
from apps.media.selectors import viewer_proxy_of
from apps.media.serving import link_disposition, served_content_type
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


def is_original(media: MediaFile) -> bool:
    """Uploaded or generated work itself (plates, renders, mattes, consent documents,
    reports): only roles with the project's download right get a link, whatever the link
    is for. Proxies, posters, filmstrips and report thumbnails are made to be watched."""
    return media.kind in ORIGINAL_KINDS and media.role != "thumbnail"


def media_policy_check(actor: Membership, media: MediaFile) -> None:
    """The one download policy, the same for every link purpose ("play" only changes the
    Content-Disposition): originals need a role in `original_download_roles`; a copy
    watermarked for one viewer is nobody else's; on projects that watermark reviews, the
    shared proxy is not handed out: each viewer plays their own copy (`playable_proxy`)."""
    if media.viewer_id is not None and media.viewer_id != actor.user.pk:
        raise NotFound("Media not found.")
    if is_original(media) and actor.role not in (media.project.original_download_roles or []):
        raise Forbidden("Your role may watch this project's review copies but not its originals.")
    if (
        media.kind == MediaKind.PROXY
        and media.viewer_id is None
        and media.project.watermark_reviews
    ):
        raise Forbidden("This project is watched in copies watermarked for each viewer.")


def playable_proxy(*, version: Any, viewer: Any) -> MediaFile | None:
    """The review proxy `viewer` plays for `version`, wherever they watch it: the shared
    proxy, or on projects with watermark_reviews their own watermarked copy of today
    (queued when missing: None until it is made). Never another viewer's copy."""
    proxy = (
        MediaFile.objects.filter(
            version=version, kind=MediaKind.PROXY, state=MediaState.READY, viewer__isnull=True
        )
        .select_related("derived_from", "project")
        .order_by("-created_at", "-pk")
        .first()
    )
    if proxy is None or not proxy.project.watermark_reviews:
        return proxy
    source = proxy.derived_from
    if source is None:
        return None  # nothing to burn a viewer's name into: never the shared copy
    copy = viewer_proxy_of(source, viewer)
    if copy is None:
        viewer_proxy_request(actor=viewer, source=source)
    return copy


def media_signed_url(
    *,
    actor: Membership | GuestViewer,
    media_id: int,
    purpose: str = "play",
    expires_in: int = MAX_LINK_SECONDS,
) -> str:
    """A presigned GET that lives at most five minutes, with a Content-Disposition, after
    re-checking the tenant, the media state and the one download policy
    (`media_policy_check`; a GuestViewer only ever plays its own watermarked copy). Every
    link minted is audited."""
    scope = require_scope()
    if actor.organization_id != scope.organization_id:
        raise Forbidden("This membership is not the one of the active organization.")
    media = MediaFile.objects.select_related("project").filter(pk=media_id).first()
    if media is None or media.state != MediaState.READY:
        # Quarantined or rejected media is never served: it does not exist for readers.
        raise NotFound("Media not found.")
    if isinstance(actor, GuestViewer):
        _guest_media(actor, media, purpose)
    else:
        media_policy_check(actor, media)
    disposition = link_disposition(media, purpose)
    seconds = max(1, min(int(expires_in), MAX_LINK_SECONDS))
    url: str = s3_client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.S3_BUCKET,
            "Key": media.storage_key,
            "ResponseContentDisposition": f'{disposition}; filename="{safe_filename(media.original_filename)}"',
            "ResponseContentType": served_content_type(media),
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
