"""Hostile files, written by hand (tests/media/hostile.py), are refused by their headers
with a reason naming what was found, before any decoder allocates their pixels; what a
decoder still has to do runs in a capped child process, so a bomb costs the worker
nothing. Expected reasons are worked out from the bytes each test writes."""

from __future__ import annotations

import resource
import time
import zlib
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from apps.media.headers import Limits
from apps.media.sandbox import Sandbox
from apps.media.validation import MediaRejected, inspect_file
from tests.media import hostile as h

POLYGLOT = "files with trailing data (polyglots) are not accepted."
EXPORT = "export ProRes or DNxHR (or H.264/H.265 for references)."


def _reason(tmp_path: Path, name: str, data: bytes, **kwargs: object) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(MediaRejected) as refused:
        inspect_file(path, filename=name, **kwargs)  # type: ignore[arg-type]
    return refused.value.reason


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- limits read from headers --------------------------------------------------------------


def test_a_40000_square_png_is_refused_from_its_header_without_decoding(tmp_path: Path) -> None:
    # 40000 x 40000 = 1.6e9 pixels, 1 bit each: a 200 MB bomb once inflated, more as RGBA.
    bomb = h.png(40000, 40000, depth=1, idat=zlib.compress(b"\x00" * 1000))
    before, started = _max_rss_mib(), time.monotonic()
    reason = _reason(tmp_path, "bomb.png", bomb, sandbox=Sandbox())
    assert reason == (
        "The image is 40000×40000 (1.6 gigapixels); the limit is 16384×16384 and 80 megapixels."
    )
    assert time.monotonic() - started < 2.0  # no decoder ran (not even the sandbox)
    assert _max_rss_mib() - before < 50


def test_an_exr_declaring_100k_square_is_refused_before_any_allocation(tmp_path: Path) -> None:
    # Only the header: magic, version 2, attributes with dataWindow (0,0)-(99999,99999).
    header = h.EXR_MAGIC + (2).to_bytes(4, "little") + h.exr_header(100_000, 100_000)
    before = _max_rss_mib()
    reason = _reason(tmp_path, "huge.exr", header, sandbox=Sandbox())
    assert reason == (
        "The image is 100000×100000 (10.0 gigapixels); the limit is 16384×16384 and 80 megapixels."
    )
    assert _max_rss_mib() - before < 50


def test_the_limits_are_configurable(tmp_path: Path) -> None:
    reason = _reason(tmp_path, "wide.exr", h.exr(64, 2), limits=Limits(max_width=32))
    assert reason == "The image is 64×2 (0.0 megapixels); the limit is 32×16384 and 80 megapixels."
    reason = _reason(tmp_path, "deep.exr", h.exr(2, 2, channels=("A", "B", "C")),
                     limits=Limits(max_channels=2))  # fmt: skip
    assert reason == "The image has 3 channels; the limit is 2."


def test_a_bomb_within_the_header_limits_is_stopped_by_the_memory_cap(tmp_path: Path) -> None:
    # 8000 x 8000 grey (64 megapixels, under the 80 MP limit) of zeros: 62 KB on disk,
    # 256 MB as float pixels. With a 300 MiB cap the child fails, this process does not.
    bomb = h.png(8000, 8000)
    reason = _reason(tmp_path, "dense.png", bomb, sandbox=Sandbox(memory_mb=300))
    assert reason == (
        "Decoding the file needed more than 300 MiB of memory (a decompression bomb or a"
        " corrupt file); it was refused."
    )
    small = tmp_path / "small.png"
    small.write_bytes(h.png(3, 2))
    assert inspect_file(small, filename="small.png", sandbox=Sandbox(memory_mb=300)).width == 3


# --- OpenEXR: a reason for each failure ----------------------------------------------------


