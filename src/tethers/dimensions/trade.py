"""Trade: the pole shares of a country's total goods imports and exports, partner concentration.

Reads the ``trade`` table's ``TOTAL`` rows. For each (year, flow) every source the atlas holds for the
reporter is assessed by the coverage rule (:func:`tethers.dimensions.base.assess`: listed partners against
the source's own world total, the ``WLD`` row); the first source in
:data:`tethers.atlas.queries.TRADE_PRECEDENCE` that passes is used, else the first one, reported as
``partial`` / ``coverage unknown`` with levels only. Where the country reports nothing, the partners'
reports of their trade with it (mirror) are shown as levels, never as shares.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .. import countries
from ..atlas import queries_measures as qm
from ..atlas.queries import TRADE_PRECEDENCE
from ..atlas.schema import AGGREGATE_CODES
from ..atlas.store import Atlas
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
    empty_values,
    fill_coverage,
    metric,
    metrics_frame,
    missing,
    sources_frame,
    standard_poles,
)

TOP = 10
DEFINITION = (
    "Pole share s_P = Σ_{p∈P} X_p / Σ_q X_q of the country's total goods imports (c.i.f.) and exports (f.o.b.) "
    "as it reports them, current USD, pole membership as of the year; partner concentration "
    "HHI = Σ_p s_p² over partner countries and HHI* = (HHI − 1/N)/(1 − 1/N) (N partners with trade). "
    "Shares only where the listed partners cover ≥ 95 % of the source's world total (the coverage rule)."
)
IMPORTS = Part("imports", "USD", "total goods imports by partner pole (trade TOTAL rows, reporter-declared)",
               "trade", core=True)
EXPORTS = Part("exports", "USD", "total goods exports by partner pole (trade TOTAL rows, reporter-declared)",
               "trade", core=True)
FLOW_PART = {"import": "imports", "export": "exports"}


def _rank(col: str) -> pl.Expr:
    return pl.col(col).replace_strict({s: i for i, s in enumerate(TRADE_PRECEDENCE)}, default=len(TRADE_PRECEDENCE),
                                      return_dtype=pl.Int32)


def source_coverage(rows: pl.DataFrame) -> pl.DataFrame:
    """``[year, flow, source, n_partners, listed, reference, status, coverage, reason, rank]`` of TOTAL rows:
    the coverage rule applied to every (year, flow, source)."""
    cov = qm.partner_coverage(rows).rename({"listed_usd": "listed", "world_usd": "reference"})
    return cov.with_columns(*coverage_expr(), rank=_rank("source"))


def best_rows(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per (year, flow): the rows of the first source in precedence that passes the coverage rule, else of the
    first source. Returns ``(rows, coverage of the chosen sources)``."""
    cov = source_coverage(rows)
    chosen = (cov.with_columns(_ok=(pl.col("status") != "ok").cast(pl.Int32))
              .sort("year", "flow", "_ok", "rank", "source")
              .group_by("year", "flow", maintain_order=True).first().drop("_ok"))
    kept = rows.join(chosen.select("year", "flow", "source"), on=["year", "flow", "source"], how="semi")
    return kept, chosen


def reported_rows(atlas: Atlas, country: str, years: tuple[int, int]) -> pl.DataFrame:
    return atlas.sql("SELECT * FROM trade WHERE reporter = ? AND classification = 'TOTAL' AND year BETWEEN ? AND ?",
                     [country, *years])


# What a source's TOTAL rows are, in a reader's words (the basis shown next to every trade figure).
SOURCE_BASIS: dict[str, str] = {
    "kz_bns": "kz_bns: the country's own statistics (Bureau of National Statistics), imports c.i.f., exports f.o.b.",
    "imf_dots_xlsx": ("imf_dots_xlsx: IMF DOTS, reporter-declared (imports c.i.f., exports f.o.b.), with IMF "
                      "estimates from partner data where the country does not report"),
    "imf_dots": ("imf_dots: IMF DOTS, reporter-declared (imports c.i.f., exports f.o.b.), with IMF estimates "
                 "where the country does not report"),
    "comtrade": "comtrade: UN Comtrade, reporter-declared (imports c.i.f., exports f.o.b.)",
    "eurostat": "eurostat: EU member states' declarations (Comext), for the partner a mirror",
    "baci": "baci: CEPII BACI, reconciled mirror flows (f.o.b.)",
    "wto": "wto: WTO, importer-declared",
}


