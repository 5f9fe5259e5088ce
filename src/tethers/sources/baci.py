"""CEPII BACI: bilateral trade by HS6 product, reconciled from mirror flows (exporter reports).

Publisher formats
-----------------
* The release files ``BACI_HSxx_Yyyyy_Vyyyyyy.csv`` (one per classification and year, ~11 M rows):
  columns ``t,i,j,k,v,q`` — year, exporter, importer (BACI numeric country codes), HS6 product,
  value in **thousand USD**, quantity in **tonnes** (``NA`` when unknown). The HS revision
  (HS92, HS96, HS02, HS07, HS12, HS17, HS22) is read from the file name; ``t`` must match the year
  in the name.
* The ADB-derived extracts of BACI HS02 V202301 (K. Reyes, ``ksreyes/adb-kaz-gvc``), file names
  ``baci_hs02_v202301_…``: Kazakhstan's exports to the world by HS6 (``t,i,k,…,v,share``, partner
  = world → ``WLD``), by HS6 × top-5 partner (``t,i,j,name,k,…,v,q``) and crude-oil exports by
  destination (``t,i,j,name,v,q``; the product, 270900, is in the file name).

Every row is the exporter ``i`` reporting an ``export`` to ``j``. Values are converted to USD
(× 1000). Quirks:

* BACI codes are ISO 3166 numeric with exceptions (251 France incl. Monaco, 699 India, 757
  Switzerland incl. Liechtenstein, 842 USA incl. Puerto Rico, 490 "Other Asia, nes" = Taiwan …):
  the mapping ships in ``data/baci_country_codes.csv`` (CEPII ``country_codes_V202301.csv``).
* ``k`` is text; a code written without its leading zero (``10110`` in the 2021 extract) is
  padded back to six digits.
* The release read path is lazy and vectorised (Polars scan + streaming collect): one pass builds
  the table together with one flag per check; the first flagged row is re-read only to word the error.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl
import pyarrow as pa

from . import Source
from ._common import ROW, first_unbalanced_quote_line, header_line, read_csv_strings

RELEASE_COLUMNS = ["t", "i", "j", "k", "v", "q"]
HS_REVISIONS = {"92": "HS92", "96": "HS96", "02": "HS02", "07": "HS07", "12": "HS12", "17": "HS17", "22": "HS22"}
_RELEASE_NAME = re.compile(r"BACI_HS(\d{2})_Y(\d{4})_V(\d{6}[a-z]?)", re.IGNORECASE)
_EXTRACT_NAME = re.compile(r"baci_hs(\d{2})_v(\d{6})", re.IGNORECASE)
_PRODUCT_IN_NAME = re.compile(r"_(\d{6})_")
KEY = ["year", "reporter", "partner", "classification", "product", "flow"]


@cache
def country_codes() -> dict[str, str]:
    """BACI numeric country code (text, no leading zeros) → ISO3, from the shipped mapping."""
    with resources.files(__package__).joinpath("data/baci_country_codes.csv").open(encoding="utf-8") as fh:
        return {r["baci_code"]: r["iso3"] for r in csv.DictReader(fh)}


def _classification(path: Path) -> str | None:
    m = _RELEASE_NAME.search(path.name) or _EXTRACT_NAME.search(path.name)
    return HS_REVISIONS.get(m.group(1)) if m else None


class Baci(Source):
    id = "baci"
    tables = ("trade",)
    pack_inputs = (
        "trade/baci_hs02_v202301_kaz_exports_by_hs6_2002.csv",
        "trade/baci_hs02_v202301_kaz_exports_by_hs6_2019.csv",
        "trade/baci_hs02_v202301_kaz_exports_by_hs6_2021.csv",
        "trade/baci_hs02_v202301_kaz_exports_hs6_x_top5partners_2021.csv",
        "trade/baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv",
    )
    columns = {"year": "t", "reporter": "i", "partner": "j", "product": "k", "value_usd": "v", "quantity": "q"}

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        head = [h.strip().strip('"') for h in header_line(path).split(",")]
        if head == RELEASE_COLUMNS:
            return True
        return bool(_EXTRACT_NAME.search(path.name)) and head[:2] == ["t", "i"] and "v" in head

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        classification = _classification(path)
        if classification is None:
            raise self.fail(path, "cannot tell the HS revision: name the file like BACI_HS17_Y2021_V202401.csv "
                                  "(release) or baci_hs02_v202301_….csv (ADB extract)")
        head = [h.strip().strip('"') for h in header_line(path).split(",")]
        if head == RELEASE_COLUMNS:
            year_in_name = int(_RELEASE_NAME.search(path.name).group(2)) if _RELEASE_NAME.search(path.name) else None
            fast = self._fast_release(path, classification, year_in_name)
            if fast is not None:
                return {"trade": fast}
            lf = self._scan_release(path)
        else:
            lf = self._read_extract(path)
            year_in_name = None
        return {"trade": self._tidy(path, lf, classification, year_in_name)}

    # -- reading ------------------------------------------------------------------------------
    def _fast_release(self, path: Path, classification: str, year_in_name: int | None) -> pl.DataFrame | None:
        """Happy path for the ~11 M-row release files: typed streaming scan, no string casts.

        Returns None when anything is off (a value that does not parse, an unknown code, a wrong
        year …); the caller then takes the text path, which finds and words the first error.
        """
        if path.suffix.lower() == ".gz" or path.stat().st_size == 0:
            return None
        codes = country_codes()
        # v and q are right-aligned with spaces in the releases (and the extracts): read as text, strip, cast
        schema = {"t": pl.Int32, "i": pl.Int32, "j": pl.Int32, "k": pl.Utf8, "v": pl.Utf8, "q": pl.Utf8}
        q = pl.col("q").str.strip_chars()
        q_missing = q.is_null() | q.is_in(["", "NA"])
        lf = pl.scan_csv(path, schema=schema, null_values=["NA"]).with_row_index(ROW, offset=2).with_columns(
            pl.col("v").str.strip_chars().cast(pl.Float64, strict=False),
            (~q_missing & q.cast(pl.Float64, strict=False).is_null()).alias("__q_bad"),
            pl.when(q_missing).then(None).otherwise(q.cast(pl.Float64, strict=False)).alias("q"))
        k = pl.col("k").str.strip_chars()
        k6 = pl.when(k.str.len_chars() == 5).then(pl.lit("0") + k).otherwise(k)
        known = [int(c) for c in codes]
        bad = (pl.col("t").is_null() | pl.col("v").is_null() | pl.col("__q_bad") | ~pl.col("i").is_in(known)
               | ~pl.col("j").is_in(known)
               | (k6.str.len_chars() != 6) | k6.cast(pl.Int64, strict=False).is_null())
        if year_in_name is not None:
            bad = bad | (pl.col("t") != year_in_name)
        iso = {int(c): v for c, v in codes.items()}
        try:
            df = lf.select(
                pl.col(ROW).cast(pl.Int64),
                pl.col("t").alias("year"),
                pl.col("i").replace_strict(iso, default=None, return_dtype=pl.Utf8).alias("reporter"),
                pl.col("j").replace_strict(iso, default=None, return_dtype=pl.Utf8).alias("partner"),
                pl.lit(classification).alias("classification"),
                k6.alias("product"),
                pl.lit(6, pl.Int32).alias("level"),
                pl.lit("export").alias("flow"),
                (pl.col("v") * 1000.0).alias("value_usd"),
                pl.col("q").alias("quantity"),
                pl.when(pl.col("q").is_null()).then(None).otherwise(pl.lit("t")).alias("quantity_unit"),
                pl.lit(self.id).alias("source"),
                bad.fill_null(True).alias("__bad"),
            ).collect(engine="streaming")
        except (pl.exceptions.PolarsError, OSError):  # the text path finds and words the error
            return None
        if df.height == 0 or df["__bad"].any():
            return None
        return df.drop("__bad")

    def _scan_release(self, path: Path) -> pl.LazyFrame:
        """Lazy scan of a release file, every column as text, plus ``_row`` (header = row 1)."""
        if path.stat().st_size == 0:
            raise self.fail(path, "file is empty")
        if path.suffix.lower() == ".gz":
            from ._common import read_bytes

            lf = pl.read_csv(read_bytes(path), infer_schema=False, encoding="utf8-lossy",
                             truncate_ragged_lines=True).lazy()
        else:
            lf = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
        try:  # the header matched once stripped of blanks and quotes: name the columns that way too
            names = lf.collect_schema().names()
        except pl.exceptions.PolarsError as exc:
            raise self._malformed(path, exc) from None
        lf = lf.rename({c: c.strip().strip('"') for c in names})
        return lf.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))

    def _malformed(self, path: Path, exc: Exception):
        """A one-line error for a file Polars' CSV reader cannot parse (e.g. an unclosed quote)."""
        return self.fail(path, f"malformed CSV ({(str(exc).splitlines() or [''])[0][:100]})",
                         row=first_unbalanced_quote_line(path))

    def _read_extract(self, path: Path) -> pl.LazyFrame:
        head = [h.strip() for h in header_line(path).split(",")]
        required = ["t", "i", "v"] + (["j"] if "j" in head else []) + (["k"] if "k" in head else [])
        df = read_csv_strings(path, source=self.id, required=required)
        if "j" not in df.columns:  # exports to the world by HS6
            df = df.with_columns(pl.lit("WLD").alias("j"))
        if "k" not in df.columns:  # crude-oil file: the product is in the file name
            m = _PRODUCT_IN_NAME.search(path.name)
            if not m:
                raise self.fail(path, "no product column 'k' and no HS6 code in the file name", row=1)
            df = df.with_columns(pl.lit(m.group(1)).alias("k"))
        if "q" not in df.columns:
            df = df.with_columns(pl.lit(None, pl.Utf8).alias("q"))
        return df.select(ROW, *RELEASE_COLUMNS).lazy()

    # -- converting ---------------------------------------------------------------------------
    def _tidy(self, path: Path, lf: pl.LazyFrame, classification: str, year_in_name: int | None) -> pl.DataFrame:
        """One streaming pass: the canonical columns plus one flag per check; flags are read, then dropped."""
        codes = country_codes()
        s = {c: pl.col(c).str.strip_chars() for c in RELEASE_COLUMNS}
        num = {c: s[c].cast(pl.Float64, strict=False) for c in ("t", "v", "q")}
        # numeric codes lose leading zeros through an integer cast (cheaper than a regex on 11 M rows)
        code = {c: pl.when(s[c] == "WLD").then(s[c]).otherwise(s[c].cast(pl.Int64, strict=False).cast(pl.Utf8))
                for c in ("i", "j")}
        k6 = pl.when(s["k"].str.len_chars() == 5).then(pl.lit("0") + s["k"]).otherwise(s["k"])
        q_missing = s["q"].is_null() | s["q"].is_in(["", "NA"])
        known = [*codes, "WLD"]
        checks = [  # a tie on the row goes to the earlier check: a truncated row reports its missing fields
            ("v", s["v"].is_null(), "missing value: the row has fewer fields than the header (truncated file?)"),
            ("t", num["t"].is_null(), "is not a year"),
            ("t", num["t"] != num["t"].round(0), "is not a whole year"),
            ("i", ~code["i"].is_in(known), "is not a BACI country code"),
            ("j", ~code["j"].is_in(known), "is not a BACI country code"),
            ("k", (k6.str.len_chars() != 6) | k6.cast(pl.Int64, strict=False).is_null(),
             f"is not an HS6 code of {classification}"),
            ("v", s["v"].is_not_null() & num["v"].is_null(), "is not a number"),
            ("q", ~q_missing & num["q"].is_null(), "is not a number"),
        ]
        if year_in_name is not None:
            checks.append(("t", num["t"] != year_in_name, f"does not match the year {year_in_name} in the file name"))
        flags = [mask.fill_null(True).alias(f"__bad{n}") for n, (_c, mask, _w) in enumerate(checks)]
        df = lf.select(
            pl.col(ROW),
            num["t"].cast(pl.Int32, strict=False).alias("year"),
            code["i"].replace(codes).alias("reporter"),
            code["j"].replace(codes).alias("partner"),
            pl.lit(classification).alias("classification"),
            k6.alias("product"),
            pl.lit(6, pl.Int32).alias("level"),
            pl.lit("export").alias("flow"),
            (num["v"] * 1000.0).alias("value_usd"),
            pl.when(q_missing).then(None).otherwise(num["q"]).alias("quantity"),
            pl.when(q_missing).then(None).otherwise(pl.lit("t")).alias("quantity_unit"),
            pl.lit(self.id).alias("source"),
            *flags,
        )
        try:
            df = df.collect(engine="streaming")
        except pl.exceptions.PolarsError as exc:
            raise self._malformed(path, exc) from None
        self._raise_first_bad(path, lf, df, checks)
        df = df.drop([f"__bad{n}" for n in range(len(checks))])
        if df.height == 0:
            raise self.fail(path, "no data rows after the header", row=2)
        return df

    def _raise_first_bad(self, path: Path, lf: pl.LazyFrame, df: pl.DataFrame,
                         checks: list[tuple[str, pl.Expr, str]]) -> None:
        """Raise for the earliest flagged row; the raw value is re-read from the file for the message."""
        names = [f"__bad{n}" for n in range(len(checks))]
        any_bad = df.select(pl.any_horizontal(names).any()).item()
        if not any_bad:
            return
        firsts = df.select([pl.col(ROW).filter(pl.col(c)).min().alias(c) for c in names]).row(0)
        row, n = min((r, n) for n, r in enumerate(firsts) if r is not None)
        col, _mask, why = checks[n]
        value = lf.filter(pl.col(ROW) == row).select(col).collect()[col][0]
        if value is not None and "\ufffd" in value:
            why = "has bytes that are not valid utf-8 (looks like cp1251/latin-1: re-save the file as UTF-8)"
        shown = "" if why.startswith("missing value") else f"{value!r} "
        raise self.fail(path, f"{shown}{why}", row=row, column=col)

    # -- pack ---------------------------------------------------------------------------------
    def combine_for_pack(self, table_name: str, parts: list[tuple[str, pa.Table]]) -> pa.Table:
        """The crude-oil and top-5 extracts repeat some KAZ→partner 270900 flows: keep one copy.

        Repeated keys must carry the same value (to 1 USD); a conflict raises.
        """
        from ..errors import SourceFormatError

        df = pl.concat([pl.from_arrow(t) for _, t in parts])
        spread = df.group_by(KEY).agg((pl.col("value_usd").max() - pl.col("value_usd").min()).alias("d"))
        bad = spread.filter(pl.col("d") > 1.0)
        if bad.height:
            key = bad.row(0, named=True)
            raise SourceFormatError(self.id, ", ".join(f for f, _ in parts),
                                    f"the same flow has different values in two extracts: {key}")
        return df.unique(subset=KEY, keep="first", maintain_order=True).to_arrow()


SOURCE = Baci()
