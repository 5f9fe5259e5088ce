"""CEPII GeoDist: bilateral distances, contiguity, common official language and colonial links.

Publisher format
----------------
``dist_cepii.csv`` (Mayer & Zignago 2011), one row per ordered country pair:
``iso_o, iso_d, contig, comlang_off, comlang_ethno, colony, comcol, curcol, col45, smctry, dist, distcap,
distw, distwces``. Read into ``distances``: ``contig`` → contiguous, ``comlang_off`` → common_language
(common *official* language), ``colony`` → colonial_link (ever in a colonial relationship), ``dist`` →
distance_km (great-circle distance between the most populated cities, km), ``distw`` →
distance_weighted_km (population-weighted, km; CEPII writes ``.`` where it has none → null). The other
columns are not read. Pairs of a country with itself (``dist`` = internal distance) are kept.

Codes: CEPII uses ISO3 codes except where it predates or departs from ISO, mapped explicitly in
:data:`CEPII_CODES`. ``YUG`` in GeoDist is *Serbia and Montenegro* (``geo_cepii``: "Serbia and
Montenegro", 102,173 km², capital Belgrade), i.e. ISO 3166-3 ``SCG``, not the SFR Yugoslavia of
1945–1992 (``YUG`` in the atlas). Any other code must be a known ISO3 code or the row is rejected.

Quirk: a row whose ``iso_o`` or ``iso_d`` is empty is skipped. The copy in ``shared/data/gravity`` has
one (line 49,384: ``ZAF,,…``, sitting where ZAF→KAZ belongs and equal to the KAZ→ZAF row); every other
missing value is an error.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, known_codes, read_csv_strings, to_number

CEPII_CODES = {
    "ROM": "ROU",  # Romania (CEPII's pre-2002 ISO code; some copies already say ROU)
    "ZAR": "COD",  # Zaire = Democratic Republic of the Congo
    "TMP": "TLS",  # East Timor = Timor-Leste
    "PAL": "PSE",  # Palestine
    "YUG": "SCG",  # Serbia and Montenegro (see the module docstring)
}
FLAGS = {"contig": "contiguous", "comlang_off": "common_language", "colony": "colonial_link"}
MISSING = "."


class CepiiGeodist(Source):
    id = "cepii_geodist"
    tables = ("distances",)
    pack_inputs = ("gravity/dist_cepii.csv",)
    columns = {
        "origin": "iso_o", "destination": "iso_d", "contiguous": "contig", "common_language": "comlang_off",
        "colonial_link": "colony", "distance_km": "dist", "distance_weighted_km": "distw",
    }

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        head = header_line(path)
        return head.startswith("iso_o,iso_d,") and "distw" in head

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=["iso_o", "iso_d", *FLAGS, "dist", "distw"])
        blank = pl.col("iso_o").fill_null("").str.strip_chars().eq("") | pl.col("iso_d").fill_null("").str.strip_chars().eq("")
        df = df.filter(~blank)
        for col in ("iso_o", "iso_d"):
            df = self._codes(df, col, path)
        for col in FLAGS:
            bad = df.filter(~pl.col(col).str.strip_chars().is_in(["0", "1"])).head(1)
            if bad.height:
                raise self.fail(path, f"{bad[col][0]!r} is not 0 or 1", row=bad[ROW][0], column=col)
        for col in ("dist", "distw"):
            df = df.with_columns(pl.when(pl.col(col).str.strip_chars() == MISSING).then(None).otherwise(pl.col(col)).alias(col))
            df = to_number(df, col, source=self.id, path=path)
        out = df.select(
            ROW,
            pl.col("iso_o").alias("origin"),
            pl.col("iso_d").alias("destination"),
            *[(pl.col(c).str.strip_chars() == "1").alias(name) for c, name in FLAGS.items()],
            pl.col("dist").alias("distance_km"),
            pl.col("distw").alias("distance_weighted_km"),
            pl.lit(self.id).alias("source"),
        )
        return {"distances": out}

    def _codes(self, df: pl.DataFrame, col: str, path: Path) -> pl.DataFrame:
        """CEPII codes → ISO3 (explicit table first, then the atlas's known codes); unknown raises."""
        mapped = pl.col(col).str.strip_chars().replace(CEPII_CODES)
        df = df.with_columns(mapped.alias("__iso"))
        bad = df.filter(~pl.col("__iso").is_in(sorted(known_codes()))).head(1)
        if bad.height:
            raise self.fail(path, f"unknown country code {bad[col][0]!r}", row=bad[ROW][0], column=col)
        return df.with_columns(pl.col("__iso").alias(col)).drop("__iso")


SOURCE = CepiiGeodist()
