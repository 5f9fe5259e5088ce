"""Transit channel: brute force on a 6-node graph, monotonicity, and Kazakhstan's real routes by hand."""

from __future__ import annotations

import itertools
import math
import random
from importlib import resources

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tethers.scenario.channels import transit as X
from tethers.scenario.channels.base import EFFECT_COLUMNS, Context
from tethers.scenario.spec import parse_spec

# The solver works in integer millionths of the carrier unit (tonnes for Mt): volumes are exact to 1e-6.
VOL = 1e-6
# Brute force and solver both use integer data; costs differ only by float summation order.
COST = 1e-6
prop = settings(deadline=None, max_examples=60)

# ---------------------------------------------------------------------------------------------------
# A hand-built 6-node graph: fields F1, F2 → hub H → border B → ports P1, P2, plus direct F1→P2, F2→P1.
# ---------------------------------------------------------------------------------------------------
LEGS = [("r1", "F1", "H"), ("r2", "F2", "H"), ("r3", "H", "B"), ("r4", "B", "P1"), ("r5", "B", "P2"),
        ("r6", "F1", "P2"), ("r7", "F2", "P1")]
RIDS = [r for r, _, _ in LEGS]
# Every source→market path, as route ids (enumerated by hand from LEGS).
PATHS = [("r1", "r3", "r4"), ("r1", "r3", "r5"), ("r2", "r3", "r4"), ("r2", "r3", "r5"), ("r6",), ("r7",)]
COUNTRIES = {"r1": "KAZ", "r2": "KAZ", "r3": "KAZ;RUS", "r4": "RUS", "r5": "RUS;TUR", "r6": "KAZ;CHN",
             "r7": "KAZ;AZE;GEO"}


def small_edges(caps: dict[str, float], costs: dict[str, float]) -> pl.DataFrame:
    """The 6-node graph through the public builder (routes table + topology table)."""
    routes = pl.DataFrame({
        "route_id": RIDS, "name": RIDS, "carrier": ["oil"] * 7, "countries": [COUNTRIES[r] for r in RIDS],
        "capacity": [float(caps[r]) for r in RIDS], "unit": ["Mt/y"] * 7, "status": ["operating"] * 7,
        "start_year": [2000] * 7, "source": ["test"] * 7,
    })
    topo = pl.DataFrame({
        "country": ["KAZ"] * 7, "route_id": RIDS, "carrier": ["oil"] * 7,
        "from_node": [u for _, u, _ in LEGS], "to_node": [v for _, _, v in LEGS],
        "to_country": ["RUS", "RUS", "RUS", "RUS", "TUR", "CHN", "GEO"], "countries": [None] * 7,
        "scale_param": [None] * 7, "reserved_param": [None] * 7,
        "cost_low": [float(costs[r]) for r in RIDS], "cost_mode": [float(costs[r]) for r in RIDS],
        "cost_high": [float(costs[r]) for r in RIDS], "cost_unit": ["USD/t"] * 7, "aliases": [""] * 7,
        "note": [""] * 7,
    }, schema=X._TOPO_SCHEMA)
    return X.network_edges(routes, topo, carrier="oil", year=2021)


def brute_force(caps, costs, supply: int, closed: set[str]):
    """Enumerate every integer vector of path flows; return (stranded, cost, set of optimal route loads)."""
    inc = np.array([[r in p for r in RIDS] for p in PATHS], dtype=int)  # path × route
    cap = np.array([0 if r in closed else caps[r] for r in RIDS])
    pcost = inc @ np.array([costs[r] for r in RIDS])
    grid = np.array(list(itertools.product(range(supply + 1), repeat=len(PATHS))))
    grid = grid[grid.sum(axis=1) <= supply]
    loads = grid @ inc
    ok = (loads <= cap).all(axis=1)
    grid, loads = grid[ok], loads[ok]
    penalty = 1 + pcost.sum()
    obj = grid @ pcost + penalty * (supply - grid.sum(axis=1))
    best = obj == obj.min()
    shipped = grid[best][0].sum()
    return supply - shipped, float(grid[best][0] @ pcost), {tuple(x) for x in loads[best]}


def random_case(seed: int):
    rng = random.Random(seed)
    caps = {r: rng.randint(0, 4) for r in RIDS}
    costs = {r: rng.randint(1, 9) for r in RIDS}
    closed = {r for r in RIDS if rng.random() < 0.3}
    return caps, costs, rng.randint(1, 5), closed


