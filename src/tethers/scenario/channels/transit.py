r"""Transit channel: re-route a country's energy exports over its route network when routes close.

For each carrier *c* (``oil`` in Mt/y, ``gas`` in bcm/y) the country's export volume :math:`D_c` leaves
a super-source, runs over the routes *r* of a route graph and reaches a super-sink, or is **stranded**:

.. math::
    \min_{f,\,s}\; \sum_r w_r f_r + \pi s
    \quad\text{s.t.}\quad \text{conservation at every node},\;
    0 \le f_r \le k_r \;(r\text{ open}),\; f_r = 0 \;(r\text{ closed}),\;
    \sum_{m} \text{inflow}_m + s = D_c,

with :math:`w_r` the route's cost (USD/t for oil, USD per 1000 m³ for gas), :math:`s` the stranded
volume and :math:`\pi > \max_{\text{path}} \sum_{r\in\text{path}} w_r` (so the solver ships all it can
before it strands anything: the flow is a maximum flow of least cost). Effective capacities are

.. math::
    k_r = \max\bigl(0,\; \varphi\, \sigma_r K_r - \rho_r\bigr)

where :math:`K_r` is the atlas capacity converted to the carrier unit (bbl/d → Mt/y with
``bbl_per_t``, 365 days), :math:`\varphi` the ``capacity_factor``, :math:`\sigma_r` an optional share
(``scale_param``, e.g. the share of a general-cargo rail link usable by crude) and :math:`\rho_r`
capacity reserved for others: a ``reserved_param`` and third-party pipeline transit read from
``energy_flows`` (flows from an exporter upstream of the country to an importer downstream on the same
route, split over candidate routes in proportion to capacity, times ``transit_priority``).

**Graph.** The routes come from the atlas ``routes`` table; which route joins which nodes comes from a
small hand-kept topology table (``scenario/data/transit_topology.csv``: ``route_id → from_node,
to_node, carrier`` plus costs and aliases). Nodes with no incoming route are sources (fed by the
super-source without limit: the domestic network is assumed not binding); nodes with no outgoing route
are markets. Oil is fungible: every market node drains to the super-sink without limit. Gas is sold
under bilateral contracts: a market node drains into its country, which absorbs at most its baseline
imports from the country times ``1 + gas_market_headroom``. Each route is a node of its own
(``u → route → v``), so parallel routes keep their identity.

**Before state.** Where the atlas's ``route_flows`` (the operators' volumes by route, a citation per row;
``ctx.extra['route_flows']``) has a *complete* year for the country and carrier at the base year — the
rule of the dependence report, :func:`tethers.measures.transit.route_flow_shares`' ``complete``: a
published total :math:`V_{all}` and route rows covering at least ``MIN_COVERAGE`` (95 %) of it — the
before state is **observed**:

* :math:`D = V_{all}` (the ``oil_exports_mt`` parameter is not used);
* every route of the graph with a row carries exactly its observed :math:`V_r`; where :math:`V_r > k_r`
  the channel says so and uses :math:`V_r` as the route's effective capacity, :math:`k_r \leftarrow
  \max(k_r, V_r)`; a first leg with no row carries nothing; a downstream route carries what arrives, at
  least cost (Aktau's tankers land at Baku and go on by BTC);
* rows on no route of the graph (``rail``) and the part of :math:`V_{all}` no row accounts for
  (``unattributed``) are **off the network**: in :math:`D`, crossing no pole, out of reach of closures
  — the dependence report's ``unrouted_share``.

Then the pole shares before the closures are the dependence report's observed transit shares, pole by
pole (the one definition, see *Outputs*). After closing the set :math:`C`, with
:math:`f^0` the before state and :math:`P` the decomposition of :math:`f^0` into source–sink paths:

.. math::
    g_r = \sum_{p \in P,\; p \cap C = \varnothing,\; r \in p} f^0_p, \qquad
    f^1 = \arg\min_{f}\; \sum_r w_r f_r + \pi s
    \quad\text{s.t.}\quad g_r \le f_r \le k_r \;(r \notin C),\; f_r = 0 \;(r \in C),\;
    \text{conservation},\; \sum_m \text{inflow}_m + s = D - D_{off},

i.e. the paths through no closed route keep their volume (so an open route never carries less than
:math:`g_r`, which equals :math:`f^0_r` unless part of its volume came through a closed route), the
volume :math:`R = \sum_{p \cap C \neq \varnothing} f^0_p` of the paths through a closed route is shipped
again at least cost over the remaining capacities :math:`k_r - g_r`, and what cannot be shipped is
stranded (:math:`s`). The extra cost compares with the same volume on the intact network with the same
kept paths. Where no year is complete (none, or partial: the reason is in the notes) the before state is
the least-cost maximum flow of the export volume (**allocated by least cost**) and the after state the
least-cost maximum flow on the reduced network. Each carrier's notes and its ``before_basis`` row
(value 1 observed, 0 allocated; detail ``carrier|basis``) say which.

**Outputs** (per carrier): route volumes before and after the closures, the rerouted volume per route,
the stranded volume, the extra transport cost :math:`C_{closed}(V') - C_{open}(V')` of shipping the
volume still exported :math:`V'` on the reduced network rather than the intact one (≥ 0), the value of
the newly stranded volume, and the share of exports whose path crosses each pole's territory
(:func:`tethers.countries.pole_map`; the country itself excluded; ``ROW`` = a country in no pole) before
and after, over :math:`D`. Path shares come from a decomposition of the optimal flow into source–sink
paths; which countries a path crosses is :func:`tethers.measures.transit.crossed`, the dependence report's one
definition: over the routes of the path that list the country (its outlet: onward routes such as BTC after a
Caspian tanker are not followed, no source says where a volume goes after the outlet), the countries after
the country on the atlas ``routes.countries`` (not the topology's ``countries``, which only serve
``route_closure ... through``), the end country included unless it is the destination — the route's as
``route_flows`` states it (Atasu–Alashankou → China) or, for gas sold to buyers, the market country the path
ends in. So the before state's shares equal the report's for every pole (Kazakhstan 2022: Russia 93.6 %,
China, Türkiye and ``ROW`` 0).

Solver: :func:`networkx.network_simplex` on integers (volumes in millionths of the carrier unit, i.e.
tonnes or 1000 m³; costs in US cents), so results are exact to 1e-6 of the unit.

Only Kazakhstan has a topology today: another country needs its own rows in the topology table.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import networkx as nx
import polars as pl

from ...countries import CENTRAL_ASIA, POLE_ORDER, eu_members, pole_map
from ...measures.exact import fsum, fsum_agg
from ...measures.trade import pole_ids
from .. import spec as _spec
from .base import Context, Param, effects

__all__ = [
    "TransitChannel", "CHANNEL", "load_topology", "to_carrier_unit", "network_edges", "match_closures",
    "solve_min_cost_flow", "reroute", "FlowSolution", "Reroute", "third_party_transit",
]

Carrier = Literal["oil", "gas"]
CARRIERS: tuple[str, ...] = ("oil", "gas")
UNITS: dict[str, str] = {"oil": "Mt/y", "gas": "bcm/y"}
# Oil is traded on a world market (any terminal will do); pipeline gas is sold under bilateral contracts.
FUNGIBLE: dict[str, bool] = {"oil": True, "gas": False}
# The before state's basis: the least-cost allocation, or the operators' observed route volumes (route_flows).
ALLOCATED = "allocated by least cost"
OBSERVED = "observed route volumes"
UNATTRIBUTED = "unattributed"  # the part of a published total that no route row accounts for
_ROUTE_FLOW_UNITS = {"oil": ("Mt", "Mt/y"), "gas": ("bcm", "bcm/y")}

# Energy Institute, Statistical Review of World Energy, "Approximate conversion factors" (crude oil,
# worldwide average gravity): 1 tonne = 7.33 barrels. UN Statistics Division, Energy Statistics Yearbook
# conversion factors give 7.32. CPC Blend is lighter (about 45° API → ~7.8 bbl/t): see parameter range.
BBL_PER_T = 7.33
DAYS_PER_YEAR = 365.0
BCM_PER_BCF = 0.028317  # 1 billion cubic feet = 0.028317 bcm (EI approximate conversion factors: 0.028)

_VALUE_UNIT = {"oil": "USD/t", "gas": "USD/1000 m3"}
_SCALE = 1_000_000  # integer flow units: 1e-6 of the carrier unit (t for Mt, 1000 m3 for bcm)
_CENTS = 100  # integer costs in US cents per flow unit (USD/t, USD/1000 m3)
_G7 = ("CAN", "FRA", "DEU", "ITA", "JPN", "GBR", "USA")

_SRC_CITE = {
    "exports": "Kazakhstan Ministry of Energy (Minister M. Mirzagaliyev): 67.6 Mt of oil exported in 2021, "
    "Kursiv 2021-12-28 (https://kz.kursiv.media/en/2021-12-28/oil-production-kazakhstan-reaches-857-million-tons/); "
    "lower bound 64.3 Mt = 2022 exports (Minister B. Akchulakov, The Astana Times 2023-01-11, "
    "https://astanatimes.com/2023/01/kazakhstan-exceeds-oil-extraction-expectations-in-2022/); upper bound "
    "symmetric (+3.3 Mt), an assumption",
    "bbl": "Energy Institute, Statistical Review of World Energy, Approximate conversion factors (crude oil, "
    "world average gravity): 7.33 bbl/t; range up to 7.9 for light CPC Blend (~45° API), an assumption",
}


def parameter_defaults() -> dict[str, Param]:
    """The channel's scalar parameters (route costs come from the topology table, see :func:`cost_params`)."""
    return {
        "oil_exports_mt": Param(67.6, "triangular", 64.3, 70.9, _SRC_CITE["exports"]),
        "bbl_per_t": Param(BBL_PER_T, "triangular", 7.2, 7.9, _SRC_CITE["bbl"]),
        "capacity_factor": Param(
            1.0, "triangular", 0.8, 1.0,
            "assumption: sustained throughput as a share of nameplate capacity (maintenance, weather, "
            "quality banks); 1 = nameplate",
        ),
        "kcp_reserved_mt": Param(
            10.0, "triangular", 0.0, 10.0,
            "Atasu–Alashankou capacity used by Russian transit to China: 'up to 10 million tons per year' "
            "under the KazTransOil–Rosneft agreement (KazTransOil via energytoday.ir/10385); range an assumption",
        ),
        "rail_oil_share": Param(
            0.0, "triangular", 0.0, 0.15,
            "assumption: share of general-cargo rail/ferry capacity (Dostyk–Alashankou, Kuryk) usable by "
            "crude in tank cars; 3.5 Mt of crude went to China by rail in 1999 (PRIME-TASS via KASE 2000-01-26)",
        ),
        "transit_priority": Param(
            1.0, "triangular", 0.5, 1.0,
            "assumption: share of third-party pipeline transit (energy_flows) that keeps its capacity",
        ),
        "gas_market_headroom": Param(
            0.0, "triangular", 0.0, 0.5,
            "assumption: extra gas a buyer absorbs above its baseline imports from the country (0 = contracts "
            "fixed)",
        ),
        "oil_price_usd_bbl": Param(
            70.9, "triangular", 60.0, 80.0,
            "Brent 2021 annual average 70.91 USD/bbl (Energy Institute/bp Statistical Review of World Energy "
            "2022); used only when the atlas has no BACI crude quantities to give a unit value",
        ),
        "gas_price_usd_tcm": Param(
            200.0, "triangular", 150.0, 300.0,
            "KazTransGas–PetroChina 2017 contract: 5 bcm/y for about 1 bn USD (IANS 2017-10-04); Kazakh gas "
            "sold to Russia at 200 USD/1000 m3, Turkmen/Uzbek at 300 (Kommersant via zakon.kz)",
        ),
    }


