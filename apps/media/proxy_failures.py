"""A proxy that cannot be made: failed with a reason the uploader sees (and may retry),
whether its encoder raised or its worker was lost past MEDIA_MAX_ATTEMPTS."""

from __future__ import annotations

from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.events import send_organization_event
from apps.media.models import MediaFile, ProxyStatus
from apps.production.models import VersionStatus
from apps.production.services import version_set_status


def lost_worker_reason(attempts: int) -> str:
    return (
        f"The proxy worker was lost {attempts} time{'s' if attempts > 1 else ''} while making"
        " this proxy (it ran out of memory or was killed), so it was stopped. Retry, or"
        " upload a smaller or simpler file."
    )


def proxy_fail(media: MediaFile, *, reason: str) -> MediaFile:
    """Marks the proxy failed with a reason the uploader sees (and may retry); the version
    no longer waits for media. Call inside a transaction and the media's tenant scope."""
    media.proxy_status, media.proxy_error, media.proxy_task = ProxyStatus.FAILED, reason, ""
    media.proxy_updated_at = timezone.now()
    media.save(update_fields=["proxy_status", "proxy_error", "proxy_task", "proxy_updated_at"])
    audit_record(action="media.proxy.fail", actor=None, target=media, changes={"error": reason})
    version = media.version
    if version is not None and version.status == VersionStatus.PENDING:
        version_set_status(actor=None, version=version, status=VersionStatus.REJECTED)
    send_organization_event(
        media.organization_id,
        {
            "type": "media.proxy.failed",
            "media_id": media.pk,
            "version_id": media.version_id,
            "reason": reason,
        },
    )
    return media
