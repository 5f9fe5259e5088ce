"""Transit channel, observed before state: the operators' route volumes (route_flows) where a year is complete.

Expected figures are computed here from the shipped hand-kept tables read with the ``csv`` module
(``src/tethers/data/route_flows.csv``: one row per route and year with its citation, ``route_id == 'all'`` the
published total; ``src/tethers/data/routes.csv``: cited capacities), not from the channel's code.
"""

from __future__ import annotations

import csv
import itertools
import math
from importlib import resources

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tethers.measures.transit import observed_transit_shares
from tethers.scenario.channels import transit as X
from tethers.scenario.channels.base import EFFECT_COLUMNS, Context
from tethers.scenario.spec import parse_spec

VOL = 1e-6  # the solver's integer unit: 1e-6 Mt = 1 t
CPC, UAS, KCP, AKTAU, BTC = ("cpc_tengiz_novorossiysk", "uas_atyrau_samara", "kcp_atasu_alashankou", "aktau_port_oil",
                             "btc_baku_tbilisi_ceyhan")
PARAMS = {"kcp_reserved_mt": 10.0, "rail_oil_share": 0.0, "capacity_factor": 1.0}


def _csv(name: str) -> list[dict]:
    with resources.files("tethers.data").joinpath(name).open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def observed(year: int) -> dict[str, float]:
    """route_id → Mt of Kazakhstan's oil in ``year`` (``all`` = the published total), straight from the CSV."""
    return {r["route_id"]: float(r["volume"]) for r in _csv("route_flows.csv")
            if r["exporter"] == "KAZ" and r["carrier"] == "oil" and int(r["year"]) == year}


def capacity(route_id: str) -> float:
    (row,) = [r for r in _csv("routes.csv") if r["route_id"] == route_id]
    assert row["unit"] == "Mt/y"
    return float(row["capacity"])


@pytest.fixture(scope="module")
def routes() -> pl.DataFrame:
    with resources.files("tethers.data").joinpath("routes.csv").open("rb") as fh:
        return pl.read_csv(fh).with_columns(source=pl.lit("handkept"))


@pytest.fixture(scope="module")
def route_flows() -> pl.DataFrame:
    with resources.files("tethers.data").joinpath("route_flows.csv").open("rb") as fh:
        return pl.read_csv(fh).with_columns(source=pl.lit("handkept"))


def _spec(closure: dict | None) -> dict:
    measures = [{"type": "route_closure", **closure}] if closure else []
    return {"name": "t", "coalition": ["USA"], "targets": ["RUS"], "start_year": 2022, "measures": measures}


def run(routes, route_flows, year: int, closure: dict | None, params=PARAMS) -> tuple[dict, list[str]]:
    empty = pl.DataFrame()
    gas = pl.DataFrame({"year": [year], "exporter": ["KAZ"], "importer": ["CHN"], "carrier": ["gas"],
                        "mode": ["pipeline"], "volume": [5.0], "unit": ["bcm"]})
    extra = {} if route_flows is None else {"route_flows": route_flows}
    ctx = Context(country="KAZ", base_year=year, coalition=frozenset({"USA"}), targets=frozenset({"RUS"}),
                  trade=empty, energy_flows=gas, routes=routes, fx=empty, prices=empty, io_summary=empty, extra=extra)
    out = X.TransitChannel().run(parse_spec(_spec(closure)), ctx, dict(params))
    assert out.schema == pl.Schema(EFFECT_COLUMNS)
    val = {(m, d): v for m, d, v in out.filter(pl.col("metric") != "note").select("metric", "detail", "value").iter_rows()}
    return val, out.filter(pl.col("metric") == "note")["detail"].to_list()


# ---------------------------------------------------------------------------------------------------
# The before state is what was observed
# ---------------------------------------------------------------------------------------------------


