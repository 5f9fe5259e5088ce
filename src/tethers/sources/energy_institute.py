"""Bilateral natural-gas trade by pipeline and as LNG (Statistical Review of World Energy; bp, then Energy Institute).

Publisher formats
-----------------
* The review's all-data workbook (``bp-stats-review-2021-all-data.xlsx`` … ``EI-stats-review-2024-all-data.xlsx``).
  Two sheets hold one data year's bilateral matrices, in billion cubic metres (bcm). Their names change between
  editions ("Gas - Trade movts - pipeline" / "Gas - Trade movts LNG" to 2023, "Gas trade - pipeline" /
  "Gas trade - LNG" in 2024), so a sheet is recognised by its title in column A, e.g. "Natural Gas: Trade
  movements 2023 by pipeline" or "… 2023 as liquefied natural gas*". The title gives the data year and mode.
  Layout: the row whose column A reads ``To`` carries the exporter labels (the LNG sheets split long labels over
  that row and the one above it: "Trinidad &" / "Tobago"; the axis caption "From" in that row is not part of a
  label); the rows below are importers, with regional subtotal rows, ending at ``Total exports``; the last
  column is ``Total imports``.
* The long csv ``gas_trade_movements_pipeline_lng_2020_2023_long.csv`` (``data_year, mode, importer, exporter,
  bcm, title, sheet, source_file``), a mechanical extraction of the same matrices. Its LNG exporter labels are
  only the second header line ("Federation", "Arab Emirates", "New Guinea", "Tobago"; "Africa", "Americas*",
  "Europe*", "Asia Pacific*" stand for the "Other …" residual columns); :data:`FRAGMENTS` maps the country ones.

Quirks
------
* Only flows between two countries are kept as partner rows. Totals, regional subtotals and residual
  rows/columns ("Other …", "Rest of Europe", and the EU as a whole, which the 2021–2023 pipeline matrices report
  instead of member states) are not partners: they are recognised by the explicit lists :data:`TOTALS`,
  :data:`REGIONS` and :data:`RESIDUALS`; any other label must resolve to a country or the file is rejected (no
  silent dropping).
* The publisher's totals are kept as ``WLD`` rows (the coverage rule's reference, as the trade table's world
  rows): a country row's ``Total imports`` cell → ``exporter = WLD, importer = country``; a country column's
  ``Total exports`` cell → ``exporter = country, importer = WLD``. Both include the flows booked to residual
  rows/columns, so the country partners' sum over the WLD row is the share the atlas can attribute. A country
  the matrix does not list (e.g. an EU member in the 2021–2023 pipeline matrices) gets no WLD row: no total is
  made up. A total of 0 is kept (a known zero), unlike zero cells. Consumers that sum partners must exclude
  ``WLD`` (:func:`tethers.atlas.queries_measures.energy_flows` does).
* A zero cell means no recorded flow; zero cells are not stored, so an absent (year, exporter, importer, mode)
  within a matrix's coverage is zero.
* Guard against a misread matrix: every row's cells add up to its ``Total imports`` cell and every exporter
  column's non-subtotal rows add up to its ``Total exports`` cell, within :data:`TOLERANCE` bcm (bp 2022 typed
  some European totals to one decimal).
* Each edition publishes the matrices of one data year only, so editions never overlap bilaterally; the pack
  still lets the latest edition win should two inputs carry the same year and mode.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import polars as pl
import pyarrow as pa

from .. import countries
from ..errors import SourceFormatError
from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number, xlsx_rows

TOTALS = frozenset({"Total imports", "Total exports"})
# importer-side subtotal rows (the exporter axis has no subtotals)
REGIONS = frozenset({
    "North America", "S. & Cent. America", "Europe", "CIS", "Middle East", "Africa", "Asia Pacific",
    "Middle East & Africa",
})
# leaf rows/columns that are not a single country
RESIDUALS = frozenset({
    "Other S. & Cent. America", "Other Americas*", "Other Europe", "Other Europe*", "Other Europe1",
    "Other EU", "Other European Union", "EU", "European Union", "Rest of Europe", "Other CIS",
    "Other Middle East", "Other Middle East & Africa", "Other Africa", "Other Asia Pacific", "Other Asia Pacific*",
    # the long csv's truncated LNG residual labels ("Other" lost): "Africa" is also covered by REGIONS
    "Americas*", "Europe*", "Asia Pacific*",
})
# second halves of split LNG exporter labels, as the long csv has them
FRAGMENTS = {"Federation": "RUS", "Arab Emirates": "ARE", "New Guinea": "PNG", "Tobago": "TTO"}
WORLD = "WLD"  # the partner code of a publisher's total (Total imports of a row, Total exports of a column)
MODES = ("pipeline", "lng")
TOLERANCE = 0.05  # bcm: the review's display precision ("† less than 0.05")
YEARS = (1800, 2100)  # as the schema's "year" check

_TITLE = re.compile(r"natural gas:\s*trade movements\s+(\d{4})\s+(by pipeline|as liquefied natural gas)", re.I)
_CSV_COLUMNS = ("data_year", "mode", "importer", "exporter", "bcm")


def _clean(x: object) -> str:
    return re.sub(r"\s+", " ", str(x)).strip() if x is not None else ""


def classify(label: str) -> str | None:
    """ISO3 of a country label, ``""`` for a total/subtotal/residual to drop, ``None`` when unknown."""
    if label in TOTALS or label in REGIONS or label in RESIDUALS:
        return ""
    return FRAGMENTS.get(label) or countries.try_resolve(label)


class EnergyInstitute(Source):
    id = "energy_institute"
    tables = ("energy_flows",)
    pack_inputs = (
        "energy/bp-stats-review-2021-all-data.xlsx",
        "energy/bp-stats-review-2022-all-data.xlsx",
        "energy/EI-stats-review-2023-all-data.xlsx",
        "energy/EI-stats-review-2024-all-data.xlsx",
    )
    columns = {"volume": "bcm", "exporter": "exporter", "importer": "importer", "year": "data_year"}

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return bool(self._matrix_sheets(path, strict=False))
        if path.suffix.lower() in (".csv", ".gz"):
            head = header_line(path).split(",")
            return all(c in head for c in _CSV_COLUMNS)
        return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return {"energy_flows": self._parse_workbook(path)}
        return {"energy_flows": self._parse_csv(path)}

    # -- the all-data workbook ---------------------------------------------------------------
    def _matrix_sheets(self, path: Path, *, strict: bool) -> dict[str, tuple[int, str]]:
        """Sheets whose title (column A, first rows) names a gas trade-movement matrix → (year, mode)."""
        try:
            heads = xlsx_rows(self.id, path, max_row=3, max_col=1)
        except SourceFormatError:
            if strict:
                raise
            return {}
        out = {}
        for title, rows in heads.items():
            for (cell,) in rows:
                m = _TITLE.search(_clean(cell))
                if m:
                    out[title] = (int(m.group(1)), "pipeline" if "pipeline" in m.group(2).lower() else "lng")
                    break
        return out

    def _parse_workbook(self, path: Path) -> pl.DataFrame:
        sheets = self._matrix_sheets(path, strict=True)
        if not sheets:
            raise self.fail(path, "no sheet titled 'Natural Gas: Trade movements <year> by pipeline / as liquefied natural gas'")
        cells = xlsx_rows(self.id, path, sheets=sheets)
        return pl.concat([self._parse_matrix(f"{path}[{name}]", [list(r) for r in cells[name]], year, mode)
                          for name, (year, mode) in sheets.items()])

    def _parse_matrix(self, where: str, rows: list[list], year: int, mode: str) -> pl.DataFrame:
        head = next((i for i, r in enumerate(rows) if r and _clean(r[0]) == "To"), None)
        if head is None:
            raise self.fail(where, "no header row starting with 'To' (exporter labels)")
        exporters = self._exporter_labels(where, rows, head)
        cells = self._matrix_cells(where, rows, head, exporters)
        self._check_totals(where, cells, column=None)
        iso = {label: classify(label) for label in {c[1] for c in cells} | set(exporters.values())}
        out = [(r, year, iso[e], iso[imp], mode, v) for r, imp, e, v in cells if v != 0 and iso[imp] and iso[e]]
        return _frame(out + _world_rows(cells, iso, year, mode))

    def _exporter_labels(self, where: str, rows: list[list], head: int) -> dict[int, str]:
        """Column index → exporter label, joining a label split over the header row and the row above."""
        above = rows[head - 1] if head else []
        exporters: dict[int, str] = {}
        for j in range(1, len(rows[head])):
            part = _clean(rows[head][j])
            if not part:
                continue
            pre = _clean(above[j]) if j < len(above) else ""
            label = f"{pre} {part}" if pre and pre != "From" else part
            if label in exporters.values():
                raise self.fail(where, f"exporter label {label!r} appears twice", row=head + 1, column=_col_letter(j))
            if classify(label) is None:
                raise self.fail(where, f"unknown exporter label {label!r}", row=head + 1, column=_col_letter(j))
            exporters[j] = label
        return exporters

    def _matrix_cells(self, where: str, rows: list[list], head: int, exporters: dict[int, str]) -> list[tuple]:
        """(sheet row, importer label, exporter label, bcm) for every cell down to the 'Total exports' row."""
        cells: list[tuple[int, str, str, float]] = []
        for i in range(head + 1, len(rows)):
            row = rows[i] or [None]
            label = _clean(row[0])
            if not any(_clean(row[j]) for j in exporters if j < len(row)):
                if label:  # a note under the matrix: the matrix ended without its total row
                    break
                continue
            if not label:
                raise self.fail(where, "row has volumes but no importer label", row=i + 1, column="A")
            if classify(label) is None:
                raise self.fail(where, f"unknown importer label {label!r}", row=i + 1, column="A")
            cells += [(i + 1, label, e, self._cell(where, row[j] if j < len(row) else None, i + 1, j))
                      for j, e in exporters.items()]
            if label == "Total exports":
                return cells
        raise self.fail(where, "no 'Total exports' row closing the matrix")

    def _cell(self, where: str, v: object, row: int, j: int) -> float:
        if v is None or (isinstance(v, str) and v.strip() in ("", "-", "–")):
            return 0.0
        try:
            x = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise self.fail(where, f"{v!r} is not a number", row=row, column=_col_letter(j)) from None
        if x < 0 or x != x:
            raise self.fail(where, f"{v!r} is not a non-negative volume", row=row, column=_col_letter(j))
        return x

    def _check_totals(self, where: str, cells: list[tuple[int, str, str, float]], *, column: str | None) -> None:
        """Row cells add up to 'Total imports'; non-subtotal rows of a column add up to 'Total exports'."""
        row_sum: dict[str, float] = defaultdict(float)
        col_sum: dict[str, float] = defaultdict(float)
        row_total: dict[str, tuple[float, int]] = {}
        col_total: dict[str, tuple[float, int]] = {}
        for r, imp, exp, v in cells:
            if exp == "Total imports":
                row_total[imp] = (v, r)
            else:
                row_sum[imp] += v
            if imp == "Total exports":
                col_total[exp] = (v, r)
            elif imp not in REGIONS:
                col_sum[exp] += v
        for kind, sums, totals in (("importer", row_sum, row_total), ("exporter", col_sum, col_total)):
            for label, (t, r) in totals.items():
                s = sums.get(label, 0.0)
                if abs(s - t) > TOLERANCE:
                    which = "Total imports" if kind == "importer" else "Total exports"
                    raise self.fail(
                        where, f"{kind} {label!r}: cells add up to {s:.3f} bcm but {which!r} says {t:.3f} (misread matrix?)",
                        row=r, column=column,
                    )

    # -- the long csv --------------------------------------------------------------------------
    def _parse_csv(self, path: Path) -> pl.DataFrame:
        df = read_csv_strings(path, source=self.id, required=_CSV_COLUMNS)
        df = to_number(df, "bcm", source=self.id, path=path)
        df = to_number(df, "data_year", source=self.id, path=path, dtype=pl.Int32)
        self._first_bad(path, df, pl.col("bcm").is_null(), "bcm", "missing volume")
        self._first_bad(path, df, pl.col("bcm") < 0, "bcm", "is negative")
        self._first_bad(path, df, pl.col("data_year").is_null(), "data_year", "missing year")
        self._first_bad(
            path, df, ~pl.col("data_year").is_between(*YEARS), "data_year", f"is not a plausible year ({YEARS[0]}–{YEARS[1]})"
        )
        self._first_bad(path, df, ~pl.col("mode").is_in(MODES), "mode", f"is not a mode of these matrices {list(MODES)}")
        key = ["data_year", "mode", "importer", "exporter"]
        dup = df.filter(pl.struct(key).is_duplicated()).sort(ROW)
        if dup.height:
            first = dup.row(0, named=True)
            again = dup.filter(pl.all_horizontal([pl.col(k) == first[k] for k in key]))[ROW][1]
            raise self.fail(path, f"duplicate cell {({k: first[k] for k in key})} (also at row {again})", row=first[ROW])
        iso = {}
        for col in ("importer", "exporter"):
            self._first_bad(path, df, pl.col(col).is_null(), col, "missing label")
            for label in df.get_column(col).unique().to_list():
                code = classify(_clean(label))
                if code is None:
                    r = df.filter(pl.col(col) == label)[ROW][0]
                    raise self.fail(path, f"unknown country label {label!r}", row=r, column=col)
                iso[label] = code
        for (_year, _mode), g in df.group_by("data_year", "mode", maintain_order=True):
            cells = [(r, _clean(i), _clean(e), v) for r, i, e, v in g.select(ROW, "importer", "exporter", "bcm").iter_rows()]
            self._check_totals(str(path), cells, column="bcm")
        out = df.filter(
            (pl.col("bcm") != 0)
            & (pl.col("importer").replace_strict(iso, return_dtype=pl.Utf8) != "")
            & (pl.col("exporter").replace_strict(iso, return_dtype=pl.Utf8) != "")
        )
        world: list[tuple] = []
        for (year, mode), g in df.group_by("data_year", "mode", maintain_order=True):
            cells = [(r, _clean(i), _clean(e), v) for r, i, e, v in g.select(ROW, "importer", "exporter", "bcm").iter_rows()]
            world += _world_rows(cells, {_clean(k): v for k, v in iso.items()}, year, mode)
        return _frame([
            (r, y, iso[e], iso[i], m, v)
            for r, y, e, i, m, v in out.select(ROW, "data_year", "exporter", "importer", "mode", "bcm").iter_rows()
        ] + world)

    def _first_bad(self, path: Path, df: pl.DataFrame, mask: pl.Expr, col: str, why: str) -> None:
        bad = df.filter(mask.fill_null(False)).head(1)
        if bad.height:
            v = bad[col][0]
            raise self.fail(path, why if v is None else f"{v!r} {why}", row=bad[ROW][0], column=col)

    # -- the pack ------------------------------------------------------------------------------
    def combine_for_pack(self, table_name: str, parts: list[tuple[str, pa.Table]]) -> pa.Table:
        """Latest edition wins: a (year, mode) matrix found in several inputs is taken from the last one.

        ``pack_inputs`` lists the editions oldest first.
        """
        frames = [pl.from_arrow(t).with_columns(pl.lit(i).alias("__rank")) for i, (_, t) in enumerate(parts)]
        df = pl.concat(frames)
        latest = df.group_by("year", "mode").agg(pl.col("__rank").max())
        return df.join(latest, on=["year", "mode", "__rank"]).drop("__rank").to_arrow()


def _world_rows(cells: list[tuple[int, str, str, float]], iso: dict[str, str], year: int, mode: str) -> list[tuple]:
    """The publisher's totals of the countries a matrix lists, as ``WLD`` partner rows (zeros kept).

    ``Total imports`` on a country's row → (WLD → country); ``Total exports`` in a country's column →
    (country → WLD). Both include the flows booked to residual "Other …" rows/columns.
    """
    out = []
    for r, imp, exp, v in cells:
        if exp == "Total imports" and iso.get(imp):
            out.append((r, year, WORLD, iso[imp], mode, v))
        elif imp == "Total exports" and iso.get(exp):
            out.append((r, year, iso[exp], WORLD, mode, v))
    return out


def _col_letter(j: int) -> str:
    """0-based column index → spreadsheet letter (0 → A)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _frame(rows: list[tuple]) -> pl.DataFrame:
    df = pl.DataFrame(
        rows, schema={ROW: pl.Int64, "year": pl.Int32, "exporter": pl.Utf8, "importer": pl.Utf8, "mode": pl.Utf8,
                      "volume": pl.Float64},
        orient="row",
    )
    return df.with_columns(carrier=pl.lit("gas"), unit=pl.lit("bcm"), source=pl.lit(EnergyInstitute.id))


SOURCE = EnergyInstitute()
