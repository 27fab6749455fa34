"""Likeness and voice consent: the talent's signed records, checked at submission and
again at dispatch (a record revoked or expired in between stops the job)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ValidationFailed
from apps.media.ingest import media_document_store
from apps.production.models import Character, ConsentRecord, Project
from apps.production.selectors import character_active_consent

LIKENESS_SCOPE = "likeness"
CONSENT_SCOPES = {"likeness", "voice"}
MAX_DOCUMENT_BYTES = 25 * 1024 * 1024


def active_consent(
    *, character: Character, scope: str, on: date | None = None
) -> ConsentRecord | None:
    """The character's chosen record if in force, else any of its own records in force."""
    return character_active_consent(character, scope=scope, on=on)


def consent_still_valid(consent_id: int | None) -> bool:
    """A job's consent (if it needed one) is still unrevoked and in force today."""
    if consent_id is None:
        return True
    today = timezone.localdate()
    return ConsentRecord.objects.filter(
        pk=consent_id, revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today
    ).exists()


def consent_record_create(
    *,
    actor: Any,
    project: Project,
    character: Character,
    talent_name: str,
    scopes: list[str],
    valid_from: Any,
    valid_until: Any,
    document_name: str = "",
    document_content: bytes | None = None,
    document_content_type: str = "application/pdf",
    notes: str = "",
) -> ConsentRecord:
    talent_name = talent_name.strip()
    if character.project_id != project.pk:
        raise ValidationFailed("The character is not part of this project.", field="character")
    if not talent_name:
        raise ValidationFailed("Name the talent who gave consent.", field="talent_name")
    scopes = sorted(set(scopes))
    if not scopes or set(scopes) - CONSENT_SCOPES:
        raise ValidationFailed("Choose likeness, voice or both.", field="scopes")
    if valid_until < valid_from:
        raise ValidationFailed("The consent cannot end before it starts.", field="valid_until")
    if not document_content:
        raise ValidationFailed("Attach the signed consent document.", field="document")
    if len(document_content) > MAX_DOCUMENT_BYTES:
        raise ValidationFailed("The document must be at most 25 MB.", field="document")
    with transaction.atomic():
        document = media_document_store(
            actor=actor,
            project=project,
            character=character,
            filename=document_name or "consent.pdf",
            content=document_content,
            content_type=document_content_type,
            area="consent",
        )
        record = ConsentRecord.objects.create(
            organization_id=project.organization_id,
            project=project,
            character=character,
            talent_name=talent_name,
            scopes=scopes,
            valid_from=valid_from,
            valid_until=valid_until,
            document=document,
            notes=notes,
            created_by=actor,
        )
        audit_record(
            action="consent.create",
            actor=actor,
            target=record,
            changes={
                "character": character.name,
                "scopes": scopes,
                "valid_from": str(valid_from),
                "valid_until": str(valid_until),
                "document_sha256": document.sha256,
            },
        )
    return record


def consent_record_revoke(*, actor: Any, record: ConsentRecord) -> ConsentRecord:
    with transaction.atomic():
        record = ConsentRecord.objects.select_for_update(no_key=True).get(pk=record.pk)
        if record.revoked_at is not None:
            raise Conflict("This consent was already revoked.")
        record.revoked_at = timezone.now()
        record.save(update_fields=["revoked_at"])
        audit_record(action="consent.revoke", actor=actor, target=record)
    return record