def test_before_state_equals_route_flows_2022(routes, route_flows):
    obs = observed(2022)
    total = obs.pop("all")
    val, notes = run(routes, route_flows, 2022, {"routes": ["CPC"]})
    assert val[("exports", "oil")] == total
    for rid in (CPC, UAS, KCP, AKTAU):
        assert val[("route_volume_before", f"oil|{rid}")] == pytest.approx(obs[rid], abs=VOL)
        assert val[("route_share_before", f"oil|{rid}")] == pytest.approx(obs[rid] / total, abs=1e-9)
    # Aktau's tankers land at Baku, whose only way on is BTC: BTC carries Aktau's volume
    assert val[("route_volume_before", f"oil|{BTC}")] == pytest.approx(obs[AKTAU], abs=VOL)
    # routes the operators do not report carried nothing that year (rail has no route of the graph)
    assert val[("route_volume_before", "oil|rail_dostyk_alashankou")] == 0.0
    assert val[("off_network_volume", "oil|rail")] == pytest.approx(obs["rail"], abs=VOL)
    assert val[("off_network_volume", "oil|unattributed")] == pytest.approx(total - math.fsum(obs.values()), abs=VOL)
    assert val[("stranded_before", "oil")] == 0.0
    # crossing Russia: CPC (Novorossiysk) and Atyrau–Samara; 93.6 % in 2022
    assert val[("share_via_before", "oil|RUS")] == pytest.approx((obs[CPC] + obs[UAS]) / total, abs=1e-12)
    assert round(val[("share_via_before", "oil|RUS")], 3) == 0.936
    assert val[("before_basis", "oil|observed route volumes (route_flows, 2022)")] == 1.0
    assert val[("before_basis", "gas|allocated by least cost")] == 0.0
    assert any(n.startswith("oil: before state = observed route volumes (route_flows, 2022)") for n in notes)
    assert any("route_flows row 'rail' (0.4 Mt/y) is on no route of the graph" in n for n in notes)
    assert any(n.startswith("gas: before state allocated by least cost (no observed route volumes for 2022)")
               for n in notes)


def test_before_share_equals_the_dependence_figure(routes, route_flows):
    """The dependence report's oil figure is measures.transit.observed_transit_shares on the same tables."""
    val, _ = run(routes, route_flows, 2022, {"routes": ["Nord Stream"]})  # a closure matching no route
    dep = observed_transit_shares(route_flows, routes.filter(pl.col("carrier") == "oil"), exporter="KAZ", year=2022,
                                  carrier="oil", poles=["RUS"])
    r = dep.filter(pl.col("pole") == "RUS").row(0, named=True)
    assert r["complete"]
    assert val[("share_via_before", "oil|RUS")] == pytest.approx(r["share"], abs=1e-9)
    # the dependence's unrouted share (rail and the unattributed rest) is the channel's off-network volume
    assert val[("off_network_volume", "oil")] / val[("exports", "oil")] == pytest.approx(r["unrouted_share"], abs=1e-9)


