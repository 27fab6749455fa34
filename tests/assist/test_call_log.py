"""Every call that sent a prompt leaves a row, whatever the provider does afterwards: the
row is written as `sent` before the request leaves and completed or failed after it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.test import override_settings

from apps.assist.models import AssistCall, CallStatus
from apps.assist.providers.base import GenerationRequest, GenerationResult, Guarantees
from apps.assist.services import (
    AssistFailed,
    AssistRefused,
    ai_policy_accept,
    ai_policy_update,
    assist_generate,
    suggest_rewrite,
)
from apps.audit.models import AuditEntry
from apps.beta.gates import feature_set
from apps.tenancy.scope import tenant_scope
from tests.assist.rude_server import RudeServer
from tests.factories import World

NOTE: dict[str, Any] = {
    "id": 7,
    "shot": "SQ010_0010",
    "version": "v002",
    "frame_in": 1012,
    "frame_out": None,
    "author": "Maya",
    "text": "Remove the wire at the top left.",
}
GOOD_ANSWER = {
    "model": "m",
    "choices": [{"message": {"content": "Remove the wire."}}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 3},
}


def compat_settings(url: str, **extra: Any) -> dict[str, Any]:
    options = {
        "base_url": url,
        "api_key": "k",
        "model": "m",
        "region": "us",
        "no_training": True,
        "retention_days": 0,
        "guarantee_source": "https://ops.example.test/llm-terms",
        "guarantee_date": "2026-11-20",
        "timeout": 2,
        **extra,
    }
    return {
        "ASSIST_PROVIDER_ORDER": ["openai_compatible", "local"],
        "ASSIST_PROVIDERS": {"openai_compatible": options, "local": {}},
    }


def allow_external(world: World, providers: list[str]) -> None:
    """The owner opts the project in to these providers (and the studio switched it on)."""
    feature_set(key="assist.llm", enabled=True, actor=None, organization=world.a.organization)
    ai_policy_update(actor=world.a.owner, project=world.a.project, allowed_providers=providers)
    ai_policy_accept(actor=world.a.owner, project=world.a.project)


@pytest.fixture
def rude() -> Iterator[dict[str, RudeServer]]:
    servers: dict[str, RudeServer] = {}
    yield servers
    for server in servers.values():
        server.close()


def _rewrite(world: World) -> None:
    suggest_rewrite(actor=world.a.producer, project=world.a.project, note=NOTE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "body", "reason"),
    [
        ("drop", None, "connection"),
        ("reset", None, "connection"),
        ("half", GOOD_ANSWER, "incomplete"),
        ("answer", {**GOOD_ANSWER, "usage": {"prompt_tokens": "many"}}, "usage"),
        ("answer", {**GOOD_ANSWER, "usage": "lots"}, "usage"),
    ],
)
def test_a_call_whose_answer_is_lost_still_leaves_a_failed_row(
    world: World, rude: dict[str, RudeServer], mode: str, body: Any, reason: str
) -> None:
    server = rude.setdefault(mode, RudeServer(mode, body))
    with override_settings(**compat_settings(server.url)), tenant_scope(world.a.organization.pk):
        allow_external(world, ["openai_compatible"])
        with pytest.raises(AssistFailed):
            _rewrite(world)
        assert len(server.received) == 1  # the prompt did reach the provider
        assert "Remove the wire" in str(server.received[0]["body"])
        call = AssistCall.objects.get(project=world.a.project)
        assert call.status == CallStatus.ERROR
        assert reason in call.detail.lower()
        assert (call.provider, call.model, call.region) == ("openai_compatible", "m", "us")
        assert call.guarantees["no_training"] is True
        assert call.guarantees["source"] == "https://ops.example.test/llm-terms"
        assert AuditEntry.objects.filter(
            action="assist.call_failed", target_id=str(call.pk)
        ).exists()


@dataclass
class WatchingProvider:
    """A provider that looks at the call log while it is being called."""

    seen: list[tuple[str, str]]
    model: str = "watch-" + "x" * 300
    name: str = "openai_compatible"
    title: str = "Watching"

    @property
    def guarantees(self) -> Guarantees:
        return Guarantees(True, 0, ("us",), "https://ops.example.test/t", date(2026, 11, 1))

    def generate(self, request: GenerationRequest) -> GenerationResult:
        self.seen.extend(AssistCall.objects.values_list("status", "provider"))
        return GenerationResult("ok", self.model, "us", 1, 1)


@pytest.mark.django_db
def test_the_row_is_written_as_sent_before_the_prompt_leaves(world: World) -> None:
    seen: list[tuple[str, str]] = []
    provider = WatchingProvider(seen)
    with (
        override_settings(ASSIST_PROVIDER_ORDER=["local"], ASSIST_PROVIDERS={"local": {}}),
        tenant_scope(world.a.organization.pk),
    ):
        allow_external(world, ["openai_compatible"])
        _result, call = assist_generate(
            actor=world.a.producer,
            project=world.a.project,
            request=GenerationRequest(purpose="rewrite", system="s", prompt="p"),
            providers={"openai_compatible": provider},
        )
        assert seen == [("sent", "openai_compatible")]
        call.refresh_from_db()
        assert call.status == CallStatus.OK
        # A model name longer than the column still leaves its row (cut to fit).
        assert call.model.startswith("watch-xxx") and len(call.model) <= 200


@pytest.mark.django_db
def test_a_refusal_row_carries_each_providers_guarantees(
    world: World, rude: dict[str, RudeServer]
) -> None:
    server = rude.setdefault("answer", RudeServer("answer", GOOD_ANSWER))
    with (
        override_settings(**compat_settings(server.url, region="us")),
        tenant_scope(world.a.organization.pk),
    ):
        allow_external(world, ["openai_compatible"])
        ai_policy_update(
            actor=world.a.owner, project=world.a.project, allowed_regions=["eu"], accept=True
        )
        with pytest.raises(AssistRefused):
            suggest_rewrite(
                actor=world.a.producer,
                project=world.a.project,
                note=NOTE,
                provider="openai_compatible",
            )
        assert server.received == []
        call = AssistCall.objects.get(project=world.a.project)
        assert call.status == CallStatus.REFUSED
        assert call.guarantees["openai_compatible"]["regions"] == ["us"]
        assert call.guarantees["openai_compatible"]["source_date"] == "2026-11-20"


@pytest.mark.django_db
def test_through_the_api_a_dropped_connection_answers_502_and_keeps_the_row(
    world: World, rude: dict[str, RudeServer]
) -> None:
    from apps.production.services import version_create
    from apps.review.notes import note_create
    from apps.tenancy.selectors import members_of_current_organization
    from tests.api.helpers import api_client_for

    server = rude.setdefault("drop", RudeServer("drop"))
    with tenant_scope(world.a.organization.pk, user_id=world.a.owner.pk):
        allow_external(world, ["openai_compatible"])
        version = version_create(actor=world.a.owner, shot=world.a.shot, source="upload")
        members = {m.user_id: m for m in members_of_current_organization()}
        note_create(
            actor=members[world.a.producer.pk], version=version, frame_in=1010, text=NOTE["text"]
        )
    base = f"/api/v1/orgs/{world.a.organization.slug}/projects/{world.a.project.pk}/"
    with override_settings(**compat_settings(server.url)):
        response = api_client_for(world.a.producer).post(
            base + "assist/task-list/", {"version": version.pk}, format="json"
        )
    assert response.status_code == 502, response.content
    assert response.json()["error"]["code"] == "provider_error"
    calls = api_client_for(world.a.producer).get(base + "assist/calls/").json()
    rows = calls["results"] if isinstance(calls, dict) else calls
    assert [(row["status"], row["provider"], row["region"]) for row in rows] == [
        ("error", "openai_compatible", "us")
    ]
    assert "connection" in rows[0]["detail"]
