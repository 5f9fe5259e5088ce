"""Consumer price index, all items, monthly, from the OECD Main Economic Indicators (MEI) as FRED serves it.

Publisher format
----------------
The Federal Reserve Bank of St. Louis (FRED) distributes the OECD MEI series "Consumer Price Index: All
Items for <country>" (index 2015 = 100, not seasonally adjusted, monthly) as ``<ISO3>CPIALLMINMEI``
(e.g. ``RUSCPIALLMINMEI`` for Russia, compiled by the OECD from Rosstat). The CSV download has two
columns: the date (``DATE`` in the older download, ``observation_date`` in the newer one; ``YYYY-MM-DD``,
the first day of the month) and the series id, the index value (``.`` where FRED has no observation).

Read into ``prices``: country = the series id's first three letters (an ISO3 code), series ``all``,
measure ``level`` (the index as published, 2015 = 100) and ``mom_index`` (the previous month = 100,
computed as :math:`100\\,P_t / P_{t-1}` where both months are in the file; the first month has none).
Rows are dated the first day of the month.

Quirks: ``.`` (FRED's missing value) is skipped, and a month after a missing one has no ``mom_index``.
A level ≤ 0 is not an index (most likely a percent-change series such as ``CPALTT01RUM657N``) and is
rejected; so is a month-on-month index outside 50–400 (a broken series, a splice of two bases).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, known_codes, read_csv_strings, to_date, to_number

SERIES_RE = re.compile(r"^([A-Z]{3})CPIALLMINMEI$")
DATE_COLUMNS = ("DATE", "observation_date")
PLAUSIBLE_MOM = (50.0, 400.0)  # previous month = 100
EARLIEST = dt.date(1950, 1, 1)


def _header(head: str) -> tuple[str, str] | None:
    cols = [c.strip().strip('"') for c in head.split(",")]
    if len(cols) == 2 and cols[0] in DATE_COLUMNS and SERIES_RE.match(cols[1]):
        return cols[0], cols[1]
    return None


class OecdMeiCpi(Source):
    id = "oecd_mei_cpi"
    tables = ("prices",)
    pack_inputs = ("repo:data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz",)

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        try:
            return _header(header_line(path)) is not None
        except Exception:
            return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        head = header_line(path)
        cols = _header(head)
        if cols is None:
            names = [c.strip().strip('"') for c in head.split(",")]
            date_col = next((c for c in DATE_COLUMNS if c in names), None)
            if date_col is None:  # the shared checks name an empty file, a bad encoding, a wrong delimiter
                read_csv_strings(path, source=self.id, required=[DATE_COLUMNS[0]])
                raise self.fail(path, f"missing column 'DATE' or 'observation_date'; header has {names[:6]}", row=1)
            other = [c for c in names if c != date_col]
            raise self.fail(path, f"{other[:3]} is not one FRED MEI all-items CPI series (<ISO3>CPIALLMINMEI)",
                            row=1, column=other[0] if other else None)
        date_col, series = cols
        iso3 = SERIES_RE.match(series).group(1)  # type: ignore[union-attr]
        if iso3 not in known_codes():
            raise self.fail(path, f"{iso3!r} (from the series id) is not an ISO3 country code", row=1, column=series)
        df = read_csv_strings(path, source=self.id, required=[date_col, series])
        df = to_date(df, date_col, source=self.id, path=path, formats=["%Y-%m-%d", "%Y-%m"], earliest=EARLIEST)
        bad_day = df.filter(pl.col(date_col).dt.day() != 1).head(1)
        if bad_day.height:
            raise self.fail(path, f"{bad_day[date_col][0]} is not the first day of a month (monthly series)",
                            row=bad_day[ROW][0], column=date_col)
        df = df.with_columns(pl.when(pl.col(series).str.strip_chars() == ".").then(None)
                             .otherwise(pl.col(series)).alias(series))
        df = to_number(df, series, source=self.id, path=path)
        nonpos = df.filter(pl.col(series) <= 0).head(1)
        if nonpos.height:
            raise self.fail(path, f"{nonpos[series][0]!r} is not an index level (a percent change?)",
                            row=nonpos[ROW][0], column=series)
        lv = df.filter(pl.col(series).is_not_null()).select(ROW, pl.col(date_col).alias("date"),
                                                            pl.col(series).alias("value"))
        dup = lv.filter(pl.col("date").is_duplicated()).sort(ROW).head(2)
        if dup.height:
            raise self.fail(path, f"month {dup['date'][0]} appears twice (also at row {dup[ROW][0]})",
                            row=dup[ROW][-1], column=date_col)
        s = lv.sort("date").with_columns(prev=pl.col("value").shift(1), prev_date=pl.col("date").shift(1))
        s = s.with_columns(consecutive=pl.col("prev_date").dt.offset_by("1mo") == pl.col("date"))
        mom = s.filter(pl.col("consecutive").fill_null(False)).with_columns(
            value=100.0 * pl.col("value") / pl.col("prev"))
        lo, hi = PLAUSIBLE_MOM
        bad = mom.filter((pl.col("value") < lo) | (pl.col("value") > hi)).sort(ROW).head(1)
        if bad.height:
            raise self.fail(path, f"the change to this month is {bad['value'][0] - 100.0:+.1f} %: not a monthly CPI "
                            f"index (month-on-month index outside {lo:g}–{hi:g})", row=bad[ROW][0], column=series)
        out = pl.concat([
            lv.with_columns(measure=pl.lit("level")),
            mom.select(ROW, "date", "value").with_columns(measure=pl.lit("mom_index")),
        ]).sort(ROW, "measure")
        return {"prices": out.with_columns(country=pl.lit(iso3), series=pl.lit("all"), source=pl.lit(self.id))}


SOURCE = OecdMeiCpi()
