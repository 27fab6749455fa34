"""Policy routing: a no-train project never reaches a provider that does not guarantee it,
refusals are audited, every call is logged with provider, model, region and tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from apps.assist.models import AssistCall, CallStatus
from apps.assist.services import AssistRefused, ai_policy_update, suggest_rewrite, suggest_task_list
from apps.audit.models import AuditEntry
from apps.tenancy.scope import tenant_scope
from tests.assist.test_providers import FakeServer
from tests.factories import World

NOTES: list[dict[str, Any]] = [
    {
        "id": 1,
        "shot": "SQ010_0010",
        "version": "v003",
        "frame_in": 1012,
        "frame_out": None,
        "author": "Maya",
        "text": "Remove the wire at the top left. It catches the light.",
    },
    {
        "id": 2,
        "shot": "SQ010_0010",
        "version": "v003",
        "frame_in": 1020,
        "frame_out": 1030,
        "author": "Jon",
        "text": "Please remove the wire in the top left corner.",
    },
    {
        "id": 3,
        "shot": "SQ010_0010",
        "version": "v003",
        "frame_in": 1040,
        "frame_out": None,
        "author": "Jon",
        "text": "Warm up the sky a little, it reads too blue against the plate.",
    },
    {
        "id": 4,
        "shot": "SQ010_0020",
        "version": "v001",
        "frame_in": 1100,
        "frame_out": None,
        "author": "Maya",
        "text": "The crowd element looks weird.",
    },
    {
        "id": 5,
        "shot": "SQ010_0020",
        "version": "v001",
        "frame_in": 1110,
        "frame_out": None,
        "author": "Lee",
        "text": "Old note, already handled.",
        "resolved": True,
    },
]


def _compat_settings(server: FakeServer, *, no_training: bool) -> dict[str, Any]:
    return {
        "ASSIST_PROVIDER_ORDER": ["openai_compatible", "local"],
        "ASSIST_PROVIDERS": {
            "openai_compatible": {
                "base_url": server.url,
                "api_key": "k",
                "model": "m",
                "region": "us",
                "no_training": no_training,
                "retention_days": 0,
                "guarantee_source": "https://ops.example.test/llm-terms",
                "guarantee_date": "2026-11-20",
            },
            "local": {},
        },
    }


@pytest.fixture(autouse=True)
def _external_providers_switched_on(world: World) -> None:
    from apps.beta.gates import feature_set

    feature_set(key="assist.llm", enabled=True, actor=None, organization=world.a.organization)


@pytest.mark.django_db
def test_no_train_project_is_never_routed_to_a_provider_without_the_guarantee(world: World) -> None:
    server = FakeServer()
    server.body = {"choices": [{"message": {"content": '{"tasks": []}'}}], "usage": {}}
    try:
        with (
            override_settings(**_compat_settings(server, no_training=False)),
            tenant_scope(world.a.organization.pk),
        ):
            project = world.a.project
            ai_policy_update(
                actor=world.a.owner,
                project=project,
                allowed_providers=["openai_compatible"],
                accept=True,
            )
            with pytest.raises(AssistRefused, match="does not guarantee that it will not train"):
                suggest_task_list(
                    actor=world.a.producer,
                    project=project,
                    source_type="version",
                    source_id=1,
                    notes=NOTES,
                    provider="openai_compatible",
                )
            assert server.requests == []
            refused = AssistCall.objects.get(project=project)
            assert refused.status == CallStatus.REFUSED
            assert AuditEntry.objects.filter(
                action="assist.refused", target_id=str(refused.pk)
            ).exists()
            # Allowing training (an explicit choice by the owner) lets the same call through.
            ai_policy_update(actor=world.a.owner, project=project, no_training=False, accept=True)
            suggest_task_list(
                actor=world.a.producer,
                project=project,
                source_type="version",
                source_id=1,
                notes=NOTES,
            )
            assert len(server.requests) == 1
            call = AssistCall.objects.filter(status=CallStatus.OK).get()
            assert (call.provider, call.model, call.region) == ("openai_compatible", "m", "us")
            assert call.policy["no_training"] is False
    finally:
        server.close()


@pytest.mark.django_db
def test_default_policy_falls_back_to_the_offline_provider(world: World) -> None:
    server = FakeServer()
    try:
        with (
            override_settings(**_compat_settings(server, no_training=False)),
            tenant_scope(world.a.organization.pk),
        ):
            suggestion = suggest_rewrite(
                actor=world.a.producer, project=world.a.project, note=NOTES[3]
            )
            assert server.requests == []
            assert suggestion.call is not None
            assert suggestion.call.provider == "local"
            assert suggestion.status == "suggested"
            assert suggestion.text.startswith("SQ010_0020 v001 frame 1100: ")
            assert "“weird” alone does not say it" in suggestion.text
    finally:
        server.close()


@pytest.mark.django_db
def test_retention_and_region_limits_are_enforced(world: World) -> None:
    server = FakeServer()
    try:
        with (
            override_settings(**_compat_settings(server, no_training=True)),
            tenant_scope(world.a.organization.pk),
        ):
            project = world.a.project
            ai_policy_update(
                actor=world.a.owner,
                project=project,
                allowed_regions=["eu"],
                allowed_providers=["openai_compatible"],
                accept=True,
            )
            with pytest.raises(AssistRefused, match="processes data in us, outside eu"):
                suggest_rewrite(
                    actor=world.a.producer,
                    project=project,
                    note=NOTES[0],
                    provider="openai_compatible",
                )
    finally:
        server.close()


@pytest.mark.django_db
def test_offline_task_list_merges_duplicates_and_keeps_who_and_where(world: World) -> None:
    with tenant_scope(world.a.organization.pk):
        suggestion = suggest_task_list(
            actor=world.a.producer,
            project=world.a.project,
            source_type="version",
            source_id=1,
            notes=NOTES,
        )
    tasks = suggestion.tasks
    wire = [t for t in tasks if "wire" in t["task"].lower()]
    assert len(wire) == 1, tasks
    assert wire[0]["shot"] == "SQ010_0010"
    assert wire[0]["frames"] == [1012, 1020, 1030]
    assert wire[0]["requested_by"] == ["Jon", "Maya"]
    assert sorted(wire[0]["note_ids"]) == [1, 2]
    assert any("sky" in t["task"].lower() for t in tasks)
    assert all(5 not in t["note_ids"] for t in tasks)  # resolved notes are not tasks
    assert {t["shot"] for t in tasks} == {"SQ010_0010", "SQ010_0020"}


@pytest.mark.django_db
def test_external_providers_need_the_beta_feature(world: World) -> None:
    from apps.beta.gates import feature_set

    feature_set(key="assist.llm", enabled=False, actor=None, organization=world.a.organization)
    server = FakeServer()
    try:
        with (
            override_settings(**_compat_settings(server, no_training=True)),
            tenant_scope(world.a.organization.pk),
        ):
            ai_policy_update(
                actor=world.a.owner,
                project=world.a.project,
                allowed_providers=["openai_compatible"],
                accept=True,
            )
            with pytest.raises(AssistRefused, match="not switched on for this organization"):
                suggest_rewrite(
                    actor=world.a.producer,
                    project=world.a.project,
                    note=NOTES[0],
                    provider="openai_compatible",
                )
            assert server.requests == []
    finally:
        server.close()


@pytest.mark.django_db
def test_policy_lists_of_the_wrong_shape_are_refused_naming_the_field(world: World) -> None:
    from tests.api.helpers import api_client_for

    client = api_client_for(world.a.owner)
    url = f"/api/v1/orgs/{world.a.organization.slug}/projects/{world.a.project.pk}/ai-policy/"
    for field, value in (("allowed_regions", 5), ("allowed_providers", {"a": 1})):
        response = client.put(url, {field: value}, format="json")
        assert response.status_code == 400, response.content
        assert field in response.json()["error"]["fields"]
    kept = client.put(url, {"allowed_regions": ["eu"]}, format="json")
    assert kept.status_code == 200 and kept.json()["allowed_regions"] == ["eu"]
