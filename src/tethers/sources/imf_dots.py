"""IMF Direction of Trade Statistics (DOTS): goods exports and imports by counterpart country.

Publisher formats (data.imf.org bulk download, "DOT_<date>_timeSeries.csv" and the long form):

* **time series (wide)**: ``Country Name, Country Code, Indicator Name, Indicator Code,
  Counterpart Country Name, Counterpart Country Code, Attribute, 1980, 1981, …`` — one row per
  series and attribute (``Value`` rows are read, ``Status`` rows ignored); only the four-digit
  (annual) period columns are read.
* **long**: the same identifiers with ``Time Period`` and ``Value`` columns (annual periods only).

Indicators: ``TXG_FOB_USD`` (exports f.o.b.) → ``export``, ``TMG_CIF_USD`` (imports c.i.f.) →
``import``; ``TMG_FOB_USD`` and ``TBG_USD`` (balance) are skipped, anything else is refused. Values
are US dollars; a ``Unit Multiplier``/``Scale`` column (the SDMX API's ``UNIT_MULT``, 6 =
millions) is applied when present. Country codes are the IMF's own (Kazakhstan 916, Russia 922,
China 924, United States 111 …), not ISO: ``data/imf_country_codes.csv`` maps the ones tethers
needs, the rest resolve by name (``Kazakhstan, Rep. of``); a code whose name resolves to another
country raises. World (1) → ``WLD``; regional aggregates (EU 998, euro area 163 …) are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number
from ._trade import find_columns, load_mapping, norm, raise_first, resolve_countries, trade_frame

WANTED = {
    "reporter_name": ("Country Name",), "reporter": ("Country Code",),
    "indicator_name": ("Indicator Name",), "indicator": ("Indicator Code",),
    "partner_name": ("Counterpart Country Name",), "partner": ("Counterpart Country Code",),
    "attribute": ("Attribute",), "period": ("Time Period",), "value": ("Value",),
    "scale": ("Unit Multiplier", "Scale", "UNIT_MULT"),
}
OPTIONAL = ("reporter_name", "indicator_name", "partner_name", "attribute", "period", "value", "scale")
INDICATORS = {"TXG_FOB_USD": "export", "TMG_CIF_USD": "import"}
SKIPPED = ("TMG_FOB_USD", "TBG_USD")
_YEAR = re.compile(r"^\d{4}$")


class ImfDots(Source):
    id = "imf_dots"
    tables = ("trade",)
    columns = {"year": "Time Period / year column"}

    def handles(self, path: Path) -> bool:
        head = {norm(h.strip().strip('"')) for h in header_line(path).split(",")}
        return path.suffix.lower() in (".csv", ".gz") and {"countrycode", "indicatorcode",
                                                           "counterpartcountrycode"} <= head

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        cols = find_columns(path, source=self.id, wanted=WANTED, optional=OPTIONAL)
        df = read_csv_strings(path, source=self.id, required=list(cols.values()))
        years = [c for c in df.columns if _YEAR.match(c.strip())]
        df = df.rename({v: k for k, v in cols.items()})
        if "period" in df.columns and "value" in df.columns:  # long form
            raise_first(df, ~pl.col("period").str.strip_chars().str.contains(_YEAR.pattern), source=self.id,
                        path=path, column="period", label=cols["period"],
                        reason=lambda v: f"period {v!r} is not a year (only annual data is read)")
            long = df.rename({"period": "year"})
        elif years:
            if "attribute" in df.columns:
                df = df.filter(pl.col("attribute").str.strip_chars() == "Value")
            long = df.unpivot(index=[c for c in df.columns if c not in years], on=years, variable_name="year",
                              value_name="value").filter(pl.col("value").str.strip_chars().fill_null("") != "")
            long = long.sort(ROW, "year")
        else:
            raise self.fail(path, "no annual data: expected 'Time Period' and 'Value' columns or four-digit year "
                                  "columns (1980, 1981, …)", row=1)
        long = long.with_columns(pl.col(c).str.strip_chars() for c in ("indicator", "reporter", "partner", "value"))
        ind = pl.col("indicator")
        raise_first(long, ~(ind.is_in(list(INDICATORS)) | ind.is_in(list(SKIPPED))), source=self.id, path=path,
                    column="indicator", label=cols["indicator"],
                    reason=lambda v: f"indicator {v!r} is not one of {list(INDICATORS)} (skipped: {list(SKIPPED)})")
        long = long.filter(ind.is_in(list(INDICATORS)))
        long = to_number(long, "value", source=self.id, path=path, label=cols.get("value", "Value"))
        long = to_number(long, "year", source=self.id, path=path, label=cols.get("period", "year"), dtype=pl.Int32)
        raise_first(long, pl.col("value") < 0, source=self.id, path=path, column="value",
                    label=cols.get("value", "Value"), reason=lambda v: f"{v!r} is negative")
        if "scale" in long.columns:
            long = to_number(long, "scale", source=self.id, path=path, label=cols["scale"], dtype=pl.Int32)
            long = long.with_columns(pl.col("value") * (10.0 ** pl.col("scale").fill_null(0)))
        codes = load_mapping("imf_country_codes.csv", "imf_code", "iso3")
        for side in ("reporter", "partner"):
            long = self._countries(path, long, side, codes, cols)
        long = long.with_columns(
            pl.col("indicator").replace_strict(INDICATORS, return_dtype=pl.Utf8).alias("flow"),
            pl.col("value").alias("value_usd"),
            pl.lit("TOTAL").alias("classification"), pl.lit("TOTAL").alias("product"), pl.lit(0, pl.Int32).alias("level"),
        )
        return {"trade": trade_frame(long, source=self.id)}

    def _countries(self, path: Path, df: pl.DataFrame, side: str, codes: dict[str, str], cols: dict) -> pl.DataFrame:
        """IMF code → ISO3 (mapping, else name); a mapped code whose name names another country raises."""
        from .. import countries

        name = f"{side}_name"
        df = df.with_columns(pl.col(side).str.replace(r"^0+(\d)", "$1"))
        if name in df.columns:
            for code, nm in df.select(side, name).unique().iter_rows():
                iso = codes.get(code)
                by_name = countries.try_resolve(nm) if nm else None
                if iso and by_name and iso != by_name:
                    row = df.filter(pl.col(side) == code)[ROW].min()
                    raise self.fail(path, f"IMF code {code!r} is {iso} but the name {nm!r} is {by_name}", row=row,
                                    column=cols[side])
        out = resolve_countries(df, side, source=self.id, path=path, label=cols[side], codes=codes,
                                names=name if name in df.columns else None)
        return out


SOURCE = ImfDots()
