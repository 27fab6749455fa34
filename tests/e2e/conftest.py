"""Real browser tests: the platform runs as a real ASGI server process (uvicorn) against
the test database, driven by Playwright with Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import AXE_CORE_VERSION, AxeUnavailable, axe_source, collector
from tests.live_server import asgi_servers

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
AXE_REPORT = ARTIFACTS / "axe-report.json"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: Any) -> Iterator[str]:
    with asgi_servers(1, log_path=ARTIFACTS.parent / "server.log") as (url,):
        yield url


@pytest.fixture(autouse=True)
def _django_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an event loop running in this thread; the test's own
    # database setup is plain synchronous code, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser` (apt-get install chromium)"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-gpu",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        if os.environ.get("AXE_CHECK", "on") != "off":  # off: only to bisect a failure
            _check_every_page(instance)
        yield instance
        instance.close()


def _check_every_page(browser: Any) -> None:
    """Every context the tests open (the `page` fixture or their own) runs axe on load."""
    try:
        axe_source()
    except AxeUnavailable as exc:
        pytest.fail(str(exc))
    new_context = browser.new_context

    def new_context_checked(*args: Any, **kwargs: Any) -> Any:
        return collector.attach_context(new_context(*args, **kwargs))

    def new_page_checked(*args: Any, **kwargs: Any) -> Any:
        # Browser.new_page opens a context of its own; route it through the hook too.
        context = new_context_checked(*args, **kwargs)
        page = context.new_page()
        page.on("close", lambda *_: context.close())
        return page

    browser.new_context = new_context_checked
    browser.new_page = new_page_checked


@pytest.fixture(autouse=True)
def _axe_test_name(request: pytest.FixtureRequest) -> None:
    collector.current_test = request.node.nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not collector.checked:
        return
    collector.write_report(AXE_REPORT)
    if collector.blocking() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not collector.checked:
        return
    blocking = collector.blocking()
    terminalreporter.section("axe-core accessibility check", red=bool(blocking))
    terminalreporter.write_line(
        f"{len(collector.checked)} page patterns checked with axe-core {AXE_CORE_VERSION}: "
        f"{len(blocking)} critical or serious violations (report: {AXE_REPORT.relative_to(ROOT)})"
    )
    for line in collector.summary_lines():
        terminalreporter.write_line(line)
    if blocking:
        terminalreporter.write_line("FAILED: accessibility violations (see axe-report.json)")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()
