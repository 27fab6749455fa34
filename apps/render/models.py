"""Render jobs on GPU worker pools: pools and entitlements (studio configuration), jobs,
attempts, logs and provenance (tenant data)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.tenancy.models import TenantModel
from gpu_workers.celery_app import pool_queue


class DeviceKind(models.TextChoices):
    CPU = "cpu", "CPU"
    CUDA = "cuda", "CUDA GPU"


class PoolState(models.TextChoices):
    ACTIVE = "active", "Active"
    # Jobs stay queued for the pool and are dispatched when it resumes.
    PAUSED = "paused", "Paused"
    # Running jobs finish, nothing new is dispatched or accepted (to take nodes away).
    DRAINING = "draining", "Draining"


class Pool(models.Model):
    """A set of identical worker slots consuming one broker queue. Studio configuration,
    not tenant data: every partner's jobs run on the same pools."""

    name = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    device_kind = models.CharField(max_length=8, choices=DeviceKind.choices)
    # Worker slots (one process per GPU); the dispatcher never sends more than this.
    capacity = models.PositiveIntegerField(default=1)
    price_per_gpu_second = models.DecimalField(
        max_digits=12, decimal_places=6, default=Decimal("0.001000")
    )
    state = models.CharField(max_length=10, choices=PoolState.choices, default=PoolState.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def queue(self) -> str:
        return pool_queue(self.name)


class PoolEntitlement(TenantModel):
    """A partner's fair-share weight on a pool and an optional hard cap of running jobs.

    Tenant-owned (row-level security): a partner sees only its own entitlements. The
    dispatcher reads every partner's rows of a pool through a transaction-local flag
    (`apps.render.scheduler.scheduler_reads`), as the staff audit reader does."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="entitlements")
    share = models.DecimalField(max_digits=8, decimal_places=4, default=Decimal("1"))
    hard_cap = models.PositiveIntegerField(null=True, blank=True)

    rls_policy_sql = (
        "organization_id = backlot_current_organization()"
        " OR backlot_context_allows('render_scheduler')"
    )
    # The dispatcher reads every partner's rows; only the partner's scope writes them.
    rls_write_sql = "organization_id = backlot_current_organization()"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "organization"], name="entitlement_unique"),
            models.CheckConstraint(condition=Q(share__gt=0), name="entitlement_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} on {self.pool_id}: {self.share}"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    DISPATCHED = "dispatched", "Dispatched"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_JOB_STATES = (JobState.DISPATCHED, JobState.RUNNING)
OPEN_JOB_STATES = (JobState.QUEUED, JobState.DISPATCHED, JobState.RUNNING)
FINAL_JOB_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class Job(TenantModel):
    """One AI operation on inputs of a shot, run on a pool; produces one version."""

    project = models.ForeignKey(
        "production.Project", on_delete=models.CASCADE, related_name="render_jobs"
    )
    shot = models.ForeignKey("production.Shot", on_delete=models.CASCADE, related_name="+")
    pool = models.ForeignKey(Pool, on_delete=models.PROTECT, related_name="jobs")
    operation = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    # input role -> media file id (resolved to storage keys and sha256 at dispatch)
    inputs = models.JSONField(default=dict)
    character = models.ForeignKey(
        "production.Character", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The consent record that allowed a likeness operation (checked again at dispatch).
    consent = models.ForeignKey(
        "production.ConsentRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(default=50)
    # A re-run with changes: the job it was made from, and the review note that asked.
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    note = models.ForeignKey(
        "review.Note", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    current_attempt_id = models.UUIDField(null=True, blank=True)
    # Attempts that reached a worker; a lost worker is retried until the limit.
    attempts_started = models.PositiveIntegerField(default=0)
    attempt_limit = models.PositiveIntegerField(default=3)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    cost = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    gpu_seconds = models.FloatField(null=True, blank=True)
    # The estimate made at submission (apps.render.estimates): GPU-seconds and the work it
    # was made for (megapixels x frames of the main input), which calibrates later ones.
    estimated_gpu_seconds = models.FloatField(null=True, blank=True)
    work_megapixel_frames = models.FloatField(null=True, blank=True)
    version = models.ForeignKey(
        "production.Version", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["pool", "state", "priority"], name="render_job_pool_state"),
            models.Index(fields=["project", "state"], name="render_job_project_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(priority__lte=100), name="render_job_priority_range")
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.operation} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_JOB_STATES


class AttemptState(models.TextChoices):
    DISPATCHED = "dispatched", "Dispatched"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    LOST = "lost", "Worker lost"


class Attempt(TenantModel):
    """One try of a job on a worker. Only the job's current attempt may report a result."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="attempts")
    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=12, choices=AttemptState.choices, default=AttemptState.DISPATCHED
    )
    worker_host = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    dispatched_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["job_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="attempt_number_unique")
        ]
        indexes = [models.Index(fields=["state", "last_heartbeat_at"], name="attempt_state_hb")]

    def __str__(self) -> str:
        return f"attempt {self.number} of job {self.job_id} ({self.state})"


class JobLog(TenantModel):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="logs")
    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    attempt_id = models.UUIDField(null=True, blank=True)
    level = models.CharField(max_length=8, default="info")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.message[:80]


class Provenance(TenantModel):
    """How a render version was made: one per job (the database refuses a second)."""

    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="provenance")
    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    version = models.OneToOneField(
        "production.Version",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="provenance",
    )
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="+")
    record = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    def __str__(self) -> str:
        return f"provenance of job {self.job_id}"
