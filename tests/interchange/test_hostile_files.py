"""Hostile edit files are read in a capped child process: they answer 400 with a reason,
the server process lives on and a request served at the same time keeps answering."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from typing import Any

import httpx
import pytest

from apps.accounts.services import api_token_create
from apps.core.errors import ValidationFailed
from apps.interchange.isolate import ReadLimits, read_edit_isolated
from tests.factories import make_partner
from tests.interchange.test_cut_scale import _edl as big_edl
from tests.live_server import asgi_servers

# 200 KB of JSON nested 100,000 deep: OTIO's native reader overflowed its stack on it and
# took the web process down.
NESTED_OTIO = (
    b'{"OTIO_SCHEMA": "Timeline.1", "name": "deep", "tracks": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}"
)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xmeml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xmeml version="4"><sequence><name>&lol9;</name></sequence></xmeml>
"""
DEEP_XML = b'<?xml version="1.0"?><xmeml version="4">' + b"<a>" * 50_000 + b"</a>" * 50_000
DEEP_XML += b"</xmeml>"


@pytest.mark.usefixtures("committed_db")
def test_hostile_files_answer_400_while_another_request_keeps_answering() -> None:
    partner = make_partner("hostile-cut")
    _, token = api_token_create(user=partner.owner, name="hostile")
    headers = {"Authorization": f"Bearer {token}"}
    org, project = partner.organization.slug, partner.project.pk
    answers: dict[str, Any] = {}

    with asgi_servers(1) as (url,), httpx.Client(base_url=url, headers=headers) as client:
        projects = f"/api/v1/orgs/{org}/projects/"
        assert client.get(projects).status_code == 200

        def upload(name: str, data: bytes) -> None:
            with httpx.Client(base_url=url, headers=headers, timeout=120) as own:
                answers[name] = own.post(
                    f"/api/v1/orgs/{org}/projects/{project}/cut-imports/",
                    files={"file": (name, data)},
                    data={"sequence_code": "SQ666"},
                )

        threads = [
            threading.Thread(target=upload, args=(name, data))
            for name, data in (
                ("deep.otio", NESTED_OTIO),
                ("laughs.xml", BILLION_LAUGHS),
                ("deep.xml", DEEP_XML),
            )
        ]
        for thread in threads:
            thread.start()
        slowest = 0.0
        while any(thread.is_alive() for thread in threads):
            started = time.monotonic()
            assert client.get(projects, timeout=30).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
        for thread in threads:
            thread.join()
        # Generous for a shared 2-core machine; the old reader hung the process for minutes.
        assert slowest < 10, slowest
        for name in ("deep.otio", "laughs.xml", "deep.xml"):
            assert answers[name].status_code == 400, (name, answers[name].text[:300])
        assert "deeper than 200 levels" in answers["deep.otio"].text
        assert "deeper than 200 levels" in answers["deep.xml"].text
        assert "entities" in answers["laughs.xml"].text.lower()
        # The same server process is still there and answering.
        assert client.get(projects).status_code == 200


def _edl(events: int) -> bytes:
    lines = ["TITLE: MANY", "FCM: NON-DROP FRAME"]
    for i in range(1, events + 1):
        lines.append(
            f"{i:03d}  AX       V     C        01:00:{i:02d}:00 01:00:{i:02d}:10"
            f" 01:00:{i:02d}:00 01:00:{i:02d}:10"
        )
        lines.append(f"* FROM CLIP NAME: SH{i:03d}")
    return ("\n".join(lines) + "\n").encode()


def test_event_count_size_and_time_limits_refuse_with_the_limit_named() -> None:
    rate = Fraction(24)
    assert len(read_edit_isolated(_edl(12), "edl", rate).placements) == 12
    with pytest.raises(ValidationFailed, match="holds 12 events; at most 10"):
        read_edit_isolated(_edl(12), "edl", rate, ReadLimits(max_events=10))
    with pytest.raises(ValidationFailed, match="limited to 1 MB"):
        read_edit_isolated(b"x" * (1024 * 1024 + 1), "edl", rate, ReadLimits(max_bytes=1 << 20))
    # 2 MB of EDL (20,000 events) needs more than 64 MiB of address space to read: refused
    # with the limit named, the caller lives on.
    with pytest.raises(ValidationFailed, match="more than 64 MiB of memory") as refused:
        read_edit_isolated(big_edl(), "edl", Fraction(25), ReadLimits(memory_mb=64))
    assert refused.value.field == "file"
    # A reader stuck on a file is stopped at its CPU limit (here: 1 s, for ~2 s of work).
    with pytest.raises(ValidationFailed, match="more than 1 s of CPU time"):
        read_edit_isolated(big_edl(), "edl", Fraction(25), ReadLimits(cpu_seconds=1))
