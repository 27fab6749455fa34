"""The staff console of the beta program (beta admins only; 404 for everyone else):
partners, cohorts, feature switches, agreements, the waitlist, and the results report
with its CSV download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.beta import feedback_review, reports, selectors
from apps.beta.agreements import agreement_publish
from apps.beta.features import FEATURES
from apps.beta.gates import cohort_create, feature_set
from apps.beta.invitations import partner_invite
from apps.beta.models import BetaStatus, Cohort, WaitlistEntry
from apps.beta.suspension import (
    beta_profile_update,
    partner_reactivate,
    partner_suspend,
    user_reactivate,
    user_suspend,
)
from apps.beta.waitlist import waitlist_decline, waitlist_invite
from apps.core.errors import BacklotError, NotFound
from apps.tenancy.models import Organization, OrganizationKind
from apps.tenancy.selectors import is_beta_admin


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


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
        organization, invitation = partner_invite(
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
        beta_profile_update(
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
        partner_suspend(
            organization=organization, actor=actor, reason=request.POST.get("reason", "")
        )
        return f"{organization.name} is suspended: sessions, API tokens and live connections ended."
    if action == "reactivate_partner":
        organization = _partner(request.POST.get("org"))
        partner_reactivate(organization=organization, actor=actor)
        return f"{organization.name} is active again."
    if action in ("suspend_user", "reactivate_user"):
        user = User.objects.filter(email__iexact=request.POST.get("email", "").strip()).first()
        if user is None:
            raise NotFound("No user with that email.")
        if action == "suspend_user":
            user_suspend(user=user, actor=actor, reason=request.POST.get("reason", ""))
            return f"{user.email} is suspended."
        user_reactivate(user=user, actor=actor)
        return f"{user.email} is active again."
    if action == "create_cohort":
        cohort = cohort_create(name=request.POST.get("name", ""), actor=actor)
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
        feature_set(
            key=request.POST.get("key", ""),
            enabled=enabled,
            actor=actor,
            cohort=flag_cohort,
            organization=flag_partner,
        )
        return "Feature switch saved."
    if action == "publish_agreement":
        version = agreement_publish(
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
            waitlist_decline(entry=entry, actor=actor)
            return f"Request of {entry.company} declined."
        organization, invitation = waitlist_invite(
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


# --- Feedback text -------------------------------------------------------------------------

FEEDBACK_PAGE_LIMIT = 500


def _feedback_request(request: HttpRequest) -> feedback_review.FeedbackFilters:
    return feedback_review.feedback_filters(
        partner=request.GET.get("partner", ""),
        cohort=request.GET.get("cohort", ""),
        page=request.GET.get("page", ""),
        week=request.GET.get("week", ""),
    )


@login_required
@require_http_methods(["GET"])
def staff_feedback_page(request: HttpRequest) -> HttpResponse:
    _require_beta_admin(request)
    values = {k: request.GET.get(k, "") for k in ("partner", "cohort", "page", "week")}
    error = None
    rows: list[feedback_review.FeedbackRow] = []
    try:
        rows = feedback_review.feedback_rows(
            _feedback_request(request), limit=FEEDBACK_PAGE_LIMIT + 1
        )
    except BacklotError as failure:
        error = failure
    return render(
        request,
        "staff/feedback.html",
        {
            "rows": rows[:FEEDBACK_PAGE_LIMIT],
            "truncated": len(rows) > FEEDBACK_PAGE_LIMIT,
            "limit": FEEDBACK_PAGE_LIMIT,
            "values": values,
            "error": error,
            "partners": Organization.objects.filter(kind=OrganizationKind.PARTNER).order_by("name"),
            "cohorts": Cohort.objects.all(),
            "query": request.GET.urlencode(),
        },
        status=error.status_code if error else 200,
    )


@login_required
@require_http_methods(["GET"])
def staff_feedback_csv(request: HttpRequest) -> HttpResponse:
    _require_beta_admin(request)
    try:
        rows = feedback_review.feedback_rows(_feedback_request(request))
    except BacklotError as error:
        return HttpResponse(error.message, status=error.status_code, content_type="text/plain")
    response = HttpResponse(
        feedback_review.feedback_csv(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="beta-feedback.csv"'
    return response
