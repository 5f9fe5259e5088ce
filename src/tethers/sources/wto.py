"""WTO Stats bilateral imports by MTN product category and by HS code (importer-reported).

Publisher format: the WTO Stats (stats.wto.org) bulk CSV, one row per indicator × reporting
economy × partner economy × product × year, with ``Reporting Economy Code``, ``Partner Economy
Code``, ``Product/Sector Classification Code`` (``MT2`` = MTN categories, ``HS``), ``Product/Sector
Code``, ``Year``, ``Unit`` and ``Value``. Column names are matched ignoring spaces, dots and slashes,
so the R-imported copy (``Reporting.Economy.Code`` …) in ``shared/data/trade`` reads too.

Quirks:

* Indicators ``HS_M_0010`` / ``HS_M_0020`` are **imports**: the reporter is the importer and the
  flow is ``import`` (c.i.f.). Other indicators are refused.
* Economy codes are ISO 3166 numeric except a few WTO ones (892 Serbia, 893 Montenegro, 736
  Sudan, 000 World → ``WLD``); those ship in ``data/wto_economy_codes.csv``. The European Union
  (918) is skipped as an aggregate. The code decides, not the economy's name (``Türkiye``,
  ``Kuwait, the State of``); an unknown code raises. ISO3 columns that a third party added are ignored: they are
  not WTO's (the shared copy spells Romania ``ROM``).
* ``Unit`` scales the value: ``US$`` × 1, ``Thousand US$`` × 1e3, ``Million US$`` × 1e6.
* Classification ``MT2`` becomes ``MTN`` (product = MTN category number, e.g. ``12`` Minerals and
  metals); ``HS`` stays ``HS`` (chapter ``93`` Arms and ammunition). ``level`` is the code's digits.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from . import Source
from ._common import header_line, read_csv_strings, to_number
from ._trade import find_columns, load_mapping, norm, raise_first, resolve_countries, trade_frame

WANTED = {
    "indicator": ("Indicator Code",),
    "reporter": ("Reporting Economy Code",),
    "reporter_name": ("Reporting Economy",),
    "partner": ("Partner Economy Code",),
    "partner_name": ("Partner Economy",),
    "classification": ("Product/Sector Classification Code",),
    "product": ("Product/Sector Code",),
    "year": ("Year",),
    "unit": ("Unit",),
    "value": ("Value",),
}
IMPORT_INDICATORS = ("HS_M_0010", "HS_M_0020")
UNITS = {"US$": 1.0, "USD": 1.0, "Thousand US$": 1e3, "Million US$": 1e6}
CLASSIFICATIONS = {"MT2": "MTN", "MTN": "MTN", "HS": "HS"}


class Wto(Source):
    id = "wto"
    tables = ("trade",)
    pack_inputs = ("trade/wto_bilateral_imports_mtn12_minerals_metals_and_hs93_arms_2011_2022.csv.gz",)

    columns = {"year": "Year", "value_usd": "Value"}

    def handles(self, path: Path) -> bool:
        head = {norm(h.strip().strip('"')) for h in header_line(path).split(",")}
        return {"reportingeconomycode", "partnereconomycode", "productsectorcode", "value"} <= head

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        cols = find_columns(path, source=self.id, wanted=WANTED, optional=("reporter_name", "partner_name"))
        df = read_csv_strings(path, source=self.id, required=list(cols.values()))
        df = df.rename({v: k for k, v in cols.items()})
        df = df.with_columns(pl.col(c).str.strip_chars() for c in cols)
        raise_first(df, ~pl.col("indicator").is_in(IMPORT_INDICATORS), source=self.id, path=path,
                    column="indicator", label=cols["indicator"],
                    reason=lambda v: f"{v!r} is not a bilateral imports indicator {list(IMPORT_INDICATORS)}")
        raise_first(df, ~pl.col("unit").is_in(list(UNITS)), source=self.id, path=path, column="unit",
                    label=cols["unit"], reason=lambda v: f"unit {v!r} is not one of {list(UNITS)}")
        raise_first(df, ~pl.col("classification").is_in(list(CLASSIFICATIONS)), source=self.id, path=path,
                    column="classification", label=cols["classification"],
                    reason=lambda v: f"product classification {v!r} is not one of {list(CLASSIFICATIONS)}")
        raise_first(df, ~pl.col("product").str.contains(r"^\d{2,6}$"), source=self.id, path=path,
                    column="product", label=cols["product"], reason=lambda v: f"{v!r} is not a product code")
        df = to_number(df, "value", source=self.id, path=path, label=cols["value"])
        df = to_number(df, "year", source=self.id, path=path, label=cols["year"], dtype=pl.Int32)
        raise_first(df, pl.col("value").is_null(), source=self.id, path=path, column="value", label=cols["value"],
                    reason="missing value")
        raise_first(df, pl.col("value") < 0, source=self.id, path=path, column="value", label=cols["value"],
                    reason=lambda v: f"{v!r} is negative")
        codes = load_mapping("wto_economy_codes.csv", "wto_code", "iso3")
        codes |= {str(int(k)): v for k, v in codes.items()}
        for side in ("reporter", "partner"):
            df = resolve_countries(df, side, source=self.id, path=path, label=cols[side], codes=codes, numeric=True)
        df = df.with_columns(
            (pl.col("value") * pl.col("unit").replace_strict(UNITS, return_dtype=pl.Float64)).alias("value_usd"),
            pl.col("classification").replace_strict(CLASSIFICATIONS, return_dtype=pl.Utf8),
            pl.col("product").str.len_chars().cast(pl.Int32).alias("level"),
            pl.lit("import").alias("flow"),
        )
        return {"trade": trade_frame(df, source=self.id)}


SOURCE = Wto()
