"""Currency and prices channel: the hand-computed chain, a hand-made regression, the published 2022 episode."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from tethers.scenario.channels.fx import (
    CHANNEL,
    FxChannel,
    episode_profile,
    estimate_passthrough,
    local_projection,
    outcome_path,
    pick_calibration,
    shock_path,
)
from tethers.scenario.spec import parse_spec

from .helpers import context

EXACT = 1e-9
CBR_ROUNDING = 5e-5  # the CBR quotes 4 decimals: ln of a ratio of 4-decimal quotes is good to ~1e-5
OLS_VS_LSTSQ = 1e-9  # two implementations of the same least squares on ~70 rows


def spec(intensity: float | None):
    measures = [{"type": "import_ban", "products": ["72"]}]
    if intensity is not None:
        measures.append({"type": "financial", "intensity": intensity})
    return parse_spec({"name": "t", "coalition": ["DEU"], "targets": ["RUS"], "start_year": 2022, "measures": measures})


def test_shock_path_hand_case():
    # I = 0.5, D = 0.2 → Δe_T = 0.1; β = 0.6 → Δe_c = 0.06; φ = 0.5 → Δp_M = 0.03; m = 0.3 → ΔCPI = 100·0.3·0.03 = 0.9 pp
    s = shock_path(intensity=0.5, target_depreciation=0.2, beta=0.6, import_passthrough=0.5, import_share_cpi=0.3)
    assert s == pytest.approx({"de_target": 0.1, "de_country": 0.06, "dp_import": 0.03, "cpi_pp": 0.9}, abs=EXACT)


def test_calibration_episode_never_overlaps_the_test_window():
    # base 2021, scenario 2022: the 2014 episode (ends 2015-12-31) — data before the test window
    cal, own, direction = pick_calibration("RUB", start_year=2022, base_year=2021)
    assert (cal.episode, own.episode, direction) == ("2014", "2022", "earlier")
    assert cal.end < own.start
    # the reverse: a 2014 scenario on 2013 data has no earlier episode — calibrated on 2022, said so
    cal, own, direction = pick_calibration("RUB", start_year=2014, base_year=2013)
    assert (cal.episode, own.episode, direction) == ("2022", "2014", "later")
    assert cal.start > own.end
    assert pick_calibration("XXX", start_year=2022, base_year=2021)[0] is None


def test_episode_profile_hand_case():
    # eve 1.0 (the last rate before 2020-03-10); March mean 1.5 (rates 1.0 and 2.0 after the shock), then 2.0
    rates = pl.DataFrame({"date": [dt.date(2020, 3, 9), dt.date(2020, 3, 10), dt.date(2020, 3, 20), dt.date(2020, 4, 1),
                                   dt.date(2020, 6, 1)],
                          "per_usd": [1.0, 1.0, 2.0, 2.0, 2.0]})
    pr = episode_profile(rates, shock_date=dt.date(2020, 3, 10), end=dt.date(2020, 12, 31))
    assert pr.eve == 1.0 and pr.eve_date == dt.date(2020, 3, 9)
    assert (pr.peak, pr.peak_date) == (2.0, dt.date(2020, 3, 20))
    # March: mean(1, 1, 2) = 4/3; April on: 2 (May has no rate: carried)
    assert pr.p[0] == pytest.approx(math.log(4 / 3), abs=EXACT)
    assert pr.p[1:] == pytest.approx((math.log(2.0),) * 11, abs=EXACT)
    # monthly steps: ln(4/3) = 0.288 in March, ln(2 / (4/3)) = ln 1.5 = 0.405 in April (the largest)
    assert pr.month_shock == pytest.approx(math.log(1.5), abs=EXACT) and pr.month_index == 1


def test_outcome_path_hand_case():
    # profile 0.2 from the shock month, β = 0.5, scale 1, shock in October: KZT +0.1 in Oct–Dec
    path = outcome_path([0.2] * 12, beta=0.5, scale=1.0, shock_month=10, theta=[0.1 * (h + 1) for h in range(12)])
    assert path["level"] == pytest.approx([0.0] * 9 + [0.1] * 3, abs=EXACT)
    assert path["annual"] == pytest.approx(0.3 / 12, abs=EXACT) and path["decdec"] == pytest.approx(0.1, abs=EXACT)
    # the only step is October (0.1): shock month 100·θ_0·0.1 = 1 pp; by December θ_2 = 0.3 → 3 pp
    assert path["cpi_shock_pp"] == pytest.approx(1.0, abs=EXACT)
    assert path["cpi_decdec_pp"] == pytest.approx(3.0, abs=EXACT)


def test_local_projection_recovers_a_known_response():
    # π_t = 0.1 Δe_t + 0.05 Δe_{t−1} + noise, Δe iid: θ_0 ≈ 0.1, θ_h ≈ 0.15 for h ≥ 1 (400 years of months)
    rng = np.random.default_rng(3)
    n = 4800
    de = rng.normal(0, 0.03, n)
    pi = 0.004 + 0.1 * de + 0.05 * np.concatenate([[0.0], de[:-1]]) + rng.normal(0, 0.002, n)
    dates = [dt.date(1600 + i // 12, i % 12 + 1, 1) for i in range(n)]
    e = np.exp(np.cumsum(de))
    fx = pl.DataFrame({"date": dates, "currency": "KZT", "per_usd": e, "frequency": "monthly", "source": "s"})
    prices = pl.DataFrame({"date": dates, "country": "KAZ", "series": "all", "measure": "mom_index",
                           "value": 100 * np.exp(pi), "source": "s"})
    lp = local_projection(fx, prices, country="KAZ", currency="KZT", end=dates[-1])
    assert lp.theta[0] == pytest.approx(0.1, abs=0.01)
    assert lp.theta[6] == pytest.approx(0.15, abs=0.02)
    assert lp.end == dates[-1] and lp.n[11] < lp.n[0]


def _episode_rows() -> list[dict]:
    """RUB 1.0 up to 2014-03-01 (the eve of the 2014 episode's 17 March shock), e^0.2 from 2014-04-01."""
    return [{"date": dt.date(2014, m, 1), "currency": "RUB", "per_usd": 1.0 if m <= 3 else math.exp(0.2),
             "frequency": "monthly", "source": "cbr"} for m in range(1, 13)] + [
            {"date": dt.date(2015, m, 1), "currency": "RUB", "per_usd": math.exp(0.2), "frequency": "monthly",
             "source": "cbr"} for m in range(1, 13)]


def _fx_rows(x: list[float], y: list[float]) -> list[dict]:
    """Monthly rates whose log changes are exactly x (RUB) and y (KZT), starting at 1.0 in 2016-01."""
    rows, lr, ly = [], 0.0, 0.0
    for i in range(len(x) + 1):
        date = dt.date(2016 + i // 12, i % 12 + 1, 1)
        if i:
            lr, ly = lr + x[i - 1], ly + y[i - 1]
        rows += [{"date": date, "currency": "RUB", "per_usd": math.exp(lr), "frequency": "monthly", "source": "cbr"},
                 {"date": date, "currency": "KZT", "per_usd": math.exp(ly), "frequency": "monthly", "source": "cbr"}]
    return rows


def test_passthrough_hand_case():
    # KZT log changes are exactly half of RUB's: β̂ = 0.5 with and without a lag (the lag coefficient is 0)
    x = [0.01, -0.02, 0.03, 0.0, 0.05, -0.01, 0.02, 0.04, -0.03, 0.01, 0.0, 0.02]
    ctx = context([], fx_rows=_episode_rows() + _fx_rows(x, [0.5 * v for v in x]), base_year=2016)
    for lags in (0, 1):
        est = estimate_passthrough(ctx, y="KZT", x="RUB", window_years=1, lags=lags)
        assert est.beta == pytest.approx(0.5, abs=1e-9)
    # the channel: I = 1, D = 0.2 (the 2014 episode: 1.0 → e^0.2 in April) → KZT falls by e^{0.1} − 1;
    # with φ = 0.5, m = 0.2: ΔCPI = 100·0.2·0.5·0.1 = 1 pp
    ch = FxChannel()
    p = {**{k: v.central for k, v in ch.parameters().items()}, "window_years": 1.0, "lags": 0.0,
         "shock_scale": 1.0, "passthrough_z": 0.0, "import_passthrough": 0.5, "import_share_cpi": 0.2}
    eff = ch.run(spec(1.0), ctx, p)
    v = dict(zip(eff["metric"], eff["value"], strict=True))
    assert v["currency_depreciation"] == pytest.approx(math.expm1(0.1), abs=1e-9)
    assert v["cpi_impact_pp"] == pytest.approx(1.0, abs=1e-9)


def test_no_financial_measure_no_shock():
    x = [0.01, -0.02, 0.03, 0.0, 0.05, -0.01, 0.02, 0.04, -0.03, 0.01, 0.0, 0.02]
    ctx = context([], fx_rows=_episode_rows() + _fx_rows(x, [0.5 * v for v in x]), base_year=2016)
    ch = FxChannel()
    p = {**{k: v.central for k, v in ch.parameters().items()}, "window_years": 1.0, "lags": 0.0}
    eff = ch.run(spec(None), ctx, p)
    assert eff.filter(pl.col("metric") == "cpi_impact_pp")["value"][0] == 0.0


@pytest.mark.shared
def test_kaz_passthrough_equals_lstsq_on_the_cbr_file(kaz_ctx, shared):
    # Two computations: the channel (atlas, measures.fx.pass_through) and numpy lstsq on the CBR file read directly.
    raw = pl.read_csv(shared / "fx/cbr_monthly_rub_per_unit_USD_EUR_KZT_UAH_BYR_2005_2022.csv", infer_schema=False)
    raw = raw.rename({raw.columns[0]: "month"}).with_columns(
        rub=pl.col("USD").cast(pl.Float64), kzt=pl.col("USD").cast(pl.Float64) / pl.col("KZT").cast(pl.Float64)
    )
    raw = raw.with_columns(x=pl.col("rub").log().diff(), y=pl.col("kzt").log().diff(), xl=pl.col("rub").log().diff().shift(1))
    w = raw.filter(pl.col("month").str.slice(0, 4).cast(pl.Int32).is_between(2016, 2021)).drop_nulls(["x", "y", "xl"])
    X = np.column_stack([np.ones(w.height), w["x"].to_numpy(), w["xl"].to_numpy()])
    coef = np.linalg.lstsq(X, w["y"].to_numpy(), rcond=None)[0]
    est = estimate_passthrough(kaz_ctx, y="KZT", x="RUB", window_years=6, lags=1)
    assert est.n == w.height
    assert est.beta == pytest.approx(coef[1] + coef[2], abs=OLS_VS_LSTSQ)
    assert est.ci[0] < est.beta < est.ci[1]


def test_kaz_2022_central_chain(kaz_ctx, eu2022):
    est = estimate_passthrough(kaz_ctx, y="KZT", x="RUB", window_years=6, lags=1)
    eff = CHANNEL.run(eu2022, kaz_ctx, {k: v.central for k, v in CHANNEL.parameters().items()})
    v = dict(zip(eff["metric"], eff["value"], strict=True))
    # the shock comes from the 2014 episode (CBR daily official rates), never from 2022
    cal, _, _ = pick_calibration("RUB", start_year=2022, base_year=2021)
    rub = kaz_ctx.fx.filter((pl.col("source") == "cbr_dynamics") & (pl.col("currency") == "RUB")).select("date", "per_usd")
    pr = episode_profile(rub, shock_date=cal.shock_date, end=cal.end)
    assert pr.eve == pytest.approx(36.6391, abs=1e-9) and pr.eve_date == dt.date(2014, 3, 15)  # CBR, from 15 Mar 2014
    assert pr.peak == pytest.approx(72.8827, abs=1e-9) and pr.peak_date == dt.date(2015, 12, 31)
    de = est.beta * pr.month_shock
    assert v["target_depreciation"] == pytest.approx(math.expm1(pr.month_shock), abs=EXACT)
    assert v["currency_depreciation"] == pytest.approx(math.expm1(de), abs=EXACT)
    assert v["cpi_impact_pp"] == pytest.approx(100 * 0.27 * 0.64 * de, abs=EXACT)
    assert 0 < est.beta < 1  # a partial pass-through (KZT floats since August 2015)
    # Dec/Dec level = the 2021 Dec/Dec (8.4 % published; 8.5 % chained from rounded m/m) + the excess
    assert v["cpi_decdec_pp"] - v["cpi_decdec_excess_pp"] == pytest.approx(8.4, abs=0.15)


def test_cpi_local_projection_uses_no_outcome_year_data(kaz_ctx):
    """The estimate on the atlas equals the estimate with every 2022+ row removed (out of sample)."""
    lp = local_projection(kaz_ctx.fx, kaz_ctx.prices, country="KAZ", currency="KZT", end=dt.date(2021, 12, 31))
    cut = dt.date(2022, 1, 1)
    lp2 = local_projection(kaz_ctx.fx.filter(pl.col("date") < cut), kaz_ctx.prices.filter(pl.col("date") < cut),
                           country="KAZ", currency="KZT", end=dt.date(2021, 12, 31))
    assert lp.theta == lp2.theta and lp.end == dt.date(2021, 12, 31)
    assert kaz_ctx.prices["date"].max() >= cut  # the atlas does hold 2022 prices: they were left out


def test_published_2022_moves_from_daily_official_rates(kaz_ctx):
    """Bank of Russia: 80.4194 (from 23 Feb 2022) → 120.3785 (11 Mar), +49.7 % — the issue's official
    figure +48.8 % (80.9 → 120.4) within 1 pp; NBK: the tenge's weakest, 512.19 on 16 Mar 2022 (512 on 15–16 Mar)."""
    from tethers.scenario.backtest_fx import peak_move

    fx = kaz_ctx.fx
    rub = fx.filter((pl.col("source") == "cbr_dynamics") & (pl.col("currency") == "RUB")).select("date", "per_usd")
    pk = peak_move(rub, shock_date=dt.date(2022, 2, 24), end=dt.date(2022, 12, 31))
    assert (pk["eve"], pk["peak"], pk["peak_date"]) == (pytest.approx(80.4194), pytest.approx(120.3785), dt.date(2022, 3, 11))
    assert abs(pk["move"] - 0.488) < 0.01
    kzt = fx.filter((pl.col("source") == "nbk") & (pl.col("currency") == "KZT")).select("date", "per_usd")
    pk = peak_move(kzt, shock_date=dt.date(2022, 2, 24), end=dt.date(2022, 12, 31))
    assert pk["peak_date"] in (dt.date(2022, 3, 15), dt.date(2022, 3, 16)) and round(pk["peak"]) == 512