@pytest.mark.parametrize("seed", range(12))
def test_rerouting_equals_brute_force(seed):
    caps, costs, supply, closed = random_case(seed)
    edges = small_edges(caps, costs)
    res = X.reroute(edges, carrier="oil", supply=float(supply), closed=closed, exporter="KAZ", year=2021)
    for sol, shut in ((res.before, set()), (res.after, closed)):
        stranded, cost, optimal_loads = brute_force(caps, costs, supply, shut)
        assert sol.stranded == pytest.approx(stranded, abs=VOL)
        assert sol.cost_usd == pytest.approx(cost * 1e6, abs=COST * 1e6)  # Mt × 1e6 t/Mt × USD/t
        if len(optimal_loads) == 1:  # a unique optimum: the route volumes must match too
            (loads,) = optimal_loads
            assert [sol.flows[r] for r in RIDS] == pytest.approx([float(v) for v in loads], abs=VOL)
        assert sol.routed + sol.stranded == pytest.approx(supply, abs=VOL)


def test_extra_cost_by_hand():
    # r6 (F1→P2) is cheap: 1 USD/t, cap 3; the chain r1-r3-r5 costs 2+2+2 = 6 USD/t, cap 4. Supply 3 Mt.
    caps = dict.fromkeys(RIDS, 0) | {"r6": 3, "r1": 4, "r3": 4, "r5": 4}
    costs = dict.fromkeys(RIDS, 9) | {"r6": 1, "r1": 2, "r3": 2, "r5": 2}
    edges = small_edges(caps, costs)
    res = X.reroute(edges, carrier="oil", supply=3.0, closed={"r6"}, exporter="KAZ", year=2021)
    assert res.before.flows["r6"] == pytest.approx(3.0, abs=VOL)
    assert res.after.flows["r5"] == pytest.approx(3.0, abs=VOL)
    assert res.after.stranded == pytest.approx(0.0, abs=VOL)
    # 3 Mt × (6 − 1) USD/t
    assert res.extra_cost_usd == pytest.approx(3e6 * 5, abs=COST * 1e6)
    # measures.transit.crossed (the dependence report's definition): before all via r6 (KAZ;CHN, no destination:
    # the volume goes on from China's end) → CHN 1; after r1 (KAZ), r3 (KAZ;RUS), r5 (RUS;TUR) → RUS 1; r5 lists no
    # KAZ: an onward leg, not followed → TUR 0
    assert res.shares_before["CHN"] == pytest.approx(1.0) and res.shares_before["RUS"] == 0.0
    assert res.shares_after["RUS"] == pytest.approx(1.0) and res.shares_after["TUR"] == 0.0
    assert res.shares_after["CHN"] == 0.0
    # with r6 delivering into China (a route_flows destination), China is a destination, not transit
    res = X.reroute(edges, carrier="oil", supply=3.0, closed={"r6"}, exporter="KAZ", year=2021,
                    destinations={"r6": "CHN"})
    assert res.shares_before["CHN"] == 0.0


caps_st = st.fixed_dictionaries({r: st.integers(0, 5) for r in RIDS})
costs_st = st.fixed_dictionaries({r: st.integers(1, 9) for r in RIDS})


@prop
@given(caps=caps_st, costs=costs_st, supply=st.integers(0, 12), a=st.sets(st.sampled_from(RIDS)),
       extra=st.sets(st.sampled_from(RIDS)))
def test_closing_more_routes_never_lowers_stranded(caps, costs, supply, a, extra):
    edges = small_edges(caps, costs)
    s_a = X.solve_min_cost_flow(edges, supply=float(supply), closed=a).stranded
    s_b = X.solve_min_cost_flow(edges, supply=float(supply), closed=a | extra).stranded
    assert s_b >= s_a - VOL


# ---------------------------------------------------------------------------------------------------
# Kazakhstan: the hand-kept routes shipped with tethers (the rows the atlas loads as source "handkept").
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kaz_routes() -> pl.DataFrame:
    with resources.files("tethers.data").joinpath("routes.csv").open("rb") as fh:
        return pl.read_csv(fh).with_columns(source=pl.lit("handkept"))


