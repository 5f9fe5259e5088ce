"""The backtest's counterfactual (tethers.scenario.counterfactual): who is in the control group and why,
the EU27 and CPI control changes against independent computations, and how a row takes its counterfactual."""

from __future__ import annotations

import datetime as dt
import statistics

import numpy as np
import polars as pl
import pytest

from tethers.measures.control_group import control_change
from tethers.scenario.counterfactual import (
    EXPOSURE_THRESHOLD,
    ControlGroup,
    apply_counterfactuals,
    control_group,
    cpi_controls,
    eu27_control_from_rows,
)

NEIGHBOURS = {"KAZ", "KGZ", "UZB", "ARM", "GEO"}


@pytest.fixture()
def group_2021(atlas, eu2022):
    from tethers.scenario.engine import _expand

    return control_group(atlas, coalition=_expand(eu2022.coalition, 2021), targets=_expand(eu2022.targets, 2021),
                         excluded_hubs=set(eu2022.excluded_hub_codes()), compared=set(NEIGHBOURS), base_year=2021)


def test_control_group_rule(atlas, group_2021):
    g = group_2021
    units = set(g.units)
    # nobody the scenario names or the backtest compares
    assert not units & ({"RUS", "USA", "GBR", "DEU", "FRA", "BLR", "CHE", "NOR", "KOR", "UKR"} | NEIGHBOURS)
    # exposure from the reporters' own DOTS rows, recomputed here: imports from Russia ÷ imports from the world
    df = atlas.sql("SELECT reporter, partner, value_usd FROM trade WHERE source = 'imf_dots_xlsx' AND flow = 'import' "
                   "AND classification = 'TOTAL' AND year = 2020 AND partner IN ('RUS', 'WLD')")
    tot = {r: v for r, p, v in df.iter_rows() if p == "WLD"}
    frm = {r: v for r, p, v in df.iter_rows() if p == "RUS"}
    exposed = {r for r in tot if tot[r] > 0 and frm.get(r, 0.0) / tot[r] >= EXPOSURE_THRESHOLD}
    assert g.exposure_year == 2020
    assert set(g.excluded["exposed"]) == exposed - set().union(*(set(v) for k, v in g.excluded.items()
                                                                 if k != "exposed"))
    assert {"MNG", "MDA", "TJK", "AZE"} <= set(g.excluded["exposed"])       # Russia's other close partners
    assert {"BRA", "IND", "CHN", "EGY", "NGA"} <= units
    assert 120 <= len(units) <= 160
    assert "exposed" in g.describe() and str(len(units)) in g.describe()


def test_eu27_control_is_the_median_growth_of_eu27_exports_to_the_control_countries(atlas, group_2021):
    eu = atlas.sql("SELECT partner, year, value_usd FROM trade WHERE source = 'eurostat' AND reporter = 'EUU' "
                   "AND flow = 'export' AND classification = 'TOTAL' AND year IN (2021, 2022)")
    c = eu27_control_from_rows(eu, group_2021, 2021, 2022, draws=100, rng=np.random.default_rng(3))
    v = {(p, y): x for p, y, x in eu.iter_rows()}
    g = [v[(p, 2022)] / v[(p, 2021)] - 1 for p in group_2021.units
         if v.get((p, 2021), 0) > 0 and v.get((p, 2022), 0) > 0]
    assert c.n == len(g) and c.median == pytest.approx(statistics.median(g), abs=1e-12)
    assert 0.0 < c.median < 0.15                      # EU exports grew in USD despite the euro's fall
    assert c.draws.size == 100 and np.quantile(c.draws, 0.05) < c.median < np.quantile(c.draws, 0.95)


def _cpi_rows(country: str, levels: dict[dt.date, float]) -> list[dict]:
    out, prev = [], None
    for d in sorted(levels):
        out.append({"date": d, "country": country, "series": "all", "measure": "level", "value": levels[d],
                    "source": "wb_inflation"})
        if prev is not None:
            out.append({"date": d, "country": country, "series": "all", "measure": "mom_index",
                        "value": 100.0 * levels[d] / levels[prev], "source": "wb_inflation"})
        prev = d
    return out


