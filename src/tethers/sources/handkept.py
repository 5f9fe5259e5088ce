"""tethers' hand-kept tables: memberships after COW's 2014 cut-off, routes, security facilities and events.

Files (shipped in ``tethers/data/``, one row per fact, every row with a public citation)
-----------------------------------------------------------------------------------------
* ``memberships.csv`` — the ``memberships`` columns minus ``source``;
* ``routes.csv`` — the ``routes`` columns minus ``source``;
* ``route_flows.csv`` — observed export volumes by route and year (``route_flows`` minus ``source``);
* ``security_ties.csv`` — the ``security_ties`` columns minus ``source``.

``read(path)`` takes one of these files (the table is decided by the header, not the file name) or a
folder holding them. A file with a header and no rows loads as an empty table.

Checks beyond the canonical schema: every row has a non-empty ``citation``; dates are ISO
``YYYY-MM-DD``; a membership's ``joined`` is the calendar year of ``joined_date`` and its ``left`` the
year of ``left_date`` (or the year before, for a departure before 1 July — the EU rule of
:func:`tethers.countries.eu_members`); spells do not end before they start; ``route.countries`` is a
``;``-separated list of known ISO3 codes.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import polars as pl
import pyarrow as pa

from ..atlas.schema import table as schema_table
from . import Loaded, Source
from ._common import (
    ROW,
    decode_text,
    header_line,
    known_codes,
    read_bytes,
    read_csv_strings,
    to_date,
    to_number,
)

FILES = {"memberships": "memberships.csv", "routes": "routes.csv", "security_ties": "security_ties.csv",
         "route_flows": "route_flows.csv"}
DATES = {"memberships": ("joined_date", "left_date", "participation_from"),
         "security_ties": ("start_date", "end_date", "personnel_as_of")}
INTEGERS = {"memberships": ("joined", "left", "observed_to"), "routes": ("start_year",), "route_flows": ("year",),
            "security_ties": ("personnel", "personnel_announced")}
FLOATS = {"routes": ("capacity",), "route_flows": ("volume",)}
# Columns added in schema version 2: a hand-kept file written before them still reads (they are NULL).
OPTIONAL = {
    "memberships": ("participation", "participation_from"),
    "security_ties": ("personnel", "personnel_basis", "personnel_announced", "personnel_scope", "personnel_as_of",
                      "personnel_citation"),
}
EARLIEST = dt.date(1800, 1, 1)


def columns_of(table_name: str) -> list[str]:
    """The hand-kept file's columns for ``table_name``: the canonical columns minus ``source``."""
    return [c for c in schema_table(table_name).column_names if c != "source"]


def required_columns(table_name: str) -> list[str]:
    """The columns a hand-kept file must have: :func:`columns_of` minus the :data:`OPTIONAL` ones."""
    return [c for c in columns_of(table_name) if c not in OPTIONAL.get(table_name, ())]


def data_dir() -> Path:
    """The folder of the hand-kept CSVs shipped inside the tethers package."""
    return Path(str(resources.files("tethers.data")))


