"""Security: alliances shared with each pole, arms imports (HS 93) by supplier pole, and the foreign facilities,
leases, deployments, exercises and agreements active in the year (hand-kept, cited)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ..atlas import queries
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
    fill_coverage,
    metric,
    metrics_frame,
    missing,
    sources_frame,
)
from .institutions import authoritative_memberships
from .trade import product_reading

TOP = 10
ARMS_IMPORTS = Part("arms_imports", "USD",
                    "recorded imports of arms and ammunition (HS 93) by supplier pole, importer-reported (WTO)", "trade")
SECURITY_TIES = Part("security_ties", "active ties",
                     "foreign facilities, leases, deployments, exercises and agreements active in the year, by pole",
                     "security_ties")
TIES_BASIS = "handkept security ties (cited per row)"



SECURITY_DEF = (
    "Alliances: security organisations of which the country and a state of the pole are both full members in the "
    "year (measures.security.shared_alliances on spells with hand-kept precedence; a spell past its source's last "
    "observed year is unknown, not counted). Arms: pole share s_P of the country's recorded imports of HS chapter 93 "
    "(WTO, importer-reported; customs data miss most state-to-state transfers) and supplier HHI. Ties: facilities, "
    "leases, deployments, exercises and agreements of the pole's states active in the year (hand-kept, cited)."
)


def _security(ctx: Context) -> Section:
    rows, gaps, srcs, details = [], [], [], []
    for part in (_alliances, _arms, _ties):
        r, gap, src, det = part(ctx)
        rows += r
        gaps += [gap] if gap else []
        srcs += src
        details.append(det)
    sources = sources_frame(ctx.atlas, srcs)
    detail = pl.concat([d for d in details if d.height], how="diagonal_relaxed") if any(d.height for d in details) \
        else pl.DataFrame()
    if not rows:
        return missing("security", SECURITY_DEF, "; ".join(gaps), sources=sources)
    status: Status = "partial" if gaps else "ok"
    return Section("security", status, SECURITY_DEF, metrics_frame(rows), detail, sources, "; ".join(gaps))


def _alliances(ctx: Context) -> tuple[list[dict], str, list, pl.DataFrame]:
    from ..measures.security import alliance_flags, shared_alliances

    spells = authoritative_memberships(queries.memberships(ctx.atlas))
    mine = alliance_flags(spells, year=ctx.year, country=ctx.country).filter(pl.col("member") == True)  # noqa: E712
    if mine.height == 0:
        return [], f"no security-organisation membership of {ctx.country} known for {ctx.year}", [], pl.DataFrame()
    shared = shared_alliances(spells, country=ctx.country, year=ctx.year).filter(
        pl.col("partner").is_in(list(ctx.members)))
    orgs = sorted({o for s in shared["organisations"].to_list() for o in s.split(";")})
    rows = [metric("alliances", "security organisations the country belongs to", mine.height, "count",
               text=", ".join(mine["organisation"].to_list())),
            metric("shared_alliances", f"security organisations shared with {ctx.on}", len(orgs), "count",
               text=", ".join(orgs), headline=True)]
    detail = pl.DataFrame({"part": "alliance", "organisation": orgs}, schema={"part": pl.Utf8, "organisation": pl.Utf8})
    return rows, "", [("memberships", sorted(set(spells["source"].to_list())))], detail


def _arms(ctx: Context) -> tuple[list[dict], str, list, pl.DataFrame]:
    from ..measures.security import arms_concentration, arms_imports

    rows = qm.product_trade(ctx.atlas, ctx.country, years=(ctx.year, ctx.year), flow="import", products=[qm.ARMS])
    if rows.height == 0:
        have = ctx.atlas.sql("SELECT DISTINCT year FROM trade WHERE reporter = ? AND classification = 'HS' "
                             "AND product = '93' AND flow = 'import' ORDER BY 1", [ctx.country])["year"].to_list()
        span = f"it reports them for {have[0]}–{have[-1]}" if have else "it reports none in the atlas"
        return [], (f"no HS 93 arms imports reported by {ctx.country} for {ctx.year} ({span}; the WTO file is "
                    "importer-reported, so suppliers' exports cannot stand in)"), [], pl.DataFrame()
    by_pole = arms_imports(rows, reporter=ctx.country, year=ctx.year, by="pole", poles=[ctx.on])
    conc = arms_concentration(rows, reporter=ctx.country, year=ctx.year).row(0, named=True)
    share = by_pole.filter(pl.col("pole") == ctx.on)
    out = [metric("arms_import_share", f"share of arms (HS 93) imports from {ctx.on}", share["share"][0], "share",
              headline=True),
           metric("arms_imports_usd", "arms (HS 93) imports, all suppliers", conc["value_usd"], "USD"),
           metric("arms_hhi", "supplier HHI of arms imports", conc["hhi"], "index 0–1"),
           metric("arms_top_supplier", "largest arms supplier", conc["top_share"], "share", text=conc["top_supplier"])]
    detail = arms_imports(rows, reporter=ctx.country, year=ctx.year).head(TOP).select(
        pl.lit("arms").alias("part"), "partner", "value_usd", "share")
    return out, "", [("trade", rows["source"].unique().to_list())], detail


def _ties(ctx: Context) -> tuple[list[dict], str, list, pl.DataFrame]:
    from ..measures.security import security_ties_summary

    ties = qm.security_ties(ctx.atlas, ctx.country)
    if ties.height == 0:
        hosts = ctx.atlas.sql("SELECT DISTINCT country FROM security_ties ORDER BY 1")["country"].to_list()
        return [], (f"no security ties of {ctx.country} in the hand-kept table (it covers {', '.join(hosts)})"), [], \
            pl.DataFrame()
    s = security_ties_summary(ties, year=ctx.year, country=ctx.country, poles=[ctx.on])
    mine = s.filter(pl.col("partner").is_in(list(ctx.members)))
    names = sorted({n for x in mine["names"].to_list() for n in x.split(";")})
    rows = [metric("ties_active", f"security ties with {ctx.on} active in {ctx.year}", mine["n_active"].sum(), "count",
               text="; ".join(names), headline=True),
            metric("ties_all_partners", f"security ties with any foreign state active in {ctx.year}", s["n_active"].sum(),
               "count")]
    y = ctx.year
    active = (pl.col("start_date").dt.year() <= y) & (pl.col("end_date").is_null() | (pl.col("end_date").dt.year() >= y))
    detail = ties.filter(pl.col("partner").is_in(list(ctx.members)) & active).select(
        pl.lit("tie").alias("part"), "partner", "kind", "name", "start_date", "end_date", "citation")
    return rows, "", [("security_ties", ties["source"].unique().to_list())], detail


class SecurityDimension(Dimension):
    id = "security"
    label = "Security"
    definition = SECURITY_DEF
    parts = (ARMS_IMPORTS, SECURITY_TIES)

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        from ..measures.security import security_ties_summary

        arms = product_reading(self.id, ARMS_IMPORTS, atlas, country, years, poles, qm.ARMS)
        ties = qm.security_ties(atlas, country)
        if ties.height == 0:
            why = f"no security ties of {country} in the hand-kept table"
            tcov = coverage_rows(["security_ties"], years, status="no data", reason=why)
            return Reading(self.id, arms.values, pl.concat([arms.coverage, tcov]), arms.sources)
        s = security_ties_summary(ties, year=range(years[0], years[1] + 1), country=country, poles=list(poles))
        out = s.group_by("year", "pole").agg(value=pl.col("n_active").sum())
        tvals = as_values(out, "security_ties", "value")
        tcov = tvals.select("part", "year").unique().with_columns(
            status=pl.lit("ok"), coverage=pl.lit(None, pl.Float64), basis=pl.lit(TIES_BASIS), reason=pl.lit(""))
        tcov = fill_coverage(tcov, ["security_ties"], years, f"no security ties of {country} active in this year")
        return Reading(self.id, pl.concat([arms.values, tvals]), pl.concat([arms.coverage, tcov]),
                       (*arms.sources, ("security_ties", tuple(sorted(ties["source"].unique().to_list())))))

    def section(self, ctx: Context) -> Section:
        return _security(ctx)


DIMENSION = SecurityDimension()
