"""The one definition of the countries a route's volume crosses (measures.transit.crossed), and the dependence
report and the transit scenario channel giving the same pole shares with it (Kazakhstan's oil, 2022 observed,
2021 allocated), checked against sums by hand from the atlas's route_flows and routes rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tethers.countries import POLE_ORDER
from tethers.measures.transit import crossed

POLES = [p for p in POLE_ORDER if p != "ROW"]
SPEC = Path(__file__).resolve().parents[2] / "scenarios" / "kaz-cpc-closure.yaml"


@pytest.mark.parametrize(("legs", "exporter", "dest", "want"), [
    ("KAZ;RUS", "KAZ", None, ("RUS",)),                      # CPC: ends at Novorossiysk, goes on by sea
    ("KAZ;CHN", "KAZ", "CHN", ()),                           # Atasu–Alashankou delivers into China
    ("KAZ;CHN", "KAZ", None, ("CHN",)),                      # no destination: the end country is crossed
    ("TKM;UZB;KAZ;CHN", "KAZ", "CHN", ()),                   # upstream countries are not crossed
    ("TKM;UZB;KAZ;RUS;UKR", "KAZ", "RUS", ()),               # nothing after the destination
    ("TKM;UZB;KAZ;RUS;UKR", "KAZ", "UKR", ("RUS",)),
    ("KAZ", "KAZ", None, ()),                                # Aktau: a port, no country after it
    (["KAZ;AZE", "AZE;GEO;TUR"], "KAZ", None, ("AZE",)),      # the onward leg (BTC) lists no KAZ: not followed
    (["KAZ", "KAZ;RUS", "RUS;TUR"], "KAZ", None, ("RUS",)),
    ("RUS;UKR", "KAZ", None, ()),                            # a route not listing the exporter
    ("KAZ;RUS;KAZ;RUS", "KAZ", None, ("RUS",)),              # each country once
])
def test_crossed(legs, exporter, dest, want):
    assert crossed(legs, exporter, dest) == want


def test_crossed_include_destination():
    assert crossed("KAZ;CHN", "KAZ", "CHN", include_destination=True) == ("CHN",)
    assert crossed("KAZ;RUS;UKR", "KAZ", "RUS", include_destination=True) == ("RUS",)


def _report(atlas, year: int) -> dict[str, float]:
    from tethers.dimensions.energy import energy_section

    return {p: energy_section("KAZ", p, year, atlas=atlas).value("oil_transit_share") for p in POLES}


def _channel(atlas, year: int):
    from tethers.scenario.engine import simulate
    from tethers.scenario.spec import load_spec

    res = simulate(load_spec(SPEC), country="KAZ", base_year=year, atlas=atlas, draws=0, channels=["transit"])
    return res, {p: res.value("transit", "share_via_before", f"oil|{p}") for p in POLE_ORDER}


def _rows(atlas, year: int) -> tuple[dict[str, float], dict[str, str | None], dict[str, str]]:
    rf = atlas.sql("SELECT route_id, volume, destination FROM route_flows WHERE exporter = 'KAZ' AND carrier = 'oil' "
                   "AND year = ?", [year])
    routes = atlas.sql("SELECT route_id, countries FROM routes WHERE carrier = 'oil' AND source = 'handkept'")
    return (dict(zip(rf["route_id"], rf["volume"], strict=True)),
            dict(zip(rf["route_id"], rf["destination"], strict=True)),
            dict(zip(routes["route_id"], routes["countries"], strict=True)))


def test_kaz_oil_2022_same_pole_shares_by_hand(atlas):
    """Observed 2022 (route_flows): CPC 52.2 and Atyrau–Samara 8.0 Mt end in Russia and go on (no destination):
    Russia; Atasu–Alashankou 1.29 Mt delivers into China (destination CHN): no pole; Aktau 2.268 Mt is listed
    KAZ only (its tankers went partly to Makhachkala, partly to Baku): no pole; rail 0.4 Mt has no route.
    Russia = (52.2 + 8.0) / 64.3 = 93.62 %, every other pole 0, in the report and in the channel alike."""
    vol, dest, countries = _rows(atlas, 2022)
    # the premises of the sum by hand, read from the rows
    assert countries["cpc_tengiz_novorossiysk"] == "KAZ;RUS" and dest["cpc_tengiz_novorossiysk"] is None
    assert countries["uas_atyrau_samara"] == "KAZ;RUS" and dest["uas_atyrau_samara"] is None
    assert countries["kcp_atasu_alashankou"] == "KAZ;CHN" and dest["kcp_atasu_alashankou"] == "CHN"
    assert countries["aktau_port_oil"] == "KAZ" and "rail" not in countries
    hand = dict.fromkeys(POLE_ORDER, 0.0) | {
        "RUS": (vol["cpc_tengiz_novorossiysk"] + vol["uas_atyrau_samara"]) / vol["all"]}
    assert hand["RUS"] == pytest.approx(60.2 / 64.3, abs=1e-12)
    report = _report(atlas, 2022)
    res, channel = _channel(atlas, 2022)
    assert res.value("transit", "before_basis", "oil|observed route volumes (route_flows, 2022)") == 1.0
    for p in POLES:
        assert report[p] == pytest.approx(hand[p], abs=1e-12), p
        assert channel[p] == pytest.approx(hand[p], abs=1e-9), p
    assert channel["ROW"] == 0.0  # Aktau → Baku → BTC is no longer counted (Azerbaijan, Georgia, Türkiye)


def test_kaz_oil_2021_allocated_each_by_the_same_definition(atlas):
    """2021 has no complete observed year (CPC's 53.1 Mt only): both allocate, by different rules (the report over
    BACI exports by destination in proportion to outlet capacity; the channel at least cost over its graph), so
    their shares differ — but each is the one definition over its own allocation, summed here by hand."""
    from tethers.atlas import queries_measures as qm
    from tethers.dimensions.base import Context
    from tethers.dimensions.energy import _oil_flows
    from tethers.measures.transit import flows_from_trade

    _, dest, countries = _rows(atlas, 2022)  # the destinations route_flows states (any year)
    assert dest["kcp_atasu_alashankou"] == "CHN"
    # the report: each non-Chinese flow is split over Kazakhstan's four oil outlets in proportion to capacity
    # (Aktau 5.2, CPC 67, Atasu–Alashankou 20, Atyrau–Samara 17.5 Mt/y); flows to China take Atasu–Alashankou only,
    # flows to Russia CPC and Atyrau–Samara only (routes reaching the importer), where Russia is their destination.
    # Crossed: CPC and Atyrau–Samara → Russia; Atasu–Alashankou → none (it delivers into China); Aktau → none.
    routes = qm.routes(atlas, carriers=("oil",))
    outlets = routes.filter(pl.col("countries").str.contains("KAZ"))
    cap = dict(zip(outlets["route_id"], outlets["capacity"], strict=True))
    assert cap == {"aktau_port_oil": 5.2, "cpc_tengiz_novorossiysk": 67.0, "kcp_atasu_alashankou": 20.0,
                   "uas_atyrau_samara": 17.5}
    oil, _ = _oil_flows(Context(atlas, "KAZ", "RUS", 2021, frozenset({"RUS"})))
    f = flows_from_trade(oil, carriers={"2709": "oil"}, level=6)
    total = f["volume"].sum()
    third = f.filter(~pl.col("importer").is_in(["CHN", "RUS"]))["volume"].sum()
    hand = dict.fromkeys(POLES, 0.0) | {"RUS": third * (67.0 + 17.5) / sum(cap.values()) / total}
    report = _report(atlas, 2021)
    for p in POLES:
        assert report[p] == pytest.approx(hand[p], abs=1e-12), p
    # the channel: its own least-cost route volumes, crossed by the same definition
    res, channel = _channel(atlas, 2021)
    assert res.value("transit", "before_basis", "oil|allocated by least cost") == 0.0
    v = {r: res.value("transit", "route_volume_before", f"oil|{r}") for r in
         ("cpc_tengiz_novorossiysk", "uas_atyrau_samara", "kcp_atasu_alashankou", "aktau_port_oil",
          "rail_dostyk_alashankou", "kuryk_port_rail_ferry")}
    d = res.value("transit", "exports", "oil")
    assert v["rail_dostyk_alashankou"] == 0.0  # (rail into China would have no stated destination)
    assert channel["RUS"] == pytest.approx((v["cpc_tengiz_novorossiysk"] + v["uas_atyrau_samara"]) / d, abs=1e-9)
    for p in POLE_ORDER:
        if p != "RUS":
            assert channel[p] == 0.0, p
