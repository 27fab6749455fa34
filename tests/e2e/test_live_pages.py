"""The shared browser toolkit in a real browser: the one websocket client
(static/js/lib/socket.js) resumes the review room from its last sequence number after a
drop, and pages re-render their changed parts in place (static/js/lib/regions.js) instead
of reloading: the dashboard's project list on a live event, the version page once its proxy
is ready."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.api.helpers import api_client_for
from tests.e2e.conftest import ARTIFACTS
from tests.factories import Partner, make_partner
from tests.review.conftest import Room, build_room, session_cookie
from tests.review.media import make_proxy

pytestmark = pytest.mark.e2e

# Keeps every websocket the page opens in window.__sockets, so a test can cut one; while
# window.__offline is set, opening one fails as without a network. Marks the document: a
# full reload would lose window.__sameDocument.
INSTRUMENT = """
window.__sameDocument = true;
window.__sockets = [];
window.__refused = 0;
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    if (window.__offline) {
      window.__refused += 1;
      throw new DOMException("offline", "NetworkError");
    }
    super(...args);
    window.__sockets.push(this);
  }
};
"""


def _elsewhere(work: Callable[[], Any]) -> Any:
    """Runs `work` in another thread, as another process would: Playwright's event loop in
    this thread keeps Django from sending live events (async_to_sync) from here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=30)


def _page(browser: Any, base: str, user: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": session_cookie(user), "url": base}])
    context.add_init_script(INSTRUMENT)
    return context, context.new_page()


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("e2e-live")


@pytest.fixture
def partner(committed_db: None) -> Partner:
    return make_partner("e2e-live")


def test_review_room_resumes_from_its_last_seq_after_a_dropped_socket(
    browser: Any, live_server_url: str, room: Room
) -> None:
    org = room.partner.organization.slug
    context, page = _page(browser, live_server_url, room.partner.owner)
    try:
        page.goto(f"{live_server_url}/review/{org}/{room.session.pk}/")
        connection = page.get_by_test_id("connection")
        expect(connection).to_have_attribute("data-state", "live")
        expect(connection).to_have_text("Live")
        page.wait_for_function("() => window.backlotReview.seq !== null")
        seq = page.evaluate("window.backlotReview.seq")

        # The network drops the socket; meanwhile a note is written over REST.
        # (The page also keeps the organization socket for the inbox badge: cut the room's.)
        page.evaluate(
            "window.__offline = true;"
            " window.__sockets.find((s) => s.url.includes('/ws/review/')).close()"
        )
        expect(connection).to_have_attribute("data-state", "offline")
        client = api_client_for(room.partner.producer)
        response = client.post(
            f"/api/v1/orgs/{org}/versions/{room.versions[0].pk}/notes/",
            {"frame_in": 7, "text": "Written while you were away"},
            format="json",
        )
        assert response.status_code == 201

        page.wait_for_function("() => window.__refused >= 1", timeout=10_000)  # it retries
        expect(connection).to_have_attribute("data-state", "offline")

        # Back online: the client reconnects at once, asks for what it missed and applies it
        # exactly once.
        page.evaluate("window.__offline = false; window.dispatchEvent(new Event('online'))")
        expect(connection).to_have_attribute("data-state", "live")
        urls = page.evaluate(
            "window.__sockets.map((s) => s.url).filter((u) => u.includes('/ws/review/'))"
        )
        assert len(urls) == 2
        assert urls[1].endswith(f"/ws/review/{room.session.pk}/?last_seq={seq}")
        note = page.get_by_test_id("note").filter(has_text="Written while you were away")
        expect(note).to_have_count(1)
        expect(note).to_have_attribute("data-frame", "7")
        assert page.evaluate("window.backlotReview.seq") > seq
        assert page.evaluate("window.__sameDocument") is True
    finally:
        context.close()


def test_review_room_stops_for_good_when_access_is_revoked(
    browser: Any, live_server_url: str, room: Room
) -> None:
    from apps.core.consumers import disconnect_user_sockets

    context, page = _page(browser, live_server_url, room.reviewer)
    try:
        page.goto(f"{live_server_url}/review/{room.studio.slug}/{room.session.pk}/")
        connection = page.get_by_test_id("connection")
        expect(connection).to_have_attribute("data-state", "live")

        # Suspension or sign-out elsewhere: the server closes the socket with 4403.
        _elsewhere(
            lambda: disconnect_user_sockets(room.reviewer.pk, "Signed out on another device.")
        )
        expect(connection).to_have_attribute("data-state", "stopped")
        expect(connection).to_have_text("Access revoked")
        expect(page.get_by_test_id("toast")).to_contain_text("Signed out on another device.")
        # Retrying cannot help: no new socket, even when the tab becomes visible again.
        page.wait_for_timeout(2_000)
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_timeout(500)
        room_sockets = "window.__sockets.filter((s) => s.url.includes('/ws/review/')).length"
        assert page.evaluate(room_sockets) == 1
    finally:
        context.close()


def test_dashboard_rerenders_its_project_list_on_a_live_event(
    browser: Any, live_server_url: str, partner: Partner
) -> None:
    from apps.production.services import project_create
    from apps.tenancy.scope import tenant_scope

    context, page = _page(browser, live_server_url, partner.owner)
    try:
        page.goto(f"{live_server_url}/dashboard/?org={partner.organization.slug}")
        expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "live")
        expect(page.get_by_test_id("project-row")).to_have_count(1)

        name = f"Night Shift {uuid.uuid4().hex[:4]}"

        def create() -> None:
            with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
                project_create(actor=partner.owner, name=name)

        _elsewhere(create)

        expect(page.get_by_test_id("toast")).to_contain_text(f"New project: {name}")
        expect(page.get_by_test_id("project-row")).to_have_count(2)
        expect(page.get_by_test_id("project-count")).to_have_text("2")
        expect(page.get_by_test_id("projects").get_by_text(name)).to_be_visible()
        assert page.evaluate("window.__sameDocument") is True
        page.screenshot(path=str(ARTIFACTS / "dashboard-live.png"))
    finally:
        context.close()


