r"""Transit exposure: the share of a country's exports of a carrier that leaves through a pole's territory.

.. math::
    T_{eP} = \frac{\sum_{f \in F_e} \sum_{r} V_f\, w_{fr}\, \mathbb{1}[\,C_{fr} \cap P(t) \neq \varnothing\,]}
                  {\sum_{f \in F_e} V_f}

for exporter *e*, flows *f* (importer, carrier, year, volume :math:`V_f`), routes *r*, and
:math:`C_{fr}` the **transit countries** of route *r* for flow *f*: :func:`crossed` — **the one definition**,
which the dependence report (allocated and observed) and the transit scenario channel (before/after its
closures) all call. A route lists its ``countries`` in the direction of flow (``routes.countries``): the
countries **downstream of the exporter** are crossed, strictly before the importer when the route reaches the
importer further on, else every country after the exporter (the flow goes on from the route's end, e.g. by sea
from a port). Countries upstream of the exporter are not crossed: Kazakh gas entering the Central Asia–China
pipeline does not cross Turkmenistan and Uzbekistan, where that pipeline starts. The importer is not transit
unless ``include_destination=True`` (a flow *to* China through a pipeline ending in China is a trade
dependency on China, not a transit dependency). ``ordered=False`` (not used by the report) treats routes as
unordered sets: every country of the route but the exporter.

Assumptions (flows carry no route, so they are allocated to routes by rule):

1. A route is **available** to a flow when its ``carrier`` equals the flow's carrier, its ``countries``
   include the exporter, and it had started (``start_year`` null or ≤ the flow's year). ``mode`` and
   route ``status`` are not used: filter the routes (e.g. operating only) before calling.
2. If some available routes also reach the importer (the importer is in ``countries``, and — when
   ``ordered`` — listed after the exporter), the flow uses only those; otherwise it uses all available
   routes (the exporter's outlets for that carrier, e.g. a pipeline to a sea port and onwards by tanker).
3. Within the routes used, the flow is split in proportion to ``capacity`` when every one of them has a
   positive capacity, and equally otherwise (``weights="equal"`` forces equal splits).
4. A flow with no available route is **unrouted**; its volume stays in the denominator and is reported as
   ``unrouted_share``.

Shares over poles do not add up to 1: a route may cross several poles (Russia then the EU) or none.
``ROW`` is the share crossing at least one transit country in no pole. Volumes stay in the flow's unit
(``unit``), so results are per unit; the energy_flows units of one carrier should agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import polars as pl

from ..countries import POLE_ORDER
from .exact import fsum
from .trade import FrameLike, as_frame, choose, pole_ids, pole_membership, where

__all__ = ["crossed", "transit_shares", "transit_through", "route_allocation", "flows_from_trade", "HS_CARRIERS",
           "route_flow_shares", "route_destinations", "observed_transit_shares", "transit_base", "readings", "MIN_COVERAGE", "READINGS"]

HS_CARRIERS: dict[str, str] = {"2709": "oil", "2710": "oil_products", "2711": "gas", "2701": "coal"}
_FLOW = ["year", "exporter", "importer", "carrier", "unit"]
_OUT = ["exporter", "year", "carrier", "unit"]


def crossed(legs: str | Sequence[str | Sequence[str]], exporter: str, destination: str | None = None,
            *, include_destination: bool = False) -> tuple[str, ...]:
    """THE countries a volume exported by ``exporter`` "crosses" on its way out (the one definition).

    ``legs``: the routes the volume travels on, in order, each as its ``routes.countries`` list in the direction
    of flow (a ';'-joined string or a sequence of codes); one route alone may be given as its string. The crossed countries are

    * on every leg that lists the exporter (the exporter's **outlet**: the route a ``route_flows`` row names, the
      route a flow is allocated to, the legs of a re-routed path that start in or pass the exporter), the
      countries listed **after** the exporter's first place, in order;
    * **up to but not including the destination** — the country the volume is delivered into (a ``route_flows``
      row's ``destination``, e.g. China for Atasu–Alashankou; a flow's importer; a gas buyer): a destination is a
      trade partner, already in the trade shares, not transit. Countries listed after the destination are not
      crossed (the volume stops there). ``include_destination`` keeps the destination itself;
    * a route's **end country counts** when the route has no destination (the volume goes on: crude shipped by sea
      from Novorossiysk, Russia, crosses Russia);
    * legs that do not list the exporter (an onward route such as Baku–Tbilisi–Ceyhan after a Caspian tanker) are
      **not followed**: no source says where a volume goes after the exporter's outlet (Aktau's 2022 loadings went
      partly to Makhachkala, Russia, partly to Baku), so the observed route volumes cannot follow them either;
    * the exporter itself is never crossed; countries before the exporter (upstream) are not crossed.

    Returns the crossed countries in order of first appearance, each once.
    """
    if isinstance(legs, str):
        legs = [legs]
    out: dict[str, None] = {}
    for leg in legs:
        cs = [c.strip() for c in (leg.split(";") if isinstance(leg, str) else leg) if c and c.strip()]
        if exporter not in cs:
            continue
        after = cs[cs.index(exporter) + 1:]
        if destination is not None and destination in after:
            after = after[: after.index(destination) + (1 if include_destination else 0)]
        out.update((c, None) for c in after if c != exporter)
    return tuple(out)


def route_allocation(
    flows: FrameLike,
    routes: FrameLike,
    *,
    exporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    carrier: str | Iterable[str] | None = None,
    weights: Literal["capacity", "equal"] = "capacity",
    ordered: bool = True,
) -> pl.DataFrame:
    """Allocate each flow to routes by the rules 1–3 of the module docstring.

    ``ordered``: a route reaches the importer only when the importer is listed after the exporter.

    Returns
    -------
    pl.DataFrame
        ``[year, exporter, importer, carrier, unit, route_id, weight, volume]``: ``weight`` sums to 1 over
        the routes of a flow, ``volume`` = flow volume × weight. Unrouted flows have no row.
    """
    choose("weights", weights, ("capacity", "equal"))
    f = _flows(flows, exporter=exporter, year=year, carrier=carrier)
    rc = _route_countries(routes)
    outlets = rc.select("route_id", "carrier", "start_year", "capacity", exporter="country", _epos="pos")
    reach = rc.select("route_id", importer="country", _ipos="pos")
    downstream = (pl.col("_ipos") > pl.col("_epos")) if ordered else pl.lit(True)
    cand = (
        f.join(outlets, on=["carrier", "exporter"], how="inner")
        .filter(pl.col("start_year").is_null() | (pl.col("start_year") <= pl.col("year")))
        .join(reach, on=["route_id", "importer"], how="left")
        .with_columns(direct=(pl.col("_ipos").is_not_null() & downstream).fill_null(False))
        .filter(pl.col("direct") | ~pl.col("direct").any().over(_FLOW))
        .sort([*_FLOW, "route_id"])  # a fixed summation order
    )
    cap = pl.col("capacity")
    use_cap = (cap.is_not_null() & (cap > 0)).all().over(_FLOW) if weights == "capacity" else pl.lit(False)
    w = pl.when(use_cap).then(cap / cap.sum().over(_FLOW)).otherwise(1.0 / pl.len().over(_FLOW))
    return (
        cand.with_columns(weight=w)
        .with_columns(volume=pl.col("volume") * pl.col("weight"))
        .sort([*_FLOW, "route_id"])
        .select(*_FLOW, "route_id", "weight", "volume")
    )


def transit_shares(
    flows: FrameLike,
    routes: FrameLike,
    *,
    exporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    carrier: str | Iterable[str] | None = None,
    poles: Sequence[str] = POLE_ORDER,
    include_destination: bool = False,
    weights: Literal["capacity", "equal"] = "capacity",
    ordered: bool = True,
    destinations: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    r"""Share of each exporter's exports of a carrier that crosses each pole's territory (formula above).

    Parameters
    ----------
    flows : ``energy_flows`` rows (``year, exporter, importer, carrier, volume, unit``) or the output of
        :func:`flows_from_trade`.
    routes : the canonical ``routes`` table (``route_id, carrier, countries, capacity, start_year`` …).
    exporter, year, carrier : optional filters on the flows.
    poles : poles (membership by the flow's year via :func:`tethers.countries.pole_map`); ``ROW`` is the
        residual: transit countries in no pole.
    include_destination : count the importer's own territory as transit.
    weights : ``"capacity"`` (default) or ``"equal"`` split of a flow over its routes.
    ordered : routes list their countries in the direction of flow (default): only countries downstream
        of the exporter are transit. ``False``: every country of the route but the exporter.
    destinations : route id → the country the route delivers into (:func:`route_destinations` of
        ``route_flows``): the destination of :func:`crossed` for flows on that route instead of the importer
        (oil allocated to the Kazakhstan–China pipeline is delivered into China, whatever its importer).

    Returns
    -------
    pl.DataFrame
        ``[exporter, year, carrier, unit, pole, exports, via, share, unrouted_share]``: ``exports`` the
        total volume, ``via`` the volume crossing the pole, ``share = via / exports`` (``NaN`` for zero
        exports), ``unrouted_share`` the share of exports with no available route (same for every pole).
    """
    f = _flows(flows, exporter=exporter, year=year, carrier=carrier)
    alloc = route_allocation(f, routes, weights=weights, ordered=ordered)
    transit = _transit_countries(alloc, _route_countries(routes), ordered=ordered,
                                 include_destination=include_destination, destinations=destinations)
    ids = pole_ids(poles)
    member = pole_membership(f["year"].unique().to_list(), poles=ids, dtype=f.schema["year"])
    crossed = (
        transit.join(member, left_on=["year", "country"], right_on=["year", "partner"], how="left")
        .with_columns(pl.col("pole").fill_null("ROW"))
        .select(*_FLOW, "route_id", "pole", "volume")
        .unique()  # a route crossing two members of one pole counts once
        .sort([*_FLOW, "route_id", "pole"])  # a fixed summation order
    )
    via = crossed.group_by([*_OUT, "pole"]).agg(via=pl.col("volume").sum())
    totals = f.group_by(_OUT).agg(exports=pl.col("volume").sum())
    routed = alloc.group_by(_OUT).agg(routed=pl.col("volume").sum())
    order = {p: i for i, p in enumerate(ids)}
    return (
        totals.join(pl.DataFrame({"pole": ids}), how="cross")
        .join(via, on=[*_OUT, "pole"], how="left")
        .join(routed, on=_OUT, how="left")
        .with_columns(pl.col("via").fill_null(0.0), pl.col("routed").fill_null(0.0))
        .with_columns(
            share=pl.col("via") / pl.col("exports"),
            # (exports − routed) / exports, ≥ 0: a rounding residue of the split is no negative share ("-0.0 %")
            unrouted_share=pl.max_horizontal(pl.lit(0.0), 1.0 - pl.col("routed") / pl.col("exports")),
            _o=pl.col("pole").replace_strict(order),
        )
        .sort([*_OUT, "_o"])
        .select(*_OUT, "pole", "exports", "via", "share", "unrouted_share")
    )


def transit_through(
    flows: FrameLike,
    routes: FrameLike,
    country: str,
    *,
    importer: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    carrier: str | Iterable[str] | None = None,
    weights: Literal["capacity", "equal"] = "capacity",
    ordered: bool = True,
    reached_only: bool = True,
) -> pl.DataFrame:
    r"""Flows of *other* countries that cross ``country``'s territory: the transit a country provides.

    The mirror image of :func:`transit_shares`: with the same allocation rules and transit countries
    :math:`C_{fr}`, :math:`X_c = \sum_f \sum_r V_f\, w_{fr}\, \mathbb 1[c \in C_{fr}]` over flows *f* whose
    exporter and importer are not *c* (e.g. Turkmen and Uzbek gas reaching China through Kazakhstan on
    the Central Asia–China pipeline).

    ``reached_only`` (default): count only the part of a flow on routes that reach its importer. A flow
    with no such route is spread over its exporter's outlets (rule 2), which says where it leaves the
    exporter, not where it goes: with a routes table that lacks, say, Power of Siberia, Russian gas to China
    would otherwise be counted as crossing Kazakhstan on the Orenburg–Novopskov line.

    Returns
    -------
    pl.DataFrame
        ``[year, carrier, unit, exporter, importer, volume, via]`` for every flow from another exporter to
        another importer (after the ``importer``/``year``/``carrier`` filters): ``volume`` the flow, ``via``
        the part of it allocated to routes that cross ``country`` (0 when none does). Sorted by
        year, carrier, importer, exporter.
    """
    f = _flows(flows, year=year, carrier=carrier)
    f = where(f, importer=importer).filter((pl.col("exporter") != country) & (pl.col("importer") != country))
    alloc = route_allocation(f, routes, weights=weights, ordered=ordered)
    rc = _route_countries(routes)
    if reached_only:
        alloc = alloc.join(_reaching(rc, ordered=ordered), on=["route_id", "exporter", "importer"], how="semi")
    crossing = (
        _transit_countries(alloc, rc, ordered=ordered, include_destination=False)
        .filter(pl.col("country") == country)
        .select(*_FLOW, "route_id", "volume").unique()
        .sort([*_FLOW, "route_id"])  # a fixed summation order
        .group_by(_FLOW, maintain_order=True).agg(via=pl.col("volume").sum())
    )
    return (
        f.join(crossing, on=_FLOW, how="left")
        .with_columns(pl.col("via").fill_null(0.0))
        .sort(["year", "carrier", "importer", "exporter"])
        .select("year", "carrier", "unit", "exporter", "importer", "volume", "via")
    )


def flows_from_trade(
    trade: FrameLike,
    *,
    carriers: Mapping[str, str] = HS_CARRIERS,
    level: int | None = None,
) -> pl.DataFrame:
    """Exports of energy products in the ``trade`` table as flows ``[year, exporter, importer, carrier, volume, unit]``.

    A trade row belongs to carrier *c* when its HS ``product`` code starts with a prefix mapped to *c*
    (default: 2709 crude oil → ``oil``, 2710 → ``oil_products``, 2711 → ``gas``, 2701 → ``coal``).
    ``volume`` is ``value_usd`` and ``unit`` is ``"USD"`` (value shares, not physical volumes). Give rows
    of one product level (``level=``) so that a product is not counted at two levels.
    """
    df = where(as_frame(trade), flow="export", level=level).filter(
        pl.col("classification").str.starts_with("HS") & (pl.col("partner") != "WLD")
    )
    carrier = pl.lit(None, pl.Utf8)
    # the chain is built shortest prefix first, so the longest (outermost) prefix is tested first
    for prefix, name in sorted(carriers.items(), key=lambda kv: len(kv[0])):
        carrier = pl.when(pl.col("product").str.starts_with(prefix)).then(pl.lit(name)).otherwise(carrier)
    return (
        df.with_columns(carrier=carrier)
        .filter(pl.col("carrier").is_not_null())
        .group_by(["year", pl.col("reporter").alias("exporter"), pl.col("partner").alias("importer"), "carrier"])
        .agg(volume=pl.col("value_usd").sum())
        .with_columns(unit=pl.lit("USD"))
        .sort(["year", "exporter", "importer", "carrier"])
    )


def _reaching(rc: pl.DataFrame, *, ordered: bool) -> pl.DataFrame:
    """``[route_id, exporter, importer]``: pairs of countries of a route the route carries from one to the other."""
    e = rc.select("route_id", exporter="country", _e="pos")
    i = rc.select("route_id", importer="country", _i="pos")
    pairs = e.join(i, on="route_id").filter(pl.col("exporter") != pl.col("importer"))
    if ordered:
        pairs = pairs.filter(pl.col("_i") > pl.col("_e"))
    return pairs.select("route_id", "exporter", "importer")


def _crossings(keys: pl.DataFrame, rc: pl.DataFrame, *, dest: str, include_destination: bool) -> pl.DataFrame:
    """``[route_id, exporter, <dest>, country]``: the countries :func:`crossed` gives for each distinct
    (route, exporter, destination) of ``keys`` (the one definition, applied row by row)."""
    lists = rc.sort(["route_id", "pos"]).group_by("route_id", maintain_order=True).agg(pl.col("country"))
    k = keys.select("route_id", "exporter", dest).unique().sort(["route_id", "exporter", dest], nulls_last=True)
    rows = [(rid, e, d, c)
            for rid, e, d, cs in k.join(lists, on="route_id", how="inner").iter_rows()
            for c in crossed([cs], e, d, include_destination=include_destination)]
    return pl.DataFrame(rows, schema={"route_id": pl.Utf8, "exporter": pl.Utf8, dest: pl.Utf8, "country": pl.Utf8},
                        orient="row")


def route_destinations(route_flows: FrameLike | None, *, exporter: str | None = None,
                       carrier: str | None = None) -> dict[str, str]:
    """Route id → the country the route delivers into, as ``route_flows`` states it (its ``destination``, the
    latest year's where years differ; e.g. ``kcp_atasu_alashankou`` → CHN). A route with none hands the volume
    on: its end country is crossed (:func:`crossed`)."""
    if route_flows is None:
        return {}
    df = as_frame(route_flows)
    if df.is_empty() or "destination" not in df.columns:
        return {}
    d = (where(df, exporter=exporter, carrier=carrier)
         .filter(pl.col("destination").is_not_null() & (pl.col("route_id") != "all"))
         .sort("year").unique("route_id", keep="last"))
    return dict(zip(d["route_id"], d["destination"], strict=True))


def _transit_countries(alloc: pl.DataFrame, rc: pl.DataFrame, *, ordered: bool,
                       include_destination: bool, destinations: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Rows of ``alloc`` (one per flow and route) times the route's transit countries for that flow:
    :func:`crossed` with, as destination, the route's (``destinations``, from ``route_flows``) where one is
    stated, else the flow's importer (``ordered=False``: every country of the route but the exporter, and but
    the importer unless ``include_destination``)."""
    if ordered:
        dest = pl.col("route_id").replace_strict(dict(destinations or {}), default=None, return_dtype=pl.Utf8)
        a = alloc.with_columns(_d=pl.coalesce(dest, pl.col("importer")))
        t = _crossings(a, rc, dest="_d", include_destination=include_destination)
        return a.join(t, on=["route_id", "exporter", "_d"], how="inner").drop("_d")
    pos = rc.select("route_id", "country")
    keep = pl.col("country") != pl.col("exporter")
    if not include_destination:
        keep = keep & (pl.col("country") != pl.col("importer"))
    return alloc.join(pos, on="route_id", how="inner").filter(keep.fill_null(False))


def partners_only(flows: pl.DataFrame) -> pl.DataFrame:
    """Flows between two countries: the publisher's totals (``WLD`` rows of ``energy_flows``) are not partners."""
    return flows.filter((pl.col("exporter") != "WLD") & (pl.col("importer") != "WLD"))


def _flows(
    flows: FrameLike,
    *,
    exporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    carrier: str | Iterable[str] | None = None,
) -> pl.DataFrame:
    df = partners_only(where(as_frame(flows), exporter=exporter, year=year, carrier=carrier))
    return df.sort([*_FLOW, "volume"]).group_by(_FLOW, maintain_order=True).agg(pl.col("volume").sum())


def _route_countries(routes: FrameLike) -> pl.DataFrame:
    """``[route_id, carrier, start_year, capacity, country, pos]``: one row per country a route crosses,
    ``pos`` its place along the route (0 = first; a country listed twice keeps its first place)."""
    df = as_frame(routes)
    return (
        df.select(
            "route_id", "carrier", "start_year", pl.col("capacity").cast(pl.Float64),
            country=pl.col("countries").str.split(";"),
        )
        .with_columns(pos=pl.int_ranges(0, pl.col("country").list.len(), dtype=pl.Int32))
        .explode("country", "pos")
        .with_columns(pl.col("country").str.strip_chars())
        .filter(pl.col("country") != "")
        .unique(["route_id", "carrier", "start_year", "capacity", "country"], keep="first", maintain_order=True)
    )


# ------------------------------------------------------------------------------ observed routes (route_flows)

MIN_COVERAGE = 0.95
"""Observed route volumes are used as the base allocation only when they account for at least this share of
the published total exports of the year (``route_id == 'all'``); otherwise the year is *partial*."""

_RF = ["exporter", "year", "carrier", "unit"]


def route_flow_shares(route_flows: FrameLike, *, exporter: str | Iterable[str] | None = None,
                      year: int | Iterable[int] | None = None,
                      carrier: str | Iterable[str] | None = None) -> pl.DataFrame:
    r"""Each route's share of the exporter's published total exports: :math:`s_r = V_r / V_{all}`.

    ``route_flows`` rows (``year, exporter, carrier, route_id, volume, unit, destination, citation``): one
    row per route and year as the operators published it, plus one row ``route_id == 'all'`` holding the
    exporter's total exports of the carrier. Returns ``[exporter, year, carrier, unit, route_id, volume,
    exports, share, coverage, complete, destination, citation]`` for every route row, where ``exports`` is
    the ``all`` row (null when none was published, then ``share`` is null), ``coverage = Σ_r V_r / V_all``
    and ``complete = coverage ≥ MIN_COVERAGE``. A year without a total is never complete.
    """
    df = where(as_frame(route_flows), exporter=exporter, year=year, carrier=carrier)
    if "destination" not in df.columns:
        df = df.with_columns(destination=pl.lit(None, pl.Utf8))
    if "citation" not in df.columns:
        df = df.with_columns(citation=pl.lit(None, pl.Utf8))
    totals = df.filter(pl.col("route_id") == "all").group_by(_RF).agg(exports=pl.col("volume").sum())
    routes = df.filter(pl.col("route_id") != "all").sort([*_RF, "route_id"])
    covered = routes.group_by(_RF).agg(_sum=pl.col("volume").sum())
    return (
        routes.join(totals, on=_RF, how="left")
        .join(covered, on=_RF, how="left")
        .with_columns(share=pl.col("volume") / pl.col("exports"), coverage=pl.col("_sum") / pl.col("exports"))
        .with_columns(complete=(pl.col("coverage") >= MIN_COVERAGE).fill_null(False))
        .sort([*_RF, "route_id"])
        .select(*_RF, "route_id", "volume", "exports", "share", "coverage", "complete", "destination", "citation")
    )


def observed_transit_shares(
    route_flows: FrameLike,
    routes: FrameLike,
    *,
    exporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    carrier: str | Iterable[str] | None = None,
    poles: Sequence[str] = POLE_ORDER,
    include_destination: bool = False,
) -> pl.DataFrame:
    r"""Share of exports crossing each pole from **observed** route volumes (no allocation rule).

    .. math::
        T_{eP} = \frac{\sum_r V_r\, \mathbb 1[\,C_r \cap P(t) \neq \varnothing\,]}{V_{all}}

    with :math:`V_r` the published volume on route *r*, :math:`V_{all}` the published total and
    :math:`C_r` = :func:`crossed` (the route's ``routes.countries``, the exporter, the row's ``destination``):
    the countries after the exporter on the route, the end country included unless it is the row's
    ``destination`` (China for the Kazakhstan–China pipeline; ``include_destination`` keeps it). A route row
    with no entry in ``routes`` (e.g. ``rail``) has unknown transit countries: it counts towards no pole and
    towards ``unrouted_share``, with the part of the total no route row accounts for (``1 − coverage``).
    Onward routes are not followed (:func:`crossed`): Aktau tankers to Makhachkala (Russia) or Baku are one
    route row, ``aktau_port_oil`` (KAZ only), as the operators report them.

    Returns ``[exporter, year, carrier, unit, pole, exports, via, share, unrouted_share, coverage,
    complete]`` — the columns of :func:`transit_shares` plus the coverage of the year.
    """
    rf = route_flow_shares(route_flows, exporter=exporter, year=year, carrier=carrier).filter(
        pl.col("exports").is_not_null())
    rc = _route_countries(routes).select("route_id", "country", "pos")
    rf = rf.with_columns(_dest=pl.col("destination").fill_null(""))  # a null destination joins as ''
    cross = _crossings(rf.with_columns(pl.col("destination").alias("_d")), rc, dest="_d",
                       include_destination=include_destination).with_columns(_dest=pl.col("_d").fill_null(""))
    legs = rf.join(cross.drop("_d"), on=["route_id", "exporter", "_dest"], how="inner")
    ids = pole_ids(poles)
    years = rf["year"].unique().to_list()
    member = pole_membership(years, poles=ids, dtype=rf.schema["year"]) if years else pl.DataFrame(
        {"year": [], "partner": [], "pole": []}, schema={"year": rf.schema["year"], "partner": pl.Utf8, "pole": pl.Utf8})
    crossed = (
        legs.join(member, left_on=["year", "country"], right_on=["year", "partner"], how="left")
        .with_columns(pl.col("pole").fill_null("ROW"))
        .select(*_RF, "route_id", "pole", "volume").unique().sort([*_RF, "route_id", "pole"])
        .group_by([*_RF, "pole"]).agg(via=pl.col("volume").sum())
    )
    known = rf.join(rc.select("route_id").unique(), on="route_id", how="semi")
    known_sum = known.group_by(_RF).agg(_known=pl.col("volume").sum())
    base = rf.group_by(_RF).agg(pl.col("exports").first(), pl.col("coverage").first(), pl.col("complete").first())
    order = {p: i for i, p in enumerate(ids)}
    return (
        base.join(pl.DataFrame({"pole": ids}), how="cross")
        .join(crossed, on=[*_RF, "pole"], how="left")
        .join(known_sum, on=_RF, how="left")
        .with_columns(pl.col("via").fill_null(0.0), pl.col("_known").fill_null(0.0))
        .with_columns(share=pl.col("via") / pl.col("exports"),
                      unrouted_share=pl.max_horizontal(pl.lit(0.0), 1.0 - pl.col("_known") / pl.col("exports")),
                      _o=pl.col("pole").replace_strict(order))
        .sort([*_RF, "_o"])
        .select(*_RF, "pole", "exports", "via", "share", "unrouted_share", "coverage", "complete")
    )


def transit_base(
    flows: FrameLike,
    routes: FrameLike,
    route_flows: FrameLike | None,
    *,
    exporter: str,
    year: int,
    carrier: str,
    poles: Sequence[str] = POLE_ORDER,
    include_destination: bool = False,
) -> tuple[pl.DataFrame, str]:
    """The transit shares the dependence energy section reports: observed where they exist, else allocated.

    Observed (:func:`observed_transit_shares`) when ``route_flows`` has a **complete** year for the
    exporter and carrier (published total and routes covering ≥ :data:`MIN_COVERAGE` of it); otherwise the
    allocation rule of :func:`transit_shares` over ``flows`` (trade by destination). Returns the shares
    (columns of :func:`transit_shares` plus ``basis``) and a one-line basis: ``"observed route volumes
    (route_flows, <year>)"`` or ``"allocated by rule … (observed routes for <year>: <why>)"``.
    """
    why = "no observed route volumes"
    if route_flows is not None:
        obs = observed_transit_shares(route_flows, routes, exporter=exporter, year=year, carrier=carrier,
                                      poles=poles, include_destination=include_destination)
        if obs.height and obs["complete"].all():
            basis = f"observed route volumes (route_flows, {year}; routes cover {obs['coverage'][0]:.1%} of exports)"
            return obs.drop("coverage", "complete").with_columns(basis=pl.lit(basis)), basis
        rf = route_flow_shares(route_flows, exporter=exporter, year=year, carrier=carrier)
        if rf.height:
            cov = rf["coverage"][0]
            why = ("observed routes partial: no published total" if cov is None
                   else f"observed routes partial: they cover {cov:.0%} of exports (< {MIN_COVERAGE:.0%})")
    t = transit_shares(flows, routes, exporter=exporter, year=year, carrier=carrier, poles=poles,
                       include_destination=include_destination,
                       destinations=route_destinations(route_flows, exporter=exporter, carrier=carrier))
    basis = f"allocated by rule over trade by destination (measures.transit_shares; {why} for {year})"
    return t.with_columns(basis=pl.lit(basis)), basis


# ------------------------------------------------------------------------------ a claim's two readings

READINGS: tuple[str, ...] = ("from", "via", "from or via")


def readings(imports: FrameLike, routes: FrameLike, country: str, *, year: int, carrier: str = "gas",
             importer: str | Iterable[str] | None = None, ordered: bool = True,
             total: float | None = None) -> pl.DataFrame:
    r"""The three readings of "the importer takes *x* % of its imports from/via ``country``".

    With :math:`M` the importer's imports of the carrier, :math:`F` those whose exporter is ``country`` and
    :math:`V` the third countries' flows allocated to routes that cross ``country`` (:func:`transit_through`,
    reached routes only; partner rows of ``energy_flows`` with the importer as ``importer``):

    * ``from`` — :math:`F / M`: origin in the country;
    * ``via`` — :math:`V / M`: produced elsewhere, crossing the country;
    * ``from or via`` — :math:`(F + V) / M`: either (the two are disjoint: a flow from the country is
      never counted as transit through it).

    :math:`M` is ``total`` where given — the publisher's own total of the importer (the ``WLD`` rows of
    ``energy_flows``, including what it books to residual "Other …" partners), which the caller gives only where
    the coverage rule holds (:func:`tethers.dimensions.energy.gas_import_readings`) — else the sum over the
    partner countries.

    Returns ``[reading, volume, imports, partners, share, unit, year, carrier]``, one row per reading in the
    order of :data:`READINGS`; ``imports`` is :math:`M`, ``partners`` the partner countries' sum; ``share`` is
    NaN when :math:`M` is not positive.
    """
    m = partners_only(where(as_frame(imports), year=year, carrier=carrier, importer=importer))
    partners = float(fsum(m["volume"])) if m.height else 0.0
    denom = partners if total is None else float(total)
    unit = m["unit"][0] if m.height else ""
    f = float(fsum(m.filter(pl.col("exporter") == country)["volume"])) if m.height else 0.0
    v = float(fsum(transit_through(m, routes, country, year=year, carrier=carrier, ordered=ordered)["via"])) \
        if m.height else 0.0
    nan = float("nan")
    return pl.DataFrame({
        "reading": list(READINGS),
        "volume": [f, v, f + v],
        "imports": [denom] * 3,
        "partners": [partners] * 3,
        "share": [x / denom if denom > 0 else nan for x in (f, v, f + v)],
        "unit": [unit] * 3, "year": [year] * 3, "carrier": [carrier] * 3,
    })
