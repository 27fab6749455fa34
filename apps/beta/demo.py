"""Beta program data for the demo: the NDA every demo user accepts on first sign-in, a
cohort, and the demo partner's beta profile. Idempotent; run after `seed_demo`."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.beta.agreements import agreement_publish
from apps.beta.gates import cohort_create
from apps.beta.models import Agreement, BetaProfile, BetaStatus, Cohort
from apps.beta.suspension import beta_profile_update
from apps.core.errors import Forbidden
from apps.tenancy.models import Organization, OrganizationKind

DEMO_NDA_KEY = "nda"
DEMO_NDA_TITLE = "Backlot closed-beta NDA"
DEMO_NDA_TEXT = """\
1. Everything you see in the Backlot beta (features, footage of other participants,
   performance figures) is confidential. Do not share it outside your company.
2. Your footage and the likeness of your talent stay yours. The studio never uses them
   to train models and never shows them to another partner.
3. AI output is never final until a person on your team approves it.
4. The beta may change or stop at any time; tell us what works and what does not with
   the Feedback button on every page.
"""
DEMO_COHORT = "Wave 1"


def seed_beta(*, log: Any = print) -> None:
    if settings.BACKLOT_ENV == "production":
        raise Forbidden("The demo beta program is never seeded in production.")
    agreement = Agreement.objects.filter(key=DEMO_NDA_KEY).first()
    if agreement is None or not agreement.versions.exists():
        version = agreement_publish(
            key=DEMO_NDA_KEY, title=DEMO_NDA_TITLE, body=DEMO_NDA_TEXT, actor=None
        )
        log(f"  published {version.agreement.title} version {version.number}")
    else:
        log("  NDA already published")
    cohort = Cohort.objects.filter(name=DEMO_COHORT).first() or cohort_create(
        name=DEMO_COHORT, description="First partners of the closed beta.", actor=None
    )
    for organization in Organization.objects.filter(kind=OrganizationKind.PARTNER):
        if BetaProfile.objects.filter(partner=organization).exists():
            continue
        beta_profile_update(
            organization=organization,
            actor=None,
            status=BetaStatus.ACTIVE,
            cohort_id=cohort.pk,
            seat_quota=10,
            invite_quota=10,
        )
        log(f"  {organization.name}: active in {cohort.name}, 10 seats")
