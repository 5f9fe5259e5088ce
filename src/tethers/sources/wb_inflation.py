"""Headline consumer price index, monthly, from the World Bank's Global Database of Inflation.

Publisher format
----------------
The World Bank Prospects Group's *A Global Database of Inflation* (Ha, Kose & Ohnsorge 2023; the April 2024
version): its monthly headline CPI table, as exported to ``Headline consumer price index, monthly.csv`` in the
folder ``raw/`` of the public repository ``andrewrgarcia/WorldBank-Global-Inflation-Data``: one row per
country, columns ``Country Code`` (ISO3), ``IMF Country Code``, ``Country``, ``Indicator Type``, ``Series
Name``, then one column per month ``YYYYMM`` (``197001`` … ``202312``), then ``Data source`` (``IFS`` or
``National sources``) and ``Note``. Cells hold the index as published; the base period differs between
countries (each country's national or IFS base: Kazakhstan December 2020 = 100, Russia 2010 = 100); empty
cells are months without data. 187 lines after the header: 185 index rows, 1 rate row, 1 footnote.

Read into ``prices``: country = ``Country Code``, series ``all``, measure ``level`` (the index as published)
and ``mom_index`` (the previous month = 100, :math:`100\\,P_t / P_{t-1}`, only between two consecutive months
that both have a level). Rows are dated the first day of the month; ``_row`` is the country's line.

Rows (the April 2024 file: 185 countries kept, 2 lines skipped)
---------------------------------------------------------------
* The last line is the publisher's footnote (``Note: "IFS" indicates …`` in ``Country Code``, every other cell
  empty): skipped (1 line).
* ``Indicator Type`` ``Inflation`` / ``Series Name`` ``Headline Consumer Price Inflation`` is a rate, not an
  index (the British Virgin Islands, ``VGB``, with values such as -0.3): skipped (1 line). Every other row must
  be ``Index`` / ``Headline Consumer Price Index``; anything else (the food, energy or core CPI sheets of the
  same database have the same layout) is rejected, naming the row and column.
* A ``Country Code`` that is not an ISO3 code the atlas knows (``known_codes()``) is **rejected**, as in the
  other wide loaders (``voeten_wide``): the file has no aggregate rows, so an unknown code is an error, not
  something to drop silently. A country on two lines is rejected naming both.

Cells (quirks of the April 2024 file)
-------------------------------------
* **Decimal commas:** five cells of **Argentina** (``ARG``, 2010-07, 2010-08, 2010-11, 2011-01, 2011-02) are
  written with a decimal comma and blanks, e.g. ``" 119,20  "`` (the file's own quoting). A cell of digits, a
  comma and one or two digits, blanks around it, is read as a decimal number (119.20); three digits after
  the comma could be a thousands separator and are refused like any other non-number.
* **Precision:** the index is published to one decimal (Argentina's comma cells and its 2009-05 cell: two;
  Uruguay 1970–1971: five). Early months of series rebased to a recent year round to ``0.0``: 2,815 cells in
  27 countries, all before 2000 (e.g. Russia 1992-01 … 1992-06, so Russia's levels start 1992-07; Uruguay
  1971-12 … 1983-09 after five-decimal cells). A zero **before the row's first level ≥ 1** is such a rounded
  value and gives no row; a zero after the index has reached 1, or any negative value, is not an index level
  and is rejected.
* ``mom_index`` only where the published digits support it: both levels must carry a rounding error of at most
  0.5 % (half a unit of the cell's last decimal ≤ 0.005 × the level: a level ≥ 10 at one decimal). A
  month-on-month index from two such levels is good to about ±1 point (at level 100, ±0.1 point); below that
  the level row is kept but the m/m index is missing (in the pack's window: Angola to 2001-11, DR Congo to 2000-10).

Plausibility (hyperinflations are real)
---------------------------------------
No upper bound on the month-on-month change: Zimbabwe, Venezuela, Sudan, Lebanon, Argentina … are in the
file, and hyperinflation months reach thousands of percent (Zimbabwe November 2008: 79.6 billion %, Hanke &
Kwok 2009); a level above 1e18 is refused by the shared validation. A **fall by more than half in one month**
(the level at most half the previous month's, even allowing for the published rounding of both) is rejected
as a break (a rebase or a redenomination not spliced): no consumer price index on record has halved in a
month. The file's largest falls are kept as published: Guinea 2007-01 −45.8 %, Sudan 2020-03 −40.1 %,
South Sudan 2019-11 −33.2 % (they look like base changes in the publisher's series; docs/sources/wb_inflation.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, known_codes, read_bytes, read_csv_strings, to_number

META = ["Country Code", "IMF Country Code", "Country", "Indicator Type", "Series Name"]
TRAILING = ("Data source", "Note")
INDEX = ("Index", "Headline Consumer Price Index")
RATE = ("Inflation", "Headline Consumer Price Inflation")  # a rate row (VGB): skipped
MONTH_RE = re.compile(r"^(\d{4})(\d{2})$")
COMMA_DECIMAL = r"^\d+,\d{1,2}$"
EARLIEST_YEAR = 1950
MAX_ROUNDING = 0.005  # half a unit of the last published decimal, relative to the level (mom_index only below)
HALVED = 0.5  # a level at most half the previous month's (after rounding): a break, rejected
FOOTNOTE = "Note:"


def _split(line: str) -> list[str]:
    try:
        return [c.strip() for c in next(csv.reader([line]))]
    except (csv.Error, StopIteration):
        return []


def _looks_like(head: str) -> bool:
    cols = _split(head)
    return cols[: len(META)] == META and any(MONTH_RE.match(c) for c in cols[len(META):])


class WbInflation(Source):
    id = "wb_inflation"
    tables = ("prices",)
    pack_inputs = ("repo:data/derived/wb_inflation_headline_cpi_monthly_2000_2023.csv.gz",)
    columns = {"country": "Country Code"}

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        try:
            if not _looks_like(header_line(path)):
                return False
            # the food/energy/core sheets share the layout: the first data line must be headline CPI
            with io.StringIO(read_bytes(path)[:1 << 16].decode("utf-8", errors="replace").lstrip("\ufeff")) as fh:
                rows = list(zip(range(2), csv.reader(fh), strict=False))
            first = [c.strip() for c in rows[1][1]] if len(rows) > 1 else []
            return tuple(first[3:5]) in (INDEX, RATE)
        except Exception:
            return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=META)
        header = [c for c in df.columns if c != ROW]
        if header[: len(META)] != META:
            raise self.fail(path, f"the first columns must be {', '.join(META)} (got {', '.join(header[:5])})", row=1)
        months: dict[str, dt.date] = {}
        for c in header[len(META):]:
            m = MONTH_RE.match(c)
            if m and EARLIEST_YEAR <= int(m.group(1)) <= dt.date.today().year and 1 <= int(m.group(2)) <= 12:
                months[c] = dt.date(int(m.group(1)), int(m.group(2)), 1)
            elif c not in TRAILING:
                raise self.fail(path, f"column {c!r} is not a month (YYYYMM, {EARLIEST_YEAR} on) nor one of "
                                f"{list(TRAILING)}", row=1, column=c)
        if not months:
            raise self.fail(path, "no month columns (YYYYMM) after 'Series Name'", row=1)
        df = self._rows(path, df)
        long = df.select(ROW, "Country Code", *months).unpivot(
            index=[ROW, "Country Code"], on=list(months), variable_name="month", value_name="cell")
        cell = pl.col("cell").str.strip_chars()
        long = (long.with_columns(cell.alias("cell")).filter(pl.col("cell").fill_null("") != "")
                .with_columns(pl.when(pl.col("cell").str.contains(COMMA_DECIMAL))
                              .then(pl.col("cell").str.replace(",", ".", literal=True))
                              .otherwise(pl.col("cell")).alias("cell")))
        long = long.with_columns(decimals=pl.col("cell").str.extract(r"\.(\d+)$", 1).str.len_chars().fill_null(0))
        long = self._numbers(path, long)
        long = long.with_columns(pl.col("month").replace_strict(months, return_dtype=pl.Date).alias("date"))
        long = long.sort("Country Code", "date")
        long = self._levels(path, long)
        return {"prices": self._output(path, long)}

    def _rows(self, path: Path, df: pl.DataFrame) -> pl.DataFrame:
        """Drop the footnote and the rate row; reject any other kind of row, unknown codes, repeated codes."""
        code = pl.col("Country Code").fill_null("").str.strip_chars()
        others = [c for c in df.columns if c not in (ROW, "Country Code")]
        footnote = code.str.starts_with(FOOTNOTE) & pl.all_horizontal(pl.col(c).fill_null("").str.strip_chars() == ""
                                                                       for c in others)
        df = df.filter(~footnote).with_columns(code.alias("Country Code"),
                                               *(pl.col(c).fill_null("").str.strip_chars() for c in META[3:]))
        df = df.filter(~((pl.col("Indicator Type") == RATE[0]) & (pl.col("Series Name") == RATE[1])))
        bad = df.filter((pl.col("Indicator Type") != INDEX[0]) | (pl.col("Series Name") != INDEX[1])).head(1)
        if bad.height:
            col = "Indicator Type" if bad["Indicator Type"][0] != INDEX[0] else "Series Name"
            raise self.fail(path, f"{bad['Indicator Type'][0]!r} / {bad['Series Name'][0]!r} is not the headline CPI "
                            f"index ({INDEX[0]!r} / {INDEX[1]!r})", row=bad[ROW][0], column=col)
        if df.height == 0:
            raise self.fail(path, "no headline CPI index rows", row=2)
        unknown = df.filter(~pl.col("Country Code").is_in(sorted(known_codes()))).head(1)
        if unknown.height:
            raise self.fail(path, f"{unknown['Country Code'][0]!r} is not a known ISO3 country code",
                            row=unknown[ROW][0], column="Country Code")
        dup = df.filter(pl.col("Country Code").is_duplicated()).sort(ROW).head(2)
        if dup.height:
            raise self.fail(path, f"country {dup['Country Code'][0]!r} appears twice (also at row {dup[ROW][0]})",
                            row=dup[ROW][-1], column="Country Code")
        return df

    def _numbers(self, path: Path, long: pl.DataFrame) -> pl.DataFrame:
        """Cells → numbers; the first bad cell in file order (row, then month) names its row and month column."""
        parsed = long.with_columns(pl.col("cell").cast(pl.Float64, strict=False).alias("value"))
        bad = parsed.filter(pl.col("value").is_null() | ~pl.col("value").is_finite()).sort(ROW, "month").head(1)
        if bad.height:  # the shared conversion words the error (not a number / not finite / implausibly large)
            to_number(bad, "cell", source=self.id, path=path, label=bad["month"][0])
        big = parsed.filter(pl.col("value").abs() >= 1e18).sort(ROW, "month").head(1)
        if big.height:
            to_number(big, "cell", source=self.id, path=path, label=big["month"][0])
        return parsed

    def _levels(self, path: Path, long: pl.DataFrame) -> pl.DataFrame:
        """Zero cells before the first level ≥ 1 dropped (rounded away); other levels ≤ 0 rejected."""
        reached = (pl.col("value") >= 1).cast(pl.Int32).cum_sum().over("Country Code") > 0
        long = long.with_columns(reached=reached)
        bad = long.filter((pl.col("value") < 0) | ((pl.col("value") == 0) & pl.col("reached"))).sort(ROW, "month")
        if bad.height:
            b = bad.row(0, named=True)
            why = "after the index had reached 1" if b["value"] == 0 else "a percent change?"
            raise self.fail(path, f"{b['cell']!r} is not an index level ({why})", row=b[ROW], column=b["month"])
        return long.filter(pl.col("value") > 0).drop("reached")

    def _output(self, path: Path, lv: pl.DataFrame) -> pl.DataFrame:
        half = 0.5 * pl.lit(10.0).pow(-pl.col("decimals").cast(pl.Float64))
        lv = lv.with_columns(half=half)
        by = "Country Code"
        s = lv.with_columns(prev=pl.col("value").shift(1).over(by), prev_half=pl.col("half").shift(1).over(by),
                            prev_date=pl.col("date").shift(1).over(by))
        s = s.filter(pl.col("prev_date").dt.offset_by("1mo") == pl.col("date"))
        broke = s.filter((pl.col("value") + pl.col("half")) <= HALVED * (pl.col("prev") - pl.col("prev_half")))
        broke = broke.sort(ROW, "month").head(1)
        if broke.height:
            b = broke.row(0, named=True)
            raise self.fail(path, f"{b['cell']!r} is {100 * (b['value'] / b['prev'] - 1):+.1f} % on the previous "
                            f"month ({b['prev']:g}): a consumer price index does not halve in a month (a rebase or "
                            f"a redenomination not spliced?)", row=b[ROW], column=b["month"])
        fine = ((pl.col("half") <= MAX_ROUNDING * pl.col("value"))
                & (pl.col("prev_half") <= MAX_ROUNDING * pl.col("prev")))
        mom = s.filter(fine).with_columns(value=100.0 * pl.col("value") / pl.col("prev"))
        out = pl.concat([
            lv.select(ROW, by, "date", "value", measure=pl.lit("level")),
            mom.select(ROW, by, "date", "value", measure=pl.lit("mom_index")),
        ]).sort(ROW, "date", "measure")
        return out.select(ROW, "date", pl.col(by).alias("country"), series=pl.lit("all"), measure="measure",
                          value="value", source=pl.lit(self.id))


SOURCE = WbInflation()
