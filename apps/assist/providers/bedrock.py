"""Amazon Bedrock through the Converse API (boto3 bedrock-runtime)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    Guarantees,
    ProviderError,
)


@dataclass
class BedrockProvider:
    region: str
    model: str
    declared: Guarantees
    client: Any = field(default=None, repr=False)  # injectable for tests (botocore Stubber)
    name: str = "bedrock"
    title: str = "Amazon Bedrock"

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3
            from botocore.config import Config

            self.client = boto3.client(
                "bedrock-runtime",
                region_name=self.region,
                config=Config(read_timeout=60, connect_timeout=5, retries={"max_attempts": 2}),
            )

    @property
    def guarantees(self) -> Guarantees:
        return self.declared

    def generate(self, request: GenerationRequest) -> GenerationResult:
        try:
            answer = self.client.converse(
                modelId=self.model,
                system=[{"text": request.system}],
                messages=[{"role": "user", "content": [{"text": request.prompt}]}],
                inferenceConfig={
                    "maxTokens": request.max_tokens,
                    "temperature": request.temperature,
                },
            )
        except ClientError as error:
            raise ProviderError(
                f"Bedrock refused the call: {error.response['Error'].get('Message', error)}"
            ) from error
        except BotoCoreError as error:
            raise ProviderError(f"could not reach Bedrock: {error}") from error
        try:
            blocks = answer["output"]["message"]["content"]
            text = "".join(block.get("text", "") for block in blocks)
            usage = answer.get("usage", {})
            return GenerationResult(
                text=text,
                model=self.model,
                region=self.region,
                input_tokens=int(usage.get("inputTokens", 0)),
                output_tokens=int(usage.get("outputTokens", 0)),
            )
        except (KeyError, TypeError) as error:
            raise ProviderError("Bedrock answer has no output message") from error
