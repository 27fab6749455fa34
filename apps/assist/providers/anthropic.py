"""Anthropic's Messages API over HTTPS."""

from __future__ import annotations

from dataclasses import dataclass

from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    Guarantees,
    ProviderError,
)
from apps.assist.providers.http import post_json

API_VERSION = "2023-06-01"


@dataclass
class AnthropicProvider:
    api_key: str
    model: str
    declared: Guarantees
    base_url: str = "https://api.anthropic.com"
    timeout: float = 30.0
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
            usage = answer.get("usage") or {}
            return GenerationResult(
                text=text,
                model=str(answer.get("model") or self.model),
                region=",".join(self.declared.regions),
                input_tokens=int(usage.get("input_tokens", 0)),
                output_tokens=int(usage.get("output_tokens", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProviderError("provider answer has no text content blocks") from error
