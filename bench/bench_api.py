"""REST API: the hot routes of a pipeline script, on two uvicorn processes (as deployed).

Rows (each the median over ROUNDS interleaved rounds, with the per-round values, their
spread and the load average at the start and the end of the benchmark in `settings`):

- `api.list_shots_1000.p50_ms` / `.c8.rps`: all 1000 shots of a project (10 sequences of
  100), one page of 1000 when the API allows it, else pages of its largest size;
  one client, then 8 concurrent clients (req/s = whole lists per second).
- `api.get_shot.p50_ms` / `.c8.rps`: one shot by id, one client, then 8 clients.
- `api.create_shot.p50_ms`: POST a new shot.
- `api.note_event.p50_ms` / `.p99_ms`: POST a note on a version shown in a live review
  session; time until a second client's websocket (on the other server) receives it.
- `api.queries.get_shot`: SQL statements run by one shot read (in this process, counted
  with Django's query log; a multi-statement round trip counts once).
- `api.get_shot.overhead_ratio`: Backlot's shot read p50 / a bare Django view's p50
  (no middleware, no DRF, no authentication: bench/bare) returning the same JSON from the
  same database, the two interleaved A, B, A, B... in every round.

Every client authenticates with a personal API token, like a pipeline script.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

ROUNDS = 5
SEQUENCES, SHOTS_PER_SEQUENCE = 10, 100
CLIENTS = 8
LOAD_SECONDS = 2.5
GET_SAMPLES = 40
LIST_SAMPLES = 6
CREATE_SAMPLES = 12
NOTE_SAMPLES = 20
NOTE_PACE_SECONDS = 0.05
# Servers run as deployed: with their connection pool (off by default in the test env).
POOLED = {"DATABASE_POOL": "1"}
# The side-by-side run of issue 18 (Zou 1.0.97 on the same machine), for reading the rows.
ZOU = {
    "api.list_shots_1000.p50_ms": 48.1,
    "api.list_shots_1000.c8.rps": 17.7,
    "api.get_shot.p50_ms": 2.4,
    "api.get_shot.c8.rps": 623.0,
    "api.create_shot.p50_ms": 13.9,
    "api.note_event.p50_ms": 17.5,
}


@dataclass
class Fixture:
    slug: str
    organization_id: int
    project_id: int
    sequence_id: int
    shot_id: int
    version_id: int
    session_id: int
    token: str
    cookie: str


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _setup() -> Fixture:
    from django.core.management import call_command

    call_command("migrate", database="owner", verbosity=0, interactive=False)
    from apps.accounts.services import api_token_create
    from apps.production.services import (
        project_create,
        sequence_create,
        shot_create,
        version_create,
    )
    from apps.review.sessions import session_create
    from apps.tenancy.scope import tenant_scope
    from apps.tenancy.selectors import members_of_current_organization
    from tests.factories import make_partner
    from tests.review.conftest import session_cookie

    partner = make_partner("bench-api")
    owner = partner.owner
    with tenant_scope(partner.organization.pk, user_id=owner.pk):
        project = project_create(actor=owner, name=f"bench api {uuid.uuid4().hex[:6]}")
        shot = None
        for s in range(SEQUENCES):
            sequence = sequence_create(actor=owner, project=project, code=f"SQ{s + 1:03d}0")
            for i in range(SHOTS_PER_SEQUENCE):
                shot = shot_create(
                    actor=owner,
                    sequence=sequence,
                    code=f"SH{i + 1:03d}0",
                    cut_in=1001,
                    cut_out=1001 + 24 + i,
                )
        assert shot is not None
        version = version_create(actor=owner, shot=shot, source="upload")
        session = session_create(
            actor=members_of_current_organization().get(user=owner),
            project=project,
            title="bench notes",
            version_ids=[version.pk],
        )
    _, token = api_token_create(user=owner, name="bench api")
    return Fixture(
        slug=partner.organization.slug,
        organization_id=partner.organization.pk,
        project_id=project.pk,
        sequence_id=sequence.pk,
        shot_id=shot.pk,
        version_id=version.pk,
        session_id=session.pk,
        token=token,
        cookie=session_cookie(owner),
    )


@contextmanager
def _bare_server() -> Iterator[str]:
    """bench/bare on its own uvicorn process, same database and services."""
    from tests.live_server import _wait_until_healthy, child_environment, free_port

    port = free_port()
    env = child_environment(POOLED)
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--no-access-log"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                import urllib.request

                urllib.request.urlopen(url + "/bare/shots/0/0/", timeout=1)
            except OSError as error:
                if getattr(error, "code", None) == 404:
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    _wait_until_healthy(process, url, log)  # raises with the log
                time.sleep(0.2)
            else:
                break
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


# --- operations (async: one httpx client per simulated pipeline script) -----------------


def _headers(fixture: Fixture) -> dict[str, str]:
    return {"Authorization": f"Bearer {fixture.token}"}


async def _list_all(client: Any, base: str, fixture: Fixture) -> int:
    url = f"{base}/api/v1/orgs/{fixture.slug}/projects/{fixture.project_id}/shots/"
    response = await client.get(url, params={"page_size": 1000})
    if response.status_code == 400:  # a page of 1000 is refused: the largest pages
        rows = 0
        next_url: str | None = url + "?page_size=500"
        while next_url:
            page = await client.get(next_url)
            page.raise_for_status()
            body = page.json()
            rows += len(body["results"])
            next_url = body.get("next")
        return rows
    response.raise_for_status()
    return len(response.json()["results"])


async def _get_shot(client: Any, base: str, fixture: Fixture) -> int:
    url = (
        f"{base}/api/v1/orgs/{fixture.slug}/projects/{fixture.project_id}/shots/{fixture.shot_id}/"
    )
    response = await client.get(url)
    response.raise_for_status()
    return 1


async def _bare_shot(client: Any, base: str, fixture: Fixture) -> int:
    response = await client.get(f"{base}/bare/shots/{fixture.organization_id}/{fixture.shot_id}/")
    response.raise_for_status()
    return 1


async def _create_shot(client: Any, base: str, fixture: Fixture) -> int:
    url = f"{base}/api/v1/orgs/{fixture.slug}/projects/{fixture.project_id}/shots/"
    body = {
        "sequence": fixture.sequence_id,
        "code": f"B{uuid.uuid4().hex[:10]}",
        "cut_in": 1001,
        "cut_out": 1040,
    }
    response = await client.post(url, json=body)
    response.raise_for_status()
    return 1


Op = Callable[[Any, str, Fixture], Awaitable[int]]


async def _sequential(op: Op, bases: list[str], fixture: Fixture, samples: int) -> list[float]:
    import httpx

    timings: list[float] = []
    async with httpx.AsyncClient(headers=_headers(fixture), timeout=60) as client:
        for base in bases:  # warm each server's connection and caches
            await op(client, base, fixture)
        for index in range(samples):
            started = time.perf_counter()
            await op(client, bases[index % len(bases)], fixture)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


async def _load(op: Op, bases: list[str], fixture: Fixture, clients: int) -> float:
    """Operations per second completed by `clients` concurrent clients in LOAD_SECONDS."""
    import httpx

    done = 0
    ready = asyncio.Barrier(clients + 1)
    window: dict[str, float] = {}

    async def one(index: int) -> None:
        nonlocal done
        async with httpx.AsyncClient(headers=_headers(fixture), timeout=60) as client:
            base = bases[index % len(bases)]
            await op(client, base, fixture)  # connect outside the window
            await ready.wait()
            while time.perf_counter() < window["stop"]:
                await op(client, base, fixture)
                done += 1

    tasks = [asyncio.create_task(one(i)) for i in range(clients)]
    window["stop"] = float("inf")
    await ready.wait()
    started = time.perf_counter()
    window["stop"] = started + LOAD_SECONDS
    await asyncio.gather(*tasks)
    # Operations finished inside the window, over the time until the last one returned.
    return done / (time.perf_counter() - started)


async def _note_latencies(bases: list[str], fixture: Fixture, samples: int) -> list[float]:
    """POST a note to one server; a second client's websocket on the other receives it."""
    import httpx
    import websockets

    ws_base = bases[-1].replace("http", "ws")
    socket = await websockets.connect(
        f"{ws_base}/ws/review/{fixture.session_id}/",
        additional_headers={"Cookie": f"sessionid={fixture.cookie}"},
        origin=bases[-1],  # type: ignore[arg-type]
        max_queue=None,
    )
    while json.loads(await socket.recv())["type"] != "state":
        pass
    sent: dict[str, float] = {}
    latencies: list[float] = []
    complete = asyncio.Event()

    async def listen() -> None:
        async for raw in socket:
            frame = json.loads(raw)
            if frame.get("type") == "note.created":
                started = sent.get(frame["note"]["text"])
                if started is not None:
                    latencies.append((time.perf_counter() - started) * 1000)
                    if len(latencies) >= samples:
                        complete.set()

    listener = asyncio.create_task(listen())
    url = f"{bases[0]}/api/v1/orgs/{fixture.slug}/versions/{fixture.version_id}/notes/"
    async with httpx.AsyncClient(headers=_headers(fixture), timeout=60) as client:
        for index in range(samples):
            text = f"bench note {uuid.uuid4().hex}"
            sent[text] = time.perf_counter()
            body = {"frame_in": index % 20, "text": text, "session": fixture.session_id}
            response = await client.post(url, json=body)
            response.raise_for_status()
            await asyncio.sleep(NOTE_PACE_SECONDS)
        try:
            await asyncio.wait_for(complete.wait(), timeout=30)
        finally:
            listener.cancel()
            await socket.close()
    return latencies


