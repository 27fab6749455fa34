from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from apps.tenancy.models import TenantModel


def offline_only() -> list[str]:
    return ["local"]


class AIPolicy(TenantModel):
    """What a project allows for language-model assistance. No training is the default;
    external providers stay off until the partner owner accepts the current version."""

    project = models.OneToOneField(
        "production.Project", on_delete=models.CASCADE, related_name="ai_policy"
    )
    no_training = models.BooleanField(default=True)
    # None: any retention; 0: the provider must keep nothing.
    max_retention_days = models.PositiveIntegerField(null=True, blank=True, default=30)
    # Only named providers (the offline one is always allowed, named or not).
    allowed_providers = models.JSONField(default=offline_only, blank=True)
    allowed_regions = models.JSONField(default=list, blank=True)  # empty: any region
    version = models.PositiveIntegerField(default=1)  # +1 on every change
    accepted_version = models.PositiveIntegerField(default=0)  # 0: never accepted
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    share_path: ClassVar[str | None] = "project"

    def __str__(self) -> str:
        return f"AI policy of project {self.project_id}"

    def as_dict(self) -> dict[str, object]:
        return {
            "no_training": self.no_training,
            "max_retention_days": self.max_retention_days,
            "allowed_providers": list(self.allowed_providers),
            "allowed_regions": list(self.allowed_regions),
            "version": self.version,
            "accepted_version": self.accepted_version,
        }

    @property
    def accepted(self) -> bool:
        return bool(self.accepted_version) and self.accepted_version == self.version


class CallStatus(models.TextChoices):
    SENT = "sent", "Sent, no answer yet"
    OK = "ok", "Answered"
    ERROR = "error", "Provider error"
    REFUSED = "refused", "Refused by policy"


class AssistCall(TenantModel):
    """One routed (or refused) request to a provider."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=20)
    # Sizes are enforced by the service (names are cut to fit, never lose the row).
    provider = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=CallStatus.choices)
    detail = models.TextField(blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    policy = models.JSONField(default=dict)  # the policy in force
    # What the chosen provider declared; for a refusal, {provider: declaration} of each.
    guarantees = models.JSONField(default=dict)
    prompt_sent = models.BooleanField(default=False)  # the prompt may have reached it
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose} via {self.provider or '-'} ({self.status})"


class SuggestionKind(models.TextChoices):
    TASK_LIST = "task_list", "Task list"
    SUMMARY = "summary", "Session summary"
    REWRITE = "rewrite", "Rewritten note"


class SuggestionStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggestion"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class Suggestion(TenantModel):
    """Assistant output: a suggestion until a person accepts it, editable before that."""

    project = models.ForeignKey("production.Project", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=SuggestionKind.choices)
    source_type = models.CharField(max_length=20)  # review_session, version, note
    source_id = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.SUGGESTED
    )
    text = models.TextField(blank=True)
    tasks = models.JSONField(default=list, blank=True)
    call = models.ForeignKey(AssistCall, on_delete=models.SET_NULL, null=True, related_name="+")
    edited = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    share_path: ClassVar[str | None] = "project"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.source_type} {self.source_id} ({self.status})"
