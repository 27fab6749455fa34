"""Quotas under concurrency: real threads, each with its own database connection, on
committed data. The BetaProfile row lock serialises them, so the quota edge holds."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from apps.beta.invitations import invitation_accept, invitation_create
from apps.core.errors import Conflict
from apps.tenancy.models import Membership
from apps.tenancy.scope import tenant_scope
from tests.beta.helpers import set_quotas
from tests.factories import Partner, make_partner


@pytest.fixture
def partner(committed_db: None, settings: Any) -> Partner:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return make_partner("race")


def _race(jobs: list[Callable[[], Any]]) -> tuple[int, list[str]]:
    barrier = threading.Barrier(len(jobs))
    successes: list[Any] = []
    refusals: list[str] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            result = job()
            with lock:
                successes.append(result)
        except Conflict as error:
            with lock:
                refusals.append(error.message)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return len(successes), refusals


def test_concurrent_invites_stop_exactly_at_the_invite_quota(partner: Partner) -> None:
    set_quotas(partner.organization, invites=3, seats=50)
    jobs: list[Callable[[], Any]] = [
        functools.partial(
            invitation_create,
            organization=partner.organization,
            email=f"racer{n}@example.test",
            role="artist",
            actor=partner.owner,
        )
        for n in range(8)
    ]
    accepted, refusals = _race(jobs)
    assert accepted == 3
    assert len(refusals) == 5 and all("invite quota" in message for message in refusals)


def test_concurrent_acceptances_stop_exactly_at_the_seat_quota(partner: Partner) -> None:
    set_quotas(partner.organization, invites=20, seats=5)  # 3 members: two seats left
    tokens = [
        invitation_create(
            organization=partner.organization,
            email=f"joiner{n}-{partner.organization.pk}@example.test",
            role="artist",
            actor=partner.owner,
        )[1]
        for n in range(6)
    ]
    jobs: list[Callable[[], Any]] = [
        functools.partial(invitation_accept, token=token, password="a-Long-enough-pass-42")
        for token in tokens
    ]
    accepted, refusals = _race(jobs)
    assert accepted == 2
    assert len(refusals) == 4 and all("all 5 of its seats" in message for message in refusals)
    with tenant_scope(partner.organization.pk):
        assert Membership.objects.filter(organization=partner.organization).count() == 5
