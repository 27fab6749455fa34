from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from apps.audit.services import audit_record
from apps.core.colorspace import canonical_color_space
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import send_organization_event
from apps.core.timecode import TimecodeError, frames_to_timecode, parse_timecode, timecode_to_frames
from apps.production.models import (
    Character,
    Project,
    Sequence,
    Shot,
    Version,
    VersionSource,
    VersionStatus,
)
from apps.tenancy.scope import require_scope

MAX_DIMENSION = 16384


def parse_frame_rate(value: str | int | Fraction) -> Fraction:
    """'24', '25', '24000/1001', '23.976' → exact Fraction (common NTSC decimals mapped)."""
    ntsc = {
        "23.976": Fraction(24000, 1001),
        "29.97": Fraction(30000, 1001),
        "59.94": Fraction(60000, 1001),
        "47.952": Fraction(48000, 1001),
    }
    text = str(value).strip()
    try:
        rate = ntsc[text] if text in ntsc else Fraction(text)
    except (ValueError, ZeroDivisionError) as error:
        raise ValidationFailed(f"{text!r} is not a frame rate.", field="frame_rate") from error
    if rate <= 0 or rate > 1000:
        raise ValidationFailed("The frame rate must be between 0 and 1000.", field="frame_rate")
    return rate


def validate_color_space(name: str) -> str:
    """A colour space (or alias) of OpenColorIO's built-in ACES studio config, as named there."""
    canonical = canonical_color_space(name or "")
    if canonical is None:
        raise ValidationFailed(
            f"{name!r} is not a colour space of the ACES studio config (e.g. ACEScg, ACEScct).",
            field="working_color_space",
        )
    return canonical


def validate_start_timecode(label: str, rate: Fraction) -> str:
    """HH:MM:SS:FF (';' before the frames for drop-frame, only at 29.97 and 59.94)."""
    try:
        parsed = parse_timecode(label or "")
        if parsed.negative:
            raise TimecodeError("A start timecode cannot be negative.")
        frames = timecode_to_frames(label, rate)
        return frames_to_timecode(frames, rate, drop_frame=parsed.drop_frame)
    except TimecodeError as error:
        raise ValidationFailed(str(error), field="start_timecode") from error


def project_create(
    *,
    actor: Any,
    name: str,
    code: str = "",
    frame_rate: str = "24",
    width: int = 1920,
    height: int = 1080,
    description: str = "",
    working_color_space: str = "ACEScg",
    start_timecode: str = "01:00:00:00",
    watermark_reviews: bool = False,
    burn_in_timecode: bool = False,
) -> Project:
    scope = require_scope()
    name = name.strip()
    if not name:
        raise ValidationFailed("A project needs a name.", field="name")
    code = slugify(code or name)[:32]
    if not code:
        raise ValidationFailed("The project code must contain letters or digits.", field="code")
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION):
        raise ValidationFailed(
            f"Resolution must be within 1..{MAX_DIMENSION} pixels.", field="width"
        )
    rate = parse_frame_rate(frame_rate)
    working_color_space = validate_color_space(working_color_space)
    start_timecode = validate_start_timecode(start_timecode, rate)
    with transaction.atomic():
        if Project.objects.filter(organization_id=scope.organization_id, code=code).exists():
            raise Conflict(f"A project with the code {code!r} already exists.", field="code")
        project = Project.objects.create(
            name=name,
            code=code,
            description=description,
            width=width,
            height=height,
            frame_rate_numerator=rate.numerator,
            frame_rate_denominator=rate.denominator,
            working_color_space=working_color_space,
            start_timecode=start_timecode,
            watermark_reviews=watermark_reviews,
            burn_in_timecode=burn_in_timecode,
            created_by=actor,
        )
        audit_record(
            action="project.create",
            actor=actor,
            target=project,
            changes={
                "code": code,
                "frame_rate": str(rate),
                "resolution": f"{width}x{height}",
                "working_color_space": working_color_space,
                "start_timecode": start_timecode,
            },
        )
        send_organization_event(
            scope.organization_id,
            {"type": "project.created", "project_id": project.pk, "name": name},
        )
    return project


# ISO 4217 codes a project's budget and job costs may be kept in.
CURRENCIES = (
    "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "INR", "KRW", "CNY", "HKD", "SGD", "BRL", "MXN", "ZAR", "AED", "ILS", "TRY",
)  # fmt: skip


def validate_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in CURRENCIES:
        raise ValidationFailed(
            f"{value.strip() or 'An empty code'} is not a currency we can keep budgets in:"
            f" use a three-letter ISO 4217 code such as EUR, USD or GBP.",
            field="currency",
        )
    return code


def project_update(
    *,
    actor: Any,
    project: Project,
    name: str | None = None,
    description: str | None = None,
    currency: str | None = None,
) -> Project:
    """Amounts (the budget, job costs, pool prices) are kept as they are when the currency
    changes: it names the unit they are counted in."""
    changes: dict[str, Any] = {}
    if name is not None:
        if not name.strip():
            raise ValidationFailed("A project needs a name.", field="name")
        changes["name"] = [project.name, name.strip()]
        project.name = name.strip()
    if currency is not None:
        code = validate_currency(currency)
        if code != project.currency:
            changes["currency"] = [project.currency, code]
        project.currency = code
    if description is not None:
        changes["description"] = "changed"
        project.description = description
    with transaction.atomic():
        project.save()
        audit_record(action="project.update", actor=actor, target=project, changes=changes)
    return project