def _basis(source: pl.Expr) -> pl.Expr:
    return source.replace_strict(SOURCE_BASIS, default=pl.concat_str(source, pl.lit(", reporter-declared totals")),
                                 return_dtype=pl.Utf8)


def estimate_notes(kept: pl.DataFrame) -> pl.DataFrame:
    """``[year, flow, note]``: "; n of m partner rows are IMF estimates" where the rows' ``estimated`` flag (the
    publisher's own mark, IMF DOTS 'e') is set on any partner row, else ""; NULL flags count as not marked."""
    p = kept.filter(pl.col("partner") != "WLD")
    n = pl.col("estimated").fill_null(False).sum() if "estimated" in p.columns else pl.lit(0)
    return p.group_by("year", "flow").agg(n=n, m=pl.len()).select(
        pl.col("year").cast(pl.Int32), "flow",
        note=pl.when(pl.col("n") > 0).then(pl.format("; {} of {} partner rows are IMF estimates", "n", "m"))
        .otherwise(pl.lit("")))


class TradeDimension(Dimension):
    id = "trade"
    label = "Trade"
    definition = DEFINITION
    parts = (IMPORTS, EXPORTS)

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        from ..measures.trade import pole_shares

        rows = reported_rows(atlas, country, years)
        names = [p.id for p in self.parts]
        if rows.height == 0:
            why = (f"no total trade reported by {country} in {years[0]}–{years[1]} in the atlas "
                   "(add a Comtrade/IMF DOTS file with `tethers atlas add`)")
            return Reading(self.id, empty_values(), fill_coverage(pl.DataFrame(schema=COVERAGE_SCHEMA), names, years,
                                                                  why))
        kept, chosen = best_rows(rows)
        s = pole_shares(kept, poles=[*poles, "ROW"], reporter=country)
        values = pl.concat([as_values(s.filter(pl.col("flow") == f), FLOW_PART[f], "value_usd")
                            for f in ("import", "export")])
        cov = chosen.with_columns(pl.col("year").cast(pl.Int32)).join(
            estimate_notes(kept), on=["year", "flow"], how="left").select(
            pl.col("flow").replace_strict(FLOW_PART).alias("part"), "year", "status", "coverage",
            pl.concat_str(_basis(pl.col("source")), pl.col("note").fill_null("")).alias("basis"), "reason")
        srcs = tuple(sorted(kept["source"].unique().to_list()))
        return Reading(self.id, values, fill_coverage(cov, names, years,
                                                      f"no total trade reported by {country} for this year"),
                       (("trade", srcs),))

    def section(self, ctx: Context) -> Section:
        return trade_section(self, ctx)


def trade_section(dim: TradeDimension, ctx: Context) -> Section:
    from ..measures.trade import concentration, partner_shares

    reading = dim.read(ctx.atlas, ctx.country, (ctx.year, ctx.year), standard_poles(ctx.on))
    status = reading.status(ctx.year)
    if status == "no data":
        return _mirror(ctx, reading.reason(ctx.year))
    shares = reading.shares(dim.parts)
    sources = sources_frame(ctx.atlas, reading.sources)
    kept, _ = best_rows(reported_rows(ctx.atlas, ctx.country, (ctx.year, ctx.year)))
    rows: list[dict] = []
    detail_parts = []
    for flow, word in (("import", "imports from"), ("export", "exports to")):
        part = FLOW_PART[flow]
        r = shares.filter((pl.col("part") == part) & (pl.col("pole") == ctx.on))
        if r.height == 0:
            continue
        rr = r.row(0, named=True)
        ok = rr["status"] == "ok"
        f_rows = kept.filter(pl.col("flow") == flow)
        world = f_rows.filter(pl.col("partner") == "WLD")["value_usd"].sum() if ok else None
        listed = f_rows.filter(pl.col("partner") != "WLD")["value_usd"].sum()
        rows += [
            metric(f"{flow}_share", f"share of {word} {ctx.on}", rr["share"], "share", headline=True),
            metric(f"{flow}_usd", f"{word} {ctx.on}", rr["value"], "USD"),
            metric(f"{flow}_total_usd", f"total {flow}s" + ("" if ok else " (listed partners only)"),
                   world if ok and world else listed, "USD"),
        ]
        partners = partner_shares(f_rows, reporter=ctx.country, year=ctx.year, flow=flow).with_columns(
            rank=pl.col("value_usd").rank("ordinal", descending=True).over("flow").cast(pl.Int32),
            in_pole=pl.col("partner").is_in(list(ctx.members)),
        )
        if ok:
            c0 = concentration(f_rows, reporter=ctx.country, year=ctx.year, flow=flow).row(0, named=True)
            rows += [
                metric(f"{flow}_hhi", f"partner HHI of {flow}s", c0["hhi"], "index 0–1"),
                metric(f"{flow}_hhi_norm", f"partner HHI* of {flow}s (normalised)", c0["hhi_norm"], "index 0–1",
                       headline=True),
                metric(f"{flow}_top_partner", f"largest {flow} partner", c0["top_share"], "share",
                       text=c0["top_partner"]),
            ]
            if ctx.on not in ("EU27", "CASIA"):
                rk = partners.filter(pl.col("partner") == ctx.on)
                rows.append(metric(f"{flow}_rank", f"rank of {ctx.on} among {flow} partners",
                                   rk["rank"][0] if rk.height else None, "rank"))
        else:
            partners = partners.with_columns(share=pl.lit(None, pl.Float64))
        detail_parts.append(partners.filter(pl.col("rank") <= TOP).select(
            "flow", "rank", "partner", "in_pole", "value_usd", "share"))
    detail = pl.concat(detail_parts, how="vertical") if detail_parts else pl.DataFrame()
    return Section("trade", status, DEFINITION, metrics_frame(rows), detail, sources, reading.reason(ctx.year),
                   coverage=coverage_line(reading, ctx.year), basis=basis_line(reading, ctx.year))