@pytest.fixture(scope="module")
def kaz_topology() -> pl.DataFrame:
    return X.load_topology("KAZ")


# Cited capacities (src/tethers/data/routes.csv): CPC 67, Atyrau–Samara 17.5, Atasu–Alashankou 20,
# Aktau (oil berths) 5.2, Dostyk–Alashankou rail 20, Kuryk rail-ferry 4.1 Mt/y; BTC 1.2 mb/d.
# Exports: 67.6 Mt in 2021 (Ministry of Energy, Kursiv 2021-12-28).
EXPORTS = 67.6
UAS, KCP, AKTAU, DOSTYK, KURYK = 17.5, 20.0, 5.2, 20.0, 4.1
BTC_MT = 1_200_000 * 365 / 7.33 / 1e6  # 59.75 Mt/y: never binding behind Aktau's 5.2


@pytest.mark.parametrize(("kcp_reserved", "rail_share"), [(0.0, 0.0), (10.0, 0.0), (10.0, 0.1), (4.0, 0.15)])
def test_kaz_closing_cpc_strands_what_exceeds_the_rest(kaz_routes, kaz_topology, kcp_reserved, rail_share):
    params = {"kcp_reserved_mt": kcp_reserved, "rail_oil_share": rail_share, "capacity_factor": 1.0}
    edges = X.network_edges(kaz_routes, kaz_topology, carrier="oil", year=2021, params=params)
    closed, unmatched = X.match_closures(
        [parse_spec(_spec({"routes": ["CPC"]})).measures[0]], edges, exporter="KAZ", year=2021)
    assert closed == {"cpc_tengiz_novorossiysk"} and unmatched == []
    res = X.reroute(edges, carrier="oil", supply=EXPORTS, closed=closed, exporter="KAZ", year=2021)
    remaining = UAS + (KCP - kcp_reserved) + AKTAU + rail_share * (DOSTYK + KURYK)
    assert res.before.stranded == pytest.approx(0.0, abs=VOL)  # 67 + 42.7 > 67.6: all leaves before
    assert res.after.stranded == pytest.approx(EXPORTS - remaining, abs=VOL)
    assert res.after.flows["uas_atyrau_samara"] == pytest.approx(UAS, abs=VOL)
    assert res.after.flows["aktau_port_oil"] == pytest.approx(AKTAU, abs=VOL)
    assert res.after.flows["btc_baku_tbilisi_ceyhan"] == pytest.approx(AKTAU + rail_share * KURYK, abs=VOL)
    # after: only Atyrau–Samara still crosses Russia; stranded volume crosses nothing
    assert res.shares_after["RUS"] == pytest.approx(UAS / EXPORTS, abs=VOL)
    assert res.extra_cost_usd >= -COST * 1e6


def test_kaz_closing_everything_through_russia(kaz_routes, kaz_topology):
    params = {"kcp_reserved_mt": 0.0, "rail_oil_share": 0.0, "capacity_factor": 1.0}
    edges = X.network_edges(kaz_routes, kaz_topology, carrier="oil", year=2021, params=params)
    closed, _ = X.match_closures([parse_spec(_spec({"through": ["RUS"]})).measures[0]], edges, exporter="KAZ",
                                 year=2021)
    assert closed == {"cpc_tengiz_novorossiysk", "uas_atyrau_samara"}
    res = X.reroute(edges, carrier="oil", supply=EXPORTS, closed=closed, exporter="KAZ", year=2021)
    assert res.after.stranded == pytest.approx(EXPORTS - (KCP + AKTAU), abs=VOL)
    assert res.shares_after["RUS"] == 0.0
    # measures.transit.crossed over the edges' countries (topology: Aktau KAZ;AZE): Atasu–Alashankou ends in China
    # with no destination given → CHN crossed; Aktau's tankers land in Azerbaijan (ROW); BTC (AZE;GEO;TUR) lists no
    # KAZ: an onward leg, not followed → TUR 0
    assert res.shares_after["CHN"] == pytest.approx(KCP / EXPORTS, abs=VOL)
    assert res.shares_after["TUR"] == 0.0
    assert res.shares_after["ROW"] == pytest.approx(AKTAU / EXPORTS, abs=VOL)
    # as the channel calls it: the atlas routes' countries (Aktau: KAZ only) and route_flows' destination
    # (Atasu–Alashankou → CHN): nothing left crosses a pole
    res = X.reroute(edges, carrier="oil", supply=EXPORTS, closed=closed, exporter="KAZ", year=2021,
                    route_countries=dict(zip(kaz_routes["route_id"], kaz_routes["countries"], strict=True)),
                    destinations={"kcp_atasu_alashankou": "CHN"})
    assert all(v == 0.0 for v in res.shares_after.values())


