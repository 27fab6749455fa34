"""Demo media: short low-res clips rendered procedurally and ingested through the real
pipeline, so the demo project has playable versions on every laptop."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

from apps.media import samples
from apps.media.ingest import media_ingest_file
from apps.media.pipeline import media_make_proxy
from apps.media.uploads import media_validate
from apps.production.models import Project
from apps.tenancy.scope import require_scope

# (shot index, generator, file name, source colour space, versions)
DEMO_MEDIA = [
    (0, "prores", "EF_010_plate.mov", "", 2),
    (1, "h264", "EF_020_plate.mov", "", 1),
    (2, "exr", "EF_030_crowd_element.exr", "ACEScg", 1),
    (3, "prores_log", "EF_040_plate_logc4.mov", "ARRI LogC4", 1),
]


def seed_demo_media(*, project: Project, actor: Any, log: Any = print) -> int:
    """Short low-res clips rendered procedurally, ingested through the real pipeline:
    quarantine, validation (probe) and proxy (H.264, poster, filmstrip)."""
    organization_id = require_scope().organization_id
    shots = list(project.shots.order_by("sequence__code", "code")[: len(DEMO_MEDIA)])
    made = 0
    with tempfile.TemporaryDirectory(prefix="backlot-demo-") as work:
        for index, generator, filename, color_space, count in DEMO_MEDIA:
            if index >= len(shots):
                continue
            shot = shots[index]
            for take in range(count):
                path = Path(work) / f"{take}_{filename}"
                if generator == "exr":
                    samples.make_exr(path, width=480, height=270, index=take * 5)
                else:
                    samples.make_movie(
                        path,
                        codec="h264" if generator == "h264" else "prores",
                        frames=min(48, shot.frame_count),
                        width=480,
                        height=270,
                        rate=Fraction(24000, 1001),
                        seed=index * 3 + take,
                    )
                media = media_ingest_file(
                    actor=actor,
                    shot=shot,
                    path=path,
                    filename=filename,
                    color_space=color_space,
                    description=f"{filename} (take {take + 1})",
                )
                media_validate(organization_id=organization_id, media_id=media.pk)
                media_make_proxy(organization_id=organization_id, media_id=media.pk)
                made += 1
            log(f"  {shot.code}: {count} version(s) with proxies from {filename}")
    return made