def _mirror(ctx: Context, why: str) -> Section:
    """No reported totals: say so, and show the partner-reported (mirror) flows as levels, never as shares."""
    m = qm.mirror_totals(ctx.atlas, ctx.country, ctx.year).filter(~pl.col("reporter").is_in(list(AGGREGATE_CODES)))
    if m.height == 0:
        return missing("trade", DEFINITION, why)
    m = m.with_columns(basis=pl.lit("mirror"), in_pole=pl.col("reporter").is_in(list(ctx.members)))
    srcs = sorted(m["source"].unique().to_list())
    reason = (
        f"{ctx.country} reports no total trade in the atlas for {ctx.year}; only partner-reported (mirror) totals "
        f"from {m['reporter'].n_unique()} reporters ({', '.join(srcs)}) exist — no world total, so no shares; "
        "mirror flows are listed as levels"
    )
    pole = m.filter(pl.col("in_pole"))
    rows = [
        metric(f"mirror_{flow}_usd", f"{flow}s {'from' if flow == 'import' else 'to'} {ctx.on} as {ctx.on} reports "
               "them (mirror)", pole.filter(pl.col("flow") == flow)["value_usd"].sum(), "USD", headline=True)
        for flow in ("import", "export") if pole.filter(pl.col("flow") == flow).height
    ]
    status: Status = "coverage unknown" if rows else "no data"
    return Section("trade", status, DEFINITION, metrics_frame(rows), m, sources_frame(ctx.atlas, [("trade", srcs)]),
                   reason, coverage="coverage unknown (mirror: partners' reports only)",
                   basis=f"{', '.join(srcs)}, partner-reported mirror")


