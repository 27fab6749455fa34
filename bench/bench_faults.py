"""Faults: how long a live review room takes to work again after a Valkey restart.

One uvicorn process on a private Valkey, with the production presence heartbeat (5 s) so
that recovery comes from the channel layer's reconnect, not from the heartbeat's log
check. Two sockets in one room; Valkey is killed (SIGKILL), a note is written during the
outage (stored and acknowledged), Valkey is started again on the same port (empty).

`faults.valkey_restart.room_recovery_s` = from Valkey answering again until the other
socket has the note written during the outage and a new note travels live between the two
sockets (goal: at most 2 s; baseline: the goal).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from typing import Any

RUNS = 3
GOAL_SECONDS = 2.0


async def _one_restart(
    url: str, session_id: int, version_id: int, cookie: str, valkey: Any
) -> float:
    import websockets

    def connect() -> Any:
        return websockets.connect(
            url.replace("http", "ws") + f"/ws/review/{session_id}/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=url,  # type: ignore[arg-type]
        )

    async def until(socket: Any, kind: str, client_id: str) -> None:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 30))
            if frame["type"] == kind and frame.get("client_id") == client_id:
                return

    def note(client_id: str) -> str:
        return json.dumps({"type": "note.create", "version": version_id, "frame_in": 0,
                           "text": "bench fault", "client_id": client_id})  # fmt: skip

    async with connect() as writer, connect() as reader:
        during, after = uuid.uuid4().hex, uuid.uuid4().hex
        valkey.kill()
        await writer.send(note(during))
        await until(writer, "ack", during)
        await asyncio.sleep(1.0)
        valkey.start()
        back = time.monotonic()
        await until(reader, "note.created", during)
        await writer.send(note(after))
        await until(reader, "note.created", after)
        return time.monotonic() - back


def run() -> list[dict[str, Any]]:
    from bench.bench_review import _setup
    from tests.review.test_faults import PrivateValkey, server

    session, version, cookie = _setup()
    valkey = PrivateValkey()
    valkey.start()
    samples: list[float] = []
    try:
        with server(valkey, heartbeat="5", ttl="15") as (url, _):
            for _ in range(RUNS):
                samples.append(
                    asyncio.run(_one_restart(url, session.pk, version.pk, cookie, valkey))
                )
    finally:
        valkey.kill()
    return [
        {
            "name": "faults.valkey_restart.room_recovery_s",
            "value": max(samples),
            "unit": "s",
            "better": "lower",
            "baseline": GOAL_SECONDS,
            "settings": {
                "runs": RUNS,
                "samples_s": [round(s, 3) for s in samples],
                "median_s": round(statistics.median(samples), 3),
                "heartbeat_s": 5,
            },
        }
    ]


if __name__ == "__main__":
    import django

    django.setup()
    for result in run():
        print(f"{result['name']}: {result['value']:.3f} {result['unit']}")
