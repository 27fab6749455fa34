"""A person's inbox: one row per thing that happened to them (mentioned, replied to, a
decision on their version, a job of theirs finished or failed, an invitation), and which of
those they also want by email.

Rows belong to a user, not to a tenant: one inbox shows every organization the person is in
(each entry names the organization it is about). Only `apps.notifications.services` writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    MENTION = "mention", "Mentions"
    REPLY = "reply", "Replies to my notes"
    DECISION = "decision", "Decisions on my versions"
    JOB_FINISHED = "job_finished", "Render jobs finished"
    JOB_FAILED = "job_failed", "Render jobs failed"
    INVITATION = "invitation", "Invitations"


class InboxItem(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items"
    )
    # Which organization the entry is about. Not named `organization`: an organization_id
    # column marks a tenant-owned (row-level secured) table, and the inbox is the user's.
    about_organization = models.ForeignKey(
        "tenancy.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=2000)
    # A site-relative path to the thing ("/r/<public id>/", a job page, an invitation).
    url = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}: {self.title}"


class EmailPreference(models.Model):
    """Whether a person gets email for one kind of notification. No row: the default
    (email on for every kind)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} email={'on' if self.email else 'off'}"
