"""Colour space names: OpenColorIO's built-in ACES studio config is the one vocabulary for
project working spaces, media source spaces and proxy display transforms."""

from __future__ import annotations

import functools
from typing import Any

import PyOpenColorIO as ocio

OCIO_CONFIG = "studio-config-latest"
# Encodings of the built-in config that need a display transform before viewing.
SCENE_ENCODINGS = {"scene-linear", "log"}


@functools.lru_cache(maxsize=1)
def ocio_config() -> Any:
    return ocio.Config.CreateFromBuiltinConfig(OCIO_CONFIG)


def color_space_names() -> list[str]:
    return [cs.getName() for cs in ocio_config().getColorSpaces()]


def canonical_color_space(name: str) -> str | None:
    """The config's name for a colour space name or alias, or None when unknown."""
    space = ocio_config().getColorSpace(name.strip()) if name.strip() else None
    return space.getName() if space is not None else None


def needs_display_transform(color_space: str) -> bool:
    space = ocio_config().getColorSpace(color_space)
    return space is not None and space.getEncoding() in SCENE_ENCODINGS
