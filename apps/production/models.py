"""Projects, sequences and shots. Frames are integers; frame rates exact fractions."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import CheckConstraint, F, Q

from apps.core import ids
from apps.tenancy.models import TenantModel


def default_download_roles() -> list[str]:
    return ["owner", "producer", "artist"]


class Project(TenantModel):
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32)
    description = models.TextField(blank=True)
    frame_rate_numerator = models.PositiveIntegerField(default=24)
    frame_rate_denominator = models.PositiveIntegerField(default=1)
    width = models.PositiveIntegerField(default=1920)
    height = models.PositiveIntegerField(default=1080)
    # A colour space name of OpenColorIO's built-in ACES studio config.
    working_color_space = models.CharField(max_length=100, default="ACEScg")
    start_timecode = models.CharField(max_length=11, default="01:00:00:00")
    # Burn the viewer's name, partner and date into review proxies.
    watermark_reviews = models.BooleanField(default=False)
    # Burn the record timecode into review proxies.
    burn_in_timecode = models.BooleanField(default=False)
    # Roles that may download original media (others only stream proxies).
    original_download_roles = models.JSONField(default=default_download_roles)
    # GPU budget for render jobs, in the deployment's currency (see render pools' prices).
    gpu_budget = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("500.00"))
    # ISO 4217 code of the budget and of job costs (shown as "€41.20", "$12.00"...).
    currency = models.CharField(max_length=3, default="EUR")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "id"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="project_code_unique"),
            CheckConstraint(
                condition=Q(frame_rate_numerator__gt=0) & Q(frame_rate_denominator__gt=0),
                name="project_frame_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def frame_rate(self) -> Fraction:
        return Fraction(self.frame_rate_numerator, self.frame_rate_denominator)


class Sequence(TenantModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sequences")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="sequence_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class Shot(TenantModel):
    """A frame range of the cut: [cut_in, cut_out], both inclusive."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shots")
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="shots")
    code = models.CharField(max_length=32)
    description = models.TextField(blank=True)
    cut_in = models.IntegerField()
    cut_out = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The one address of the shot for everybody who may see it (`/r/<public_id>/`).
    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["sequence__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "code"], name="shot_code_unique"),
            CheckConstraint(condition=Q(cut_out__gte=F("cut_in")), name="shot_cut_range_valid"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def frame_count(self) -> int:
        return self.cut_out - self.cut_in + 1


class VersionSource(models.TextChoices):
    UPLOAD = "upload", "Upload"
    RENDER = "render", "Render job"


class VersionStatus(models.TextChoices):
    """Review state. AI output is never final until a person approves it."""

    PENDING = "pending", "Waiting for media"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    REJECTED = "rejected", "Media rejected"


class Version(TenantModel):
    """One numbered result of a shot (v001, v002...): an upload or a render job's output."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="versions")
    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.PENDING
    )
    source = models.CharField(max_length=10, choices=VersionSource.choices)
    # The render job that produced it (render app), when source is "render".
    source_job_id = models.BigIntegerField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The one address of the version for everybody who may see it (`/r/<public_id>/`).
    public_id = models.CharField(max_length=32, unique=True, default=ids.public_id, editable=False)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["shot_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["shot", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.shot.code} {self.label}"

    @property
    def label(self) -> str:
        return f"v{self.number:03d}"


class Character(TenantModel):
    """A character whose likeness operations must keep consistent (and need consent for)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="characters")
    name = models.CharField(max_length=200)
    talent_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    # The consent record this character's likeness depends on (chosen by a producer; it may
    # be a record made for another character of the same talent). Records made for this
    # character count too: see selectors.character_active_consent.
    consent = models.ForeignKey(
        "ConsentRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="character_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ConsentScope(models.TextChoices):
    LIKENESS = "likeness", "Likeness"
    VOICE = "voice", "Voice"


class ConsentRecord(TenantModel):
    """A talent's documented permission to use their likeness or voice for a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="consents")
    character = models.ForeignKey(Character, on_delete=models.CASCADE, related_name="consents")
    talent_name = models.CharField(max_length=200)
    scopes = models.JSONField(default=list)  # subset of ConsentScope values
    valid_from = models.DateField()
    valid_until = models.DateField()
    # The signed document, stored as media (apps.media.MediaFile, kind "document").
    document = models.ForeignKey(
        "media.MediaFile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-valid_until"]
        constraints = [
            CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="consent_dates_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.talent_name} for {self.character_id} ({', '.join(self.scopes)})"
