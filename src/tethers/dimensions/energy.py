"""Energy and transit: natural gas traded with each pole (bcm) and the share of gas and crude-oil exports whose
routes cross each pole; the transit a country provides to third countries' flows.

Gas from the Energy Institute's bilateral trade movements (pipeline + LNG). Coverage: the publisher's matrix is
closed (the loader checks that every importer's cells add up to its ``Total imports``); flows the publisher
books to residual "Other …" columns are not in the atlas, which the basis line says.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .. import countries
from ..atlas import queries_measures as qm
from ..atlas.store import Atlas
from .base import (
    Context,
    Dimension,
    Part,
    Reading,
    Section,
    Status,
    as_values,
    coverage_rows,
    empty_values,
    fill_coverage,
    metric,
    metrics_frame,
    missing,
    sources_frame,
)

GAS_EXPORTS = Part("gas_exports", "bcm", "natural-gas exports by destination pole, bcm (Energy Institute Statistical "
                   "Review)", "energy_flows")
GAS_IMPORTS = Part("gas_imports", "bcm", "natural-gas imports by origin pole, bcm (Energy Institute Statistical "
                   "Review)", "energy_flows")
GAS_BASIS = ("energy_institute, bilateral trade movements (pipeline + LNG) as the publisher's closed matrix lists "
             "them; residual 'Other …' flows excluded")


def _share_of(df: pl.DataFrame, flow: str, pole: str, col: str = "share") -> float | None:
    hit = df.filter((pl.col("flow") == flow) & (pl.col("pole") == pole))
    return hit[col][0] if hit.height else None


def flows_as_trade(flows: pl.DataFrame, country: str) -> pl.DataFrame:
    """Energy flows in the trade table's shape (``value_usd`` holds the volume) so the trade measures apply."""
    exp = flows.filter(pl.col("exporter") == country).select(
        reporter="exporter", partner="importer", flow=pl.lit("export"), year="year", value_usd="volume", unit="unit",
        source="source")
    imp = flows.filter(pl.col("importer") == country).select(
        reporter="importer", partner="exporter", flow=pl.lit("import"), year="year", value_usd="volume", unit="unit",
        source="source")
    return pl.concat([exp, imp]).with_columns(classification=pl.lit("TOTAL"), product=pl.lit("TOTAL"))



ENERGY_DEF = (
    "Gas: share of the pole in the country's natural-gas imports and exports by partner, s_P = Σ_{p∈P} V_p / Σ_q V_q "
    "(bcm, pipeline + LNG; Energy Institute Statistical Review). Transit: T_P = share of the country's exports of a "
    "carrier whose allocated routes cross a state of P other than the exporter and the destination "
    "(measures.transit; operators' observed route volumes where a year is complete (route_flows), else hand-kept "
    "operating routes, only countries downstream of the exporter count, capacity-weighted split); "
    "gas volumes in bcm, crude oil (HS 270900) in USD from BACI exports by destination. Transit provided: the "
    "pole's gas imports from third exporters allocated to routes that cross the country (measures.transit_through), "
    "in bcm and as a share of the pole's gas imports (all, and pipeline only); the three readings of the pole's gas "
    "imports 'from', 'via' and 'from or via' the country (measures.transit.readings)."
)


def _energy(ctx: Context) -> Section:
    from ..measures.trade import pole_shares

    flows = qm.energy_flows(ctx.atlas, ctx.country, years=(ctx.year, ctx.year)).filter(pl.col("carrier") == "gas")
    rows: list[dict] = []
    gaps: list[str] = []
    srcs: list[tuple[str, list[str]]] = []
    if flows.height and flows["unit"].n_unique() == 1:
        gas = pole_shares(flows_as_trade(flows, ctx.country), poles=[ctx.on], reporter=ctx.country, year=ctx.year)
        unit = flows["unit"][0]
        for flow, word in (("import", "from"), ("export", "to")):
            if gas.filter(pl.col("flow") == flow).height == 0:
                gaps.append(f"no gas {flow}s of {ctx.country} in energy_flows for {ctx.year}")
            else:
                rows += [metric(f"gas_{flow}_share", f"share of gas {flow}s {word} {ctx.on}", _share_of(gas, flow, ctx.on),
                            "share", headline=True),
                         metric(f"gas_{flow}_volume", f"gas {flow}s {word} {ctx.on}", _share_of(gas, flow, ctx.on, "value_usd"),
                            unit)]
        srcs.append(("energy_flows", flows["source"].unique().to_list()))
    elif flows.height:
        gaps.append(f"gas flows of {ctx.country} in {ctx.year} come in several units ({', '.join(flows['unit'].unique())})"
                    " and are not added up")
    else:
        gaps.append(f"no gas trade of {ctx.country} in energy_flows for {ctx.year}")
    transit_rows, transit_gaps, transit_srcs, detail = _transit(ctx, flows)
    rows += transit_rows
    gaps += transit_gaps
    srcs += transit_srcs
    if not rows:
        return missing("energy", ENERGY_DEF, "; ".join(gaps), sources=sources_frame(ctx.atlas, srcs))
    status: Status = "partial" if gaps else "ok"
    return Section("energy", status, ENERGY_DEF, metrics_frame(rows), detail, sources_frame(ctx.atlas, srcs), "; ".join(gaps))


