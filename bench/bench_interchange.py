"""Editorial interchange at scale (issue 14): a 20,000-event CMX 3600 EDL (25 fps, one
10-frame shot per event, each with a clip name, reel and source range) imported into a
fresh project.

- interchange.plan_20000.s: `cut_import_preview` (read the EDL, plan every shot against the
  project, store the plan), wall time.
- interchange.apply_20000.s: `cut_import_apply` of that plan (20,000 new shots, their
  sequence and editorial records, in one transaction), wall time.

No comparison in the same run, so no baseline (before the bulk service, applying 20,000
events took 142 s and 200 new shots 10.9 s).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

EVENTS = 20_000
LENGTH = 10
RATE = 25
REPEATS = int(os.environ.get("BENCH_INTERCHANGE_REPEATS", "1"))


def _tc(frames: int) -> str:
    seconds, ff = divmod(frames, RATE)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


def edl(events: int = EVENTS) -> bytes:
    record0, source0 = 3600 * RATE, 10 * 3600 * RATE
    lines = ["TITLE: BENCH CUT", "FCM: NON-DROP FRAME", ""]
    for i in range(1, events + 1):
        offset = (i - 1) * LENGTH
        lines.append(
            f"{i:06d}  R{i % 7:<7} V     C        {_tc(source0 + offset)} "
            f"{_tc(source0 + offset + LENGTH)} {_tc(record0 + offset)} "
            f"{_tc(record0 + offset + LENGTH)}"
        )
        lines.append(f"* FROM CLIP NAME: SC{i:05d}")
    return ("\n".join(lines) + "\n").encode()


def run() -> list[dict[str, Any]]:
    from django.core.management import call_command

    call_command("migrate", database="owner", verbosity=0, interactive=False)
    from apps.interchange.services import cut_import_apply, cut_import_preview
    from apps.production.services import project_create
    from apps.tenancy.scope import tenant_scope
    from tests.factories import make_partner

    partner = make_partner("bench-interchange")
    data = edl()
    plans: list[float] = []
    applies: list[float] = []
    with tenant_scope(partner.organization.pk, user_id=partner.owner.pk):
        for repeat in range(REPEATS):
            project = project_create(
                actor=partner.owner, name=f"bench cut {repeat}", frame_rate=str(RATE)
            )
            started = time.perf_counter()
            cut = cut_import_preview(
                actor=partner.owner,
                project=project,
                filename="bench.edl",
                data=data,
                sequence_code="SQ900",
            )
            plans.append(time.perf_counter() - started)
            started = time.perf_counter()
            cut_import_apply(actor=partner.owner, cut_import=cut)
            applies.append(time.perf_counter() - started)
    settings = {
        "events": EVENTS,
        "frame_rate": RATE,
        "frames_per_event": LENGTH,
        "edl_bytes": len(data),
        "repeats": REPEATS,
        "statistic": "median",
        "new_shots": EVENTS,
    }
    row = {"unit": "s", "better": "lower", "baseline": None, "settings": settings}
    return [
        {**row, "name": "interchange.plan_20000.s", "value": statistics.median(plans)},
        {**row, "name": "interchange.apply_20000.s", "value": statistics.median(applies)},
    ]


if __name__ == "__main__":
    import django

    django.setup()
    for result in run():
        print(result)
