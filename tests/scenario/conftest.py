"""Fixtures for the scenario tests: the shipped scenario files and a KAZ context built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def eu2022():
    from tethers.scenario.spec import load_spec

    return load_spec(SCENARIOS / "eu-2022.yaml")


@pytest.fixture(scope="session")
def kaz_ctx(atlas_path, eu2022):
    """The KAZ 2021 context of the eu-2022 scenario (read once; channels never modify it)."""
    from tethers.atlas.store import Atlas
    from tethers.scenario.engine import build_context

    with Atlas(atlas_path) as a:
        return build_context(a, eu2022, "KAZ", 2021)
