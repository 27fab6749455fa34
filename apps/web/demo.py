"""The demo world of `make run`: organizations, team and project (production), playable
media (media) and a live review session (review), built through each app's services."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.accounts.models import User
from apps.core.errors import Forbidden
from apps.media.demo import seed_demo_media
from apps.production.demo import (
    DEMO_PASSWORD,
    DEMO_REVIEWER_TOTP_SECRET,
    DemoResult,
    seed_demo_production,
)
from apps.review.demo import seed_review_demo
from apps.tenancy.scope import tenant_scope

__all__ = ["DEMO_PASSWORD", "DEMO_REVIEWER_TOTP_SECRET", "seed_demo"]


def seed_demo(*, log: Any = print) -> DemoResult:
    """Idempotent: a second run finds the demo project and keeps it. Never in production:
    the demo accounts have a published password (and a beta admin among them)."""
    if settings.BACKLOT_ENV == "production":
        raise Forbidden("The demo data is never created in production (BACKLOT_ENV=production).")
    result = seed_demo_production(log=log)
    if result.created:
        with tenant_scope(result.partner.pk, user_id=result.producer.pk):
            seed_demo_media(project=result.project, actor=result.producer, log=log)
    users = {
        "producer": result.producer,
        "staff": result.staff,
        "reviewer": result.reviewer,
        "sam": User.objects.get(email="sam@northlight.example"),
        "ines": User.objects.get(email="ines@northlight.example"),
    }
    seed_review_demo(project=result.project, users=users, log=log)
    return result
