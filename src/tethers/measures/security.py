r"""Security ties: arms imports by supplier, alliance membership flags, and foreign military presence.

* **Arms imports** are the ``trade`` rows of HS chapter 93 ("Arms and ammunition; parts and accessories
  thereof"): ``classification`` starting with ``HS`` and ``product == "93"``. Shares and concentration are
  those of :mod:`tethers.measures.trade` on these rows. Customs data miss most state-to-state transfers of
  major weapons (often unrecorded or classified elsewhere), so this measures the *recorded* trade in
  chapter 93 goods, not arms transfers in the SIPRI sense.
* **Alliance flags** say, for each country, organisation and year, whether the country was a member
  (``memberships`` table; by default organisations of kind ``security``, status ``full``).
* **Security ties** summarise the hand-kept ``security_ties`` table (facilities, leases, deployments,
  exercises, agreements) per host country, partner and year.

All functions are pure and set-based (joins and ``group_by``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import polars as pl

from ..countries import POLE_ORDER
from .trade import (
    FrameLike,
    as_frame,
    choose,
    normalised_hhi,
    partner_shares,
    pole_ids,
    pole_membership,
    pole_shares,
    where,
)

__all__ = ["arms_imports", "arms_concentration", "alliance_flags", "shared_alliances", "security_ties_summary"]

ARMS_PRODUCT = "93"


def arms_imports(
    trade: FrameLike,
    *,
    reporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    by: Literal["partner", "pole"] = "partner",
    poles: Sequence[str] = POLE_ORDER,
) -> pl.DataFrame:
    r"""Arms imports (HS 93) by supplier or by pole, with shares.

    .. math:: s_{rp} = M^{93}_{rp} / \sum_q M^{93}_{rq}

    Returns
    -------
    pl.DataFrame
        ``by="partner"``: ``[reporter, year, flow, partner, value_usd, share]`` (as
        :func:`~tethers.measures.trade.partner_shares`); ``by="pole"``: ``[reporter, year, flow, pole,
        value_usd, share]`` (as :func:`~tethers.measures.trade.pole_shares`, pole membership by year).
        Current USD; shares 0–1; a zero total gives ``NaN``.
    """
    choose("by", by, ("partner", "pole"))
    rows = _arms_rows(trade)
    if by == "partner":
        return partner_shares(rows, reporter=reporter, year=year, flow="import", product=ARMS_PRODUCT)
    return pole_shares(rows, poles=poles, reporter=reporter, year=year, flow="import", product=ARMS_PRODUCT)


def arms_concentration(
    trade: FrameLike,
    *,
    reporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
) -> pl.DataFrame:
    r"""Supplier concentration of arms imports: :math:`HHI = \sum_p s_{rp}^2` and its normalised form.

    Returns
    -------
    pl.DataFrame
        ``[reporter, year, value_usd, n_suppliers, hhi, hhi_norm, top_supplier, top_share]``; *N* for the
        normalisation = suppliers with positive imports; zero total → ``NaN`` and null top supplier.
    """
    s = arms_imports(trade, reporter=reporter, year=year)
    keys = ["reporter", "year"]
    out = s.group_by(keys).agg(
        value_usd=pl.col("value_usd").sum(),
        n_suppliers=(pl.col("value_usd") > 0).sum(),
        hhi=(pl.col("share") ** 2).sum(),
        top_supplier=pl.col("partner").sort_by(["value_usd", "partner"], descending=[True, False]).first(),
        top_share=pl.col("share").max(),
    )
    return (
        out.with_columns(
            hhi_norm=normalised_hhi(pl.col("hhi"), pl.col("n_suppliers")),
            top_supplier=pl.when(pl.col("value_usd") > 0).then(pl.col("top_supplier")),
        )
        .sort(keys)
        .select(*keys, "value_usd", "n_suppliers", "hhi", "hhi_norm", "top_supplier", "top_share")
    )


def alliance_flags(
    memberships: FrameLike,
    *,
    year: int | Iterable[int],
    country: str | Iterable[str] | None = None,
    organisations: str | Iterable[str] | None = None,
    kind: str | Iterable[str] | None = "security",
    status: str | Iterable[str] = "full",
) -> pl.DataFrame:
    r"""Membership flag of each country in each organisation, per year.

    .. math:: m_{cot} = \mathbb{1}\bigl[\exists\ \text{spell}: \text{joined} \le t \le \text{left}\bigr]

    A spell with ``left`` null is ongoing up to the source's ``observed_to``; after that year the flag is
    unknown (null) rather than assumed. A country with no spell in the organisation is ``False`` up to the
    organisation's last observed year and null after it.

    Parameters
    ----------
    memberships : the canonical ``memberships`` table.
    year : one or several years.
    country : countries to report (default: every country in the selected spells).
    organisations, kind, status : filters on the spells (``kind=None`` = every kind).

    Returns
    -------
    pl.DataFrame
        ``[year, country, organisation, member]`` with ``member`` true / false / null (unknown).
    """
    years = [year] if isinstance(year, int) else sorted(set(year))
    spells = where(as_frame(memberships), organisation=organisations, kind=kind, status=status)
    spells = spells.select("organisation", "country", "joined", "left", "observed_to")
    orgs = spells.group_by("organisation").agg(org_observed_to=pl.col("observed_to").max())
    if country is None:
        who = spells.select("country").unique()
    else:
        who = pl.DataFrame({"country": [country] if isinstance(country, str) else list(country)})
    grid = (
        who.join(orgs, how="cross")
        .join(pl.DataFrame({"year": years}, schema={"year": pl.Int32}), how="cross")
        .join(spells, on=["organisation", "country"], how="left")
    )
    y = pl.col("year")
    state = (
        pl.when(pl.col("joined").is_null())
        .then(pl.when(y <= pl.col("org_observed_to")).then(False).otherwise(None))
        .when(y < pl.col("joined"))
        .then(False)
        .when(pl.col("left").is_not_null())
        .then(y <= pl.col("left"))
        .when(y <= pl.col("observed_to"))
        .then(True)
        .otherwise(None)
    )
    out = (
        grid.with_columns(state=state)
        .group_by(["year", "country", "organisation"])
        .agg(any_true=pl.col("state").any(), any_unknown=pl.col("state").is_null().any())
        .with_columns(
            member=pl.when(pl.col("any_true")).then(True).when(pl.col("any_unknown")).then(None).otherwise(False)
        )
    )
    return out.sort(["year", "country", "organisation"]).select("year", "country", "organisation", "member")


def shared_alliances(
    memberships: FrameLike,
    *,
    country: str,
    year: int | Iterable[int],
    kind: str | Iterable[str] | None = "security",
    status: str | Iterable[str] = "full",
) -> pl.DataFrame:
    """Partners with which ``country`` shares membership of an organisation (by default a security one).

    Returns
    -------
    pl.DataFrame
        ``[year, country, partner, n_shared, organisations]``: ``organisations`` is the ``;``-joined sorted
        list of organisations both were members of in that year (flags true, per :func:`alliance_flags`).
        Partners sharing none are absent.
    """
    flags = alliance_flags(memberships, year=year, kind=kind, status=status).filter(pl.col("member") == True)  # noqa: E712
    mine = flags.filter(pl.col("country") == country).select("year", "organisation")
    others = flags.filter(pl.col("country") != country).rename({"country": "partner"})
    j = mine.join(others, on=["year", "organisation"], how="inner")
    return (
        j.group_by(["year", "partner"])
        .agg(n_shared=pl.len(), organisations=pl.col("organisation").sort().str.join(";"))
        .with_columns(country=pl.lit(country))
        .sort(["year", "n_shared", "partner"], descending=[False, True, False])
        .select("year", "country", "partner", "n_shared", "organisations")
    )


def security_ties_summary(
    ties: FrameLike,
    *,
    year: int | Iterable[int],
    country: str | Iterable[str] | None = None,
    poles: Sequence[str] = POLE_ORDER,
) -> pl.DataFrame:
    """Foreign military presence and security ties per host country, partner and year.

    A tie is active in year *t* when ``start_date.year ≤ t`` and (``end_date`` is null or
    ``end_date.year ≥ t``): active at any time during the year.

    Returns
    -------
    pl.DataFrame
        ``[year, country, partner, pole, n_active, kinds, names]``: ``kinds`` and ``names`` are the sorted,
        ``;``-joined distinct kinds and names of the active ties; ``pole`` is the partner's pole that year
        (``ROW`` if none). Partners with no active tie in the year are absent.
    """
    years = [year] if isinstance(year, int) else sorted(set(year))
    df = where(as_frame(ties), country=country)
    y = pl.col("year")
    active = (
        df.join(pl.DataFrame({"year": years}, schema={"year": pl.Int32}), how="cross")
        .filter(
            (pl.col("start_date").cast(pl.Date).dt.year() <= y)
            & (pl.col("end_date").is_null() | (pl.col("end_date").cast(pl.Date).dt.year() >= y))
        )
    )
    member = pole_membership(years, poles=pole_ids(poles))
    out = (
        active.group_by(["year", "country", "partner"])
        .agg(
            n_active=pl.len(),
            kinds=pl.col("kind").unique().sort().str.join(";"),
            names=pl.col("name").unique().sort().str.join(";"),
        )
        .join(member, on=["year", "partner"], how="left")
        .with_columns(
            pole=pl.when(pl.col("partner") == pl.col("country")).then(pl.lit("ROW")).otherwise(
                pl.col("pole").fill_null("ROW")
            )
        )
    )
    return out.sort(["year", "country", "n_active", "partner"], descending=[False, False, True, False]).select(
        "year", "country", "partner", "pole", "n_active", "kinds", "names"
    )


def _arms_rows(trade: FrameLike) -> pl.DataFrame:
    """Rows of HS chapter 93 in any HS vintage (HS92, HS02, HS17, …)."""
    return as_frame(trade).filter(pl.col("classification").str.starts_with("HS"))
