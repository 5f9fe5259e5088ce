"""Central Bank of Russia (CBR) official USD/RUB rate, daily, from the bank's "dynamics" export.

Publisher format
----------------
The workbook cbr.ru serves from *Currency rates → Dynamics of official exchange rates* for one currency
(``RC_F<dd>_<mm>_<yyyy>_T<dd>_<mm>_<yyyy>.xlsx``): one sheet, header ``nominal, data, curs, cdx`` —
the nominal (units quoted), the date the rate takes effect, roubles per ``nominal`` units and the
currency's Russian name (``Доллар США``). One row per date the bank set a rate (business days; a rate
set on Friday takes effect on Saturday), newest first. The same series as ``XML_dynamic.asp`` with
``VAL_NM_RQ=R01235``.

The pack ships a CSV copy of that export with the same four columns (``data/derived/cbr_dynamics_usd_rub_daily_
1992_2023.csv.gz``, made by ``scripts/derive_cbr_dynamics.py`` from the workbook in the public repository
``Kirill-Murashev/sberindex``); this loader reads both.

Only the US dollar is read (the atlas stores currency units per USD): ``RUB per USD = curs / nominal``.
Rows are frequency ``daily``; a separate source id from :mod:`tethers.sources.cbr` (the monthly
compilation) because both carry first-of-month dates.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_date, to_number, xlsx_rows
from ._fx import fx_rows

HEADER = ("nominal", "data", "curs", "cdx")
USD_NAMES = ("Доллар США", "US Dollar")
FIRST_OFFICIAL_RATE = dt.date(1992, 7, 1)


class CbrDynamics(Source):
    id = "cbr_dynamics"
    tables = ("fx",)
    pack_inputs = ("repo:data/derived/cbr_dynamics_usd_rub_daily_1992_2023.csv.gz",)

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() in (".csv", ".gz"):
            try:
                return tuple(c.strip().lower() for c in header_line(path).split(",")) == HEADER
            except Exception:
                return False
        if path.suffix.lower() != ".xlsx":
            return False
        try:
            rows = xlsx_rows(self.id, path, max_row=1, max_col=4, first_only=True)
        except Exception:
            return False
        first = next(iter(rows.values()), [])
        return bool(first) and tuple(str(c).strip().lower() if c is not None else "" for c in first[0]) == HEADER

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        if path.suffix.lower() in (".csv", ".gz"):
            df = read_csv_strings(path, source=self.id, required=HEADER).select(ROW, *HEADER)
            if df.height == 0:
                raise self.fail(path, "no rates below the header", row=2)
            return self._rates(path, df)
        sheets = xlsx_rows(self.id, path, first_only=True)
        rows = next(iter(sheets.values()), [])
        if not rows:
            raise self.fail(path, "workbook is empty")
        header = tuple(str(c).strip().lower() if c is not None else "" for c in rows[0][:4])
        if header != HEADER:
            raise self.fail(path, f"header {list(header)} is not {list(HEADER)} (CBR dynamics export)", row=1)
        body = [(i + 2, *(("" if c is None else c.isoformat()[:10] if isinstance(c, dt.date) else str(c))
                         for c in (list(r[:4]) + [None] * (4 - len(r[:4])))))
                for i, r in enumerate(rows[1:]) if any(c is not None for c in r)]
        if not body:
            raise self.fail(path, "no rates below the header", row=2)
        df = pl.DataFrame(body, schema={ROW: pl.Int64, **dict.fromkeys(HEADER, pl.Utf8)}, orient="row")
        return self._rates(path, df)

    def _rates(self, path: Path, df: pl.DataFrame) -> dict[str, pl.DataFrame]:
        """``[_row, nominal, data, curs, cdx]`` as text → the fx rows (every check names file, row, column)."""
        other = df.filter(~pl.col("cdx").str.strip_chars().is_in(USD_NAMES)).head(1)
        if other.height:
            raise self.fail(path, f"currency {other['cdx'][0]!r} is not the US dollar (only USD/RUB is read)",
                            row=other[ROW][0], column="cdx")
        df = to_date(df, "data", source=self.id, path=path, formats=["%Y-%m-%d", "%d.%m.%Y"],
                     earliest=FIRST_OFFICIAL_RATE)
        for col in ("nominal", "curs"):
            df = to_number(df, col, source=self.id, path=path, decimal_comma=True)
            bad = df.filter(pl.col(col).is_null() | (pl.col(col) <= 0)).head(1)
            if bad.height:
                raise self.fail(path, "missing or non-positive value", row=bad[ROW][0], column=col)
        firsts = df.with_columns(_first=pl.col(ROW).min().over("data"))
        dup = firsts.filter(pl.col(ROW) != pl.col("_first")).sort(ROW).head(1)
        if dup.height:
            raise self.fail(path, f"date {dup['data'][0]} appears twice (also at row {dup['_first'][0]})",
                            row=dup[ROW][0], column="data")
        out = df.select(ROW, date=pl.col("data"), currency=pl.lit("RUB"), per_usd=pl.col("curs") / pl.col("nominal"))
        return {"fx": fx_rows(out.sort("date"), source=self.id, frequency="daily")}


SOURCE = CbrDynamics()
