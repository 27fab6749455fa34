"""`seed_beta` after the demo seed: the NDA is published once, partners get a profile,
and a demo user sees the acceptance page first, then the dashboard."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from apps.beta.models import AgreementVersion, BetaProfile
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_seed_beta_is_idempotent_and_demo_users_accept_the_nda_first(world: World) -> None:
    call_command("seed_beta", verbosity=0)
    call_command("seed_beta", verbosity=0)
    assert AgreementVersion.objects.filter(agreement__key="nda").count() == 1
    profile = BetaProfile.objects.get(partner=world.a.organization)
    assert (profile.status, profile.cohort.name if profile.cohort else None) == ("active", "Wave 1")
    assert profile.seat_quota == 10

    client = Client()
    client.force_login(world.a.producer)
    first = client.get("/dashboard/")
    assert first.status_code == 302 and first["Location"].startswith("/beta/agreements/")
    version = AgreementVersion.objects.get(agreement__key="nda")
    client.post(
        "/beta/agreements/",
        {f"accept_{version.pk}": "on", f"hash_{version.pk}": version.content_hash},
    )
    assert client.get("/dashboard/").status_code == 200
