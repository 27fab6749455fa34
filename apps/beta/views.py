"""Pages of the beta program: invitation links, agreements, waitlist, the partner team
page, the feedback control and the staff console with the results report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import User
from apps.beta import reports, selectors, services
from apps.beta.features import FEATURES
from apps.beta.models import BetaStatus, Cohort, FeedbackSubject, WaitlistEntry
from apps.core.errors import BacklotError, NotFound
from apps.core.middleware import client_ip
from apps.tenancy.models import Membership, Organization, OrganizationKind, Role
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import (
    access_membership_by_slug,
    is_beta_admin,
    members_of_current_organization,
)
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
        invitation = services.invitation_for_token(token)
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
            user, membership = services.invitation_accept(
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
                services.agreement_accept(
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
    refusal = selectors.access_refusal(request.user) if request.user.is_authenticated else None
    message = refusal.message if refusal else "Your access is not suspended."
    return render(
        request,
        "errors/error.html",
        {"status": 403 if refusal else 200, "title": "Beta access", "message": message},
        status=403 if refusal else 200,
    )


# --- Waitlist ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    values = {k: request.POST.get(k, "") for k in ("company", "role", "email", "wants")}
    if request.method == "POST":
        try:
            services.waitlist_join(**values, ip_address=client_ip(request))
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


@organization_page
@require_http_methods(["GET", "POST"])
def team_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    if organization.kind != OrganizationKind.PARTNER:
        raise NotFound("Not a partner.")
    is_owner = membership.role == Role.OWNER
    if request.method == "POST":
        if not is_owner:
            messages.error(request, "Only the owner can manage invitations.")
            return HttpResponseRedirect(request.path)
        try:
            action = request.POST.get("action")
            if action == "invite":
                invitation, _ = services.invitation_create(
                    organization=organization,
                    email=request.POST.get("email", ""),
                    role=request.POST.get("role", ""),
                    actor=request.user,
                    base_url=_base_url(request),
                )
                messages.success(request, f"Invitation sent to {invitation.email}.")
            elif action in ("revoke", "resend"):
                invitation = selectors.access_invitation_by_id(int(request.POST.get("id", "0")))
                if action == "revoke":
                    services.invitation_revoke(invitation=invitation, actor=request.user)
                    messages.success(request, f"Invitation of {invitation.email} revoked.")
                else:
                    services.invitation_resend(
                        invitation=invitation, actor=request.user, base_url=_base_url(request)
                    )
                    messages.success(request, f"Invitation re-sent to {invitation.email}.")
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
            "is_owner": is_owner,
            "roles": [
                (r.value, r.label)
                for r in Role
                if r.value in ("owner", "producer", "artist", "viewer")
            ],
            "features": [
                (FEATURES[key].label, on)
                for key, on in selectors.feature_states(organization).items()
            ],
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
            services.feedback_create(
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


# --- Staff console -----------------------------------------------------------------------------


def _require_beta_admin(request: HttpRequest) -> None:
    if not request.user.is_authenticated or not is_beta_admin(request.user):
        raise Http404("Not found.")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().lstrip("-").isdigit() else None


def _staff_action(request: HttpRequest) -> str:
    action = request.POST.get("action", "")
    actor = request.user
    base = _base_url(request)
    if action == "invite_partner":
        organization, invitation = services.partner_invite(
            name=request.POST.get("name", ""),
            owner_email=request.POST.get("email", ""),
            actor=actor,
            cohort_id=_int_or_none(request.POST.get("cohort")),
            seat_quota=_int_or_none(request.POST.get("seat_quota")) or 5,
            invite_quota=_int_or_none(request.POST.get("invite_quota")) or 10,
            base_url=base,
        )
        return f"{organization.name} created; invitation sent to {invitation.email}."
    if action == "update_partner":
        organization = _partner(request.POST.get("org"))
        cohort_raw = request.POST.get("cohort", "")
        services.beta_profile_update(
            organization=organization,
            actor=actor,
            status=request.POST.get("status") or None,
            cohort_id=_int_or_none(cohort_raw) if cohort_raw else None,
            seat_quota=_int_or_none(request.POST.get("seat_quota")),
            invite_quota=_int_or_none(request.POST.get("invite_quota")),
            reason=request.POST.get("reason", ""),
        )
        return f"{organization.name} updated."
    if action == "suspend_partner":
        organization = _partner(request.POST.get("org"))
        services.partner_suspend(
            organization=organization, actor=actor, reason=request.POST.get("reason", "")
        )
        return f"{organization.name} is suspended: sessions, API tokens and live connections ended."
    if action == "reactivate_partner":
        organization = _partner(request.POST.get("org"))
        services.partner_reactivate(organization=organization, actor=actor)
        return f"{organization.name} is active again."
    if action in ("suspend_user", "reactivate_user"):
        user = User.objects.filter(email__iexact=request.POST.get("email", "").strip()).first()
        if user is None:
            raise NotFound("No user with that email.")
        if action == "suspend_user":
            services.user_suspend(user=user, actor=actor, reason=request.POST.get("reason", ""))
            return f"{user.email} is suspended."
        services.user_reactivate(user=user, actor=actor)
        return f"{user.email} is active again."
    if action == "create_cohort":
        cohort = services.cohort_create(name=request.POST.get("name", ""), actor=actor)
        return f"Cohort {cohort.name} created."
    if action == "set_feature":
        value = request.POST.get("value", "inherit")
        enabled = {"on": True, "off": False}.get(value)
        cohort_id = _int_or_none(request.POST.get("cohort"))
        flag_cohort = Cohort.objects.filter(pk=cohort_id).first() if cohort_id else None
        flag_partner: Organization | None = (
            _partner(request.POST.get("org"))
            if request.POST.get("org") and flag_cohort is None
            else None
        )
        services.feature_set(
            key=request.POST.get("key", ""),
            enabled=enabled,
            actor=actor,
            cohort=flag_cohort,
            organization=flag_partner,
        )
        return "Feature switch saved."
    if action == "publish_agreement":
        version = services.agreement_publish(
            key=request.POST.get("key", ""),
            title=request.POST.get("title", ""),
            body=request.POST.get("body", ""),
            actor=actor,
        )
        return f"{version.agreement.title} version {version.number} published."
    if action in ("waitlist_invite", "waitlist_decline"):
        entry_id = _int_or_none(request.POST.get("id"))
        entry = WaitlistEntry.objects.filter(pk=entry_id).first() if entry_id else None
        if entry is None:
            raise NotFound("Waitlist request not found.")
        if action == "waitlist_decline":
            services.waitlist_decline(entry=entry, actor=actor)
            return f"Request of {entry.company} declined."
        organization, invitation = services.waitlist_invite(
            entry=entry,
            actor=actor,
            base_url=base,
            cohort_id=_int_or_none(request.POST.get("cohort")),
        )
        return f"{organization.name} created; invitation sent to {invitation.email}."
    raise NotFound("Unknown action.")


def _partner(slug: str | None) -> Organization:
    organization = Organization.objects.filter(
        slug=slug or "", kind=OrganizationKind.PARTNER
    ).first()
    if organization is None:
        raise NotFound("Partner not found.")
    return organization


@login_required
@require_http_methods(["GET", "POST"])
def staff_beta_page(request: HttpRequest) -> HttpResponse:
    _require_beta_admin(request)
    if request.method == "POST":
        try:
            messages.success(request, _staff_action(request))
        except (BacklotError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        return HttpResponseRedirect(reverse("staff-beta") + "#" + request.POST.get("section", ""))
    rows = selectors.partner_rows()
    cohort_list = list(selectors.cohorts())
    flags = list(selectors.feature_flags())
    cohort_matrix = []
    for cohort in cohort_list:
        states = {f.key: f.enabled for f in flags if f.cohort_id == cohort.pk}
        cohort_matrix.append(
            (cohort, [(key, feature, states.get(key)) for key, feature in FEATURES.items()])
        )
    return render(
        request,
        "staff/beta.html",
        {
            "rows": rows,
            "statuses": BetaStatus.choices,
            "cohorts": cohort_list,
            "cohort_matrix": cohort_matrix,
            "partner_flags": [f for f in flags if f.partner_id is not None],
            "features": FEATURES,
            "waitlist": list(selectors.waitlist_entries()[:200]),
            "agreements": selectors.agreements_with_versions(),
        },
    )


@login_required
def staff_report_page(request: HttpRequest) -> HttpResponse:
    _require_beta_admin(request)
    report = reports.results_report()
    approvals = reports.bar_chart([(row.label, row.approvals) for row in report.partners])
    seats = reports.bar_chart([(row.label, row.seats_used) for row in report.partners])
    weeks = report.feedback_by_week
    return render(
        request,
        "staff/report.html",
        {
            "report": report,
            "total_rows": [report.total],
            "approvals_chart": approvals,
            "seats_chart": seats,
            "feedback_points": reports.line_chart(
                [(week.strftime("%d %b"), avg) for week, avg, _ in weeks]
            )[0],
            "feedback_line": reports.line_chart(
                [(week.strftime("%d %b"), avg) for week, avg, _ in weeks]
            )[1],
            "feedback_weeks": weeks,
            "feedback_axis": [(level, 160 - level * 28) for level in range(1, 6)],
        },
    )


@login_required
def staff_report_csv(request: HttpRequest) -> HttpResponse:
    _require_beta_admin(request)
    response = HttpResponse(
        reports.report_csv(reports.results_report()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="beta-results.csv"'
    return response
