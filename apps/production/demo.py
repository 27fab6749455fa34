"""Procedurally generated demo data: a partner, its team, a project with a cut.

Deterministic (seeded) so the demo looks the same on every laptop. Media come with the
media pipeline; this builds the organizations, people and the editorial structure.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.production.models import Project
from apps.production.services import project_create, sequence_create, shot_create
from apps.tenancy.models import Membership, Organization, OrganizationKind, ProjectShare, Role
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import memberships_of_user
from apps.tenancy.services import membership_create, organization_create, project_share_create

DEMO_PASSWORD = "backlot-demo-2026"
DEMO_PARTNER_EMAIL = "producer@northlight.example"
DEMO_STAFF_EMAIL = "admin@studio.example"
DEMO_REVIEWER_EMAIL = "reviewer@studio.example"
# The studio reviewer's two-factor secret (base32), fixed so the README can print it: add
# it to an authenticator app by hand. A demo credential, never used outside `make run`.
DEMO_REVIEWER_TOTP_SECRET = "BACKLOTREVIEWERDEMOTWOZEROTWOSIX"

SEQUENCE_THEMES = [
    ("SQ010", "Ember Falls — arrival"),
    ("SQ020", "Battle on the ridge"),
    ("SQ030", "The long night"),
]
SHOT_ACTIONS = [
    "wide establishing, crowd extension",
    "hero close-up, eyeline match",
    "sky replacement, dusk",
    "fire elements comp",
    "clean-up, wire removal",
    "matte painting extension",
    "AI crowd element over plate",
    "relight to match SQ010",
]


@dataclass
class DemoResult:
    partner: Organization
    studio: Organization
    producer: User
    staff: User
    project: Project
    created: bool
    reviewer: User | None = None


def _user(email: str, name: str, *, is_staff: bool = False) -> tuple[User, bool]:
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    return user_create(
        email=email, password=DEMO_PASSWORD, display_name=name, is_staff=is_staff
    ), True


def _organization(slug: str, name: str, kind: str) -> Organization:
    existing = Organization.objects.filter(slug=slug).first()
    return existing or organization_create(name=name, slug=slug, kind=kind, actor=None)


def _ensure_member(organization: Organization, user: User, role: str) -> None:
    if not any(m.organization_id == organization.pk for m in memberships_of_user(user)):
        membership_create(organization=organization, user=user, role=role, actor=None)


def _ensure_totp(user: User, secret: str) -> None:
    """Two-factor already set up (studio staff must have it), with a known secret."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)


def _ensure_shared(project: Project, studio: Organization, producer: User, log: Any) -> None:
    if not ProjectShare.objects.filter(
        project=project, grantee=studio, revoked_at__isnull=True
    ).exists():
        project_share_create(project=project, grantee=studio, actor=producer)
        log(f"  shared {project.name} with {studio.name} for review")


def seed_demo_production(*, log: Any = print) -> DemoResult:
    studio = _organization("backlot-studio", "Backlot Studio", OrganizationKind.STUDIO)
    partner = _organization("northlight", "Northlight Pictures", OrganizationKind.PARTNER)
    producer, _ = _user(DEMO_PARTNER_EMAIL, "Maya Okafor")
    staff, _ = _user(DEMO_STAFF_EMAIL, "Jon Reyes")
    _ensure_member(partner, producer, Role.OWNER)
    _ensure_member(studio, staff, Role.BETA_ADMIN)
    reviewer, _ = _user(DEMO_REVIEWER_EMAIL, "Ada Brennan")
    _ensure_member(studio, reviewer, Role.REVIEWER)
    _ensure_totp(reviewer, DEMO_REVIEWER_TOTP_SECRET)
    team = [("Ines Duarte", "artist"), ("Sam Whitlock", "producer"), ("Lee Park", "viewer")]
    for name, role in team:
        user, _ = _user(f"{name.split()[0].lower()}@northlight.example", name)
        _ensure_member(partner, user, role)

    with tenant_scope(partner.pk, user_id=producer.pk):
        project = Project.objects.filter(code="ember-falls").first()
        if project is not None:
            log("demo project already present")
            _ensure_shared(project, studio, producer, log)
            return DemoResult(
                partner, studio, producer, staff, project, created=False, reviewer=reviewer
            )
        project = project_create(
            actor=producer,
            name="Ember Falls",
            code="ember-falls",
            frame_rate="24000/1001",
            width=3840,
            height=2160,
            description="Season one: live-action plates cut with AI-generated battle elements.",
        )
        rng = random.Random(2026)  # noqa: S311 - demo layout, not security
        frame = 1001
        for index, (code, name) in enumerate(SEQUENCE_THEMES, start=1):
            sequence = sequence_create(actor=producer, project=project, code=code, name=name)
            for shot_number in range(1, 5 + index):
                length = rng.randrange(36, 180)
                shot_create(
                    actor=producer,
                    sequence=sequence,
                    code=f"{code}_{shot_number * 10:04d}",
                    cut_in=frame,
                    cut_out=frame + length - 1,
                    description=rng.choice(SHOT_ACTIONS),
                )
                frame += length
            log(f"  sequence {code}: {4 + index} shots")
        _ensure_shared(project, studio, producer, log)
    return DemoResult(partner, studio, producer, staff, project, created=True, reviewer=reviewer)


__all__ = ["DEMO_PASSWORD", "DEMO_REVIEWER_TOTP_SECRET", "Membership", "seed_demo_production"]
