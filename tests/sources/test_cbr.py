"""Central Bank of Russia: the monthly compilation (roubles per unit) and the XML_daily answer."""

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
from .text_mutations import reencoded, replace_text

CSV = "cbr/cbr_monthly_rub_per_unit_2015-07_2016-12_2021-07_2022-12_excerpt.csv"
XML = "cbr/cbr_XML_daily_2023-09-27.xml"
EXACT = 1e-12
PUBLISHED_2DP = 0.005  # SOURCE.md quotes USD/RUB to two decimals
SAME_DAY_BAND = 0.01  # NBK fixes USD/KZT on its own market, the CBR a day earlier: ±1 % on a calm day


def fx(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("cbr").read(path).tables["fx"])


def rate(t: pl.DataFrame, currency: str, date: dt.date) -> float:
    return t.filter((pl.col("currency") == currency) & (pl.col("date") == date))["per_usd"].item()


class TestCbrMonthlyCsv(SourceContract):
    source_id = "cbr"
    sample = CSV
    tables = {"fx"}
    min_rows = 36 * 4
    bad_cases = [
        *csv_format_cases(),
        BadCase("usd_renamed", rename_column("USD", "USX"), r"row 1: missing column.*'USD'"),
        BadCase("unknown_currency", rename_column("KZT", "KZX"), r"row 1 column 'KZX': unknown currency column"),
        BadCase("non_numeric", set_cell("EUR", "7O.1", line=4), r"row 4 column 'EUR': '7O.1' is not a number"),
        BadCase("negative", set_cell("KZT", "-0.17", line=5), r"row 5 column 'KZT': -0.17 is not positive"),
        BadCase("zero", set_cell("USD", "0", line=6), r"row 6 column 'USD': 0.0 is not positive"),
        BadCase("usd_missing", set_cell("USD", "NONE", line=9), r"row 9: no USD rate on 2016-02-01"),
        BadCase("duplicate_month", duplicate_row(4), r"row 4: duplicate key \{'date': datetime.date\(2015, 9, 1\), 'currency': 'USD'\} \(also at row 38\)"),
        BadCase("month_out_of_range", set_cell("", "1991-12", line=7), r"row 7 column '\(month\)': '1991-12' is outside 1992-07-01"),
        BadCase("not_a_month", set_cell("", "2016-13", line=8), r"row 8 column '\(month\)': '2016-13' is not a date"),
    ]


class TestCbrXmlDaily(SourceContract):
    source_id = "cbr"
    sample = XML
    tables = {"fx"}
    min_rows = 43
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("garbage", binary_garbage, r"row 1: not well-formed XML"),
        BadCase("truncated", truncated, r"row \d+: not well-formed XML"),
        BadCase("cp1251_undeclared", cp1251, r"row 6: not well-formed XML.*not UTF-8 and the file declares no other"),
        BadCase("no_usd", replace_text("<CharCode>USD</CharCode>", "<CharCode>TWD</CharCode>"), r"row 2: no USD rate on 2023-09-27"),
        BadCase("unknown_currency", replace_text("<CharCode>KZT</CharCode>", "<CharCode>KZX</CharCode>"),
                r"row 128 column 'CharCode': unknown currency code 'KZX'"),
        BadCase("non_numeric", replace_text("<Value>20,3042</Value>", "<Value>20,3O42</Value>"),
                r"row 128 column 'Value': '20,3O42' is not a number"),
        BadCase("zero_nominal", replace_text("<Nominal>100</Nominal>", "<Nominal>0</Nominal>"), r"row 23 column 'Nominal': 0.0 is not positive"),
        BadCase("negative", replace_text("<Value>101,9888</Value>", "<Value>-101,9888</Value>"), r"row 100 column 'Value': -101.9888 is not positive"),
        BadCase("missing_value", replace_text("<Value>101,9888</Value>", ""), r"row 100 column 'Value': missing value"),
        BadCase("vunitrate_disagrees", replace_text("<Value>20,3042</Value>", "<Value>20,3042</Value><VunitRate>20,3042</VunitRate>"),
                r"row 128 column 'VunitRate': VunitRate 20.3042 disagrees with Value/Nominal = 0.203042"),
        BadCase("no_date", replace_text(' Date="27.09.2023"', ""), r"row 1 column 'Date': <ValCurs> has no Date attribute"),
        BadCase("date_out_of_range", replace_text("27.09.2023", "27.09.1991"), r"row 1 column 'Date': '27.09.1991' is outside 1992-07-01"),
        BadCase("duplicate_currency", replace_text("<CharCode>AZN</CharCode>", "<CharCode>AUD</CharCode>"),
                r"row 2: duplicate key \{'date': datetime.date\(2023, 9, 27\), 'currency': 'AUD'\} \(also at row 9\)"),
        BadCase("wrong_root", replace_text("ValCurs", "rates", count=2), r"row 1: root element is <rates>"),
    ]


