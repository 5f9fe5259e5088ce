"""Energy and transit: natural gas traded with each pole (bcm) and the share of gas and crude-oil exports whose
routes cross each pole; the transit a country provides to third countries' flows.

Gas from the Energy Institute's bilateral trade movements (pipeline + LNG). Coverage: the one rule of
:func:`tethers.dimensions.base.assess`, as for trade — the country partners listed (``energy_flows`` rows between two
countries) against the publisher's own total of the country (its ``Total imports`` cell, or its column's
``Total exports`` cell, stored as the ``WLD`` rows), summed over pipeline and LNG (:func:`gas_coverage`). The
difference is what the publisher books to residual rows/columns ("Other Europe", "Other Asia Pacific", the EU
as a whole in the 2021–2023 pipeline matrices). Shares only where the partners cover ≥ 95 %; otherwise levels.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .. import countries
from ..atlas import queries_measures as qm
from ..atlas.queries import kept
from ..atlas.store import Atlas
from ..measures.exact import fsum
from .base import (
    COVERAGE_SCHEMA,
    Context,
    Dimension,
    Part,
    Reading,
    Section,
    Status,
    as_values,
    basis_line,
    coverage_expr,
    coverage_line,
    coverage_rows,
    empty_values,
    fill_coverage,
    metric,
    metrics_frame,
    missing,
    sources_frame,
    standard_poles,
)

GAS_EXPORTS = Part("gas_exports", "bcm", "natural-gas exports by destination pole, bcm (Energy Institute Statistical "
                   "Review)", "energy_flows")
GAS_IMPORTS = Part("gas_imports", "bcm", "natural-gas imports by origin pole, bcm (Energy Institute Statistical "
                   "Review)", "energy_flows")
TOTAL_LABEL = {"import": "Total imports", "export": "Total exports"}


def gas_coverage(flows: pl.DataFrame, totals: pl.DataFrame, matrices: pl.DataFrame, country: str,
                 years: tuple[int, int]) -> pl.DataFrame:
    """The coverage rule for the country's gas imports and exports, per (part, year).

    ``listed`` = Σ over the partner countries (pipeline + LNG); ``reference`` = Σ over the modes of the
    publisher's own total of the country (``WLD`` rows, :func:`tethers.atlas.queries_measures.energy_totals`).
    For each (year, mode) matrix the atlas holds (``matrices``):

    * the country has a total there → it counts (0 when the publisher lists the country with no trade);
    * it has none that year but has one in that mode in another year → the publisher booked it inside a
      residual row/column that year (e.g. an EU member in the 2021–2023 pipeline matrices): the total is
      unknown, so the (part, year) is ``coverage unknown`` (no total is made up);
    * it never has one in that mode → taken to have no trade in that mode (e.g. Japan by pipeline).

    Returns ``[part, year, status, coverage, basis, reason, listed, reference]`` for the (part, year) with
    partner flows or a positive publisher total (a country whose whole trade the publisher books to residual
    partners, e.g. Australia's pipeline imports, is ``partial`` at 0 %);
    :func:`tethers.dimensions.base.fill_coverage` adds the rest as ``no data``.
    """
    ever = set(totals.select("mode", "flow").unique().iter_rows())
    rows = []
    for flow in ("export", "import"):
        side = "exporter" if flow == "export" else "importer"
        for y in range(years[0], years[1] + 1):
            f = flows.filter((pl.col(side) == country) & (pl.col("year") == y))
            t = totals.filter((pl.col("year") == y) & (pl.col("flow") == flow))
            if f.height == 0 and not (t["volume"] > 0).any():
                continue  # nothing either way: no data (a total booked only to residual partners is partial 0 %)
            modes = sorted(set(matrices.filter(pl.col("year") == y)["mode"].to_list()))
            srcs = sorted(set(f["source"].to_list()) | set(t["source"].to_list()))
            src = ", ".join(srcs)
            listed = fsum(f["volume"])
            reference: float | None = fsum(t["volume"]) if t.height else None
            hidden = [m for m in modes if t.filter(pl.col("mode") == m).height == 0 and (m, flow) in ever]
            per_mode = []
            for m in modes:
                tm = t.filter(pl.col("mode") == m)
                if tm.height and tm["volume"].sum() > 0:
                    lm = fsum(f.filter(pl.col("mode") == m)["volume"])
                    per_mode.append(f"{m} {100 * lm / fsum(tm['volume']):.1f} %")
            basis = (f"{src}: bilateral gas trade movements (pipeline + LNG, bcm), country partners against the "
                     f"publisher's '{TOTAL_LABEL[flow]}' of {country}")
            if reference is not None and reference > 0 and not hidden:
                basis += (f"; residual 'Other …' rows/columns hold {100 * max(0.0, 1 - listed / reference):.1f} % "
                          f"of it (partners cover {', '.join(per_mode)})")
            rows.append({"part": f"gas_{flow}s", "year": y, "basis": basis, "listed": listed,
                         "reference": None if hidden else reference, "source": src,
                         "hidden": "; ".join(hidden)})
    if not rows:
        return pl.DataFrame(schema={**COVERAGE_SCHEMA, "listed": pl.Float64, "reference": pl.Float64})
    df = pl.DataFrame(rows, schema={"part": pl.Utf8, "year": pl.Int32, "basis": pl.Utf8, "listed": pl.Float64,
                                    "reference": pl.Float64, "source": pl.Utf8, "hidden": pl.Utf8})
    df = df.with_columns(*coverage_expr(label="total"))
    hidden_why = pl.concat_str(
        pl.lit("coverage unknown: "), pl.col("source"), pl.lit(f" does not list {country} in its "),
        pl.col("year").cast(pl.Utf8), pl.lit(" "), pl.col("hidden"),
        pl.lit(" matrix although it does in other years: its flows there are booked inside a residual row/column "
               "('Other …', the EU as a whole), so its total is unknown"))
    df = df.with_columns(reason=pl.when(pl.col("hidden") != "").then(hidden_why).otherwise(pl.col("reason")))
    return df.select(*COVERAGE_SCHEMA, "listed", "reference")


def gas_import_readings(atlas: Atlas, importers: Sequence[str], country: str, year: int,
                        routes: pl.DataFrame) -> tuple[pl.DataFrame, str, str]:
    """The three readings (:func:`tethers.measures.transit.readings`) of the gas imports of ``importers`` from/via
    ``country`` under the coverage rule of :func:`gas_coverage` — the rule the dimension's gas shares follow.

    Shares only where every importer's imports are ``ok`` (partners ≥ 95 % of the publisher's total); the
    denominator is then the publisher's total (Σ of the importers' ``WLD`` import rows, residual "Other …" partners
    included: China 2021 162.71 bcm, not the 160.28 of the partner countries). Otherwise the shares are null and
    the volumes (levels) stay, with the status and the reason. Returns ``(readings, status, reason)``;
    ``readings`` as :func:`~tethers.measures.transit.readings` plus ``coverage`` (partners / total, null when
    unknown).
    """
    from ..measures.transit import readings

    imports = qm.energy_imports(atlas, list(importers), year=year, carrier="gas")
    # the importers' own coverage does not depend on ``country``: once per open atlas (a profile loop asks every
    # pole's members for every country)
    status, reasons, refs, listed = kept(atlas, ("gas_import_coverage", tuple(sorted(importers)), year),
                                         lambda: _importers_coverage(atlas, importers, year))
    ok = status == "ok" and refs and len(refs) == len(importers)
    total = fsum(refs) if ok else None
    rd = readings(imports, routes, country, year=year, total=total)
    if not ok:
        status = status if status != "ok" else "coverage unknown"
        rd = rd.with_columns(share=pl.lit(None, pl.Float64))
    rd = rd.with_columns(coverage=pl.lit(listed / total if total else None, pl.Float64))
    return rd, status, "; ".join(reasons)


def _importers_coverage(atlas: Atlas, importers: Sequence[str], year: int) -> tuple:
    """``(status, reasons, publisher totals, listed)`` of the importers' gas imports under :func:`gas_coverage`."""
    matrices = qm.energy_matrices(atlas, carrier="gas")
    status, reasons, refs, listed = "ok", [], [], 0.0
    for imp in sorted(importers):
        flows = qm.energy_flows(atlas, imp, years=(year, year)).filter(pl.col("carrier") == "gas")
        cov = gas_coverage(flows, qm.energy_totals(atlas, imp, carrier="gas"), matrices, imp, (year, year))
        cov = cov.filter(pl.col("part") == "gas_imports")
        if cov.height == 0:
            status = "no data"
            reasons.append(f"no gas imports of {imp} in energy_flows for {year}")
            continue
        r = cov.row(0, named=True)
        listed += r["listed"] or 0.0
        if r["status"] != "ok":
            status = r["status"] if status == "ok" else status
            reasons.append(r["reason"] or r["status"])
        elif r["reference"] is not None:
            refs.append(r["reference"])
    return status, tuple(reasons), tuple(refs), listed


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
    "carrier whose routes cross a state of P (measures.transit.crossed, the one definition the transit scenario "
    "channel uses too: the countries after the exporter on its outlet route, the end country included unless it "
    "is the destination — the route's as route_flows states it, else the flow's importer; onward routes not "
    "followed; operators' observed route volumes where a year is complete (route_flows), else hand-kept "
    "operating routes, capacity-weighted split); "
    "gas volumes in bcm, crude oil (HS 270900) in USD from BACI exports by destination. Transit provided: the "
    "pole's gas imports from third exporters allocated to routes that cross the country (measures.transit_through), "
    "in bcm and as a share of the pole's gas imports (all, and pipeline only); the three readings of the pole's gas "
    "imports 'from', 'via' and 'from or via' the country (measures.transit.readings)."
)


