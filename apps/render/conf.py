"""Render settings, overridable from Django settings or the environment (tests shorten
the timeouts so a lost worker is noticed in seconds)."""

from __future__ import annotations

import os

from django.conf import settings


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
    default in the test environment, never for partners in development or production."""
    configured = getattr(settings, "RENDER_ALLOW_TEST_OPERATIONS", None)
    if configured is not None:
        return bool(configured)
    raw = os.environ.get("RENDER_ALLOW_TEST_OPERATIONS")
    if raw is not None:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return getattr(settings, "BACKLOT_ENV", "") == "test"