def test_kaz_btc_binds_when_aktau_is_widened(kaz_routes, kaz_topology):
    # With Aktau widened to 100 Mt/y (capacity_overrides), BTC's 1.2 mb/d becomes the bottleneck of that path.
    params = {"kcp_reserved_mt": 0.0, "rail_oil_share": 0.0, "capacity_factor": 1.0, "bbl_per_t": 7.33}
    edges = X.network_edges(kaz_routes, kaz_topology, carrier="oil", year=2021, params=params,
                            capacity_overrides={"aktau_port_oil": 100.0})
    res = X.reroute(edges, carrier="oil", supply=200.0, closed={"cpc_tengiz_novorossiysk"}, exporter="KAZ",
                    year=2021)
    assert res.after.flows["btc_baku_tbilisi_ceyhan"] == pytest.approx(BTC_MT, abs=VOL)
    assert res.after.stranded == pytest.approx(200.0 - (UAS + KCP + BTC_MT), abs=VOL)


KAZ_IDS = sorted(X.load_topology("KAZ").filter(pl.col("carrier") == "oil")["route_id"])


@prop
@given(a=st.sets(st.sampled_from(KAZ_IDS)), extra=st.sets(st.sampled_from(KAZ_IDS)),
       rail=st.floats(0, 0.15), reserved=st.floats(0, 10))
def test_kaz_monotone_in_closures(kaz_routes, kaz_topology, a, extra, rail, reserved):
    params = {"kcp_reserved_mt": reserved, "rail_oil_share": rail}
    edges = X.network_edges(kaz_routes, kaz_topology, carrier="oil", year=2021, params=params)
    s_a = X.solve_min_cost_flow(edges, supply=EXPORTS, closed=a).stranded
    s_b = X.solve_min_cost_flow(edges, supply=EXPORTS, closed=a | extra).stranded
    assert s_b >= s_a - VOL


# ---------------------------------------------------------------------------------------------------
# Units, topology, closures
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cap", "unit", "carrier", "expected"), [
    (67.0, "Mt/y", "oil", 67.0),
    (1_200_000.0, "bbl/d", "oil", 1_200_000 * 365 / 7.33 / 1e6),
    (1_340.0, "kb/d", "oil", 1_340_000 * 365 / 7.33 / 1e6),
    (15.0, "bcm/y", "gas", 15.0),
    (100.0, "mcm/d", "gas", 36.5),
    (5.0, "Mt/y", "gas", None),      # LNG tonnes: not a pipeline-gas unit
    (None, "Mt/y", "oil", None),     # unknown capacity
    (10.0, "TEU/y", "oil", None),
])
def test_to_carrier_unit(cap, unit, carrier, expected):
    got = X.to_carrier_unit(cap, unit, carrier, bbl_per_t=7.33)
    assert got == (pytest.approx(expected, rel=1e-12) if expected is not None else None)


def test_topology_routes_exist_in_the_shipped_routes(kaz_routes, kaz_topology):
    missing = set(kaz_topology["route_id"]) - set(kaz_routes["route_id"])
    assert missing == set()
    assert set(kaz_topology["carrier"]) == {"oil", "gas"}
    assert (kaz_topology["cost_low"] <= kaz_topology["cost_mode"]).all()
    assert (kaz_topology["cost_mode"] <= kaz_topology["cost_high"]).all()


def test_unknown_capacity_is_excluded_and_said(kaz_routes, kaz_topology):
    edges = X.network_edges(kaz_routes, kaz_topology, carrier="oil", year=2021)
    row = edges.filter(pl.col("route_id") == "rail_altynkol_khorgos").row(0, named=True)
    assert row["capacity"] is None and row["excluded"] == "unknown capacity"