# ---------------------------------------------------------------------------------------------------
# Closures re-route the closed routes' volume over the remaining capacity
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kcp_reserved", "rail_share"), [(10.0, 0.0), (0.0, 0.0), (4.0, 0.1)])
def test_cpc_closure_reroutes_to_the_remaining_capacity(routes, route_flows, kcp_reserved, rail_share):
    obs = observed(2022)
    total = obs.pop("all")
    params = {**PARAMS, "kcp_reserved_mt": kcp_reserved, "rail_oil_share": rail_share}
    val, _ = run(routes, route_flows, 2022, {"routes": ["CPC"]}, params)
    # remaining capacity = cited capacity − what each open route already carried (rail: its usable share)
    room = {UAS: capacity(UAS) - obs[UAS], KCP: capacity(KCP) - kcp_reserved - obs[KCP],
            AKTAU: capacity(AKTAU) - obs[AKTAU],
            "rail_dostyk_alashankou": rail_share * capacity("rail_dostyk_alashankou"),
            "kuryk_port_rail_ferry": rail_share * capacity("kuryk_port_rail_ferry")}
    stranded = obs[CPC] - math.fsum(room.values())
    assert stranded > 0  # 2022: CPC's 52.2 Mt are far more than the rest can take
    assert val[("stranded_volume", "oil")] == pytest.approx(stranded, abs=VOL)
    assert val[("stranded_share", "oil")] == pytest.approx(stranded / total, abs=1e-9)
    assert val[("route_volume_after", f"oil|{CPC}")] == 0.0
    for rid, r in room.items():
        before = val[("route_volume_before", f"oil|{rid}")]
        assert val[("rerouted_volume", f"oil|{rid}")] == pytest.approx(r, abs=VOL)  # every open route fills up
        assert val[("route_volume_after", f"oil|{rid}")] == pytest.approx(before + r, abs=VOL)
    assert val[("route_volume_after", f"oil|{BTC}")] == pytest.approx(
        capacity(AKTAU) + rail_share * capacity("kuryk_port_rail_ferry"), abs=VOL)
    # after: Atyrau–Samara is the only route still crossing Russia
    assert val[("share_via_after", "oil|RUS")] == pytest.approx(capacity(UAS) / total, abs=1e-9)
    assert val[("extra_cost_usd", "oil")] >= 0.0


def test_atyrau_samara_closure_goes_the_cheapest_way(routes, route_flows):
    # 8.0 Mt displaced; Atasu–Alashankou (22 USD/t) has 20 − 10 − 1.29 = 8.71 Mt/y free, cheaper than CPC
    # (38) and Aktau+BTC (25 + 26): all of it goes to China, CPC and Aktau keep exactly what they carried.
    obs = observed(2022)
    val, _ = run(routes, route_flows, 2022, {"routes": ["Atyrau-Samara"]})
    assert capacity(KCP) - 10.0 - obs[KCP] >= obs[UAS]
    assert val[("route_volume_after", f"oil|{KCP}")] == pytest.approx(obs[KCP] + obs[UAS], abs=VOL)
    assert val[("route_volume_after", f"oil|{CPC}")] == pytest.approx(obs[CPC], abs=VOL)
    assert val[("route_volume_after", f"oil|{AKTAU}")] == pytest.approx(obs[AKTAU], abs=VOL)
    assert val[("stranded_volume", "oil")] == pytest.approx(0.0, abs=VOL)
    # the same 8.0 Mt on the intact network would also take Atasu–Alashankou: no extra cost
    assert val[("extra_cost_usd", "oil")] == pytest.approx(0.0, abs=1.0)


def test_closing_everything_through_russia(routes, route_flows):
    obs = observed(2022)
    total = obs.pop("all")
    val, _ = run(routes, route_flows, 2022, {"through": ["RUS"]})
    room = (capacity(KCP) - 10.0 - obs[KCP]) + (capacity(AKTAU) - obs[AKTAU])
    assert val[("stranded_volume", "oil")] == pytest.approx(obs[CPC] + obs[UAS] - room, abs=VOL)
    assert val[("share_via_after", "oil|RUS")] == 0.0
    assert val[("off_network_volume", "oil|rail")] == pytest.approx(obs["rail"], abs=VOL)  # out of reach
    assert val[("exports", "oil")] == total


def test_observed_above_capacity_is_said_and_used(routes, route_flows):
    # 2009: 11.1 Mt left by sea from Aktau, whose oil berths are cited at 5.2 Mt/y today
    obs = observed(2009)
    assert obs[AKTAU] > capacity(AKTAU)
    val, notes = run(routes, route_flows, 2009, {"routes": ["CPC"]})
    assert val[("route_volume_before", f"oil|{AKTAU}")] == pytest.approx(obs[AKTAU], abs=VOL)
    assert any(f"the observed {obs[AKTAU]:g} Mt/y on {AKTAU} exceed its modelled capacity" in n for n in notes)
    # CPC closed: Atyrau–Samara ran full (17.5 of 17.5), Aktau at its observed 11.1 → only Atasu–Alashankou's
    # 20 − 10 − 7.7 = 2.3 Mt/y take CPC's 27.5
    room = (capacity(UAS) - obs[UAS]) + (capacity(KCP) - 10.0 - obs[KCP]) + 0.0
    assert val[("stranded_volume", "oil")] == pytest.approx(obs[CPC] - room, abs=VOL)
    assert val[("route_volume_after", f"oil|{AKTAU}")] == pytest.approx(obs[AKTAU], abs=VOL)