def _energy(ctx: Context) -> Section:
    flows = qm.energy_flows(ctx.atlas, ctx.country, years=(ctx.year, ctx.year)).filter(pl.col("carrier") == "gas")
    rows: list[dict] = []
    gaps: list[str] = []
    srcs: list[tuple[str, list[str]]] = []
    reading: Reading | None = None
    totals = qm.energy_totals(ctx.atlas, ctx.country, carrier="gas").filter(
        (pl.col("year") == ctx.year) & (pl.col("volume") > 0))
    if (flows.height or totals.height) and pl.concat([flows.select("unit"), totals.select("unit")])["unit"].n_unique() == 1:
        # pole shares and their coverage from the dimension's reading (the one rule, as profile/balance read it)
        reading = DIMENSION.read(ctx.atlas, ctx.country, (ctx.year, ctx.year), standard_poles(ctx.on))
        sh = reading.shares(DIMENSION.parts).filter((pl.col("year") == ctx.year) & (pl.col("pole") == ctx.on))
        cov = reading.coverage.filter(pl.col("year") == ctx.year)
        unit = (flows["unit"] if flows.height else totals["unit"])[0]
        for flow, word in (("import", "from"), ("export", "to")):
            r = sh.filter(pl.col("part") == f"gas_{flow}s")
            if r.height == 0:
                c = cov.filter(pl.col("part") == f"gas_{flow}s")
                if c.height and c["status"][0] not in ("no data", "ok"):
                    # a publisher total but no partner country (all booked to residual partners): the coverage rule
                    # says partial (covers 0 %), not "no gas trade"
                    gaps.append(f"gas {flow}s: {c['reason'][0]} — levels only")
                    rows += [metric(f"gas_{flow}_share", f"share of gas {flow}s {word} {ctx.on}", None, "share",
                                    headline=True, text=c["status"][0]),
                             # no partner listed: what came from the pole is not known (null, not 0)
                             metric(f"gas_{flow}_volume", f"gas {flow}s {word} {ctx.on}", None, unit,
                                    text=c["reason"][0])]
                else:
                    gaps.append(f"no gas {flow}s of {ctx.country} in energy_flows for {ctx.year}")
                continue
            rr = r.row(0, named=True)
            if rr["status"] != "ok":
                gaps.append(f"gas {flow}s: {rr['reason']} — levels only")
            rows += [metric(f"gas_{flow}_share", f"share of gas {flow}s {word} {ctx.on}", rr["share"], "share",
                            headline=True, text=None if rr["status"] == "ok" else rr["status"]),
                     metric(f"gas_{flow}_volume", f"gas {flow}s {word} {ctx.on}", rr["value"], unit)]
        srcs.append(("energy_flows", sorted(set(flows["source"].to_list()) | set(totals["source"].to_list()))))
    elif flows.height or totals.height:
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
    if reading is not None and not gaps:
        status = reading.status(ctx.year)
    return Section("energy", status, ENERGY_DEF, metrics_frame(rows), detail, sources_frame(ctx.atlas, srcs),
                   "; ".join(gaps), coverage=coverage_line(reading, ctx.year) if reading is not None else "",
                   basis=basis_line(reading, ctx.year) if reading is not None else "")


