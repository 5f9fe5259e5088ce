"""The imported-inflation channel (scenario/channels/prices.py): the local projection against statsmodels on the
same real rows, out of sample, the shock from Russia's 2014 episode, the channel run and its backtest rows."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tethers.scenario.channels.fx import pick_calibration
from tethers.scenario.channels.prices import (
    CHANNEL,
    PricesChannel,
    episode_excess_inflation,
    imported_inflation_lp,
    imported_path,
)
from tethers.sources import get_source

ROOT = Path(__file__).resolve().parents[2]
DERIVED = ROOT / "data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz"
END = dt.date(2021, 12, 31)
# the same OLS/HAC arithmetic done two ways (numpy in pass_through, statsmodels): rounding only
SAME_ARITHMETIC = 1e-9


def _rus_rows() -> pl.DataFrame:
    return pl.from_arrow(get_source("oecd_mei_cpi").read(DERIVED).tables["prices"])


@pytest.fixture(scope="module")
def ctx(kaz_ctx):
    """The KAZ 2021 context with Russia's CPI read from the shipped derived file (real rows, OECD MEI)."""
    prices = pl.concat([kaz_ctx.prices.filter(pl.col("source") != "oecd_mei_cpi"),
                        _rus_rows().select(kaz_ctx.prices.columns)])
    return replace(kaz_ctx, prices=prices)


def _statsmodels_lp(ctx, h: int):
    """γ_h and its HAC(h+1) SE by statsmodels OLS on a design built with pandas from the same rows."""
    pd = pytest.importorskip("pandas")
    sm = pytest.importorskip("statsmodels.api")

    def series(df: pl.DataFrame, col: str) -> pd.Series:
        return pd.Series(df[col].to_numpy(), index=pd.DatetimeIndex(df["date"].to_list()))

    p = ctx.prices.filter((pl.col("series") == "all") & (pl.col("measure") == "mom_index"))
    kaz = series(p.filter(pl.col("country") == "KAZ"), "value")
    rus = series(p.filter(pl.col("country") == "RUS"), "value")
    kzt = series(ctx.fx.filter((pl.col("source") == "cbr") & (pl.col("currency") == "KZT")
                               & (pl.col("frequency") == "monthly")), "per_usd")
    df = pd.concat({"kaz": kaz, "rus": rus, "kzt": kzt}, axis=1, join="inner").sort_index()
    df = df[df.index <= pd.Timestamp(END)]
    pi, pit = np.log(df["kaz"] / 100.0), np.log(df["rus"] / 100.0)
    de = np.log(df["kzt"]).diff()
    lp = pi.cumsum()
    X = pd.DataFrame({"piT": pit, "de": de, "de1": de.shift(1), "piT1": pit.shift(1), "pi1": pi.shift(1)})
    months = pd.get_dummies(df.index.month, prefix="m", drop_first=True, dtype=float)
    months.index = df.index
    X = sm.add_constant(pd.concat([X, months], axis=1))
    y = (lp.shift(-h) - lp.shift(1)).rename("y")
    ok = pd.concat([y, X], axis=1).dropna()
    fit = sm.OLS(ok["y"], ok[X.columns]).fit(cov_type="HAC", cov_kwds={"maxlags": h + 1, "use_correction": False})
    return fit.params["piT"], fit.bse["piT"], int(fit.nobs), fit.params["de"]


@pytest.mark.parametrize("h", [0, 5, 11])
def test_local_projection_equals_statsmodels_on_the_same_rows(ctx, h):
    lp = imported_inflation_lp(ctx.prices, ctx.fx, country="KAZ", target="RUS", currency="KZT", end=END)
    gamma, se, n, theta = _statsmodels_lp(ctx, h)
    assert lp.n[h] == n
    assert lp.gamma[h] == pytest.approx(gamma, abs=SAME_ARITHMETIC)
    assert lp.se[h] == pytest.approx(se, abs=SAME_ARITHMETIC)
    assert lp.theta_joint[h] == pytest.approx(theta, abs=SAME_ARITHMETIC)


