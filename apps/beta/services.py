"""Writes of the beta program. Every function validates, writes in one transaction, audits
and sends mail or live events only after commit.

Quotas are checked under a row lock on the partner's BetaProfile: every invitation and
every acceptance of one partner locks that row first, so concurrent requests are
serialised and can never exceed the invite quota or the seat quota.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.accounts.models import ApiToken, User
from apps.accounts.services import user_create
from apps.audit.services import audit_record
from apps.beta.features import FEATURES
from apps.beta.models import (
    Agreement,
    AgreementAcceptance,
    AgreementVersion,
    BetaProfile,
    BetaStatus,
    Cohort,
    FeatureFlag,
    Feedback,
    FeedbackSubject,
    Invitation,
    WaitlistEntry,
    WaitlistStatus,
)
from apps.beta.selectors import current_agreement_versions
from apps.core.consumers import disconnect_user_sockets
from apps.core.errors import BacklotError, Conflict, Forbidden, NotFound, ValidationFailed
from apps.tenancy.models import PARTNER_ROLES, Membership, Organization, OrganizationKind, Role
from apps.tenancy.scope import require_scope, tenant_scope
from apps.tenancy.selectors import is_beta_admin, memberships_of_user
from apps.tenancy.services import membership_create, organization_create

logger = logging.getLogger(__name__)

INVALID_LINK = "This invitation link is not valid. Ask whoever invited you for a new one."


class RateLimited(BacklotError):
    status_code = 429
    code = "rate_limited"


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


def _lock_profile(organization_id: int) -> BetaProfile:
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


# --- Partner lifecycle ----------------------------------------------------------------------


def cohort_create(*, name: str, description: str = "", actor: Any) -> Cohort:
    name = name.strip()
    if not name:
        raise ValidationFailed("A cohort needs a name.", field="name")
    with transaction.atomic():
        if Cohort.objects.filter(name__iexact=name).exists():
            raise Conflict(f"A cohort named {name!r} already exists.", field="name")
        cohort = Cohort.objects.create(name=name[:100], description=description)
        audit_record(action="beta.cohort.create", actor=actor, target=cohort)
    return cohort


def beta_profile_update(
    *,
    organization: Organization,
    actor: Any,
    status: str | None = None,
    cohort_id: int | str | None = "",
    seat_quota: int | None = None,
    invite_quota: int | None = None,
    reason: str = "",
) -> BetaProfile:
    """Staff change a partner's status, cohort or quotas. `cohort_id=""` leaves it."""
    if organization.kind != OrganizationKind.PARTNER:
        raise ValidationFailed("Only partner organizations take part in the beta.")
    if status is not None and status not in BetaStatus.values:
        raise ValidationFailed(f"Unknown beta status {status!r}.", field="status")
    for field, value in (("seat_quota", seat_quota), ("invite_quota", invite_quota)):
        if value is not None and not 0 <= value <= 10_000:
            raise ValidationFailed("Quotas are whole numbers from 0 to 10000.", field=field)
    with transaction.atomic():
        profile = _lock_profile(organization.pk)
        changes: dict[str, Any] = {}
        if cohort_id != "":
            new_cohort = None
            if cohort_id is not None:
                new_cohort = Cohort.objects.filter(pk=cohort_id).first()
                if new_cohort is None:
                    raise ValidationFailed("That cohort does not exist.", field="cohort")
            if profile.cohort_id != (new_cohort.pk if new_cohort else None):
                changes["cohort"] = [
                    profile.cohort.name if profile.cohort else None,
                    new_cohort.name if new_cohort else None,
                ]
                profile.cohort = new_cohort
        for field, value in (("seat_quota", seat_quota), ("invite_quota", invite_quota)):
            if value is not None and getattr(profile, field) != value:
                changes[field] = [getattr(profile, field), value]
                setattr(profile, field, value)
        previous_status = profile.status
        if status is not None and status != previous_status:
            changes["status"] = [previous_status, status]
            profile.status = status
            profile.status_reason = reason[:300]
        if not changes:
            return profile
        profile.save()
        audit_record(
            action="beta.profile.update",
            actor=actor,
            organization_id=organization.pk,
            target=profile,
            changes=changes,
        )
        if "status" in changes and status == BetaStatus.SUSPENDED:
            _end_access_of_members(organization, reason or "Beta access was suspended.")
    return profile


