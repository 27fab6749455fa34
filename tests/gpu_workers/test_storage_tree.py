"""Image-sequence outputs travel as a folder under one prefix and come back identical."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from gpu_workers.storage import Storage

pytestmark = pytest.mark.skipif(not os.environ.get("S3_ENDPOINT_URL"), reason="needs the S3 server")


def test_a_sequence_folder_round_trips_under_one_prefix(tmp_path: Path) -> None:
    source = tmp_path / "out" / "beauty"
    source.mkdir(parents=True)
    for frame in (1001, 1002, 1003):
        (source / f"beauty.{frame}.exr").write_bytes(f"frame {frame}".encode() * 100)
    storage = Storage()
    prefix = f"tests/{uuid.uuid4().hex}/beauty"
    stored = storage.upload_tree(source, prefix, "image/x-exr")
    again = storage.upload_tree(source, prefix, "image/x-exr")
    assert stored.key == prefix + "/"
    assert stored.sha256 == again.sha256  # the manifest hash is deterministic
    assert stored.size == sum(p.stat().st_size for p in source.iterdir())
    back = storage.download(stored.key, tmp_path / "back")
    assert sorted(p.name for p in back.iterdir()) == sorted(p.name for p in source.iterdir())
    for path in source.iterdir():
        assert (back / path.name).read_bytes() == path.read_bytes()
