"""Every test carries its layer's marker, given by its folder (tests/conftest.py)."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import LAYERS, ROOT, TESTS


def test_a_unit_test_carries_the_unit_marker_and_no_other_layer(
        request: pytest.FixtureRequest) -> None:
    layers = {m.name for m in request.node.iter_markers() if m.name in LAYERS}
    assert layers == {"unit"}


def test_every_folder_holding_tests_is_a_registered_layer() -> None:
    holding = {p.relative_to(TESTS).parts[0] for p in TESTS.rglob("test_*.py")}
    assert holding <= set(LAYERS), f"folders without a layer: {holding - set(LAYERS)}"
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    registered = {m.split(":")[0] for m in config["tool"]["pytest"]["ini_options"]["markers"]}
    assert set(LAYERS) <= registered, f"unregistered layer markers: {set(LAYERS) - registered}"
