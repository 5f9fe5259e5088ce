"""UN votes: agreement of a country's UN General Assembly votes with each pole's."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ..atlas import queries
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

UN_VOTES = Part("un_votes", "agreement index",
                "UNGA agreement index with each pole (mean over its members); B measures how evenly close the votes are",
                "votes", additive=False)
MIN_ROLL_CALLS = 20  # fewer common roll calls in a year than this: partial



VOTES_DEF = (
    "UN General Assembly agreement A = 1 − mean_v |x_cv − x_pv| over the roll calls of the year on which both "
    "voted (yes 1, abstain 0.5, no 0; absences excluded); Cohen's κ and linearly weighted κʷ correct it for chance. "
    "For a pole of several states: the mean of the dyadic indices over its members (measures.alignment)."
)


def _votes(ctx: Context) -> Section:
    from ..measures.alignment import pole_agreement

    v = queries.votes(ctx.atlas, year=ctx.year)
    if v.height == 0:
        return missing("votes", VOTES_DEF, f"the atlas has no UN General Assembly roll calls for {ctx.year}")
    srcs = sorted(v["source"].unique().to_list())
    al = pole_agreement(v, country=ctx.country, poles=[ctx.on], year=ctx.year).filter(pl.col("pole") == ctx.on)
    sources = sources_frame(ctx.atlas, [("votes", srcs)])
    if al.height == 0:
        return missing("votes", VOTES_DEF, f"{ctx.country} and {ctx.on} share no recorded roll call in {ctx.year} "
                        f"({', '.join(srcs)})", sources=sources)
    r = al.row(0, named=True)
    rows = [metric("agreement", f"agreement with {ctx.on}", r["agreement"], "index 0–1", headline=True),
            metric("kappa", "Cohen's κ", r["kappa"], "index −1–1"),
            metric("kappa_w", "weighted κʷ", r["kappa_w"], "index −1–1"),
            metric("roll_calls", "common roll calls (largest over the pole's members)", r["n_roll_calls"], "count"),
            metric("members_voting", "pole members with common votes", r["n_members"], "count")]
    status: Status = "partial" if r["n_roll_calls"] < 20 else "ok"
    reason = f"only {r['n_roll_calls']} common roll calls in {ctx.year}" if status == "partial" else ""
    return Section("votes", status, VOTES_DEF, metrics_frame(rows), al, sources, reason)


_LAST: list = []  # [(weakref to the atlas, years, frame)]: one entry, so a loop over countries reads votes once


def _votes_of(atlas: Atlas, years: tuple[int, int]) -> pl.DataFrame:
    """:func:`tethers.atlas.queries.votes` for ``years``, memoised for the last (atlas object, years): the atlas
    is read-only while open, and an all-country loop would otherwise read the same roll calls per country."""
    import weakref

    if _LAST and _LAST[0][0]() is atlas and _LAST[0][1] == tuple(years):
        return _LAST[0][2]
    v = queries.votes(atlas, years=years)
    _LAST[:] = [(weakref.ref(atlas), tuple(years), v)]
    return v


class VotesDimension(Dimension):
    id = "votes"
    label = "UN votes"
    definition = VOTES_DEF
    parts = (UN_VOTES,)

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        from ..measures.alignment import pole_agreement

        v = _votes_of(atlas, years)
        if v.height == 0 or v.filter(pl.col("country") == country).height == 0:
            why = f"no UN General Assembly votes of {country} in the atlas for this year"
            return Reading(self.id, empty_values(), coverage_rows(["un_votes"], years, status="no data", reason=why))
        a = pole_agreement(v, country=country, poles=list(poles))
        values = as_values(a, "un_votes", "agreement").filter(pl.col("value").is_not_null())
        n = a.group_by("year").agg(n=pl.col("n_roll_calls").max())
        srcs = v.group_by("year").agg(pl.col("source").first())
        cov = n.join(srcs, on="year", how="left").select(
            pl.lit("un_votes").alias("part"), pl.col("year").cast(pl.Int32),
            status=pl.when(pl.col("n") >= MIN_ROLL_CALLS).then(pl.lit("ok")).otherwise(pl.lit("partial")),
            coverage=pl.lit(None, pl.Float64),
            basis=pl.concat_str(pl.col("source"), pl.lit(", recorded roll calls")),
            reason=pl.when(pl.col("n") >= MIN_ROLL_CALLS).then(pl.lit("")).otherwise(
                pl.concat_str(pl.lit("only "), pl.col("n").cast(pl.Utf8), pl.lit(" common roll calls"))))
        return Reading(self.id, values, fill_coverage(cov, ["un_votes"], years,
                                                      f"no UN General Assembly votes of {country} this year"),
                       (("votes", tuple(sorted(v["source"].unique().to_list()))),))

    def section(self, ctx: Context) -> Section:
        return _votes(ctx)


DIMENSION = VotesDimension()
