"""Fixtures for the measure tests: real BNS rows and a small builder for trade frames."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import settings

# Property tests: no per-example deadline (first Polars calls compile kernels; timing is not what we test).
prop = settings(deadline=None, max_examples=60)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# The complete 2021 sheet of the bureau's 2022 workbook (see tests/samples/kz_bns/README.md).
BNS_2021_SHEET = SAMPLES / "kz_bns" / "kz_trade_by_country_2022_sheet2021.xlsx"


@pytest.fixture(scope="session")
def bns_2021() -> pl.DataFrame:
    """Kazakhstan's 2021 trade by partner, read by the kz_bns loader (the real, complete sheet)."""
    from tethers.sources import get_source

    return pl.from_arrow(get_source("kz_bns").read(BNS_2021_SHEET).tables["trade"])


def trade_frame(rows: list[tuple], *, classification: str = "TOTAL", product: str = "TOTAL") -> pl.DataFrame:
    """A canonical-shaped trade frame from ``(reporter, year, flow, partner, value_usd)`` tuples."""
    df = pl.DataFrame(
        rows,
        schema={"reporter": pl.Utf8, "year": pl.Int32, "flow": pl.Utf8, "partner": pl.Utf8, "value_usd": pl.Float64},
        orient="row",
    )
    return df.with_columns(
        classification=pl.lit(classification),
        product=pl.lit(product),
        level=pl.lit(0 if product == "TOTAL" else len(product), pl.Int32),
        source=pl.lit("test"),
    )