def test_exr_failures_have_distinct_reasons(tmp_path: Path) -> None:
    whole = h.exr(2, 2)  # header H bytes, table 16, two chunks of 4 + 4 + 4 bytes
    head = h.exr_header_length(2, 2)
    assert len(whole) == head + 16 + 24
    cases = {
        head + 8: f"The EXR is truncated: the file ends at byte {head + 8}, inside its header"
        " or offset table.",
        head + 20: "The EXR is truncated: only 1 of its 2 pixel chunks are in the file.",
        head + 30: "The EXR is truncated: chunk 2 of 2 is cut off.",
        head + 36: f"The EXR is truncated: chunk 2 of 2 declares 4 bytes but the file ends at"
        f" byte {head + 36}.",
        20: "The EXR is truncated: the file ends at byte 20, inside its header or offset table.",
    }
    for cut, expected in cases.items():
        assert _reason(tmp_path, "cut.exr", whole[:cut]) == expected, cut
    compressed = h.EXR_MAGIC + (2).to_bytes(4, "little") + h.exr_header(2, 2, compression=42)
    assert _reason(tmp_path, "odd.exr", compressed) == (
        "The EXR uses compression #42, which is not supported (accepted: NONE, RLE, ZIPS, ZIP,"
        " PIZ, PXR24, B44, B44A, DWAA, DWAB, HTJ2K256, HTJ2K32)."
    )
    assert _reason(tmp_path, "parts.exr", h.exr_multipart(17)) == (
        "The EXR has more than 16 parts; the limit is 16."
    )
    assert _reason(tmp_path, "elf.exr", whole + h.ELF) == (
        f"The EXR has an ELF executable after its last pixel chunk (byte {len(whole)}): {POLYGLOT}"
    )
    bad_magic = b"\x76\x2f\x31\x02" + whole[4:]
    assert _reason(tmp_path, "magic.exr", bad_magic) == (
        "The file is named as a OpenEXR image but its content is no known media format"
        " (wrong magic bytes)."
    )


def test_a_hand_written_exr_passes_and_is_decoded_in_the_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "good.exr"
    path.write_bytes(h.exr(3, 4, channels=("B", "G", "R")))
    found = inspect_file(path, filename="good.exr", sandbox=Sandbox())
    assert (found.width, found.height, found.frame_count) == (3, 4, 1)
    assert found.details["compression"] == "none" and found.details["chunks"] == 4


# --- PNG, DPX ------------------------------------------------------------------------------


def test_png_structure_is_walked_to_its_end(tmp_path: Path) -> None:
    good = h.png(3, 2)
    # Signature 8, IHDR 25, then the IDAT chunk at byte 33: cut inside its data.
    cut = good[:41]
    idat_length = len(zlib.compress(b"\x00" * 8))
    assert _reason(tmp_path, "cut.png", cut) == (
        f"The PNG is truncated: its 'IDAT' chunk declares {idat_length} bytes but only 0 remain."
    )
    assert _reason(tmp_path, "html.png", good + h.HTML) == (
        f"The PNG has an HTML script after its IEND chunk (byte {len(good)}): {POLYGLOT}"
    )
    assert _reason(tmp_path, "junk.png", good + b"\x01\x02\x03") == (
        f"The PNG has 3 bytes of unknown data after its IEND chunk (byte {len(good)}): {POLYGLOT}"
    )


def test_dpx_header_sizes_must_agree_with_the_file(tmp_path: Path) -> None:
    good = h.dpx()  # 2048 + 4 x 2 x 4 = 2080 bytes
    assert _reason(tmp_path, "cut.dpx", good[:2070]) == (
        "The DPX is truncated: its header declares 2080 bytes, the file has 2070."
    )
    assert _reason(tmp_path, "elf.dpx", good + h.ELF) == (
        f"The DPX has an ELF executable after its declared end (byte 2080): {POLYGLOT}"
    )
    assert _reason(tmp_path, "big.dpx", h.dpx(20000, 10)) == (
        "The image is 20000×10 (0.2 megapixels); the limit is 16384×16384 and 80 megapixels."
    )


# --- movies: polyglots and the codec allow-list --------------------------------------------


def test_a_movie_with_an_elf_appended_is_refused(tmp_path: Path, prores: Path) -> None:
    data = prores.read_bytes()  # ftyp, wide, mdat, moov: the index is written last
    assert _reason(tmp_path, "elf.mov", data + h.ELF) == (
        f"The movie has an ELF executable after its 'moov' atom (byte {len(data)}): files with"
        " hidden or trailing data (polyglots) are not accepted."
    )
    assert _reason(tmp_path, "junk.mov", data + b"\x00\x01\x02\x03\x04") == (
        f"The movie has 5 bytes of unknown data after its 'moov' atom (byte {len(data)}):"
        f" {POLYGLOT}"
    )


def test_html_after_ftyp_or_inside_a_free_atom_is_refused(tmp_path: Path, prores: Path) -> None:
    rest = prores.read_bytes()[20:]
    assert _reason(tmp_path, "html.mp4", h.FTYP + h.HTML + rest) == (
        "The movie has an HTML document after its 'ftyp' atom (byte 20): files with hidden or"
        " trailing data (polyglots) are not accepted."
    )
    assert _reason(tmp_path, "free.mov", h.FTYP + h.atom(b"free", h.HTML) + rest) == (
        "The movie's 'free' atom (byte 20) holds an HTML script: files with hidden data"
        " (polyglots) are not accepted."
    )
    cut = h.FTYP + (1000).to_bytes(4, "big") + b"mdat" + b"\x00" * 10
    assert _reason(tmp_path, "cut.mov", cut) == (
        "The movie is truncated: its 'mdat' atom declares 1000 bytes but only 18 remain."
    )