def test_version_page_shows_the_player_in_place_once_the_proxy_is_ready(
    browser: Any, live_server_url: str, partner: Partner
) -> None:
    from apps.media.models import MediaFile, MediaKind, MediaState, ProxyStatus
    from apps.production.services import version_create
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=partner.owner, shot=partner.shot, source="upload")
        source = MediaFile.objects.create(
            organization_id=partner.organization.pk,
            project=partner.project,
            version=version,
            kind=MediaKind.PLATE,
            state=MediaState.READY,
            proxy_status=ProxyStatus.RUNNING,
            proxy_progress=40,
            original_filename="A001_plate.mov",
            storage_key=f"tests/{uuid.uuid4().hex}/A001_plate.mov",
            size=1,
        )

    context, page = _page(browser, live_server_url, partner.producer)
    try:
        org = partner.organization.slug
        page.goto(f"{live_server_url}/projects/{org}/{partner.project.pk}/versions/{version.pk}/")
        expect(page.get_by_test_id("media-processing")).to_contain_text("40%")

        # The proxy task finishes: its proxy is stored, then the source says so.
        with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
            proxy = make_proxy(version)
            proxy.derived_from = source
            proxy.save(update_fields=["derived_from"])
            MediaFile.objects.filter(pk=source.pk).update(
                proxy_status=ProxyStatus.READY, proxy_progress=100
            )

        expect(page.get_by_test_id("proxy-video")).to_be_visible(timeout=10_000)
        expect(page.get_by_test_id("media-processing")).to_have_count(0)
        page.wait_for_function(
            "() => document.querySelector('video').readyState >= 2", timeout=15_000
        )
        # The player of the new region works: stepping moves the frame counter.
        page.keyboard.press("ArrowRight")
        expect(page.get_by_test_id("player-frame")).not_to_have_text(str(partner.shot.cut_in))
        assert page.evaluate("window.__sameDocument") is True
    finally:
        context.close()
