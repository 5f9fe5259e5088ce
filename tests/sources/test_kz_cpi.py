"""Kazakhstan CPI month on month (BNS) and the Dec/Dec chaining helper."""

from __future__ import annotations

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources.kz_cpi import chain, dec_dec_inflation

from .contract import (
    BadCase,
    SourceContract,
    csv_format_cases,
    duplicate_row,
    rename_column,
    set_cell,
)

SAMPLE = "kz_cpi/kz_cpi_monthly_mom_bns_2021_2023_excerpt.csv"
ALL = "cpi_all_mom_index_prev_month_eq_100"
FOOD = "cpi_food_mom_index_prev_month_eq_100"
# fx/SOURCE.md states the chained Dec/Dec rates to one decimal: ±0.05 pp is the rounding of the statement.
ROUNDED_1DP = 0.05
# The bureau's own headline (8.4 / 20.3 / 9.8 %) is computed from unrounded indices; chaining the published
# one-decimal m/m values drifts by up to ~0.4 pp over twelve months (2023: 10.1 vs 9.8).
VS_OFFICIAL = 0.4


def prices(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("kz_cpi").read(path).tables["prices"])


class TestKzCpi(SourceContract):
    source_id = "kz_cpi"
    sample = SAMPLE
    tables = {"prices"}
    min_rows = 36 * 4
    bad_cases = [
        *csv_format_cases(),
        BadCase("header_renamed", rename_column(FOOD, "cpi_food"), rf"row 1: missing column.*'{FOOD}'"),
        BadCase("non_numeric", set_cell(ALL, "100,6", line=4), rf"row 4 column '{ALL}': '100,6' is not a number"),
        BadCase("percent_change", set_cell(ALL, "0.8", line=5), rf"row 5 column '{ALL}': 0.8 is not an index with the previous month = 100"),
        BadCase("negative", set_cell(FOOD, "-101.1", line=6), rf"row 6 column '{FOOD}': -101.1 is not an index"),
        BadCase("zero", set_cell(FOOD, "0", line=7), rf"row 7 column '{FOOD}': 0.0 is not an index"),
        BadCase("duplicate_month", duplicate_row(3), r"row 3: duplicate key \{'date': datetime.date\(2021, 2, 1\).*also at row 38"),
        BadCase("month_out_of_range", set_cell("month", "1990-12", line=8), r"row 8 column 'month': '1990-12' is outside 1991-01-01"),
        BadCase("future_month", set_cell("month", "2099-01", line=8), r"row 8 column 'month': '2099-01' is outside"),
        BadCase("not_a_month", set_cell("month", "2021-13", line=9), r"row 9 column 'month': '2021-13' is not a date"),
    ]


def test_chain_by_hand():
    """101 × 102 / 100² − 1 = 3.02 %; nothing chained is no change."""
    assert chain([101.0, 102.0]) == pytest.approx(3.02, abs=1e-12)
    assert chain([]) == 0.0


@pytest.mark.parametrize(
    ("year", "series", "published"),
    [(2021, "all", 8.5), (2022, "all", 20.4), (2023, "all", 10.1), (2022, "food", 25.1)],
)
def test_dec_dec_matches_source_md(samples, year, series, published):
    """fx/SOURCE.md: chained Dec/Dec 2021 8.5 %, 2022 20.4 %, 2023 10.1 %; food 2022 25.1 %."""
    assert dec_dec_inflation(prices(samples / SAMPLE), year=year, series=series) == pytest.approx(published, abs=ROUNDED_1DP)


@pytest.mark.parametrize(("year", "official"), [(2021, 8.4), (2022, 20.3), (2023, 9.8)])
def test_dec_dec_close_to_official_headline(samples, year, official):
    """BNS headline Dec/Dec CPI (as quoted in fx/SOURCE.md): 8.4, 20.3, 9.8 %."""
    assert dec_dec_inflation(prices(samples / SAMPLE), year=year) == pytest.approx(official, abs=VS_OFFICIAL)


def test_dec_dec_needs_all_twelve_months(samples):
    t = prices(samples / SAMPLE).filter(pl.col("date").dt.month() != 7)
    with pytest.raises(ValueError, match=r"KAZ all 2022: need the 12 monthly indices, missing months \[7\]"):
        dec_dec_inflation(t, year=2022)


def test_rows_are_first_of_month_kaz_mom_index(samples):
    t = prices(samples / SAMPLE)
    assert set(t["series"]) == {"all", "food", "nonfood", "services"}
    assert set(t["country"]) == {"KAZ"} and set(t["measure"]) == {"mom_index"}
    assert (t["date"].dt.day() == 1).all()


@pytest.mark.shared
def test_full_file(shared):
    """168 months 2011-01 … 2024-12 × 4 series; the 2022 pins hold on the full file too."""
    t = prices(shared / "fx/kz_cpi_monthly_mom_bns_2011_2024.csv")
    assert t.height == 168 * 4
    assert dec_dec_inflation(t, year=2022) == pytest.approx(20.4, abs=ROUNDED_1DP)
    assert dec_dec_inflation(t, year=2022, series="food") == pytest.approx(25.1, abs=ROUNDED_1DP)