DEFAULTS: dict[str, float] = {k: p.central for k, p in parameter_defaults().items()}


# --------------------------------------------------------------------------------------------------
# Topology and edges
# --------------------------------------------------------------------------------------------------

_TOPO_SCHEMA = {
    "country": pl.Utf8, "route_id": pl.Utf8, "carrier": pl.Utf8, "from_node": pl.Utf8, "to_node": pl.Utf8,
    "to_country": pl.Utf8, "countries": pl.Utf8, "scale_param": pl.Utf8, "reserved_param": pl.Utf8,
    "cost_low": pl.Float64, "cost_mode": pl.Float64, "cost_high": pl.Float64, "cost_unit": pl.Utf8,
    "aliases": pl.Utf8, "note": pl.Utf8,
}


def load_topology(country: str | None = None) -> pl.DataFrame:
    """The shipped topology table (``scenario/data/transit_topology.csv``), optionally for one country."""
    with resources.files("tethers.scenario.data").joinpath("transit_topology.csv").open("rb") as fh:
        df = pl.read_csv(fh, schema_overrides=_TOPO_SCHEMA)
    return df if country is None else df.filter(pl.col("country") == country)


def cost_params(topology: pl.DataFrame) -> dict[str, Param]:
    """``cost.<route_id>``: triangular(low, mode, high) per topology row, its note as the source."""
    return {
        f"cost.{r['route_id']}": Param(r["cost_mode"], "triangular", r["cost_low"], r["cost_high"], r["note"] or "")
        for r in topology.iter_rows(named=True)
    }


def to_carrier_unit(capacity: float | None, unit: str | None, carrier: str, *, bbl_per_t: float = BBL_PER_T) -> float | None:
    """Convert a capacity to the carrier unit (oil Mt/y, gas bcm/y); ``None`` when unknown or not convertible.

    Oil: Mt/y (= mtpa) as is, kt/y ÷ 1e3, bbl/d × 365 / ``bbl_per_t`` / 1e6 (kb/d, mb/d scaled).
    Gas: bcm/y as is, mcm/d × 365 / 1e3, bcf/d × 365 × 0.028317.
    """
    if capacity is None or (isinstance(capacity, float) and math.isnan(capacity)) or unit is None:
        return None
    u = unit.strip().lower().replace(" ", "")
    if carrier == "oil":
        per_day = {"bbl/d": 1.0, "b/d": 1.0, "kb/d": 1e3, "mb/d": 1e6}
        if u in per_day:
            return capacity * per_day[u] * DAYS_PER_YEAR / bbl_per_t / 1e6
        return {"mt/y": capacity, "mtpa": capacity, "kt/y": capacity / 1e3}.get(u)
    if carrier == "gas":
        return {"bcm/y": capacity, "mcm/d": capacity * DAYS_PER_YEAR / 1e3,
                "bcf/d": capacity * DAYS_PER_YEAR * BCM_PER_BCF}.get(u)
    return None