def _transit(ctx: Context, gas: pl.DataFrame) -> tuple[list[dict], list[str], list, pl.DataFrame]:
    from ..measures.transit import flows_from_trade, route_destinations, transit_shares

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
        # measures.transit.crossed, the one definition (the transit channel's too): destination = the route's, as
        # route_flows states it (e.g. Atasu–Alashankou → China), else the flow's importer
        dest = route_destinations(qm.route_flows(ctx.atlas, ctx.country, carrier=carrier), exporter=ctx.country,
                                  carrier=carrier)
        t = transit_shares(flows, routes.filter(pl.col("carrier") == carrier), exporter=ctx.country, year=ctx.year,
                           poles=[ctx.on], destinations=dest)
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
    """The country's gas imports from, via, and from or via a one-country pole (e.g. China's from/via Kazakhstan),
    under the coverage rule (:func:`gas_import_readings`)."""
    if len(ctx.members) != 1 or ctx.country in ctx.members:
        return []
    (member,) = tuple(ctx.members)
    if not _on_a_route(gas_routes, member):
        return []  # no route crosses the pole: nothing comes 'via' it (the readings would give via = 0)
    rd, status, why = gas_import_readings(ctx.atlas, [ctx.country], member, ctx.year, gas_routes)
    if rd["partners"][0] <= 0:
        return []
    read = {r["reading"]: r for r in rd.iter_rows(named=True)}
    if not read["via"]["volume"]:
        return []  # no third-country gas crosses the pole on the way in: 'from' alone is the gas import share above
    text = _readings_text(rd, status, why)
    return [
        metric("gas_own_imports_from_share", f"share of gas imports FROM {ctx.on} (origin)", read["from"]["share"],
               "share", text=f"reading 'from'{text(read['from'])}"),
        metric("gas_own_imports_via_share", f"share of gas imports VIA {ctx.on} (third countries' gas crossing it)",
               read["via"]["share"], "share", text=f"reading 'via'{text(read['via'])}"),
        metric("gas_own_imports_from_or_via_share", f"share of gas imports FROM OR VIA {ctx.on}",
               read["from or via"]["share"], "share",
               text=f"reading 'from or via' (the two are disjoint){text(read['from or via'])}", headline=True),
    ]


