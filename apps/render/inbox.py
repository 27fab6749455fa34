"""What render tells people's inboxes: their job finished or failed (once per job)."""

from __future__ import annotations

from django.urls import reverse

from apps.notifications.models import InboxItem, NotificationKind
from apps.notifications.services import notification_send
from apps.render.models import Job, JobState
from apps.tenancy.models import Organization


def inbox_job_ended(job: Job) -> None:
    """Called with every job event; only a job that just succeeded or failed is told."""
    if job.state not in (JobState.SUCCEEDED, JobState.FAILED) or job.submitted_by_id is None:
        return
    kind = (
        NotificationKind.JOB_FINISHED
        if job.state == JobState.SUCCEEDED
        else NotificationKind.JOB_FAILED
    )
    slug = Organization.objects.values_list("slug", flat=True).get(pk=job.organization_id)
    url = reverse("render-job-page", args=[slug, job.pk])
    if InboxItem.objects.filter(user_id=job.submitted_by_id, kind=kind, url=url).exists():
        return
    what = f"Render job #{job.pk} ({job.operation})"
    if job.state == JobState.SUCCEEDED:
        title = f"{what} finished"
        body = f"Output: version {job.version}" if job.version_id else ""
    else:
        title = f"{what} failed"
        body = job.error or ""
    notification_send(
        user=job.submitted_by,
        kind=kind,
        title=title,
        body=body,
        url=url,
        organization_id=job.organization_id,
    )