# ---------------------------------------------------------------------------------------------------
# No complete observed year: the allocation, said so
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "why"), [
    (2021, "observed routes for 2021 partial: no published total"),
    (2023, "observed routes for 2023 partial: they cover 84% of exports (< 95%)"),
    (2015, "no observed route volumes for 2015"),
])
def test_allocation_where_no_year_is_complete(routes, route_flows, year, why):
    val, notes = run(routes, route_flows, year, {"routes": ["CPC"]})
    assert val[("before_basis", "oil|allocated by least cost")] == 0.0
    assert f"oil: before state allocated by least cost ({why}): the least-cost maximum flow of the export volume, " \
           "not what was observed" in notes
    # the allocation: the oil_exports_mt parameter shipped at least cost on the intact network
    edges = X.network_edges(routes, X.load_topology("KAZ"), carrier="oil", year=year, params=PARAMS)
    alloc = X.solve_min_cost_flow(edges, supply=X.DEFAULTS["oil_exports_mt"])
    assert val[("exports", "oil")] == X.DEFAULTS["oil_exports_mt"]
    for rid, v in alloc.flows.items():
        assert val[("route_volume_before", f"oil|{rid}")] == pytest.approx(v, abs=VOL)
    assert val[("off_network_volume", "oil")] == 0.0


def test_allocation_without_route_flows_in_the_context(routes):
    val, notes = run(routes, None, 2022, {"routes": ["CPC"]})
    assert val[("before_basis", "oil|allocated by least cost")] == 0.0
    assert any(n.startswith("oil: before state allocated by least cost (no observed route volumes for 2022)")
               for n in notes)


# ---------------------------------------------------------------------------------------------------
# The rule on a small graph: brute force over integer path flows
# ---------------------------------------------------------------------------------------------------

# fields F1, F2 → hub H → ports P1, P2; F1 → P2 directly. First legs r1, r2, r5.
LEGS = [("r1", "F1", "H"), ("r2", "F2", "H"), ("r3", "H", "P1"), ("r4", "H", "P2"), ("r5", "F1", "P2")]
RIDS = [r for r, _, _ in LEGS]
PATHS = [("r1", "r3"), ("r1", "r4"), ("r2", "r3"), ("r2", "r4"), ("r5",)]


def small_edges(caps: dict[str, int], costs: dict[str, int]) -> pl.DataFrame:
    routes = pl.DataFrame({"route_id": RIDS, "name": RIDS, "carrier": ["oil"] * 5, "countries": ["KAZ;RUS"] * 5,
                           "capacity": [float(caps[r]) for r in RIDS], "unit": ["Mt/y"] * 5,
                           "status": ["operating"] * 5, "start_year": [2000] * 5})
    topo = pl.DataFrame({
        "country": ["KAZ"] * 5, "route_id": RIDS, "carrier": ["oil"] * 5, "from_node": [u for _, u, _ in LEGS],
        "to_node": [v for _, _, v in LEGS], "to_country": ["RUS"] * 5, "countries": [None] * 5,
        "scale_param": [None] * 5, "reserved_param": [None] * 5, "cost_low": [float(costs[r]) for r in RIDS],
        "cost_mode": [float(costs[r]) for r in RIDS], "cost_high": [float(costs[r]) for r in RIDS],
        "cost_unit": ["USD/t"] * 5, "aliases": [""] * 5, "note": [""] * 5}, schema=X._TOPO_SCHEMA)
    return X.network_edges(routes, topo, carrier="oil", year=2021)


