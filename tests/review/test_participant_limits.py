"""Review session participants are people who may see the project. Someone outside it and
an id that does not exist get the same refusal, naming nobody, and nothing is written
(security issue 16, item 2)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import api_client_for
from tests.factories import World, make_user, share_with_studio

pytestmark = pytest.mark.django_db


def _sessions_url(world: World) -> str:
    a = world.a
    return f"/api/v1/orgs/{a.organization.slug}/projects/{a.project.pk}/review-sessions/"


def _a_version(world: World) -> int:
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(world.a.organization.pk):
        return version_create(actor=world.a.owner, shot=world.a.shot, source="upload").pk


def _session_count(world: World) -> int:
    from apps.review.models import ReviewSession
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(world.a.organization.pk):
        return ReviewSession.objects.count()


def _create(world: World, user: Any, participants: list[int]) -> Any:
    return api_client_for(user).post(
        _sessions_url(world),
        {"title": "Dailies", "versions": [_a_version(world)], "participants": participants},
        format="json",
    )


def test_outsiders_and_unknown_ids_get_one_error_and_no_session(world: World) -> None:
    stranger = make_user("stranger")  # no membership anywhere
    before = _session_count(world)
    answers = []
    for outsider in (world.b.owner.pk, world.reviewer.pk, world.beta_admin.pk, stranger.pk, 987654):
        for actor in (world.a.owner, world.a.producer):
            response = _create(world, actor, [outsider])
            answers.append((response.status_code, response.json()["error"]["fields"]))
            body = response.content.decode()
            for person in (world.b.owner, world.reviewer, world.beta_admin, stranger):
                assert person.email not in body
    assert len(set(map(repr, answers))) == 1, answers
    assert answers[0][0] == 400
    assert _session_count(world) == before


def test_team_and_reviewers_of_a_shared_project_can_be_invited(world: World) -> None:
    share_with_studio(world.a, world.studio)
    response = _create(world, world.a.producer, [world.a.viewer.pk, world.reviewer.pk])
    assert response.status_code == 201, response.content
    detail = api_client_for(world.a.producer).get(
        f"/api/v1/orgs/{world.a.organization.slug}/review-sessions/{response.json()['id']}/"
    )
    invited = {p["email"] for p in detail.json()["participants"]}
    assert {world.a.viewer.email, world.reviewer.email} <= invited


def test_inviting_later_refuses_outsiders_like_unknown_ids(world: World) -> None:
    from apps.core.errors import ValidationFailed
    from apps.review.playlist import participants_invite
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization

    version_id = _a_version(world)
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        owner = members_of_current_organization().get(user=world.a.owner)
        session = session_create(
            actor=owner, project=world.a.project, title="Dailies", version_ids=[version_id]
        )
        messages = []
        for outsider in (world.b.owner.pk, world.reviewer.pk, 987654):
            with pytest.raises(ValidationFailed) as refused:
                participants_invite(actor=owner, session=session, user_ids=[outsider])
            messages.append(str(refused.value))
        assert len(set(messages)) == 1
        assert set(session.participants.values_list("user_id", flat=True)) == {world.a.owner.pk}
