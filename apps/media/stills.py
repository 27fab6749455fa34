"""Reference stills of a character: taking one away. A still is a person's likeness, kept
under a consent record, so removing it deletes the file, its poster and every other file
made from it (rows now, objects in the bucket after the commit), not just the link to the
character. Finished jobs keep what they used in their provenance (name and sha256)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import NotFound, ValidationFailed
from apps.core.events import send_organization_event
from apps.media.models import MediaFile, MediaKind
from apps.media.storage import s3_client
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require

log = logging.getLogger(__name__)


def _delete_objects(keys: list[str]) -> None:
    client = s3_client()
    for key in keys:
        try:
            client.delete_object(Bucket=settings.S3_BUCKET, Key=key)
        except Exception:  # the row is gone; an orphan object is logged, never fatal
            log.exception("could not delete %s of a removed reference still", key)


def reference_still_remove(*, actor: Membership, media: MediaFile) -> None:
    """Removes a reference still (and what was derived from it) from its character."""
    require(actor, Capability.PRODUCTION_WRITE)
    if media.organization_id != actor.organization_id:
        raise NotFound("Reference still not found.")  # a shared project's reader
    if (
        media.kind != MediaKind.REFERENCE
        or media.character_id is None
        or media.derived_from_id is not None
    ):
        raise ValidationFailed("This file is not a reference still of a character.")
    with transaction.atomic():
        locked = MediaFile.objects.select_for_update().filter(pk=media.pk).first()
        if locked is None:
            raise NotFound("Reference still not found.")
        keys = [locked.storage_key] + [
            key for key in locked.derivatives.values_list("storage_key", flat=True) if key
        ]
        character_id, name = locked.character_id, locked.original_filename
        audit_record(
            action="character.still.remove",
            actor=actor.user,
            target=locked,
            changes={"character": character_id, "filename": name, "sha256": locked.sha256},
        )
        locked.delete()  # its poster and other derived files go with it (CASCADE)
        send_organization_event(
            media.organization_id,
            {
                "type": "character.still_removed",
                "character_id": character_id,
                "project_id": media.project_id,
            },
        )
        transaction.on_commit(lambda: _delete_objects([k for k in keys if k]))
