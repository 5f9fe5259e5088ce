"""One CPI source per country (tethers.atlas.queries.one_price_source): the statistical office before the OECD
before the World Bank compilation; a country's months are never a mix of two publishers."""

from __future__ import annotations

import datetime as dt

import polars as pl

from tethers.atlas.queries import PRICE_PRECEDENCE, one_price_source


def _rows(country: str, source: str, months: int, value: float) -> list[dict]:
    return [{"date": dt.date(2021, m, 1), "country": country, "series": "all", "measure": "mom_index",
             "value": value, "source": source} for m in range(1, months + 1)]


def test_publisher_before_compilation_and_no_mix():
    df = pl.DataFrame(
        _rows("KAZ", "wb_inflation", 12, 100.5) + _rows("KAZ", "kz_cpi", 6, 100.7)  # the WB has more months
        + _rows("RUS", "wb_inflation", 3, 100.4) + _rows("RUS", "oecd_mei_cpi", 3, 100.6)
        + _rows("NGA", "wb_inflation", 4, 101.0)
    )
    out = one_price_source(df)
    got = {c: set(out.filter(pl.col("country") == c)["source"]) for c in ("KAZ", "RUS", "NGA")}
    assert got == {"KAZ": {"kz_cpi"}, "RUS": {"oecd_mei_cpi"}, "NGA": {"wb_inflation"}}
    assert out.filter(pl.col("country") == "KAZ").height == 6  # the BNS months only, not topped up from the WB
    assert out.height == 6 + 3 + 4


def test_unlisted_sources_come_after_the_listed_ones_by_name():
    df = pl.DataFrame(_rows("ARM", "zz_office", 2, 100.1) + _rows("ARM", "aa_office", 2, 100.2)
                      + _rows("GEO", "zz_office", 2, 100.1) + _rows("GEO", PRICE_PRECEDENCE[-1], 2, 100.3))
    out = one_price_source(df)
    assert set(out.filter(pl.col("country") == "ARM")["source"]) == {"aa_office"}
    assert set(out.filter(pl.col("country") == "GEO")["source"]) == {PRICE_PRECEDENCE[-1]}


def test_empty_frame_passes_through():
    empty = pl.DataFrame(schema={"date": pl.Date, "country": pl.Utf8, "series": pl.Utf8, "measure": pl.Utf8,
                                 "value": pl.Float64, "source": pl.Utf8})
    assert one_price_source(empty).height == 0