def test_no_outcome_year_row_enters_the_estimation(ctx):
    """Every 2022+ row changed (CPI of both countries, exchange rates): the estimates do not move."""
    lp = imported_inflation_lp(ctx.prices, ctx.fx, country="KAZ", target="RUS", currency="KZT", end=END)
    assert lp.last_used == dt.date(2021, 12, 1) and lp.start == dt.date(2011, 3, 1)
    late = pl.col("date") >= dt.date(2022, 1, 1)
    assert ctx.prices.filter(late & (pl.col("country") == "RUS")).height > 0  # the atlas holds them…
    prices = ctx.prices.with_columns(value=pl.when(late).then(pl.col("value") * 1.5).otherwise(pl.col("value")))
    fx = ctx.fx.with_columns(per_usd=pl.when(late).then(pl.col("per_usd") * 2.0).otherwise(pl.col("per_usd")))
    lp2 = imported_inflation_lp(prices, fx, country="KAZ", target="RUS", currency="KZT", end=END)
    assert lp2.gamma == lp.gamma and lp2.se == lp.se  # …and none of them reached the estimate


def test_shock_from_the_2014_episode_by_hand(ctx):
    """x_h = ln(P_t/P_{t−1}) − the 2011–2013 mean of the same calendar month, from the FRED levels directly."""
    ep, own, direction = pick_calibration("RUB", start_year=2022, base_year=2021)
    assert (ep.episode, own.episode, direction) == ("2014", "2022", "earlier")
    sh = episode_excess_inflation(ctx.prices, "RUS", ep)
    assert sh.first == dt.date(2014, 3, 1) and sh.baseline == (2011, 2013)
    lv = dict(_rus_rows().filter(pl.col("measure") == "level").select("date", "value").iter_rows())

    def pi(y: int, m: int) -> float:
        prev = dt.date(y - 1, 12, 1) if m == 1 else dt.date(y, m - 1, 1)
        return math.log(lv[dt.date(y, m, 1)] / lv[prev])

    jan15 = pi(2015, 1) - sum(pi(y, 1) for y in (2011, 2012, 2013)) / 3
    mar14 = pi(2014, 3) - sum(pi(y, 3) for y in (2011, 2012, 2013)) / 3
    assert sh.excess[10] == pytest.approx(jan15, abs=1e-12) and sh.excess[0] == pytest.approx(mar14, abs=1e-12)
    # Rosstat: +3.9 % in January 2015 against +2.4, +0.5 and +1.0 % in the Januaries of 2011–2013 → about +2.5 pp
    assert sh.excess[10] == pytest.approx(math.log(1.0385) - (math.log(1.0237) + math.log(1.0050) + math.log(1.0097)) / 3,
                                          abs=1e-3)


def test_imported_path_hand_case():
    x = [0.01] * 12
    g = [0.1 * (h + 1) for h in range(12)]
    out = imported_path(x, scale=2.0, shock_month=11, gamma=g)
    # shock in November: s = 0.02 in Nov and Dec; Dec/Dec = 100 (γ_1 s_Nov + γ_0 s_Dec) = 100 (0.2 + 0.1) 0.02
    assert out["steps"] == [0.0] * 10 + [0.02, 0.02]
    assert out["cpi_decdec_pp"] == pytest.approx(0.6, abs=1e-12)
    assert out["cpi_shock_pp"] == pytest.approx(100 * 0.1 * 0.02, abs=1e-12)
    assert out["target_decdec_pp"] == pytest.approx(4.0, abs=1e-12)


def test_channel_central_run_is_the_hand_sum(ctx, eu2022):
    ch = PricesChannel()
    eff = ch.run(eu2022, ctx, {k: v.central for k, v in ch.parameters().items()})
    v = dict(zip(eff["metric"], eff["value"], strict=True))
    lp = imported_inflation_lp(ctx.prices, ctx.fx, country="KAZ", target="RUS", currency="KZT", end=END)
    ep, _, _ = pick_calibration("RUB", start_year=2022, base_year=2021)
    x = episode_excess_inflation(ctx.prices, "RUS", ep).excess
    # the 2022 episode's shock date (24 Feb) places the profile from February: s_k = x_{k−1}, k = Feb..Dec
    want = 100 * sum(lp.gamma[11 - k] * x[k - 1] for k in range(1, 12))
    assert v["cpi_decdec_excess_pp"] == pytest.approx(want, abs=1e-12)
    assert v["target_cpi_decdec_excess_pp"] == pytest.approx(100 * sum(x[:11]), abs=1e-12)
    notes = " ".join(ch.notes(eu2022, ctx))
    assert "estimated 2011-03…2021-12 (last month used 2021-12" in notes
    assert "OUT OF SAMPLE on the RUB 2014 episode" in notes and "2014-03…2015-02" in notes
    assert "overlap with the fx channel" in notes