def _transit(ctx: Context, gas: pl.DataFrame) -> tuple[list[dict], list[str], list, pl.DataFrame]:
    from ..measures.transit import flows_from_trade, transit_shares

    rows, gaps, srcs, parts = [], [], [], []
    routes = qm.routes(ctx.atlas, carriers=("gas", "oil"))  # ordered: only countries downstream of ctx.country count
    oil, oil_gap = _oil_flows(ctx)
    carriers = {"gas": gas.filter(pl.col("exporter") == ctx.country),
                "oil": flows_from_trade(oil, carriers={"2709": "oil"}, level=6) if oil.height else None}
    for carrier, flows in carriers.items():
        observed = _observed_transit(ctx, carrier, routes, flows)  # operators' route volumes, where complete
        if observed is not None:
            o_rows, o_detail, o_srcs = observed
            rows += o_rows
            parts.append(o_detail)
            srcs += o_srcs
            continue
        if flows is None or flows.height == 0:
            if carrier == "oil":  # (missing gas exports are already reported by the gas part)
                gaps.append(oil_gap)
            continue
        t = transit_shares(flows, routes.filter(pl.col("carrier") == carrier), exporter=ctx.country, year=ctx.year,
                           poles=[ctx.on])
        r = t.filter(pl.col("pole") == ctx.on).row(0, named=True)
        rows += [metric(f"{carrier}_transit_share", f"share of {carrier} exports crossing {ctx.on}", r["share"], "share",
                    headline=True, text=_allocated_basis(ctx, carrier) if carrier == "oil" else None),
                 metric(f"{carrier}_unrouted_share", f"share of {carrier} exports with no route in the table",
                    r["unrouted_share"], "share")]
        parts.append(t.select("carrier", "pole", "unit", "exports", "via", "share", "unrouted_share")
                     .with_columns(basis=pl.lit(_allocated_basis(ctx, carrier) if carrier == "oil" else
                                                "allocated by rule over energy_flows (measures.transit_shares)")))
        srcs.append(("routes", ["handkept"]))
        srcs.append(("trade" if carrier == "oil" else "energy_flows", _flows_src(oil if carrier == "oil" else gas)))
    rows += _transit_provided(ctx, routes.filter(pl.col("carrier") == "gas"))
    rows += _own_import_readings(ctx, routes.filter(pl.col("carrier") == "gas"))
    detail = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()
    return rows, gaps, srcs, detail


