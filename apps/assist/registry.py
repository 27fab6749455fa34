"""The providers this deployment has configured (settings.ASSIST), with what each declares.

What a provider guarantees comes from its published terms, kept as data in `terms.json`
with the source and the date they were read, and holds only for the provider's official
endpoint. A deployment with its own agreement (e.g. zero data retention, or the operator
of an OpenAI-compatible endpoint) records it in settings with `guarantee_source` (an
https URL) and `guarantee_date`; without both, nothing it says is believed.
"""

from __future__ import annotations

import functools
import json
import logging
import urllib.parse
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.assist.providers.anthropic import AnthropicProvider
from apps.assist.providers.base import Guarantees, TextProvider
from apps.assist.providers.bedrock import BedrockProvider, processing_regions
from apps.assist.providers.local import LocalProvider
from apps.assist.providers.openai_compatible import OpenAICompatibleProvider

TERMS_FILE = Path(__file__).with_name("terms.json")
KNOWN_PROVIDERS = ("bedrock", "anthropic", "openai_compatible", "local")
log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def load_terms() -> dict[str, dict[str, Any]]:
    """Each provider's published terms as read on `read_on` (see terms.json)."""
    data = json.loads(TERMS_FILE.read_text(encoding="utf-8"))
    return {name: entry for name, entry in data.items() if not name.startswith("_")}


def unknown(why: str) -> Guarantees:
    return Guarantees(
        no_training=False, retention_days=None, regions=(), source=why, source_date=None
    )


def _published(name: str, regions: tuple[str, ...]) -> Guarantees:
    terms = load_terms().get(name, {})
    if not terms.get("source") or not terms.get("read_on"):
        return unknown("not declared by this deployment")
    return Guarantees(
        no_training=bool(terms["no_training"]),
        retention_days=terms.get("retention_days"),
        regions=regions,
        source=str(terms["source"]),
        source_date=date.fromisoformat(str(terms["read_on"])),
        retention_note=str(terms.get("retention_exceptions", "")),
        subprocessors=str(terms.get("subprocessors", "")),
    )


def _operator_declared(config: dict[str, Any], regions: tuple[str, ...]) -> Guarantees | None:
    """The deployment's own agreement, believed only with an https source and its date."""
    source = str(config.get("guarantee_source") or "")
    read_on = str(config.get("guarantee_date") or "")
    if not source.startswith("https://") or not read_on:
        return None
    try:
        source_date = date.fromisoformat(read_on)
    except ValueError:
        return None
    retention = config.get("retention_days")
    return Guarantees(
        no_training=bool(config.get("no_training", False)),
        retention_days=None if retention is None or retention == "" else int(retention),
        regions=tuple(config.get("regions") or regions),
        source=source,
        source_date=source_date,
        retention_note=str(config.get("retention_note", "")),
        subprocessors=str(config.get("subprocessors", "")),
    )


def _is_official(name: str, url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    hosts = load_terms().get(name, {}).get("official_hosts", [])
    return urllib.parse.urlsplit(url).scheme == "https" and any(
        host == h or host.endswith("." + h) for h in hosts
    )


def declared(
    name: str, config: dict[str, Any], regions: tuple[str, ...], url: str = ""
) -> Guarantees:
    """What a configured provider guarantees: the operator's dated agreement if recorded,
    else the published terms for the official endpoint, else nothing."""
    own = _operator_declared(config, regions)
    if own is not None:
        return own
    if name == "openai_compatible":
        return Guarantees(
            no_training=False,
            retention_days=None,
            regions=regions,
            source="not declared by this deployment (no dated source recorded)",
            source_date=None,
        )
    if url and not _is_official(name, url):
        host = urllib.parse.urlsplit(url).hostname or url
        return unknown(
            f"custom endpoint {host}: the published terms cover only the official endpoint, "
            "and no terms of its operator are recorded"
        )
    return _published(name, regions)


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
        else:
            try:
                provider = _build(name, options)
            except Exception:  # one misconfigured provider must not break the assistant
                log.exception("assist provider %s is misconfigured; left out", name)
                continue
            if provider is not None:
                providers[name] = provider
    providers.setdefault("local", LocalProvider())
    return providers


def _build(name: str, options: dict[str, Any]) -> TextProvider | None:
    if name == "bedrock" and options.get("model") and options.get("region"):
        region, model = str(options["region"]), str(options["model"])
        endpoint = str(options.get("endpoint_url") or "")
        return BedrockProvider(
            region=region,
            model=model,
            declared=declared(name, options, processing_regions(model, region), endpoint),
            client=options.get("client"),
            timeout=float(options.get("timeout", 60)),
            endpoint_url=endpoint or None,
        )
    if name == "anthropic" and options.get("api_key"):
        geo = str(options.get("inference_geo") or "")
        base_url = str(options.get("base_url") or "https://api.anthropic.com")
        return AnthropicProvider(
            api_key=str(options["api_key"]),
            model=str(options.get("model") or "claude-sonnet-4-5"),
            declared=declared(name, options, (geo,) if geo else ("global",), base_url),
            base_url=base_url,
            timeout=float(options.get("timeout", 30)),
            geo=geo,
        )
    if name == "openai_compatible" and options.get("base_url"):
        region = str(options.get("region") or "")
        return OpenAICompatibleProvider(
            base_url=str(options["base_url"]),
            api_key=str(options.get("api_key", "")),
            model=str(options.get("model", "")),
            declared=declared(name, options, (region,) if region else ()),
            timeout=float(options.get("timeout", 30)),
        )
    return None
