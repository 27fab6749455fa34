"""External providers stay off until the partner owner accepts a versioned, audited AI
policy for the project; the offline assistant is always there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from apps.assist.models import AssistCall, CallStatus
from apps.assist.services import (
    AssistRefused,
    ai_policy_accept,
    ai_policy_of,
    ai_policy_update,
    suggest_rewrite,
)
from apps.audit.models import AuditEntry
from apps.beta.gates import feature_set
from apps.core.errors import Forbidden, ValidationFailed
from apps.tenancy.scope import tenant_scope
from tests.assist.rude_server import RudeServer
from tests.assist.test_call_log import GOOD_ANSWER, NOTE, compat_settings
from tests.factories import World


@pytest.mark.django_db
def test_external_providers_wait_for_the_owners_acceptance(world: World) -> None:
    server = RudeServer("answer", GOOD_ANSWER)
    try:
        with (
            override_settings(**compat_settings(server.url)),
            tenant_scope(world.a.organization.pk),
        ):
            project = world.a.project
            feature_set(
                key="assist.llm", enabled=True, actor=None, organization=world.a.organization
            )
            ai_policy_update(
                actor=world.a.owner, project=project, allowed_providers=["openai_compatible"]
            )
            with pytest.raises(AssistRefused, match="owner has not accepted"):
                suggest_rewrite(
                    actor=world.a.producer, project=project, note=NOTE, provider="openai_compatible"
                )
            # Without naming a provider the offline assistant answers.
            offline = suggest_rewrite(actor=world.a.producer, project=project, note=NOTE).call
            assert offline is not None and offline.provider == "local"
            with pytest.raises(Forbidden):
                ai_policy_accept(actor=world.a.producer, project=project)
            policy = ai_policy_accept(actor=world.a.owner, project=project)
            assert policy.accepted_version == policy.version >= 1
            assert AuditEntry.objects.filter(action="ai_policy.accept").exists()
            suggest_rewrite(actor=world.a.producer, project=project, note=NOTE)
            assert len(server.received) == 1
            assert AssistCall.objects.filter(
                status=CallStatus.OK, provider="openai_compatible"
            ).exists()
            # A changed policy is a new version: accepted again before it applies.
            ai_policy_update(actor=world.a.owner, project=project, max_retention_days=7)
            assert ai_policy_of(project).accepted_version != ai_policy_of(project).version
            suggest_rewrite(actor=world.a.producer, project=project, note=NOTE)
            assert len(server.received) == 1
    finally:
        server.close()


@pytest.mark.django_db
def test_the_auto_created_policy_allows_only_the_offline_assistant(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        policy = ai_policy_of(world.a.project)
        assert policy.allowed_providers == ["local"]
        assert policy.accepted_version == 0


@pytest.mark.django_db
def test_policy_fields_are_validated(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        for field, value in (
            ("allowed_providers", [""]),
            ("allowed_providers", ["openai"]),
            ("allowed_regions", ["us east"]),
        ):
            lists: dict[str, Any] = {field: value}
            with pytest.raises(ValidationFailed) as raised:
                ai_policy_update(actor=world.a.owner, project=world.a.project, **lists)
            assert raised.value.field == field


@pytest.mark.django_db
def test_the_owner_accepts_in_the_browser_page(world: World, client: object) -> None:
    from django.test import Client

    browser = Client()
    browser.force_login(world.a.owner)
    url = f"/projects/{world.a.organization.slug}/{world.a.project.pk}/assistant/"
    page = browser.get(url)
    assert b"Accept this AI policy" in page.content
    browser.post(
        url,
        {
            "action": "policy",
            "no_training": "on",
            "max_retention_days": "30",
            "allowed_providers": ["local", "anthropic"],
            "allowed_regions": "us",
            "accept": "on",
        },
    )
    with tenant_scope(world.a.organization.pk):
        policy = ai_policy_of(world.a.project)
        assert policy.allowed_providers == ["anthropic", "local"]
        assert policy.accepted_version == policy.version
        assert policy.accepted_by_id == world.a.owner.pk


@pytest.mark.django_db
def test_the_page_asks_for_a_task_list_outside_the_page_transaction(world: World) -> None:
    from django.test import Client

    from apps.assist.models import Suggestion
    from apps.production.services import version_create
    from apps.review.notes import note_create
    from apps.review.sessions import session_create
    from apps.tenancy.selectors import members_of_current_organization

    world.a.producer.display_name = ""  # no display name: the email must not stand in
    world.a.producer.save(update_fields=["display_name"])
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        version = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
        members = {m.user_id: m for m in members_of_current_organization()}
        session = session_create(
            actor=members[world.a.owner.pk],
            project=world.a.project,
            title="Dailies",
            version_ids=[version.pk],
        )
        note_create(
            actor=members[world.a.producer.pk], version=version, frame_in=1010, text=NOTE["text"]
        )
    browser = Client()
    browser.force_login(world.a.producer)
    base = f"/projects/{world.a.organization.slug}/{world.a.project.pk}/assistant/"
    answer = browser.post(base + "ask/", {"action": "task_list", "source": f"session:{session.pk}"})
    assert answer.status_code == 302 and answer["Location"] == base
    with tenant_scope(world.a.organization.pk):
        made = Suggestion.objects.get(project=world.a.project)
    assert made.tasks[0]["task"] == "Remove the wire at the top left."
    assert made.tasks[0]["requested_by"] == [f"reviewer #{world.a.producer.pk}"]
    # The session's summary counts only what was said in it, not every note on its versions.
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        note_create(
            actor=members[world.a.owner.pk],
            version=version,
            frame_in=1020,
            text="Warm the sky.",
            session=session,
        )
    browser.post(base + "ask/", {"action": "summary", "source": f"session:{session.pk}"})
    with tenant_scope(world.a.organization.pk):
        summary = Suggestion.objects.filter(kind="summary").get()
    assert summary.text.startswith("Dailies: 1 note on 1 shot from 1 reviewer.")


@pytest.mark.django_db
def test_the_api_versions_and_accepts_the_policy(world: World) -> None:
    from tests.api.helpers import api_client_for

    url = f"/api/v1/orgs/{world.a.organization.slug}/projects/{world.a.project.pk}/ai-policy/"
    owner = api_client_for(world.a.owner)
    saved = owner.put(url, {"allowed_providers": ["local", "bedrock"]}, format="json").json()
    assert saved["accepted"] is False and saved["version"] == 2
    accepted = owner.put(url, {"accept": True}, format="json").json()
    assert accepted["accepted"] is True and accepted["accepted_version"] == 2
    refused = api_client_for(world.a.producer).put(url, {"accept": True}, format="json")
    assert refused.status_code == 403
    wrong = owner.put(url, {"allowed_providers": ["openai"]}, format="json")
    assert wrong.status_code == 400 and "allowed_providers" in wrong.json()["error"]["fields"]
