"""Reading tidy frames out of the atlas, with source precedence. The I/O side of the measures.

Several publishers can cover the same figure (a country's own statistics, Comtrade, BACI, …). The
atlas keeps them all (``source`` is part of every key); these functions pick one source per
country-year by a documented precedence so that no figure is double counted, and say which.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import polars as pl

from ..errors import DataNotAvailableError
from .store import Atlas

# A reporter's own customs statistics first, then the international compilations.
# The trade dimension takes, per (year, flow), the first of these that passes the coverage rule
# (tethers.dimensions.trade.best_rows): the country's own statistics, then reporter-declared compilations (Comtrade,
# IMF DOTS in its two formats), then member states' declarations (Eurostat), then mirror-based BACI, then WTO.
TRADE_PRECEDENCE: tuple[str, ...] = ("kz_bns", "comtrade", "imf_dots", "imf_dots_xlsx", "eurostat", "baci", "wto")
# Roll calls: the curated Voeten data first, then the UN Digital Library scrapes, then the Voeten-derived
# wide file (2022-2024; no symbols, some tallies differ from the record, so it only fills roll calls the
# others lack — see tethers.atlas.roll_calls).
VOTE_PRECEDENCE: tuple[str, ...] = ("unvotes", "undl", "voeten_wide")
# Consumer prices: the statistical office's own series (Kazakhstan's BNS), then the OECD's Main Economic
# Indicators, then the World Bank's Global Database of Inflation (a compilation of national series for every
# country, used where a country has nothing else, and for cross-country comparisons on one basis).
PRICE_PRECEDENCE: tuple[str, ...] = ("kz_cpi", "oecd_mei_cpi", "wb_inflation")
# Sources that record only yes/no/abstain: an absence there is "not recorded", not zero.
NO_ABSENCES: frozenset[str] = frozenset({"unvotes"})


_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_KEEP = 256  # entries kept per atlas (a profile loop: votes, memberships, provenance, routes, each pole's imports)
_KEEP_BYTES = 256 * 2**20


def kept(atlas: Atlas, key: tuple, read: Callable[[], Any]) -> Any:
    """``read()`` once per open atlas and ``key``, for country-independent frames (a year's roll calls, the
    memberships, a table's provenance) that a loop over countries (``profile`` of many countries, the dashboard)
    would otherwise read again for every country. The connection is read-only, so the frame cannot change while
    the atlas is open; the frames go with the atlas object. Treat them as read-only (as the :meth:`Atlas.memo`
    frames)."""
    cache = _KEPT.setdefault(atlas, {})
    hit = cache.get(key)
    if hit is None:
        hit = cache[key] = read()
        # a long-lived atlas (the dashboard) asking for many year spans: the oldest out past 256 entries or 256 MB
        while len(cache) > 1 and (len(cache) > _KEEP or sum(
                v.estimated_size() for v in cache.values() if isinstance(v, pl.DataFrame)) > _KEEP_BYTES):
            del cache[next(iter(cache))]
    return hit


def provenance(atlas: Atlas, table: str) -> pl.DataFrame:
    """``atlas.provenance(table)``, read once per open atlas (:func:`kept`)."""
    return kept(atlas, ("provenance", table), lambda: atlas.provenance(table))


def _rank(col: str, order: tuple[str, ...]) -> pl.Expr:
    return pl.col(col).replace_strict({s: i for i, s in enumerate(order)}, default=len(order), return_dtype=pl.Int32)


def trade_totals(atlas: Atlas, reporter: str, year: int | None = None) -> pl.DataFrame:
    """Total-goods trade (``classification == 'TOTAL'``) reported by ``reporter``, one source per year.

    Returns canonical ``trade`` rows. Raises :class:`DataNotAvailableError` when the atlas has none.
    """
    params: list = [reporter]
    where = "reporter = ? AND classification = 'TOTAL'"
    if year is not None:
        where += " AND year = ?"
        params.append(year)
    df = atlas.sql(f"SELECT * FROM trade WHERE {where}", params)
    if df.height == 0:
        have = atlas.sql(
            "SELECT DISTINCT year FROM trade WHERE reporter = ? AND classification = 'TOTAL' ORDER BY year", [reporter]
        )["year"].to_list()
        span = f"years with data: {have[0]}–{have[-1]}" if have else "no total-trade data for this reporter"
        raise DataNotAvailableError(
            f"no total trade reported by {reporter}{f' in {year}' if year else ''} ({span}); "
            "add a Comtrade/IMF DOTS file with `tethers atlas add`"
        )
    best = df.with_columns(_rank("source", TRADE_PRECEDENCE).alias("__r")).group_by("year").agg(pl.col("__r").min())
    return df.with_columns(_rank("source", TRADE_PRECEDENCE).alias("__r")).join(best, on=["year", "__r"]).drop("__r")


def one_price_source(prices: pl.DataFrame) -> pl.DataFrame:
    """Canonical ``prices`` rows, one source per country: the first of :data:`PRICE_PRECEDENCE` that has the
    country (a source not listed comes after them, by name). A country's CPI is never a mix of two
    publishers' months (their bases and revisions differ)."""
    if prices.height == 0:
        return prices
    ranked = prices.with_columns(_rank("source", PRICE_PRECEDENCE).alias("__r"))
    best = ranked.group_by("country").agg(pl.col("__r").min(), pl.col("source").filter(
        pl.col("__r") == pl.col("__r").min()).min().alias("__s"))
    return (ranked.join(best, on=["country", "__r"]).filter(pl.col("source") == pl.col("__s"))
            .drop("__r", "__s").sort("country", "date", "series", "measure"))


def consumer_prices(atlas: Atlas, countries: list[str] | None = None, *, source: str | None = None) -> pl.DataFrame:
    """Canonical ``prices`` rows of ``countries`` (all when None), one source per country
    (:func:`one_price_source`), or exactly ``source`` for every country when given (a cross-country
    comparison on one basis, e.g. the World Bank's compilation)."""
    who = sorted(countries) if countries is not None else None
    df = atlas.sql("SELECT * FROM prices WHERE (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], country)) "
                   "AND (?::VARCHAR IS NULL OR source = ?) ORDER BY country, date", [who, who, source, source])
    return df if source is not None else one_price_source(df)


def votes(atlas: Atlas, *, year: int | None = None, years: tuple[int, int] | None = None) -> pl.DataFrame:
    """Roll-call votes, each roll call once: from the first source in :data:`VOTE_PRECEDENCE` that holds it
    (:func:`tethers.atlas.roll_calls.one_copy_per_roll_call`). Read once per open atlas (:func:`kept`)."""
    span = tuple(years) if years is not None else None
    return kept(atlas, ("votes", year, span), lambda: _votes(atlas, year, span))


def _votes(atlas: Atlas, year: int | None, years: tuple[int, int] | None) -> pl.DataFrame:
    where, params = [], []
    if year is not None:
        where.append("year(date) = ?")
        params.append(year)
    if years is not None:
        where.append("year(date) BETWEEN ? AND ?")
        params.extend(years)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    df = atlas.sql(f"SELECT *, year(date) AS year FROM votes{clause}", params)
    if df.height == 0:
        return df
    from .roll_calls import one_copy_per_roll_call

    return one_copy_per_roll_call(df, VOTE_PRECEDENCE)


def vote_on(atlas: Atlas, resolution: str) -> pl.DataFrame:
    """All recorded votes on one resolution, given as ``A/RES/68/262``, ``68/262``, ``ES-11/1`` or an rcid."""
    sym = normalise_resolution(resolution)
    df = atlas.sql("SELECT * FROM votes WHERE resolution = ? OR rcid = ?", [sym, resolution.strip()])
    if df.height == 0:
        raise DataNotAvailableError(f"no roll call for resolution {resolution!r} (looked for {sym}) in the atlas")
    df = df.with_columns(_rank("source", VOTE_PRECEDENCE).alias("__r"))
    return df.filter(pl.col("__r") == pl.col("__r").min()).drop("__r")


def normalise_resolution(text: str) -> str:
    """``'68/262'``, ``'A/RES/68/262'``, ``'res 68/262'``, ``'ES-11/1'`` → the UN symbol ``A/RES/…``;
    a draft symbol (``'A/77/L.65'``) is kept as it is."""
    import re

    t = text.strip().upper().replace(" ", "")
    if re.match(r"^A/(C\.\d/)?\d+/L\.\d+", t):  # a draft symbol (A/77/L.65): roll calls named by their draft
        return t
    t = re.sub(r"^(A/RES/|RES/|R/|A/)", "", t)
    return f"A/RES/{t}"


def memberships(atlas: Atlas) -> pl.DataFrame:
    """The ``memberships`` table, read once per open atlas (:func:`kept`)."""
    return kept(atlas, ("memberships",), lambda: atlas.table("memberships"))
