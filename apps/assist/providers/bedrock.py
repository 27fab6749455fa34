"""Amazon Bedrock through the Converse API (boto3 bedrock-runtime)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    Guarantees,
    ProviderError,
)
from apps.assist.providers.http import token_count

# botocore at DEBUG logs each request's parameters and each response body: the prompt and
# the answer. Those loggers never pass DEBUG records, whatever the logging configuration.
QUIET_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.auth", "botocore.awsrequest")


class _NoDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


for _name in QUIET_LOGGERS:
    logging.getLogger(_name).addFilter(_NoDebug())

# Cross-region inference profiles: the model ID's prefix names the geography the request
# may be processed in (any region of it), not the client's region.
PROFILE_GEOGRAPHIES = ("us-gov", "us", "eu", "apac", "jp", "au", "ca", "global")


def processing_regions(model: str, region: str) -> tuple[str, ...]:
    """Where a Converse call with this model ID is processed: the profile's geography for
    an inference profile (`us.…`, `global.…`), else the client's region."""
    head = model.rsplit("/", 1)[-1].split(".", 1)[0]
    if "." in model.rsplit("/", 1)[-1] and head in PROFILE_GEOGRAPHIES:
        return (head,)
    return (region,) if region else ()


@dataclass
class BedrockProvider:
    region: str
    model: str
    declared: Guarantees
    client: Any = field(default=None, repr=False)  # injectable for tests (botocore Stubber)
    name: str = "bedrock"
    title: str = "Amazon Bedrock"

    timeout: float = 60.0
    endpoint_url: str | None = None  # a VPC endpoint; guarantees hold only for AWS hosts

    def __post_init__(self) -> None:
        if self.client is None:
            # boto3 is imported here: only deployments that configure Bedrock pay for it.
            import boto3
            from botocore.config import Config

            # No retries: botocore retries errors after the prompt was received, and each
            # retry multiplies the time a caller waits (3 x 65 s before).
            self.client = boto3.client(
                "bedrock-runtime",
                region_name=self.region,
                endpoint_url=self.endpoint_url or None,
                config=Config(
                    read_timeout=self.timeout,
                    connect_timeout=5,
                    retries={"total_max_attempts": 1, "mode": "standard"},
                ),
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
            unsent = isinstance(
                error,
                (
                    EndpointConnectionError,
                    ConnectTimeoutError,
                    NoCredentialsError,
                    ParamValidationError,
                ),
            )
            raise ProviderError(f"could not reach Bedrock: {error}", sent=not unsent) from error
        try:
            blocks = answer["output"]["message"]["content"]
            text = "".join(block.get("text", "") for block in blocks)
        except (KeyError, TypeError, AttributeError) as error:
            raise ProviderError("Bedrock answer has no output message") from error
        usage = answer.get("usage")
        return GenerationResult(
            text=text,
            model=self.model,
            region=",".join(processing_regions(self.model, self.region)),
            input_tokens=token_count(usage, "inputTokens"),
            output_tokens=token_count(usage, "outputTokens"),
        )
