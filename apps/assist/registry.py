"""The providers this deployment has configured (settings.ASSIST), with what each declares.

Default guarantees are taken from each provider's published data terms on the date given;
a deployment with a different agreement (e.g. zero data retention) overrides them in
settings. An OpenAI-compatible endpoint guarantees nothing unless the deployment says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings

from apps.assist.providers.anthropic import AnthropicProvider
from apps.assist.providers.base import Guarantees, TextProvider
from apps.assist.providers.bedrock import BedrockProvider
from apps.assist.providers.local import LocalProvider
from apps.assist.providers.openai_compatible import OpenAICompatibleProvider

PUBLISHED = {
    "bedrock": Guarantees(
        no_training=True,
        retention_days=0,
        regions=(),
        source="https://docs.aws.amazon.com/bedrock/latest/userguide/data-protection.html "
        "(Bedrock does not store prompts/completions or use them to train models)",
        source_date=date(2026, 11, 1),
    ),
    "anthropic": Guarantees(
        no_training=True,
        retention_days=30,
        regions=("us",),
        source="https://www.anthropic.com/legal/commercial-terms (API inputs and outputs are "
        "not used for training; logs kept up to 30 days by default)",
        source_date=date(2026, 11, 1),
    ),
}


def _declared(name: str, config: dict[str, Any], region: str) -> Guarantees:
    base = PUBLISHED.get(name) or Guarantees(
        no_training=False,
        retention_days=None,
        regions=(),
        source="not declared by this deployment",
        source_date=date(2026, 11, 22),
    )
    regions = tuple(config.get("regions") or ([region] if region else base.regions))
    return Guarantees(
        no_training=bool(config.get("no_training", base.no_training)),
        retention_days=config.get("retention_days", base.retention_days),
        regions=regions,
        source=str(config.get("guarantee_source", base.source)),
        source_date=date.fromisoformat(str(config["guarantee_date"]))
        if config.get("guarantee_date")
        else base.source_date,
    )


def configured_providers() -> dict[str, TextProvider]:
    """Providers in preference order; `local` is always available."""
    config: dict[str, dict[str, Any]] = getattr(settings, "ASSIST_PROVIDERS", {})
    providers: dict[str, TextProvider] = {}
    for name in getattr(
        settings, "ASSIST_PROVIDER_ORDER", ["bedrock", "anthropic", "openai_compatible", "local"]
    ):
        options = config.get(name, {})
        if name == "local":
            providers[name] = LocalProvider()
        elif name == "bedrock" and options.get("model"):
            region = str(options.get("region", "us-east-1"))
            providers[name] = BedrockProvider(
                region=region,
                model=str(options["model"]),
                declared=_declared(name, options, region),
                client=options.get("client"),
            )
        elif name == "anthropic" and options.get("api_key"):
            providers[name] = AnthropicProvider(
                api_key=str(options["api_key"]),
                model=str(options.get("model", "claude-sonnet-4-5")),
                declared=_declared(name, options, ""),
                base_url=str(options.get("base_url", "https://api.anthropic.com")),
                timeout=float(options.get("timeout", 30)),
            )
        elif name == "openai_compatible" and options.get("base_url"):
            providers[name] = OpenAICompatibleProvider(
                base_url=str(options["base_url"]),
                api_key=str(options.get("api_key", "")),
                model=str(options.get("model", "")),
                declared=_declared(name, options, str(options.get("region", ""))),
                timeout=float(options.get("timeout", 30)),
            )
    return providers
