"""Media files: what is stored in S3, its validation state and probed metadata."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from apps.tenancy.models import TenantModel


class MediaKind(models.TextChoices):
    PLATE = "plate", "Plate"
    ELEMENT = "element", "Element"
    MATTE = "matte", "Matte"
    REFERENCE = "reference", "Reference"
    RENDER = "render", "Render"
    PROXY = "proxy", "Proxy"
    POSTER = "poster", "Poster frame"
    FILMSTRIP = "filmstrip", "Filmstrip"
    DOCUMENT = "document", "Document"


# What a person may upload (the other kinds are made by the platform).
UPLOAD_KIND_CHOICES = [
    (MediaKind.PLATE.value, MediaKind.PLATE.label),
    (MediaKind.ELEMENT.value, MediaKind.ELEMENT.label),
    (MediaKind.MATTE.value, MediaKind.MATTE.label),
    (MediaKind.REFERENCE.value, MediaKind.REFERENCE.label),
]


class MediaState(models.TextChoices):
    UPLOADING = "uploading", "Uploading"
    QUARANTINED = "quarantined", "Quarantined (validating)"
    READY = "ready", "Ready"
    REJECTED = "rejected", "Rejected"


class ProxyStatus(models.TextChoices):
    NONE = "none", "No proxy"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class MediaFile(TenantModel):
    """One stored object (or image sequence under one prefix). Never served or processed
    until validation moved it from quarantined to ready."""

    project = models.ForeignKey(
        "production.Project", on_delete=models.CASCADE, related_name="media_files"
    )
    version = models.ForeignKey(
        "production.Version",
        on_delete=models.CASCADE,
        related_name="media_files",
        null=True,
        blank=True,
    )
    # The shot an upload is for: its version is created when the upload completes.
    shot = models.ForeignKey(
        "production.Shot",
        on_delete=models.CASCADE,
        related_name="media_files",
        null=True,
        blank=True,
    )
    character = models.ForeignKey(
        "production.Character",
        on_delete=models.CASCADE,
        related_name="reference_media",
        null=True,
        blank=True,
    )
    derived_from = models.ForeignKey(
        "self", on_delete=models.CASCADE, related_name="derivatives", null=True, blank=True
    )
    kind = models.CharField(max_length=12, choices=MediaKind.choices)
    state = models.CharField(
        max_length=12, choices=MediaState.choices, default=MediaState.UPLOADING
    )
    rejection_reason = models.TextField(blank=True)
    original_filename = models.CharField(max_length=255)
    # The server's verdict (from the content); what the client declared is only recorded.
    content_type = models.CharField(max_length=100, blank=True)
    declared_content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # Server-generated, prefixed by tenant and project; the client never chooses a key.
    storage_key = models.CharField(max_length=512, unique=True)
    upload_id = models.CharField(max_length=255, blank=True)
    # Multipart layout fixed at start: every part is part_size bytes except the last.
    part_size = models.BigIntegerField(default=0)
    part_count = models.PositiveIntegerField(default=0)
    # The OpenColorIO colour space of the source (built-in studio config); blank = auto.
    color_space = models.CharField(max_length=100, blank=True)
    proxy_status = models.CharField(
        max_length=10, choices=ProxyStatus.choices, default=ProxyStatus.NONE
    )
    proxy_progress = models.PositiveSmallIntegerField(default=0)
    proxy_error = models.TextField(blank=True)
    # When the proxy last moved (queued, started, progressed): a stale running proxy (its
    # worker died) is queued again after a lease (see apps.media.derived.media_recover).
    proxy_updated_at = models.DateTimeField(null=True, blank=True)
    # Runs of the validation / proxy tasks (a run lost with its worker counts): past
    # MEDIA_MAX_ATTEMPTS the media is rejected / its proxy failed, with the reason.
    validate_attempts = models.PositiveSmallIntegerField(default=0)
    proxy_attempts = models.PositiveSmallIntegerField(default=0)
    # The Celery task id of the proxy run in progress: a redelivered message with the same
    # id means that run's worker was lost (acks_late + reject_on_worker_lost).
    proxy_task = models.CharField(max_length=64, blank=True)
    # What a job's output is to its version (main, composite, matte, cdl, cc, report,
    # thumbnail...), from the worker's report; blank for uploads and derived proxies.
    role = models.CharField(max_length=32, blank=True)
    # Probed metadata
    codec = models.CharField(max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    frame_rate_numerator = models.PositiveIntegerField(null=True, blank=True)
    frame_rate_denominator = models.PositiveIntegerField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    pixel_format = models.CharField(max_length=64, blank=True)
    color_tags = models.JSONField(default=dict, blank=True)
    probe = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # A review proxy watermarked for one viewer (projects with watermark_reviews).
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["version", "kind"], name="media_version_kind"),
            models.Index(fields=["shot", "state"], name="media_shot_state"),
        ]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.kind}, {self.state})"
