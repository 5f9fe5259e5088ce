"""Currency: co-movement of the country's exchange rate with each pole's currency (correlation, Frankel–Wei β).

Not split over the poles (one pair at a time), so it has no part in the balance index.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import polars as pl

from ..atlas import queries_measures as qm
from ..atlas.store import Atlas
from .base import (
    COVERAGE_SCHEMA,
    Context,
    Dimension,
    Reading,
    Section,
    empty_values,
    metric,
    metrics_frame,
    missing,
    sources_frame,
)

FX_WINDOW = 36  # aligned returns in the FX window: three years of monthly rates
# The fx table quotes units per US dollar; a pole's currency (USA: the numeraire itself).
POLE_CURRENCY = {"RUS": "RUB", "CHN": "CNY", "EU27": "EUR", "USA": "USD", "TUR": "TRY"}
COUNTRY_CURRENCY = {
    "KAZ": "KZT", "RUS": "RUB", "CHN": "CNY", "USA": "USD", "TUR": "TRY", "UZB": "UZS", "KGZ": "KGS",
    "TJK": "TJS", "TKM": "TMT", "ARM": "AMD", "AZE": "AZN", "GEO": "GEL", "BLR": "BYN", "UKR": "UAH",
    "MDA": "MDL", "MNG": "MNT", "IRN": "IRR", "AFG": "AFN", "PAK": "PKR", "IND": "INR", "JPN": "JPY",
    "KOR": "KRW", "GBR": "GBP", "CHE": "CHF", "NOR": "NOK", "SWE": "SEK", "POL": "PLN", "CZE": "CZK",
    "HUN": "HUF", "ROU": "RON", "BGR": "BGN", "DNK": "DKK", "ARE": "AED", "SAU": "SAR",
}


def currency_of(iso3: str, year: int) -> str | None:
    """The currency whose rates stand for ``iso3`` (a pole id or a country) in ``year``; None when unknown."""
    if iso3 in POLE_CURRENCY:
        return POLE_CURRENCY[iso3]
    euro = _euro_year(iso3)
    if euro is not None and euro <= year:
        return "EUR"
    return COUNTRY_CURRENCY.get(iso3)


@cache
def _euro_year(iso3: str) -> int | None:
    from ..countries import _converter, _int_or_none

    data = _converter().data
    hit = data.loc[data["ISO3"] == iso3, "EURO"]
    return _int_or_none(hit.iloc[0]) if len(hit) else None



FX_DEF = (
    "Log returns r_t = ln e_t − ln e_{t−1} of rates e in units per US dollar (positive = depreciation against USD), "
    "aligned by date; over the last W returns up to the end of the year: correlation ρ = corr(r^c, r^P) and the "
    "Frankel–Wei slope β = cov(r^c, r^P)/var(r^P) (weight of the pole's currency in the implicit basket, the "
    "dollar taking the rest)."
)


def _fx(ctx: Context, window: int) -> Section:
    from ..measures.fx import rolling_beta

    mine, theirs = currency_of(ctx.country, ctx.year), currency_of(ctx.on, ctx.year)
    if theirs == "USD":
        return missing("fx", FX_DEF, "the fx table is quoted per US dollar: USD is the numeraire, so co-movement "
                        "with the dollar is not a return pair (β on USD is undefined)", status="n/a")
    if mine is None or theirs is None:
        who = ctx.country if mine is None else ctx.on
        return missing("fx", FX_DEF, f"no currency known for {who}")
    if mine == theirs:
        return missing("fx", FX_DEF, f"{ctx.country} and {ctx.on} share the currency {mine}", status="n/a")
    fx = qm.fx_pair(ctx.atlas, mine, theirs)
    if fx["currency"].n_unique() < 2:
        have = ", ".join(qm.fx_currencies(ctx.atlas))
        lacking = [c for c in (mine, theirs) if c not in have.split(", ")]
        why = (f"the atlas has no {' or '.join(lacking)} rates (fx currencies: {have})" if lacking
               else f"no source quotes both {mine} and {theirs} on common dates")
        return missing("fx", FX_DEF, why)
    beta = rolling_beta(fx, currency=mine, on=theirs, window=window).filter(
        pl.col("date").dt.year() <= ctx.year).drop_nulls("corr")
    sources = sources_frame(ctx.atlas, [("fx", fx["source"].unique().to_list())])
    last = beta.tail(1)
    if last.height == 0 or last["date"][0].year != ctx.year:
        span = f"{fx['date'].min()}–{fx['date'].max()}"
        return missing("fx", FX_DEF, f"no {window}-return window of {mine} and {theirs} ends in {ctx.year} "
                        f"(rates {span}, {fx['frequency'][0]})", sources=sources)
    r = last.row(0, named=True)
    start = fx.filter(pl.col("currency") == theirs).filter(pl.col("date") <= r["date"]).tail(window + 1)["date"][0]
    rows = [metric("corr", f"correlation of returns with {theirs}", r["corr"], "−1–1", headline=True),
            metric("beta", f"β on {theirs} (Frankel–Wei)", r["beta"], "slope", headline=True),
            metric("returns", f"{fx['frequency'][0]} returns in the window", r["n"], "count",
               text=f"{mine} on {theirs}, {start} – {r['date']}")]
    detail = beta.filter(pl.col("date").dt.year() == ctx.year)
    return Section("fx", "ok", FX_DEF, metrics_frame(rows), detail, sources)


class FxDimension(Dimension):
    id = "fx"
    label = "Currency"
    definition = FX_DEF
    parts = ()

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        return Reading(self.id, empty_values(), pl.DataFrame(schema=COVERAGE_SCHEMA))

    def section(self, ctx: Context) -> Section:
        return _fx(ctx, int(ctx.options.get("fx_window", FX_WINDOW)))


DIMENSION = FxDimension()
