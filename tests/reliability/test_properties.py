"""Property-based tests (hypothesis) for the measures and channels the other suites cover by hand cases only.

Already property-tested elsewhere (not repeated): trade partner shares and HHI (tests/measures/test_trade.py),
the balance index (test_balance.py), alignment vs a loop reference (test_alignment.py), the trade channel's
loss monotone in coverage and in banned products (tests/scenario/test_trade.py), the transit channel's
stranded volume monotone in closed routes (tests/scenario_channels/test_transit.py).

Added here: transit route allocation (measures.transit), world export HHI (measures.critical), FX log
returns (measures.fx), the FX shock chain (channels.fx), Leontief/Ghosh solves (channels.io), portfolio
exposure (channels.markets), product coverage and alternatives' HHI (channels.trade).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tethers.measures import critical as C
from tethers.measures import fx as F
from tethers.measures import transit as X
from tethers.scenario.channels import io as IO
from tethers.scenario.channels.fx import shock_path
from tethers.scenario.channels.markets import exposure
from tethers.scenario.channels.trade import alternatives_hhi, coverage_by_product

TOL = 1e-9
PROPS = settings(max_examples=60, deadline=None)

# ---- transit route allocation ---------------------------------------------------------------------

PARTNERS = ["CHN", "RUS", "DEU", "TUR", "AZE"]


def _routes(rows):
    return pl.DataFrame(
        rows, schema={"route_id": pl.Utf8, "carrier": pl.Utf8, "countries": pl.Utf8, "capacity": pl.Float64,
                      "start_year": pl.Int32}, orient="row",
    ).with_columns(name=pl.col("route_id"), kind=pl.lit("pipeline"), source=pl.lit("test"))


def _flows(rows):
    return pl.DataFrame(
        rows, schema={"year": pl.Int32, "exporter": pl.Utf8, "importer": pl.Utf8, "carrier": pl.Utf8,
                      "volume": pl.Float64}, orient="row",
    ).with_columns(mode=pl.lit("pipeline"), unit=pl.lit("Mt"), source=pl.lit("test"))


route_st = st.tuples(st.lists(st.sampled_from(PARTNERS), min_size=1, max_size=3, unique=True),
                     st.floats(1.0, 100.0))
network_st = st.fixed_dictionaries({
    "routes": st.lists(route_st, min_size=1, max_size=5),
    "flows": st.dictionaries(st.sampled_from(PARTNERS), st.floats(0.1, 1e4), min_size=1),
})


def _network(n, cap_scale=1.0, vol_scale=1.0):
    routes = _routes([(f"r{i}", "oil", ";".join(["KAZ", *via]), cap * cap_scale, 2000)
                      for i, (via, cap) in enumerate(n["routes"])])
    flows = _flows([(2021, "KAZ", imp, "oil", v * vol_scale) for imp, v in n["flows"].items()])
    return flows, routes


@PROPS
@given(network_st, st.sampled_from(["capacity", "equal"]))
def test_route_weights_sum_to_one_and_volumes_add_up(n, weights):
    flows, routes = _network(n)
    out = X.route_allocation(flows, routes, weights=weights)
    assert (out["weight"] >= -TOL).all() and (out["weight"] <= 1 + TOL).all()
    per = out.group_by("importer").agg(pl.col("weight").sum(), pl.col("volume").sum())
    for r in per.iter_rows(named=True):
        assert r["weight"] == pytest.approx(1.0, abs=1e-9)
        assert r["volume"] == pytest.approx(n["flows"][r["importer"]], rel=1e-9)


@PROPS
@given(network_st, st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_route_allocation_scale_invariance(n, k_cap, k_vol):
    """Capacities in other units leave the weights; volumes in other units scale the volumes."""
    a = X.route_allocation(*_network(n)).sort("importer", "route_id")
    b = X.route_allocation(*_network(n, cap_scale=k_cap, vol_scale=k_vol)).sort("importer", "route_id")
    assert a["route_id"].to_list() == b["route_id"].to_list()
    np.testing.assert_allclose(a["weight"].to_numpy(), b["weight"].to_numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a["volume"].to_numpy() * k_vol, b["volume"].to_numpy(), rtol=1e-9)


@PROPS
@given(network_st)
def test_transit_shares_are_shares(n):
    out = X.transit_shares(*_network(n))
    shares = out["share"].drop_nulls().drop_nans()
    assert ((shares >= -TOL) & (shares <= 1 + TOL)).all()


# ---- world export HHI -----------------------------------------------------------------------------

EXPORTERS = ["KAZ", "RUS", "CHN", "DEU", "USA", "TUR", "UZB"]


def _world(values: dict[str, float], k: float = 1.0) -> pl.DataFrame:
    rows = [(e, 2021, "export", "GBR", v * k) for e, v in values.items()]
    df = pl.DataFrame(rows, schema={"reporter": pl.Utf8, "year": pl.Int32, "flow": pl.Utf8, "partner": pl.Utf8,
                                    "value_usd": pl.Float64}, orient="row")
    return df.with_columns(source=pl.lit("test"), classification=pl.lit("HS02"), product=pl.lit("270900"),
                           value_kind=pl.lit("reported"), quantity=pl.lit(None, pl.Float64),
                           quantity_unit=pl.lit(None, pl.Utf8))


@PROPS
@given(st.dictionaries(st.sampled_from(EXPORTERS), st.floats(1.0, 1e9), min_size=1), st.floats(1e-3, 1e3))
def test_world_export_hhi_bounds_and_scale_invariance(values, k):
    h = C.world_export_hhi(_world(values))
    hk = C.world_export_hhi(_world(values, k))
    hcol = "world_hhi"
    v = h[hcol].item()
    assert 1.0 / len(values) - TOL <= v <= 1.0 + TOL
    assert hk[hcol].item() == pytest.approx(v, rel=1e-9)


# ---- FX log returns -------------------------------------------------------------------------------


def _fx(prices: list[float], k: float = 1.0) -> pl.DataFrame:
    import datetime as dt

    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(len(prices))]
    return pl.DataFrame({"date": dates, "currency": ["KZT"] * len(prices), "per_usd": [p * k for p in prices],
                         "frequency": ["daily"] * len(prices), "source": ["test"] * len(prices)})


@PROPS
@given(st.lists(st.floats(1e-2, 1e4), min_size=2, max_size=40), st.floats(1e-3, 1e3))
def test_log_returns_telescope_and_ignore_units(prices, k):
    r = F.log_returns(_fx(prices))["log_return"]
    rk = F.log_returns(_fx(prices, k))["log_return"]
    assert r[0] is None
    assert r[1:].sum() == pytest.approx(math.log(prices[-1] / prices[0]), abs=1e-9)
    np.testing.assert_allclose(r[1:].to_numpy(), rk[1:].to_numpy(), atol=1e-9)


# ---- FX shock chain -------------------------------------------------------------------------------

unit = st.floats(0.0, 1.0)


@PROPS
@given(unit, unit, st.floats(0.0, 1.0), st.floats(0.0, 2.0), unit, unit)
def test_shock_path_zero_linear_and_monotone_in_intensity(i1, i2, dep, beta, pt, share):
    lo, hi = sorted((i1, i2))
    kw = {"target_depreciation": dep, "beta": beta, "import_passthrough": pt, "import_share_cpi": share}
    a, b = shock_path(intensity=lo, **kw), shock_path(intensity=hi, **kw)
    zero = shock_path(intensity=0.0, **kw)
    assert all(v == 0 for v in zero.values())
    for key in a:
        assert b[key] >= a[key] - TOL
        assert a[key] == pytest.approx(lo * shock_path(intensity=1.0, **kw)[key], abs=1e-12)


# ---- input-output solves --------------------------------------------------------------------------


@st.composite
def productive_A(draw, n_max=6):
    """A non-negative technical-coefficient matrix with column sums < 1 (a productive economy)."""
    n = draw(st.integers(1, n_max))
    raw = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n * n, max_size=n * n))).reshape(n, n)
    scale = draw(st.floats(0.0, 0.95))
    sums = raw.sum(axis=0)
    return raw / np.where(sums > 0, sums, 1.0) * scale


@PROPS
@given(productive_A().flatmap(lambda A: st.tuples(
    st.just(A),
    st.lists(st.floats(0.0, 1e6), min_size=A.shape[0], max_size=A.shape[0]),
    st.lists(st.floats(0.0, 1e6), min_size=A.shape[0], max_size=A.shape[0]))))
def test_leontief_output_covers_demand_and_is_monotone(case):
    A, y1, y2 = case
    y1, y2 = np.array(y1), np.array(y2)
    lo, hi = np.minimum(y1, y2), np.maximum(y1, y2)
    x_lo, x_hi = IO.solve_leontief(A, lo), IO.solve_leontief(A, hi)
    scale = 1e-9 * max(1.0, float(hi.max(initial=0.0))) * 30
    assert (x_lo >= lo - scale).all()  # gross output at least final demand
    assert (x_hi >= x_lo - scale).all()  # more final demand never lowers any output
    np.testing.assert_allclose(IO.solve_leontief(A, lo + hi), x_lo + x_hi, rtol=1e-7, atol=scale)


@PROPS
@given(productive_A().flatmap(lambda B: st.tuples(
    st.just(B), st.lists(st.floats(0.0, 1e6), min_size=B.shape[0], max_size=B.shape[0]))))
def test_ghosh_output_covers_primary_inputs(case):
    B, v = case
    v = np.array(v)
    x = IO.ghosh_output(B.T, v)  # row sums of B < 1 (the transposed productive matrix)
    assert (x >= v - 1e-9 * max(1.0, float(v.max(initial=0.0))) * 30).all()


# ---- portfolio exposure ---------------------------------------------------------------------------

holding_st = st.lists(
    st.tuples(st.sampled_from(["A", "B", "C", "D"]), st.floats(0.01, 10.0),
              st.sampled_from(["RUS", "BLR", "CHN", "DEU", "USA"]), st.floats(0.0, 0.3)),
    min_size=1, max_size=12,
).map(lambda rows: [(c, {r[0]: r[1] for r in rows}[c], p, s) for c, _, p, s in
                    {(r[0], r[2]): r for r in rows}.values()])


@PROPS
@given(holding_st, st.sets(st.sampled_from(["RUS", "BLR", "CHN", "DEU", "USA"])),
       st.sets(st.sampled_from(["RUS", "BLR", "CHN", "DEU", "USA"])))
def test_exposure_bounded_and_monotone_in_targets(rows, t1, t2):
    h = pl.DataFrame(rows, schema={"company": pl.Utf8, "weight": pl.Float64, "partner": pl.Utf8,
                                   "revenue_share": pl.Float64}, orient="row")
    small, big = exposure(h, t1), exposure(h, t1 | t2)
    per = small.filter(pl.col("company") != "PORTFOLIO")["exposure"]
    port = small.filter(pl.col("company") == "PORTFOLIO")["exposure"].item()
    assert per.min() - TOL <= port <= per.max() + TOL
    s = dict(zip(small["company"], small["exposure"], strict=True))
    b = dict(zip(big["company"], big["exposure"], strict=True))
    assert all(b[c] >= s[c] - TOL for c in s)


# ---- trade channel helpers ------------------------------------------------------------------------

hs6 = st.from_regex(r"\A[0-9]{6}\Z", fullmatch=True)
codes = st.lists(st.from_regex(r"\A[0-9]{2}([0-9]{2}([0-9]{2})?)?\Z", fullmatch=True), min_size=1, max_size=4)


@PROPS
@given(st.lists(hs6, min_size=1, max_size=30), st.lists(st.tuples(codes, unit), max_size=4), codes, unit)
def test_coverage_in_unit_interval_and_monotone_in_measures(products, measures, more, cov):
    a = coverage_by_product(products, measures)
    b = coverage_by_product(products, [*measures, (more, cov)])
    assert ((a >= 0) & (a <= 1)).all()
    assert (b >= a).all()


@PROPS
@given(st.lists(st.floats(0.0, 1e9), max_size=10), st.floats(0.0, 1e9), st.floats(1e-3, 1e3))
def test_alternatives_hhi_bounds_and_scale(known, residual, k):
    arr = np.array(known, dtype=float)
    h = alternatives_hhi(arr, residual)
    assert 0.0 <= h <= 1.0 + TOL
    if arr.sum() + residual > 0:
        assert alternatives_hhi(arr * k, residual * k) == pytest.approx(h, rel=1e-9)