def _queries_per_shot_read(fixture: Fixture) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {fixture.token}", HTTP_HOST="localhost")
    url = f"/api/v1/orgs/{fixture.slug}/projects/{fixture.project_id}/shots/{fixture.shot_id}/"
    assert client.get(url).status_code == 200  # warm: the token's last use is recorded
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


# --- rows ----------------------------------------------------------------------------------


def _row(
    name: str, per_round: list[float], unit: str, better: str, common: dict[str, Any]
) -> dict[str, Any]:
    value = statistics.median(per_round)
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "better": better,
        "baseline": None,
        "settings": {
            **common,
            "rounds": [round(v, 3) for v in per_round],
            "spread": round(max(per_round) - min(per_round), 3),
            "spread_pct": round(100 * (max(per_round) - min(per_round)) / value, 1)
            if value
            else None,
            "zou_reference": ZOU.get(name),
        },
    }


def run() -> list[dict[str, Any]]:
    import logging

    from tests.live_server import asgi_servers

    logging.getLogger("httpx").setLevel(logging.WARNING)

    load_start = os.getloadavg()[0]
    fixture = _setup()
    queries = _queries_per_shot_read(fixture)
    series: dict[str, list[float]] = {
        name: []
        for name in (
            "list_p50",
            "list_rps",
            "get_p50",
            "get_rps",
            "bare_p50",
            "ratio",
            "create_p50",
            "note_p50",
            "note_p99",
        )
    }
    with asgi_servers(2, env=POOLED) as bases, _bare_server() as bare:
        for _ in range(ROUNDS):
            # A (Backlot) and B (bare view) back to back, in every round.
            get = asyncio.run(_sequential(_get_shot, bases, fixture, GET_SAMPLES))
            plain = asyncio.run(_sequential(_bare_shot, [bare], fixture, GET_SAMPLES))
            series["get_p50"].append(statistics.median(get))
            series["bare_p50"].append(statistics.median(plain))
            series["ratio"].append(statistics.median(get) / statistics.median(plain))
            lists = asyncio.run(_sequential(_list_all, bases, fixture, LIST_SAMPLES))
            series["list_p50"].append(statistics.median(lists))
            series["get_rps"].append(asyncio.run(_load(_get_shot, bases, fixture, CLIENTS)))
            series["list_rps"].append(asyncio.run(_load(_list_all, bases, fixture, CLIENTS)))
            creates = asyncio.run(_sequential(_create_shot, bases, fixture, CREATE_SAMPLES))
            series["create_p50"].append(statistics.median(creates))
            notes = asyncio.run(_note_latencies(bases, fixture, NOTE_SAMPLES))
            series["note_p50"].append(statistics.median(notes))
            series["note_p99"].append(_percentile(notes, 0.99))
    common = {
        "rounds_count": ROUNDS,
        "servers": 2,
        "clients": CLIENTS,
        "shots": SEQUENCES * SHOTS_PER_SEQUENCE,
        "load_avg_start": round(load_start, 2),
        "load_avg_end": round(os.getloadavg()[0], 2),
    }
    rows = [
        _row("api.list_shots_1000.c8.rps", series["list_rps"], "req/s", "higher", common),
        _row("api.list_shots_1000.p50_ms", series["list_p50"], "ms", "lower", common),
        _row("api.get_shot.c8.rps", series["get_rps"], "req/s", "higher", common),
        _row("api.get_shot.p50_ms", series["get_p50"], "ms", "lower", common),
        _row("api.get_shot.bare_view.p50_ms", series["bare_p50"], "ms", "lower", common),
        _row("api.create_shot.p50_ms", series["create_p50"], "ms", "lower", common),
        _row("api.note_event.p50_ms", series["note_p50"], "ms", "lower", common),
        _row("api.note_event.p99_ms", series["note_p99"], "ms", "lower", common),
        _row("api.queries.get_shot", [float(queries)], "statements", "lower", common),
        _row("api.get_shot.overhead_ratio", series["ratio"], "x", "lower", common),
    ]
    rows[-1]["baseline"] = 1.0
    return rows


if __name__ == "__main__":
    import django

    django.setup()
    for result in run():
        spread = result["settings"]["spread"]
        print(f"{result['name']}: {result['value']:.3f} {result['unit']} (spread {spread})")
