from __future__ import annotations

from pathlib import Path

import pytest

from apps.media import samples


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def prores(media_dir: Path) -> Path:
    return samples.make_movie(media_dir / "plate_prores.mov", codec="prores", frames=12)


@pytest.fixture(scope="session")
def big_dnxhr(media_dir: Path) -> Path:
    """~14 MB: three 5 MiB parts."""
    return samples.make_movie(
        media_dir / "plate_dnxhr.mov", codec="dnxhr", frames=24, width=1920, height=1080
    )


@pytest.fixture(scope="session")
def exr(media_dir: Path) -> Path:
    return samples.make_exr(media_dir / "element.exr")