def _split(s: str | None) -> list[str]:
    return [p.strip() for p in (s or "").split(";") if p.strip()]


_MEMO: list = []  # [(weakrefs to the input frames, key, result)]: the last 32 draw-independent results


def _memo(frames: tuple[pl.DataFrame, ...], key: tuple, compute):
    """``compute()`` once for the same input frames (by identity: a scenario's context hands every draw the same
    frames) and the same ``key``; the result is read-only for callers. A Monte Carlo run of 1,000 draws no longer
    re-reads the routes table and re-splits third parties' transit 3,000 times."""
    for refs, k, v in _MEMO:
        if k == key and len(refs) == len(frames) and all(r() is f for r, f in zip(refs, frames, strict=True)):
            return v
    v = compute()
    _MEMO[:] = [(tuple(weakref.ref(f) for f in frames), key, v), *_MEMO[:31]]
    return v


def _atlas_routes(routes: pl.DataFrame) -> dict[str, dict]:
    """route_id → row; where a route id comes from several sources, the hand-kept row wins (read-only)."""
    def compute() -> dict[str, dict]:
        df = routes
        if "source" in df.columns:
            df = df.with_columns(_o=(pl.col("source") != "handkept").cast(pl.Int8)).sort("_o").drop("_o")
        return {r["route_id"]: r
                for r in df.unique("route_id", keep="first", maintain_order=True).iter_rows(named=True)}
    return _memo((routes,), ("atlas_routes",), compute)


def third_party_transit(
    flows: pl.DataFrame | None, routes: pl.DataFrame, topology: pl.DataFrame, *, carrier: str, year: int,
) -> dict[str, float]:
    """Capacity used by other exporters' flows on the country's routes (carrier unit), by route.

    A flow *e → i* of ``year`` uses route *r* when, in *r*'s full ``countries`` list (atlas order), *e*
    comes before the country and *i* after it. It is split over all such routes in proportion to
    capacity (equally if a capacity is unknown).
    """
    if flows is None or flows.is_empty():
        return {}
    key = ("third_party_transit", carrier, year, tuple(topology.select("country", "route_id", "carrier").rows()))
    return _memo((flows, routes), key, lambda: _third_party_transit(flows, routes, topology, carrier=carrier,
                                                                     year=year))


def _third_party_transit(flows: pl.DataFrame, routes: pl.DataFrame, topology: pl.DataFrame, *, carrier: str,
                         year: int) -> dict[str, float]:
    country = topology["country"][0]
    atlas = _atlas_routes(routes)
    cand: list[tuple[str, list[str], float]] = []
    for r in topology.filter(pl.col("carrier") == carrier).iter_rows(named=True):
        row = atlas.get(r["route_id"])
        if row is None:
            continue
        cs = _split(row["countries"])
        cap = to_carrier_unit(row.get("capacity"), row.get("unit"), carrier) or 0.0
        if country in cs:
            cand.append((r["route_id"], cs, cap))
    f = flows.filter(
        (pl.col("carrier") == carrier) & (pl.col("year") == year)
        & (pl.col("exporter") != country) & (pl.col("importer") != country)
    )
    out: dict[str, float] = {}
    for e, i, v in f.select("exporter", "importer", "volume").iter_rows():
        use = [(rid, cap) for rid, cs, cap in cand
               if e in cs[: cs.index(country)] and i in cs[cs.index(country) + 1:]]
        total = sum(c for _, c in use)
        for rid, cap in use:
            out[rid] = out.get(rid, 0.0) + v * (cap / total if total > 0 else 1.0 / len(use))
    return out


def _edge(r: dict, row: dict | None, *, carrier: str, year: int | None, params: Mapping[str, float],
          reserved: float, override: float | None) -> dict:
    """One topology row → one edge (effective capacity or the reason it is excluded)."""
    out = {
        "route_id": r["route_id"], "name": (row or {}).get("name") or r["route_id"], "aliases": r["aliases"] or "",
        "from_node": r["from_node"], "to_node": r["to_node"], "to_country": r["to_country"],
        "countries": r["countries"] or (row or {}).get("countries") or "",
        "cost": float(params.get(f"cost.{r['route_id']}", r["cost_mode"])), "capacity": None, "excluded": None,
    }
    if row is None:
        out["excluded"] = "not in the atlas routes table"
        return out
    if row.get("status") not in (None, "operating"):
        out["excluded"] = f"status {row['status']}"
        return out
    if year is not None and row.get("start_year") is not None and row["start_year"] > year:
        out["excluded"] = f"starts {row['start_year']}"
        return out
    bbl = params.get("bbl_per_t", DEFAULTS["bbl_per_t"])
    cap = override if override is not None else to_carrier_unit(row.get("capacity"), row.get("unit"), carrier, bbl_per_t=bbl)
    if cap is None:
        why = "unknown capacity" if row.get("capacity") is None else f"unit {row.get('unit')!r} not convertible"
        out["excluded"] = why
        return out
    scale = params.get(r["scale_param"], DEFAULTS.get(r["scale_param"], 1.0)) if r["scale_param"] else 1.0
    phi = params.get("capacity_factor", DEFAULTS["capacity_factor"])
    out["capacity"] = max(0.0, phi * scale * cap - reserved)
    return out


