"""Render settings, overridable from Django settings or the environment (tests shorten
the timeouts so a lost worker is noticed in seconds)."""

from __future__ import annotations

import hashlib
import os

from django.conf import settings

from gpu_workers.celery_app import visibility_timeout


def _value(name: str, default: float) -> float:
    if hasattr(settings, name):
        return float(getattr(settings, name))
    return float(os.environ.get(name, default))


def heartbeat_seconds() -> float:
    """How often a worker sends a heartbeat while it runs a job."""
    return _value("RENDER_HEARTBEAT_SECONDS", 10)


def heartbeat_timeout() -> float:
    """Silence after which a running attempt's worker is declared lost."""
    return _value("RENDER_HEARTBEAT_TIMEOUT_SECONDS", 60)


def start_timeout() -> float:
    """A dispatched attempt no worker picked up in this time is dispatched again."""
    return _value("RENDER_START_TIMEOUT_SECONDS", 600)


def max_attempts() -> int:
    return int(_value("RENDER_MAX_ATTEMPTS", 3))


def default_pool() -> str:
    return str(
        getattr(settings, "RENDER_DEFAULT_POOL", os.environ.get("RENDER_DEFAULT_POOL", "cpu"))
    )


def scheduler_interval() -> float:
    return _value("RENDER_SCHEDULER_INTERVAL_SECONDS", 1.0)


def allow_test_operations() -> bool:
    """Test-only operations (noop) are offered and accepted only where this is on: by
    default in the test environment, never for partners in development or production.
    Production refuses them whatever the settings say: a test operation holds a GPU slot
    for nothing."""
    if getattr(settings, "BACKLOT_ENV", "") == "production":
        return False
    configured = getattr(settings, "RENDER_ALLOW_TEST_OPERATIONS", None)
    if configured is not None:
        return bool(configured)
    raw = os.environ.get("RENDER_ALLOW_TEST_OPERATIONS")
    if raw is not None:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return getattr(settings, "BACKLOT_ENV", "") == "test"


def signing_secrets() -> list[str]:
    """The platform's worker-signing secrets, current first. RENDER_SIGNING_KEY signs new
    attempts; RENDER_SIGNING_KEY_PREVIOUS (during a rotation) still verifies reports of
    attempts dispatched before it. Without either, one is derived from SECRET_KEY."""
    current = str(getattr(settings, "RENDER_SIGNING_KEY", "") or "") or os.environ.get(
        "RENDER_SIGNING_KEY", ""
    )
    if not current:
        current = (
            "derived:"
            + hashlib.sha256(
                b"backlot-render-signing:" + str(settings.SECRET_KEY).encode()
            ).hexdigest()
        )
    previous = str(getattr(settings, "RENDER_SIGNING_KEY_PREVIOUS", "") or "") or os.environ.get(
        "RENDER_SIGNING_KEY_PREVIOUS", ""
    )
    return [current] + ([previous] if previous else [])


def report_max_age_seconds() -> float:
    """Reports signed longer ago than this are refused as stale (replays). Longer than the
    longest job plus the broker's redelivery window."""
    return _value("RENDER_REPORT_MAX_AGE_SECONDS", visibility_timeout() + 3600)
