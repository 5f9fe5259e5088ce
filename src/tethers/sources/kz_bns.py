"""Kazakhstan's official foreign trade by partner country (Bureau of National Statistics, BNS).

Publisher formats
-----------------
* The bureau's workbook "Основные показатели внешней торговли Республики Казахстан по странам"
  (``.xls``): one sheet per year (``12_2021`` = January–December 2021, or ``2021``), rows = partner
  countries in Russian plus aggregate rows (Всего, Страны СНГ, …), columns = turnover, exports,
  imports in **thousand USD** with shares. Other sheets (cover, methodology) are ignored.
* The tidy compilation ``kz_bns_trade_by_partner_2018_2023.csv`` (columns ``year, vintage, …,
  partner_iso3, exports_kusd, imports_kusd, row_type``); only ``vintage == latest`` rows are read.

Quirks: a blank cell means no trade in that flow (0); every workbook carries the previous year too,
so when the pack combines workbooks the most recent release of a year wins. As a guard against a
misread sheet, country rows must add up to the sheet's ``Всего`` (total) row within 0.01 %. The ``Всего`` row
itself is kept as partner ``WLD`` (the bureau's world total): the independent total the coverage rule of
:mod:`tethers.dimensions.base` checks the partner list against.
"""

from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import polars as pl
import pyarrow as pa

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number

AGGREGATES = {
    "Всего", "Всего в том числе", "Страны СНГ", "Страны ЕАЭС", "Страны вне ЕАЭС", "Страны ЕС", "Страны вне ЕС",
    "Европа", "Азия", "Африка", "Америка", "Австралия и Океания", "Остальные страны мира",
}
_SHEET = re.compile(r"^(?:12_)?(\d{4})$")
TOLERANCE = 1e-4  # relative gap allowed between the sum of countries and the total row


def partner_names() -> dict[str, str]:
    """Russian partner spellings used by BNS → ISO3 (shipped with tethers)."""
    with resources.files(__package__).joinpath("data/kz_bns_partner_names_ru.csv").open(encoding="utf-8") as fh:
        return {r["partner_ru"]: r["iso3"] for r in csv.DictReader(fh)}


def _clean_name(x: object) -> str:
    return re.sub(r"\s+", " ", str(x)).strip()


