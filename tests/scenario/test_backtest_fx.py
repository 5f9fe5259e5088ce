"""Backtest rows of the currency and prices channel: each row its own simulated figure, observed from the
atlas (daily official rates, chained CPI), pinned to published figures."""

from __future__ import annotations

import math

import pytest

from tethers.atlas.store import Atlas
from tethers.scenario.engine import backtest


@pytest.fixture(scope="module")
def bt(atlas_path, eu2022):
    with Atlas(atlas_path) as a:
        return backtest(eu2022, country="KAZ", base_year=2021, outcome_year=2022, atlas=a, draws=40, seed=5,
                        channels=["fx"])


def _rows(bt) -> dict[str, dict]:
    return {r["indicator"]: r for r in bt.tidy().to_dicts()}


def test_daily_official_moves_are_shown_within_1pp_of_the_published_figures(bt):
    rows = _rows(bt)
    rub = rows["RUB per USD, largest move after 2022-02-24 (daily)"]
    # Bank of Russia 80.4194 (23 Feb) → 120.3785 (11 Mar) = +49.7 %; issue 17: +48.8 % (80.9 → 120.4)
    assert rub["observed"] == pytest.approx(120.3785 / 80.4194 - 1, abs=1e-9)
    assert abs(rub["observed"] - 0.488) < 0.01
    assert "cbr_dynamics daily official" in rub["basis"] and "2022-03-11" in rub["basis"]
    kzt = rows["KZT per USD, largest move after 2022-02-24 (daily)"]
    # NBK 433.39 (23 Feb) → 512.19 (16 Mar): the tenge's low of 512 on 15–16 March
    assert kzt["observed"] == pytest.approx(512.19 / 433.39 - 1, abs=1e-9)
    assert "nbk daily official" in kzt["basis"]


def test_every_row_has_its_own_simulated_figure(bt):
    rows = _rows(bt)
    fx = {k: v for k, v in rows.items() if k.startswith(("KZT", "RUB", "CPI"))}
    assert len(fx) == 8  # shock month, RUB and KZT daily moves, annual, Dec/Dec; CPI m/m, Dec/Dec excess, level
    sims = [round(v["simulated"], 12) for v in fx.values()]
    assert len(set(sims)) == len(sims), "no simulated figure is reused for another row"
    for r in fx.values():
        assert math.isfinite(r["simulated"]) and r["p5"] <= r["simulated"] <= r["p95"]
        assert r["error"] == pytest.approx(r["simulated"] - r["observed"], abs=1e-12)


def test_cpi_as_the_level_of_inflation(bt):
    rows = _rows(bt)
    level = rows["CPI Dec/Dec 2022, level of inflation (%)"]
    # chained from the BNS m/m indices: 20.35 % (published Dec/Dec 2022: 20.3 %)
    assert level["observed"] == pytest.approx(20.3, abs=0.1)
    excess = rows["CPI Dec/Dec 2022 minus 2021"]
    assert excess["observed"] == pytest.approx(20.35 - 8.51, abs=0.05)
    # simulated level = the 2021 Dec/Dec + the simulated excess (same draws)
    assert level["simulated"] - excess["simulated"] == pytest.approx(level["observed"] - excess["observed"], abs=0.01)


def test_estimation_windows_are_printed_and_do_not_overlap_the_test_window(bt):
    notes = " ".join(bt.result.notes)
    assert "OUT OF SAMPLE on the RUB 2014 episode (window 2014-01-01…2015-12-31" in notes
    assert "test window) 2022-01…2022-12, no overlap" in notes
    assert "estimated 2011-03…2021-12" in notes  # the CPI local projection: data before 2022 only
    assert "2016-01…2021-12" in notes  # β̂


def test_a_country_without_currency_rates_gets_its_cpi_rows_from_the_world_bank(atlas_path, eu2022):
    """Kyrgyzstan: no som rates in the atlas, so no currency rows (no "None per USD"), a note says why; its CPI
    comes from the World Bank compilation, named in the basis, read from the index levels — Dec/Dec 2022
    14.7 % and 2021 11.2 % as the National Statistical Committee of the Kyrgyz Republic published them."""
    with Atlas(atlas_path) as a:
        if not a.sql("SELECT count(*) AS n FROM prices WHERE source = 'wb_inflation'")["n"][0]:
            pytest.skip("no wb_inflation rows in this atlas")
        res = backtest(eu2022, country="KGZ", base_year=2021, outcome_year=2022, atlas=a, draws=10, seed=5,
                       channels=["fx"])
    rows = _rows(res)
    assert not any(k.startswith(("None", "KGS")) for k in rows)
    assert any("no currency rows" in n for n in res.notes)
    level = rows["CPI Dec/Dec 2022, level of inflation (%)"]
    assert level["observed"] == pytest.approx(14.7, abs=0.1) and "wb_inflation all items, index levels" in level["basis"]
    excess = rows["CPI Dec/Dec 2022 minus 2021"]
    assert excess["observed"] == pytest.approx(14.7 - 11.2, abs=0.15)
    assert "CPI m/m 2022-03 minus mean m/m 2021" in rows  # the shock month is the rouble's, found without the som
    assert level["simulated"] is None                       # no fx channel without the som's rates: no figure
