"""Builders for test data, always through the services (so audit and RLS apply)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from apps.accounts.models import User
from apps.accounts.services import user_create
from apps.production.models import Project, Sequence, Shot
from apps.production.services import project_create, sequence_create, shot_create
from apps.tenancy.models import Organization, OrganizationKind, Role
from apps.tenancy.scope import tenant_scope
from apps.tenancy.services import membership_create, organization_create, project_share_create

PASSWORD = "correct-horse-battery-staple"


def make_user(label: str, *, is_staff: bool = False) -> User:
    email = f"{label}-{uuid.uuid4().hex[:8]}@example.test"
    return user_create(email=email, password=PASSWORD, display_name=label, is_staff=is_staff)


def make_organization(label: str, kind: str = OrganizationKind.PARTNER) -> Organization:
    return organization_create(name=f"{label} {uuid.uuid4().hex[:6]}", kind=kind, actor=None)


@dataclass
class Partner:
    organization: Organization
    owner: User
    producer: User
    viewer: User
    project: Project
    sequence: Sequence
    shot: Shot
    members: dict[str, User] = field(default_factory=dict)


def make_partner(label: str) -> Partner:
    organization = make_organization(label)
    owner, producer, viewer = (
        make_user(f"{label}-owner"),
        make_user(f"{label}-producer"),
        make_user(f"{label}-viewer"),
    )
    for user, role in ((owner, Role.OWNER), (producer, Role.PRODUCER), (viewer, Role.VIEWER)):
        membership_create(organization=organization, user=user, role=role, actor=None)
    with tenant_scope(organization.pk, user_id=owner.pk):
        project = project_create(actor=owner, name=f"{label} feature", frame_rate="24000/1001")
        sequence = sequence_create(actor=owner, project=project, code="SQ010")
        shot = shot_create(actor=owner, sequence=sequence, code="SH0010", cut_in=1001, cut_out=1096)
    return Partner(
        organization,
        owner,
        producer,
        viewer,
        project,
        sequence,
        shot,
        {"owner": owner, "producer": producer, "viewer": viewer},
    )


@dataclass
class World:
    a: Partner
    b: Partner
    studio: Organization
    reviewer: User
    beta_admin: User


def build_world() -> World:
    a, b = make_partner("alpha"), make_partner("bravo")
    studio = make_organization("Studio", OrganizationKind.STUDIO)
    reviewer, beta_admin = make_user("reviewer"), make_user("betaadmin")
    membership_create(organization=studio, user=reviewer, role=Role.REVIEWER, actor=None)
    membership_create(organization=studio, user=beta_admin, role=Role.BETA_ADMIN, actor=None)
    enable_totp(reviewer)
    enable_totp(beta_admin)
    return World(a=a, b=b, studio=studio, reviewer=reviewer, beta_admin=beta_admin)


def share_with_studio(partner: Partner, studio: Organization) -> Any:
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        return project_share_create(project=partner.project, grantee=studio, actor=partner.owner)


def enable_totp(user: User) -> str:
    """Turn on TOTP two-factor for a user; returns the secret to compute codes with."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    # A code typed in the last seconds of its 30 s window may reach the server in the
    # next one; wait for a fresh window instead of racing the clock.
    remaining = 30 - time.time() % 30
    if remaining < 4:
        time.sleep(remaining + 0.1)
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))
