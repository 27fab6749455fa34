"""Invitations into a partner and the partner invite that brings a new partner in (the
waitlist turns a request into one: `apps.beta.waitlist`). Every function validates, writes
in one transaction, audits and sends mail only after commit.

Quotas are checked under a row lock on the partner's BetaProfile (`lock_profile`): every
invitation and every acceptance of one partner locks that row first, so concurrent
requests are serialised and can never exceed the invite quota or the seat quota. Staff
changing the quotas (`apps.beta.suspension.beta_profile_update`) take the same lock.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.audit.services import audit_record
from apps.beta.models import BetaProfile, BetaStatus, Cohort, Invitation
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.mail import MailNotSent, mail_send
from apps.notifications.models import NotificationKind
from apps.notifications.services import notification_send
from apps.tenancy.models import PARTNER_ROLES, Membership, Organization, OrganizationKind, Role
from apps.tenancy.policy import Capability, can
from apps.tenancy.scope import require_scope, tenant_scope
from apps.tenancy.selectors import is_beta_admin, memberships_of_user
from apps.tenancy.services import membership_create, organization_create

logger = logging.getLogger(__name__)

INVALID_LINK = "This invitation link is not valid. Ask whoever invited you for a new one."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(organization_id: int) -> tuple[str, str]:
    """`<organization id>.<secret>`: the id only tells which tenant to look in."""
    token = f"{organization_id}.{secrets.token_urlsafe(32)}"
    return token, _hash(token)


def _parse_token(token: str) -> tuple[int, str]:
    head, _, secret = token.partition(".")
    if not head.isdigit() or len(secret) < 20 or len(token) > 200:
        raise NotFound(INVALID_LINK)
    return int(head), _hash(token)


def lock_profile(organization_id: int) -> BetaProfile:
    """Lock (creating if needed) the partner's profile row for the rest of the transaction."""
    profile, _ = BetaProfile.objects.select_for_update().get_or_create(
        partner_id=organization_id, defaults={"status": BetaStatus.ACTIVE}
    )
    return profile


def _invitation_days() -> int:
    return int(getattr(settings, "BETA_INVITATION_DAYS", 7))


def _base_url(base_url: str | None) -> str:
    fallback = str(getattr(settings, "BACKLOT_BASE_URL", "http://127.0.0.1:8000"))
    return (base_url or fallback).rstrip("/")


# --- Invitations ---------------------------------------------------------------------------


def _may_invite(actor: Any, organization: Organization) -> bool:
    """Returns True for staff, False for a member who may manage the partner's beta account
    (its owner), raises otherwise."""
    if is_beta_admin(actor):
        return True
    for membership in memberships_of_user(actor):
        if membership.organization_id == organization.pk and can(
            membership, Capability.BETA_ACCOUNT
        ):
            return False
    raise Forbidden("Only the partner's owner (or a beta admin) can invite people.")


