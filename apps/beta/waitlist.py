"""The public waitlist: a company asks for access (rate-limited per network), staff turn the
request into a partner invite or decline it. Writes are audited in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction

from apps.audit.services import audit_record
from apps.beta.invitations import partner_invite
from apps.beta.models import Invitation, WaitlistEntry, WaitlistStatus
from apps.core.errors import BacklotError, Conflict, ValidationFailed
from apps.tenancy.models import Organization


class RateLimited(BacklotError):
    status_code = 429
    code = "rate_limited"


WAITLIST_LIMIT = 5
WAITLIST_WINDOW_SECONDS = 3600


def waitlist_join(
    *, company: str, role: str, email: str, wants: str, ip_address: str | None
) -> WaitlistEntry:
    fields = {"company": company.strip(), "role": role.strip(), "email": email.strip().lower()}
    for field, value in fields.items():
        if not value:
            raise ValidationFailed(f"Please fill in {field}.", field=field)
    if not wants.strip():
        raise ValidationFailed("Tell us what you want to try.", field="wants")
    try:
        validate_email(fields["email"])
    except DjangoValidationError:
        raise ValidationFailed("Enter a valid email address.", field="email") from None
    key = f"beta:waitlist:{ip_address or 'unknown'}"
    cache.add(key, 0, WAITLIST_WINDOW_SECONDS)
    if cache.incr(key) > WAITLIST_LIMIT:
        raise RateLimited("Too many requests from your network; please try again in an hour.")
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            company=fields["company"][:200],
            role=fields["role"][:100],
            email=fields["email"],
            wants=wants.strip()[:5000],
            ip_address=ip_address,
        )
        audit_record(action="beta.waitlist.join", actor=None, target=entry)
    return entry


def waitlist_invite(
    *, entry: WaitlistEntry, actor: Any, base_url: str | None = None, cohort_id: int | None = None
) -> tuple[Organization, Invitation]:
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitlistStatus.NEW:
            raise Conflict(f"This request was already {entry.get_status_display().lower()}.")
        organization, invitation = partner_invite(
            name=entry.company,
            owner_email=entry.email,
            actor=actor,
            cohort_id=cohort_id,
            base_url=base_url,
        )
        entry.status = WaitlistStatus.INVITED
        entry.partner = organization
        entry.save(update_fields=["status", "partner"])
        audit_record(
            action="beta.waitlist.invite",
            actor=actor,
            organization_id=organization.pk,
            target=entry,
        )
    return organization, invitation


def waitlist_decline(*, entry: WaitlistEntry, actor: Any) -> WaitlistEntry:
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitlistStatus.NEW:
            raise Conflict(f"This request was already {entry.get_status_display().lower()}.")
        entry.status = WaitlistStatus.DECLINED
        entry.save(update_fields=["status"])
        audit_record(action="beta.waitlist.decline", actor=actor, target=entry)
    return entry
