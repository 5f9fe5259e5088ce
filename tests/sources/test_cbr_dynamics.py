"""Bank of Russia dynamics export (daily official USD/RUB): contract, bad workbooks, published rates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tethers.sources import get_source

from .contract import BadCase, SourceContract, binary_garbage, empty

SAMPLE = "cbr_dynamics/RC_F01_07_1992_T30_11_2023_excerpt.xlsx"
DERIVED = Path(__file__).parents[2] / "data" / "derived" / "cbr_dynamics_usd_rub_daily_1992_2023.csv.gz"


def _edit(cell: str, value) -> callable:
    """A mutation: the sample with one cell of the first sheet set to ``value`` (openpyxl)."""
    def m(sample: Path, tmp: Path) -> Path:
        wb = openpyxl.load_workbook(sample)
        wb.active[cell] = value
        out = tmp / sample.name
        wb.save(out)
        return out
    return m


def _drop_rows(sample: Path, tmp: Path) -> Path:
    wb = openpyxl.load_workbook(sample)
    ws = wb.active
    ws.delete_rows(2, ws.max_row)
    out = tmp / sample.name
    wb.save(out)
    return out


class TestCbrDynamics(SourceContract):
    source_id = "cbr_dynamics"
    sample = SAMPLE
    tables = {"fx"}
    min_rows = 60
    bad_cases = [
        BadCase("empty", empty, r"not a readable Excel workbook"),
        BadCase("garbage", binary_garbage, r"not a readable Excel workbook"),
        BadCase("header_renamed", _edit("C1", "rate"), r"row 1: header .* is not \['nominal', 'data', 'curs', 'cdx'\]"),
        BadCase("header_only", _drop_rows, r"row 2: no rates below the header"),
        BadCase("other_currency", _edit("D5", "Евро"), r"row 5 column 'cdx': currency 'Евро' is not the US dollar"),
        BadCase("non_numeric", _edit("C4", "8O,1"), r"row 4 column 'curs': '8O,1' is not a number"),
        BadCase("negative", _edit("C6", -80.5), r"row 6 column 'curs': missing or non-positive value"),
        BadCase("zero_nominal", _edit("A7", 0), r"row 7 column 'nominal': missing or non-positive value"),
        BadCase("missing_rate", _edit("C8", None), r"row 8 column 'curs': missing or non-positive value"),
        BadCase("not_a_date", _edit("B9", "2022-02-31"), r"row 9 column 'data': '2022-02-31' is not a date"),
        BadCase("before_first_rate", _edit("B10", dt.datetime(1991, 12, 1)), r"row 10 column 'data': '1991-12-01' is outside"),
        BadCase("duplicate_date", _edit("B3", dt.datetime(2022, 3, 31)), r"row 3 column 'data': date 2022-03-31 appears twice \(also at row 2\)"),
    ]


def _fx(path: Path) -> pl.DataFrame:
    return pl.from_arrow(get_source("cbr_dynamics").read(path).tables["fx"])


def _on(t: pl.DataFrame, day: dt.date) -> float:
    return t.filter(pl.col("date") == day)["per_usd"].item()


def test_published_official_rates_of_the_2022_shock(samples):
    """Bank of Russia official USD rates (cbr.ru): 80.4194 from 23 Feb 2022, 86.9288 from 25 Feb,
    93.5589 from 1 Mar, 120.3785 from 11 Mar (the peak), 83.4097 from 1 Apr; 67.7851 from 18 Dec 2014."""
    t = _fx(samples / SAMPLE)
    assert set(t["frequency"]) == {"daily"} and set(t["currency"]) == {"RUB"}
    published = {dt.date(2022, 2, 23): 80.4194, dt.date(2022, 2, 25): 86.9288, dt.date(2022, 3, 1): 93.5589,
                 dt.date(2022, 3, 11): 120.3785, dt.date(2014, 12, 18): 67.7851}
    for day, value in published.items():
        assert _on(t, day) == pytest.approx(value, abs=1e-9)
    feb_mar = t.filter(pl.col("date").is_between(dt.date(2022, 2, 1), dt.date(2022, 3, 31)))
    assert feb_mar.sort("per_usd")["date"][-1] == dt.date(2022, 3, 11)


@pytest.mark.shared
def test_full_export_agrees_with_the_monthly_compilation(shared):
    """On the first business day of each month the daily export equals the CBR monthly compilation
    (shared/data/fx item 3, an independent copy of XML_daily) to the published 4 decimals."""
    daily = _fx(DERIVED)  # the shipped CSV copy of the bank's export (scripts/derive_cbr_dynamics.py)
    monthly = pl.from_arrow(get_source("cbr").read(
        shared / "fx" / "cbr_monthly_rub_per_unit_USD_EUR_KZT_UAH_BYR_2005_2022.csv").tables["fx"]
    ).filter(pl.col("currency") == "RUB")
    both = monthly.join(daily.select("date", d="per_usd"), on="date", how="inner")
    assert both.height > 140  # first-of-month dates on which the bank set a rate (148 of 216 months)
    assert (both["per_usd"] - both["d"]).abs().max() < 1e-3
