"""Kazakhstan consumer price index, month on month (Bureau of National Statistics, BNS).

Publisher format
----------------
The monthly series ``month, cpi_all_mom_index_prev_month_eq_100, cpi_food_mom_…, cpi_nonfood_mom_…,
cpi_services_mom_…`` (``month`` = ``YYYY-MM``): the BNS index of each month with the previous month = 100,
for all items, food, non-food goods and paid services, one decimal as published. Read into ``prices``
(country ``KAZ``, measure ``mom_index``, series ``all``/``food``/``nonfood``/``services``; rows are dated
the first day of the month).

Quirks: a value outside 50–200 is not an index with the previous month = 100 (most likely a percent
change such as ``0.8``) and is rejected. :func:`dec_dec_inflation` chains the twelve m/m indices of a
year into the December-on-December rate the bureau headlines; because the inputs carry one decimal,
the chained rate can differ from the published one by a few tenths of a point (2023: 10.1 % chained,
9.8 % published).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_date, to_number

SERIES = {
    "all": "cpi_all_mom_index_prev_month_eq_100",
    "food": "cpi_food_mom_index_prev_month_eq_100",
    "nonfood": "cpi_nonfood_mom_index_prev_month_eq_100",
    "services": "cpi_services_mom_index_prev_month_eq_100",
}
PLAUSIBLE_INDEX = (50.0, 200.0)  # previous month = 100
FIRST_MONTH = dt.date(1991, 1, 1)  # BNS monthly CPI starts in 1991


def chain(indices: Iterable[float]) -> float:
    """Cumulative change in percent over consecutive m/m indices (previous period = 100).

        π = (∏ₜ Iₜ / 100 − 1) × 100

    ``chain([101.0, 102.0]) == 3.02``. An empty sequence gives 0.
    """
    return (math.prod(i / 100.0 for i in indices) - 1.0) * 100.0


def dec_dec_inflation(prices: pl.DataFrame, *, year: int, series: str = "all", country: str = "KAZ") -> float:
    """December-on-December inflation of ``year`` in percent, chained from the ``mom_index`` rows of ``prices``.

    π(Dec y / Dec y−1) = (∏_{m=Jan..Dec y} I_m / 100 − 1) × 100, where I_m is the index of month m with
    the previous month = 100 (January's index is relative to December of y−1). ``prices`` is a frame in
    the canonical ``prices`` shape. Raises ``ValueError`` unless exactly the 12 months of ``year`` are there.
    """
    rows = prices.filter(
        (pl.col("country") == country) & (pl.col("series") == series) & (pl.col("measure") == "mom_index")
        & (pl.col("date").dt.year() == year)
    ).sort("date")
    months = rows["date"].dt.month().to_list()
    if months != list(range(1, 13)):
        missing = sorted(set(range(1, 13)) - set(months))
        raise ValueError(f"{country} {series} {year}: need the 12 monthly indices, missing months {missing}")
    return chain(rows["value"].to_list())


class KzCpi(Source):
    id = "kz_cpi"
    tables = ("prices",)
    pack_inputs = ("fx/kz_cpi_monthly_mom_bns_2011_2024.csv",)
    columns = {"date": "month"}

    def handles(self, path: Path) -> bool:
        head = header_line(path) if path.suffix.lower() in (".csv", ".gz") else ""
        return head.startswith("month,") and SERIES["all"] in head

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=["month", *SERIES.values()])
        df = to_date(df, "month", source=self.id, path=path, formats=["%Y-%m", "%Y-%m-%d"], earliest=FIRST_MONTH)
        lo, hi = PLAUSIBLE_INDEX
        parts = []
        for name, col in SERIES.items():
            df = to_number(df, col, source=self.id, path=path)
            bad = df.filter((pl.col(col) < lo) | (pl.col(col) > hi)).head(1)
            if bad.height:
                raise self.fail(
                    path, f"{bad[col][0]!r} is not an index with the previous month = 100 (a percent change?)",
                    row=bad[ROW][0], column=col,
                )
            parts.append(df.filter(pl.col(col).is_not_null()).select(
                ROW, pl.col("month").alias("date"), pl.lit(name).alias("series"), pl.col(col).alias("value")))
        out = pl.concat(parts).sort(ROW, "series")
        return {"prices": out.with_columns(
            country=pl.lit("KAZ"), measure=pl.lit("mom_index"), source=pl.lit(self.id))}


SOURCE = KzCpi()