class Handkept(Source):
    id = "handkept"
    tables = ("memberships", "routes", "security_ties", "route_flows")
    # Files inside the tethers package, not under shared/data: see tethers.atlas.pack.input_path.
    pack_inputs = tuple(f"tethers:data/{name}" for name in FILES.values())

    def handles(self, path: Path) -> bool:
        if path.is_dir():
            return any((path / name).is_file() for name in FILES.values())
        return path.suffix.lower() == ".csv" and self._table_of(header_line(path).split(",")) is not None

    @staticmethod
    def _table_of(header: list[str]) -> str | None:
        cols = {h.strip().strip('"') for h in header}
        for name in FILES:
            if set(required_columns(name)) <= cols:
                return name
        return None

    def read(self, path: str | Path) -> Loaded:
        """A file → its table; a folder → every hand-kept file in it (provenance names each file)."""
        p = Path(path)
        if not p.is_dir():
            return super().read(p)
        files = [p / name for name in FILES.values() if (p / name).is_file()]
        if not files:
            raise self.fail(p, f"no hand-kept file here (expected one of {list(FILES.values())})")
        tables: dict[str, pa.Table] = {}
        prov = []
        for f in files:
            loaded = super().read(f)
            tables.update(loaded.tables)
            prov += loaded.provenance
        return Loaded(tables, prov)

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        text = decode_text(read_bytes(path), source=self.id, path=path)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if not lines:
            raise self.fail(path, "file is empty")
        name = self._table_of(lines[0].split(","))
        if name is None:
            expected = "; ".join(f"{t}: {', '.join(columns_of(t))}" for t in FILES)
            raise self.fail(path, f"header matches no hand-kept table (expected columns — {expected})", row=1)
        cols = columns_of(name)
        if len(lines) == 1:
            df = pl.DataFrame({c: pl.Series([], dtype=pl.Utf8) for c in cols}).with_columns(
                pl.lit(None, pl.Int64).alias(ROW)
            )
        else:
            df = read_csv_strings(path, source=self.id, required=required_columns(name))
        df = df.with_columns([pl.lit(None, pl.Utf8).alias(c) for c in cols if c not in df.columns])
        df = self._convert(path, name, df)
        self._check(path, name, df)
        return {name: df.with_columns(pl.lit(self.id).alias("source"))}

    def _convert(self, path: Path, name: str, df: pl.DataFrame) -> pl.DataFrame:
        df = df.with_columns(
            [pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c).str.strip_chars()).alias(c)
             for c in columns_of(name)]
        )
        for c in INTEGERS.get(name, ()):
            df = to_number(df, c, source=self.id, path=path, dtype=pl.Int32)
        for c in FLOATS.get(name, ()):
            df = to_number(df, c, source=self.id, path=path)
        for c in DATES.get(name, ()):
            df = to_date(df, c, source=self.id, path=path, formats=["%Y-%m-%d"], earliest=EARLIEST)
        return df

    # -- checks the schema cannot express ---------------------------------------------------
    def _check(self, path: Path, name: str, df: pl.DataFrame) -> None:
        self._first(path, df, pl.col("citation").is_null(), "citation",
                    lambda r: f"every hand-kept row needs a public citation ({self._describe(name, r)})")
        if name == "memberships":
            self._check_memberships(path, df)
        elif name == "security_ties":
            self._first(path, df, pl.col("end_date") < pl.col("start_date"), "end_date",
                        lambda r: f"ends ({r['end_date']}) before it starts ({r['start_date']})")
            self._check_personnel(path, df)
        elif name == "routes":
            self._check_route_countries(path, df)

    def _check_memberships(self, path: Path, df: pl.DataFrame) -> None:
        jy, ly = pl.col("joined_date").dt.year(), pl.col("left_date").dt.year()
        self._first(path, df, pl.col("joined_date").is_not_null() & (pl.col("joined") != jy), "joined",
                    lambda r: f"joined {r['joined']} is not the year of joined_date {r['joined_date']}")
        before_july = pl.col("left_date") < pl.date(ly, 7, 1)
        left_ok = (pl.col("left") == ly) | (before_july & (pl.col("left") == ly - 1))
        self._first(path, df, pl.col("left_date").is_not_null() & ~left_ok.fill_null(False), "left",
                    lambda r: f"left {r['left']} does not match left_date {r['left_date']}")
        self._first(path, df, pl.col("left") < pl.col("joined"), "left",
                    lambda r: f"left {r['left']} is before joined {r['joined']}")
        self._first(path, df, pl.max_horizontal("joined", "left") > pl.col("observed_to"), "observed_to",
                    lambda r: f"observed_to {r['observed_to']} is before the spell it observes")
        self._first(path, df, pl.col("participation").is_null() != pl.col("participation_from").is_null(),
                    "participation_from",
                    lambda r: "participation and participation_from go together "
                              f"(got {r['participation']!r} and {r['participation_from']})")
        self._first(path, df, (pl.col("participation_from").dt.year() < pl.col("joined"))
                    | (pl.col("participation_from") > pl.col("left_date"))
                    | (pl.col("participation_from").dt.year() > pl.col("observed_to")), "participation_from",
                    lambda r: f"participation_from {r['participation_from']} is outside the spell "
                              f"(joined {r['joined']}, left {r['left']}, observed to {r['observed_to']})")

    def _check_personnel(self, path: Path, df: pl.DataFrame) -> None:
        figures = pl.col("personnel").is_not_null() | pl.col("personnel_announced").is_not_null()
        self._first(path, df, figures & pl.col("personnel_citation").is_null(), "personnel_citation",
                    lambda r: f"a personnel figure needs its own citation ({self._describe('security_ties', r)})")
        self._first(path, df, figures & pl.col("personnel_scope").is_null(), "personnel_scope",
                    lambda r: "a personnel figure needs its scope: contingent, operation or facility")
        self._first(path, df, pl.col("personnel").is_null() != pl.col("personnel_basis").is_null(),
                    "personnel_basis",
                    lambda r: f"personnel {r['personnel']} and personnel_basis {r['personnel_basis']!r} go together")

    def _check_route_countries(self, path: Path, df: pl.DataFrame) -> None:
        codes = known_codes()
        for r in df.select(ROW, "countries").drop_nulls().iter_rows(named=True):
            bad = [c for c in r["countries"].split(";") if c.strip() not in codes]
            if bad:
                raise self.fail(path, f"{bad[0]!r} is not a known ISO3 country code", row=r[ROW], column="countries")

    def _first(self, path: Path, df: pl.DataFrame, mask: pl.Expr, column: str, why) -> None:
        bad = df.filter(mask.fill_null(False)).head(1)
        if bad.height:
            r = bad.row(0, named=True)
            raise self.fail(path, why(r), row=r[ROW], column=column)

    @staticmethod
    def _describe(name: str, r: dict) -> str:
        keys = {"memberships": ("organisation", "country", "status", "joined"), "routes": ("route_id",),
                "security_ties": ("country", "partner", "name"),
                "route_flows": ("year", "exporter", "carrier", "route_id")}[name]
        return ", ".join(f"{k}={r[k]}" for k in keys)


SOURCE = Handkept()