def test_monthly_pins_usd_rub_march_2022(samples):
    """SOURCE.md: USD/RUB 77.47 on 2022-02-01 and 93.56 on 2022-03-01 (CBR, first business day)."""
    t = fx(samples / CSV)
    assert rate(t, "RUB", dt.date(2022, 2, 1)) == pytest.approx(77.47, abs=PUBLISHED_2DP)
    assert rate(t, "RUB", dt.date(2022, 3, 1)) == pytest.approx(93.56, abs=PUBLISHED_2DP)
    assert set(t["frequency"]) == {"monthly"}


def test_monthly_cross_rates_have_the_right_direction(samples):
    """Row 2022-03 (roubles per unit): USD 93.5589, EUR 104.4772, KZT 0.188393 →
    EUR per USD = 93.5589 / 104.4772 ≈ 0.8955 (< 1: a euro was worth more than a dollar),
    KZT per USD = 93.5589 / 0.188393 ≈ 496.6 (NBK official on 2022-03-01: 495.0)."""
    t = fx(samples / CSV)
    day = dt.date(2022, 3, 1)
    assert rate(t, "EUR", day) == pytest.approx(93.5589 / 104.4772, rel=EXACT)
    assert rate(t, "KZT", day) == pytest.approx(93.5589 / 0.188393, rel=EXACT)
    assert rate(t, "KZT", day) == pytest.approx(495.0, rel=SAME_DAY_BAND)


def test_byr_stops_after_redenomination(samples):
    """BYR is quoted to 2016-06 and 'NONE' from 2016-07 (BYN replaced it): no BYR row after June 2016."""
    byr = fx(samples / CSV).filter(pl.col("currency") == "BYR")
    assert byr["date"].max() == dt.date(2016, 6, 1)
    assert byr.height == 12  # 2015-07 … 2016-06


def test_xml_daily_pins(samples):
    """XML_daily of 27.09.2023: USD 96,2378; EUR 101,9888; KZT 20,3042 per 100; UZS 78,8438 per 10 000."""
    t = fx(samples / XML)
    day = dt.date(2023, 9, 27)
    assert rate(t, "RUB", day) == pytest.approx(96.2378, rel=EXACT)
    assert rate(t, "EUR", day) == pytest.approx(96.2378 / 101.9888, rel=EXACT)
    assert rate(t, "KZT", day) == pytest.approx(96.2378 / (20.3042 / 100), rel=EXACT)
    assert rate(t, "UZS", day) == pytest.approx(96.2378 / (78.8438 / 10_000), rel=EXACT)
    assert set(t["frequency"]) == {"daily"}


def test_xml_as_served_in_windows_1251_reads_the_same(samples, tmp_path):
    """The CBR serves XML_daily in windows-1251 with a declaration; the sample is its UTF-8 copy."""
    served = reencoded("windows-1251", declare=True)(samples / XML, tmp_path)
    assert fx(served).equals(fx(samples / XML))


def test_xml_with_consistent_vunitrate_is_accepted(samples, tmp_path):
    ok = replace_text("<Value>20,3042</Value>", "<Value>20,3042</Value><VunitRate>0,203042</VunitRate>")(samples / XML, tmp_path)
    assert rate(fx(ok), "KZT", dt.date(2023, 9, 27)) == pytest.approx(96.2378 / 0.203042, rel=EXACT)


@pytest.mark.shared
def test_xml_daily_agrees_with_nbk_on_the_same_day(samples, shared):
    """Cross-check: CBR-implied KZT per USD on 2023-09-27 (473.98) vs NBK official (476.89): within 1 %."""
    nbk = pl.from_arrow(get_source("nbk").read(shared / "fx/nbk_official_USD_KZT_daily_2021-05-10_2023-12-29.csv").tables["fx"])
    day = dt.date(2023, 9, 27)
    assert rate(fx(samples / XML), "KZT", day) == pytest.approx(rate(nbk, "KZT", day), rel=SAME_DAY_BAND)


@pytest.mark.shared
def test_full_monthly_file(shared):
    """216 months 2005-01 … 2022-12; 4 currencies + RUB every month, BYR for the 138 months to 2016-06."""
    t = fx(shared / "fx/cbr_monthly_rub_per_unit_USD_EUR_KZT_UAH_BYR_2005_2022.csv")
    assert t["date"].n_unique() == 216
    assert t.height == 216 * 4 + 138
    assert rate(t, "RUB", dt.date(2022, 3, 1)) == pytest.approx(93.56, abs=PUBLISHED_2DP)
    assert rate(t, "RUB", dt.date(2022, 2, 1)) == pytest.approx(77.47, abs=PUBLISHED_2DP)