class KzBns(Source):
    id = "kz_bns"
    tables = ("trade",)
    pack_inputs = tuple(f"trade/bns_raw/kz_trade_by_country_{y}.xls" for y in range(2019, 2024))
    columns = {"partner": "Наименование", "value_usd": "Экспорт/Импорт, тыс. долларов США"}

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() in (".xls", ".xlsx"):
            return "trade_by_country" in path.name or "внешней торговли" in path.name
        return path.suffix.lower() == ".csv" and "partner_iso3" in header_line(path) and "imports_kusd" in header_line(path)

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        if path.suffix.lower() in (".xls", ".xlsx"):
            return {"trade": self._parse_workbook(path)}
        return {"trade": self._parse_csv(path)}

    # -- the bureau's workbook ---------------------------------------------------------------
    def _parse_workbook(self, path: Path) -> pl.DataFrame:
        import pandas as pd

        try:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
        except Exception as exc:  # xlrd/openpyxl raise many types for corrupt files
            raise self.fail(path, f"not a readable Excel workbook ({type(exc).__name__}: {str(exc)[:80]})") from None
        frames = []
        for sheet, raw in sheets.items():
            m = _SHEET.match(str(sheet).strip())
            if not m:
                continue
            frames.append(self._parse_sheet(path, str(sheet), int(m.group(1)), raw))
        if not frames:
            raise self.fail(path, f"no year sheet (named like '12_2021' or '2021') among {list(sheets)}")
        return pl.concat(frames)

    def _parse_sheet(self, path: Path, sheet: str, year: int, raw) -> pl.DataFrame:
        where = f"{path}[{sheet}]"
        names = partner_names()
        start = None
        for i in range(min(len(raw), 30)):
            if _clean_name(raw.iat[i, 0]).startswith("Всего"):
                start = i
                break
        if start is None or raw.shape[1] < 6:
            raise self.fail(where, "no 'Всего' (total) row with turnover/export/import columns in the first 30 rows")
        records, total = [], None
        for i in range(start, len(raw)):
            name = _clean_name(raw.iat[i, 0])
            if not name or name == "nan":
                continue
            exp, imp = (self._cell(where, raw, i, j, label) for j, label in ((3, "Экспорт"), (5, "Импорт")))
            if name.startswith("Всего"):
                total = (exp, imp, i + 1)
                continue
            if name in AGGREGATES:
                continue
            iso3 = names.get(name)
            if iso3 is None:
                from .. import countries

                iso3 = countries.try_resolve(name)
            if iso3 is None:
                raise self.fail(where, f"unknown partner country {name!r}", row=i + 1, column="Наименование")
            records.append((i + 1, iso3, exp, imp))
        self._check_total(where, records, total)
        rows = []
        for r, iso3, exp, imp in records:
            rows.append((r, year, iso3, "export", exp * 1000.0))
            rows.append((r, year, iso3, "import", imp * 1000.0))
        # the bureau's own total ("Всего") as the world row: the independent total the coverage rule checks against
        rows.append((total[2], year, "WLD", "export", total[0] * 1000.0))
        rows.append((total[2], year, "WLD", "import", total[1] * 1000.0))
        return self._frame(rows)

    def _cell(self, where: str, raw, i: int, j: int, label: str) -> float:
        v = raw.iat[i, j]
        if v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and v.strip() in ("", "-", "–")):
            return 0.0
        try:
            x = float(str(v).replace(" ", "").replace(",", "."))
        except ValueError:
            raise self.fail(where, f"{v!r} is not a number", row=i + 1, column=label) from None
        if x < 0:
            raise self.fail(where, f"{v!r} is negative", row=i + 1, column=label)
        return x

    def _check_total(self, where: str, records: list, total: tuple | None) -> None:
        if total is None:
            raise self.fail(where, "no 'Всего' (total) row")
        for k, label in ((2, "Экспорт"), (3, "Импорт")):
            s = sum(r[k] for r in records)
            t = total[k - 2]
            if t and abs(s - t) > TOLERANCE * t:
                raise self.fail(
                    where, f"partner rows add up to {s:,.1f} but the total row says {t:,.1f} (misread sheet?)",
                    row=total[2], column=label,
                )

    @staticmethod
    def _frame(rows: list[tuple]) -> pl.DataFrame:
        df = pl.DataFrame(rows, schema=[ROW, "year", "partner", "flow", "value_usd"], orient="row")
        return df.with_columns(
            reporter=pl.lit("KAZ"), classification=pl.lit("TOTAL"), product=pl.lit("TOTAL"), level=pl.lit(0),
            quantity=pl.lit(None, pl.Float64), quantity_unit=pl.lit(None, pl.Utf8), source=pl.lit("kz_bns"),
        )

    # -- the tidy compilation ----------------------------------------------------------------
    def _parse_csv(self, path: Path) -> pl.DataFrame:
        req = ["year", "vintage", "partner_iso3", "exports_kusd", "imports_kusd", "row_type"]
        df = read_csv_strings(path, source=self.id, required=req)
        for c in ("exports_kusd", "imports_kusd"):
            df = to_number(df, c, source=self.id, path=path, scale=1000.0)
        df = to_number(df, "year", source=self.id, path=path, dtype=pl.Int32)
        world = pl.col("partner_ru").fill_null("").str.strip_chars().str.starts_with("Всего") if "partner_ru" in df.columns \
            else pl.lit(False)
        df = df.filter((pl.col("vintage") == "latest") & ((pl.col("row_type") == "country") | world)).with_columns(
            partner_iso3=pl.when(world).then(pl.lit("WLD")).otherwise(pl.col("partner_iso3")))
        long = pl.concat(
            [
                df.select(ROW, "year", pl.col("partner_iso3").alias("partner"), pl.lit(flow).alias("flow"),
                          pl.col(col).fill_null(0.0).alias("value_usd"))
                for flow, col in (("export", "exports_kusd"), ("import", "imports_kusd"))
            ]
        )
        return self._frame(list(long.iter_rows()))

    def combine_for_pack(self, table_name: str, parts: list[tuple[str, pa.Table]]) -> pa.Table:
        """Latest release wins: a year in several workbooks is taken from the most recent one."""
        frames = [pl.from_arrow(t).with_columns(pl.lit(i).alias("__rank")) for i, (_, t) in enumerate(parts)]
        df = pl.concat(frames)
        latest = df.group_by("year").agg(pl.col("__rank").max())
        return df.join(latest, on=["year", "__rank"]).drop("__rank").to_arrow()


SOURCE = KzBns()
