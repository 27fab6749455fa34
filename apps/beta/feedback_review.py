"""Reading partners' feedback, for beta admins: the text of every item, filtered by
partner, cohort, page and ISO week, and the same rows as CSV. The caller has checked the
beta-admin role; each partner's rows are read inside that partner's tenant scope."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from apps.beta.models import BetaProfile, Feedback
from apps.core.csv_cells import csv_row
from apps.core.errors import ValidationFailed
from apps.tenancy.models import Organization, OrganizationKind
from apps.tenancy.scope import tenant_scope

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
CSV_COLUMNS = [
    "created_at",
    "partner",
    "cohort",
    "user",
    "rating",
    "subject",
    "subject_id",
    "page",
    "text",
]


@dataclass(frozen=True)
class FeedbackFilters:
    partner: str = ""  # organization slug
    cohort: int | None = None
    page: str = ""  # part of the page path
    week: str = ""  # ISO week, "2026-W07"

    @property
    def week_range(self) -> tuple[datetime, datetime] | None:
        if not self.week:
            return None
        found = WEEK.match(self.week)
        try:
            if found is None:
                raise ValueError(self.week)
            monday = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
        except ValueError:
            raise ValidationFailed(
                "Week must look like 2026-W07 (an ISO year and week number).", field="week"
            ) from None
        start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
        return start, start + timedelta(days=7)


@dataclass(frozen=True)
class FeedbackRow:
    created_at: datetime
    partner: str
    partner_slug: str
    cohort: str
    user: str
    rating: int
    subject: str
    subject_id: int | None
    page: str
    text: str


def feedback_filters(
    *, partner: str = "", cohort: str = "", page: str = "", week: str = ""
) -> FeedbackFilters:
    cohort = cohort.strip()
    if cohort and not cohort.isdigit():
        raise ValidationFailed("Choose a cohort from the list.", field="cohort")
    filters = FeedbackFilters(
        partner=partner.strip()[:64],
        cohort=int(cohort) if cohort else None,
        page=page.strip()[:300],
        week=week.strip(),
    )
    filters.week_range  # noqa: B018 - validates the week now, with the field named
    return filters


def feedback_rows(filters: FeedbackFilters, *, limit: int | None = None) -> list[FeedbackRow]:
    """Newest first, across the partners the filters select."""
    partners = Organization.objects.filter(kind=OrganizationKind.PARTNER).order_by("name")
    if filters.partner:
        partners = partners.filter(slug=filters.partner)
    cohorts = dict(
        BetaProfile.objects.filter(partner__in=partners).values_list("partner_id", "cohort__name")
    )
    if filters.cohort is not None:
        partners = partners.filter(
            pk__in=BetaProfile.objects.filter(cohort_id=filters.cohort).values("partner_id")
        )
    week = filters.week_range
    rows: list[FeedbackRow] = []
    for organization in partners:
        with tenant_scope(organization.pk):
            items = Feedback.objects.filter(organization_id=organization.pk).select_related("user")
            if filters.page:
                items = items.filter(page_path__icontains=filters.page)
            if week is not None:
                items = items.filter(created_at__gte=week[0], created_at__lt=week[1])
            if limit is not None:
                items = items[:limit]
            rows += [
                FeedbackRow(
                    created_at=item.created_at,
                    partner=organization.name,
                    partner_slug=organization.slug,
                    cohort=cohorts.get(organization.pk) or "",
                    user=item.user.email,
                    rating=item.rating,
                    subject=item.get_subject_type_display(),
                    subject_id=item.subject_id,
                    page=item.page_path,
                    text=item.text,
                )
                for item in items
            ]
    rows.sort(key=lambda row: row.created_at, reverse=True)
    return rows[:limit] if limit is not None else rows


def feedback_csv(rows: list[FeedbackRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        # A spreadsheet must not run a formula someone typed (feedback, a name, a page).
        writer.writerow(
            csv_row(
                [
                    row.created_at.isoformat(),
                    row.partner,
                    row.cohort,
                    row.user,
                    row.rating,
                    row.subject,
                    row.subject_id or "",
                    row.page,
                    row.text,
                ]
            )
        )
    return out.getvalue()
