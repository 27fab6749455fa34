"""Feedback about a render job: the job must exist in the sender's organization.

Beta sits below render, so it looks the job table up by its app label at run time; these
tests pin that lookup to the real model (`render.Job`) and to the tenant scope.
"""

from __future__ import annotations

import pytest

from apps.beta.models import Feedback
from apps.tenancy.scope import tenant_scope
from tests.api.helpers import api_client_for
from tests.beta.helpers import make_job, make_test_pool
from tests.factories import World

pytestmark = pytest.mark.django_db


def test_feedback_on_a_job_of_ones_own_partner_only(world: World) -> None:
    pool = make_test_pool()
    mine, foreign = make_job(world.a, pool), make_job(world.b, pool)
    api = api_client_for(world.a.viewer)
    url = f"/api/v1/orgs/{world.a.organization.slug}/feedback/"

    sent = api.post(
        url,
        {"rating": 4, "text": "Clean key", "subject_type": "job", "subject_id": mine.pk},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["subject_type"] == "job" and sent.json()["subject_id"] == mine.pk

    probe = api.post(
        url, {"rating": 1, "subject_type": "job", "subject_id": foreign.pk}, format="json"
    )
    assert probe.status_code == 404  # another partner's job looks missing
    missing = api.post(
        url, {"rating": 1, "subject_type": "job", "subject_id": 10**9}, format="json"
    )
    assert missing.status_code == 404
    no_id = api.post(url, {"rating": 1, "subject_type": "job"}, format="json")
    assert no_id.status_code == 400

    with tenant_scope(world.a.organization.pk):
        stored = list(Feedback.objects.values_list("subject_type", "subject_id", "rating"))
    assert stored == [("job", mine.pk, 4)]
