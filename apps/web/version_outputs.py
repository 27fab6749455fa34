"""The version page's outputs and report: every file of the version by role, with a
download link where the project's download policy allows it (else why not), and the
job's report read server-side and turned into tables and a chart (apps.web.reports)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from apps.core.errors import NotFound
from apps.media.models import MediaFile, MediaState
from apps.media.selectors import REPORT_MAX_BYTES, document_content, version_outputs
from apps.production.models import Project, Version, VersionSource
from apps.render.selectors import access_provenance_by_version
from apps.tenancy.models import Membership
from apps.web.reports import ReportUnreadable, ReportView, load_report, report_view

logger = logging.getLogger(__name__)

ROLE_LABELS = {
    "main": "Result",
    "": "Original upload",
    "composite": "Composite",
    "matte": "Matte",
    "cdl": "ASC CDL (.cdl)",
    "cc": "ASC CDL (.cc)",
    "ccc": "ASC CDL collection (.ccc)",
    "report": "Report (JSON)",
    "thumbnail": "Report thumbnail",
}
GRADED_OPERATIONS = {"shot_match": "Graded movie", "deflicker": "Deflickered movie"}


@dataclass
class OutputRow:
    media: MediaFile
    label: str
    detail: str
    downloadable: bool
    why_not: str


def _label(media: MediaFile, operation: str) -> str:
    if media.role == "main" and operation in GRADED_OPERATIONS:
        label = GRADED_OPERATIONS[operation]
        return label.replace("movie", "sequence") if media.storage_key.endswith("/") else label
    return ROLE_LABELS.get(media.role, media.role.replace("_", " ").capitalize() or "File")


def _detail(media: MediaFile) -> str:
    parts = []
    if media.storage_key.endswith("/"):
        parts.append("image sequence")
    if media.width and media.height:
        parts.append(f"{media.width}×{media.height}")
    if media.frame_count and media.frame_count > 1:
        parts.append(f"{media.frame_count} frames")
    if media.codec:
        parts.append(media.codec)
    return " · ".join(parts)


def _row(media: MediaFile, *, operation: str, role_may_download: bool, role: str) -> OutputRow:
    why_not = ""
    if media.state == MediaState.QUARANTINED:
        why_not = "Validating…"
    elif media.state == MediaState.REJECTED:
        why_not = f"Rejected: {media.rejection_reason}"
    elif media.storage_key.endswith("/"):
        why_not = "An image sequence has no single-file download."
    elif not role_may_download:
        why_not = f"Your role ({role}) may view this project's media but not download originals."
    return OutputRow(
        media=media,
        label=_label(media, operation),
        detail=_detail(media),
        downloadable=not why_not,
        why_not=why_not,
    )


def _provenance(version: Version) -> tuple[str, dict[str, Any]]:
    """(operation, metrics) of the job that made the version; ("", {}) for other versions."""
    if version.source != VersionSource.RENDER:
        return "", {}
    try:
        provenance = access_provenance_by_version(version.pk)
    except NotFound:
        return "", {}
    metrics = provenance.record.get("metrics") if isinstance(provenance.record, dict) else None
    return provenance.job.operation, metrics if isinstance(metrics, dict) else {}


def _report(
    outputs: list[MediaFile], operation: str, metrics: dict[str, Any]
) -> tuple[ReportView | None, str, str]:
    """(the report's view, "", the operation it names) or (None, why it cannot be shown,
    "")."""
    report_file = next((m for m in outputs if m.role == "report"), None)
    thumbnails = {
        m.original_filename: m.pk
        for m in outputs
        if m.role == "thumbnail" and m.state == MediaState.READY
    }
    report: dict[str, Any] | None = None
    if report_file is not None:
        if report_file.size > REPORT_MAX_BYTES:
            return None, "The report is too large to show here; download it instead.", ""
        content = document_content(report_file)
        if content is None:
            return None, "Report unreadable: it could not be read from storage.", ""
        try:
            report = load_report(content)
        except ReportUnreadable:
            return None, "Report unreadable: it is not valid JSON.", ""
    named = report.get("operation") if report is not None else None
    named = named if isinstance(named, str) else ""
    try:
        view = report_view(report, operation=operation, metrics=metrics, thumbnails=thumbnails)
    except ReportUnreadable as error:
        return None, f"Report unreadable: {error}.", named
    except Exception:  # a report shape nobody foresaw is a message, never a 500
        logger.exception("could not show the report of version %s", outputs[0].version_id)
        return None, "Report unreadable.", named
    return view, "", named


def version_outputs_context(
    version: Version, membership: Membership, project: Project
) -> dict[str, Any]:
    """Template context for production/_outputs.html."""
    outputs = version_outputs(version)
    operation, metrics = _provenance(version)
    role_may_download = membership.role in (project.original_download_roles or [])
    report, report_error, named = (
        _report(outputs, operation, metrics) if outputs else (None, "", "")
    )
    operation = operation or named
    rows = [
        _row(
            media,
            operation=operation,
            role_may_download=role_may_download,
            role=membership.get_role_display(),
        )
        for media in outputs
    ]
    return {
        "outputs": [row for row in rows if row.media.role != "thumbnail"],
        "output_thumbnails": [row for row in rows if row.media.role == "thumbnail"],
        "output_count": len(rows),
        "report": report,
        "report_error": report_error,
    }
