"""Review room: note broadcast latency from send to receipt, 10 and 100 clients in one
session, spread over two uvicorn server processes on the same Redis.

The path measured is the real one: a client sends `note.create` over its websocket; the
server authorizes it, writes the note and the numbered event to PostgreSQL, and after
commit sends it to the session's channels-redis group; both servers forward it to their
clients. Latency = receipt at each other client - send time (one clock: every client runs
in this process).

Baseline, measured in the same run: a bare channels-redis group send to the same number
of receiving channels, split over two channel-layer instances (two "processes"), on the
same Redis: no websocket, no database, no authorization.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from typing import Any

NOTES = {10: 30, 100: 15}
PACE_SECONDS = 0.25


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _setup() -> tuple[Any, Any, str]:
    from django.core.management import call_command

    call_command("migrate", database="owner", verbosity=0, interactive=False)
    from apps.production.services import version_create
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization
    from tests.factories import make_partner
    from tests.review.conftest import session_cookie

    partner = make_partner("bench-review")
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        version = version_create(actor=partner.owner, shot=partner.shot, source="upload")
        session = session_create(
            actor=members_of_current_organization().get(user=partner.owner),
            project=partner.project,
            title="bench room",
            version_ids=[version.pk],
        )
    return session, version, session_cookie(partner.owner)


async def _room_latencies(
    urls: list[str], session_id: int, version_id: int, cookie: str, clients: int, notes: int
) -> list[float]:
    import websockets

    sockets = []
    for index in range(clients):
        url = urls[index % len(urls)]
        socket = await websockets.connect(
            url.replace("http", "ws") + f"/ws/review/{session_id}/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=url,  # type: ignore[arg-type]
            max_queue=None,
        )
        sockets.append(socket)
    # Measure only once every client has joined and received its state snapshot.
    for socket in sockets:
        while json.loads(await socket.recv())["type"] != "state":
            pass
    sent: dict[str, float] = {}
    latencies: list[float] = []
    expected = notes * (clients - 1)
    done = asyncio.Event()

    async def listen(socket: Any, is_sender: bool) -> None:
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("type") == "note.created" and not is_sender:
                started = sent.get(frame.get("client_id") or "")
                if started is not None:
                    latencies.append((time.perf_counter() - started) * 1000)
                    if len(latencies) >= expected:
                        done.set()

    await asyncio.sleep(1.0)
    listeners = [asyncio.create_task(listen(s, i == 0)) for i, s in enumerate(sockets)]
    sender = sockets[0]
    for index in range(notes):
        client_id = uuid.uuid4().hex
        sent[client_id] = time.perf_counter()
        await sender.send(
            json.dumps(
                {
                    "type": "note.create",
                    "version": version_id,
                    "frame_in": index,
                    "text": f"bench note {index}",
                    "client_id": client_id,
                }
            )
        )
        await asyncio.sleep(PACE_SECONDS)
    try:
        await asyncio.wait_for(done.wait(), timeout=30)
    finally:
        for task in listeners:
            task.cancel()
        for socket in sockets:
            await socket.close()
    return latencies


async def _bare_group_latencies(receivers: int, messages: int) -> list[float]:
    from channels_redis.core import RedisChannelLayer
    from django.conf import settings

    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    layers = [RedisChannelLayer(**config), RedisChannelLayer(**config)]
    group = f"bench.bare.{uuid.uuid4().hex}"
    channels = []
    for index in range(receivers):
        layer = layers[index % 2]
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        channels.append((layer, channel))
    latencies: list[float] = []

    async def receive(layer: Any, channel: str) -> None:
        for _ in range(messages):
            message = await layer.receive(channel)
            latencies.append((time.perf_counter() - message["sent"]) * 1000)

    tasks = [asyncio.create_task(receive(layer, channel)) for layer, channel in channels]
    await asyncio.sleep(0.2)
    for _ in range(messages):
        await layers[0].group_send(group, {"type": "bench", "sent": time.perf_counter()})
        await asyncio.sleep(PACE_SECONDS)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    for layer, channel in channels:
        await layer.group_discard(group, channel)
    for layer in layers:
        await layer.flush()
    return latencies


def _rows(
    prefix: str, latencies: list[float], baseline: list[float], settings: dict[str, Any]
) -> list[dict[str, Any]]:
    p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
    b50, b99 = statistics.median(baseline), _percentile(baseline, 0.99)
    row = {"unit": "ms", "better": "lower", "settings": settings}
    return [
        {**row, "name": f"{prefix}.p50_ms", "value": p50, "baseline": b50},
        {**row, "name": f"{prefix}.p99_ms", "value": p99, "baseline": b99},
        {**row, "name": f"{prefix}.bare_group_send.p50_ms", "value": b50, "baseline": None},
        {**row, "name": f"{prefix}.bare_group_send.p99_ms", "value": b99, "baseline": None},
        {
            **row,
            "name": f"{prefix}.p99_ratio",
            "value": p99 / b99 if b99 else float("inf"),
            "unit": "x",
            "baseline": 1.0,
        },
    ]


def run() -> list[dict[str, Any]]:
    from tests.live_server import asgi_servers

    session, version, cookie = _setup()
    rows: list[dict[str, Any]] = []
    with asgi_servers(2) as urls:
        for clients, notes in NOTES.items():
            latencies = asyncio.run(
                _room_latencies(urls, session.pk, version.pk, cookie, clients, notes)
            )
            baseline = asyncio.run(_bare_group_latencies(clients - 1, notes))
            settings = {
                "clients": clients,
                "notes": notes,
                "servers": len(urls),
                "samples": len(latencies),
                "baseline_samples": len(baseline),
                "pace_ms": PACE_SECONDS * 1000,
            }
            rows.extend(_rows(f"review.broadcast_{clients}", latencies, baseline, settings))
    return rows


if __name__ == "__main__":
    import django

    django.setup()
    for result in run():
        print(f"{result['name']}: {result['value']:.3f} {result['unit']}")
