"""Benchmarks of the diversion channel on the shipped pack (real data): issue 13's targets.

* ``gravity``: the structural-gravity estimation (panel from the atlas + both PPML fits with pyfixest
  ``fepois``) on the widest panel up to 2021, cold (no cache): < 30 s.
* ``backtest``: ``scenarios/eu-2022.yaml`` on KAZ, 2021 → 2022, 1,000 draws, diversion channel, with the
  gravity fit already cached (it is timed above): the simulation of KAZ and of every observed third country
  and the comparison with the atlas: < 10 s.

Called by ``benchmarks/run.py`` (children ``diversion/…``), never by the tests.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "eu-2022.yaml"


def _inputs(atlas_path: str, base: int = 2021):
    from tethers.atlas.store import Atlas
    from tethers.scenario.engine import _gravity_inputs

    with Atlas(atlas_path) as a:
        return _gravity_inputs(a, base)


def gravity(a: dict):
    from tethers.scenario import gravity as grav

    inp = _inputs(a["atlas"])

    def run():
        grav._CACHE.clear()
        grav._QUICK.clear()
        return grav.estimate_cached(inp["gravity_trade"], inp["distances_all"], base_year=2021, cache_dir=False)

    return run


def backtest(a: dict):
    from tethers.atlas.store import Atlas
    from tethers.scenario import gravity as grav
    from tethers.scenario.engine import backtest as bt
    from tethers.scenario.spec import load_spec

    inp = _inputs(a["atlas"])
    grav.estimate_cached(inp["gravity_trade"], inp["distances_all"], base_year=2021, cache_dir=False)  # warm
    spec = load_spec(SCENARIO)
    atlas = Atlas(a["atlas"])
    draws = int(a.get("draws", 1000))
    return lambda: bt(spec, country="KAZ", base_year=2021, outcome_year=2022, atlas=atlas, draws=draws, seed=1,
                      channels=["diversion"])
