"""Gas and oil pipelines and LNG terminals from Global Energy Monitor's infrastructure trackers (CC BY 4.0).

Publisher formats
-----------------
* GGIT map file (``ggit_<date>.xlsx``, one sheet): gas pipelines (``tracker-acro == "GGIT"``, capacity in
  bcm/y) and LNG terminals (``"GGIT-lng"``, capacity in mtpa of LNG) with columns ``id, url, name, unit-name,
  status, areas, owner, parent, capacity, start-year, …, geometry, tracker-acro, …, capacity-table``. The same
  columns as csv (geometry dropped, a leading ``source`` column added) for the Central Asia subset.
* GOIT map data (``data.csv``): oil and NGL pipelines, columns ``project, unit, type, parent, countries,
  status, start_year, capacity (bbl/d), geom, route, url``; the Central Asia subset has the same columns
  without ``geom, route``.

Mapping to ``routes``
---------------------
``route_id`` is GEM's unit id for GGIT (``P2299``, ``T082701``); GOIT has no id, so it is ``GOIT:<project>``
or ``GOIT:<project>|<unit>``. ``name`` is the project name with the unit in brackets. ``countries`` parses
GEM's ``areas``/``countries`` (country names separated by commas, in GEM's order) into ISO3 codes joined by
``;``; an empty field gives ``""``. ``operator`` is GGIT's ``owner`` or GOIT's ``parent`` (GOIT has no owner
column). GEM carries no start or end node, and names are not parsed for them ("Trans-Caspian" is no
origin), so ``origin``/``destination`` stay empty. LNG capacity is stored as ``Mt/y`` (GEM: "mtpa of LNG").
GOIT's NGL pipelines get carrier ``ngl``. Geometry is not loaded.

Quirks (2024 editions): ``start-year`` "--" means unknown; Darwin LNG T1 (``T033101``) has start-year "1", a
data-entry error read as unknown (:data:`YEAR_ERRORS`); areas "Canary Islands" and the Timor Sea "Joint
Petroleum Development Area" (jointly administered by Australia and Timor-Leste) are mapped by
:data:`AREAS`. For GGIT, ``capacity-table`` must state the unit expected for the tracker.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pyarrow as pa

from .. import countries
from ..errors import SourceFormatError
from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number, xlsx_rows

AREAS: dict[str, tuple[str, ...]] = {
    "Canary Islands": ("ESP",),
    "Joint Petroleum Development Area": ("AUS", "TLS"),
}
YEAR_ERRORS = {"T033101": "1"}  # GEM id → implausible start-year read as unknown
YEAR_PLACEHOLDERS = {"", "--"}
STATUSES = frozenset({
    "operating", "construction", "proposed", "announced", "pre-construction", "shelved", "cancelled",
    "mothballed", "idle", "retired",
})
# tracker → (kind, carrier, unit stored, unit text in capacity-table)
GGIT_TRACKERS = {"GGIT": ("pipeline", "gas", "bcm/y", "bcm/y of gas"), "GGIT-lng": ("terminal", "gas", "Mt/y", "mtpa of LNG")}
GOIT_TYPES = {"oil_pipelines": "oil", "ngl_pipelines": "ngl"}
# the shipped pack keeps routes touching these states: Central Asia and the neighbours its energy transits
PACK_COUNTRIES = frozenset({
    "KAZ", "KGZ", "TJK", "TKM", "UZB", "RUS", "CHN", "MNG", "AZE", "GEO", "ARM", "TUR", "IRN", "AFG", "PAK",
    "BLR", "UKR",
})
_GGIT_REQUIRED = ("id", "name", "unit-name", "status", "areas", "owner", "capacity", "start-year", "tracker-acro")
_GOIT_REQUIRED = ("project", "unit", "type", "parent", "countries", "status", "start_year", "capacity", "url")


class Gem(Source):
    id = "gem"
    tables = ("routes",)
    pack_inputs = (
        "energy/gem_ggit_gas_pipelines_lng_terminals_mapfile_2024-10-08.xlsx",
        "energy/gem_goit_oil_ngl_pipelines_mapdata_2024-06.csv",
    )
    columns = {"capacity": "capacity", "route_id": "id", "countries": "areas"}

    def handles(self, path: Path) -> bool:
        head = self._header(path)
        return self._kind(head) is not None

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            df = self._read_xlsx(path)
        else:
            goit = "project" in [c.strip() for c in header_line(path).split(",")]
            df = read_csv_strings(path, source=self.id, required=_GOIT_REQUIRED if goit else _GGIT_REQUIRED)
        kind = self._kind(df.columns)
        if kind is None:
            raise self.fail(path, f"not a GEM GGIT/GOIT map file: missing columns; header has {df.columns[:12]}", row=1)
        return {"routes": self._ggit(path, df) if kind == "ggit" else self._goit(path, df)}

    # -- reading -------------------------------------------------------------------------------
    @staticmethod
    def _kind(head: list[str]) -> str | None:
        if "tracker-acro" in head and "areas" in head:
            return "ggit"
        if {"project", "countries", "type", "capacity"} <= set(head):
            return "goit"
        return None

    def _header(self, path: Path) -> list[str]:
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            try:
                sheets = xlsx_rows(self.id, path, max_row=1, data_only=False, first_only=True)
            except SourceFormatError:  # not a workbook: not ours
                return []
            first = next(iter(sheets.values()), [])
            return [str(c).strip() for c in (first[0] if first else ()) if c is not None]
        if suffix in (".csv", ".gz"):
            return [c.strip() for c in header_line(path).split(",")]
        return []

    def _read_xlsx(self, path: Path) -> pl.DataFrame:
        sheets = xlsx_rows(self.id, path, first_only=True)
        rows = iter(next(iter(sheets.values()), []))
        header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
        keep = [j for j, h in enumerate(header) if h and h != "geometry"]
        data = [[_text(r[j]) if j < len(r) else None for j in keep] for r in rows if any(v is not None for v in r)]
        missing = [c for c in _GGIT_REQUIRED if c not in header]
        if missing:
            raise self.fail(path, f"missing column(s) {', '.join(map(repr, missing))}; header has {header[:12]}", row=1)
        if not data:
            raise self.fail(path, "no data rows after the header", row=2)
        df = pl.DataFrame(data, schema={header[j]: pl.Utf8 for j in keep}, orient="row")
        return df.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))

    # -- GGIT ----------------------------------------------------------------------------------
    def _ggit(self, path: Path, df: pl.DataFrame) -> pl.DataFrame:
        self._check_in(path, df, "tracker-acro", GGIT_TRACKERS, "tracker")
        self._check_in(path, df, "status", STATUSES, "status")
        df = self._capacity(path, df)
        if "capacity-table" in df.columns:
            self._check_capacity_units(path, df)
        years = self._years(path, df, "start-year", ids=df.get_column("id").to_list())
        records = []
        for rec, start in zip(df.iter_rows(named=True), years, strict=True):
            kind, carrier, unit, _ = GGIT_TRACKERS[rec["tracker-acro"]]
            cap = rec["capacity"]
            records.append((
                rec[ROW], _s(rec["id"]), _name(rec["name"], rec["unit-name"]), kind, carrier,
                self._countries(path, rec["areas"], rec[ROW], "areas"), _s(rec["owner"]), cap,
                unit if cap is not None else None, rec["status"], start, _citation("GGIT", rec.get("url")),
            ))
        return _frame(records)

    def _check_capacity_units(self, path: Path, df: pl.DataFrame) -> None:
        for r, tracker, text, cap in df.select(ROW, "tracker-acro", "capacity-table", "capacity").iter_rows():
            if not text:
                continue
            m = re.match(r"^\s*([\d.,]+)\s*(.*?)\s*$", text)
            expected = GGIT_TRACKERS[tracker][3]
            if not m or m.group(2) != expected:
                raise self.fail(path, f"{text!r} is not in {expected!r} as tracker {tracker!r} requires", row=r,
                                column="capacity-table")
            if cap is not None and abs(float(m.group(1).replace(",", "")) - cap) > 0.051:
                raise self.fail(path, f"{text!r} disagrees with capacity {cap}", row=r, column="capacity-table")

    # -- GOIT ----------------------------------------------------------------------------------
    def _goit(self, path: Path, df: pl.DataFrame) -> pl.DataFrame:
        self._check_in(path, df, "type", GOIT_TYPES, "pipeline type")
        self._check_in(path, df, "status", STATUSES, "status")
        df = self._capacity(path, df)
        years = self._years(path, df, "start_year", ids=None)
        records = []
        for rec, start in zip(df.iter_rows(named=True), years, strict=True):
            project, unit = _s(rec["project"]), _s(rec["unit"])
            if not project:
                raise self.fail(path, "missing value", row=rec[ROW], column="project")
            cap = rec["capacity"]
            records.append((
                rec[ROW], f"GOIT:{project}" + (f"|{unit}" if unit else ""), _name(project, unit), "pipeline",
                GOIT_TYPES[rec["type"]], self._countries(path, rec["countries"], rec[ROW], "countries"),
                _s(rec["parent"]), cap, "bbl/d" if cap is not None else None, rec["status"], start,
                _citation("GOIT", rec.get("url")),
            ))
        return _frame(records)

    # -- shared checks -------------------------------------------------------------------------
    def _capacity(self, path: Path, df: pl.DataFrame) -> pl.DataFrame:
        df = to_number(df, "capacity", source=self.id, path=path)
        bad = df.filter(pl.col("capacity") < 0).head(1)
        if bad.height:
            raise self.fail(path, f"{bad['capacity'][0]} is negative", row=bad[ROW][0], column="capacity")
        return df

    def _check_in(self, path: Path, df: pl.DataFrame, col: str, allowed, what: str) -> None:
        bad = df.filter(~pl.col(col).is_in(sorted(allowed)) | pl.col(col).is_null()).head(1)
        if bad.height:
            raise self.fail(path, f"unknown {what} {bad[col][0]!r}; expected one of {sorted(allowed)}",
                            row=bad[ROW][0], column=col)

    def _years(self, path: Path, df: pl.DataFrame, col: str, *, ids: list | None) -> list[int | None]:
        out: list[int | None] = []
        for k, (r, v) in enumerate(df.select(ROW, col).iter_rows()):
            text = (v or "").strip()
            if text in YEAR_PLACEHOLDERS or (ids is not None and YEAR_ERRORS.get(ids[k]) == text):
                out.append(None)
                continue
            try:
                y = float(text)
            except ValueError:
                raise self.fail(path, f"{v!r} is not a year", row=r, column=col) from None
            if not 1800 <= y <= 2100 or y != int(y):  # range first: int(inf) and int(nan) raise
                raise self.fail(path, f"{v!r} is not a plausible year (1800–2100)", row=r, column=col)
            out.append(int(y))
        return out

    def _countries(self, path: Path, field: str | None, row: int, col: str) -> str:
        codes: list[str] = []
        for name in (field or "").split(","):
            name = name.strip()
            if not name:
                continue
            iso = countries.try_resolve(name)
            found = AREAS.get(name) or ((iso,) if iso else None)
            if found is None:
                raise self.fail(path, f"unknown country {name!r}", row=row, column=col)
            codes += [c for c in found if c not in codes]
        return ";".join(codes)

    # -- the pack ------------------------------------------------------------------------------
    def reduce_for_pack(self, table_name: str, tbl: pa.Table) -> pa.Table:
        """Keep routes that touch Central Asia or a neighbour its energy transits (:data:`PACK_COUNTRIES`)."""
        df = pl.from_arrow(tbl)
        touches = pl.col("countries").str.split(";").list.eval(pl.element().is_in(sorted(PACK_COUNTRIES))).list.any()
        return df.filter(touches).to_arrow()


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _s(v: object) -> str | None:
    s = str(v).strip() if v is not None else ""
    return s or None


def _name(project: object, unit: object) -> str:
    p, u = _s(project) or "", _s(unit)
    return f"{p} ({u})" if u else p


def _citation(tracker: str, url: object) -> str:
    u = _s(url)
    return f"Global Energy Monitor, {tracker}" + (f": {u}" if u else "")


def _frame(records: list[tuple]) -> pl.DataFrame:
    schema = {
        ROW: pl.Int64, "route_id": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8, "carrier": pl.Utf8, "countries": pl.Utf8,
        "operator": pl.Utf8, "capacity": pl.Float64, "unit": pl.Utf8, "status": pl.Utf8, "start_year": pl.Int32,
        "citation": pl.Utf8,
    }
    return pl.DataFrame(records, schema=schema, orient="row").with_columns(
        origin=pl.lit(None, pl.Utf8), destination=pl.lit(None, pl.Utf8), source=pl.lit(Gem.id)
    )


SOURCE = Gem()