def overview(atlas: Atlas, country: str, year: int, *, top: int = TOP,
             poles: Sequence[str] = countries.POLE_ORDER) -> dict:
    """The profile's trade part: ``totals`` {flow: USD}, ``partners`` (top ``top`` per flow; ``share`` null
    unless the flow passes the coverage rule; ``estimated`` the publisher's estimate flag, null where it gives none), ``poles`` ([flow, pole, label, value_usd, share, status,
    coverage, basis]), ``coverage`` per flow, ``sources`` (ids)."""
    from ..measures.trade import partner_shares

    dim = DIMENSION
    pole_ids = tuple(p for p in poles if p != "ROW")
    reading = dim.read(atlas, country, (year, year), pole_ids)
    rows, chosen = best_rows(reported_rows(atlas, country, (year, year)))
    part_flow = {v: k for k, v in FLOW_PART.items()}
    sh = reading.shares(dim.parts).with_columns(flow=pl.col("part").replace_strict(part_flow))
    by_pole = sh.with_columns(
        label=pl.col("pole").replace_strict(countries.POLE_LABELS, default=pl.col("pole"), return_dtype=pl.Utf8),
    ).select("flow", "pole", "label", pl.col("value").alias("value_usd"), "share", "status", "coverage", "basis")
    totals: dict[str, float] = {}
    cover: dict[str, dict] = {}
    for r in reading.coverage.filter(pl.col("year") == year).iter_rows(named=True):
        flow = part_flow[r["part"]]
        cover[flow] = {"status": r["status"], "coverage": r["coverage"], "basis": r["basis"], "reason": r["reason"]}
    for r in chosen.iter_rows(named=True):
        flow = r["flow"]
        total = r["reference"] if r["status"] == "ok" and r["reference"] else r["listed"]
        totals[flow] = float(total)
        cover[flow]["total_basis"] = ("world total (WLD row)" if r["status"] == "ok" and r["reference"]
                                      else "sum over the listed partners only")
    pm = countries.pole_map(year, country=country, poles=poles)
    if rows.height:
        shares = partner_shares(rows, reporter=country, year=year)
        ok_flows = [f for f, c in cover.items() if c["status"] == "ok"]
        partners = (
            shares.sort(["flow", "value_usd"], descending=[False, True])
            .with_columns(pl.col("value_usd").rank("ordinal", descending=True).over("flow").cast(pl.Int32)
                          .alias("rank"))
            .filter(pl.col("rank") <= top)
            .with_columns(
                pl.col("partner").map_elements(countries.name, return_dtype=pl.Utf8).alias("name"),
                pl.col("partner").replace_strict(pm, default="ROW", return_dtype=pl.Utf8).alias("pole"),
                share=pl.when(pl.col("flow").is_in(ok_flows)).then(pl.col("share")),
            )
            .join(_estimated_flags(rows), on=["flow", "partner"], how="left")
            .select("flow", "rank", "partner", "name", "pole", "value_usd", "share", "estimated")
        )
    else:
        partners = pl.DataFrame(schema={"flow": pl.Utf8, "rank": pl.Int32, "partner": pl.Utf8, "name": pl.Utf8,
                                        "pole": pl.Utf8, "value_usd": pl.Float64, "share": pl.Float64,
                                        "estimated": pl.Boolean})
    return {"totals": totals, "partners": partners, "poles": by_pole, "coverage": cover,
            "sources": sorted(rows["source"].unique().to_list()) if rows.height else [],
            "reason": reading.reason(year)}


def _estimated_flags(rows: pl.DataFrame) -> pl.DataFrame:
    """``[flow, partner, estimated]``: True where the publisher marks the figure as its own estimate (IMF DOTS
    'e' cells: the country did not report, the IMF estimated from partner data), False where it marks it as
    reported, null where the source says nothing."""
    est = pl.col("estimated") if "estimated" in rows.columns else pl.lit(None, pl.Boolean)
    return rows.group_by("flow", "partner").agg(est.cast(pl.Boolean).max().alias("estimated"))


DIMENSION = TradeDimension()


def product_reading(dimension: str, part: Part, atlas: Atlas, country: str, years: tuple[int, int],
                    poles: Sequence[str], product: tuple[str, str]) -> Reading:
    """A product group's imports by supplier pole (e.g. WTO MTN 12, HS 93), under the same coverage rule as
    total trade: shares only where the suppliers listed cover ≥ 95 % of the source's world row."""
    from ..measures.trade import pole_shares

    rows = qm.product_trade(atlas, country, years=years, flow="import", products=[product])
    label = qm.SHORT_LABELS.get(product, f"{product[0]} {product[1]}")
    if rows.height == 0:
        why = f"no {label} imports reported by {country} in the atlas for this year"
        return Reading(dimension, empty_values(), fill_coverage(pl.DataFrame(schema=COVERAGE_SCHEMA), [part.id],
                                                                years, why))
    s = pole_shares(rows, poles=[*poles, "ROW"], reporter=country, flow="import", product=product[1])
    cov = source_coverage(rows).select(
        pl.lit(part.id).alias("part"), pl.col("year").cast(pl.Int32), "status", "coverage",
        pl.concat_str(pl.col("source"), pl.lit(", importer-declared imports by supplier")).alias("basis"), "reason")
    return Reading(dimension, as_values(s, part.id, "value_usd"),
                   fill_coverage(cov, [part.id], years, f"no {label} imports reported by {country} for this year"),
                   (("trade", tuple(sorted(rows["source"].unique().to_list()))),))