def partner_suspend(*, organization: Organization, actor: Any, reason: str = "") -> BetaProfile:
    """One step: status suspended, sessions ended, API tokens revoked, websockets closed,
    new jobs refused (`organization_can_submit_jobs`), audited."""
    return beta_profile_update(
        organization=organization, actor=actor, status=BetaStatus.SUSPENDED, reason=reason
    )


def partner_reactivate(*, organization: Organization, actor: Any) -> BetaProfile:
    """Access comes back; nothing was deleted. Revoked API tokens stay revoked."""
    return beta_profile_update(organization=organization, actor=actor, status=BetaStatus.ACTIVE)


def _end_access_of_members(organization: Organization, reason: str) -> None:
    with tenant_scope(organization.pk):
        user_ids = list(
            Membership.objects.filter(organization_id=organization.pk).values_list(
                "user_id", flat=True
            )
        )
    _end_user_access(user_ids, f"{organization.name}: {reason}")


def _end_user_access(user_ids: list[int], reason: str) -> None:
    """Revoke API tokens, delete sessions and close websockets (after commit)."""
    if not user_ids:
        return
    revoked = ApiToken.objects.filter(user_id__in=user_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    _delete_sessions_of(set(user_ids))
    for user_id in user_ids:
        disconnect_user_sockets(user_id, reason)
    if revoked:
        audit_record(
            action="api_token.revoke_all",
            actor=None,
            changes={"users": sorted(user_ids), "count": revoked},
        )


def _delete_sessions_of(user_ids: set[int]) -> None:
    engine = settings.SESSION_ENGINE
    if engine not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return  # other engines: the access gate still refuses every request
    wanted = {str(user_id) for user_id in user_ids}
    store = import_module(engine).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") in wanted:
            store(session_key=session.session_key).delete()


def user_suspend(*, user: User, actor: Any, reason: str = "") -> User:
    if user.pk == getattr(actor, "pk", None):
        raise ValidationFailed("You cannot suspend yourself.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        _end_user_access([user.pk], reason or "Your access was suspended.")
        audit_record(
            action="beta.user.suspend", actor=actor, target=user, changes={"reason": reason}
        )
    return user


def user_reactivate(*, user: User, actor: Any) -> User:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        audit_record(action="beta.user.reactivate", actor=actor, target=user)
    return user


# --- Invitations ---------------------------------------------------------------------------


def _may_invite(actor: Any, organization: Organization) -> bool:
    """Returns True for staff, False for the partner's owner, raises otherwise."""
    if is_beta_admin(actor):
        return True
    for membership in memberships_of_user(actor):
        if membership.organization_id == organization.pk and membership.role == Role.OWNER:
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
        profile = _lock_profile(organization.pk)
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
        _lock_profile(organization.pk)
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
        try:
            send_mail(subject, body, None, [recipient])
        except Exception:  # the invitation stays; it can be re-sent from the team page
            logger.exception("could not send the invitation email to %s", recipient)

    transaction.on_commit(send)


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
        profile = _lock_profile(organization_id)
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


# --- Waitlist ----------------------------------------------------------------------------------

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


# --- Agreements ----------------------------------------------------------------------------


def content_hash(body: str) -> str:
    normalized = "\n".join(line.rstrip() for line in body.strip().replace("\r\n", "\n").split("\n"))
    return hashlib.sha256(normalized.encode()).hexdigest()


def agreement_publish(
    *, key: str, title: str, body: str, actor: Any, required: bool = True
) -> AgreementVersion:
    """Publish a new version; everyone must accept it before their next request."""
    key, title = key.strip().lower(), title.strip()
    if not key or not title or not body.strip():
        raise ValidationFailed("An agreement needs a key, a title and a text.")
    with transaction.atomic():
        agreement, _ = Agreement.objects.select_for_update().get_or_create(
            key=key[:40], defaults={"title": title[:200], "required": required}
        )
        if agreement.title != title or agreement.required != required:
            agreement.title, agreement.required = title[:200], required
            agreement.save(update_fields=["title", "required"])
        latest = agreement.versions.order_by("-number").first()
        digest = content_hash(body)
        if latest is not None and latest.content_hash == digest:
            raise Conflict("This text is identical to the current version.", field="body")
        version = AgreementVersion.objects.create(
            agreement=agreement,
            number=(latest.number + 1) if latest else 1,
            body=body.strip(),
            content_hash=digest,
            published_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            action="agreement.publish",
            actor=actor,
            target=version,
            changes={"key": agreement.key, "version": version.number, "hash": digest},
        )
        if required:
            reason = (
                f"{agreement.title} version {version.number} was published: accept it to continue."
            )
            for user_id in User.objects.filter(is_active=True).values_list("pk", flat=True):
                disconnect_user_sockets(user_id, reason)
    return version


def agreement_accept(
    *,
    user: Any,
    version: AgreementVersion,
    content_hash_seen: str,
    ip_address: str | None,
    user_agent: str,
) -> AgreementAcceptance:
    current = {v.pk for v in current_agreement_versions()}
    if version.pk not in current:
        raise Conflict("A newer version of this agreement exists; reload the page to read it.")
    if content_hash_seen != version.content_hash:
        raise Conflict("The agreement text changed while you were reading it; please reload.")
    memberships = memberships_of_user(user)
    organization_id = memberships[0].organization_id if memberships else None
    with transaction.atomic():
        existing = AgreementAcceptance.objects.filter(user_id=user.pk, version=version).first()
        if existing is not None:
            return existing
        acceptance = AgreementAcceptance.objects.create(
            user_id=user.pk,
            partner_id=organization_id,
            version=version,
            content_hash=version.content_hash,
            ip_address=ip_address,
            user_agent=user_agent[:512],
        )
        audit_record(
            action="agreement.accept",
            actor=user,
            organization_id=organization_id,
            target=acceptance,
            changes={"version": version.number, "hash": version.content_hash},
        )
    return acceptance


# --- Feature gates -------------------------------------------------------------------------


def feature_set(
    *,
    key: str,
    enabled: bool | None,
    actor: Any,
    cohort: Cohort | None = None,
    organization: Organization | None = None,
) -> FeatureFlag | None:
    """Switch a feature on/off for a cohort or one partner; None goes back to inheriting."""
    if key not in FEATURES:
        raise ValidationFailed(f"Unknown feature {key!r}.", field="key")
    if (cohort is None) == (organization is None):
        raise ValidationFailed("Choose either a cohort or a partner.")
    target: dict[str, Any] = {"cohort": cohort} if cohort is not None else {"partner": organization}
    with transaction.atomic():
        flag = FeatureFlag.objects.select_for_update().filter(key=key, **target).first()
        before = flag.enabled if flag else None
        if enabled is None:
            if flag is not None:
                flag.delete()
            flag = None
        elif flag is None:
            flag = FeatureFlag.objects.create(key=key, enabled=enabled, **target)
        else:
            flag.enabled = enabled
            flag.save(update_fields=["enabled", "updated_at"])
        if before != enabled:
            audit_record(
                action="beta.feature.set",
                actor=actor,
                organization_id=organization.pk if organization else None,
                changes={
                    "key": key,
                    "target": str(cohort or organization),
                    "enabled": [before, enabled],
                },
            )
    return flag


# --- Feedback --------------------------------------------------------------------------------


def feedback_create(
    *,
    user: Any,
    rating: int,
    text: str = "",
    subject_type: str = FeedbackSubject.PAGE,
    subject_id: int | None = None,
    page_path: str = "",
) -> Feedback:
    scope = require_scope()
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("Rate from 1 to 5.", field="rating")
    if subject_type not in FeedbackSubject.values:
        raise ValidationFailed(f"Unknown subject {subject_type!r}.", field="subject_type")
    if subject_type != FeedbackSubject.PAGE:
        if subject_id is None:
            raise ValidationFailed("Say which version or job this is about.", field="subject_id")
        _check_subject(subject_type, subject_id)
    with transaction.atomic():
        feedback = Feedback.objects.create(
            organization_id=scope.organization_id,
            user=user,
            rating=rating,
            text=text.strip()[:5000],
            subject_type=subject_type,
            subject_id=subject_id,
            page_path=page_path[:300],
        )
        audit_record(
            action="beta.feedback.create",
            actor=user,
            target=feedback,
            changes={"rating": rating, "subject": subject_type},
        )
    return feedback


def _check_subject(subject_type: str, subject_id: int) -> None:
    from django.apps import apps

    if subject_type == FeedbackSubject.VERSION:
        from apps.production.models import Version

        if not Version.objects.filter(pk=subject_id).exists():
            raise NotFound("Version not found.")
        return
    job_model = None
    if apps.is_installed("apps.render"):
        for name in ("RenderJob", "Job"):
            try:
                job_model = apps.get_model("render", name)
                break
            except LookupError:
                continue
    if job_model is None:
        raise ValidationFailed("Render jobs are not available yet.", field="subject_type")
    if not job_model.objects.filter(pk=subject_id).exists():
        raise NotFound("Render job not found.")