def _observed_transit(ctx: Context, carrier: str, routes: pl.DataFrame,
                      flows: pl.DataFrame | None) -> tuple[list[dict], pl.DataFrame, list] | None:
    """Transit shares from the operators' observed route volumes (``route_flows``) when the year is complete
    (:func:`tethers.measures.transit.transit_base`), with one row per route and its citation; else None."""
    from ..measures.transit import observed_transit_shares, route_flow_shares

    rf = qm.route_flows(ctx.atlas, ctx.country, carrier=carrier, years=(ctx.year, ctx.year))
    if rf.height == 0:
        return None
    r_routes = routes.filter(pl.col("carrier") == carrier)
    t = observed_transit_shares(rf, r_routes, exporter=ctx.country, year=ctx.year, carrier=carrier, poles=[ctx.on])
    if t.height == 0 or not t["complete"].all():
        return None
    shares = route_flow_shares(rf)
    r = t.filter(pl.col("pole") == ctx.on).row(0, named=True)
    basis = (f"observed route volumes ({r['unit']}, route_flows {ctx.year}; the routes cover {r['coverage']:.1%} of the "
             f"published total of {r['exports']:g} {r['unit']}): operators' reports, one citation per route")
    names = dict(routes.select("route_id", "name").rows())
    rows = [metric(f"{carrier}_transit_share", f"share of {carrier} exports crossing {ctx.on}", r["share"], "share",
                   text=basis, headline=True),
            metric(f"{carrier}_unrouted_share", f"share of {carrier} exports on no route with known countries",
                   r["unrouted_share"], "share")]
    rows += [metric(f"{carrier}_route_share", f"share of {carrier} exports by {names.get(x['route_id'], x['route_id'])}",
                    x["share"], "share", text=x["citation"]) for x in shares.iter_rows(named=True)]
    detail = (t.select("carrier", "pole", "unit", "exports", "via", "share", "unrouted_share")
              .with_columns(basis=pl.lit(basis)))
    return rows, detail, [("route_flows", sorted(rf["source"].unique().to_list())), ("routes", ["handkept"])]


def _own_import_readings(ctx: Context, gas_routes: pl.DataFrame) -> list[dict]:
    """The country's gas imports from, via, and from or via a one-country pole (e.g. China's from/via Kazakhstan)."""
    from ..measures.transit import readings

    if len(ctx.members) != 1 or ctx.country in ctx.members:
        return []
    (member,) = tuple(ctx.members)
    if not _on_a_route(gas_routes, member):
        return []  # no route crosses the pole: nothing comes 'via' it (the readings would give via = 0)
    imports = qm.energy_imports(ctx.atlas, [ctx.country], year=ctx.year, carrier="gas")
    if imports.height == 0:
        return []
    read = dict(readings(imports, gas_routes, member, year=ctx.year).select("reading", "share").rows())
    if not read["via"]:
        return []  # no third-country gas crosses the pole on the way in: 'from' alone is the gas import share above
    return [
        metric("gas_own_imports_from_share", f"share of gas imports FROM {ctx.on} (origin)", read["from"], "share",
               text="reading 'from'"),
        metric("gas_own_imports_via_share", f"share of gas imports VIA {ctx.on} (third countries' gas crossing it)",
               read["via"], "share", text="reading 'via'"),
        metric("gas_own_imports_from_or_via_share", f"share of gas imports FROM OR VIA {ctx.on}", read["from or via"],
               "share", text="reading 'from or via' (the two are disjoint)", headline=True),
    ]


def _allocated_basis(ctx: Context, carrier: str) -> str:
    """Why the allocation rule is used: no observed route volumes for the year, or only partial ones."""
    from ..measures.transit import MIN_COVERAGE, route_flow_shares

    rf = qm.route_flows(ctx.atlas, ctx.country, carrier=carrier, years=(ctx.year, ctx.year))
    why = "no observed route volumes"
    if rf.height:
        cov = route_flow_shares(rf)["coverage"][0]
        why = ("observed routes partial: no published total" if cov is None
               else f"observed routes partial: {cov:.0%} of exports (< {MIN_COVERAGE:.0%})")
    return f"allocated by rule over trade by destination (measures.transit_shares; {why} for {ctx.year})"