def sequence_create(*, actor: Any, project: Project, code: str, name: str = "") -> Sequence:
    code = code.strip()
    if not code:
        raise ValidationFailed("A sequence needs a code.", field="code")
    with transaction.atomic():
        if Sequence.objects.filter(project=project, code=code).exists():
            raise Conflict(f"Sequence {code} already exists in {project.name}.", field="code")
        sequence = Sequence.objects.create(
            organization_id=project.organization_id, project=project, code=code, name=name
        )
        audit_record(action="sequence.create", actor=actor, target=sequence)
    return sequence


def shot_create(
    *, actor: Any, sequence: Sequence, code: str, cut_in: int, cut_out: int, description: str = ""
) -> Shot:
    code = code.strip()
    if not code:
        raise ValidationFailed("A shot needs a code.", field="code")
    if cut_out < cut_in:
        raise ValidationFailed(
            "The cut out frame must not be before the cut in frame.", field="cut_out"
        )
    with transaction.atomic():
        if Shot.objects.filter(sequence=sequence, code=code).exists():
            raise Conflict(f"Shot {code} already exists in {sequence.code}.", field="code")
        shot = Shot.objects.create(
            organization_id=sequence.organization_id,
            project_id=sequence.project_id,
            sequence=sequence,
            code=code,
            cut_in=cut_in,
            cut_out=cut_out,
            description=description,
        )
        audit_record(
            action="shot.create",
            actor=actor,
            target=shot,
            changes={"cut_in": cut_in, "cut_out": cut_out},
        )
    return shot


def version_create(
    *,
    actor: Any | None,
    shot: Shot,
    source: str,
    source_job_id: int | None = None,
    parent: Version | None = None,
    description: str = "",
) -> Version:
    """The next numbered version of a shot (v001, v002...).

    The shot row is locked while numbering, so concurrent uploads and render results can
    never get the same number.
    """
    if source not in VersionSource.values:
        raise ValidationFailed(f"Unknown version source {source!r}.", field="source")
    if parent is not None and parent.shot_id != shot.pk:
        raise ValidationFailed("The parent version must belong to the same shot.", field="parent")
    with transaction.atomic():
        Shot.objects.select_for_update().filter(pk=shot.pk).first()
        last = Version.objects.filter(shot=shot).order_by("-number").first()
        version = Version.objects.create(
            organization_id=shot.organization_id,
            project_id=shot.project_id,
            shot=shot,
            number=(last.number + 1) if last else 1,
            source=source,
            source_job_id=source_job_id,
            parent=parent,
            description=description,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action="version.create",
            actor=actor,
            target=version,
            changes={"shot": shot.code, "number": version.number, "source": source},
        )
        send_organization_event(
            shot.organization_id,
            {
                "type": "version.created",
                "version_id": version.pk,
                "shot_id": shot.pk,
                "project_id": shot.project_id,
                "label": version.label,
            },
        )
    return version


def version_set_status(*, actor: Any | None, version: Version, status: str) -> Version:
    if status not in VersionStatus.values:
        raise ValidationFailed(f"Unknown version status {status!r}.", field="status")
    with transaction.atomic():
        previous = version.status
        version.status = status
        version.save(update_fields=["status"])
        audit_record(
            action="version.status",
            actor=actor,
            target=version,
            changes={"status": [previous, status]},
        )
        send_organization_event(
            version.organization_id,
            {
                "type": "version.status",
                "version_id": version.pk,
                "status": status,
                "project_id": version.project_id,
            },
        )
    return version


def version_withdraw_rejected(*, actor: Any | None, version: Version, reason: str) -> None:
    """An uploaded version whose media was rejected by validation gives its number back:
    the row is deleted (the caller first detaches the rejected media, which keeps the
    reason), so the next good upload of the shot takes the same number. Audited; pages
    hear `version.withdrawn` and drop it."""
    with transaction.atomic():
        Shot.objects.select_for_update().filter(pk=version.shot_id).first()
        label, shot_id, project_id = version.label, version.shot_id, version.project_id
        audit_record(
            action="version.withdraw",
            actor=actor,
            target=version,
            changes={"label": label, "reason": reason[:300]},
        )
        Version.objects.filter(pk=version.pk).delete()
        send_organization_event(
            version.organization_id,
            {
                "type": "version.withdrawn",
                "label": label,
                "shot_id": shot_id,
                "project_id": project_id,
                "reason": reason[:300],
            },
        )


def character_create(
    *, actor: Any, project: Project, name: str, talent_name: str = "", description: str = ""
) -> Character:
    name = name.strip()
    if not name:
        raise ValidationFailed("A character needs a name.", field="name")
    with transaction.atomic():
        if Character.objects.filter(project=project, name=name).exists():
            raise Conflict(f"{name} already exists in {project.name}.", field="name")
        character = Character.objects.create(
            organization_id=project.organization_id,
            project=project,
            name=name,
            talent_name=talent_name,
            description=description,
        )
        audit_record(action="character.create", actor=actor, target=character)
    return character
