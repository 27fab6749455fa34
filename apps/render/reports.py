"""Reading reports that operations wrote as job outputs (e.g. character consistency)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from apps.core.errors import NotFound
from apps.media.models import MediaFile, MediaState
from apps.media.storage import s3_client
from apps.render.models import Job

CONSISTENCY_REPORT = "character_consistency.json"


def consistency_report(job: Job) -> tuple[dict[str, Any], dict[str, int]]:
    """The report and, by file name, the media ids of its thumbnails."""
    if job.operation != "character_consistency" or job.version_id is None:
        raise NotFound("This job has no character-consistency report.")
    outputs = MediaFile.objects.filter(version_id=job.version_id, state=MediaState.READY)
    report_file = outputs.filter(original_filename=CONSISTENCY_REPORT).first()
    if report_file is None:
        raise NotFound("This job has no character-consistency report.")
    body = s3_client().get_object(Bucket=settings.S3_BUCKET, Key=report_file.storage_key)["Body"]
    report = json.loads(body.read())
    thumbnails = {
        media.original_filename: media.pk
        for media in outputs.filter(original_filename__iendswith=".jpg")
    }
    return report, thumbnails
