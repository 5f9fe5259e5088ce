"""Institutions: the organisations a country shares with each pole's states.

Hand-kept spells (one citation per row) are authoritative for the organisations they list; other organisations
come from the Correlates of War IGO data, observed to 2014 and carried forward (flagged). The pole-split part for
the balance index counts the strategic organisations (those of the hand-kept table) shared with each pole.
"""

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
    as_values,
    coverage_rows,
    empty_values,
    fill_coverage,
    metric,
    metrics_frame,
    missing,
    sources_frame,
)

INSTITUTIONS = Part("institutions", "organisations",
                    "strategic organisations (those in the hand-kept table) shared with each pole's states",
                    "memberships")
INSTITUTIONS_BASIS = "handkept memberships (cited per row)"


def authoritative_memberships(memberships: pl.DataFrame) -> pl.DataFrame:
    """Spells with the precedence of :mod:`tethers.measures.institutions`: for an (organisation, country) pair the
    hand-kept table lists, only its spells count; every other pair keeps its other sources' spells."""
    from ..measures.institutions import AUTHORITATIVE

    hand = memberships.filter(pl.col("source") == AUTHORITATIVE)
    rest = memberships.filter(pl.col("source") != AUTHORITATIVE).join(
        hand.select("organisation", "country").unique(), on=["organisation", "country"], how="anti")
    return pl.concat([hand, rest], how="vertical")



INSTITUTIONS_DEF = (
    "Organisations the country shares with at least one state of the pole in the year: "
    "M(c,t) ∩ ∪_{p∈P} M(p,t), any membership status (measures.institutions; hand-kept spells authoritative, "
    "COW IGO spells observed to 2014 carried forward and flagged)."
)


def _institutions(ctx: Context) -> Section:
    from ..measures.institutions import memberships_in_year, shared_memberships

    table = queries.memberships(ctx.atlas)
    mine = memberships_in_year(table, ctx.country, ctx.year)
    if mine.height == 0:
        return missing("institutions", INSTITUTIONS_DEF,
                        f"no organisation memberships recorded for {ctx.country} in {ctx.year}")
    shared = shared_memberships(table, ctx.country, {ctx.on: set(ctx.members)}, ctx.year)
    current = shared.filter(~pl.col("carried_forward"))
    rows = [
        metric("memberships", "organisations the country belongs to", mine.height, "count"),
        metric("shared", f"organisations shared with {ctx.on}", shared.height, "count", headline=True),
        metric("shared_current", f"… of which observed in {ctx.year} (hand-kept)", current.height, "count",
           text=", ".join(current["organisation"].to_list()), headline=True),
        metric("shared_carried", "… of which carried forward from COW IGO (last observed 2014)",
           shared.height - current.height, "count"),
    ]
    detail = shared.with_columns(pl.col("members").list.join(";")).drop("pole")
    used = sorted(set(mine["source"].to_list()))
    return Section("institutions", "ok", INSTITUTIONS_DEF, metrics_frame(rows), detail,
                   sources_frame(ctx.atlas, [("memberships", used)]))


class InstitutionsDimension(Dimension):
    id = "institutions"
    label = "Institutions"
    definition = INSTITUTIONS_DEF
    parts = (INSTITUTIONS,)

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        """Strategic organisations shared with each pole, every year at once (spells × years, one join)."""
        from ..measures.trade import pole_membership

        spells = authoritative_memberships(queries.memberships(atlas))
        strategic = spells.filter(pl.col("source") == "handkept")["organisation"].unique()
        spells = spells.filter(pl.col("organisation").is_in(strategic.to_list()))
        grid_years = pl.DataFrame({"year": list(range(years[0], years[1] + 1))}, schema={"year": pl.Int32})
        active = spells.join(grid_years, how="cross").filter(
            (pl.col("joined") <= pl.col("year")) & (pl.col("left").is_null() | (pl.col("left") >= pl.col("year"))))
        mine = active.filter(pl.col("country") == country).select("year", "organisation").unique()
        srcs = (("memberships", tuple(sorted(set(spells["source"].to_list())))),)
        if mine.height == 0:
            why = f"{country} belongs to none of the hand-kept organisations in this year"
            return Reading(self.id, empty_values(), coverage_rows(["institutions"], years, status="no data",
                                                                  reason=why), srcs)
        member = pole_membership(grid_years["year"].to_list(), poles=[*poles, "ROW"])
        theirs = (
            active.filter(pl.col("country") != country)
            .join(member, left_on=["year", "country"], right_on=["year", "partner"], how="inner")
            .select("year", "organisation", "pole").unique()
        )
        shared = mine.join(theirs, on=["year", "organisation"], how="inner").group_by("year", "pole").agg(
            value=pl.len())
        grid = mine.select("year").unique().join(pl.DataFrame({"pole": [*poles, "ROW"]}), how="cross")
        out = grid.join(shared, on=["year", "pole"], how="left").with_columns(pl.col("value").fill_null(0))
        values = as_values(out, "institutions", "value")
        cov = mine.select(pl.col("year").cast(pl.Int32)).unique().with_columns(
            part=pl.lit("institutions"), status=pl.lit("ok"), coverage=pl.lit(None, pl.Float64),
            basis=pl.lit(INSTITUTIONS_BASIS), reason=pl.lit(""))
        return Reading(self.id, values, fill_coverage(cov, ["institutions"], years,
                                                      f"{country} belongs to none of the hand-kept organisations"),
                       srcs)

    def section(self, ctx: Context) -> Section:
        return _institutions(ctx)


DIMENSION = InstitutionsDimension()