def _readings_text(rd: pl.DataFrame, status: str, why: str):
    """The basis of a reading: over the publisher's total where the coverage rule holds, else levels and why."""
    def text(r: dict) -> str:
        if status == "ok":
            return (f"; {r['volume']:.2f} of {r['imports']:.2f} {r['unit']}, the publisher's total imports "
                    f"(partners cover {r['coverage']:.1%})")
        return f"; {status}: {why} — levels only: {r['volume']:.2f} {r['unit']} ({r['partners']:.2f} from partners)"
    return text


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
    """The other direction: the pole's gas imports from third exporters that cross the country (its leverage);
    shares under the coverage rule (:func:`gas_import_readings`: over the publisher's totals where it holds)."""
    from ..measures.transit import transit_through

    imports = qm.energy_imports(ctx.atlas, ctx.members, year=ctx.year, carrier="gas")
    if imports.height == 0 or ctx.country in ctx.members:
        return []
    # a country no route crosses carries nothing through it: transit_through would give 0 (skipped, same result)
    via = fsum(transit_through(imports, gas_routes, ctx.country, year=ctx.year)["via"]) \
        if _on_a_route(gas_routes, ctx.country) else 0.0
    unit = imports["unit"][0]
    rd, status, why = gas_import_readings(ctx.atlas, sorted(ctx.members), ctx.country, ctx.year, gas_routes) \
        if via > 0 else (None, "", "")
    read = {r["reading"]: r for r in rd.iter_rows(named=True)} if rd is not None else {}
    text = _readings_text(rd, status, why) if rd is not None else None
    three = [] if via <= 0 else [  # the three readings of "the pole's gas from/via the country"
        metric("gas_imports_from_share", f"share of {ctx.on}'s gas imports FROM the country (origin)",
               read["from"]["share"], "share", text=f"reading 'from': F/M, gas produced in the country{text(read['from'])}"),
        metric("gas_imports_via_share", f"share of {ctx.on}'s gas imports VIA the country (third countries' gas "
               "crossing it)", read["via"]["share"], "share",
               text=f"reading 'via': V/M, transit on reached routes{text(read['via'])}"),
        metric("gas_imports_from_or_via_share", f"share of {ctx.on}'s gas imports FROM OR VIA the country",
               read["from or via"]["share"], "share",
               text=f"reading 'from or via': (F+V)/M, the two are disjoint{text(read['from or via'])}", headline=True),
    ]
    # the pole's imports crossing the country: the 'via' reading (same denominator, same coverage rule); by
    # pipeline over the publisher's pipeline totals where the rule holds
    share = read["via"]["share"] if read else (0.0 if via <= 0 else None)
    pipeline = _pipeline_total(ctx, imports) if (not read or status == "ok") else None
    return [
        metric("gas_transit_provided", f"{ctx.on}'s gas imports from third countries crossing the country", via, unit,
           headline=via > 0),
        *three,
        metric("gas_transit_provided_share", f"share of {ctx.on}'s gas imports crossing the country", share, "share",
               text=None if status in ("", "ok") else f"{status}: {why}"),
        metric("gas_transit_provided_pipeline_share", f"share of {ctx.on}'s pipeline gas imports crossing the country",
           via / pipeline if pipeline else None, "share"),
    ]


