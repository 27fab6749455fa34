"""The five operations are registered under their names with checked parameters."""

from __future__ import annotations

import pytest

from gpu_workers.registry import InvalidParameters, get_operation

EXPECTED = {
    "shot_match": ("source", "reference"),
    "key_composite": ("foreground", "background"),
    "character_consistency": ("source", "references"),
    "resize": ("source",),
    "deflicker": ("source",),
}


@pytest.mark.parametrize(("name", "roles"), EXPECTED.items())
def test_registered_with_input_roles(name: str, roles: tuple[str, ...]) -> None:
    operation = get_operation(name)
    assert operation.input_roles == roles
    assert operation.likeness == (name == "character_consistency")
    assert operation.title and operation.gpu_seconds_per_frame > 0


@pytest.mark.parametrize(
    "name", ["shot_match", "key_composite", "character_consistency", "deflicker"]
)
def test_defaults_are_normalised(name: str) -> None:
    params = get_operation(name).validate({})
    assert isinstance(params, dict) and params


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("shot_match", {"strength": 2}, "strength must be between 0 and 1"),
        ("key_composite", {"screen": "red"}, "screen must be one of green, blue"),
        ("key_composite", {"screen_color": [0, 1]}, "screen_color must be three numbers"),
        ("character_consistency", {"threshold": "high"}, "threshold must be a number"),
        ("resize", {"preset": "HD", "mode": "zoom"}, "mode must be one of"),
        ("deflicker", {"output_format": "gif"}, "output_format must be one of exr, prores"),
    ],
)
def test_bad_parameters_are_explained(name: str, params: dict, message: str) -> None:
    with pytest.raises(InvalidParameters, match=message):
        get_operation(name).validate(params)
