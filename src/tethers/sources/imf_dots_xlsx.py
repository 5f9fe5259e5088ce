"""IMF Direction of Trade Statistics, per-country workbooks: a global bilateral goods-trade backbone.

Basis: **reporter-declared** totals as published in DOTS — exports f.o.b., imports c.i.f., current
US dollars, all goods. For a country that does not report (or not for every month), DOTS fills the
gap with IMF estimates built from partner (mirror) data; the workbooks flag such cells by a trailing
``e`` (text cells such as ``1,032.13 e``); the loader keeps them, marks them ``estimated`` in the derived
CSV's ``basis`` column and sets the atlas ``trade`` column ``estimated`` (true for an ``e`` cell, false
for an unflagged one — unflagged is not a guarantee: Turkmenistan's 2020 figures carry no flag). The ``World`` row is
the reporter's own world total and becomes partner ``WLD`` — an independent total for the coverage
rule (partner rows add up to it less "Countries & Areas not specified" and "Special Categories").

Publisher formats
-----------------
* **DOTS workbook** (``.xlsx``), the data.imf.org download "Exports and Imports by Areas and
  Countries" for one reporter: sheets ``Exports, FOB`` and ``Imports, CIF``; cell B2 the title
  (``Exports, FOB to Partner Countries`` / ``Imports, CIF from Partner Countries``), B4 the reporter
  (``Kazakhstan, Rep. of``), B5 the unit (``US Dollars, Millions``), row 7 the years (C7 …), then one
  row per partner (name in column B). Aggregates (``Advanced Economies``, ``Euro Area``, regions,
  "not specified" rows) are skipped; empty cells are "no data" and give no row; the few negative
  cells (adjustment entries, not trade values) are left out and counted in ``last_negatives``.
* **Compact derived CSV** (``imf_dots_xlsx_*.csv[.gz]``, written by ``scripts/derive_imf_dots_xlsx.py``
  from the workbooks): ``reporter,partner,year,flow,value_musd,basis`` with ISO3 codes (``WLD`` = world),
  flow ``export``/``import``, value in million USD exactly as in the workbook, basis ``reported`` or
  ``estimated`` (the workbook's ``e`` flag). This is what ships in the
  data pack (``data/derived/``), since the 235 workbooks themselves are not redistributed here.

Country names are IMF spellings; ``data/imf_dots_names.csv`` maps the ones country_converter does
not know (``China, P.R.: Mainland`` …) and lists the aggregates (empty ISO3 = skipped); any other
name goes through :func:`tethers.countries.try_resolve` and an unknown one raises naming its row.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polars as pl

from .. import countries
from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number, xlsx_rows
from ._trade import load_mapping, raise_first, trade_frame

FLOWS = {"Exports, FOB": "export", "Imports, CIF": "import"}
UNITS = {"US Dollars, Millions": 1e6, "US Dollars, Billions": 1e9, "US Dollars": 1.0}
COMPACT = ["reporter", "partner", "year", "flow", "value_musd", "basis"]
BASES = ("reported", "estimated")
_YEAR = re.compile(r"^\s*(\d{4})(?:\.0)?\s*$")
# a text cell "1,032.13 e": the IMF's estimate (from partner data) for a non-reported flow
_ESTIMATE = re.compile(r"^\s*(\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?)\s*e\s*$")


@cache
def dots_names() -> dict[str, str]:
    """IMF spelling → ISO3 ('' = aggregate, skipped), from the shipped mapping."""
    return load_mapping("imf_dots_names.csv", "imf_name", "iso3")


def resolve_name(name: str) -> str | None:
    """ISO3 for an IMF country name; '' for a listed aggregate; None when unknown."""
    key = " ".join(str(name).split())
    mapping = dots_names()
    if key in mapping:
        return mapping[key]
    return countries.try_resolve(key)


class ImfDotsXlsx(Source):
    id = "imf_dots_xlsx"
    tables = ("trade",)
    # the derived backbone in period files, each < 8 MiB (scripts/derive_imf_dots_xlsx.py PERIODS)
    pack_inputs = ("repo:data/derived/imf_dots_xlsx_1960_1989.csv.gz", "repo:data/derived/imf_dots_xlsx_1990_2004.csv.gz",
                   "repo:data/derived/imf_dots_xlsx_2005_2020.csv.gz")
    columns = {"value_usd": "value_musd", "reporter": "reporter", "partner": "partner", "year": "year"}

    def handles(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            try:
                rows = xlsx_rows(self.id, path, max_row=2, max_col=2, first_only=True)
            except Exception:  # noqa: BLE001 - sniffing never raises
                return False
            first = next(iter(rows.values()), [])
            title = str(first[1][1]) if len(first) > 1 and len(first[1]) > 1 else ""
            return any(title.startswith(k) for k in FLOWS)
        if suffix in (".csv", ".gz"):
            head = [h.strip().strip('"') for h in header_line(path).strip().split(",")]
            return head == COMPACT
        return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        return {"trade": self.parse_frame(self.rows(path))}

    def rows(self, path: Path) -> pl.DataFrame:
        """The file's rows with ``_row, reporter, partner, year, flow, value_musd, value_usd, basis``."""
        return self._workbook(path) if path.suffix.lower() == ".xlsx" else self._compact(path)

    # -- compact CSV ---------------------------------------------------------------------------
    def _compact(self, path: Path) -> pl.DataFrame:
        df = read_csv_strings(path, source=self.id, required=COMPACT)
        if df.height == 0:
            raise self.fail(path, "no data rows after the header", row=2)
        df = df.with_columns(pl.col(c).str.strip_chars() for c in ("reporter", "partner", "flow"))
        raise_first(df, ~pl.col("flow").is_in(["export", "import"]), source=self.id, path=path, column="flow",
                    reason=lambda v: f"flow {v!r} is not 'export' or 'import'")
        for side in ("reporter", "partner"):
            ok = pl.col(side).str.contains(r"^[A-Z]{3}$")
            raise_first(df, ~ok, source=self.id, path=path, column=side,
                        reason=lambda v: f"{v!r} is not an ISO3 code")
        raise_first(df, pl.col("reporter") == "WLD", source=self.id, path=path, column="reporter",
                    reason="'WLD' is not a reporter")
        raise_first(df, ~pl.col("basis").str.strip_chars().is_in(list(BASES)), source=self.id, path=path,
                    column="basis", reason=lambda v: f"basis {v!r} is not one of {list(BASES)}")
        df = to_number(df, "year", source=self.id, path=path, dtype=pl.Int32)
        df = to_number(df, "value_musd", source=self.id, path=path)
        raise_first(df, pl.col("value_musd") < 0, source=self.id, path=path, column="value_musd",
                    reason=lambda v: f"{v!r} is negative")
        return df.with_columns((pl.col("value_musd") * 1e6).alias("value_usd"), pl.col("basis").str.strip_chars())

    # -- workbook ------------------------------------------------------------------------------
    def _workbook(self, path: Path) -> pl.DataFrame:
        records: list[tuple] = []
        self.last_negatives: list[tuple] = []
        seen_flows: set[str] = set()
        for sheet, rows in xlsx_rows(self.id, path).items():
            flow, reporter, scale, years, header_row = self._sheet_head(f"{path}[{sheet}]", rows, seen_flows)
            records += self._sheet_rows(f"{path}[{sheet}]", rows, flow, reporter, scale, years, header_row)
        if not records:
            raise self.fail(path, "no data rows (no partner row with a value)")
        return pl.DataFrame(records, schema={ROW: pl.Int64, "reporter": pl.Utf8, "partner": pl.Utf8,
                                             "year": pl.Int32, "flow": pl.Utf8, "value_musd": pl.Float64,
                                             "value_usd": pl.Float64, "basis": pl.Utf8}, orient="row")

    def _sheet_head(self, where: str, rows: list[tuple], seen_flows: set[str]):
        """Flow (title B2), reporter (B4), unit scale (B5) and the year columns (row of years) of one sheet."""
        title = str(_cell(rows, 2, 2) or "").strip()
        flow = next((f for k, f in FLOWS.items() if title.startswith(k)), None)
        if flow is None:
            raise self.fail(where, f"title {title!r} is not one of {[k + ' …' for k in FLOWS]}", row=2, column="B")
        if flow in seen_flows:
            raise self.fail(where, f"a second {flow} sheet", row=2, column="B")
        seen_flows.add(flow)
        rname = _cell(rows, 4, 2)
        reporter = resolve_name(rname) if rname else None
        if reporter in ("", "WLD"):
            raise self.fail(where, f"reporter {rname!r} is an aggregate without an ISO3 code", row=4, column="B")
        if not reporter:
            raise self.fail(where, f"reporter {rname!r} is not a country", row=4, column="B")
        unit = str(_cell(rows, 5, 2) or "").strip()
        if unit not in UNITS:
            raise self.fail(where, f"unit {unit!r} is not one of {list(UNITS)}", row=5, column="B")
        header_row = next((i for i in range(1, min(len(rows), 12) + 1)
                           if _cell(rows, i, 3) is not None and _YEAR.match(str(_cell(rows, i, 3)))), None)
        if header_row is None:
            raise self.fail(where, "no row of years (1960, 1961, …) in column C", row=7, column="C")
        years: dict[int, int] = {}
        for c in range(3, len(rows[header_row - 1]) + 1):
            v = _cell(rows, header_row, c)
            if v is None:
                continue
            m = _YEAR.match(str(v))
            if not m:
                raise self.fail(where, f"{v!r} is not a year", row=header_row, column=_letter(c))
            years[c] = int(m.group(1))
        return flow, reporter, UNITS[unit], years, header_row

    def _sheet_rows(self, where: str, rows: list[tuple], flow: str, reporter: str, scale: float,
                    years: dict[int, int], header_row: int) -> list[tuple]:
        out: list[tuple] = []
        # the downloads repeat a partner row (a stray first row) and list a country under two names
        # (Yemen Arab Rep. to 1990, Yemen, Rep. of after): one value per partner and year
        first: dict[tuple[str, int], tuple[int, float]] = {}
        for r in range(header_row + 1, len(rows) + 1):
            pname = _cell(rows, r, 2)
            values = [(years[c], _cell(rows, r, c)) for c in years]
            values = [(y, v) for y, v in values if not (v is None or (isinstance(v, str) and not v.strip()))]
            if pname is None or not str(pname).strip() or not values:
                continue
            partner = resolve_name(pname)
            if partner is None:
                raise self.fail(where, f"unknown country {str(pname)!r}", row=r, column="B")
            if partner == "":
                continue  # aggregate
            for year, raw in values:
                v, basis = self._value(where, raw, r, year)
                if v < 0:  # a handful of negative adjustment entries (1960s): not a trade value
                    self.last_negatives.append((r, year, v))
                    continue
                if (partner, year) in first:
                    r0, v0 = first[(partner, year)]
                    if v0 == v:
                        continue
                    raise self.fail(where, f"partner {partner} ({str(pname)!r}) in {year} is {raw!r} here but "
                                           f"{v0!r} at row {r0}", row=r, column=f"{year}")
                first[(partner, year)] = (r, v)
                out.append((r, reporter, partner, year, flow, v, v * scale, basis))
        return out

    def _value(self, where: str, v: object, row: int, year: int) -> tuple[float, str]:
        """A cell → (million USD, basis); text 'x e' is an IMF estimate."""
        if isinstance(v, bool):
            raise self.fail(where, f"{v!r} is not a number", row=row, column=f"{year}")
        if isinstance(v, (int, float)):
            x, basis = float(v), "reported"
        else:
            m = _ESTIMATE.match(str(v))
            try:
                x, basis = (float(m.group(1).replace(",", "")), "estimated") if m else (float(str(v).strip()), "reported")
            except ValueError:
                raise self.fail(where, f"{v!r} is not a number", row=row, column=f"{year}") from None
        if x != x or x in (float("inf"), float("-inf")):
            raise self.fail(where, f"{v!r} is not a finite number", row=row, column=f"{year}")
        return x, basis

    def parse_frame(self, df: pl.DataFrame) -> pl.DataFrame:
        """The canonical ``trade`` frame (plus ``_row``) of :meth:`rows`."""
        df = df.with_columns(pl.lit("TOTAL").alias("classification"), pl.lit("TOTAL").alias("product"),
                             pl.lit(0, pl.Int32).alias("level"), (pl.col("basis") == "estimated").alias("estimated"))
        return trade_frame(df, source=self.id)


def _cell(rows: list[tuple], r: int, c: int):
    """Cell (row r, column c), 1-based; None outside the sheet."""
    return rows[r - 1][c - 1] if len(rows) >= r and len(rows[r - 1]) >= c else None


def _letter(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


SOURCE = ImfDotsXlsx()