def test_cpi_controls_by_hand():
    months = [dt.date(y, m, 1) for y in (2020, 2021, 2022) for m in range(1, 13)]
    rows = []
    # A: 0.5 % a month in 2021, 1 % a month in 2022; B: flat in 2021, 2 % in March 2022 only
    lv_a, lv_b, a, b = {}, {}, 100.0, 100.0
    for d in months:
        a *= 1.005 if d.year == 2021 else (1.01 if d.year == 2022 else 1.0)
        b *= 1.02 if d == dt.date(2022, 3, 1) else 1.0
        lv_a[d], lv_b[d] = a, b
    rows = _cpi_rows("AAA", lv_a) + _cpi_rows("BBB", lv_b) + _cpi_rows("ZZZ", lv_a)  # ZZZ not in the group
    g = ControlGroup(units=("AAA", "BBB"), exposure_year=2020)
    out = cpi_controls(pl.DataFrame(rows), g, 2021, 2022, dt.date(2022, 3, 1), draws=0, rng=np.random.default_rng(0))
    dd_a = (1.01 ** 12 - 1.005 ** 12) * 100
    dd_b = 2.0
    assert out["decdec_excess"].median == pytest.approx((dd_a + dd_b) / 2, rel=1e-12)
    assert out["shock_month"].median == pytest.approx(((1.0 - 0.5) + (2.0 - 0.0)) / 2, rel=1e-9)
    assert out["decdec_excess"].units == ("AAA", "BBB")


def test_rows_take_their_counterfactual():
    growth = control_change(["A", "B", "C"], np.array([1.0, 1.0, 1.0]), np.array([1.05, 1.10, 1.20]), kind="growth",
                            draws=4, rng=np.random.default_rng(0))
    rows = [
        {"indicator": "eu", "unit": "share", "simulated": 0.20, "p5": 0.1, "p95": 0.3, "observed": 0.5, "error": -0.3,
         "basis": "diversion", "_control": "eu27", "_draws": np.array([0.1, 0.2, 0.3, 0.25])},
        {"indicator": "fx", "unit": "share", "simulated": 0.07, "p5": 0.04, "p95": 0.1, "observed": 0.08,
         "error": -0.01, "basis": "fx", "_control": None, "_draws": None},
        {"indicator": "cpi", "unit": "pp", "simulated": 4.8, "p5": 1.0, "p95": 9.0, "observed": 11.8, "error": -7.0,
         "basis": "fx", "_control": "cpi:decdec_excess", "_draws": None},
    ]
    out = apply_counterfactuals(rows, {"eu27": (growth, "EU27 to 3 controls:")})
    eu, fx, cpi = out
    assert eu["effect"] == 0.20 and eu["counterfactual"] == pytest.approx(0.10)
    assert eu["simulated"] == pytest.approx(1.10 * 1.20 - 1) and eu["error"] == pytest.approx(1.10 * 1.20 - 1 - 0.5)
    both = (1 + np.array([0.1, 0.2, 0.3, 0.25])) * (1 + growth.draws) - 1
    assert (eu["p5"], eu["p95"]) == (pytest.approx(np.quantile(both, 0.05)), pytest.approx(np.quantile(both, 0.95)))
    assert "counterfactual: EU27 to 3 controls: median +10.0%" in eu["basis"]
    # no control, or no control data: the effect is the simulated figure, unchanged
    assert fx["simulated"] == fx["effect"] == 0.07 and fx["counterfactual"] is None
    assert cpi["simulated"] == cpi["effect"] == 4.8 and cpi["counterfactual"] is None and cpi["error"] == -7.0
    assert all("_control" not in r and "_draws" not in r for r in out)


def test_cpi_control_on_the_world_bank_compilation(atlas, group_2021):
    """The eu-2022 CPI counterfactual: the median over the control countries of Dec/Dec 2022 minus Dec/Dec 2021
    inflation, recomputed from the wb_inflation level rows with the statistics module; one control country's
    figures against its statistics office (IBGE, Brazil's IPCA: 10.06 % in 2021, 5.79 % in 2022)."""
    from tethers.atlas.queries import consumer_prices

    p = consumer_prices(atlas, list(group_2021.units), source="wb_inflation")
    if p.height == 0:
        pytest.skip("the atlas has no wb_inflation rows (pack without the World Bank compilation)")
    out = cpi_controls(p, group_2021, 2021, 2022, dt.date(2022, 3, 1), draws=0, rng=np.random.default_rng(0))
    lv = {(c, d): v for d, c, v in p.filter(pl.col("measure") == "level").select("date", "country", "value")
          .iter_rows()}

    def decdec(c, y):
        a, b = lv.get((c, dt.date(y, 12, 1))), lv.get((c, dt.date(y - 1, 12, 1)))
        return None if a is None or b is None else (a / b - 1) * 100

    diffs = [decdec(c, 2022) - decdec(c, 2021) for c in group_2021.units
             if decdec(c, 2022) is not None and decdec(c, 2021) is not None]
    assert out["decdec_excess"].n == len(diffs) >= 100
    assert out["decdec_excess"].median == pytest.approx(statistics.median(diffs), abs=1e-12)
    assert decdec("BRA", 2021) == pytest.approx(10.06, abs=0.1) and decdec("BRA", 2022) == pytest.approx(5.79, abs=0.1)
    # world inflation rose in 2022 beyond Russia's neighbours: the typical control country's Dec/Dec rate rose
    assert 1.0 < out["decdec_excess"].median < 5.0
