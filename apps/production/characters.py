"""Characters: create and edit a project's characters and choose the consent record their
likeness depends on. Reference stills are media (kind reference) attached through the
upload flow (`apps.media.uploads.upload_start(character=...)`)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.core.events import send_organization_event
from apps.production.models import Character, ConsentRecord, Project
from apps.production.selectors import consent_in_force
from apps.tenancy.models import Membership
from apps.tenancy.policy import Capability, require

LIKENESS = "likeness"
MAX_NAME = 200


def _require_writer(actor: Membership, project: Project) -> None:
    require(actor, Capability.PRODUCTION_WRITE)
    if project.organization_id != actor.organization_id:
        raise Forbidden("Only the partner that owns the project can change its characters.")


def _clean_name(value: str, *, field: str, label: str, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"A character needs a {label}.", field=field)
    if len(value) > MAX_NAME:
        raise ValidationFailed(f"The {label} is at most {MAX_NAME} characters.", field=field)
    return value


def _chosen_consent(project: Project, consent_id: int | None) -> ConsentRecord | None:
    if consent_id is None:
        return None
    record = ConsentRecord.objects.filter(pk=consent_id, project=project).first()
    if record is None:
        raise ValidationFailed("Choose a consent record of this project.", field="consent")
    if not consent_in_force(record, scope=LIKENESS, on=timezone.localdate()):
        raise ValidationFailed(
            f"The consent of {record.talent_name} is revoked, not in force today or does not"
            " cover likeness; choose an active one.",
            field="consent",
        )
    return record


def _name_taken(project: Project, name: str, *, exclude: int | None = None) -> bool:
    others = Character.objects.filter(project=project, name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return others.exists()


def _emit(character: Character, kind: str) -> None:
    send_organization_event(
        character.organization_id,
        {
            "type": f"character.{kind}",
            "character_id": character.pk,
            "project_id": character.project_id,
            "name": character.name,
        },
    )


def character_create(
    *,
    actor: Membership,
    project: Project,
    name: str,
    talent_name: str = "",
    description: str = "",
    consent_id: int | None = None,
) -> Character:
    _require_writer(actor, project)
    name = _clean_name(name, field="name", label="name", required=True)
    talent_name = _clean_name(talent_name, field="talent_name", label="talent name", required=False)
    consent = _chosen_consent(project, consent_id)
    with transaction.atomic():
        if _name_taken(project, name):
            raise Conflict(f"{name} already exists in {project.name}.", field="name")
        character = Character.objects.create(
            organization_id=project.organization_id,
            project=project,
            name=name,
            talent_name=talent_name,
            description=description.strip(),
            consent=consent,
        )
        audit_record(
            action="character.create",
            actor=actor.user,
            target=character,
            changes={"name": name, "consent": consent.pk if consent else None},
        )
        _emit(character, "created")
    return character


def character_update(
    *,
    actor: Membership,
    character: Character,
    name: str | None = None,
    talent_name: str | None = None,
    description: str | None = None,
    consent_id: int | None = None,
    clear_consent: bool = False,
) -> Character:
    """Changes the given fields. `consent_id` picks the record the character depends on;
    `clear_consent` removes that choice (records made for the character still count)."""
    project = character.project
    _require_writer(actor, project)
    changes: dict[str, Any] = {}
    if name is not None:
        name = _clean_name(name, field="name", label="name", required=True)
        if name != character.name:
            changes["name"] = [character.name, name]
    if talent_name is not None:
        talent_name = _clean_name(
            talent_name, field="talent_name", label="talent name", required=False
        )
        if talent_name != character.talent_name:
            changes["talent_name"] = [character.talent_name, talent_name]
    if description is not None and description.strip() != character.description:
        changes["description"] = "changed"
    new_consent: ConsentRecord | None = None
    if clear_consent:
        if character.consent_id is not None:
            changes["consent"] = [character.consent_id, None]
    elif consent_id is not None and consent_id != character.consent_id:
        new_consent = _chosen_consent(project, consent_id)
        changes["consent"] = [character.consent_id, consent_id]
    with transaction.atomic():
        character = Character.objects.select_for_update().get(pk=character.pk)
        if (
            name is not None
            and "name" in changes
            and _name_taken(project, name, exclude=character.pk)
        ):
            raise Conflict(f"{name} already exists in {project.name}.", field="name")
        if name is not None:
            character.name = name
        if talent_name is not None:
            character.talent_name = talent_name
        if description is not None:
            character.description = description.strip()
        if clear_consent:
            character.consent = None
        elif new_consent is not None:
            character.consent = new_consent
        character.save()
        if changes:
            audit_record(
                action="character.update", actor=actor.user, target=character, changes=changes
            )
            _emit(character, "updated")
    return character