def _movie(path: Path, encoder: str, pix_fmt: str) -> Path:
    import av

    with av.open(str(path), "w", format="mov") as output:
        stream: Any = output.add_stream(encoder, rate=Fraction(24))
        stream.width, stream.height, stream.pix_fmt = 64, 32, pix_fmt
        for index in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 64, 3), np.uint8), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return path


def test_codecs_outside_the_allow_list_are_refused_by_name(tmp_path: Path) -> None:
    mpeg4 = _movie(tmp_path / "divx.mov", "mpeg4", "yuv420p")
    with pytest.raises(MediaRejected) as refused:
        inspect_file(mpeg4, filename="divx.mov", sandbox=Sandbox())
    assert refused.value.reason == f"MPEG-4 Part 2 video is not accepted; {EXPORT}"
    uyvy = _movie(tmp_path / "raw.mov", "rawvideo", "uyvy422")
    with pytest.raises(MediaRejected) as refused:
        inspect_file(uyvy, filename="raw.mov", sandbox=Sandbox())
    assert refused.value.reason == (
        f"Uncompressed video (rawvideo, uyvy422) is not accepted in this project; {EXPORT}"
    )
    # A project policy may allow uncompressed video in MOV.
    allowed = inspect_file(
        uyvy, filename="raw.mov", limits=Limits(allow_uncompressed_video=True), sandbox=Sandbox()
    )
    assert (allowed.codec, allowed.frame_count) == ("rawvideo", 3)


def test_accepted_masters_still_pass(tmp_path: Path, prores: Path, exr: Path) -> None:
    from apps.media import samples

    h264 = samples.make_movie(tmp_path / "ref.mp4", codec="h264", frames=6, faststart=True)
    assert inspect_file(prores, filename="plate.mov", sandbox=Sandbox()).codec == "prores"
    assert inspect_file(h264, filename="ref.mp4", sandbox=Sandbox()).frame_count == 6
    assert inspect_file(exr, filename="element.exr", sandbox=Sandbox()).width == 320
    for name in ("still.png", "still.tif", "still.dpx", "still.jpg"):
        still = samples.make_still(tmp_path / name)
        assert inspect_file(still, filename=name, sandbox=Sandbox()).width == 320, name


def test_decoder_messages_never_show_a_server_path(tmp_path: Path) -> None:
    # A well-formed PNG structure whose IDAT is not zlib data: only the decoder notices.
    broken = h.png(3, 2, idat=b"not zlib at all")
    reason = _reason(tmp_path, "broken.png", broken, sandbox=Sandbox())
    assert str(tmp_path) not in reason and "/tmp" not in reason
    assert "broken.png" in reason or "truncated or corrupt" in reason


def test_matroska_elements_must_end_where_the_file_ends(tmp_path: Path) -> None:
    # EBML header: ID 1A45DFA3, size 0x84 (4 bytes) + 4 bytes; Segment: ID 18538067,
    # size 0x82 (2 bytes) + 2 bytes: 16 bytes in all.
    ebml = b"\x1a\x45\xdf\xa3\x84" + b"\x42\x86\x81\x01"
    segment = b"\x18\x53\x80\x67\x82" + b"\xec\x80"
    assert _reason(tmp_path, "elf.mkv", ebml + segment + h.ELF) == (
        f"The Matroska file has an ELF executable after its Segment (byte 16): {POLYGLOT}"
    )
    cut = ebml + b"\x18\x53\x80\x67\x90" + b"\xec\x80"  # declares 16 bytes, holds 2
    assert _reason(tmp_path, "cut.mkv", cut) == (
        "The Matroska file is truncated: its Segment declares 16 bytes but only 2 remain."
    )


def test_binary_and_xmp_metadata_atoms_are_not_mistaken_for_polyglots(
    tmp_path: Path, prores: Path
) -> None:
    # A free atom of binary bytes that happen to hold "#!/" and "MZ\x90\x00" mid-block,
    # and a uuid atom of XMP: ordinary metadata, appended after the moov atom.
    binary = h.atom(b"free", b"\x00\x17#!/\x01\x02MZ\x90\x00\x03" + bytes(range(256)))
    xmp = h.atom(
        b"uuid",
        bytes(16) + b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta/>',
    )
    path = tmp_path / "meta.mov"
    path.write_bytes(prores.read_bytes() + binary + xmp)
    found = inspect_file(path, filename="meta.mov", sandbox=Sandbox())
    assert found.codec == "prores" and found.details["atoms"][-2:] == ["free", "uuid"]