def _pipeline_total(ctx: Context, imports: pl.DataFrame) -> float | None:
    """The pole's pipeline gas imports: Σ of the publisher's pipeline totals of its members where every member has
    one, else the partner countries' pipeline rows."""
    (total,) = kept(ctx.atlas, ("gas_pipeline_total", tuple(sorted(ctx.members)), ctx.year),
                    lambda: (_members_pipeline_total(ctx.atlas, ctx.members, ctx.year),))  # the same for every country
    if total is not None:
        return total
    p = fsum(imports.filter(pl.col("mode") == "pipeline")["volume"])
    return p if p > 0 else None



def _members_pipeline_total(atlas: Atlas, members, year: int) -> float | None:
    """Σ of the members' publisher pipeline import totals, None unless every member has one."""
    refs = []
    for imp in sorted(members):
        t = qm.energy_totals(atlas, imp, carrier="gas").filter(
            (pl.col("year") == year) & (pl.col("flow") == "import") & (pl.col("mode") == "pipeline"))
        if t.height == 0:
            return None
        refs.append(fsum(t["volume"]))
    return fsum(refs) if refs else None

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
        # asked once per pole by the energy section and again by the profile's dimension table with the same
        # arguments: within one command (Atlas.memo, read-only atlas) it is computed once
        return atlas.memoised(("energy.read", country, tuple(years), tuple(poles)),
                              lambda: self._read(atlas, country, years, poles))

    def _read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        from ..measures.trade import pole_shares

        names = [p.id for p in self.parts]
        flows = qm.energy_flows(atlas, country, years=years).filter(pl.col("carrier") == "gas")
        totals = qm.energy_totals(atlas, country, carrier="gas")
        in_years = totals.filter(pl.col("year").is_between(*years) & (pl.col("volume") > 0))
        if flows.height == 0 and in_years.height == 0:
            why = f"no gas trade of {country} in energy_flows for this year"
            return Reading(self.id, empty_values(), coverage_rows(names, years, status="no data", reason=why))
        values = empty_values()
        if flows.height:
            s = pole_shares(flows_as_trade(flows, country), poles=[*poles, "ROW"], reporter=country)
            values = pl.concat([as_values(s.filter(pl.col("flow") == f), f"gas_{f}s", "value_usd")
                                for f in ("export", "import")])
        cov = gas_coverage(flows, totals, qm.energy_matrices(atlas, carrier="gas"), country, years)
        srcs = sorted(set(flows["source"].to_list()) | set(in_years["source"].to_list()))
        return Reading(self.id, values, fill_coverage(cov.select(list(COVERAGE_SCHEMA)), names, years,
                                                      f"no gas of {country} in this direction"),
                       (("energy_flows", tuple(srcs)),))

    def section(self, ctx: Context) -> Section:
        return _energy(ctx)


def energy_section(country: str, on: str, year: int, *, atlas: Atlas) -> Section:
    """The energy dimension alone of :func:`tethers.analysis.dependence.dependence` (gas, transit both ways)."""
    from .base import pole_members, resolve_pole

    iso3, pole = countries.resolve(country), resolve_pole(on)
    return _energy(Context(atlas, iso3, pole, year, pole_members(pole, year, country=iso3)))


DIMENSION = EnergyDimension()
