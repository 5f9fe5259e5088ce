"""Market exchange rates from Investing.com and Yahoo Finance exports (research use only, never shipped).

Investing.com and Yahoo data are © their providers and licensed for personal/research use: this loader
reads a file the user downloaded (``redistributable = False``, no ``pack_inputs``), so nothing of it
ends up in the data pack.

Publisher formats
-----------------
* Investing.com "Historical Data" export: ``"Date","Price","Open","High","Low","Vol.","Change %"``.
  Dates ``MM/DD/YYYY`` (``03/07/2022``), ``Mon DD, YYYY`` (``Mar 07, 2022``, older exports) or
  ``DD.MM.YYYY`` (``07.03.2022``); numbers with a decimal point or, after a round trip through a
  comma-locale spreadsheet, a decimal comma (the mark is decided per file: the last separator in a
  value that has both, else the only one used); a thousands separator is dropped. Some copies are
  *nested*: every line is one quoted field holding the real CSV line (``"06/26/2024,""88,2513"",…"``)
  and are unwrapped first. Rows are newest first; order does not matter.
* The same after cleaning: ``date, close, open, high, low, change_pct`` with ISO dates (``YYYY-MM-DD``,
  or ``YYYY-MM`` for monthly data).
* A Yahoo Finance (yfinance) compilation ``Date, USD, EUR, BR``: daily closes of ``USD<q>=X``,
  ``EUR<q>=X`` (``q`` per unit of USD, EUR) and Brent (``BZ=F``, USD per barrel). ``BR`` is not an
  exchange rate and is skipped.

The files do not say which pair they hold: the file name must (``USD_RUB Historical Data.csv``,
``investing_USD_KZT_monthly.csv``, ``yahoo_daily_USDKZT_….csv``). ``Price``/``close`` is taken as the
day's (or month's) rate: for ``USD_q`` it is q per USD; for ``q_USD`` its inverse. For Yahoo, q per USD
is the ``USD`` column and c per USD is ``USD / c`` (:func:`tethers.sources._fx.cross_per_usd`).
Frequency is ``monthly`` when every date is the first of a month and dates are at least 28 days
apart, else ``daily``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, decode_text, header_line, read_bytes, read_csv_strings, to_date, to_number
from ._fx import ISO4217, cross_per_usd, fx_rows

EARLIEST = dt.date(1970, 1, 1)
RAW_DATE_FORMATS = ["%m/%d/%Y", "%b %d, %Y", "%d.%m.%Y"]
NOT_FX = {"BR": "Brent crude, USD per barrel"}
_PAIR = re.compile(r"(?<![A-Za-z])([A-Z]{3})[_\-/ ]?([A-Z]{3})(?![A-Za-z])")


def pair_from_name(name: str) -> tuple[str, str] | None:
    """The first ``BASE_QUOTE`` currency pair in a file name that involves USD (``USD_RUB`` → (USD, RUB))."""
    for m in _PAIR.finditer(name):
        base, quote = m.groups()
        if "USD" in (base, quote) and base != quote:
            return base, quote
    return None


def decimal_mark(values: list[str]) -> str:
    """The decimal mark of a column of numbers written with ``.`` or ``,`` (see the module docstring)."""
    both = [v for v in values if "." in v and "," in v]
    if both:
        return "." if both[0].rfind(".") > both[0].rfind(",") else ","
    if any("." in v for v in values):
        return "."
    return "," if any("," in v for v in values) else "."


class Market(Source):
    id = "market"
    tables = ("fx",)
    redistributable = False
    pack_inputs = ()

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        head = header_line(path)
        return self._layout(head) is not None

    @staticmethod
    def _layout(head: str) -> str | None:
        flat = head.replace('"', "")
        if flat.startswith("date,close,"):
            return "clean"
        if flat.startswith("Date,Price,") and "Change %" in flat:
            return "investing"
        cols = flat.split(",")
        if cols[0] == "Date" and "USD" in cols[1:] and all(c in ISO4217 or c in NOT_FX for c in cols[1:]):
            return "yahoo"
        return None

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        layout = self._layout(header_line(path))
        pair = pair_from_name(path.name)
        if pair is None:
            raise self.fail(path, "the file name must name a USD pair (e.g. USD_KZT, USDRUB): the file itself does not")
        for code in pair:
            if code not in ISO4217:
                raise self.fail(path, f"unknown currency code {code!r} in the file name (not ISO 4217)")
        if layout == "yahoo":
            return {"fx": self._parse_yahoo(path, pair)}
        if layout == "clean":
            df = read_csv_strings(path, source=self.id, required=["date", "close"])
            df = to_date(df, "date", source=self.id, path=path, formats=["%Y-%m-%d", "%Y-%m"], earliest=EARLIEST)
            df = df.rename({"close": "rate"})
            label = "close"
        elif layout == "investing":
            df = self._read_investing(path)
            df = to_date(df, "Date", source=self.id, path=path, formats=RAW_DATE_FORMATS, earliest=EARLIEST)
            df = self._normalise_numbers(df, "Price", path).rename({"Date": "date", "Price": "rate"})
            label = "Price"
        else:
            if not decode_text(read_bytes(path), source=self.id, path=path).strip():
                raise self.fail(path, "file is empty")
            head = header_line(path)
            delim = next((d for d in (";", "\t", "|") if d in head and "," not in head.replace('""', "")), None)
            if delim:
                raise self.fail(path, f"wrong delimiter: expected ',', the header uses {delim!r}", row=1)
            raise self.fail(path, 'unknown header: expected Investing.com ("Date","Price",…,"Change %"), '
                                  "cleaned Investing (date,close,…) or Yahoo (Date,USD,…)", row=1)
        df = to_number(df, "rate", source=self.id, path=path, label=label)
        self._check_positive(df, "rate", path, label)
        base, quote = pair
        if base != "USD":  # e.g. EUR_USD: USD per EUR → EUR per USD
            df = df.with_columns((1.0 / pl.col("rate")).alias("rate"))
        out = df.select(ROW, "date", pl.lit(quote if base == "USD" else base).alias("currency"), pl.col("rate").alias("per_usd"))
        return {"fx": fx_rows(out, source=self.id, frequency=self._frequency(out))}

    # -- Investing.com raw export ----------------------------------------------------------------
    def _read_investing(self, path: Path) -> pl.DataFrame:
        text = decode_text(read_bytes(path), source=self.id, path=path)
        if not text.strip():
            raise self.fail(path, "file is empty")
        outer = list(csv.reader(io.StringIO(text)))
        if outer and len(outer[0]) == 1 and "," in outer[0][0]:  # nested: one quoted field per line
            lines = []
            for i, rec in enumerate(outer, start=1):
                if len(rec) > 1:
                    raise self.fail(path, "mixed nested and plain lines", row=i)
                lines.append(rec[0] if rec else "")
            text = "\n".join(lines) + "\n"
        records = list(csv.reader(io.StringIO(text)))
        header = [h.strip() for h in records[0]]  # starts "Date","Price" (checked by _layout)
        if "Date" not in header or "Price" not in header:  # e.g. a plain column appended to a nested export
            raise self.fail(path, f"unknown header {header[:8]}: expected Investing.com (\"Date\",\"Price\",…)", row=1)
        rows = []
        for i, rec in enumerate(records[1:], start=2):
            if not any(rec):
                continue
            if len(rec) != len(header):
                raise self.fail(path, f"row has {len(rec)} fields, the header {len(header)} (truncated file?)", row=i)
            rows.append((i, rec[header.index("Date")], rec[header.index("Price")]))
        if not rows:
            raise self.fail(path, "no data rows after the header", row=2)
        return pl.DataFrame(rows, schema={ROW: pl.Int64, "Date": pl.Utf8, "Price": pl.Utf8}, orient="row")

    def _normalise_numbers(self, df: pl.DataFrame, col: str, path: Path) -> pl.DataFrame:
        """Rewrite ``col`` with a decimal point and no thousands separator; a value that still is no
        number raises showing it as written."""
        mark = decimal_mark(df[col].drop_nulls().to_list())
        other = "," if mark == "." else "."
        fixed = pl.col(col).str.strip_chars().str.replace_all(other, "", literal=True).str.replace(mark, ".", literal=True)
        bad = df.filter(fixed.cast(pl.Float64, strict=False).is_null() & (pl.col(col).str.strip_chars() != "")).head(1)
        if bad.height:
            raise self.fail(path, f"{bad[col][0]!r} is not a number", row=bad[ROW][0], column=col)
        return df.with_columns(fixed.alias(col))

    # -- Yahoo compilation -----------------------------------------------------------------------
    def _parse_yahoo(self, path: Path, pair: tuple[str, str]) -> pl.DataFrame:
        base, quote = pair
        if base != "USD":
            raise self.fail(path, f"a Yahoo compilation needs a USD<quote> name (USDKZT), got {base}{quote}")
        df = read_csv_strings(path, source=self.id, required=["Date", "USD"])
        df = to_date(df, "Date", source=self.id, path=path, formats=["%Y-%m-%d"], earliest=EARLIEST)
        parts = []
        for col in df.columns:
            if col in (ROW, "Date") or col in NOT_FX:
                continue
            df = to_number(df, col, source=self.id, path=path)
            self._check_positive(df, col, path, col)
            parts.append(df.filter(pl.col(col).is_not_null()).select(
                ROW, pl.col("Date").alias("date"), pl.lit(col).alias("currency"), pl.col(col).alias("local_per_unit")))
        out = cross_per_usd(pl.concat(parts), local=quote, source=self.id, path=path)
        return fx_rows(out, source=self.id, frequency=self._frequency(out))

    # -- shared checks ---------------------------------------------------------------------------
    def _check_positive(self, df: pl.DataFrame, col: str, path: Path, label: str) -> None:
        bad = df.filter(pl.col(col).is_null() | (pl.col(col) <= 0)).head(1)
        if bad.height:
            v = bad[col][0]
            raise self.fail(path, "missing value" if v is None else f"{v!r} is not a positive rate",
                            row=bad[ROW][0], column=label)

    @staticmethod
    def _frequency(df: pl.DataFrame) -> str:
        dates = df["date"].unique().sort()
        if dates.len() > 1 and (dates.dt.day() == 1).all() and dates.diff().dt.total_days().drop_nulls().min() >= 28:
            return "monthly"
        return "daily"


SOURCE = Market()
