"""Direct trade channel: hand-computed cases, the published KAZ figures, monotonicity (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tethers.scenario.channels.trade import (
    CHANNEL,
    TradeChannel,
    alternatives_hhi,
    coverage_by_product,
    trade_loss,
)
from tethers.scenario.spec import parse_spec

from .helpers import context, trade_row

# Tolerances, each with its reason.
EXACT = 1e-9          # arithmetic on a handful of numbers
PUBLISHED_KUSD = 0.5e3  # the bureau publishes thousand USD: ±0.5 thousand of rounding
MIRROR_TOL = 0.03     # the annual Eurostat extract in the atlas and the monthly one behind the published check
                      # differ by 1.7 % for 2022 (10.18 vs 10.35 bn EUR): vintages of the same series


def spec(measures, **kw):
    return parse_spec({"name": "t", "coalition": ["DEU", "USA"], "targets": ["RUS"], "start_year": 2022,
                       "measures": measures, **kw})


# ---------------------------------------------------------------------------------------------- pure functions


@pytest.mark.parametrize(
    ("measures", "expected"),
    [
        ([(["72"], 1.0), (["7208"], 0.5), (["2709"], 0.9)], [1.0, 1.0, 0.9, 0.0]),  # the largest coverage wins
        ([(["7208"], 0.5)], [0.5, 0.5, 0.0, 0.0]),                                  # a heading touches its lines only
        ([(["720851"], 0.3), (["84"], 1.0)], [0.0, 0.3, 0.0, 1.0]),                 # a subheading touches itself
        ([], [0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_coverage_by_product(measures, expected):
    got = coverage_by_product(["720810", "720851", "270900", "840999"], measures)
    assert got.tolist() == expected


@pytest.mark.parametrize(
    ("known", "residual", "expected"),
    [
        ([30.0, 10.0], 60.0, 0.09 + 0.01 + 0.36),  # 0.3² + 0.1² + 0.6²
        ([50.0, 50.0], 0.0, 0.5),
        ([], 0.0, 1.0),                            # no alternative: nothing to substitute towards
        ([80.0], 0.0, 1.0),
    ],
)
def test_alternatives_hhi(known, residual, expected):
    assert alternatives_hhi(np.array(known), residual) == pytest.approx(expected, abs=EXACT)


def test_trade_loss_hand_case():
    # V = 100, X = 400, H = 0.5, δ = 0.5, ε = −4 (σ = 5), η = 2 → κ = (1 − 2)/(−4) = 0.25
    # D = 50, d = 0.125, L_CES = 400 (1 − 0.875^0.25) = 400 × 0.0328318 = 13.13272
    # L = 0.5 × 50 + 0.5 × 13.13272 = 31.56636, S = 50 − L = 18.43364
    loss, subst = trade_loss(np.array([100.0]), np.array([400.0]), np.array([0.5]), disruption=0.5,
                             trade_elasticity=-4.0, upper_elasticity=2.0)
    assert loss[0] == pytest.approx(31.56636, abs=1e-5)
    assert subst[0] == pytest.approx(18.43364, abs=1e-5)


@pytest.mark.parametrize(
    ("hhi", "eta", "expected_loss"),
    [
        (1.0, 2.0, 50.0),   # a single alternative: the whole disrupted value is lost
        (0.5, 1.0, 25.0),   # η = 1 (κ = 0): spending on the product is unchanged, L = H·D
        (0.0, 1.0, 0.0),    # atomistic alternatives and η = 1: everything is substituted
    ],
)
def test_trade_loss_limits(hhi, eta, expected_loss):
    loss, subst = trade_loss(np.array([100.0]), np.array([400.0]), np.array([hhi]), disruption=0.5,
                             trade_elasticity=-4.0, upper_elasticity=eta)
    assert loss[0] == pytest.approx(expected_loss, abs=EXACT)
    assert loss[0] + subst[0] == pytest.approx(50.0, abs=EXACT)


@given(
    cov=st.lists(st.floats(0, 1), min_size=2, max_size=2).map(sorted),
    share=st.floats(0.01, 1.0), hhi=st.floats(0, 1), delta=st.floats(0, 1), eps=st.floats(-8, -2),
    eta=st.floats(0, 1.9),
)
def test_trade_loss_rises_with_coverage(cov, share, hhi, delta, eps, eta):
    world = np.array([1000.0, 1000.0])
    touched = np.array(cov) * share * world
    loss, subst = trade_loss(touched, world, np.array([hhi, hhi]), disruption=delta, trade_elasticity=eps,
                             upper_elasticity=eta)
    assert loss[1] >= loss[0] - 1e-9
    assert (loss >= -1e-12).all() and (subst >= -1e-9).all()


# ---------------------------------------------------------------------------------------------- hand-made context


def _ctx():
    rows = [
        # official totals (kz_bns) 2021: exports to RUS 200, CHN 300; imports from RUS 500, CHN 300, DEU 200
        trade_row(2021, "KAZ", "RUS", "export", 200), trade_row(2021, "KAZ", "CHN", "export", 300),
        trade_row(2021, "KAZ", "RUS", "import", 500), trade_row(2021, "KAZ", "CHN", "import", 300),
        trade_row(2021, "KAZ", "DEU", "import", 200),
        # exports by HS6 (baci) 2021: 720810 RUS 80, CHN 20, world 100; 840999 RUS 20, world 20
        trade_row(2021, "KAZ", "RUS", "export", 80, product="720810", source="baci"),
        trade_row(2021, "KAZ", "CHN", "export", 20, product="720810", source="baci"),
        trade_row(2021, "KAZ", "WLD", "export", 100, product="720810", source="baci"),
        trade_row(2021, "KAZ", "RUS", "export", 20, product="840999", source="baci"),
        trade_row(2021, "KAZ", "WLD", "export", 20, product="840999", source="baci"),
    ]
    return context(rows)


def _value(eff: pl.DataFrame, metric: str, detail_prefix: str | None = None) -> float:
    d = eff.filter(pl.col("metric") == metric)
    d = d.filter(pl.col("detail") == "") if detail_prefix is None else d.filter(pl.col("detail").str.starts_with(detail_prefix))
    assert d.height == 1, d
    return float(d["value"][0])


def test_channel_hand_case_kappa_zero():
    # δ = 1, η = 1 (κ = 0): L = H·D.
    # Exports, ban on 84: scale φ = 200 / (80 + 20) = 2; 840999 touched 20 × 2 = 40, no alternative (H = 1): L = 40.
    # Imports, ban on 72 — proxy: 72's share of exports to RUS = 80 / 100 = 0.8 → touched 0.8 × 500 = 400;
    # alternatives CHN 300, DEU 200 → H = 0.6² + 0.4² = 0.52 → L = 208, S = 192.
    s = spec([{"type": "export_ban", "products": ["84"]}, {"type": "import_ban", "products": ["72"]}])
    eff = TradeChannel().run(s, _ctx(), {"disruption": 1.0, "trade_elasticity": -4.0, "upper_elasticity": 1.0})
    assert _value(eff, "touched_exports_usd", "flow=export") == pytest.approx(40.0, abs=EXACT)
    assert _value(eff, "trade_loss_usd", "flow=export; basis") == pytest.approx(40.0, abs=EXACT)
    assert _value(eff, "trade_loss_usd", "flow=export; hs=84") == pytest.approx(40.0, abs=EXACT)
    assert _value(eff, "touched_imports_usd", "flow=import") == pytest.approx(400.0, abs=EXACT)
    assert _value(eff, "trade_loss_usd", "flow=import") == pytest.approx(208.0, abs=EXACT)
    assert _value(eff, "substituted_usd", "flow=import") == pytest.approx(192.0, abs=EXACT)
    assert _value(eff, "trade_loss_usd") == pytest.approx(248.0, abs=EXACT)
    assert _value(eff, "trade_loss_share_with_targets") == pytest.approx(248.0 / 700.0, abs=EXACT)
    assert "proxy" in eff.filter(pl.col("metric") == "touched_imports_usd")["detail"][0]


def test_channel_hand_case_ces():
    # η = 2, ε = −4 → κ = 0.25. Imports: X = 1000 (all imports), d = 400/1000 = 0.4,
    # L_CES = 1000 (1 − 0.6^0.25) = 1000 × 0.1198883 = 119.8883; L = 0.52 × 400 + 0.48 × 119.8883 = 265.5464.
    s = spec([{"type": "import_ban", "products": ["72"]}])
    eff = TradeChannel().run(s, _ctx(), {"disruption": 1.0, "trade_elasticity": -4.0, "upper_elasticity": 2.0})
    assert _value(eff, "trade_loss_usd", "flow=import") == pytest.approx(265.5464, abs=1e-4)
    assert _value(eff, "trade_loss_usd", "flow=export; basis") == 0.0  # no export ban: nothing touched


def test_price_cap_counts_with_full_coverage():
    s1 = spec([{"type": "import_ban", "products": ["72"], "coverage": 0.5}])
    s2 = spec([{"type": "import_ban", "products": ["72"], "coverage": 0.5},
               {"type": "price_cap", "products": ["72"], "cap_usd_per_unit": 60}])
    p = {"disruption": 1.0, "trade_elasticity": -4.0, "upper_elasticity": 1.0}
    assert _value(TradeChannel().run(s1, _ctx(), p), "touched_imports_usd", "flow=import") == pytest.approx(200.0)
    assert _value(TradeChannel().run(s2, _ctx(), p), "touched_imports_usd", "flow=import") == pytest.approx(400.0)


# ---------------------------------------------------------------------------------------------- real KAZ data


ALL_CHAPTERS = [f"{i:02d}" for i in range(1, 98)]


def test_kaz_imports_from_russia_published_total(kaz_ctx):
    # Banning every chapter touches all of KAZ's 2021 imports from Russia: 17,605,534 thousand USD
    # (BNS, shared/data/trade/SOURCE.md, "Headline check").
    s = spec([{"type": "import_ban", "products": ALL_CHAPTERS}])
    ctx = type(kaz_ctx)(**{**kaz_ctx.__dict__, "coalition": frozenset({"DEU", "USA"})})
    eff = TradeChannel().run(s, ctx, {k: p.central for k, p in CHANNEL.parameters().items()})
    assert _value(eff, "touched_imports_usd", "flow=import") == pytest.approx(17_605_534e3, abs=PUBLISHED_KUSD)


@pytest.mark.shared
def test_kaz_steel_exports_to_russia_from_the_baci_file(kaz_ctx, shared):
    # Cross-check with the BACI file read directly: HS 72's share of KAZ→RUS exports (BACI 2021, thousand USD)
    # times the official KAZ→RUS exports 2021 (BNS, thousand USD).
    baci = pl.read_csv(shared / "trade/baci_hs02_v202301_kaz_exports_hs6_x_top5partners_2021.csv",
                       schema_overrides={"k": pl.Utf8})
    rus = baci.filter(pl.col("name").str.contains("(?i)russia"))
    assert rus.height > 0
    k = rus["k"].str.zfill(6)
    share72 = float(rus.filter(k.str.starts_with("72"))["v"].sum() / rus["v"].sum())
    bns = pl.read_csv(shared / "trade/kz_bns_trade_by_partner_2018_2023.csv")
    x = bns.filter((pl.col("year") == 2021) & (pl.col("vintage") == "latest") & (pl.col("partner_iso3") == "RUS")
                   & (pl.col("row_type") == "country"))["exports_kusd"].sum() * 1e3
    s = spec([{"type": "export_ban", "products": ["72"]}])
    eff = TradeChannel().run(s, kaz_ctx, {"disruption": 0.3, "trade_elasticity": -4.5, "upper_elasticity": 1.5})
    assert _value(eff, "touched_exports_usd", "flow=export") == pytest.approx(share72 * x, rel=1e-6)


def test_kaz_mirror_statistics(kaz_ctx, eu2022):
    # Published check (shared/data/trade/SOURCE.md): EU27 → KZ 5.49 bn EUR (2021) → 10.35 bn EUR (2022), +88.5 %.
    # The atlas holds USD (annual mean of the monthly USD/EUR rates: 1.189825 in 2021, 1.0486495 in 2022,
    # src/tethers/sources/data/eur_usd_rates.csv), so the USD growth is 1.885246 × 1.0486495 / 1.189825 − 1.
    eff = TradeChannel().run(eu2022, kaz_ctx, {"disruption": 0.3, "trade_elasticity": -4.5, "upper_elasticity": 1.5})
    expected = (10.35 / 5.49) * 1.0486495 / 1.189825 - 1
    assert _value(eff, "mirror_coalition_exports_growth", "EU27") == pytest.approx(expected, abs=MIRROR_TOL)
    # KAZ exports to Russia rose 2021 → 2022 (BNS: 7.0187 → 9.0914 bn USD in the atlas) and the signal is raised
    assert _value(eff, "exports_to_targets_growth", "KAZ") > 0.2
    assert _value(eff, "diversion_signal", "2021") == 1.0


def test_real_kaz_loss_is_bounded_by_touched_trade(kaz_ctx, eu2022):
    eff = CHANNEL.run(eu2022, kaz_ctx, {"disruption": 0.3, "trade_elasticity": -4.5, "upper_elasticity": 1.5})
    touched, loss = _value(eff, "touched_trade_usd"), _value(eff, "trade_loss_usd")
    assert 0 < loss <= 0.3 * touched
    assert math.isclose(loss + _value(eff, "substituted_usd"), _value(eff, "disrupted_usd"), rel_tol=1e-12)


# ---------------------------------------------------------------------------------------------- monotonicity


@settings(max_examples=40, deadline=None)
@given(
    base=st.sets(st.sampled_from(ALL_CHAPTERS), min_size=1, max_size=8),
    more=st.sets(st.sampled_from(ALL_CHAPTERS), min_size=1, max_size=8),
    delta=st.floats(0.05, 1.0), eps=st.floats(-6.0, -3.0), eta=st.floats(0.5, 2.0),
    kind=st.sampled_from(["export_ban", "import_ban"]),
)
def test_banning_more_products_never_lowers_the_loss(kaz_ctx, base, more, delta, eps, eta, kind):
    p = {"disruption": delta, "trade_elasticity": eps, "upper_elasticity": eta}
    small = spec([{"type": kind, "products": sorted(base)}])
    big = spec([{"type": kind, "products": sorted(base | more)}])
    lo = _value(TradeChannel().run(small, kaz_ctx, p), "trade_loss_usd")
    hi = _value(TradeChannel().run(big, kaz_ctx, p), "trade_loss_usd")
    assert hi >= lo - 1e-6