def invitation_create(
    *,
    organization: Organization,
    email: str,
    role: str,
    actor: Any,
    base_url: str | None = None,
) -> tuple[Invitation, str]:
    """Invite someone into a partner. Returns the invitation and the plain token (mailed)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed("Enter a valid email address.", field="email") from None
    if role not in PARTNER_ROLES:
        raise ValidationFailed(f"Role {role!r} does not exist in a partner.", field="role")
    if organization.kind != OrganizationKind.PARTNER:
        raise ValidationFailed("Invitations are for partner organizations.")
    by_staff = _may_invite(actor, organization)
    with transaction.atomic():
        profile = lock_profile(organization.pk)
        if profile.status == BetaStatus.SUSPENDED:
            raise Forbidden(f"{organization.name} is suspended; it cannot invite anyone.")
        with tenant_scope(organization.pk, user_id=actor.pk):
            members = Membership.objects.filter(organization_id=organization.pk)
            if members.filter(user__email__iexact=email).exists():
                raise Conflict(
                    f"{email} is already a member of {organization.name}.", field="email"
                )
            if not by_staff and members.count() >= profile.seat_quota:
                raise Conflict(
                    f"All {profile.seat_quota} seats of {organization.name} are taken."
                    " Remove a member or ask the studio for more seats.",
                    field="email",
                )
            open_invitations = Invitation.objects.filter(
                organization_id=organization.pk,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            if open_invitations.filter(email__iexact=email).exists():
                raise Conflict(
                    f"{email} already has a pending invitation; re-send it instead.",
                    field="email",
                )
            if not by_staff and open_invitations.count() >= profile.invite_quota:
                raise Conflict(
                    f"{organization.name} already has {profile.invite_quota} open invitations,"
                    " its invite quota. Revoke one or wait until one is accepted.",
                    field="email",
                )
            token, digest = _new_token(organization.pk)
            invitation = Invitation.objects.create(
                organization=organization,
                email=email,
                role=role,
                token_hash=digest,
                invited_by=actor,
                invited_by_staff=by_staff,
                expires_at=timezone.now() + timedelta(days=_invitation_days()),
                sent_count=1,
                last_sent_at=timezone.now(),
            )
            audit_record(
                action="invitation.create",
                actor=actor,
                target=invitation,
                changes={"email": email, "role": role, "by_staff": by_staff},
            )
        _mail_invitation(invitation, organization, token, actor, base_url)
    return invitation, token


def invitation_resend(
    *, invitation: Invitation, actor: Any, base_url: str | None = None
) -> tuple[Invitation, str]:
    """A new link (the old one stops working) and a fresh expiry."""
    scope = require_scope()
    organization = Organization.objects.get(pk=scope.organization_id)
    _may_invite(actor, organization)
    with transaction.atomic():
        lock_profile(organization.pk)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise Conflict(f"This invitation was already {invitation.state}; it cannot be re-sent.")
        token, digest = _new_token(organization.pk)
        invitation.token_hash = digest
        invitation.expires_at = timezone.now() + timedelta(days=_invitation_days())
        invitation.sent_count += 1
        invitation.last_sent_at = timezone.now()
        invitation.save(update_fields=["token_hash", "expires_at", "sent_count", "last_sent_at"])
        audit_record(action="invitation.resend", actor=actor, target=invitation)
        _mail_invitation(invitation, organization, token, actor, base_url)
    return invitation, token


def invitation_revoke(*, invitation: Invitation, actor: Any) -> Invitation:
    scope = require_scope()
    organization = Organization.objects.get(pk=scope.organization_id)
    _may_invite(actor, organization)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise Conflict("This invitation was already accepted; remove the member instead.")
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.save(update_fields=["revoked_at"])
            audit_record(action="invitation.revoke", actor=actor, target=invitation)
    return invitation


def _mail_invitation(
    invitation: Invitation, organization: Organization, token: str, actor: Any, base_url: str | None
) -> None:
    link = f"{_base_url(base_url)}/beta/invite/{token}/"
    inviter = getattr(actor, "display_name", "") or getattr(actor, "email", "The Backlot team")
    context = {
        "organization": organization,
        "invitation": invitation,
        "link": link,
        "inviter": inviter,
        "role": dict(Role.choices).get(invitation.role, invitation.role),
    }
    subject = f"{inviter} invited you to {organization.name} on Backlot"
    body = render_to_string("beta/email/invitation.txt", context)
    recipient = invitation.email

    def send() -> None:
        # Runs when the invitation's transaction commits (at once, for a page's request):
        # the outcome is recorded so the page tells the truth and offers the link to copy.
        error = ""
        try:
            mail_send(EmailMessage(subject, body, None, [recipient]))
        except MailNotSent as failure:  # the invitation stays; the link can be copied
            error = failure.message
        with tenant_scope(organization.pk):
            Invitation.objects.filter(pk=invitation.pk).update(
                mailed_at=None if error else timezone.now(), mail_error=error
            )
        invitation.mailed_at = None if error else timezone.now()
        invitation.mail_error = error

    transaction.on_commit(send)


def _tell_inviter(invitation: Invitation, account: User, organization: Organization) -> None:
    inviter = invitation.invited_by
    if inviter is None or inviter.pk == account.pk:
        return
    url = (
        reverse("staff-beta")
        if invitation.invited_by_staff
        else reverse("beta-team", args=[organization.slug])
    )
    notification_send(
        user=inviter,
        kind=NotificationKind.INVITATION,
        title=f"{account.display_name or account.email} joined {organization.name}",
        body=f"They accepted your invitation as {dict(Role.choices).get(invitation.role)}.",
        url=url,
        actor=account,
        organization_id=organization.pk,
    )


def invitation_for_token(token: str) -> Invitation:
    """The invitation behind a link, for showing it. Consumes nothing."""
    organization_id, digest = _parse_token(token)
    with tenant_scope(organization_id):
        invitation = (
            Invitation.objects.select_related("organization", "invited_by")
            .filter(token_hash=digest)
            .first()
        )
    if invitation is None:
        raise NotFound(INVALID_LINK)
    return invitation


def _check_open(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise Conflict("This invitation was already used. Sign in with the account it created.")
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was revoked. Ask whoever invited you for a new one.")
    if invitation.expires_at <= timezone.now():
        raise Conflict("This invitation has expired. Ask whoever invited you to re-send it.")


def invitation_accept(
    *,
    token: str,
    user: Any | None = None,
    password: str = "",
    display_name: str = "",
) -> tuple[User, Membership]:
    """Accept by POST. A signed-out invitee gets a new account with this password; a signed-in
    user must be the invited email. The seat quota is checked under the profile lock."""
    organization_id, digest = _parse_token(token)
    with transaction.atomic():
        if not Organization.objects.filter(pk=organization_id).exists():
            raise NotFound(INVALID_LINK)
        profile = lock_profile(organization_id)
        with tenant_scope(organization_id):
            invitation = (
                Invitation.objects.select_for_update()
                .select_related("organization")
                .filter(token_hash=digest)
                .first()
            )
            if invitation is None:
                raise NotFound(INVALID_LINK)
            _check_open(invitation)
            organization = invitation.organization
            if profile.status == BetaStatus.SUSPENDED:
                raise Forbidden(
                    f"{organization.name} is suspended; invitations cannot be accepted."
                )
            seats = Membership.objects.filter(organization_id=organization_id).count()
            if seats >= profile.seat_quota:
                raise Conflict(
                    f"{organization.name} has used all {profile.seat_quota} of its seats, so this"
                    " invitation cannot be accepted now. Ask the person who invited you to free a"
                    " seat or to ask the studio for more."
                )
        if user is not None and getattr(user, "is_authenticated", False):
            if user.email.lower() != invitation.email.lower():
                raise Forbidden(
                    f"This invitation is for {invitation.email}, but you are signed in as"
                    f" {user.email}. Sign out first."
                )
            account = user
        else:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise Conflict(
                    f"An account for {invitation.email} already exists: sign in, then open this"
                    " link again to join."
                )
            try:
                validate_password(password, User(email=invitation.email))
            except DjangoValidationError as error:
                raise ValidationFailed(" ".join(error.messages), field="password") from None
            account = user_create(
                email=invitation.email, password=password, display_name=display_name.strip()[:150]
            )
        membership = membership_create(
            organization=organization, user=account, role=invitation.role, actor=account
        )
        with tenant_scope(organization_id, user_id=account.pk):
            invitation.accepted_at = timezone.now()
            invitation.accepted_by = account
            invitation.save(update_fields=["accepted_at", "accepted_by"])
            audit_record(action="invitation.accept", actor=account, target=invitation)
        _tell_inviter(invitation, account, organization)
        if profile.status in (BetaStatus.INVITED, BetaStatus.WAITLISTED):
            profile.status = BetaStatus.ACTIVE
            profile.save(update_fields=["status", "updated_at"])
            audit_record(
                action="beta.profile.update",
                actor=account,
                organization_id=organization_id,
                target=profile,
                changes={"status": [BetaStatus.INVITED, BetaStatus.ACTIVE]},
            )
    return account, membership


def partner_invite(
    *,
    name: str,
    owner_email: str,
    actor: Any,
    cohort_id: int | None = None,
    seat_quota: int = 5,
    invite_quota: int = 10,
    base_url: str | None = None,
) -> tuple[Organization, Invitation]:
    """Staff bring a new partner in: the organization (status invited) and its owner's invite."""
    if not is_beta_admin(actor):
        raise Forbidden("Only beta admins can invite partners.")
    with transaction.atomic():
        organization = organization_create(name=name, kind=OrganizationKind.PARTNER, actor=actor)
        profile = BetaProfile.objects.create(
            partner=organization,
            status=BetaStatus.INVITED,
            seat_quota=seat_quota,
            invite_quota=invite_quota,
            cohort=Cohort.objects.filter(pk=cohort_id).first() if cohort_id else None,
        )
        audit_record(
            action="beta.partner.invite",
            actor=actor,
            organization_id=organization.pk,
            target=profile,
            changes={"owner": owner_email, "seat_quota": seat_quota, "invite_quota": invite_quota},
        )
        invitation, _ = invitation_create(
            organization=organization,
            email=owner_email,
            role=Role.OWNER,
            actor=actor,
            base_url=base_url,
        )
    return organization, invitation
