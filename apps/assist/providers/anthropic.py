"""Anthropic's Messages API over HTTPS."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    Guarantees,
    ProviderError,
)
from apps.assist.providers.http import post_json, token_count

API_VERSION = "2023-06-01"


@dataclass
class AnthropicProvider:
    api_key: str = field(repr=False)
    model: str
    declared: Guarantees
    base_url: str = "https://api.anthropic.com"
    timeout: float = 30.0
    # The processing geography sent as `inference_geo` (e.g. "us"); empty: Anthropic's
    # default, which is global, and the declaration says so.
    geo: str = ""
    name: str = "anthropic"
    title: str = "Anthropic"

    @property
    def guarantees(self) -> Guarantees:
        return self.declared

    def generate(self, request: GenerationRequest) -> GenerationResult:
        body = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "system": request.system,
            "messages": [{"role": "user", "content": request.prompt}],
        }
        if self.geo:
            body["inference_geo"] = self.geo
        answer = post_json(
            self.base_url.rstrip("/") + "/v1/messages",
            body,
            {"x-api-key": self.api_key, "anthropic-version": API_VERSION},
            self.timeout,
        )
        try:
            text = "".join(
                block.get("text", "") for block in answer["content"] if block.get("type") == "text"
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProviderError("provider answer has no text content blocks") from error
        usage = answer.get("usage")
        return GenerationResult(
            text=text,
            model=str(answer.get("model") or self.model),
            region=",".join(self.declared.regions),
            input_tokens=token_count(usage, "input_tokens"),
            output_tokens=token_count(usage, "output_tokens"),
        )
