"""Headers on every page (security issue 16, item 13; standing suite): every URL route the
site has, reached anonymously and as a signed-in partner, answers with a strict
Content-Security-Policy (a fresh nonce, no inline script), frame-ancestors 'none',
nosniff, Referrer-Policy and Permissions-Policy, whatever its status. The routes are read
from the URL configuration, so a new page is covered without being listed. Templates and
static JS carry no inline script or inline handler; the browsable API is off in
production; /readyz tells no exception text; /metrics needs the staff two-factor gate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = {"int": "1", "slug": "nope", "str": "nope", "uuid": "00000000-0000-0000-0000-000000000000"}


def _routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    """Every concrete URL of the site with placeholder values for its converters."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        text = str(pattern.pattern)
        if text.startswith("^"):  # regex routes (static files, DRF format suffixes)
            continue
        route = prefix + re.sub(
            r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(str(m.group(1) or "str"), "nope"), text
        )
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + route


def _assert_headers(response: Any, url: str) -> str:
    csp = response.get("Content-Security-Policy", "")
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in csp.split(";") if part.strip()
    )
    script = directives.get("script-src", "")
    assert re.search(r"'nonce-[A-Za-z0-9_-]{16,}'", script), (url, csp)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, (url, csp)
    assert directives.get("frame-ancestors") == "'none'", (url, csp)
    assert directives.get("object-src") == "'none'", (url, csp)
    assert directives.get("base-uri") == "'none'", (url, csp)
    assert response.get("X-Content-Type-Options") == "nosniff", url
    assert response.get("Referrer-Policy") == "same-origin", url
    assert "camera=()" in response.get("Permissions-Policy", ""), url
    assert "microphone=()" in response.get("Permissions-Policy", ""), url
    assert response.get("X-Frame-Options") == "DENY", url
    return csp


def test_the_route_walk_sees_the_pages() -> None:
    routes = set(_routes())
    for page in ("/", "/healthz", "/readyz", "/metrics", "/api/v1/me/"):
        assert page in routes, page
    assert len(routes) > 80


@pytest.mark.django_db
def test_every_route_answers_with_the_security_headers(world: World) -> None:
    anonymous, partner = Client(), Client()
    partner.force_login(world.a.owner)
    nonces = set()
    for url in sorted(set(_routes())):
        for client in (anonymous, partner):
            response = client.get(url)
            csp = _assert_headers(response, url)
            nonces.add(re.search(r"'nonce-([^']+)'", csp).group(1))  # type: ignore[union-attr]
    assert len(nonces) > 100  # a fresh nonce per response


@pytest.mark.django_db
def test_the_one_inline_script_carries_the_nonce_of_its_response(world: World) -> None:
    client = Client()
    client.force_login(world.a.owner)
    response = client.get("/api/docs/")
    if response.status_code != 200:
        pytest.skip("no Swagger UI page in this configuration")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    page = response.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)


INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src|nonce)=)([^>]*)>", re.IGNORECASE)


def test_templates_and_scripts_carry_no_inline_script_or_handler() -> None:
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        if INLINE_HANDLER.search(text):
            offenders.append(f"{path.relative_to(ROOT)}: inline event handler")
        for attrs in INLINE_SCRIPT.findall(text):
            if "application/json" not in attrs and "application/ld+json" not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: inline <script> without a nonce")
        if "javascript:" in text:
            offenders.append(f"{path.relative_to(ROOT)}: javascript: URL")
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        text = path.read_text()
        if re.search(r"\beval\(|new Function\(|setAttribute\(\s*[\"']on", text):
            offenders.append(f"{path.relative_to(ROOT)}: eval or inline handler")
    assert offenders == []


def test_browsable_api_is_off_in_production() -> None:
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        " print(s.REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'])"
    )
    import os

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(BACKLOT_ENV="production", SECRET_KEY="k" * 50, ALLOWED_HOSTS="backlot.test")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "JSONRenderer" in result.stdout and "Browsable" not in result.stdout


@pytest.mark.django_db
def test_readyz_names_a_failing_check_without_its_exception_text() -> None:
    with override_settings(REDIS_URL="redis://backlot-secret-host.invalid:6390/0"):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert response.json()["checks"]["redis"]["ok"] is False
    assert "backlot-secret-host" not in body and "Error" not in body


@pytest.mark.django_db
def test_metrics_need_two_factor_for_a_beta_admin_session(world: World) -> None:
    from allauth.mfa.models import Authenticator

    admin = Client()
    admin.force_login(world.beta_admin)
    assert admin.get("/metrics").status_code == 200
    Authenticator.objects.filter(user=world.beta_admin).delete()
    refused = admin.get("/metrics")
    assert refused.status_code == 302 and "/accounts/2fa/" in refused["Location"]
