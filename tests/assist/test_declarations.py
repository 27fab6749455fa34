"""What providers declare must be defensible: dated sources kept as data, guarantees only for
official endpoints, processing regions that match where the call really goes, and keys
that never leave for another host."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.test import override_settings

from apps.assist.models import AIPolicy
from apps.assist.providers.anthropic import AnthropicProvider
from apps.assist.providers.base import GenerationRequest, Guarantees, ProviderError
from apps.assist.providers.openai_compatible import OpenAICompatibleProvider
from apps.assist.registry import configured_providers, load_terms
from apps.assist.routing import unmet
from tests.assist.rude_server import RudeServer

REQUEST = GenerationRequest(purpose="rewrite", system="s", prompt="Remove the wire.")
ANSWER = {
    "model": "claude-test",
    "content": [{"type": "text", "text": "ok"}],
    "usage": {"input_tokens": 1, "output_tokens": 1},
}
KNOWN = Guarantees(True, 0, ("us",), "https://ops.example.test/terms", date(2026, 11, 1))


@pytest.fixture
def servers() -> Iterator[list[RudeServer]]:
    made: list[RudeServer] = []
    yield made
    for server in made:
        server.close()


def _policy(**fields: Any) -> AIPolicy:
    """An accepted policy allowing every provider, with these limits."""
    values: dict[str, Any] = {
        "no_training": True,
        "max_retention_days": 30,
        "allowed_providers": ["bedrock", "anthropic", "openai_compatible", "local"],
        "allowed_regions": [],
        "version": 1,
        "accepted_version": 1,
        **fields,
    }
    return AIPolicy(**values)


def _providers(**config: dict[str, Any]) -> dict[str, Any]:
    with override_settings(
        ASSIST_PROVIDER_ORDER=[*config, "local"], ASSIST_PROVIDERS={**config, "local": {}}
    ):
        return configured_providers()


def test_terms_are_data_with_a_source_url_and_the_date_they_were_read() -> None:
    terms = load_terms()
    for name in ("anthropic", "bedrock"):
        assert terms[name]["source"].startswith("https://"), name
        date.fromisoformat(terms[name]["read_on"])
    assert "2 years" in terms["anthropic"]["retention_exceptions"]


def test_anthropic_without_a_pinned_geography_is_global_and_refused_by_a_us_policy() -> None:
    provider = _providers(anthropic={"api_key": "sk-ant"})["anthropic"]
    assert provider.guarantees.regions == ("global",)
    assert "outside us" in str(
        unmet(_policy(allowed_regions=["us"]), "anthropic", provider.guarantees)
    )
    # Anthropic keeps flagged content for up to 2 years: a 30-day policy does not cover it.
    assert "2 years" in provider.guarantees.retention_note


def test_anthropic_pinned_to_us_sends_the_geography_it_declares(
    servers: list[RudeServer],
) -> None:
    server = RudeServer("answer", ANSWER)
    servers.append(server)
    provider = AnthropicProvider(
        api_key="sk-ant", model="claude-test", declared=KNOWN, base_url=server.url, geo="us"
    )
    provider.generate(REQUEST)
    assert server.received[0]["body"]["inference_geo"] == "us"


def test_a_custom_anthropic_base_url_guarantees_nothing() -> None:
    provider = _providers(
        anthropic={"api_key": "sk-ant", "base_url": "https://llm-proxy.example.test"}
    )["anthropic"]
    assert provider.guarantees.no_training is False
    assert provider.guarantees.retention_days is None
    assert "not train" in str(unmet(_policy(), "anthropic", provider.guarantees))


@pytest.mark.parametrize(
    ("model", "region", "expected"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", "eu-west-1", ("eu-west-1",)),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", ("us",)),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1", ("global",)),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "eu-west-1", ("eu",)),
    ],
)
def test_bedrock_region_comes_from_the_inference_profile(
    model: str, region: str, expected: tuple[str, ...]
) -> None:
    provider = _providers(bedrock={"model": model, "region": region, "client": object()})["bedrock"]
    assert provider.guarantees.regions == expected


def test_a_cross_region_profile_is_refused_by_a_single_region_policy() -> None:
    provider = _providers(
        bedrock={"model": "us.amazon.nova-pro-v1:0", "region": "us-east-1", "client": object()}
    )["bedrock"]
    assert "outside us-east-1" in str(
        unmet(
            _policy(allowed_regions=["us-east-1"], max_retention_days=None),
            "bedrock",
            provider.guarantees,
        )
    )
    anywhere_in_us = _policy(allowed_regions=["us"], max_retention_days=None)
    assert unmet(anywhere_in_us, "bedrock", provider.guarantees) is None


def test_bedrock_retention_is_not_stated_unless_the_account_declares_it() -> None:
    provider = _providers(
        bedrock={"model": "amazon.nova-pro-v1:0", "region": "eu-west-1", "client": object()}
    )["bedrock"]
    assert provider.guarantees.retention_days is None
    # A 30-day policy is not met by an unstated retention.
    assert "unstated" in str(unmet(_policy(), "bedrock", provider.guarantees))


def test_an_environment_flag_alone_cannot_declare_no_training() -> None:
    provider = _providers(
        openai_compatible={
            "base_url": "https://llm.example.test/v1",
            "model": "m",
            "no_training": True,
            "retention_days": 0,
        }
    )["openai_compatible"]
    assert provider.guarantees.no_training is False
    assert provider.guarantees.retention_days is None
    declared = _providers(
        openai_compatible={
            "base_url": "https://llm.example.test/v1",
            "model": "m",
            "no_training": True,
            "retention_days": 0,
            "guarantee_source": "https://llm.example.test/terms",
            "guarantee_date": "2026-11-20",
        }
    )["openai_compatible"]
    assert declared.guarantees.no_training is True
    assert declared.guarantees.source_date == date(2026, 11, 20)


def test_an_empty_bedrock_region_does_not_break_the_assistant() -> None:
    providers = _providers(bedrock={"model": "amazon.nova-pro-v1:0", "region": ""})
    assert "local" in providers and "bedrock" not in providers


def test_the_offline_provider_is_unaffected_by_region_and_provider_limits() -> None:
    local = _providers()["local"]
    limited = _policy(allowed_regions=["eu"], allowed_providers=["bedrock"], accepted_version=0)
    assert unmet(limited, "local", local.guarantees) is None


def test_keys_stay_out_of_repr() -> None:
    anthropic = AnthropicProvider(api_key="sk-ant-SECRET", model="m", declared=KNOWN)
    compat = OpenAICompatibleProvider(
        base_url="https://x.example.test", api_key="sk-SECRET", model="m", declared=KNOWN
    )
    assert "SECRET" not in repr(anthropic) and "SECRET" not in repr(compat)


def test_plain_http_is_refused_except_on_loopback() -> None:
    provider = OpenAICompatibleProvider(
        base_url="http://llm.example.test/v1", api_key="k", model="m", declared=KNOWN
    )
    with pytest.raises(ProviderError, match="HTTPS"):
        provider.generate(REQUEST)


def test_a_redirect_is_not_followed_with_the_key(servers: list[RudeServer]) -> None:
    target = RudeServer("answer", {"choices": [{"message": {"content": "x"}}]})
    first = RudeServer("redirect")
    first.location = target.url + "/v1/chat/completions"
    servers.extend([target, first])
    provider = OpenAICompatibleProvider(
        base_url=first.url + "/v1", api_key="sk-SECRET", model="m", declared=KNOWN
    )
    with pytest.raises(ProviderError, match="redirect"):
        provider.generate(REQUEST)
    assert target.received == []


def test_the_deadline_covers_the_whole_call_not_each_read(servers: list[RudeServer]) -> None:
    import time

    server = RudeServer("trickle", {"choices": [{"message": {"content": "x" * 40}}]})
    servers.append(server)
    provider = OpenAICompatibleProvider(
        base_url=server.url, api_key="k", model="m", declared=KNOWN, timeout=1.0
    )
    started = time.monotonic()
    with pytest.raises(ProviderError, match="within 1 s"):
        provider.generate(REQUEST)
    assert time.monotonic() - started < 2.0


def test_bedrock_over_http_retries_nothing_and_logs_no_prompt(
    servers: list[RudeServer], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from apps.assist.providers.bedrock import BedrockProvider

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    server = RudeServer("drop")
    servers.append(server)
    provider = BedrockProvider(
        region="us-east-1",
        model="amazon.nova-pro-v1:0",
        declared=KNOWN,
        endpoint_url=server.url,
        timeout=2,
    )
    secret = GenerationRequest(purpose="rewrite", system="s", prompt="CONFIDENTIAL-PLOT-TWIST")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ProviderError) as raised:
            provider.generate(secret)
    assert raised.value.sent is True
    assert len(server.received) == 1  # the prompt went once: no retry after it was received
    assert "CONFIDENTIAL-PLOT-TWIST" in str(server.received[0]["body"])
    assert not any("CONFIDENTIAL-PLOT-TWIST" in record.getMessage() for record in caplog.records)


def test_a_custom_bedrock_endpoint_guarantees_nothing() -> None:
    provider = _providers(
        bedrock={
            "model": "amazon.nova-pro-v1:0",
            "region": "us-east-1",
            "endpoint_url": "https://bedrock.proxy.example.test",
            "client": object(),
        }
    )["bedrock"]
    assert provider.guarantees.no_training is False
