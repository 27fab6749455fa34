"""The beta results report: per partner and per cohort, from the real tables.

Uploads, render jobs, GPU hours, review sessions and notes live in apps on higher floors
(media, render, review), which beta never imports: their tables are looked up by app label
when the report runs (`_model`). A metric whose app is not installed is reported as None,
shown as "not available yet"; it is never estimated.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count

from apps.audit.selectors import audit_entries_for_scope
from apps.beta.models import Feedback
from apps.beta.selectors import beta_profile_of
from apps.core.csv_cells import csv_row
from apps.production.models import Version, VersionStatus
from apps.tenancy.models import Membership, Organization, OrganizationKind
from apps.tenancy.scope import tenant_scope

UPLOAD_KINDS = ("plate", "element", "matte", "reference", "document")


@dataclass
class Row:
    label: str
    cohort: str
    status: str
    seats_used: int = 0
    seat_quota: int = 0
    uploads: int | None = 0
    versions: int = 0
    approvals: int = 0
    jobs_by_operation: dict[str, int] | None = None
    gpu_hours: float | None = None
    review_sessions: int | None = None
    notes: int | None = None
    feedback_count: int = 0
    feedback_sum: int = 0
    approval_hours: list[float] = field(default_factory=list)
    partners: int = 1

    @property
    def median_hours_to_approval(self) -> float | None:
        return round(statistics.median(self.approval_hours), 2) if self.approval_hours else None

    @property
    def feedback_average(self) -> float | None:
        return round(self.feedback_sum / self.feedback_count, 2) if self.feedback_count else None

    @property
    def jobs_total(self) -> int | None:
        return None if self.jobs_by_operation is None else sum(self.jobs_by_operation.values())


@dataclass
class Report:
    partners: list[Row]
    cohorts: list[Row]
    total: Row
    feedback_by_week: list[tuple[date, float, int]]
    unavailable: list[str]


def _model(app_label: str, name: str) -> Any:
    """A model of an app above beta (media, render, review), by its label, or None when that
    app is not installed. Beta sits below those apps (imports point down only) and only
    counts their rows, so it names the table instead of importing the app's code. A wrong
    name raises LookupError instead of silently reporting "not available yet"."""
    if not apps.is_installed(f"apps.{app_label}"):
        return None
    return apps.get_model(app_label, name)


def _partner_row(organization: Organization, weeks: dict[date, list[int]]) -> Row:
    profile = beta_profile_of(organization)
    row = Row(
        label=organization.name,
        cohort=profile.cohort.name if profile.cohort else "No cohort",
        status=profile.get_status_display(),
        seat_quota=profile.seat_quota,
    )
    with tenant_scope(organization.pk):
        row.seats_used = Membership.objects.filter(organization_id=organization.pk).count()
        media = _model("media", "MediaFile")
        if media is None:
            row.uploads = None
        else:
            row.uploads = media.objects.filter(
                organization_id=organization.pk, kind__in=UPLOAD_KINDS, derived_from__isnull=True
            ).count()
        versions = Version.objects.filter(organization_id=organization.pk)
        row.versions = versions.count()
        row.approvals = versions.filter(status=VersionStatus.APPROVED).count()
        row.approval_hours = _hours_to_approval(organization.pk)
        _render_and_review_metrics(row, organization.pk)
        for item in Feedback.objects.filter(organization_id=organization.pk).values(
            "rating", "created_at"
        ):
            row.feedback_count += 1
            row.feedback_sum += item["rating"]
            created: datetime = item["created_at"]
            monday = created.date() - timedelta(days=created.weekday())
            weeks[monday].append(item["rating"])
    return row


def _render_and_review_metrics(row: Row, organization_id: int) -> None:
    job = _model("render", "Job")
    if job is not None:
        jobs = job.objects.filter(organization_id=organization_id)
        row.jobs_by_operation = {
            item["operation"]: item["n"]
            for item in jobs.values("operation").annotate(n=Count("pk")).order_by("operation")
        }
        seconds = sum(value or 0.0 for value in jobs.values_list("gpu_seconds", flat=True))
        row.gpu_hours = round(seconds / 3600, 3)
    session = _model("review", "ReviewSession")
    if session is not None:
        row.review_sessions = session.objects.filter(organization_id=organization_id).count()
    note = _model("review", "Note")
    if note is not None:
        row.notes = note.objects.filter(organization_id=organization_id).count()


def _hours_to_approval(organization_id: int) -> list[float]:
    """Per shot: from its first version to the first time one of its versions was approved
    (the audited status change)."""
    versions = {
        v["pk"]: v
        for v in Version.objects.filter(organization_id=organization_id).values(
            "pk", "shot_id", "created_at"
        )
    }
    first_version: dict[int, datetime] = {}
    for v in versions.values():
        shot = v["shot_id"]
        if shot not in first_version or v["created_at"] < first_version[shot]:
            first_version[shot] = v["created_at"]
    approved_at: dict[int, datetime] = {}
    entries = audit_entries_for_scope().filter(
        action="version.status", target_type="production.version"
    )
    for entry in entries.values("target_id", "changes", "created_at"):
        status = (entry["changes"] or {}).get("status")
        if not (isinstance(status, list) and len(status) == 2 and status[1] == "approved"):
            continue
        version = versions.get(int(entry["target_id"])) if entry["target_id"].isdigit() else None
        if version is None:
            continue
        shot = version["shot_id"]
        if shot not in approved_at or entry["created_at"] < approved_at[shot]:
            approved_at[shot] = entry["created_at"]
    return [
        (approved_at[shot] - first_version[shot]).total_seconds() / 3600
        for shot in sorted(approved_at)
        if shot in first_version
    ]


def _merge(into: Row, row: Row) -> None:
    into.partners += 1
    into.seats_used += row.seats_used
    into.seat_quota += row.seat_quota
    into.uploads = (
        None if row.uploads is None or into.uploads is None else into.uploads + row.uploads
    )
    into.versions += row.versions
    into.approvals += row.approvals
    into.feedback_count += row.feedback_count
    into.feedback_sum += row.feedback_sum
    into.approval_hours.extend(row.approval_hours)
    if row.jobs_by_operation is None or (into.partners > 1 and into.jobs_by_operation is None):
        into.jobs_by_operation = None
    else:
        merged = dict(into.jobs_by_operation or {})
        for operation, count in row.jobs_by_operation.items():
            merged[operation] = merged.get(operation, 0) + count
        into.jobs_by_operation = merged
    for name in ("gpu_hours", "review_sessions", "notes"):
        mine, theirs = getattr(into, name), getattr(row, name)
        first = into.partners == 1
        if theirs is None or (mine is None and not first):
            setattr(into, name, None)
        else:
            total = (0 if first else mine) + theirs
            setattr(into, name, round(total, 3) if isinstance(total, float) else total)


def results_report() -> Report:
    """The caller has checked the beta-admin role."""
    weeks: dict[date, list[int]] = defaultdict(list)
    partners = [
        _partner_row(organization, weeks)
        for organization in Organization.objects.filter(kind=OrganizationKind.PARTNER).order_by(
            "name"
        )
    ]
    cohorts: dict[str, Row] = {}
    total = Row(label="All partners", cohort="", status="", partners=0)
    for row in partners:
        cohort = cohorts.setdefault(
            row.cohort, Row(label=row.cohort, cohort=row.cohort, status="", partners=0)
        )
        _merge(cohort, row)
        _merge(total, row)
    jobs_installed = _model("render", "Job") is not None
    checks = {
        "uploads": _model("media", "MediaFile") is not None,
        "jobs by operation": jobs_installed,
        "GPU hours": jobs_installed,
        "review sessions": _model("review", "ReviewSession") is not None,
        "notes": _model("review", "Note") is not None,
    }
    unavailable = [name for name, present in checks.items() if not present]
    by_week = [
        (week, round(sum(ratings) / len(ratings), 2), len(ratings))
        for week, ratings in sorted(weeks.items())
    ]
    return Report(
        partners=partners,
        cohorts=[cohorts[name] for name in sorted(cohorts)],
        total=total,
        feedback_by_week=by_week,
        unavailable=unavailable,
    )


CSV_COLUMNS = [
    "level",
    "name",
    "cohort",
    "status",
    "partners",
    "seats_used",
    "seat_quota",
    "uploads",
    "versions",
    "approvals",
    "median_hours_first_version_to_approval",
    "jobs_total",
    "jobs_by_operation",
    "gpu_hours",
    "review_sessions",
    "notes",
    "feedback_count",
    "feedback_average",
]


def _na(value: Any) -> Any:
    return "not available yet" if value is None else value


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for level, rows in (
        ("partner", report.partners),
        ("cohort", report.cohorts),
        ("total", [report.total]),
    ):
        for row in rows:
            # Partner and cohort names are typed by people: never a formula.
            writer.writerow(
                csv_row(
                    [
                        level,
                        row.label,
                        row.cohort,
                        row.status,
                        row.partners,
                        row.seats_used,
                        row.seat_quota,
                        _na(row.uploads),
                        row.versions,
                        row.approvals,
                        ""
                        if row.median_hours_to_approval is None
                        else row.median_hours_to_approval,
                        _na(row.jobs_total),
                        _na(
                            None
                            if row.jobs_by_operation is None
                            else ";".join(f"{k}={v}" for k, v in row.jobs_by_operation.items())
                        ),
                        _na(row.gpu_hours),
                        _na(row.review_sessions),
                        _na(row.notes),
                        row.feedback_count,
                        "" if row.feedback_average is None else row.feedback_average,
                    ]
                )
            )
    writer.writerow([])
    writer.writerow(["week", "feedback_average", "feedback_count"])
    for week, average, count in report.feedback_by_week:
        writer.writerow([week.isoformat(), average, count])
    return out.getvalue()


# --- Charts: plain SVG geometry computed on the server (no chart library, no CDN) ----------


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


def bar_chart(items: list[tuple[str, float]], *, width: int = 520, height: int = 180) -> list[Bar]:
    if not items:
        return []
    top = max(value for _, value in items) or 1
    slot = width / len(items)
    bar_width = min(slot * 0.7, 64.0)
    bars = []
    for index, (label, value) in enumerate(items):
        h = (value / top) * (height - 40)
        x = index * slot + (slot - bar_width) / 2
        bars.append(
            Bar(label, value, round(x, 1), round(height - 20 - h, 1), bar_width, round(h, 1))
        )
    return bars


@dataclass
class Point:
    label: str
    value: float
    x: float
    y: float


def line_chart(
    items: list[tuple[str, float]], *, width: int = 520, height: int = 180, top: float = 5
) -> tuple[list[Point], str]:
    """Points of a line over `items` on a 0..top scale, and the polyline attribute."""
    if not items:
        return [], ""
    step = (width - 40) / max(len(items) - 1, 1)
    points = [
        Point(
            label,
            value,
            round(20 + index * step, 1),
            round(height - 20 - (value / top) * (height - 40), 1),
        )
        for index, (label, value) in enumerate(items)
    ]
    return points, " ".join(f"{p.x},{p.y}" for p in points)
