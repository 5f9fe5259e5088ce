"""National Bank of Kazakhstan (NBK) official exchange rates of the tenge.

Publisher formats
-----------------
* The daily series ``date, usd_kzt`` (tenge per US dollar, one row per day the bank set a rate), as
  compiled from nationalbank.kz (``nbk_official_USD_KZT_daily_*.csv``). Dates ``YYYY-MM-DD`` (or
  ``DD.MM.YYYY``).
* The bank's XML answer to ``https://nationalbank.kz/rss/get_rates.cfm?fdate=DD.MM.YYYY``: a root
  ``<rates>`` with ``<date>DD.MM.YYYY</date>`` and one ``<item>`` per currency, where ``<title>`` is the
  ISO code, ``<description>`` the tenge price of ``<quant>`` units (quant is 1, 10, 100, 1000 or
  10000: the Uzbek sum is quoted per 100, the Iranian rial per 10 000). Rates are converted to units
  per US dollar through that day's USD rate (:func:`tethers.sources._fx.cross_per_usd`); KZT per USD
  is the USD item itself.

Quirks: the tenge was introduced on 1993-11-15, so earlier dates are rejected; a tenge-per-dollar value
below 1 is taken for an inverted series (dollars per tenge) and rejected. Frequency is ``daily``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_date, to_number
from ._fx import check_currencies, cross_per_usd, fx_rows, line, read_xml

TENGE_INTRODUCED = dt.date(1993, 11, 15)
# Tenge per US dollar has stayed between 4.7 (1993) and a few hundred; outside these bounds a series is
# inverted (USD per KZT) or mis-scaled (e.g. tiyn).
PLAUSIBLE_KZT_PER_USD = (1.0, 10_000.0)


class Nbk(Source):
    id = "nbk"
    tables = ("fx",)
    pack_inputs = ("fx/nbk_official_USD_KZT_daily_2021-05-10_2023-12-29.csv",)
    columns = {"date": "date", "per_usd": "usd_kzt"}

    def handles(self, path: Path) -> bool:
        suffix = path.suffix.lower()
        if suffix in (".csv", ".gz"):
            return header_line(path).replace(" ", "").lower() == "date,usd_kzt"
        if suffix in (".xml", ".cfm"):
            with open(path, "rb") as fh:
                head = fh.read(4096)
            return b"<rates" in head and (b"National Bank of Republic Kazakhstan" in head or b"<quant>" in head)
        return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        if path.suffix.lower() in (".xml", ".cfm"):
            return {"fx": self._parse_xml(path)}
        return {"fx": self._parse_csv(path)}

    # -- the daily csv ---------------------------------------------------------------------------
    def _parse_csv(self, path: Path) -> pl.DataFrame:
        df = read_csv_strings(path, source=self.id, required=["date", "usd_kzt"])
        df = to_date(df, "date", source=self.id, path=path, formats=["%Y-%m-%d", "%d.%m.%Y"],
                     earliest=TENGE_INTRODUCED)
        df = to_number(df, "usd_kzt", source=self.id, path=path)
        lo, hi = PLAUSIBLE_KZT_PER_USD
        v = pl.col("usd_kzt")
        bad = df.filter((v > 0) & ((v < lo) | (v > hi))).head(1)  # <= 0 is reported by validate
        if bad.height:
            raise self.fail(
                path, f"{bad['usd_kzt'][0]!r} tenge per dollar is implausible (inverted or mis-scaled series?)",
                row=bad[ROW][0], column="usd_kzt",
            )
        df = df.with_columns(currency=pl.lit("KZT"), per_usd=pl.col("usd_kzt"))
        return fx_rows(df, source=self.id, frequency="daily")

    # -- the get_rates.cfm XML -------------------------------------------------------------------
    def _parse_xml(self, path: Path) -> pl.DataFrame:
        root = read_xml(path, source=self.id)
        if root.tag != "rates":
            raise self.fail(path, f"root element is <{root.tag}>, expected <rates> (NBK get_rates.cfm)", row=line(root))
        date_el = root.find("date")
        if date_el is None or not date_el.text.strip():
            raise self.fail(path, "no <date> element", row=line(root), column="date")
        day = pl.DataFrame({ROW: [line(date_el)], "date": [date_el.text]}, schema={ROW: pl.Int64, "date": pl.Utf8})
        day = to_date(day, "date", source=self.id, path=path, formats=["%d.%m.%Y"], earliest=TENGE_INTRODUCED)["date"][0]
        items = root.findall("item")
        if not items:
            raise self.fail(path, f"no <item> (currency) elements for {day}", row=line(root))
        records = [
            (line(it), (it.findtext("title") or "").strip(), it.findtext("description"), it.findtext("quant"))
            for it in items
        ]
        df = pl.DataFrame(records, schema={ROW: pl.Int64, **dict.fromkeys(
            ["currency", "description", "quant"], pl.Utf8)}, orient="row").with_columns(date=pl.lit(day))
        check_currencies(df, "currency", source=self.id, path=path, label="title")
        for col in ("description", "quant"):
            df = to_number(df, col, source=self.id, path=path)
            bad = df.filter(pl.col(col).is_null() | (pl.col(col) <= 0)).head(1)
            if bad.height:
                raise self.fail(path, f"{bad[col][0]!r} is not a positive number", row=bad[ROW][0], column=col)
        quotes = df.with_columns(local_per_unit=pl.col("description") / pl.col("quant"))
        return fx_rows(cross_per_usd(quotes, local="KZT", source=self.id, path=path), source=self.id, frequency="daily")


SOURCE = Nbk()
