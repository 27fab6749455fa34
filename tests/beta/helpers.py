from __future__ import annotations

from typing import Any

from apps.beta.models import BetaProfile
from apps.beta.suspension import beta_profile_update
from apps.render.models import DeviceKind, Job, Pool
from apps.tenancy.models import Organization
from apps.tenancy.scope import tenant_scope
from tests.factories import Partner


def set_quotas(
    organization: Organization, *, seats: int | None = None, invites: int | None = None
) -> BetaProfile:
    return beta_profile_update(
        organization=organization, actor=None, seat_quota=seats, invite_quota=invites
    )


def token_from_link(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def post_accept(client: Any, link_or_token: str, password: str = "a-Long-enough-pass-42") -> Any:
    token = token_from_link(link_or_token)
    return client.post(
        f"/beta/invite/{token}/",
        {"password": password, "password2": password, "display_name": "New Person"},
    )


def make_job(partner: Partner, pool: Pool, operation: str = "noop") -> Job:
    """A job row as render's submission leaves it (the gates are render's tests' business)."""
    with tenant_scope(partner.organization.pk, user_id=partner.producer.pk):
        return Job.objects.create(
            project=partner.project,
            shot=partner.shot,
            pool=pool,
            operation=operation,
            submitted_by=partner.producer,
        )


def make_test_pool() -> Pool:
    return Pool.objects.create(name="beta-feedback", device_kind=DeviceKind.CPU)
