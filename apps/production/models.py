"""Projects, sequences and shots. Frames are integers; frame rates exact fractions."""

from __future__ import annotations

from fractions import Fraction
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import CheckConstraint, F, Q

from apps.tenancy.models import TenantModel


class Project(TenantModel):
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=32)
    description = models.TextField(blank=True)
    frame_rate_numerator = models.PositiveIntegerField(default=24)
    frame_rate_denominator = models.PositiveIntegerField(default=1)
    width = models.PositiveIntegerField(default=1920)
    height = models.PositiveIntegerField(default=1080)
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
