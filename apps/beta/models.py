"""The closed-beta program: partner lifecycle, invitations, waitlist, agreements,
feature gates and feedback."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.tenancy.models import Organization, Role, TenantModel


class BetaStatus(models.TextChoices):
    WAITLISTED = "waitlisted", "Waitlisted"
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    GRADUATED = "graduated", "Graduated"


class Cohort(models.Model):
    """A group of partners that get features switched on together."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BetaProfile(models.Model):
    """A partner's place in the beta. One per organization; the row is also the lock that
    serialises invitations and acceptances of that partner (seat and invite quotas).

    Not tenant data (like Organization itself, it is the registry staff manage), so the
    link is named `partner`: an `organization_id` column marks tenant-owned rows.
    """

    partner = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="beta_profile"
    )
    status = models.CharField(max_length=16, choices=BetaStatus.choices, default=BetaStatus.INVITED)
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="profiles"
    )
    seat_quota = models.PositiveIntegerField(default=5)
    invite_quota = models.PositiveIntegerField(default=10)
    status_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner__name"]

    def __str__(self) -> str:
        return f"{self.partner} ({self.status})"


class Invitation(TenantModel):
    """An invitation to join a partner. Only the SHA-256 of the token is stored."""

    email = models.EmailField()
    role = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The last email of the link: when the mail server took it, or why it did not.
    mailed_at = models.DateTimeField(null=True, blank=True)
    mail_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.role}"

    @property
    def role_label(self) -> str:
        """The role as member badges write it ("Artist", not "artist")."""
        return str(Role(self.role).label) if self.role in Role.values else self.role

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class WaitlistStatus(models.TextChoices):
    NEW = "new", "New"
    INVITED = "invited", "Invited"
    DECLINED = "declined", "Declined"


class WaitlistEntry(models.Model):
    """A public request to join the beta. Not tenant data: there is no tenant yet."""

    company = models.CharField(max_length=200)
    role = models.CharField(max_length=100)
    email = models.EmailField()
    wants = models.TextField()
    status = models.CharField(
        max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.NEW
    )
    partner = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "waitlist entries"

    def __str__(self) -> str:
        return f"{self.company} ({self.email})"


class Agreement(models.Model):
    """A document users must accept (NDA, beta terms); its text lives in versions."""

    key = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    required = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title


class AgreementVersion(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    content_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["agreement_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.agreement.title} v{self.number}"


class AgreementAcceptance(models.Model):
    """Proof that one person accepted one exact text. Append-only in practice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agreement_acceptances"
    )
    partner = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="acceptances"
    )
    content_hash = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="acceptance_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} accepted {self.version_id}"


class FeatureFlag(models.Model):
    """One switch of a feature for a cohort or for a single partner (which wins)."""

    key = models.CharField(max_length=60)
    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    partner = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(cohort__isnull=True) & Q(partner__isnull=False))
                | (Q(cohort__isnull=False) & Q(partner__isnull=True)),
                name="featureflag_cohort_xor_partner",
            ),
            models.UniqueConstraint(
                fields=["key", "cohort"],
                condition=Q(cohort__isnull=False),
                name="featureflag_one_per_cohort",
            ),
            models.UniqueConstraint(
                fields=["key", "partner"],
                condition=Q(partner__isnull=False),
                name="featureflag_one_per_partner",
            ),
        ]

    def __str__(self) -> str:
        target: Any = self.cohort or self.partner
        return f"{self.key}={'on' if self.enabled else 'off'} for {target}"


class FeedbackSubject(models.TextChoices):
    PAGE = "page", "Page"
    VERSION = "version", "Version"
    JOB = "job", "Render job"


class Feedback(TenantModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    subject_type = models.CharField(
        max_length=10, choices=FeedbackSubject.choices, default=FeedbackSubject.PAGE
    )
    subject_id = models.BigIntegerField(null=True, blank=True)
    page_path = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="feedback_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 on {self.subject_type} {self.subject_id or self.page_path}"