def network_edges(
    routes: pl.DataFrame,
    topology: pl.DataFrame,
    *,
    carrier: str,
    year: int | None = None,
    params: Mapping[str, float] | None = None,
    flows: pl.DataFrame | None = None,
    capacity_overrides: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """The route edges of one carrier with effective capacities :math:`k_r` and costs :math:`w_r`.

    Parameters
    ----------
    routes : the atlas ``routes`` table (any sources; the hand-kept row wins for a duplicated id).
    topology : topology rows of one country (:func:`load_topology`).
    carrier : ``"oil"`` or ``"gas"``.
    year : routes starting after ``year`` are excluded; third-party transit is read for this year.
    params : parameter values (``bbl_per_t``, ``capacity_factor``, the topology's ``scale_param`` and
        ``reserved_param`` names, ``transit_priority``, ``cost.<route_id>``); missing → defaults.
    flows : ``energy_flows`` rows, for third-party transit (:func:`third_party_transit`).
    capacity_overrides : route_id → capacity in the carrier unit (e.g. for a route of unknown capacity).

    Returns
    -------
    pl.DataFrame
        ``[route_id, name, aliases, from_node, to_node, to_country, countries, cost, capacity,
        excluded]``; ``capacity`` is null and ``excluded`` says why for a route that cannot be used
        (not in the atlas, not operating, not yet built, unknown or unconvertible capacity).
    """
    params = dict(params or {})
    over = dict(capacity_overrides or {})
    topo = topology.filter(pl.col("carrier") == carrier)
    atlas = _atlas_routes(routes)
    third = third_party_transit(flows, routes, topo, carrier=carrier, year=year) if year is not None else {}
    prio = params.get("transit_priority", DEFAULTS["transit_priority"])
    rows = []
    for r in topo.iter_rows(named=True):
        res = prio * third.get(r["route_id"], 0.0)
        if r["reserved_param"]:
            res += params.get(r["reserved_param"], DEFAULTS.get(r["reserved_param"], 0.0))
        rows.append(_edge(r, atlas.get(r["route_id"]), carrier=carrier, year=year, params=params,
                          reserved=res, override=over.get(r["route_id"])))
    schema = {"route_id": pl.Utf8, "name": pl.Utf8, "aliases": pl.Utf8, "from_node": pl.Utf8, "to_node": pl.Utf8,
              "to_country": pl.Utf8, "countries": pl.Utf8, "cost": pl.Float64, "capacity": pl.Float64,
              "excluded": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)


def _through_set(through: Iterable[str], year: int) -> set[str]:
    out: set[str] = set()
    for t in through:
        t = t.strip().upper()
        if t == "EU27":
            out |= set(eu_members(year))
        elif t == "CASIA":
            out |= set(CENTRAL_ASIA)
        elif t == "G7":
            out |= set(_G7)
        else:
            out.add(t)
    return out


def match_closures(
    closures: Sequence[_spec.RouteClosure], edges: pl.DataFrame, *, exporter: str, year: int,
) -> tuple[set[str], list[str]]:
    """Route ids closed by ``route_closure`` measures, and the names that matched no route.

    A name matches a route when it equals (case-insensitively) its ``route_id``, its atlas ``name`` or
    one of its topology ``aliases``. ``through`` closes every route whose ``countries`` (the leg's, for
    this exporter) include one of the listed states; ``EU27``, ``CASIA`` and ``G7`` are expanded for
    ``year``; the exporter itself is never "through".
    """
    closed: set[str] = set()
    unmatched: list[str] = []
    keys = {
        r["route_id"]: {r["route_id"].lower(), (r["name"] or "").lower(), *(a.lower() for a in _split(r["aliases"]))}
        for r in edges.iter_rows(named=True)
    }
    legs = {r["route_id"]: set(_split(r["countries"])) for r in edges.iter_rows(named=True)}
    for m in closures:
        for token in m.routes:
            hit = {rid for rid, ks in keys.items() if token.strip().lower() in ks}
            closed |= hit
            if not hit:
                unmatched.append(token)
        through = _through_set(m.through, year) - {exporter}
        closed |= {rid for rid, cs in legs.items() if cs & through}
    return closed, unmatched


# --------------------------------------------------------------------------------------------------
# Min-cost flow
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowSolution:
    """A least-cost maximum flow.

    Attributes
    ----------
    flows : route_id → volume on the route (carrier unit), every usable route (0 when unused).
    stranded : volume that cannot leave (carrier unit).
    cost_usd : Σ_r w_r f_r in USD (w in USD per t or per 1000 m³, f in Mt or bcm).
    paths : (route ids along a source–sink path, volume) from a decomposition of the flow.
    delivered : market country → volume it receives (unit).
    """

    flows: dict[str, float]
    stranded: float
    cost_usd: float
    paths: tuple[tuple[tuple[str, ...], float], ...] = ()
    delivered: dict[str, float] = field(default_factory=dict)

    @property
    def routed(self) -> float:
        return sum(v for _, v in self.paths)


def _roles(edges: pl.DataFrame) -> tuple[set[str], dict[str, str]]:
    """Sources (no incoming route) and sinks → market country (no outgoing route), over all edges."""
    heads, tails = set(edges["from_node"]), set(edges["to_node"])
    sinks = {r["to_node"]: r["to_country"] for r in edges.iter_rows(named=True) if r["to_node"] not in heads}
    return heads - tails, sinks


def _graph(edges: pl.DataFrame, *, supply: int, closed: set[str], market_caps: Mapping[str, float] | None,
           floor: Mapping[str, int] | None = None) -> nx.DiGraph:
    sources, sinks = _roles(edges)
    g = nx.DiGraph()
    g.add_node("S", demand=-supply)
    g.add_node("T", demand=supply)
    usable = edges.filter(pl.col("capacity").is_not_null() & ~pl.col("route_id").is_in(sorted(closed)))
    weights = [round(c * _CENTS) for c in usable["cost"]]
    for src in sorted(sources):
        g.add_edge("S", ("n", src), weight=0)
    floor = dict(floor or {})
    for r, w in zip(usable.iter_rows(named=True), weights, strict=True):
        # a floor l (a volume the route must carry) is the usual lower-bound substitution: capacity k − l on
        # the arc, l taken out of the arc's tail and put into its head (added back after the solve)
        lo = floor.get(r["route_id"], 0)
        g.add_edge(("n", r["from_node"]), ("r", r["route_id"]), capacity=round(r["capacity"] * _SCALE) - lo, weight=w)
        g.add_edge(("r", r["route_id"]), ("n", r["to_node"]), weight=0)
        if lo:
            tail, head = g.nodes[("n", r["from_node"])], g.nodes[("r", r["route_id"])]
            tail["demand"] = tail.get("demand", 0) + lo
            head["demand"] = head.get("demand", 0) - lo
    for node, cty in sorted(sinks.items()):
        if market_caps is None:
            g.add_edge(("n", node), "T", weight=0)
        else:
            g.add_edge(("n", node), ("m", cty), weight=0)
    for cty, cap in sorted((market_caps or {}).items()):
        # rounded up, so that caps summing to the supply never strand a rounding unit
        g.add_edge(("m", cty), "T", capacity=math.ceil(max(cap, 0.0) * _SCALE), weight=0)
    g.add_edge("S", "T", capacity=supply, weight=1 + sum(weights))  # the stranded arc, cost π
    return g


def _decompose(flow: dict, source: object, sink: object) -> list[tuple[list, int]]:
    """Split an integer flow into source–sink paths (cycles, if any, are cancelled)."""
    rem = {u: {v: f for v, f in d.items() if f > 0 and not (u == source and v == sink)} for u, d in flow.items()}
    out = []
    while any(rem.get(source, {}).values()):
        walk, pos = [source], {source: 0}
        while walk[-1] != sink:
            v = next((v for v, f in rem.get(walk[-1], {}).items() if f > 0), None)
            if v is None:  # conservation makes this unreachable
                raise RuntimeError("flow decomposition: conservation violated")
            if v in pos:  # a cycle: cancel it and continue from its start
                cyc = [*walk[pos[v]:], v]
                m = min(rem[a][b] for a, b in zip(cyc, cyc[1:], strict=False))
                for a, b in zip(cyc, cyc[1:], strict=False):
                    rem[a][b] -= m
                del walk[pos[v] + 1:]
                pos = {n: i for i, n in enumerate(walk)}
                continue
            pos[v] = len(walk)
            walk.append(v)
        m = min(rem[a][b] for a, b in zip(walk, walk[1:], strict=False))
        for a, b in zip(walk, walk[1:], strict=False):
            rem[a][b] -= m
        out.append((walk, m))
    return out


def solve_min_cost_flow(
    edges: pl.DataFrame,
    *,
    supply: float,
    closed: Iterable[str] = (),
    market_caps: Mapping[str, float] | None = None,
    floor: Mapping[str, float] | None = None,
) -> FlowSolution:
    r"""Ship ``supply`` (carrier unit) from the source nodes to the markets at least cost; strand the rest.

    ``edges`` as from :func:`network_edges` (``capacity`` null = unusable); ``closed`` route ids carry
    nothing; ``market_caps`` (country → volume) limits what each market country absorbs (``None``:
    fungible, no limit); ``floor`` (route id → volume) is the least volume an open route must carry
    (:math:`l_r \le f_r \le k_r`; raises :class:`networkx.NetworkXUnfeasible` when no flow meets the
    floors). Sources and sinks are read from all edges (closed or not), so closing a downstream route
    never turns its upstream node into a market.
    """
    closed = set(closed)
    s_int = round(supply * _SCALE)
    lo = {r: round(v * _SCALE) for r, v in (floor or {}).items() if round(v * _SCALE) > 0}
    if set(lo) & closed:
        raise ValueError(f"closed routes cannot have a floor: {sorted(set(lo) & closed)}")
    g = _graph(edges, supply=s_int, closed=closed, market_caps=market_caps, floor=lo)
    _, flow = nx.network_simplex(g)
    lookup = dict(zip(edges["route_id"], edges["from_node"], strict=True))
    for rid, v in lo.items():
        flow[("n", lookup[rid])][("r", rid)] += v
    usable = edges.filter(pl.col("capacity").is_not_null())
    flows, cost = {}, 0
    for r in usable.iter_rows(named=True):
        f = flow.get(("n", r["from_node"]), {}).get(("r", r["route_id"]), 0) if r["route_id"] not in closed else 0
        flows[r["route_id"]] = f / _SCALE
        cost += f * round(r["cost"] * _CENTS)
    paths = tuple(
        (tuple(n[1] for n in walk if isinstance(n, tuple) and n[0] == "r"), m / _SCALE)
        for walk, m in _decompose(flow, "S", "T")
    )
    market = dict(zip(usable["route_id"], usable["to_country"], strict=True))
    delivered: dict[str, float] = {}
    for route_ids, vol in paths:
        delivered[market[route_ids[-1]]] = delivered.get(market[route_ids[-1]], 0.0) + vol
    return FlowSolution(flows=flows, stranded=flow["S"]["T"] / _SCALE, cost_usd=cost / _CENTS, paths=paths,
                        delivered=delivered)


# --------------------------------------------------------------------------------------------------
# Rerouting
# --------------------------------------------------------------------------------------------------


def _pole_shares(sol: FlowSolution, edges: pl.DataFrame, *, supply: float, exporter: str, year: int,
                 poles: Sequence[str], route_countries: Mapping[str, str] | None = None,
                 destinations: Mapping[str, str] | None = None, buyers: bool = False) -> dict[str, float]:
    """Pole → share of ``supply`` whose path crosses the pole: :func:`tethers.measures.transit.crossed` (the one
    definition, as the dependence report) over the path's routes, with the countries of ``route_countries``
    (the atlas ``routes.countries``; default: the edges' own) and as destination the one a route of the path
    delivers into (``destinations``, from ``route_flows``) or, for a carrier sold to buyers (``buyers``: gas), the
    market country the path ends in."""
    from ...measures.transit import crossed

    own = dict(zip(edges["route_id"], edges["countries"], strict=True))
    market = dict(zip(edges["route_id"], edges["to_country"], strict=True))
    rc = {**own, **{r: c for r, c in (route_countries or {}).items() if c}}
    dest = dict(destinations or {})
    ids = pole_ids(poles)
    pmap = pole_map(year, country=exporter, poles=[p for p in ids if p != "ROW"])
    via = dict.fromkeys(ids, 0.0)
    for route_ids, vol in sol.paths:
        if not route_ids:
            continue
        d = next((dest[r] for r in route_ids if dest.get(r)), None)
        if d is None and buyers:
            d = market.get(route_ids[-1])
        for p in {pmap.get(c, "ROW") for c in crossed([rc.get(r) or "" for r in route_ids], exporter, d)}:
            via[p] += vol
    return {p: (v / supply if supply > 0 else math.nan) for p, v in via.items()}


@dataclass(frozen=True)
class Reroute:
    """Before/after a set of closures, for one carrier.

    Attributes
    ----------
    carrier, unit : the carrier and its volume unit (Mt/y, bcm/y).
    supply : export volume D (unit): the denominator of every share.
    closed : route ids closed.
    before, after : :class:`FlowSolution` on the intact and the reduced network.
    extra_cost_usd : C_closed(V') − C_open(V') for the volume V' still exported (USD/y, ≥ 0).
    shares_before, shares_after : pole → share of D whose path crosses the pole
        (:func:`tethers.measures.transit.crossed`; 0–1).
    basis : how the before state was made: ``"allocated by least cost"`` or ``"observed route volumes
        (route_flows, <year>)"``.
    off_network : observed volumes on no route of the graph (route_flows rows such as ``rail`` and the
        part of the published total no route row accounts for), label → volume; they are in D, cross no
        pole, and no closure reaches them.
    """

    carrier: str
    unit: str
    supply: float
    closed: tuple[str, ...]
    before: FlowSolution
    after: FlowSolution
    extra_cost_usd: float
    shares_before: dict[str, float] = field(default_factory=dict)
    shares_after: dict[str, float] = field(default_factory=dict)
    basis: str = ALLOCATED
    off_network: dict[str, float] = field(default_factory=dict)

    @property
    def observed(self) -> bool:
        return self.basis != ALLOCATED

    def tidy(self) -> pl.DataFrame:
        """``[metric, detail, value, unit]``; ``detail`` is ``carrier``, ``carrier|route_id`` or ``carrier|pole``."""
        c, u = self.carrier, self.unit
        rows = [
            ("before_basis", f"{c}|{self.basis}", 1.0 if self.observed else 0.0, "flag"),
            ("exports", c, self.supply, u),
            ("off_network_volume", c, fsum(self.off_network.values()), u),
            ("stranded_before", c, self.before.stranded, u),
            ("stranded_volume", c, self.after.stranded, u),
            ("newly_stranded", c, self.after.stranded - self.before.stranded, u),
            ("stranded_share", c, self.after.stranded / self.supply if self.supply > 0 else math.nan, "share"),
            ("transport_cost_before_usd", c, self.before.cost_usd, "USD"),
            ("transport_cost_after_usd", c, self.after.cost_usd, "USD"),
            ("extra_cost_usd", c, self.extra_cost_usd, "USD"),
        ]
        rows += [("closed_route", f"{c}|{r}", 1.0, "flag") for r in self.closed]
        for r in sorted(self.before.flows):
            b, a = self.before.flows[r], self.after.flows.get(r, 0.0)
            rows += [("route_volume_before", f"{c}|{r}", b, u), ("route_volume_after", f"{c}|{r}", a, u),
                     ("rerouted_volume", f"{c}|{r}", a - b, u),
                     ("route_share_before", f"{c}|{r}", b / self.supply if self.supply > 0 else math.nan, "share")]
        rows += [("off_network_volume", f"{c}|{r}", v, u) for r, v in self.off_network.items()]
        rows += [("share_via_before", f"{c}|{p}", v, "share") for p, v in self.shares_before.items()]
        rows += [("share_via_after", f"{c}|{p}", v, "share") for p, v in self.shares_after.items()]
        return pl.DataFrame(rows, schema={"metric": pl.Utf8, "detail": pl.Utf8, "value": pl.Float64, "unit": pl.Utf8},
                            orient="row")


def reroute(
    edges: pl.DataFrame,
    *,
    carrier: str,
    supply: float,
    closed: Iterable[str] = (),
    exporter: str,
    year: int,
    market_caps: Mapping[str, float] | None = None,
    poles: Sequence[str] = POLE_ORDER,
    observed: Mapping[str, float] | None = None,
    basis: str | None = None,
    route_countries: Mapping[str, str] | None = None,
    destinations: Mapping[str, str] | None = None,
) -> Reroute:
    """Compare the network before and after the closures (see the module docstring).

    Without ``observed`` the before state is the least-cost maximum flow of ``supply`` on the intact
    network and the after state the same on the reduced one (**allocated by least cost**).

    With ``observed`` (route id → observed volume, e.g. :func:`observed_base`'s ``volumes``) the before
    state **is** the observed one: every observed route of the graph carries exactly its volume (its
    capacity raised to it where the observed figure exceeds the modelled one), the graph's other first
    legs carry nothing and downstream routes carry what arrives, at least cost. ``supply`` is then the
    published total D; the part of it on no route of the graph is ``off_network``. After the closures,
    the source–sink paths of the before state that use no closed route keep their volume (a floor on
    every open route), and the rest — the volume of the paths through a closed route — is shipped again
    over the remaining capacity at least cost; what cannot be shipped is stranded.

    Pole shares before and after: :func:`tethers.measures.transit.crossed` over each path (``route_countries``:
    route id → the atlas ``routes.countries``, default the edges' ``countries``; ``destinations``: route id →
    the country it delivers into, from ``route_flows``; with ``market_caps`` — gas sold to buyers — the
    market country a path ends in is its destination).
    """
    closed = tuple(sorted(set(closed)))
    kw = {"supply": supply, "exporter": exporter, "year": year, "poles": poles, "route_countries": route_countries,
          "destinations": destinations, "buyers": market_caps is not None}
    if observed is None:
        before = solve_min_cost_flow(edges, supply=supply, market_caps=market_caps)
        if not closed:  # nothing closes: the after state is the before state, re-routing costs nothing
            shares = _pole_shares(before, edges, **kw)
            return Reroute(carrier=carrier, unit=UNITS.get(carrier, ""), supply=supply, closed=closed, before=before,
                           after=before, extra_cost_usd=0.0, shares_before=shares, shares_after=shares,
                           basis=basis or ALLOCATED)
        after = solve_min_cost_flow(edges, supply=supply, closed=closed, market_caps=market_caps)
        # the counterfactual ships the same volume on the intact network; for non-fungible carriers it also
        # delivers the same volumes to the same market countries
        same = solve_min_cost_flow(edges, supply=after.routed,
                                   market_caps=None if market_caps is None else after.delivered)
        return Reroute(
            carrier=carrier, unit=UNITS.get(carrier, ""), supply=supply, closed=closed, before=before, after=after,
            extra_cost_usd=after.cost_usd - same.cost_usd, shares_before=_pole_shares(before, edges, **kw),
            shares_after=_pole_shares(after, edges, **kw), basis=basis or ALLOCATED,
        )
    usable = edges.filter(pl.col("capacity").is_not_null())
    ids = set(usable["route_id"])
    pinned = {r: float(v) for r, v in observed.items() if r in ids}
    off = {r: float(v) for r, v in observed.items() if r not in ids}
    sources, _ = _roles(edges)
    first = {r for r, u in zip(usable["route_id"], usable["from_node"], strict=True) if u in sources}
    network = fsum(v for r, v in pinned.items() if r in first)
    rest = supply - network - fsum(off.values())
    if rest > 1.0 / _SCALE:
        off[UNATTRIBUTED] = rest
    edges = _raise_to(edges, pinned)  # an observed volume above the modelled capacity is the capacity
    before = solve_min_cost_flow(_raise_to(edges, pinned, exact=True), supply=network,
                                 closed=sorted(first - set(pinned)), market_caps=market_caps, floor=pinned)
    if not closed:  # nothing closes: every path keeps its volume, the after state is the before state
        shares = _pole_shares(before, edges, **kw)
        return Reroute(carrier=carrier, unit=UNITS.get(carrier, ""), supply=supply, closed=closed, before=before,
                       after=before, extra_cost_usd=0.0, shares_before=shares, shares_after=shares,
                       basis=basis or OBSERVED, off_network=off)
    kept: dict[str, float] = {}
    for route_ids, vol in before.paths:
        if not set(route_ids) & set(closed):
            for r in route_ids:
                kept[r] = kept.get(r, 0.0) + vol
    after = solve_min_cost_flow(edges, supply=network, closed=closed, market_caps=market_caps, floor=kept)
    same = solve_min_cost_flow(edges, supply=after.routed, market_caps=None if market_caps is None else after.delivered,
                               floor=kept)
    return Reroute(
        carrier=carrier, unit=UNITS.get(carrier, ""), supply=supply, closed=closed, before=before, after=after,
        extra_cost_usd=after.cost_usd - same.cost_usd, shares_before=_pole_shares(before, edges, **kw),
        shares_after=_pole_shares(after, edges, **kw), basis=basis or OBSERVED, off_network=off,
    )


def _raise_to(edges: pl.DataFrame, volumes: Mapping[str, float], *, exact: bool = False) -> pl.DataFrame:
    """Capacities at least ``volumes`` (``exact``: equal to them) on the routes listed."""
    if not volumes:
        return edges
    v = pl.col("route_id").replace_strict(dict(volumes), default=None, return_dtype=pl.Float64)
    cap = v if exact else pl.max_horizontal(pl.col("capacity"), v)
    return edges.with_columns(capacity=pl.when(v.is_not_null()).then(cap).otherwise(pl.col("capacity")))


# --------------------------------------------------------------------------------------------------
# The observed before state (route_flows)
# --------------------------------------------------------------------------------------------------



@dataclass(frozen=True)
class ObservedBase:
    """A complete observed year of ``route_flows`` for one exporter and carrier.

    Attributes
    ----------
    year, unit : the year and the unit of the rows (converted to the carrier unit, which is the same).
    total : the published total exports V_all (the ``route_id == 'all'`` row).
    volumes : route id → observed volume V_r, every route row (also those with no route in the graph).
    coverage : Σ_r V_r / V_all (≥ :data:`tethers.measures.transit.MIN_COVERAGE`).
    citations : route id → the row's citation (``all`` included).
    """

    year: int
    unit: str
    total: float
    volumes: dict[str, float]
    coverage: float
    citations: dict[str, str] = field(default_factory=dict)

    @property
    def basis(self) -> str:
        return f"{OBSERVED} (route_flows, {self.year})"


def observed_base(route_flows: pl.DataFrame | None, *, exporter: str, year: int,
                  carrier: str) -> tuple[ObservedBase | None, str]:
    """The observed before state where ``route_flows`` has a complete year, else ``None`` and why not.

    Completeness is the rule of the dependence figures (:func:`tethers.measures.transit.route_flow_shares`'s
    ``complete``, the rule :func:`tethers.measures.transit.transit_base` applies): a published total and
    route rows covering at least :data:`~tethers.measures.transit.MIN_COVERAGE` of it.
    """
    from ...measures.transit import MIN_COVERAGE, route_flow_shares

    if route_flows is None or route_flows.is_empty():
        return None, f"no observed route volumes for {year}"
    rf = route_flow_shares(route_flows, exporter=exporter, year=year, carrier=carrier)
    if rf.height == 0:
        return None, f"no observed route volumes for {year}"
    if not rf["complete"].all():
        cov = rf["coverage"][0]
        return None, (f"observed routes for {year} partial: no published total" if cov is None else
                      f"observed routes for {year} partial: they cover {cov:.0%} of exports (< {MIN_COVERAGE:.0%})")
    units = set(rf["unit"])
    if len(units) != 1 or not units <= set(_ROUTE_FLOW_UNITS.get(carrier, ())):
        return None, f"observed routes for {year} in {', '.join(sorted(units))}, not {UNITS.get(carrier, '?')}"
    cites = dict(zip(rf["route_id"], rf["citation"], strict=True))
    tot = route_flows.filter((pl.col("exporter") == exporter) & (pl.col("year") == year)
                             & (pl.col("carrier") == carrier) & (pl.col("route_id") == "all"))
    if "citation" in tot.columns and tot.height:
        cites["all"] = tot["citation"][0]
    return ObservedBase(year=year, unit=rf["unit"][0], total=float(rf["exports"][0]),
                        volumes=dict(zip(rf["route_id"], rf["volume"].cast(pl.Float64), strict=True)),
                        coverage=float(rf["coverage"][0]), citations=cites), ""


def capacity_notes(edges: pl.DataFrame, volumes: Mapping[str, float], *, carrier: str) -> list[str]:
    """Where an observed volume exceeds a route's modelled capacity, or falls on a route the graph excludes.

    The note carries the observed volume only (the capacity depends on drawn parameters).
    """
    out = []
    for r in edges.iter_rows(named=True):
        v = volumes.get(r["route_id"])
        if v is None or v <= 0:
            continue
        if r["capacity"] is None:
            out.append(f"{carrier}: {r['route_id']} is excluded ({r['excluded']}) but route_flows has {v:g} "
                       f"{UNITS[carrier]} on it: that volume is off the graph (kept as is, no closure reaches it)")
        elif v > r["capacity"] + 0.5 / _SCALE:
            out.append(f"{carrier}: the observed {v:g} {UNITS[carrier]} on {r['route_id']} exceed its modelled "
                       "capacity; the observed figure is used as its effective capacity")
    return out


# --------------------------------------------------------------------------------------------------
# Demand and unit values from the context
# --------------------------------------------------------------------------------------------------


def _pick_year(years: Iterable[int], base_year: int) -> int | None:
    ys = sorted(set(years))
    if not ys:
        return None
    earlier = [y for y in ys if y <= base_year]
    return earlier[-1] if earlier else ys[0]


def _baci_crude(trade: pl.DataFrame, country: str, base_year: int) -> tuple[int | None, float, float]:
    """(year, Σ tonnes, Σ USD) of the country's crude (HS 2709) exports with quantities in tonnes."""
    need = {"reporter", "flow", "product", "partner", "quantity", "quantity_unit", "value_usd", "year"}
    if trade.is_empty() or not need <= set(trade.columns):
        return None, 0.0, 0.0
    t = trade.filter(
        (pl.col("reporter") == country) & (pl.col("flow") == "export") & pl.col("product").str.starts_with("2709")
        & (pl.col("partner") != "WLD") & (pl.col("quantity_unit") == "t") & (pl.col("quantity") > 0)
    )
    year = _pick_year(t["year"].to_list(), base_year)
    if year is None:
        return None, 0.0, 0.0
    t = t.filter(pl.col("year") == year)
    return year, fsum(t["quantity"]), fsum(t["value_usd"])


def _gas_demand(flows: pl.DataFrame, country: str, base_year: int) -> tuple[int | None, dict[str, float]]:
    if flows.is_empty():
        return None, {}
    f = flows.filter((pl.col("exporter") == country) & (pl.col("carrier") == "gas"))
    year = _pick_year(f["year"].to_list(), base_year)
    if year is None:
        return None, {}
    by = f.filter(pl.col("year") == year).group_by("importer").agg(fsum_agg("volume")).sort("importer")
    return year, dict(by.iter_rows())


# --------------------------------------------------------------------------------------------------
# The channel
# --------------------------------------------------------------------------------------------------


def _note(country: str, text: str) -> dict:
    return {"channel": "transit", "country": country, "metric": "note", "value": math.nan, "unit": "", "detail": text}


class TransitChannel:
    """Route closures → rerouted and stranded energy exports (see the module docstring).

    Parameters
    ----------
    oil_demand : ``"official"`` (default): parameter ``oil_exports_mt`` (Kazakhstan's Ministry of Energy
        figure); ``"baci"``: Σ BACI crude (HS 2709) export quantities in ``ctx.trade`` (BACI reconciles
        importers' reports, which often book CPC Blend as Russian: 46.6 Mt for Kazakhstan in 2021 against
        67.6 Mt official, so it understates).
    topology : a topology table (default: the shipped one).
    capacity_overrides : route_id → capacity (carrier unit), e.g. for routes of unknown capacity.
    """

    name = "transit"

    def __init__(
        self,
        *,
        oil_demand: Literal["official", "baci"] = "official",
        topology: pl.DataFrame | None = None,
        capacity_overrides: Mapping[str, float] | None = None,
    ) -> None:
        if oil_demand not in ("official", "baci"):
            raise ValueError(f"oil_demand={oil_demand!r} is not allowed; choose one of: 'official', 'baci'")
        self.oil_demand = oil_demand
        self._topology = topology
        self.capacity_overrides = dict(capacity_overrides or {})

    @property
    def topology(self) -> pl.DataFrame:
        """The topology table (the shipped one is read on first use, not at import)."""
        if self._topology is None:
            self._topology = load_topology()
        return self._topology

    def parameters(self) -> dict[str, Param]:
        return {**parameter_defaults(), **cost_params(self.topology)}

    def run(self, spec: _spec.ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        country = ctx.country
        topo = self.topology.filter(pl.col("country") == country)
        if topo.is_empty():
            return effects([_note(country, f"skipped: no transit topology for {country} (add its rows to "
                                           "scenario/data/transit_topology.csv)")])
        values = {k: p.central for k, p in self.parameters().items()} | dict(params)
        rows: list[dict] = []
        usd = {"stranded_value_usd": 0.0, "extra_cost_usd": 0.0}
        unmatched: list[set[str]] = []
        for carrier in CARRIERS:
            carrier_rows, missed = self._carrier(carrier, spec, ctx, topo, values, usd)
            rows += carrier_rows
            unmatched.append(missed)
        rows += [_note(country, f"route_closure: {t!r} matches no route of {country}")
                 for t in sorted(set.intersection(*unmatched))]
        rows += [{"channel": "transit", "country": country, "metric": k, "value": v, "unit": "USD", "detail": ""}
                 for k, v in usd.items()]
        return effects(rows)

    def _demand(self, carrier: str, ctx: Context, values: Mapping[str, float],
                observed: ObservedBase | None = None) -> tuple[float, dict | None, float, str]:
        """(D, market caps or None, USD per unit of the carrier's *cost* unit (t, 1000 m³), note).

        With an observed year (:func:`observed_base`) D is its published total. The note never carries a
        drawn number (the engine groups rows by detail across draws).
        """
        if carrier == "oil":
            year, tonnes, value = _memo((ctx.trade,), ("baci_crude", ctx.country, ctx.base_year),
                                        lambda: _baci_crude(ctx.trade, ctx.country, ctx.base_year))
            if tonnes > 0:
                per_t, src = value / tonnes, f"BACI {year} crude unit value ({value / tonnes:.1f} USD/t)"
            else:
                per_t, src = values["oil_price_usd_bbl"] * values["bbl_per_t"], "oil_price_usd_bbl × bbl_per_t"
            if observed is not None:
                how = (f"oil exports: the published total of route_flows {observed.year} ({observed.total:g} "
                       f"{UNITS['oil']}; parameter oil_exports_mt not used)")
                return observed.total, None, per_t, f"{how}; value from {src}"
            if self.oil_demand == "baci":
                how = f"oil exports: BACI {year} crude quantities ({tonnes / 1e6:.2f} Mt)"
                d = tonnes / 1e6
            else:
                d, how = values["oil_exports_mt"], "oil exports: parameter oil_exports_mt (Ministry of Energy, 2021)"
            return d, None, per_t, f"{how}; value from {src}"
        year, by = _memo((ctx.energy_flows,), ("gas_demand", ctx.country, ctx.base_year),
                         lambda: _gas_demand(ctx.energy_flows, ctx.country, ctx.base_year))
        h = values["gas_market_headroom"]
        caps = {imp: v * (1.0 + h) for imp, v in by.items()}
        if observed is not None:
            return (observed.total, caps, values["gas_price_usd_tcm"],
                    f"gas exports: the published total of route_flows {observed.year} ({observed.total:g} bcm/y); "
                    f"buyers' caps from energy_flows {year}, by importer")
        return sum(by.values()), caps, values["gas_price_usd_tcm"], f"gas exports: energy_flows {year}, by importer"

    def _carrier(self, carrier: str, spec: _spec.ScenarioSpec, ctx: Context, topo: pl.DataFrame,
                 values: Mapping[str, float], usd: dict[str, float]) -> tuple[list[dict], set[str]]:
        """Effect rows of one carrier (``usd`` accumulates the headline sums) and the unmatched route names."""
        country = ctx.country
        base = {"channel": "transit", "country": country}
        edges = network_edges(ctx.routes, topo, carrier=carrier, year=ctx.base_year, params=values,
                              flows=ctx.energy_flows, capacity_overrides=self.capacity_overrides)
        rows = [_note(country, f"{carrier}: {r['route_id']} excluded ({r['excluded']})")
                for r in edges.filter(pl.col("excluded").is_not_null()).iter_rows(named=True)]
        rf = ctx.extra.get("route_flows")
        obs, why = (observed_base(rf, exporter=country, year=ctx.base_year, carrier=carrier) if rf is None else
                    _memo((rf,), ("observed_base", country, ctx.base_year, carrier),
                          lambda: observed_base(rf, exporter=country, year=ctx.base_year, carrier=carrier)))
        if edges.is_empty():
            obs = None
        closed, unmatched = match_closures(spec.measures_of("route_closure"), edges, exporter=country,
                                           year=ctx.base_year)
        # pole shares by the one definition of the dependence report (measures.transit.crossed): the atlas
        # routes' countries and the destinations route_flows states
        from ...measures.transit import route_destinations

        def crossing_args() -> dict:
            return {"route_countries": {r: row["countries"] for r, row in _atlas_routes(ctx.routes).items()},
                    "destinations": route_destinations(rf, exporter=country, carrier=carrier)}
        crossing = crossing_args() if rf is None else _memo((ctx.routes, rf), ("crossing", country, carrier),
                                                             crossing_args)
        res, basis_notes = None, []
        if obs is not None:
            supply, caps, usd_per_unit, how = self._demand(carrier, ctx, values, obs)
            try:
                res = reroute(edges, carrier=carrier, supply=supply, closed=closed, exporter=country,
                              year=ctx.base_year, market_caps=None if FUNGIBLE[carrier] else caps,
                              observed=obs.volumes, basis=obs.basis, **crossing)
            except nx.NetworkXUnfeasible:
                why = (f"the observed route volumes of {obs.year} do not fit the graph (a downstream route or a "
                       "buyer's cap is too small)")
            else:
                ids = set(edges.filter(pl.col("capacity").is_not_null())["route_id"])
                basis_notes = [
                    f"{carrier}: before state = {obs.basis}: the operators' volumes by route (routes cover "
                    f"{obs.coverage:.1%} of the published total), the shares of the dependence report; closures "
                    "re-route only the volume of the paths through a closed route, at least cost over the remaining "
                    "capacity, and strand the rest",
                    *capacity_notes(edges, obs.volumes, carrier=carrier),
                    *(f"{carrier}: route_flows row {r!r} ({v:g} {UNITS[carrier]}) is on no route of the graph: kept "
                      "as is, crossing no pole, out of reach of closures" for r, v in sorted(obs.volumes.items())
                      if r not in ids and r not in edges["route_id"].to_list()),
                ]
        if res is None:
            supply, caps, usd_per_unit, how = self._demand(carrier, ctx, values)
            basis_notes = [f"{carrier}: before state {ALLOCATED} ({why}): the least-cost maximum flow of the export "
                           "volume, not what was observed"]
        rows.append(_note(country, how))
        rows += [_note(country, n) for n in basis_notes]
        rows.append({**base, "metric": "unit_value", "value": usd_per_unit, "unit": _VALUE_UNIT[carrier],
                     "detail": carrier})
        if edges.is_empty() or not supply > 0:
            return [*rows, _note(country, f"{carrier}: no routes or no exports; nothing to reroute")], set(unmatched)
        if res is None:
            res = reroute(edges, carrier=carrier, supply=supply, closed=closed, exporter=country, year=ctx.base_year,
                          market_caps=None if FUNGIBLE[carrier] else caps, **crossing)
        lost = (res.after.stranded - res.before.stranded) * 1e6 * usd_per_unit  # Mt → t, bcm → 1000 m³
        usd["stranded_value_usd"] += lost
        usd["extra_cost_usd"] += res.extra_cost_usd
        rows += [{**base, **r} for r in res.tidy().iter_rows(named=True)]
        rows.append({**base, "metric": "stranded_value_usd", "value": lost, "unit": "USD", "detail": carrier})
        return rows, set(unmatched)


CHANNEL = TransitChannel()