@pytest.mark.parametrize(("closure", "expected"), [
    ({"routes": ["cpc"]}, {"cpc_tengiz_novorossiysk"}),
    ({"routes": ["GOIT:Caspian Pipeline"]}, {"cpc_tengiz_novorossiysk"}),  # the GEM row's id, as an alias
    ({"routes": ["BTC"]}, {"btc_baku_tbilisi_ceyhan"}),
    ({"through": ["AZE"]}, {"aktau_port_oil", "kuryk_port_rail_ferry", "btc_baku_tbilisi_ceyhan"}),
    ({"through": ["EU27"]}, set()),
    ({"through": ["KAZ"]}, set()),  # the exporter's own territory is never "through"
])
def test_match_closures(kaz_routes, kaz_topology, closure, expected):
    edges = X.network_edges(kaz_routes, kaz_topology, carrier="oil", year=2021)
    closed, unmatched = X.match_closures([parse_spec(_spec(closure)).measures[0]], edges, exporter="KAZ", year=2021)
    assert closed == expected and unmatched == []


def test_third_party_gas_transit_is_split_by_capacity(kaz_routes, kaz_topology):
    # Turkmen gas to China uses the Central Asia–China lines A, B, C (15, 15, 25 bcm/y), in proportion.
    flows = pl.DataFrame({"year": [2021, 2021], "exporter": ["TKM", "KAZ"], "importer": ["CHN", "CHN"],
                          "carrier": ["gas", "gas"], "volume": [11.0, 5.0]})
    got = X.third_party_transit(flows, kaz_routes, kaz_topology, carrier="gas", year=2021)
    assert got == pytest.approx({"cagp_line_a": 3.0, "cagp_line_b": 3.0, "cagp_line_c": 5.0})


# ---------------------------------------------------------------------------------------------------
# The channel
# ---------------------------------------------------------------------------------------------------


def _spec(closure: dict) -> dict:
    return {"name": "t", "coalition": ["USA"], "targets": ["RUS"], "start_year": 2022,
            "measures": [{"type": "route_closure", **closure}]}


def _ctx(country: str, routes: pl.DataFrame, flows: pl.DataFrame, trade: pl.DataFrame | None = None) -> Context:
    empty = pl.DataFrame()
    return Context(country=country, base_year=2021, coalition=frozenset({"USA"}), targets=frozenset({"RUS"}),
                   trade=empty if trade is None else trade, energy_flows=flows, routes=routes, fx=empty,
                   prices=empty, io_summary=empty)


GAS_2021 = pl.DataFrame({"year": [2021, 2021, 2021], "exporter": ["KAZ", "KAZ", "TKM"],
                         "importer": ["CHN", "RUS", "CHN"], "carrier": ["gas"] * 3, "mode": ["pipeline"] * 3,
                         "volume": [5.92, 4.64, 31.5], "unit": ["bcm"] * 3})


def test_channel_without_topology_says_so(kaz_routes):
    out = X.TransitChannel().run(parse_spec(_spec({"routes": ["CPC"]})), _ctx("UZB", kaz_routes, GAS_2021), {})
    assert out.schema == pl.Schema(EFFECT_COLUMNS)
    assert out["metric"].to_list() == ["note"] and out["detail"][0].startswith("skipped: no transit topology for UZB")


def test_channel_kaz_through_russia(kaz_routes):
    params = {"kcp_reserved_mt": 0.0, "rail_oil_share": 0.0, "capacity_factor": 1.0, "gas_market_headroom": 0.0,
              "transit_priority": 1.0}
    out = X.TransitChannel().run(parse_spec(_spec({"through": ["RUS"], "routes": ["Nord Stream"]})),
                                 _ctx("KAZ", kaz_routes, GAS_2021), params)
    assert out.schema == pl.Schema(EFFECT_COLUMNS)
    val = {(m, d): v for m, d, v in out.select("metric", "detail", "value").iter_rows()}
    assert val[("stranded_volume", "oil")] == pytest.approx(EXPORTS - (KCP + AKTAU), abs=VOL)
    # gas is sold under contracts: the 4.64 bcm for Russia cannot go to China (headroom 0) → stranded
    assert val[("stranded_volume", "gas")] == pytest.approx(4.64, abs=VOL)
    assert val[("route_volume_after", "gas|beineu_bozoi_shymkent")] == pytest.approx(5.92, abs=VOL)
    # no BACI quantities in this context: unit value from the price parameter × bbl_per_t
    usd_per_t = 70.9 * 7.33
    assert val[("stranded_value_usd", "oil")] == pytest.approx((EXPORTS - 25.2) * 1e6 * usd_per_t, rel=1e-9)
    assert val[("stranded_value_usd", "gas")] == pytest.approx(4.64 * 1e6 * 200.0, rel=1e-9)
    assert val[("stranded_value_usd", "")] == pytest.approx(val[("stranded_value_usd", "oil")]
                                                            + val[("stranded_value_usd", "gas")])
    notes = out.filter(pl.col("metric") == "note")["detail"].to_list()
    assert "route_closure: 'Nord Stream' matches no route of KAZ" in notes
    assert any("rail_altynkol_khorgos excluded (unknown capacity)" in n for n in notes)


