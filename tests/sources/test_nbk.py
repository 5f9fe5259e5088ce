"""National Bank of Kazakhstan: the daily USD/KZT series and the get_rates.cfm XML answer."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    cp1251,
    csv_format_cases,
    duplicate_row,
    empty,
    rename_column,
    set_cell,
    truncated,
)
from .text_mutations import other_sample, replace_text

CSV = "nbk/nbk_official_USD_KZT_daily_2022-02_2022-03_excerpt.csv"
XML = "nbk/nbk_get_rates_2026-08-01_excerpt.xml"
EXACT = 1e-12  # rates are read and divided, never rounded
CROSS_RATE_BAND = 0.03  # SOURCE.md: NBK vs CBR-implied USD/KZT, |deviation| ≤ 3 % on first business days


def fx(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("nbk").read(path).tables["fx"])


class TestNbkCsv(SourceContract):
    source_id = "nbk"
    sample = CSV
    tables = {"fx"}
    min_rows = 43
    bad_cases = [
        *csv_format_cases(),
        BadCase("header_renamed", rename_column("usd_kzt", "usd"), r"row 1: missing column.*'usd_kzt'"),
        BadCase("non_numeric", set_cell("usd_kzt", "43O,5", line=4), r"row 4 column 'usd_kzt': '43O,5' is not a number"),
        BadCase("missing_value", set_cell("usd_kzt", "", line=11), r"row 11 column 'usd_kzt': missing value"),
        BadCase("negative", set_cell("usd_kzt", "-433.5", line=5), r"row 5 column 'usd_kzt': -433.5 is not positive"),
        BadCase("zero", set_cell("usd_kzt", "0", line=7), r"row 7 column 'usd_kzt': 0.0 is not positive"),
        BadCase("inverted", set_cell("usd_kzt", "0.00231", line=8), r"row 8 column 'usd_kzt': 0.00231 tenge per dollar is implausible"),
        BadCase("duplicate_date", duplicate_row(3), r"row 3: duplicate key \{'date': datetime.date\(2022, 2, 2\).*also at row 45"),
        BadCase("before_tenge", set_cell("date", "1992-01-06", line=9), r"row 9 column 'date': '1992-01-06' is outside 1993-11-15"),
        BadCase("future_date", set_cell("date", "2099-01-05", line=9), r"row 9 column 'date': '2099-01-05' is outside"),
        BadCase("not_a_date", set_cell("date", "2022-02-30", line=10), r"row 10 column 'date': '2022-02-30' is not a date"),
    ]


class TestNbkXml(SourceContract):
    source_id = "nbk"
    sample = XML
    tables = {"fx"}
    min_rows = 5
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("garbage", binary_garbage, r"row 1: not well-formed XML"),
        BadCase("truncated", truncated, r"row \d+: not well-formed XML"),
        BadCase("cp1251_declared_utf8", cp1251, r"row 6: not well-formed XML: not well-formed \(invalid token\) \(the bytes are not UTF-8"),
        BadCase("no_usd_real_answer", other_sample("nbk/nbk_get_rates_2024-05-06_no_usd_excerpt.xml"),
                r"row 10: no USD rate on 2024-05-06"),
        BadCase("unknown_currency", replace_text("<title>RUB</title>", "<title>XYZ</title>"),
                r"row 13 column 'title': unknown currency code 'XYZ'"),
        BadCase("non_numeric", replace_text("<description>5.94</description>", "<description>5,9A</description>"),
                r"row 13 column 'description': '5,9A' is not a number"),
        BadCase("zero_quant", replace_text("<quant>100</quant>", "<quant>0</quant>"),
                r"row 21 column 'quant': 0.0 is not a positive number"),
        BadCase("negative_rate", replace_text("<description>13.05</description>", "<description>-13.05</description>"),
                r"row 29 column 'description': -13.05 is not a positive number"),
        BadCase("no_date", replace_text("<date>01.08.2026</date>", ""), r"row 2 column 'date': no <date> element"),
        BadCase("date_out_of_range", replace_text("<date>01.08.2026</date>", "<date>01.08.1990</date>"),
                r"row 4 column 'date': '01.08.1990' is outside 1993-11-15"),
        BadCase("not_a_date", replace_text("<date>01.08.2026</date>", "<date>2026-08-01</date>"),
                r"row 4 column 'date': '2026-08-01' is not a date \(DD.MM.YYYY\)"),
        BadCase("duplicate_currency", replace_text("<title>AMD</title>", "<title>RUB</title>"),
                r"duplicate key \{'date': datetime.date\(2026, 8, 1\), 'currency': 'RUB'\}"),
        BadCase("wrong_root", replace_text("rates>", "ValCurs>", count=2), r"row 2: root element is <ValCurs>"),
    ]


def test_xml_rates_are_divided_by_quant_and_crossed_through_usd(samples):
    """01.08.2026: USD 473.59 KZT; RUB 5.94 per 1; UZS 3.96 per 100; AMD 13.05 per 10; IRR 11.24 per 10 000."""
    t = fx(samples / XML)
    got = dict(zip(t["currency"], t["per_usd"], strict=True))
    assert set(t["date"]) == {dt.date(2026, 8, 1)}
    assert got["KZT"] == pytest.approx(473.59, rel=EXACT)
    assert got["RUB"] == pytest.approx(473.59 / 5.94, rel=EXACT)
    assert got["UZS"] == pytest.approx(473.59 / (3.96 / 100), rel=EXACT)
    assert got["AMD"] == pytest.approx(473.59 / (13.05 / 10), rel=EXACT)
    assert got["IRR"] == pytest.approx(473.59 / (11.24 / 10_000), rel=EXACT)
    assert "USD" not in got  # 1 per USD by definition: not stored


def test_csv_excerpt_shows_the_2022_devaluation(samples):
    """NBK official: 437.22 on 2022-02-24, 495.0 on 2022-03-01, peak 512.19 on 2022-03-16 (rows as published)."""
    t = fx(samples / CSV).filter(pl.col("currency") == "KZT")
    rate = dict(zip(t["date"], t["per_usd"], strict=True))
    assert rate[dt.date(2022, 2, 24)] == 437.22
    assert rate[dt.date(2022, 3, 1)] == 495.0
    assert max(rate.values()) == rate[dt.date(2022, 3, 16)] == 512.19
    assert set(t["frequency"]) == {"daily"}


def test_xml_declared_windows_1251_reads_the_same(samples, tmp_path):
    from .text_mutations import reencoded

    again = reencoded("windows-1251", declare=True)(samples / XML, tmp_path)
    assert fx(again).equals(fx(samples / XML))


@pytest.mark.shared
def test_full_series(shared):
    """668 published days 2021-05-10 … 2023-12-29 (SOURCE.md), no duplicates, all KZT."""
    t = fx(shared / "fx/nbk_official_USD_KZT_daily_2021-05-10_2023-12-29.csv")
    assert t.height == 668
    assert (t["date"].min(), t["date"].max()) == (dt.date(2021, 5, 10), dt.date(2023, 12, 29))
    assert set(t["currency"]) == {"KZT"}


@pytest.mark.shared
def test_agrees_with_cbr_implied_cross_rate(shared):
    """Cross-check (SOURCE.md validation): NBK USD/KZT vs CBR's USD/KZT = (RUB per USD)/(RUB per KZT) on the
    CBR's first-business-day dates 2021-06 … 2022-12, within ±3 % (the CBR fixes a day earlier; 2022 turmoil)."""
    nbk = fx(shared / "fx/nbk_official_USD_KZT_daily_2021-05-10_2023-12-29.csv").select("date", pl.col("per_usd").alias("nbk"))
    cbr = pl.from_arrow(get_source("cbr").read(shared / "fx/cbr_monthly_rub_per_unit_USD_EUR_KZT_UAH_BYR_2005_2022.csv").tables["fx"])
    cbr = cbr.filter((pl.col("currency") == "KZT") & (pl.col("date") >= dt.date(2021, 6, 1))).select("date", pl.col("per_usd").alias("cbr"))
    # the monthly rows are dated the 1st; the NBK's first published day of that month is the comparable one
    first = nbk.group_by(pl.col("date").dt.truncate("1mo").alias("month")).agg(pl.all().sort_by("date").first())
    j = cbr.join(first, left_on="date", right_on="month")
    assert j.height == 19
    assert ((j["nbk"] / j["cbr"] - 1).abs() <= CROSS_RATE_BAND).all()
