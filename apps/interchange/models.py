from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from apps.tenancy.models import TenantModel


class CutImportState(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    APPLIED = "applied", "Applied"


class CutImport(TenantModel):
    """An uploaded edit, parsed into a plan that is shown before anything changes."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    sequence_code = models.CharField(max_length=32)
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10)
    source_sha256 = models.CharField(max_length=64)
    timeline_name = models.CharField(max_length=255, blank=True)
    plan = models.JSONField(default=list)  # [{action, code, cut_in, cut_out, ...}]
    not_placed = models.JSONField(default=list)  # [{what, reason, line, event}]
    # Markers of the cut: [{frame, timecode, duration, colour, name, note, kind, shot, line}]
    markers = models.JSONField(default=list)
    # Shots of the sequence that the cut no longer holds, for the user to decide.
    omitted = models.JSONField(default=list)  # [{code, cut_in, cut_out}]
    warnings = models.JSONField(default=list)  # about the file as a whole
    state = models.CharField(
        max_length=10, choices=CutImportState.choices, default=CutImportState.PREVIEWED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.sequence_code} ({self.state})"


class EditorialEvent(TenantModel):
    """Where a shot sits in the cut and which source it comes from (frames at the
    project rate), as last imported; exports write these back. The cut position is kept
    here, apart from the shot's working frame range (`Shot.cut_in/cut_out`, e.g. 1001-based
    with handles), which an import never renumbers."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    shot = models.OneToOneField(
        "production.Shot", on_delete=models.CASCADE, related_name="editorial"
    )
    reel = models.CharField(max_length=64, blank=True)
    source_in = models.IntegerField(null=True, blank=True)
    source_out = models.IntegerField(null=True, blank=True)
    speed = models.FloatField(default=1.0)
    # Timeline frames counted from the project's start timecode, both inclusive.
    position_in = models.IntegerField(null=True, blank=True)
    position_out = models.IntegerField(null=True, blank=True)
    clip_name = models.CharField(max_length=255, blank=True)
    source_file = models.CharField(max_length=1024, blank=True)
    freeze = models.BooleanField(default=False)
    cdl = models.JSONField(null=True, blank=True)  # {slope, offset, power, saturation}
    transition_in = models.JSONField(null=True, blank=True)  # {type, frames, black?}
    transition_out = models.JSONField(null=True, blank=True)
    cut_import = models.ForeignKey(
        CutImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    share_path: ClassVar[str | None] = "project"

    def __str__(self) -> str:
        return f"editorial of shot {self.shot_id}"
