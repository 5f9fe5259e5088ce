"""Eurostat Comext international trade in goods (relational-view CSV), converted from EUR to USD.

Publisher format: the Comext "Relational_View" CSV export — ``REPORTER, PARTNER, PRODUCT, FLOW,
STAT_PROCEDURE, PERIOD, VALUE_IN_EUR`` (extra columns are ignored), with **labels** rather than
codes: member-state names with footnotes (``Germany (incl. German Democratic Republic 'DD' from
1991)``), periods ``Jan. 2019`` (monthly) or ``Jan.-Dec. 2021`` / ``202152-Jan.-Dec. 2021``
(annual), values in euro.

Quirks and decisions (see ``docs/sources/eurostat.md``):

* Labels lose their trailing parenthesised footnote and resolve through
  ``data/eurostat_labels.csv`` (French labels of the 2016 export, aggregates, "not specified"
  areas) and then ``countries.try_resolve``. "Not specified", "stores and provisions" and "high
  seas" partners become ``XXX`` (summed). The EU27_2020 aggregate becomes ``EUU`` (an aggregate
  code, like ``WLD``); the EU of changing composition, the euro area and Extra/Intra-EU partner
  aggregates have no atlas code and are skipped.
* ``FLOW`` is the reporter's flow (``EXPORT`` = the member state's exports to the partner).
* Monthly rows are summed to calendar years, and only **complete** years are kept: a year counts
  when the file has all 12 months for that partner and flow (a missing month for one reporter
  means no trade). Partial years are excluded and recorded in a provenance ``note``.
* EUR → USD per month with ``data/eur_usd_rates.csv``: monthly EUR/USD cross rates from the Bank
  of Russia (EUR in RUB / USD in RUB, first business day of the month, 2005-01 … 2022-12), and the
  ECB annual average reference rate for years the monthly table lacks (2023: 1.0813, the mean of
  the ECB daily rates shipped in ``data/ecb_eurusd_daily_2023.csv``). Annual rows use the ECB
  annual average, else the mean of the year's 12 monthly rates. A period without a rate raises.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import polars as pl
import pyarrow as pa

from . import Loaded, Source
from ._common import ROW, header_line, read_csv_strings, to_number
from ._trade import find_columns, load_mapping, norm, raise_first, resolve_countries, trade_frame

WANTED = {
    "reporter": ("REPORTER",),
    "partner": ("PARTNER",),
    "flow": ("FLOW",),
    "product": ("PRODUCT",),
    "period": ("PERIOD",),
    "eur": ("VALUE_IN_EUR", "VALUE_IN_EUROS"),
}
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"), start=1)}
FLOWS = {"EXPORT": "export", "IMPORT": "import", "2": "export", "1": "import"}
_MONTHLY = re.compile(r"^(?:\d{6}-)?([A-Za-z]{3})\.? (\d{4})$")
_ANNUAL = re.compile(r"^(?:(\d{4})52-)?Jan\.?-Dec\.? (\d{4})$")
_FOOTNOTE = re.compile(r"\s*\(.*\)\s*$")
GROUP = ["year", "reporter", "partner", "classification", "product", "level", "flow"]


@cache
def rates() -> tuple[dict[str, float], dict[int, float]]:
    """(monthly 'YYYY-MM' → USD per EUR, annual YYYY → USD per EUR) from the shipped rate table."""
    table = pl.read_csv(_data("eur_usd_rates.csv"), schema_overrides={"period": pl.Utf8})
    monthly = dict(table.filter(pl.col("basis") == "monthly").select("period", "usd_per_eur").iter_rows())
    annual = {int(p): r for p, r in table.filter(pl.col("basis") == "annual").select("period", "usd_per_eur").iter_rows()}
    for year in sorted({int(p[:4]) for p in monthly}):
        months = [monthly.get(f"{year}-{m:02d}") for m in range(1, 13)]
        if year not in annual and all(months):
            annual[year] = sum(months) / 12
    return monthly, annual


def _data(name: str):
    from importlib import resources

    return resources.files(__package__).joinpath(f"data/{name}").read_bytes()


def annual_eur(monthly: pl.DataFrame, *, keys: tuple[str, ...] = ("reporter", "partner", "flow", "product")) -> pl.DataFrame:
    """Sum monthly EUR values to calendar years: ``[*keys, year, eur, months]``.

    ``months`` is the number of distinct months with a row for that series. Pure: no rates, no
    completeness rule (see :func:`complete_years`).
    """
    return (
        monthly.group_by([*keys, "year"])
        .agg(pl.col("eur").sum(), pl.col("month").n_unique().alias("months"))
        .sort([*keys, "year"])
    )


def complete_years(monthly: pl.DataFrame, *, scope: tuple[str, ...] = ("partner_label", "flow")) -> pl.DataFrame:
    """``[*scope, year, months, complete]``: a year is complete when all 12 months occur in the scope."""
    cov = monthly.group_by([*scope, "year"]).agg(pl.col("month").n_unique().alias("months"))
    return cov.with_columns((pl.col("months") == 12).alias("complete"))


class Eurostat(Source):
    id = "eurostat"
    tables = ("trade",)
    pack_inputs = (
        "trade/eurostat_eu27_member_trade_with_KZ_RU_KG_UZ_AM_GE_monthly_2019_2024.csv",
        "trade/eurostat_eu27_exports_by_partner_annual_2010_2023.csv",
    )
    columns = {"value_usd": "VALUE_IN_EUR", "year": "PERIOD"}

    def __init__(self) -> None:
        self._notes: dict[str, str] = {}

    def handles(self, path: Path) -> bool:
        head = {norm(h.strip().strip('"')) for h in header_line(path).split(",")}
        return path.suffix.lower() == ".csv" and {"reporter", "partner", "period"} <= head and (
            "valueineur" in head or "valueineuros" in head)

    # -- reading ------------------------------------------------------------------------------
    def read_eur(self, path: Path) -> pl.DataFrame:
        """The file as tidy EUR rows (countries resolved, period parsed), before any aggregation.

        Columns: ``_row, reporter, partner, partner_label, flow, classification, product, level,
        year, month (null for annual rows), eur``.
        """
        cols = find_columns(path, source=self.id, wanted=WANTED, optional=("product",))
        df = read_csv_strings(path, source=self.id, required=list(cols.values()))
        df = df.rename({v: k for k, v in cols.items()}).with_columns(pl.col(c).str.strip_chars() for c in cols)
        if "product" not in df.columns:
            df = df.with_columns(pl.lit("TOTAL").alias("product"))
        df = self._periods(path, df, cols["period"])
        raise_first(df, ~pl.col("flow").str.to_uppercase().is_in(list(FLOWS)), source=self.id, path=path,
                    column="flow", label=cols["flow"], reason=lambda v: f"{v!r} is not one of EXPORT, IMPORT")
        total = pl.col("product").str.to_uppercase() == "TOTAL"
        raise_first(df, ~(total | pl.col("product").str.contains(r"^\d{2}(\d{2}){0,3}$")), source=self.id,
                    path=path, column="product", label=cols.get("product", "PRODUCT"),
                    reason=lambda v: f"{v!r} is not a product code (TOTAL, or HS/CN digits) of one classification")
        df = df.with_columns(
            pl.col("flow").str.to_uppercase().replace_strict(FLOWS, return_dtype=pl.Utf8),
            pl.when(total).then(pl.lit("TOTAL")).when(pl.col("product").str.len_chars() == 8).then(pl.lit("CN"))
            .otherwise(pl.lit("HS")).alias("classification"),
            pl.when(total).then(pl.lit("TOTAL")).otherwise(pl.col("product")).alias("product"),
            pl.when(total).then(0).otherwise(pl.col("product").str.len_chars()).cast(pl.Int32).alias("level"),
        )
        df = to_number(df, "eur", source=self.id, path=path, label=cols["eur"])
        raise_first(df, pl.col("eur").is_null(), source=self.id, path=path, column="eur", label=cols["eur"],
                    reason="missing value")
        raise_first(df, pl.col("eur") < 0, source=self.id, path=path, column="eur", label=cols["eur"],
                    reason=lambda v: f"{v!r} is negative")
        key = ["reporter", "partner", "flow", "product", "period"]
        dup = df.filter(pl.struct(key).is_duplicated()).sort(ROW)
        if dup.height:
            first = dup.row(0, named=True)
            again = dup.filter(pl.all_horizontal([pl.col(k) == first[k] for k in key]))[ROW][1]
            raise self.fail(path, f"duplicate row for {first['reporter']!r} → {first['partner']!r} {first['flow']} "
                                  f"{first['period']} (also at row {again})", row=first[ROW])
        labels = load_mapping("eurostat_labels.csv", "label", "iso3")
        df = df.with_columns(pl.col("partner").alias("partner_label"),
                             *(pl.col(c).str.replace(_FOOTNOTE.pattern, "").alias(c) for c in ("reporter", "partner")))
        for side in ("reporter", "partner"):
            df = resolve_countries(df, side, source=self.id, path=path, label=cols[side], codes=labels)
        return df.select(ROW, "reporter", "partner", "partner_label", "flow", "classification", "product", "level",
                         "year", "month", "eur")

    def _periods(self, path: Path, df: pl.DataFrame, label: str) -> pl.DataFrame:
        p = pl.col("period")
        mon = p.str.extract(_MONTHLY.pattern, 1).str.to_lowercase()
        df = df.with_columns(
            pl.coalesce(p.str.extract(_MONTHLY.pattern, 2), p.str.extract(_ANNUAL.pattern, 2),
                        p.str.extract(r"^(\d{4})52$", 1), p.str.extract(r"^(\d{4})(?:0[1-9]|1[0-2])$", 1))
            .cast(pl.Int32).alias("year"),
            pl.coalesce(mon.replace_strict(MONTHS, default=None, return_dtype=pl.Int32),
                        p.str.extract(r"^\d{4}(0[1-9]|1[0-2])$", 1).cast(pl.Int32)).alias("month"),
        )
        raise_first(df, pl.col("year").is_null() | (mon.is_not_null() & pl.col("month").is_null()), source=self.id,
                    path=path, column="period", label=label,
                    reason=lambda v: f"{v!r} is not a Comext period ('Jan. 2021', 'Jan.-Dec. 2021', 202152, 202101)")
        raise_first(df, (pl.col("year") < 1800) | (pl.col("year") > 2100), source=self.id, path=path, column="period",
                    label=label, reason=lambda v: f"{v!r} is not a plausible year (1800–2100)")
        if df["month"].null_count() not in (0, df.height):
            raise_first(df, pl.col("month").is_null(), source=self.id, path=path, column="period", label=label,
                        reason=lambda v: f"{v!r} is annual but the file also has monthly periods (one frequency a file)")
        return df

    # -- converting ---------------------------------------------------------------------------
    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = self.read_eur(path)
        monthly_rates, annual_rates = rates()
        note = None
        if df["month"].null_count() == 0:  # monthly file: complete years only
            cov = complete_years(df)
            df = df.join(cov, on=["partner_label", "flow", "year"])
            partial = df.filter(~pl.col("complete"))
            if partial.height:
                years = partial.group_by("year").agg(pl.col("months").max()).sort("year")
                note = "eurostat: partial years excluded (months present): " + ", ".join(
                    f"{y} ({m}/12)" for y, m in years.iter_rows()) + f"; {partial.height} monthly rows not loaded"
            df = df.filter(pl.col("complete"))
            key = pl.format("{}-{}", pl.col("year"), pl.col("month").cast(pl.Utf8).str.zfill(2))
            rate = key.replace_strict(monthly_rates, default=None, return_dtype=pl.Float64)
            rate = pl.coalesce(rate, pl.col("year").replace_strict(annual_rates, default=None, return_dtype=pl.Float64))
        else:
            rate = pl.col("year").replace_strict(annual_rates, default=None, return_dtype=pl.Float64)
        df = df.with_columns(rate.alias("rate"))
        raise_first(df, pl.col("rate").is_null(), source=self.id, path=path, column="year", label="PERIOD",
                    reason=lambda y: f"no EUR/USD rate for {y} (data/eur_usd_rates.csv covers monthly "
                                     f"{min(monthly_rates)}…{max(monthly_rates)} and years {sorted(annual_rates)[0]}…"
                                     f"{sorted(annual_rates)[-1]})")
        out = (
            df.with_columns((pl.col("eur") * pl.col("rate")).alias("value_usd"))
            .group_by(GROUP)
            .agg(pl.col(ROW).min(), pl.col("value_usd").sum())
            .sort(ROW)
        )
        if note:
            self._notes[str(path)] = note
        return {"trade": trade_frame(out, source=self.id)}

    def combine_for_pack(self, table_name: str, parts: list[tuple[str, pa.Table]]) -> pa.Table:
        """EU27 → partner years present in both shared files: the monthly-converted row (first input) wins."""
        key = ["source", "year", "reporter", "partner", "classification", "product", "flow"]
        df = pl.concat([pl.from_arrow(t) for _, t in parts])
        return df.unique(subset=key, keep="first", maintain_order=True).to_arrow()

    def read(self, path: str | Path) -> Loaded:
        """As :meth:`Source.read`, plus a provenance ``note`` naming the partial years left out."""
        loaded = super().read(path)
        note = self._notes.pop(str(Path(path)), None)
        if note:
            base = loaded.provenance[0]
            loaded.provenance.append(replace(base, kind="note", citation=note))
        return loaded


SOURCE = Eurostat()