def test_draws_carry_the_standard_errors(ctx, eu2022):
    ch = PricesChannel()
    p = {k: v.central for k, v in ch.parameters().items()}
    lo = ch.run(eu2022, ctx, {**p, "imported_lp_z": -1.0})
    hi = ch.run(eu2022, ctx, {**p, "imported_lp_z": 1.0})
    g = dict(zip(lo["metric"], lo["value"], strict=True))["imported_gamma_11"]
    G = dict(zip(hi["metric"], hi["value"], strict=True))["imported_gamma_11"]
    lp = imported_inflation_lp(ctx.prices, ctx.fx, country="KAZ", target="RUS", currency="KZT", end=END)
    assert G - g == pytest.approx(2 * lp.se[11], abs=1e-12)


def test_without_the_targets_cpi_the_channel_says_so(kaz_ctx, eu2022):
    ctx = replace(kaz_ctx, prices=kaz_ctx.prices.filter(pl.col("country") != "RUS"))
    ch = PricesChannel()
    assert ch.run(eu2022, ctx, {k: v.central for k, v in ch.parameters().items()}).height == 0
    assert "imported-inflation channel not computed: no monthly CPI of RUS" in " ".join(ch.notes(eu2022, ctx))


def test_registered():
    from tethers.scenario.engine import load_channels

    chans, _ = load_channels(["fx", "prices"])
    assert [c.name for c in chans] == ["fx", "prices"] and CHANNEL.name == "prices"


def test_backtest_cpi_rows_are_fx_plus_imported(atlas_path, eu2022, tmp_path):
    from tethers.atlas.store import Atlas, add_file
    from tethers.scenario.engine import backtest

    mine = tmp_path / "atlas.duckdb"
    shutil.copyfile(atlas_path, mine)
    with Atlas(mine) as a:
        have = a.sql("SELECT count(*) AS n FROM prices WHERE source = 'oecd_mei_cpi'")["n"][0]
    if not have:
        add_file("oecd_mei_cpi", DERIVED, mine)
    with Atlas(mine) as a:
        bt = backtest(eu2022, country="KAZ", base_year=2021, outcome_year=2022, atlas=a, draws=40, seed=5,
                      channels=["fx", "prices"])
    rows = {r["indicator"]: r for r in bt.tidy().to_dicts()}
    tot = rows["CPI Dec/Dec 2022 minus 2021"]
    fxp = rows["CPI Dec/Dec 2022 minus 2021: fx part"]
    imp = rows["CPI Dec/Dec 2022 minus 2021: imported-inflation part"]
    # the channels' effect is the sum of the parts; simulated = the control group's change (counterfactual,
    # when the atlas holds the World Bank CPI compilation) + the effect
    assert tot["effect"] == pytest.approx(fxp["simulated"] + imp["simulated"], abs=1e-12)
    assert tot["simulated"] == pytest.approx((tot["counterfactual"] or 0.0) + tot["effect"], abs=1e-12)
    assert tot["observed"] == pytest.approx(20.35 - 8.51, abs=0.05) and fxp["observed"] is None
    level = rows["CPI Dec/Dec 2022, level of inflation (%)"]
    assert level["observed"] == pytest.approx(20.3, abs=0.1)
    assert level["simulated"] - tot["simulated"] == pytest.approx(level["observed"] - tot["observed"], abs=0.01)
    assert "imported inflation (prices channel" in level["basis"]
    for r in (tot, imp, level):
        assert r["p5"] <= r["p95"]
