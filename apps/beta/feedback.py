"""Beta feedback: a rating from 1 to 5 and a text about a page, a version or a render job.
A version or job must be visible in the sender's tenant scope (404 otherwise)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import transaction

from apps.audit.services import audit_record
from apps.beta.models import Feedback, FeedbackSubject
from apps.core.errors import NotFound, ValidationFailed
from apps.production.selectors import access_version_by_id
from apps.tenancy.scope import require_scope


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
    if subject_type == FeedbackSubject.VERSION:
        access_version_by_id(subject_id)  # NotFound when not visible in this scope
        return
    # Beta sits on a lower floor than render (ARCHITECTURE.md: imports point down only), so
    # it never imports render's code: it looks the job table up by its app label when the
    # feedback names a job. The model's tenant-scoped manager hides other partners' jobs.
    job_model = apps.get_model("render", "Job")
    if not job_model.objects.filter(pk=subject_id).exists():
        raise NotFound("Render job not found.")