def test_channel_gas_headroom_lets_china_absorb(kaz_routes):
    params = {"gas_market_headroom": 0.5}
    out = X.TransitChannel().run(parse_spec(_spec({"through": ["RUS"]})), _ctx("KAZ", kaz_routes, GAS_2021), params)
    val = {(m, d): v for m, d, v in out.select("metric", "detail", "value").iter_rows()}
    # China takes up to 1.5 × 5.92 = 8.88 bcm, within the Beineu–Bozoi–Shymkent 15 bcm/y
    assert val[("stranded_volume", "gas")] == pytest.approx(10.56 - 8.88, abs=VOL)
    assert val[("extra_cost_usd", "gas")] >= 0.0


def test_channel_oil_demand_from_baci(kaz_routes):
    trade = pl.DataFrame({"year": [2021, 2021, 2021], "reporter": ["KAZ"] * 3, "partner": ["ITA", "CHN", "WLD"],
                          "flow": ["export"] * 3, "product": ["270900"] * 3, "quantity": [30e6, 10e6, None],
                          "quantity_unit": ["t", "t", None], "value_usd": [15e9, 5e9, 20e9]})
    out = X.TransitChannel(oil_demand="baci").run(parse_spec(_spec({"routes": ["CPC"]})),
                                                  _ctx("KAZ", kaz_routes, GAS_2021, trade), {})
    val = {(m, d): v for m, d, v in out.select("metric", "detail", "value").iter_rows()}
    assert val[("exports", "oil")] == pytest.approx(40.0)
    assert val[("unit_value", "oil")] == pytest.approx(500.0)  # 20e9 USD / 40e6 t (the WLD row has no quantity)
    assert any("BACI 2021 crude unit value (500.0 USD/t)" in n for n in out.filter(pl.col("metric") == "note")["detail"])


def test_option_is_validated():
    with pytest.raises(ValueError, match="oil_demand='comtrade' is not allowed"):
        X.TransitChannel(oil_demand="comtrade")  # type: ignore[arg-type]


def test_parameters_are_drawable_and_sourced():
    ps = X.TransitChannel().parameters()
    rng = np.random.default_rng(0)
    assert "cost.cpc_tengiz_novorossiysk" in ps
    for name, p in ps.items():
        assert p.source, name
        v = p.draw(rng)
        assert math.isfinite(v)


@pytest.mark.slow
def test_channel_on_the_built_atlas(atlas):
    """End to end on the atlas: routes, energy_flows (Energy Institute) and BACI trade as loaded."""
    partners = atlas.table("energy_flows").filter((pl.col("exporter") != "WLD") & (pl.col("importer") != "WLD"))
    ctx = _ctx("KAZ", atlas.table("routes"), partners, atlas.table("trade", reporter="KAZ"))  # as the engine does
    params = {"kcp_reserved_mt": 0.0, "rail_oil_share": 0.0, "capacity_factor": 1.0}
    out = X.TransitChannel().run(parse_spec(_spec({"routes": ["CPC"]})), ctx, params)
    val = {(m, d): v for m, d, v in out.select("metric", "detail", "value").iter_rows()}
    assert val[("stranded_volume", "oil")] == pytest.approx(EXPORTS - (UAS + KCP + AKTAU), abs=VOL)
    flows = atlas.table("energy_flows", exporter="KAZ", year=2021, carrier="gas").filter(pl.col("importer") != "WLD")
    assert val[("exports", "gas")] == pytest.approx(flows["volume"].sum(), rel=1e-12)
    assert val[("stranded_volume", "gas")] == pytest.approx(0.0, abs=VOL)
