"""Market exchange rates: Investing.com exports (raw, nested, cleaned) and the Yahoo compilation.

The samples are a few dozen rows of Investing.com / Yahoo Finance data kept as test fixtures only;
those providers license their data for personal/research use, and tethers never ships it (no pack input).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources.market import decimal_mark, pair_from_name

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    cp1251,
    duplicate_row,
    empty,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)
from .text_mutations import renamed, replace_text

CLEAN = "market/investing_USD_RUB_daily_2022-02_2022-03_excerpt.csv"
RAW = "market/investing_USD_RUB_daily_2022-02_2022-03_raw_excerpt.csv"
RAW_MONTHLY = "market/investing_USD_KZT_monthly_2021-01_2022-09_raw_excerpt.csv"
CLEAN_MONTHLY = "market/investing_USD_KZT_monthly_2021-01_2022-09_excerpt.csv"
YAHOO = "market/yahoo_daily_USDKZT_EURKZT_brent_2022-02_2022-03_excerpt.csv"
PUBLISHED_2DP = 0.005  # fx/SOURCE.md quotes the shock to two decimals: 84.05 → 143.00
SOURCE_MD_YAHOO_VS_NBK = 0.03  # fx/SOURCE.md: NBK vs Yahoo USDKZT=X, max deviation 2.9 % over 224 days


def fx(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("market").read(path).tables["fx"])


def on(t: pl.DataFrame, currency: str, day: dt.date) -> float:
    return t.filter((pl.col("currency") == currency) & (pl.col("date") == day))["per_usd"].item()


class TestInvestingClean(SourceContract):
    source_id = "market"
    sample = CLEAN
    tables = {"fx"}
    min_rows = 43
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter: expected ',', the header uses ';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("header_renamed", rename_column("close", "price"), r"row 1: unknown header: expected Investing.com"),
        BadCase("non_numeric", set_cell("close", "84,O5", line=4), r"row 4 column 'close': '84,O5' is not a number"),
        BadCase("negative", set_cell("close", "-84.05", line=5), r"row 5 column 'close': -84.05 is not a positive rate"),
        BadCase("zero", set_cell("close", "0", line=5), r"row 5 column 'close': 0.0 is not a positive rate"),
        BadCase("missing_value", set_cell("close", "", line=6), r"row 6 column 'close': missing value"),
        BadCase("duplicate_date", duplicate_row(3), r"row 3: duplicate key \{'date': datetime.date\(2022, 2, 2\), 'currency': 'RUB'\} \(also at row 45\)"),
        BadCase("date_too_early", set_cell("date", "1969-12-31", line=7), r"row 7 column 'date': '1969-12-31' is outside 1970-01-01"),
        BadCase("future_date", set_cell("date", "2099-01-02", line=7), r"row 7 column 'date': '2099-01-02' is outside"),
        BadCase("not_a_date", set_cell("date", "2022-02-30", line=8), r"row 8 column 'date': '2022-02-30' is not a date"),
        BadCase("no_pair_in_name", renamed("historical_data.csv"), r"historical_data.csv: the file name must name a USD pair"),
        BadCase("unknown_currency_in_name", renamed("USD_XYZ Historical Data.csv"), r"unknown currency code 'XYZ' in the file name"),
    ]


class TestInvestingRawNested(SourceContract):
    source_id = "market"
    sample = RAW
    tables = {"fx"}
    min_rows = 43
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: row has \d fields, the header 7 \(truncated file\?\)"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter: expected ',', the header uses ';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("non_numeric", replace_text('""84,0475""', '""84,O475""'), r"row 27 column 'Price': '84,O475' is not a number"),
        BadCase("negative", replace_text('""143,0000""', '""-143,0000""'), r"row 20 column 'Price': -143.0 is not a positive rate"),
        BadCase("not_a_date", replace_text("02/24/2022", "02/30/2022"), r"row 27 column 'Date': '02/30/2022' is not a date \(MM/DD/YYYY or Mon DD, YYYY or DD.MM.YYYY\)"),
        BadCase("duplicate_date", replace_text("03/31/2022", "03/30/2022"), r"row 2: duplicate key \{'date': datetime.date\(2022, 3, 30\), 'currency': 'RUB'\} \(also at row 3\)"),
        BadCase("no_price_column", replace_text('""Price""', '""Close""'), r"row 1: unknown header: expected Investing.com \(\"Date\",\"Price\""),
    ]


class TestInvestingRawMonthly(SourceContract):
    source_id = "market"
    sample = RAW_MONTHLY
    tables = {"fx"}
    min_rows = 21
    bad_cases = [
        BadCase("non_numeric", replace_text('"476.000"', '"476.0O0"'), r"row 2 column 'Price': '476.0O0' is not a number"),
        BadCase("not_a_date", replace_text('"09/01/2022"', '"2022-09-01"'), r"row 2 column 'Date': '2022-09-01' is not a date"),
        BadCase("truncated", truncated, r"row 6: row has \d fields, the header 7"),
    ]


class TestInvestingCleanMonthly(SourceContract):
    source_id = "market"
    sample = CLEAN_MONTHLY
    tables = {"fx"}
    min_rows = 21
    bad_cases = [BadCase("duplicate_month", duplicate_row(2), r"row 2: duplicate key \{'date': datetime.date\(2021, 1, 1\).*also at row 23")]


class TestYahoo(SourceContract):
    source_id = "market"
    sample = YAHOO
    tables = {"fx"}
    min_rows = 38 * 2
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("unknown_column", rename_column("BR", "XX"), r"row 1: unknown header: expected Investing.com"),
        BadCase("non_numeric", set_cell("USD", "432,1", line=4), r"row 4 column 'USD': '432,1' is not a number"),
        BadCase("negative", set_cell("EUR", "-480.1", line=5), r"row 5 column 'EUR': -480.1 is not a positive rate"),
        BadCase("missing_value", set_cell("USD", "", line=6), r"row 6 column 'USD': missing value"),
        BadCase("duplicate_date", duplicate_row(3), r"row 3: duplicate key \{'date': datetime.date\(2022, 2, 2\), 'currency': 'USD'\} \(also at row 40\)"),
        BadCase("date_too_early", set_cell("Date", "1969-01-01", line=7), r"row 7 column 'Date': '1969-01-01' is outside 1970-01-01"),
        BadCase("not_usd_based_name", renamed("yahoo_daily_EURKZT.csv"), r"the file name must name a USD pair"),
    ]


@pytest.mark.parametrize("sample", [CLEAN, RAW])
def test_usd_rub_shock_of_march_2022(samples, sample):
    """fx/SOURCE.md: Investing.com USD/RUB 84.05 on 2022-02-24 → 143.00 on 2022-03-07."""
    t = fx(samples / sample)
    assert on(t, "RUB", dt.date(2022, 2, 24)) == pytest.approx(84.05, abs=PUBLISHED_2DP)
    assert on(t, "RUB", dt.date(2022, 3, 7)) == pytest.approx(143.00, abs=PUBLISHED_2DP)
    assert set(t["frequency"]) == {"daily"}


@pytest.mark.parametrize(("raw", "clean"), [(RAW, CLEAN), (RAW_MONTHLY, CLEAN_MONTHLY)])
def test_raw_export_equals_cleaned_copy(samples, raw, clean):
    """Cross-check: the nested/comma-decimal raw export and the cleaned copy give the same table."""
    assert fx(samples / raw).sort("date").equals(fx(samples / clean).sort("date"))


@pytest.mark.parametrize(
    "fmt", ["%b %d, %Y", "%d.%m.%Y"], ids=["Mon DD, YYYY", "DD.MM.YYYY"]
)
def test_other_investing_date_styles(samples, tmp_path, fmt):
    """Older English exports write 'Sep 01, 2022', Russian-locale ones '01.09.2022': same rows."""
    import re

    src = samples / RAW_MONTHLY
    text = src.read_text(encoding="utf-8-sig")
    text = re.sub(r'"(\d\d)/(\d\d)/(\d{4})"', lambda m: '"' + dt.date(int(m[3]), int(m[1]), int(m[2])).strftime(fmt) + '"', text)
    out = tmp_path / src.name
    out.write_text(text, encoding="utf-8")
    assert fx(out).equals(fx(src))


def test_monthly_detected_and_dated_first_of_month(samples):
    t = fx(samples / RAW_MONTHLY)
    assert set(t["frequency"]) == {"monthly"} and (t["date"].dt.day() == 1).all()
    assert on(t, "KZT", dt.date(2022, 9, 1)) == 476.0


def test_yahoo_cross_rates_and_brent_skipped(samples):
    """2022-03-07 row: USD 507.28, EUR 552.37 KZT → KZT per USD = USD column, EUR per USD = USD / EUR."""
    t = fx(samples / YAHOO)
    assert set(t["currency"]) == {"KZT", "EUR"}  # BR (Brent) is not an exchange rate
    raw = pl.read_csv(samples / YAHOO).filter(pl.col("Date") == "2022-03-07")
    usd, eur = raw["USD"].item(), raw["EUR"].item()
    assert on(t, "KZT", dt.date(2022, 3, 7)) == usd
    assert on(t, "EUR", dt.date(2022, 3, 7)) == pytest.approx(usd / eur, rel=1e-12)


def test_quote_usd_pair_is_inverted(samples, tmp_path):
    """Round trip: a RUB_USD file (USD per RUB = 1 / close of USD_RUB) reads back as RUB per USD."""
    clean = pl.read_csv(samples / CLEAN, infer_schema=False).with_columns((1.0 / pl.col("close").cast(pl.Float64)).alias("close"))
    out = tmp_path / "RUB_USD Historical Data.csv"
    clean.write_csv(out)
    assert on(fx(out), "RUB", dt.date(2022, 3, 7)) == pytest.approx(143.0, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "pair"),
    [
        ("USD_RUB Historical Data.csv", ("USD", "RUB")),
        ("investing_USD_KZT_monthly_2002_2022-09.csv", ("USD", "KZT")),
        ("yahoo_daily_USDKZT_EURKZT_brent_2008_2022-03.csv", ("USD", "KZT")),
        ("EUR_USD Historical Data.csv", ("EUR", "USD")),
        ("Historical Data.csv", None),
    ],
)
def test_pair_from_name(name, pair):
    assert pair_from_name(name) == pair


@pytest.mark.parametrize(
    ("values", "mark"),
    [(["88,2513", "87,5013"], ","), (["476.000"], "."), (["1,234.50"], "."), (["1.234,50"], ","), (["42"], ".")],
)
def test_decimal_mark(values, mark):
    assert decimal_mark(values) == mark


def test_never_shipped(tmp_path):
    from tethers.atlas.pack import build_pack

    src = get_source("market")
    assert src.redistributable is False and src.pack_inputs == ()
    assert build_pack(tmp_path, tmp_path / "pack", only=["market"])["entries"] == []


@pytest.mark.shared
@pytest.mark.parametrize(
    ("raw", "clean", "rows"),
    [
        ("investing_USD_RUB_daily_2019-04_2024-06_raw.csv", "investing_USD_RUB_daily_2019-04_2024-06.csv", 1309),
        ("investing_USD_KZT_monthly_2002_2022-09_raw.csv", "investing_USD_KZT_monthly_2002_2022-09.csv", 272),
    ],
)
def test_full_raw_exports_equal_cleaned_copies(shared, raw, clean, rows):
    a, b = fx(shared / "fx" / raw).sort("date"), fx(shared / "fx" / clean).sort("date")
    assert a.height == rows and a.equals(b)


@pytest.mark.shared
def test_full_yahoo_agrees_with_nbk(shared):
    """fx/SOURCE.md: Yahoo USDKZT=X vs NBK official over their 224 common days, max deviation 2.9 % (< 3 %)."""
    y = fx(shared / "fx/yahoo_daily_USDKZT_EURKZT_brent_2008_2022-03.csv")
    assert y.height == 3439 * 2
    nbk = pl.from_arrow(get_source("nbk").read(shared / "fx/nbk_official_USD_KZT_daily_2021-05-10_2023-12-29.csv").tables["fx"])
    j = y.filter(pl.col("currency") == "KZT").join(nbk, on=["date", "currency"], suffix="_nbk")
    assert j.height == 224
    dev = (j["per_usd"] / j["per_usd_nbk"] - 1).abs().max()
    assert 0.02 < dev < SOURCE_MD_YAHOO_VS_NBK
