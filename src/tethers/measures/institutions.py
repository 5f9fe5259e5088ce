"""Institutional ties: which organisations a country belongs to in a year, and which it shares with each pole.

Both functions take the canonical ``memberships`` table (Polars frame or Arrow table, any mix of
sources: ``cow_igo`` spells to 2014, ``handkept`` spells to 2026) and return tidy Polars frames.

Precedence between sources
--------------------------
For an (organisation, country) pair that the hand-kept table covers, the hand-kept spells are
authoritative for **all** years: outside them the country is not a member, whatever COW says. Every
other pair is answered by the remaining sources (COW). So the hand-kept table must list every spell
of a pair it lists (it does: each pair is entered with its full history), but need not list every
member of an organisation — OIC is hand-kept only for the Central Asian states and Turkey, and the
other members still come from COW.

For the organisations in :data:`COMPLETE` the hand-kept table lists **every** member's spells (with
one citation per row), so the other sources' rows of those organisations are ignored altogether: a
state COW records in, say, OPEC but the hand-kept table does not is not a member. Those organisations
are therefore never "carried forward" from COW's 2014 cut-off.

Participation
-------------
A member may keep its membership while not taking part: Armenia froze its participation in the CSTO
on 22 February 2024 without leaving it; the African Union suspends members after a coup. Hand-kept
rows record this as ``participation`` (``frozen`` by the member, ``suspended`` by the organisation)
from ``participation_from``. The output's ``participation`` is that value when it is in force in the
year asked for (``year >= year(participation_from)``), else NULL; ``status`` is unchanged (still
``full``), so counts of members are not altered by it.

Carrying forward
----------------
A spell with ``left`` NULL was still running in its source's last observed year (``observed_to``).
For a later year it is carried forward and flagged: ``carried_forward = True`` and ``as_of`` =
``observed_to`` (2014 for COW). Otherwise ``as_of`` is the year asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

import polars as pl
import pyarrow as pa

FrameLike = pl.DataFrame | pl.LazyFrame | pa.Table
AUTHORITATIVE = "handkept"
# Organisations whose every member (and every spell) is in the hand-kept table, cited row by row.
COMPLETE: frozenset[str] = frozenset({
    "asean", "au", "brics", "cis", "csto", "eaec", "eaeu", "eu", "g20", "gcc", "mercosur", "nato", "oecd", "opec", "osce",
    "ots", "sco",
})
STATUS_RANK = {"full": 3, "associate": 2, "observer": 1}
OUT_COLUMNS = ("organisation", "organisation_name", "kind", "status", "source", "carried_forward", "as_of",
               "participation")

__all__ = ["memberships_in_year", "memberships_of", "shared_memberships"]


def _frame(memberships: FrameLike) -> pl.DataFrame:
    if isinstance(memberships, pa.Table):
        return pl.from_arrow(memberships)  # type: ignore[return-value]
    if isinstance(memberships, pl.LazyFrame):
        return memberships.collect()
    return memberships


def _in_force(memberships: FrameLike, year: int, countries: Set[str]) -> pl.DataFrame:
    """Membership of each country in ``countries`` in ``year``, one row per (country, organisation)."""
    m = _frame(memberships)
    for c, dtype in (("participation", pl.Utf8), ("participation_from", pl.Date)):  # absent before schema 2
        if c not in m.columns:
            m = m.with_columns(pl.lit(None, dtype).alias(c))
    hand_orgs = m.filter((pl.col("source") == AUTHORITATIVE) & pl.col("organisation").is_in(sorted(COMPLETE)))
    complete = sorted(hand_orgs["organisation"].unique().to_list())
    m = m.filter(pl.col("country").is_in(sorted(countries)))
    hand = m.filter(pl.col("source") == AUTHORITATIVE)
    rest = m.filter((pl.col("source") != AUTHORITATIVE) & ~pl.col("organisation").is_in(complete)).join(
        hand.select("organisation", "country").unique(), on=["organisation", "country"], how="anti"
    )
    carried = pl.col("left").is_null() & (pl.col("observed_to") < year)
    active = (
        pl.concat([hand, rest])
        .filter((pl.col("joined") <= year) & (pl.col("left").is_null() | (pl.col("left") >= year)))
        .with_columns(
            carried.alias("carried_forward"),
            pl.min_horizontal(pl.lit(year), pl.col("observed_to")).cast(pl.Int32).alias("as_of"),
            pl.col("status").replace_strict(STATUS_RANK, return_dtype=pl.Int8).alias("__rank"),
            pl.when(pl.col("participation_from").dt.year() <= year).then(pl.col("participation"))
            .otherwise(None).alias("participation"),
        )
    )
    # One row per pair: the highest status (a year of transition, e.g. observer → full, has both),
    # then an observed spell before a carried-forward one.
    return (
        active.sort(["__rank", "carried_forward", "as_of", "source"], descending=[True, False, True, False])
        .unique(["country", "organisation"], keep="first", maintain_order=True)
        .drop("__rank")
    )


def memberships_in_year(memberships: FrameLike, country: str, year: int) -> pl.DataFrame:
    r"""Organisations ``country`` belongs to in ``year``, with the status and the source that says so.

    .. math::  M(c, t) = \{ o : \exists\ \text{spell } s \in S(o, c),\ s.\text{joined} \le t \le
               \operatorname{coalesce}(s.\text{left}, \infty) \}

    where :math:`S(o, c)` is the hand-kept spells of the pair when there are any, else the other
    sources' spells (see the module docstring for this precedence).

    Parameters
    ----------
    memberships : the canonical ``memberships`` table (any sources).
    country : ISO3 code.
    year : calendar year.

    Returns
    -------
    Polars frame ``[organisation, organisation_name, kind, status, source, carried_forward, as_of,
    participation]``, one row per organisation sorted by kind and organisation. ``status`` is the highest
    held that year (full > associate > observer); ``carried_forward`` is True when the spell's source
    stopped observing before ``year`` (``as_of`` = that source's ``observed_to``, e.g. 2014 for COW);
    ``participation`` is ``frozen``/``suspended`` when the member does not take part that year (see the
    module docstring), else NULL. An empty frame when the country belongs to nothing that year.
    """
    out = _in_force(memberships, year, {country})
    return out.select(OUT_COLUMNS).sort("kind", "organisation")


def memberships_of(memberships: FrameLike, countries: Set[str], year: int) -> pl.DataFrame:
    """:func:`memberships_in_year` for several countries at once: ``[country, *OUT_COLUMNS]``."""
    out = _in_force(memberships, year, set(countries))
    return out.select("country", *OUT_COLUMNS).sort("country", "kind", "organisation")


def shared_memberships(
    memberships: FrameLike,
    country: str,
    partners: Mapping[str, Set[str]],
    year: int,
) -> pl.DataFrame:
    r"""For each pole, the organisations ``country`` shares with at least one of the pole's states in ``year``.

    .. math::  \operatorname{Shared}(c, P, t) = M(c, t) \cap \bigcup_{p \in P \setminus \{c\}} M(p, t)

    with :math:`M` as in :func:`memberships_in_year` (any status counts on both sides).

    Parameters
    ----------
    memberships : the canonical ``memberships`` table.
    country : ISO3 code of the country profiled.
    partners : pole id → set of ISO3 codes (``{"RUS": {"RUS"}, "EU27": countries.eu_members(2021)}``);
        ``country`` itself is ignored inside a pole.
    year : calendar year.

    Returns
    -------
    Polars frame ``[pole, organisation, organisation_name, kind, status, members, carried_forward]``:
    ``status`` is ``country``'s own, ``members`` the sorted list of the pole's states in the
    organisation, ``carried_forward`` True when ``country``'s or any of those members' spell is carried
    past its source's last observed year. Rows follow the order of ``partners``, then kind and
    organisation; a pole sharing nothing has no rows.
    """
    everyone = {country} | {p for members in partners.values() for p in members}
    active = _in_force(memberships, year, everyone)
    mine = active.filter(pl.col("country") == country).select(
        "organisation", "organisation_name", "kind", "status", pl.col("carried_forward").alias("__mine")
    )
    poles = pl.DataFrame(
        [(pole, i, p) for i, (pole, members) in enumerate(partners.items()) for p in sorted(members) if p != country],
        schema={"pole": pl.Utf8, "__order": pl.Int32, "country": pl.Utf8},
        orient="row",
    )
    theirs = active.join(poles, on="country").group_by("pole", "__order", "organisation").agg(
        pl.col("country").sort().alias("members"), pl.col("carried_forward").any().alias("__theirs")
    )
    return (
        mine.join(theirs, on="organisation")
        .with_columns((pl.col("__mine") | pl.col("__theirs")).alias("carried_forward"))
        .sort("__order", "kind", "organisation")
        .select("pole", "organisation", "organisation_name", "kind", "status", "members", "carried_forward")
    )
