"""Safe defaults (security issue 16, item 8): with BACKLOT_ENV unset the platform runs as
production (DEBUG off, no start without its own SECRET_KEY), DEBUG cannot be switched on
in production, and an error report never prints a database URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django; django.setup(); from django.conf import settings as s;"
    " print(s.BACKLOT_ENV, s.DEBUG, s.SECRET_KEY.startswith('dev-only'))"
)


def _start(**overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"BACKLOT_ENV", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="studio.settings", **overrides)
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_unset_environment_is_production_and_needs_its_own_secret_key() -> None:
    refused = _start()
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr
    started = _start(SECRET_KEY="k" * 50, DEBUG="1", ALLOWED_HOSTS="backlot.test")
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["production", "False", "False"]


def test_make_run_says_development() -> None:
    script = (ROOT / "bin" / "run-platform").read_text()
    assert "BACKLOT_ENV=${BACKLOT_ENV:-development}" in script
    started = _start(BACKLOT_ENV="development")
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["development", "True", "True"]


def test_error_reports_never_print_database_or_broker_urls() -> None:
    from django.views.debug import technical_500_response

    request = RequestFactory().get("/boom/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    page = response.content.decode()
    assert "boom" in page  # it is the debug page
    secrets = [settings.DATABASE_URL, settings.DATABASE_OWNER_URL, settings.REDIS_URL]
    secrets += [
        str(settings.DATABASES[alias].get("PASSWORD") or "") for alias in settings.DATABASES
    ]
    for secret in filter(None, secrets):
        assert secret not in page, "an error report printed a connection secret"


@pytest.mark.parametrize("name", ["DATABASE_OWNER_URL", "DATABASE_URL", "REDIS_URL"])
def test_reporter_filter_hides_connection_urls(name: str) -> None:
    from django.views.debug import get_default_exception_reporter_filter

    safe = get_default_exception_reporter_filter().get_safe_settings()
    assert safe[name] != getattr(settings, name)


@pytest.mark.django_db
def test_the_demo_seed_refuses_production(settings: Any) -> None:
    from apps.beta.demo import seed_beta
    from apps.core.errors import Forbidden
    from apps.web.demo import seed_demo

    settings.BACKLOT_ENV = "production"
    with pytest.raises(Forbidden):
        seed_demo(log=lambda line: None)
    with pytest.raises(Forbidden):
        seed_beta(log=lambda line: None)
    from apps.accounts.models import User

    assert not User.objects.filter(email__endswith="@northlight.example").exists()
