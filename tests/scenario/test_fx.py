"""Currency and prices channel: the hand-computed chain, a hand-made regression, the published 2022 episode."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from tethers.scenario.channels.fx import CHANNEL, FxChannel, estimate_passthrough, shock_path
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


def test_default_shock_is_the_published_2022_episode(atlas):
    # USD/RUB 77.4702 (2022-02-01) → 93.5589 (2022-03-01), CBR; +20.8 %
    rub = atlas.sql("SELECT date, per_usd FROM fx WHERE source = 'cbr' AND currency = 'RUB' "
                    "AND date IN ('2022-02-01', '2022-03-01') ORDER BY date")["per_usd"].to_list()
    assert rub == pytest.approx([77.4702, 93.5589], abs=5e-5)
    d = CHANNEL.parameters()["target_depreciation"]
    assert d.central == pytest.approx(math.log(93.5589 / 77.4702), abs=CBR_ROUNDING)
    assert math.expm1(d.central) == pytest.approx(0.208, abs=5e-4)
    assert d.a == pytest.approx(math.log(83.4097 / 77.4702), abs=CBR_ROUNDING)
    assert d.b == pytest.approx(math.log(143.00 / 84.05), abs=CBR_ROUNDING)


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
    ctx = context([], fx_rows=_fx_rows(x, [0.5 * v for v in x]), base_year=2016)
    for lags in (0, 1):
        est = estimate_passthrough(ctx, y="KZT", x="RUB", window_years=1, lags=lags)
        assert est.beta == pytest.approx(0.5, abs=1e-9)
    # the channel: I = 1, D = 0.2 → KZT falls by e^{0.1} − 1; with φ = 0.5, m = 0.2: ΔCPI = 100·0.2·0.5·0.1 = 1 pp
    ch = FxChannel()
    p = {**{k: v.central for k, v in ch.parameters().items()}, "window_years": 1.0, "lags": 0.0,
         "target_depreciation": 0.2, "passthrough_z": 0.0, "import_passthrough": 0.5, "import_share_cpi": 0.2}
    eff = ch.run(spec(1.0), ctx, p)
    v = dict(zip(eff["metric"], eff["value"], strict=True))
    assert v["currency_depreciation"] == pytest.approx(math.expm1(0.1), abs=1e-9)
    assert v["cpi_impact_pp"] == pytest.approx(1.0, abs=1e-9)


def test_no_financial_measure_no_shock():
    x = [0.01, -0.02, 0.03, 0.0, 0.05, -0.01, 0.02, 0.04, -0.03, 0.01, 0.0, 0.02]
    ctx = context([], fx_rows=_fx_rows(x, [0.5 * v for v in x]), base_year=2016)
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
    # intensity 1 × ln(93.5589/77.4702) × β̂, then × 0.64 × 0.27 × 100
    de = est.beta * 0.18870
    assert v["currency_depreciation"] == pytest.approx(math.expm1(de), abs=EXACT)
    assert v["cpi_impact_pp"] == pytest.approx(100 * 0.27 * 0.64 * de, abs=EXACT)
    assert 0 < est.beta < 1  # a partial pass-through (KZT floats since August 2015)
