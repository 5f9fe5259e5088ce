"""Transit exposure: a hand case on Kazakhstan's oil routes and a brute-force cross-check on a 6-node network."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from tethers.countries import pole_map
from tethers.measures import transit as X

from .conftest import trade_frame

# Hand case: capacities and volumes are small integers; only float rounding remains.
EXACT = 1e-12
# Brute force vs vectorised: same arithmetic, different summation order.
BRUTE = 1e-9


def routes_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"route_id": pl.Utf8, "carrier": pl.Utf8, "countries": pl.Utf8, "capacity": pl.Float64,
                      "start_year": pl.Int32}, orient="row",
    ).with_columns(name=pl.col("route_id"), kind=pl.lit("pipeline"), source=pl.lit("test"))


def flows_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"year": pl.Int32, "exporter": pl.Utf8, "importer": pl.Utf8, "carrier": pl.Utf8,
                      "volume": pl.Float64}, orient="row",
    ).with_columns(mode=pl.lit("pipeline"), unit=pl.lit("Mt"), source=pl.lit("test"))


ROUTES = routes_frame([
    ("cpc", "oil", "KAZ;RUS", 60.0, 2001),        # to Novorossiysk, then by sea
    ("atasu", "oil", "KAZ;CHN", 20.0, 2006),      # reaches China
    ("btc", "oil", "KAZ;AZE;GEO;TUR", 20.0, 2008),
    ("druzhba", "oil", "KAZ;RUS;POL;DEU", None, 1970),
    ("future", "oil", "KAZ;AZE", 10.0, 2030),      # not yet built
    ("gas", "gas", "KAZ;RUS", 100.0, 1970),
])


def test_hand_case():
    # 2021 oil: 50 Mt to ITA (no route reaches Italy → all outlets started by 2021: cpc, atasu, btc, druzhba;
    # druzhba has no capacity → equal split, 12.5 Mt each), 10 Mt to CHN (atasu reaches China → all on atasu),
    # 5 Mt to DEU (druzhba reaches Germany → all on it; DEU is the destination, POL the EU27 transit).
    flows = flows_frame([(2021, "KAZ", "ITA", "oil", 50.0), (2021, "KAZ", "CHN", "oil", 10.0),
                         (2021, "KAZ", "DEU", "oil", 5.0), (2021, "KAZ", "UZB", "coal", 1.0)])
    alloc = X.route_allocation(flows, ROUTES)
    ita = dict(alloc.filter(pl.col("importer") == "ITA").select("route_id", "volume").rows())
    assert ita == pytest.approx({"cpc": 12.5, "atasu": 12.5, "btc": 12.5, "druzhba": 12.5}, abs=EXACT)
    assert alloc.filter(pl.col("importer") == "CHN")["route_id"].to_list() == ["atasu"]
    out = X.transit_shares(flows, ROUTES, carrier="oil")
    got = dict(out.select("pole", "via").rows())
    # RUS: cpc + druzhba for ITA (25) + druzhba for DEU (5) = 30; CHN: atasu for ITA (12.5), not for CHN itself
    # EU27: druzhba (POL, DEU) for ITA 12.5 + POL for DEU 5 = 17.5; TUR: btc 12.5; ROW (AZE, GEO): btc 12.5
    assert got == pytest.approx({"RUS": 30.0, "CHN": 12.5, "EU27": 17.5, "USA": 0.0, "TUR": 12.5, "CASIA": 0.0,
                                 "ROW": 12.5}, abs=EXACT)
    assert out["exports"].unique().to_list() == [65.0]
    assert out.filter(pl.col("pole") == "RUS")["share"].item() == pytest.approx(30 / 65, abs=EXACT)
    assert out["unrouted_share"].unique().to_list() == pytest.approx([0.0], abs=EXACT)
    with_dest = dict(X.transit_shares(flows, ROUTES, carrier="oil", include_destination=True).select("pole", "via").rows())
    assert with_dest["CHN"] == pytest.approx(22.5, abs=EXACT)
    coal = X.transit_shares(flows, ROUTES, carrier="coal")
    assert coal["unrouted_share"].unique().to_list() == [1.0] and coal["via"].sum() == 0.0


def test_countries_upstream_of_the_exporter_are_not_crossed():
    # The Central Asia–China gas pipeline runs TKM → UZB → KAZ → CHN. Kazakh gas to China enters in Kazakhstan:
    # it crosses nobody (CHN is the destination). Gas to Korea leaves the route in China: CHN is its transit.
    # Unordered, TKM and UZB (Central Asia) would wrongly count as transit for both flows.
    routes = routes_frame([("cagp", "gas", "TKM;UZB;KAZ;CHN", 55.0, 2009)])
    flows = flows_frame([(2021, "KAZ", "CHN", "gas", 6.0), (2021, "KAZ", "KOR", "gas", 2.0)])
    ordered = dict(X.transit_shares(flows, routes).select("pole", "via").rows())
    assert ordered == pytest.approx({"RUS": 0.0, "CHN": 2.0, "EU27": 0.0, "USA": 0.0, "TUR": 0.0, "CASIA": 0.0,
                                     "ROW": 0.0}, abs=EXACT)
    unordered = dict(X.transit_shares(flows, routes, ordered=False).select("pole", "via").rows())
    assert unordered["CASIA"] == pytest.approx(8.0, abs=EXACT) and unordered["CHN"] == pytest.approx(2.0, abs=EXACT)
    # Turkmen gas to China crosses Uzbekistan and Kazakhstan (both Central Asia) in either mode
    tkm = flows_frame([(2021, "TKM", "CHN", "gas", 30.0)])
    assert dict(X.transit_shares(tkm, routes).select("pole", "via").rows())["CASIA"] == pytest.approx(30.0, abs=EXACT)
    # a flow against the route's direction does not "reach" an upstream importer: Kazakh gas to Uzbekistan
    # has no direct route here, so it takes the exporter's outlet (towards China)
    uzb = flows_frame([(2021, "KAZ", "UZB", "gas", 1.0)])
    assert dict(X.transit_shares(uzb, routes).select("pole", "via").rows())["CHN"] == pytest.approx(1.0, abs=EXACT)
    with_dest = dict(X.transit_shares(flows, routes, include_destination=True).select("pole", "via").rows())
    assert with_dest["CHN"] == pytest.approx(8.0, abs=EXACT) and with_dest["CASIA"] == 0.0


def test_equal_weights_option():
    flows = flows_frame([(2021, "KAZ", "ITA", "oil", 40.0)])
    alloc = X.route_allocation(flows, ROUTES.filter(pl.col("route_id").is_in(["cpc", "btc"])), weights="equal")
    assert alloc["volume"].to_list() == [20.0, 20.0]
    cap = X.route_allocation(flows, ROUTES.filter(pl.col("route_id").is_in(["cpc", "btc"])))
    assert dict(cap.select("route_id", "volume").rows()) == pytest.approx({"cpc": 30.0, "btc": 10.0}, abs=EXACT)


def test_flows_from_trade_maps_hs_codes():
    t = pl.concat([
        trade_frame([("KAZ", 2021, "export", "ITA", 5.0), ("KAZ", 2021, "export", "WLD", 9.0)],
                    classification="HS02", product="270900"),
        trade_frame([("KAZ", 2021, "export", "CHN", 2.0)], classification="HS02", product="271121"),
        trade_frame([("KAZ", 2021, "export", "CHN", 3.0)], classification="HS02", product="260300"),
    ])
    f = X.flows_from_trade(t)
    assert f.select("importer", "carrier", "volume", "unit").rows() == [("CHN", "gas", 2.0, "USD"),
                                                                        ("ITA", "oil", 5.0, "USD")]
    longer = X.flows_from_trade(t, carriers={"27": "energy", "2711": "gas"})
    assert dict(longer.select("importer", "carrier").rows()) == {"CHN": "gas", "ITA": "energy"}


# --------------------------------------------------------------------------------------------
# Cross-check: brute force over every flow and route on a random 6-node network
# --------------------------------------------------------------------------------------------

NODES = ["KAZ", "RUS", "CHN", "TUR", "GEO", "DEU"]
IMPORTERS = ["CHN", "DEU", "ITA", "TUR", "KOR"]


def random_network(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rnd = random.Random(seed)
    routes = []
    for i in range(rnd.randint(2, 7)):
        path = rnd.sample(NODES, rnd.randint(2, 4))
        if "KAZ" not in path and rnd.random() < 0.7:  # most routes start in the main exporter
            path[0] = "KAZ"
        cap = rnd.choice([None, 5.0, 10.0, 25.0])
        routes.append((f"r{i}", rnd.choice(["oil", "gas"]), ";".join(path), cap, rnd.choice([None, 2000, 2020])))
    flows = [(rnd.choice([2010, 2021]), rnd.choice(["KAZ", "RUS"]), rnd.choice(IMPORTERS), rnd.choice(["oil", "gas"]),
              float(rnd.randint(1, 50))) for _ in range(rnd.randint(1, 8))]
    return flows_frame(flows), routes_frame(routes)


def brute_force(flows: pl.DataFrame, routes: pl.DataFrame, *, ordered: bool) -> dict[tuple, tuple[float, float, float]]:
    """{(exporter, year, carrier, pole): (exports, via, unrouted)} by plain loops over flows and routes."""
    totals: dict[tuple, float] = {}
    routed: dict[tuple, float] = {}
    via: dict[tuple, float] = {}
    route_rows = list(routes.iter_rows(named=True))
    for f in flows.iter_rows(named=True):
        key = (f["exporter"], f["year"], f["carrier"])
        totals[key] = totals.get(key, 0.0) + f["volume"]
        avail = [r for r in route_rows if r["carrier"] == f["carrier"] and f["exporter"] in r["countries"].split(";")
                 and (r["start_year"] is None or r["start_year"] <= f["year"])]
        def reaches(path: list[str], f: dict = f) -> bool:
            return f["importer"] in path and (not ordered or path.index(f["importer"]) > path.index(f["exporter"]))

        direct = [r for r in avail if reaches(r["countries"].split(";"))]
        use = direct or avail
        if not use:
            continue
        caps = [r["capacity"] for r in use]
        weights = [c / sum(caps) for c in caps] if all(c is not None and c > 0 for c in caps) else [1 / len(use)] * len(use)
        members = pole_map(f["year"])
        for r, w in zip(use, weights, strict=True):
            routed[key] = routed.get(key, 0.0) + f["volume"] * w
            path = r["countries"].split(";")
            if not ordered:
                transit = [c for c in path if c not in (f["exporter"], f["importer"])]
            elif reaches(path):  # strictly between the exporter and the importer, in the direction of flow
                transit = path[path.index(f["exporter"]) + 1 : path.index(f["importer"])]
            else:  # everything downstream of the exporter
                transit = path[path.index(f["exporter"]) + 1 :]
            for pole in {members.get(c, "ROW") for c in transit}:
                via[(*key, pole)] = via.get((*key, pole), 0.0) + f["volume"] * w
    out = {}
    for key, total in totals.items():
        for pole in ["RUS", "CHN", "EU27", "USA", "TUR", "CASIA", "ROW"]:
            out[(*key, pole)] = (total, via.get((*key, pole), 0.0), 1 - routed.get(key, 0.0) / total)
    return out


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("seed", range(10))
def test_equals_brute_force_enumeration(seed, ordered):
    flows, routes = random_network(seed)
    ref = brute_force(flows, routes, ordered=ordered)
    out = X.transit_shares(flows, routes, ordered=ordered)
    got = {(r["exporter"], r["year"], r["carrier"], r["pole"]): (r["exports"], r["via"], r["unrouted_share"])
           for r in out.iter_rows(named=True)}
    assert set(got) == set(ref)
    for k, v in ref.items():
        assert got[k] == pytest.approx(v, abs=BRUTE), k
        share = out.filter((pl.col("exporter") == k[0]) & (pl.col("year") == k[1]) & (pl.col("carrier") == k[2])
                           & (pl.col("pole") == k[3]))["share"].item()
        assert share == pytest.approx(v[1] / v[0], abs=BRUTE) and not math.isnan(share)


def test_real_handkept_routes_parse_and_allocate():
    # Labelled guard on the shipped routes table (src/tethers/data/routes.csv, each row cited there):
    # operating oil outlets from KAZ are CPC 67 and Atyrau–Samara 17.5 Mt/y (through Russia), Atasu–Alashankou
    # 20 (to China) and the port of Aktau 5.2 (Kazakh territory only). 100 Mt to Italy reaches no importer
    # directly, so it is split by capacity over the four: Russia carries 84.5 / 109.7 of it.
    from importlib import resources

    with resources.files("tethers.data").joinpath("routes.csv").open("rb") as fh:
        routes = pl.read_csv(fh).filter(pl.col("status") == "operating")
    flows = flows_frame([(2021, "KAZ", "ITA", "oil", 100.0), (2021, "KAZ", "CHN", "oil", 10.0)])
    out = dict(X.transit_shares(flows, routes).select("pole", "via").rows())
    assert out["RUS"] == pytest.approx(100.0 * (67 + 17.5) / (67 + 17.5 + 20 + 5.2), rel=1e-12)
    assert out["CHN"] == pytest.approx(100.0 * 20 / 109.7, rel=1e-12)  # the China flow itself is not transit


def test_transit_through_a_country_by_hand():
    # Central Asia–China pipeline TKM → UZB → KAZ → CHN (two lines, capacities 15 and 25).
    # TKM→CHN 30 and UZB→CHN 4 cross KAZ in full; KAZ's own 6 is not transit *through* KAZ; RUS→CHN 7
    # has no route here (unrouted, via 0). Through UZB: only TKM's 30 (KAZ's gas enters downstream).
    routes = routes_frame([("a", "gas", "TKM;UZB;KAZ;CHN", 15.0, 2009), ("c", "gas", "TKM;UZB;KAZ;CHN", 25.0, 2014)])
    flows = flows_frame([(2021, "TKM", "CHN", "gas", 30.0), (2021, "UZB", "CHN", "gas", 4.0),
                         (2021, "KAZ", "CHN", "gas", 6.0), (2021, "RUS", "CHN", "gas", 7.0)])
    kaz = X.transit_through(flows, routes, "KAZ")
    assert kaz.select("exporter", "volume", "via").rows() == [("RUS", 7.0, 0.0), ("TKM", 30.0, 30.0), ("UZB", 4.0, 4.0)]
    uzb = X.transit_through(flows, routes, "UZB")
    # KAZ's gas enters downstream of UZB: it does not cross UZB
    assert dict(uzb.select("exporter", "via").rows()) == pytest.approx({"KAZ": 0.0, "RUS": 0.0, "TKM": 30.0}, abs=EXACT)
    unordered = X.transit_through(flows, routes, "UZB", ordered=False)
    assert dict(unordered.select("exporter", "via").rows())["KAZ"] == pytest.approx(6.0, abs=EXACT)
    assert X.transit_through(flows, routes, "KAZ", importer="USA").height == 0


@pytest.mark.parametrize("seed", range(6))
def test_transit_through_equals_brute_force_enumeration(seed):
    """Volume of each flow crossing c = a plain loop over flows and (ordered) routes, on random networks."""
    flows, routes = random_network(seed)
    for c in ["RUS", "CHN", "TUR", "GEO", "DEU"]:
        got = X.transit_through(flows, routes, c)
        want: dict[tuple, float] = {}
        for f in flows.filter((pl.col("exporter") != c) & (pl.col("importer") != c)).iter_rows(named=True):
            key = (f["year"], f["exporter"], f["importer"], f["carrier"])
            avail = [r for r in routes.iter_rows(named=True) if r["carrier"] == f["carrier"]
                     and f["exporter"] in r["countries"].split(";")
                     and (r["start_year"] is None or r["start_year"] <= f["year"])]

            def reaches(path: list[str], f: dict = f) -> bool:
                return f["importer"] in path and path.index(f["importer"]) > path.index(f["exporter"])

            use = [r for r in avail if reaches(r["countries"].split(";"))] or avail
            if not use or not reaches(use[0]["countries"].split(";")):  # unrouted, or only outlets (not counted)
                want[key] = want.get(key, 0.0)
                continue
            caps = [r["capacity"] for r in use]
            w = ([x / sum(caps) for x in caps] if use and all(x is not None and x > 0 for x in caps)
                 else [1 / len(use)] * len(use))
            via = 0.0
            for r, wr in zip(use, w, strict=True):
                path = r["countries"].split(";")
                e = path.index(f["exporter"])
                end = path.index(f["importer"]) if reaches(path) else len(path)
                if c in path[e + 1 : end]:
                    via += f["volume"] * wr
            want[key] = want.get(key, 0.0) + via
        have = {(r["year"], r["exporter"], r["importer"], r["carrier"]): r["via"] for r in got.iter_rows(named=True)}
        assert set(have) == set(want)
        for k, v in want.items():
            assert have[k] == pytest.approx(v, abs=BRUTE), (c, k)


def test_transit_through_counts_only_routes_that_reach_the_importer():
    # RUS→CHN has no route reaching China here; its only outlet RUS → KAZ → UKR crosses KAZ, but says nothing
    # about where the gas goes, so by default it is not transit through KAZ (reached_only=False counts it).
    routes = routes_frame([("cagp", "gas", "TKM;UZB;KAZ;CHN", 55.0, 2009), ("on", "gas", "RUS;KAZ;UKR", 14.6, 1975)])
    flows = flows_frame([(2021, "TKM", "CHN", "gas", 30.0), (2021, "RUS", "CHN", "gas", 7.0)])
    assert dict(X.transit_through(flows, routes, "KAZ").select("exporter", "via").rows()) == {"RUS": 0.0, "TKM": 30.0}
    loose = X.transit_through(flows, routes, "KAZ", reached_only=False)
    assert dict(loose.select("exporter", "via").rows()) == {"RUS": 7.0, "TKM": 30.0}