@settings(deadline=None, max_examples=40)
@given(caps=st.fixed_dictionaries({r: st.integers(0, 4) for r in RIDS}),
       costs=st.fixed_dictionaries({r: st.integers(1, 9) for r in RIDS}),
       obs=st.fixed_dictionaries({r: st.integers(0, 3) for r in ("r1", "r2", "r5")}),
       closed=st.sets(st.sampled_from(RIDS), min_size=1))
def test_rule_by_brute_force(caps, costs, obs, closed):
    """Kept paths keep their volume; the displaced volume takes the least-cost maximum flow on what is left."""
    caps = {r: max(caps[r], obs.get(r, 0)) for r in RIDS}
    caps["r3"] = caps["r3"] + obs["r1"] + obs["r2"]  # the hub's exits take what the observed legs bring
    edges = small_edges(caps, costs)
    res = X.reroute(edges, carrier="oil", supply=float(sum(obs.values())), closed=closed, exporter="KAZ",
                    year=2021, observed={r: float(v) for r, v in obs.items()})
    for r, v in obs.items():
        assert res.before.flows[r] == pytest.approx(v, abs=VOL)
    kept = dict.fromkeys(RIDS, 0.0)
    for path, vol in res.before.paths:
        if not set(path) & closed:
            for r in path:
                kept[r] += vol
    for r in RIDS:
        if r not in closed:
            assert res.after.flows[r] >= kept[r] - VOL
    # brute force: integer extra path flows h ≥ 0 on the residual capacities, max volume then least cost
    displaced = sum(obs.values()) - sum(kept[r] for r in ("r1", "r2", "r5"))
    room = {r: (0 if r in closed else caps[r] - kept[r]) for r in RIDS}
    best = None
    for h in itertools.product(range(int(round(displaced)) + 1), repeat=len(PATHS)):
        if sum(h) > displaced + VOL:
            continue
        load = {r: sum(x for x, p in zip(h, PATHS, strict=True) if r in p) for r in RIDS}
        if any(load[r] > room[r] + VOL for r in RIDS):
            continue
        key = (-sum(h), sum(x * sum(costs[r] for r in p) for x, p in zip(h, PATHS, strict=True)))
        best = key if best is None or key < best else best
    assert best is not None
    assert res.after.stranded == pytest.approx(displaced + best[0], abs=VOL)
    kept_cost = sum(kept[r] * costs[r] for r in RIDS)
    assert res.after.cost_usd == pytest.approx((kept_cost + best[1]) * 1e6, abs=1.0)


# ---------------------------------------------------------------------------------------------------
# End to end: the engine passes route_flows; the before state is the dependence report's figure
# ---------------------------------------------------------------------------------------------------


def test_engine_before_state_is_the_dependence_figure(small_atlas):
    from pathlib import Path

    from tethers.atlas.store import Atlas
    from tethers.measures.transit import transit_base
    from tethers.scenario.engine import simulate
    from tethers.scenario.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[2] / "scenarios" / "kaz-cpc-closure.yaml")
    with Atlas(small_atlas.path) as a:
        res = simulate(spec, country="KAZ", base_year=2022, atlas=a, draws=0, channels=["transit"])
        routes = a.sql("SELECT * FROM routes WHERE source = 'handkept' AND status = 'operating' AND carrier = 'oil'")
        rf = a.table("route_flows", exporter="KAZ")
    shares, basis = transit_base(pl.DataFrame(), routes, rf, exporter="KAZ", year=2022, carrier="oil")
    assert basis.startswith("observed route volumes (route_flows, 2022")
    for pole, share in shares.select("pole", "share").iter_rows():  # every pole: one definition (transit.crossed)
        assert res.value("transit", "share_via_before", f"oil|{pole}") == pytest.approx(share, abs=1e-9)
    assert res.value("transit", "before_basis", "oil|observed route volumes (route_flows, 2022)") == 1.0
