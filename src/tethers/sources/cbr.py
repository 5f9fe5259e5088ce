"""Central Bank of Russia (CBR) official exchange rates of the rouble.

Publisher formats
-----------------
* A monthly compilation of CBR ``XML_daily`` rates: first column the month (``YYYY-MM``, unnamed in
  the header), then one column per currency code (``USD, EUR, KZT, UAH, BYR``) holding **roubles per
  one unit** of that currency, taken on the first business day of the month. ``NONE`` marks a
  currency the bank no longer quotes (``BYR`` after the 2016-07 redenomination to ``BYN``). Rows are
  dated the first day of the month, frequency ``monthly``.
* The bank's ``XML_daily.asp`` answer: ``<ValCurs Date="DD.MM.YYYY">`` with one ``<Valute>`` per
  currency: ``CharCode``, ``Nominal`` (1, 10, 100, 1000 or 10 000 units) and ``Value`` (roubles per
  ``Nominal`` units, decimal comma); since 2022 also ``VunitRate`` (roubles per one unit), which must
  agree with ``Value / Nominal``. Served in windows-1251 with an XML declaration. Frequency ``daily``.

Both give roubles per unit of currency *c*; the atlas stores units per US dollar
(:func:`tethers.sources._fx.cross_per_usd`):

    RUB per USD = q_USD            c per USD = q_USD / q_c       (q = roubles per one unit)

so EUR per USD is ``USD / EUR`` of a row (0.73 in 2005-01), KZT per USD is ``USD / KZT`` (130.0).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_date, to_number
from ._fx import ISO4217, check_currencies, cross_per_usd, fx_rows, line, read_xml

FIRST_OFFICIAL_RATE = dt.date(1992, 7, 1)  # the CBR has set official rates since 1 July 1992
MISSING = "NONE"
VUNIT_TOLERANCE = 1e-3  # VunitRate is Value/Nominal rounded to the published digits
MONTH_LABEL = "(month)"  # the compilation's first column has no name


class Cbr(Source):
    id = "cbr"
    tables = ("fx",)
    pack_inputs = ("fx/cbr_monthly_rub_per_unit_USD_EUR_KZT_UAH_BYR_2005_2022.csv",)

    def handles(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix in (".csv", ".gz"):
            cols = [c.strip() for c in header_line(path).split(",")]
            return len(cols) > 2 and cols[0] == "" and "USD" in cols and all(c in ISO4217 for c in cols[1:])
        if suffix in (".xml", ".asp"):
            with open(path, "rb") as fh:
                return b"<ValCurs" in fh.read(4096)
        return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        if path.suffix.lower() in (".xml", ".asp"):
            return {"fx": self._parse_xml(path)}
        return {"fx": self._parse_csv(path)}

    # -- the monthly compilation -----------------------------------------------------------------
    def _parse_csv(self, path: Path) -> pl.DataFrame:
        df = read_csv_strings(path, source=self.id, required=["USD"])
        month, *currencies = [c for c in df.columns if c != ROW]
        for c in currencies:
            if c not in ISO4217:
                raise self.fail(path, "unknown currency column (not ISO 4217)", row=1, column=c)
        if month in ISO4217:
            raise self.fail(path, "the first column must be the month (YYYY-MM)", row=1, column=month)
        df = to_date(df, month, source=self.id, path=path, formats=["%Y-%m", "%Y-%m-%d"],
                     label=month or MONTH_LABEL, earliest=FIRST_OFFICIAL_RATE)
        df = df.rename({month: "date"})
        parts = []
        for c in currencies:
            df = df.with_columns(pl.when(pl.col(c).str.strip_chars() == MISSING).then(None).otherwise(pl.col(c)).alias(c))
            df = to_number(df, c, source=self.id, path=path)
            self._check_positive(df, c, path)
            parts.append(df.filter(pl.col(c).is_not_null()).select(
                ROW, "date", pl.lit(c).alias("currency"), pl.col(c).alias("local_per_unit")))
        quotes = pl.concat(parts)
        return fx_rows(cross_per_usd(quotes, local="RUB", source=self.id, path=path), source=self.id, frequency="monthly")

    def _check_positive(self, df: pl.DataFrame, col: str, path: Path) -> None:
        bad = df.filter(pl.col(col) <= 0).head(1)
        if bad.height:
            raise self.fail(path, f"{bad[col][0]!r} is not positive", row=bad[ROW][0], column=col)

    # -- XML_daily -------------------------------------------------------------------------------
    def _parse_xml(self, path: Path) -> pl.DataFrame:
        root = read_xml(path, source=self.id)
        if root.tag != "ValCurs":
            raise self.fail(path, f"root element is <{root.tag}>, expected <ValCurs> (CBR XML_daily)", row=line(root))
        valutes = root.findall("Valute")
        if not valutes:
            raise self.fail(path, "no <Valute> elements", row=line(root))
        if not root.get("Date", "").strip():
            raise self.fail(path, "<ValCurs> has no Date attribute", row=line(root), column="Date")
        day = pl.DataFrame({ROW: [line(root)], "Date": [root.get("Date")]}, schema={ROW: pl.Int64, "Date": pl.Utf8})
        day = to_date(day, "Date", source=self.id, path=path, formats=["%d.%m.%Y"], earliest=FIRST_OFFICIAL_RATE)["Date"][0]
        records = [
            (line(v), (v.findtext("CharCode") or "").strip(), v.findtext("Nominal"), v.findtext("Value"),
             v.findtext("VunitRate"))
            for v in valutes
        ]
        df = pl.DataFrame(records, schema={ROW: pl.Int64, **dict.fromkeys(
            ["CharCode", "Nominal", "Value", "VunitRate"], pl.Utf8)}, orient="row").with_columns(Date=pl.lit(day))
        check_currencies(df, "CharCode", source=self.id, path=path)
        for col in ("Nominal", "Value", "VunitRate"):
            df = to_number(df, col, source=self.id, path=path, decimal_comma=True)
        for col in ("Nominal", "Value"):
            missing = df.filter(pl.col(col).is_null()).head(1)
            if missing.height:
                raise self.fail(path, "missing value", row=missing[ROW][0], column=col)
            self._check_positive(df, col, path)
        df = df.with_columns(local_per_unit=pl.col("Value") / pl.col("Nominal"))
        off = df.filter(((pl.col("local_per_unit") - pl.col("VunitRate")).abs() > VUNIT_TOLERANCE * pl.col("VunitRate")).fill_null(False)).head(1)
        if off.height:
            raise self.fail(
                path, f"VunitRate {off['VunitRate'][0]} disagrees with Value/Nominal = {off['local_per_unit'][0]:.6g}",
                row=off[ROW][0], column="VunitRate",
            )
        quotes = df.rename({"Date": "date", "CharCode": "currency"})
        return fx_rows(cross_per_usd(quotes, local="RUB", source=self.id, path=path), source=self.id, frequency="daily")


SOURCE = Cbr()