def _transit_provided(ctx: Context, gas_routes: pl.DataFrame) -> list[dict]:
    """The other direction: the pole's gas imports from third exporters that cross the country (its leverage)."""
    from ..measures.transit import readings, transit_through

    imports = qm.energy_imports(ctx.atlas, ctx.members, year=ctx.year, carrier="gas")
    if imports.height == 0 or ctx.country in ctx.members:
        return []
    # a country no route crosses carries nothing through it: transit_through would give 0 (skipped, same result)
    via = float(transit_through(imports, gas_routes, ctx.country, year=ctx.year)["via"].sum()) \
        if _on_a_route(gas_routes, ctx.country) else 0.0
    unit = imports["unit"][0]
    total = float(imports["volume"].sum())
    pipeline = float(imports.filter(pl.col("mode") == "pipeline")["volume"].sum())
    read = dict(readings(imports, gas_routes, ctx.country, year=ctx.year).select("reading", "share").rows()) \
        if via > 0 else {}
    three = [] if via <= 0 else [  # the three readings of "the pole's gas from/via the country"
        metric("gas_imports_from_share", f"share of {ctx.on}'s gas imports FROM the country (origin)", read["from"],
               "share", text="reading 'from': F/M, gas produced in the country"),
        metric("gas_imports_via_share", f"share of {ctx.on}'s gas imports VIA the country (third countries' gas "
               "crossing it)", read["via"], "share", text="reading 'via': V/M, transit on reached routes"),
        metric("gas_imports_from_or_via_share", f"share of {ctx.on}'s gas imports FROM OR VIA the country",
               read["from or via"], "share", text="reading 'from or via': (F+V)/M, the two are disjoint", headline=True),
    ]
    return [
        metric("gas_transit_provided", f"{ctx.on}'s gas imports from third countries crossing the country", via, unit,
           headline=via > 0),
        *three,
        metric("gas_transit_provided_share", f"share of {ctx.on}'s gas imports crossing the country",
           via / total if total > 0 else None, "share"),
        metric("gas_transit_provided_pipeline_share", f"share of {ctx.on}'s pipeline gas imports crossing the country",
           via / pipeline if pipeline > 0 else None, "share"),
    ]


def _on_a_route(routes: pl.DataFrame, country: str) -> bool:
    """Whether ``country`` is on any of ``routes`` (``countries`` is the ';'-joined list along the route)."""
    return bool(routes.height) and routes["countries"].str.split(";").list.eval(pl.element().str.strip_chars()) \
        .list.contains(country).any()


def _flows_src(df: pl.DataFrame) -> list[str]:
    return df["source"].unique().to_list() if "source" in df.columns else []


def _oil_flows(ctx: Context) -> tuple[pl.DataFrame, str]:
    """Crude-oil (HS 270900) export rows by destination, if they cover the reported world total."""
    rows = qm.product_trade(ctx.atlas, ctx.country, years=(ctx.year, ctx.year), flow="export").filter(
        pl.col("product").str.starts_with("2709") & (pl.col("level") == 6)
    )
    if rows.height == 0:
        return rows, f"no crude-oil exports of {ctx.country} by destination in the atlas for {ctx.year}"
    world = rows.filter(pl.col("partner") == "WLD")["value_usd"].sum()
    listed = rows.filter(pl.col("partner") != "WLD")["value_usd"].sum()
    if world > 0 and abs(listed / world - 1) > 0.01:
        return rows.head(0), (f"crude-oil exports by destination cover {listed / world:.0%} of the world total "
                              f"({rows['source'][0]}), too partial for transit shares")
    return rows, ""


class EnergyDimension(Dimension):
    id = "energy"
    label = "Energy and transit"
    definition = ENERGY_DEF
    parts = (GAS_EXPORTS, GAS_IMPORTS)

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        from ..measures.trade import pole_shares

        names = [p.id for p in self.parts]
        flows = qm.energy_flows(atlas, country, years=years).filter(pl.col("carrier") == "gas")
        if flows.height == 0:
            why = f"no gas trade of {country} in energy_flows for this year"
            return Reading(self.id, empty_values(), coverage_rows(names, years, status="no data", reason=why))
        s = pole_shares(flows_as_trade(flows, country), poles=[*poles, "ROW"], reporter=country)
        values = pl.concat([as_values(s.filter(pl.col("flow") == f), f"gas_{f}s", "value_usd")
                            for f in ("export", "import")])
        have = values.select("part", "year").unique()
        cov = have.with_columns(status=pl.lit("ok"), coverage=pl.lit(None, pl.Float64), basis=pl.lit(GAS_BASIS),
                                reason=pl.lit(""))
        return Reading(self.id, values, fill_coverage(cov, names, years, f"no gas of {country} in this direction"),
                       (("energy_flows", tuple(sorted(flows["source"].unique().to_list()))),))

    def section(self, ctx: Context) -> Section:
        return _energy(ctx)


def energy_section(country: str, on: str, year: int, *, atlas: Atlas) -> Section:
    """The energy dimension alone of :func:`tethers.analysis.dependence.dependence` (gas, transit both ways)."""
    from .base import pole_members, resolve_pole

    iso3, pole = countries.resolve(country), resolve_pole(on)
    return _energy(Context(atlas, iso3, pole, year, pole_members(pole, year, country=iso3)))


DIMENSION = EnergyDimension()
