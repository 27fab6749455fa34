"""Two ASGI server processes on the same Redis: clients on different processes see each
other's events, in sequence order."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import websockets

from tests.live_server import asgi_servers
from tests.review.conftest import Room, build_room, session_cookie


@pytest.fixture
def room(committed_db: None) -> Room:
    return build_room("mp")


async def _next(socket: Any, kind: str, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        remaining = max(0.01, deadline - time.monotonic())
        frame = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        if frame["type"] == kind:
            return frame


def _ws(url: str, room: Room, cookie: str) -> Any:
    return websockets.connect(
        url.replace("http", "ws") + f"/ws/review/{room.session.pk}/",
        additional_headers={"Cookie": f"sessionid={cookie}"},
        origin=url,  # type: ignore[arg-type]
    )


def test_clients_on_different_server_processes_see_each_others_events(room: Room) -> None:
    host_cookie = session_cookie(room.partner.owner)
    reviewer_cookie = session_cookie(room.reviewer)

    async def scenario(first: str, second: str) -> None:
        async with _ws(first, room, host_cookie) as host, _ws(second, room, reviewer_cookie) as rv:
            await _next(host, "state")
            await _next(rv, "state")
            await _next(host, "presence.joined")
            await host.send(json.dumps({"type": "playback", "frame": 21, "playing": False}))
            seek = await _next(rv, "playback.seek")
            assert seek["playback"]["frame"] == 21
            await rv.send(
                json.dumps(
                    {"type": "note.create", "version": room.versions[0].pk, "frame_in": 21,
                     "text": "seen across processes"}
                )
            )  # fmt: skip
            note = await _next(host, "note.created")
            assert note["note"]["text"] == "seen across processes"
            assert note["seq"] > seek["seq"]

    with asgi_servers(2) as (first, second):
        started = time.monotonic()
        asyncio.run(scenario(first, second))
        assert time.monotonic() - started < 30
