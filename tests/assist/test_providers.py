"""Adapters with no network: Bedrock through botocore's Stubber, the HTTP providers against
local servers speaking their wire formats, including errors and timeouts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from apps.assist.providers.anthropic import AnthropicProvider
from apps.assist.providers.base import GenerationRequest, Guarantees, ProviderError
from apps.assist.providers.bedrock import BedrockProvider
from apps.assist.providers.openai_compatible import OpenAICompatibleProvider

GUARANTEES = Guarantees(True, 0, ("eu-west-1",), "test", date(2026, 11, 22))
REQUEST = GenerationRequest(
    purpose="rewrite", system="Be brief.", prompt="Rewrite: fix it", max_tokens=200, temperature=0.1
)


class FakeServer:
    """A local HTTP server answering with a scripted status and body, recording requests."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.body: dict[str, Any] = {}
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                time.sleep(outer.delay)
                payload = json.dumps(outer.body).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


def test_bedrock_converse_request_and_answer() -> None:
    client = boto3.client(
        "bedrock-runtime", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "converse",
        {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [{"text": "SQ010 frame 12: remove the wire."}],
                }
            },
            "stopReason": "end_turn",
            "usage": {"inputTokens": 31, "outputTokens": 9, "totalTokens": 40},
            "metrics": {"latencyMs": 5},
        },
        {
            "modelId": "anthropic.claude-3-haiku",
            "system": [{"text": "Be brief."}],
            "messages": [{"role": "user", "content": [{"text": "Rewrite: fix it"}]}],
            "inferenceConfig": {"maxTokens": 200, "temperature": 0.1},
        },
    )
    stubber.add_client_error(
        "converse",
        service_error_code="ThrottlingException",
        service_message="Too many requests",
        http_status_code=429,
    )
    provider = BedrockProvider(
        region="eu-west-1", model="anthropic.claude-3-haiku", declared=GUARANTEES, client=client
    )
    with stubber:
        result = provider.generate(REQUEST)
        assert result.text == "SQ010 frame 12: remove the wire."
        assert (result.input_tokens, result.output_tokens, result.region) == (31, 9, "eu-west-1")
        with pytest.raises(ProviderError, match="Too many requests"):
            provider.generate(REQUEST)
        stubber.assert_no_pending_responses()


def test_openai_compatible_wire_format_errors_and_timeout(server: FakeServer) -> None:
    provider = OpenAICompatibleProvider(
        base_url=server.url + "/v1",
        api_key="sk-local",
        model="llama-3",
        declared=GUARANTEES,
        timeout=0.5,
    )
    server.body = {
        "model": "llama-3-70b",
        "choices": [{"message": {"role": "assistant", "content": "Done."}}],
        "usage": {"prompt_tokens": 20, "completion_tokens": 2},
    }
    result = provider.generate(REQUEST)
    sent = server.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["authorization"] == "Bearer sk-local"
    assert sent["body"] == {
        "model": "llama-3",
        "max_tokens": 200,
        "temperature": 0.1,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Rewrite: fix it"},
        ],
    }
    assert (result.text, result.model, result.input_tokens, result.output_tokens) == (
        "Done.",
        "llama-3-70b",
        20,
        2,
    )

    server.status, server.body = 500, {"error": {"message": "model overloaded"}}
    with pytest.raises(ProviderError, match=r"HTTP 500.*model overloaded"):
        provider.generate(REQUEST)
    server.status, server.body = 200, {"unexpected": True}
    with pytest.raises(ProviderError, match="choices"):
        provider.generate(REQUEST)
    server.delay = 1.0
    with pytest.raises(ProviderError, match=r"did not answer within 0\.5 s"):
        provider.generate(REQUEST)


def test_anthropic_messages_wire_format_errors_and_timeout(server: FakeServer) -> None:
    provider = AnthropicProvider(
        api_key="sk-ant-test",
        model="claude-test",
        declared=GUARANTEES,
        base_url=server.url,
        timeout=0.5,
    )
    server.body = {
        "id": "msg_1",
        "type": "message",
        "model": "claude-test",
        "content": [{"type": "text", "text": "Paint out the rig."}],
        "usage": {"input_tokens": 12, "output_tokens": 5},
    }
    result = provider.generate(REQUEST)
    sent = server.requests[-1]
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["x-api-key"] == "sk-ant-test"
    assert sent["headers"]["anthropic-version"] == "2023-06-01"
    assert sent["body"] == {
        "model": "claude-test",
        "max_tokens": 200,
        "temperature": 0.1,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Rewrite: fix it"}],
    }
    assert (result.text, result.input_tokens, result.output_tokens) == ("Paint out the rig.", 12, 5)
    server.status, server.body = (
        429,
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
    )
    with pytest.raises(ProviderError, match=r"HTTP 429.*slow down"):
        provider.generate(REQUEST)
    server.status, server.delay = 200, 1.0
    with pytest.raises(ProviderError, match="did not answer"):
        provider.generate(REQUEST)
