from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TypedDict

import av
import numpy as np
import PyOpenColorIO as ocio
import pytest

from apps.core import colorspace
from apps.media import proxy, samples
from apps.media.pipeline import frame_label
from apps.production.services import project_create, sequence_create, shot_create
from apps.tenancy.scope import tenant_scope
from tests.factories import World


class _SourceArgs(TypedDict):
    fmt: str
    width: int
    height: int
    frame_count: int


class _OptionArgs(TypedDict):
    frame_rate: Fraction
    color_space: str


def _first_frame(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        return frame.to_ndarray(format="rgb24").astype(np.int16)


def test_proxy_is_fast_start_short_gop_and_conformed(tmp_path: Path) -> None:
    source = samples.make_movie(
        tmp_path / "s.mov", codec="prores", frames=30, width=640, height=360
    )
    out = tmp_path / "out"
    out.mkdir()
    result = proxy.build_proxy(
        source,
        fmt="quicktime",
        width=640,
        height=360,
        frame_count=30,
        out_dir=out,
        options=proxy.ProxyOptions(
            frame_rate=Fraction(24000, 1001), color_space="Rec.1886 Rec.709 - Display", gop=6
        ),
    )
    data = result.video.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    with av.open(str(result.video)) as container:
        stream = container.streams.video[0]
        assert stream.average_rate == Fraction(24000, 1001)
        keyframes = [i for i, p in enumerate(container.demux(stream)) if p.is_keyframe]
    assert keyframes[:5] == [0, 6, 12, 18, 24]
    assert result.frames == 30 and (result.width, result.height) == (640, 360)
    assert result.filmstrip_tiles == 10


def test_log_and_linear_sources_go_through_the_display_transform(tmp_path: Path) -> None:
    source = samples.make_movie(tmp_path / "s.mov", codec="prores", frames=2)
    frames = {}
    for space in ("Rec.1886 Rec.709 - Display", "ARRI LogC4"):
        out = tmp_path / space.replace(" ", "_")
        out.mkdir()
        result = proxy.build_proxy(
            source,
            fmt="quicktime",
            width=320,
            height=180,
            frame_count=2,
            out_dir=out,
            options=proxy.ProxyOptions(frame_rate=Fraction(24), color_space=space),
        )
        frames[space] = _first_frame(result.video)
        assert ("→ sRGB - Display" in result.color_transform) == (space == "ARRI LogC4")
    # The log image is brighter and more contrasty on a display than read as video.
    assert np.abs(frames["ARRI LogC4"] - frames["Rec.1886 Rec.709 - Display"]).mean() > 10


@pytest.mark.parametrize("space", ["ARRI LogC4", "ACEScg"])
def test_baked_display_lut_matches_the_exact_transform(space: str) -> None:
    config = colorspace.ocio_config()
    display = config.getDefaultDisplay()
    exact = config.getProcessor(
        ocio.DisplayViewTransform(src=space, display=display, view=config.getDefaultView(display))
    ).getDefaultCPUProcessor()
    rng = np.random.default_rng(7)
    pixels = rng.random((4000, 3), dtype=np.float32) * (4.0 if space == "ACEScg" else 1.0)
    expected, got = pixels.copy(), pixels.copy()
    exact.applyRGB(expected)
    proxy._display_processor(space).applyRGB(got)
    error = np.abs(expected - got)
    assert error.mean() < 0.003 and np.percentile(error, 99) < 0.03


def test_exr_still_gets_a_one_frame_proxy(tmp_path: Path) -> None:
    exr = samples.make_exr(tmp_path / "e.exr", width=200, height=100)
    out = tmp_path / "out"
    out.mkdir()
    result = proxy.build_proxy(
        exr,
        fmt="exr",
        width=200,
        height=100,
        frame_count=1,
        out_dir=out,
        options=proxy.ProxyOptions(frame_rate=Fraction(25), color_space="ACEScg"),
    )
    frame = _first_frame(result.video)
    assert result.frames == 1 and frame.shape == (100, 200, 3)
    assert 20 < frame.mean() < 235  # tone-mapped, not clipped to white


@pytest.mark.django_db
def test_timecode_burn_in_labels_record_timecode_and_frame(world: World, tmp_path: Path) -> None:
    with tenant_scope(world.a.organization.pk):
        project = project_create(
            actor=world.a.owner,
            name="Burn",
            frame_rate="30000/1001",
            start_timecode="00:59:59;28",
            burn_in_timecode=True,
        )
        sequence = sequence_create(actor=world.a.owner, project=project, code="SQ1")
        shot = shot_create(actor=world.a.owner, sequence=sequence, code="S1", cut_in=0, cut_out=9)
        from apps.media.models import MediaFile
        from apps.production.services import version_create

        version = version_create(actor=world.a.owner, shot=shot, source="upload")
        media = MediaFile(project=project, organization_id=project.organization_id)
        label = frame_label(version, media)
    assert label is not None
    # Drop-frame: 00:59:59;29 is followed by 01:00:00;00 (no frames dropped at minute 0).
    assert [label(i) for i in range(3)] == [
        "00:59:59;28   0",
        "00:59:59;29   1",
        "01:00:00;00   2",
    ]
    source = samples.make_movie(tmp_path / "s.mov", codec="h264", frames=3)
    plain, burnt = tmp_path / "plain", tmp_path / "burnt"
    plain.mkdir()
    burnt.mkdir()
    common: _SourceArgs = {"fmt": "quicktime", "width": 320, "height": 180, "frame_count": 3}
    options: _OptionArgs = {
        "frame_rate": project.frame_rate,
        "color_space": "Rec.1886 Rec.709 - Display",
    }
    a = proxy.build_proxy(source, out_dir=plain, options=proxy.ProxyOptions(**options), **common)
    b = proxy.build_proxy(
        source,
        out_dir=burnt,
        options=proxy.ProxyOptions(**options, frame_label=label),
        **common,
    )
    difference = np.abs(_first_frame(a.video) - _first_frame(b.video))
    assert difference[-40:, :, :].mean() > difference[:100, :, :].mean() + 5  # text at the bottom
