"""Any endpoint speaking the OpenAI chat-completions wire format (vLLM, Azure-style
gateways, OpenAI itself). What it guarantees depends on who runs it, so the deployment
declares it in settings; by default it guarantees nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    Guarantees,
    ProviderError,
)
from apps.assist.providers.http import post_json, token_count


@dataclass
class OpenAICompatibleProvider:
    base_url: str
    api_key: str = field(repr=False)
    model: str
    declared: Guarantees
    timeout: float = 30.0
    name: str = "openai_compatible"
    title: str = "OpenAI-compatible endpoint"

    @property
    def guarantees(self) -> Guarantees:
        return self.declared

    def generate(self, request: GenerationRequest) -> GenerationResult:
        body = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        answer = post_json(
            self.base_url.rstrip("/") + "/chat/completions",
            body,
            {"Authorization": f"Bearer {self.api_key}"},
            self.timeout,
        )
        try:
            text = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise ProviderError("provider answer has no choices[0].message.content") from error
        usage = answer.get("usage")
        return GenerationResult(
            text=str(text),
            model=str(answer.get("model") or self.model),
            region=",".join(self.declared.regions),
            input_tokens=token_count(usage, "prompt_tokens"),
            output_tokens=token_count(usage, "completion_tokens"),
        )
