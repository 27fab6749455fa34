"""Pages of the beta program: invitation links, agreements, waitlist, the partner team
page and the feedback control (the staff console is in `apps.beta.staff_views`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.adapters import SUSPENDED_USER_SESSION_KEY
from apps.accounts.models import User
from apps.beta import selectors
from apps.beta.agreements import agreement_accept
from apps.beta.features import FEATURES
from apps.beta.feedback import feedback_create
from apps.beta.invitations import (
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_resend,
    invitation_revoke,
)
from apps.beta.middleware import suspended_response
from apps.beta.models import FeedbackSubject
from apps.beta.waitlist import waitlist_join
from apps.core.errors import BacklotError, NotFound
from apps.core.middleware import client_ip
from apps.tenancy.models import PARTNER_ROLES, Membership, OrganizationKind, Role
from apps.tenancy.policy import Capability, can
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import (
    access_member_by_id,
    access_membership_by_slug,
    members_of_current_organization,
)
from apps.tenancy.services import membership_change_role, membership_remove
from apps.tenancy.web import organization_page


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- Invitation links ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows who invited whom and consumes nothing (link scanners follow links);
    accepting is a POST."""
    try:
        invitation = invitation_for_token(token)
    except NotFound as error:
        return render(
            request,
            "beta/invitation.html",
            {"error": error.message, "invitation": None},
            status=404,
        )
    context: dict[str, Any] = {
        "invitation": invitation,
        "organization": invitation.organization,
        "role_label": dict(Role.choices).get(invitation.role, invitation.role),
        "existing_account": User.objects.filter(email__iexact=invitation.email).exists(),
    }
    if invitation.state != "pending":
        context["error"] = {
            "accepted": "This invitation was already used. Sign in with the account it created.",
            "revoked": "This invitation was revoked. Ask whoever invited you for a new one.",
            "expired": "This invitation has expired. Ask whoever invited you to re-send it.",
        }[invitation.state]
        return render(request, "beta/invitation.html", context, status=410)
    if request.method == "POST":
        password = request.POST.get("password", "")
        if not request.user.is_authenticated and password != request.POST.get("password2", ""):
            context["error"] = "The two passwords do not match."
            return render(request, "beta/invitation.html", context, status=400)
        try:
            user, membership = invitation_accept(
                token=token,
                user=request.user,
                password=password,
                display_name=request.POST.get("display_name", ""),
            )
        except BacklotError as error:
            context["error"] = error.message
            return render(request, "beta/invitation.html", context, status=error.status_code)
        if not request.user.is_authenticated:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {membership.organization.name}.")
        return HttpResponseRedirect(reverse("dashboard") + f"?org={membership.organization.slug}")
    return render(request, "beta/invitation.html", context)


# --- Agreements --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def agreements_page(request: HttpRequest) -> HttpResponse:
    pending = selectors.pending_agreements(request.user)
    if request.method == "POST":
        try:
            accepted = 0
            for version in pending:
                if request.POST.get(f"accept_{version.pk}") != "on":
                    continue
                agreement_accept(
                    user=request.user,
                    version=version,
                    content_hash_seen=request.POST.get(f"hash_{version.pk}", ""),
                    ip_address=client_ip(request),
                    user_agent=request.headers.get("User-Agent", ""),
                )
                accepted += 1
        except BacklotError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(request.get_full_path())
        remaining = selectors.pending_agreements(request.user)
        if remaining:
            messages.error(
                request,
                "Tick “I accept” for every agreement to continue: "
                + ", ".join(v.agreement.title for v in remaining),
            )
            return HttpResponseRedirect(request.get_full_path())
        messages.success(request, "Thank you. You can use Backlot now.")
        return HttpResponseRedirect(_safe_next(request, reverse("dashboard")))
    return render(
        request,
        "beta/agreements.html",
        {"pending": pending, "next": _safe_next(request, reverse("dashboard"))},
    )


def suspended_page(request: HttpRequest) -> HttpResponse:
    """Where a suspended person lands after signing in (`ClosedBetaAccountAdapter`
    remembers who in the session) and what a suspended partner's members see."""
    refusal = selectors.access_refusal(request.user) if request.user.is_authenticated else None
    if refusal is not None and refusal.code == "beta_access_suspended":
        return suspended_response(request, refusal.subject, refusal.reason, is_partner=True)
    user_id = request.session.get(SUSPENDED_USER_SESSION_KEY)
    person = User.objects.filter(pk=user_id, is_active=False).first() if user_id else None
    if person is not None:
        return suspended_response(request, person.email, person.suspension_reason, is_partner=False)
    return render(request, "beta/suspended.html", {"suspended": False})


# --- Waitlist ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    values = {k: request.POST.get(k, "") for k in ("company", "role", "email", "wants")}
    if request.method == "POST":
        try:
            waitlist_join(**values, ip_address=client_ip(request))
        except BacklotError as error:
            return render(
                request,
                "beta/waitlist.html",
                {"values": values, "error": error.message},
                status=error.status_code,
            )
        return render(request, "beta/waitlist.html", {"joined": True})
    return render(request, "beta/waitlist.html", {"values": values})


# --- Partner team page -----------------------------------------------------------------------


INVITE_LINK_SESSION_KEY = "backlot_invite_link"


def _tell_invitation_outcome(request: HttpRequest, invitation: Any, token: str, verb: str) -> None:
    """The email goes out when the page's transaction commits, after this view: the next
    page view (the redirect) tells how it went (`_invitation_outcome`)."""
    request.session[INVITE_LINK_SESSION_KEY] = {
        "id": invitation.pk,
        "verb": verb,
        "link": f"{_base_url(request)}/beta/invite/{token}/",
    }


