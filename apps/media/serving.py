"""How a signed link presents stored media to a browser: the Content-Type comes from the
server's verdict (the validated format, or what the platform itself made), never from the
client, and every response is an attachment except a proxy being played. Documents (e.g.
consent PDFs) are attachments only."""

from __future__ import annotations

from apps.media.models import MediaFile, MediaKind
from apps.media.validation import FORMATS

# Made by the platform: their type is known.
DERIVED_TYPES = {
    MediaKind.PROXY: "video/mp4",
    MediaKind.POSTER: "image/jpeg",
    MediaKind.FILMSTRIP: "image/jpeg",
}
# What a stored document may be served as; anything else is an opaque download.
DOCUMENT_TYPES = {"application/pdf", "application/json", "text/csv", "image/jpeg", "image/png"}
OPAQUE = "application/octet-stream"


def served_content_type(media: MediaFile) -> str:
    if media.kind in DERIVED_TYPES:
        return DERIVED_TYPES[MediaKind(media.kind)]
    verdict = (media.probe or {}).get("format")
    if verdict in FORMATS:
        return FORMATS[verdict].content_type
    if media.kind == MediaKind.DOCUMENT and media.content_type in DOCUMENT_TYPES:
        return media.content_type
    return OPAQUE


def link_disposition(media: MediaFile, purpose: str) -> str:
    """`inline` only for a review proxy being played; `attachment` for everything else."""
    if purpose == "play" and media.kind == MediaKind.PROXY:
        return "inline"
    return "attachment"
