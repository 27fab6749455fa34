"""Health, readiness, metrics, schema, deploy checks and request ids."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_without_touching_dependencies(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency(client: Client) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "redis", "storage"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_names_the_dependency_that_is_down(client: Client) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["ok"] is False
    # It names the dependency, never the exception text (hosts, ports, users).
    assert "error" not in body["checks"]["redis"] and "127.0.0.1" not in response.content.decode()
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_metrics_need_the_token(client: Client) -> None:
    assert client.get("/metrics").status_code == 401
    with override_settings(METRICS_TOKEN="s3cret-metrics"):
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics")
    assert response.status_code == 200
    assert b"backlot_http_requests_total" in response.content


def test_every_response_carries_a_request_id(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="pipeline-run-000123")
    assert response["X-Request-ID"] == "pipeline-run-000123"
    generated = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert len(generated) == 32 and " " not in generated


@pytest.mark.django_db
def test_openapi_schema_is_valid_openapi_3(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )
    schema = json.loads(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/orgs/{org}/projects/{id}/" in schema["paths"]
    # Every operation documents its errors with the one error body, so a generated
    # client can type them.
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "404"):
                assert responses[status]["content"]["application/json"]["schema"] == error, (
                    f"{method.upper()} {path} does not document {status}"
                )
            if method in ("post", "put", "patch"):
                assert "400" in responses, f"{method.upper()} {path} does not document 400"


@pytest.mark.django_db
def test_schema_and_docs_are_served(client: Client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Backlot API"
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_production_settings_pass_check_deploy_with_no_warnings() -> None:
    env = dict(os.environ)
    env.update(
        BACKLOT_ENV="production",
        SECRET_KEY="prod-" + "k9Z!x" * 12,
        ALLOWED_HOSTS="backlot.example.com",
        DEBUG="false",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["BACKLOT_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_logs_are_json_with_the_request_id() -> None:
    code = (
        "import django, logging; django.setup();"
        "from apps.core.request_context import request_context;"
        "ctx = request_context(request_id='req-abcdef12');"
        "ctx.__enter__(); logging.getLogger('backlot.test').warning('hello')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )
    line = [raw for raw in result.stderr.splitlines() if raw.startswith("{")][-1]
    record = json.loads(line)
    assert record["message"] == "hello"
    assert record["request_id"] == "req-abcdef12"
    assert record["level"] == "WARNING"