def _invitation_outcome(request: HttpRequest) -> dict[str, Any] | None:
    """Say truthfully whether the email went out; if not, offer the link to copy (once)."""
    pending = request.session.pop(INVITE_LINK_SESSION_KEY, None)
    if not isinstance(pending, dict):
        return None
    try:
        invitation = selectors.access_invitation_by_id(int(pending.get("id", 0)))
    except (NotFound, ValueError):
        return None
    if invitation.mailed_at is not None and not invitation.mail_error:
        messages.success(request, f"Invitation {pending.get('verb')} {invitation.email}.")
        return None
    messages.warning(
        request,
        f"The invitation for {invitation.email} is ready, but the email could not be sent"
        " (the mail server is not reachable). Copy the link below and send it yourself.",
    )
    return {"email": invitation.email, "link": pending.get("link", "")}


def _team_change(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """Change a member's role or remove them. Without `confirmed=yes` nothing changes: the
    page comes back with the confirmation to give (returned)."""
    action = request.POST.get("action")
    member = access_member_by_id(int(request.POST.get("member", "0") or 0))
    role = request.POST.get("role", "")
    if request.POST.get("confirmed") != "yes":
        return {
            "action": action,
            "member": member,
            "role": role,
            "role_label": dict(Role.choices).get(role, role),
        }
    if action == "role":
        changed = membership_change_role(actor=membership, member=member, role=role)
        messages.success(request, f"{changed.user.email} is now {changed.get_role_display()}.")
    else:
        membership_remove(actor=membership, member=member)
        messages.success(
            request,
            f"{member.user.email} was removed from {membership.organization.name}."
            " Their open pages lost access at once; what they made stays.",
        )
    return None


@organization_page
@require_http_methods(["GET", "POST"])
def team_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    if organization.kind != OrganizationKind.PARTNER:
        return _studio_team_page(request, membership)
    can_manage = can(membership, Capability.BETA_ACCOUNT)
    can_manage_team = can(membership, Capability.ORGANIZATION_MANAGE)
    pending_change = None
    if request.method == "POST" and request.POST.get("action") in ("role", "remove"):
        if not can_manage_team:
            messages.error(request, "Only the owner can change roles or remove members.")
            return HttpResponseRedirect(request.path)
        try:
            pending_change = _team_change(request, membership)
        except (BacklotError, ValueError) as error:
            messages.error(request, getattr(error, "message", "Choose a member."))
        if pending_change is None:
            return HttpResponseRedirect(request.path)
    elif request.method == "POST":
        if not can_manage:
            messages.error(request, "Only the owner can manage invitations.")
            return HttpResponseRedirect(request.path)
        try:
            action = request.POST.get("action")
            if action == "invite":
                invitation, token = invitation_create(
                    organization=organization,
                    email=request.POST.get("email", ""),
                    role=request.POST.get("role", ""),
                    actor=request.user,
                    base_url=_base_url(request),
                )
                _tell_invitation_outcome(request, invitation, token, "sent to")
            elif action in ("revoke", "resend"):
                invitation = selectors.access_invitation_by_id(int(request.POST.get("id", "0")))
                if action == "revoke":
                    invitation_revoke(invitation=invitation, actor=request.user)
                    messages.success(request, f"Invitation of {invitation.email} revoked.")
                else:
                    invitation, token = invitation_resend(
                        invitation=invitation, actor=request.user, base_url=_base_url(request)
                    )
                    _tell_invitation_outcome(request, invitation, token, "re-sent to")
        except (BacklotError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        return HttpResponseRedirect(request.path)
    profile = selectors.beta_profile_of(organization)
    members = list(members_of_current_organization())
    return render(
        request,
        "beta/team.html",
        {
            "membership": membership,
            "organization": organization,
            "profile": profile,
            "members": members,
            "invitations": list(selectors.invitations_of_current_organization()[:100]),
            "open_invitations": selectors.open_invitation_count(organization.pk),
            "can_manage": can_manage,
            "can_manage_team": can_manage_team,
            "pending_change": pending_change,
            "invite_link": _invitation_outcome(request),
            "roles": [(r.value, r.label) for r in Role if r in PARTNER_ROLES],
            "features": [
                (FEATURES[key].label, on)
                for key, on in selectors.feature_states(organization).items()
            ],
        },
    )


def _studio_team_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The studio's team: its reviewers and beta admins (read-only; studio people are added
    by the beta admins, and partners' projects reach them only through project shares)."""
    if request.method != "GET":
        raise NotFound("Not found.")
    return render(
        request,
        "beta/studio_team.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "members": list(members_of_current_organization().order_by("role", "created_at")),
        },
    )


# --- Feedback ----------------------------------------------------------------------------------


@login_required
@require_POST
def feedback_post(request: HttpRequest) -> HttpResponse:
    back = _safe_next(request, reverse("dashboard"))
    try:
        membership = access_membership_by_slug(request.user, request.POST.get("org", ""))
        subject_id_raw = request.POST.get("subject_id", "")
        with tenant_scope(membership.organization_id, user_id=request.user.pk):
            feedback_create(
                user=request.user,
                rating=int(request.POST.get("rating", "0") or 0),
                text=request.POST.get("text", ""),
                subject_type=request.POST.get("subject_type", FeedbackSubject.PAGE),
                subject_id=int(subject_id_raw) if subject_id_raw.isdigit() else None,
                page_path=request.POST.get("page", back)[:300],
            )
        messages.success(request, "Thank you for your feedback.")
    except (BacklotError, ValueError) as error:
        messages.error(request, getattr(error, "message", "Rate from 1 to 5."))
    return HttpResponseRedirect(back)
