"""ADB Multiregional Input–Output (MRIO, 72 economies × 35 sectors) summaries, derived by K. Reyes (ADB).

Publisher formats (parquet, csv or csv.gz, from ``ksreyes/mrio-processing`` ``data/final``)
--------------------------------------------------------------------------------------------
* Country–sector summary ``t, s, i, i5, i15, x, zuse, va, zsales, y, e, ez, ey`` (+ ``s_iso3, s_name`` in
  the csv): year ``t``, economy ``s`` (ADB MRIO index 1–73), sector ``i`` (1–35), current **US$ million**.
  Read: ``x`` gross_output, ``zuse`` intermediate_inputs, ``va`` value_added, ``zsales``
  intermediate_sales, ``y`` final_demand_sales, by sector ``c1``…``c35`` (ADB's sector codes), plus a
  ``TOTAL`` row per economy and year = the sum over the 35 sectors (only where all 35 are in the file).
  **Not read:** ``e, ez, ey`` — in this vintage they are domestic rather than foreign sales (Kazakhstan
  ``e`` ≈ 261 bn in 2021, far above its exports), so they must not be taken for exports; ``i5, i15``
  (sector groupings).
* GVC participation ``t, s, agg, i, Exports, va, GVC_trade_f, GVC_trade_b, GVC_trade, GVC_prod,
  GVCP_trade_f, GVCP_trade_b, GVCP_trade, GVCP_prod`` (+ ``iso_a3, name`` in the csv). Read for the
  economy (``agg = 0, i = 0`` → sector ``TOTAL``) and the 35 sectors (``agg = 35``): amounts in US$
  million (:data:`GVC`) and participation rates (``GVCP_*`` = GVC amount / exports, or / value added
  for ``GVCP_prod``; unit ``ratio``). **Not read:** ``agg = 5, 15`` (sums of the 35-sector amounts, rates
  recomputable from them); ``va`` (identical to the summary's ``va``); a rate the publisher leaves
  empty because its denominator is 0 (0/0 is not a rate).

Units are the publisher's: ``USD million`` for amounts, ``ratio`` for rates — stated in the ``unit``
column of every row, never converted. Economies: ``s`` → ISO3 through the shipped dictionary
``data/adb_mrio_economies.csv`` (from ADB's countries dictionary); ``s = 73`` is "Rest of the world",
not a country, and is dropped. When the csv carries ISO codes (``s_iso3``/``iso_a3``) they must agree
with the dictionary. For parquet input, error rows are 1-based record numbers.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import polars as pl
import pyarrow as pa

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number

USD_M, RATIO = "USD million", "ratio"
SUMMARY = {
    "x": "gross_output",
    "zuse": "intermediate_inputs",
    "va": "value_added",
    "zsales": "intermediate_sales",
    "y": "final_demand_sales",
}
GVC = {  # column → (indicator, unit, denominator of a rate)
    "Exports": ("exports", USD_M, None),
    "GVC_trade_f": ("gvc_trade_forward", USD_M, None),
    "GVC_trade_b": ("gvc_trade_backward", USD_M, None),
    "GVC_trade": ("gvc_trade", USD_M, None),
    "GVC_prod": ("gvc_production", USD_M, None),
    "GVCP_trade_f": ("gvc_participation_forward", RATIO, "Exports"),
    "GVCP_trade_b": ("gvc_participation_backward", RATIO, "Exports"),
    "GVCP_trade": ("gvc_participation", RATIO, "Exports"),
    "GVCP_prod": ("gvc_participation_production", RATIO, "va"),
}
# Amounts that cannot be negative. va (20 cells), GVC_trade_f and GVC_prod (a few) are slightly negative
# in the publisher's data and are left as published.
NONNEG = {"x", "zuse", "zsales", "y", "Exports", "GVC_trade_b", "GVC_trade"}
N_SECTORS = 35
REST_OF_WORLD = 73
ISO_COLUMNS = ("s_iso3", "iso_a3")


def economies() -> dict[int, str]:
    """ADB MRIO economy index → ISO3 (shipped with tethers; 73 = ``ROW``, rest of the world)."""
    with resources.files(__package__).joinpath("data/adb_mrio_economies.csv").open(encoding="utf-8") as fh:
        return {int(r["mrio"]): r["iso3"] for r in csv.DictReader(fh)}


class AdbMrio(Source):
    id = "adb_mrio"
    tables = ("io_summary",)
    pack_inputs = (
        "io/adb_mrio72_country_sector_summary_2017_2022.parquet",
        "io/adb_mrio72_gvc_participation_2017_2022.parquet",
    )
    columns = {"year": "t", "country": "s", "sector": "i"}

    def handles(self, path: Path) -> bool:
        return self._kind(self._columns(path)) is not None

    @staticmethod
    def _columns(path: Path) -> list[str]:
        name = path.name.lower()
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            try:
                return pq.read_schema(path).names
            except (pa.ArrowException, OSError):
                return []
        if name.endswith((".csv", ".csv.gz")):
            return header_line(path).split(",")
        return []

    @staticmethod
    def _kind(cols: list[str]) -> str | None:
        if {"t", "s", "i", "x", "zuse", "zsales"} <= set(cols):
            return "summary"
        if {"t", "s", "agg", "i", "Exports", "GVCP_trade"} <= set(cols):
            return "gvc"
        return None

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = self._read(path)
        kind = self._kind(df.columns)
        if kind is None:
            need = ["t", "s", "agg", "i", *GVC] if "agg" in df.columns else ["t", "s", "i", *SUMMARY]
            raise self.fail(path, f"missing column(s) {[c for c in need if c not in df.columns]} "
                                  "(neither an ADB MRIO summary nor a GVC participation table)", row=1)
        df = self._common(df, path)
        out = self._summary(df, path) if kind == "summary" else self._gvc(df, path)
        return {"io_summary": out.with_columns(source=pl.lit(self.id))}

    def _read(self, path: Path) -> pl.DataFrame:
        if path.name.lower().endswith(".parquet"):
            import pyarrow.parquet as pq

            try:  # pyarrow validates the footer and pages; Polars' reader can panic on a corrupt page (fuzzing)
                df = pl.from_arrow(pq.read_table(path))
            except (Exception, pl.exceptions.PanicException) as exc:  # a PanicException is not an Exception
                raise self.fail(path, f"not a readable Parquet file ({type(exc).__name__})") from None
            if df.height == 0:
                raise self.fail(path, "no rows")
            return df.with_columns(pl.all().cast(pl.Utf8)).with_row_index(ROW, offset=1).with_columns(
                pl.col(ROW).cast(pl.Int64))
        head = header_line(path).split(",") if path.stat().st_size else []
        kind = self._kind(head)
        required = ["t", "s", "i", *(SUMMARY if kind == "summary" else [*GVC, "va"])] if kind else ["t", "s", "i"]
        return read_csv_strings(path, source=self.id, required=required)

    def _common(self, df: pl.DataFrame, path: Path) -> pl.DataFrame:
        """Year, economy and sector index as integers; economy → ISO3 (rest of the world dropped)."""
        for col in ("t", "s", "i", *(["agg"] if "agg" in df.columns else [])):
            df = to_number(df, col, source=self.id, path=path, dtype=pl.Int64)
            missing = df.filter(pl.col(col).is_null()).head(1)
            if missing.height:
                raise self.fail(path, "missing value", row=missing[ROW][0], column=col)
        eco = economies()
        unknown = df.filter(~pl.col("s").is_in(list(eco))).head(1)
        if unknown.height:
            raise self.fail(path, f"unknown ADB MRIO economy index {unknown['s'][0]} (1–{len(eco)})",
                            row=unknown[ROW][0], column="s")
        df = df.filter(pl.col("s") != REST_OF_WORLD).with_columns(
            pl.col("s").replace_strict(eco, return_dtype=pl.Utf8).alias("country"))
        for iso_col in ISO_COLUMNS:
            if iso_col in df.columns:
                bad = df.filter(pl.col(iso_col) != pl.col("country")).head(1)
                if bad.height:
                    raise self.fail(path, f"s = {bad['s'][0]} is {bad['country'][0]} in the ADB MRIO dictionary, "
                                          f"the file says {bad[iso_col][0]!r}", row=bad[ROW][0], column=iso_col)
        return df

    def _values(self, df: pl.DataFrame, path: Path, cols: list[str], *, nullable: set[str] = frozenset()) -> pl.DataFrame:
        for col in cols:
            df = to_number(df, col, source=self.id, path=path)
            missing = df.filter(pl.col(col).is_null()).head(1) if col not in nullable else df.head(0)
            if missing.height:
                raise self.fail(path, "missing value", row=missing[ROW][0], column=col)
            if col in NONNEG:
                neg = df.filter(pl.col(col) < 0).head(1)
                if neg.height:
                    raise self.fail(path, f"{neg[col][0]!r} is negative", row=neg[ROW][0], column=col)
        return df

    def _check_sector(self, df: pl.DataFrame, path: Path) -> None:
        bad = df.filter((pl.col("i") < 1) | (pl.col("i") > N_SECTORS)).head(1)
        if bad.height:
            raise self.fail(path, f"sector {bad['i'][0]} is not one of ADB MRIO's 1–{N_SECTORS}", row=bad[ROW][0], column="i")

    def _summary(self, df: pl.DataFrame, path: Path) -> pl.DataFrame:
        self._check_sector(df, path)
        df = self._values(df, path, list(SUMMARY))
        long = df.unpivot(index=[ROW, "t", "country", "i"], on=list(SUMMARY), variable_name="col", value_name="value")
        sectors = long.select(ROW, pl.col("t").alias("year"), "country",
                              pl.format("c{}", pl.col("i")).alias("sector"), "col", "value")
        full = df.group_by("t", "country").agg(pl.col("i").n_unique().alias("n")).filter(pl.col("n") == N_SECTORS)
        totals = (
            long.join(full.select("t", "country"), on=["t", "country"])
            .group_by("t", "country", "col")
            .agg(pl.col(ROW).min(), pl.col("value").sum())
            .select(ROW, pl.col("t").alias("year"), "country", pl.lit("TOTAL").alias("sector"), "col", "value")
        )
        out = pl.concat([sectors, totals]).sort(ROW, "sector", "col")
        return out.with_columns(
            pl.col("col").replace_strict(SUMMARY).alias("indicator"), pl.lit(USD_M).alias("unit")).drop("col")

    def _gvc(self, df: pl.DataFrame, path: Path) -> pl.DataFrame:
        bad = df.filter(~pl.col("agg").is_in([0, 5, 15, 35])).head(1)
        if bad.height:
            raise self.fail(path, f"agg = {bad['agg'][0]} is not 0, 5, 15 or 35", row=bad[ROW][0], column="agg")
        total = df.filter((pl.col("agg") == 0) & (pl.col("i") != 0)).head(1)
        if total.height:
            raise self.fail(path, f"economy rows (agg = 0) need i = 0, got {total['i'][0]}", row=total[ROW][0], column="i")
        df = df.filter(pl.col("agg").is_in([0, 35]))
        self._check_sector(df.filter(pl.col("agg") == 35), path)
        rates = {c for c, (_, unit, _) in GVC.items() if unit == RATIO}
        df = self._values(df, path, [*GVC, "va"], nullable=rates)
        for col in rates:  # a rate may be empty only where its denominator is 0
            den = GVC[col][2]
            bad = df.filter(pl.col(col).is_null() & (pl.col(den) != 0)).head(1)
            if bad.height:
                raise self.fail(path, f"missing value ({den} = {bad[den][0]:g} is not 0)", row=bad[ROW][0], column=col)
        long = df.unpivot(index=[ROW, "t", "country", "agg", "i"], on=list(GVC), variable_name="col", value_name="value")
        long = long.filter(pl.col("value").is_not_null())
        sector = pl.when(pl.col("agg") == 0).then(pl.lit("TOTAL")).otherwise(pl.format("c{}", pl.col("i")))
        return long.sort(ROW, "col").select(
            ROW, pl.col("t").alias("year"), "country", sector.alias("sector"),
            pl.col("col").replace_strict({c: v[0] for c, v in GVC.items()}).alias("indicator"), "value",
            pl.col("col").replace_strict({c: v[1] for c, v in GVC.items()}).alias("unit"),
        )


SOURCE = AdbMrio()
