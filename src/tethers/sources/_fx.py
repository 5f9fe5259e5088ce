"""Shared pieces of the exchange-rate loaders (``nbk``, ``cbr``, ``market``).

* :data:`ISO4217` — currency codes a rate may carry (active ISO 4217 codes plus the withdrawn ones that
  appear in 1990s–2010s series, e.g. ``BYR``); anything else is reported as an unknown currency.
* :func:`cross_per_usd` — the one conversion every central-bank table needs: the bank quotes each
  currency *c* in local units per unit of *c*; the atlas wants units of *c* per US dollar.
* :func:`read_xml` — parse a central bank's XML answer, keeping each element's line for error messages.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import xml.parsers.expat as expat
from pathlib import Path

import polars as pl

from ..errors import SourceFormatError
from ._common import ROW, read_bytes

# Active ISO 4217 codes (2024 list, without fund, metal and test codes) …
_ACTIVE = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL
"""
# … and withdrawn codes still found in historical series (Belarusian rouble before 2016-07, euro legacy
# currencies, pre-redenomination codes).
_WITHDRAWN = """
ATS AZM BEF BYR CYP CSD DEM EEK ESP FIM FRF GHC GRD HRK IEP ITL LTL LUF LVL MRO MTL MZM NLG PTE ROL RUR SDD
SIT SKK STD TMM TRL VEF YUM ZMK
"""
ISO4217: frozenset[str] = frozenset((_ACTIVE + _WITHDRAWN).split())


def check_currencies(df: pl.DataFrame, col: str, *, source: str, path: Path, label: str | None = None) -> None:
    """Raise naming the row of the first value in ``col`` that is not an ISO 4217 code."""
    bad = df.filter(~pl.col(col).is_in(sorted(ISO4217)) | pl.col(col).is_null()).head(1)
    if bad.height:
        raise SourceFormatError(
            source, str(path), f"unknown currency code {bad[col][0]!r} (not ISO 4217)", row=bad[ROW][0],
            column=label or col,
        )


def cross_per_usd(quotes: pl.DataFrame, *, local: str, source: str, path: Path) -> pl.DataFrame:
    """Turn a central bank's quotes into units per US dollar.

    ``quotes`` has one row per date and currency: ``[_row, date, currency, local_per_unit]`` where
    ``local_per_unit`` is the bank's price of one unit of ``currency`` in the ``local`` currency
    (already divided by the quoted nominal). With :math:`q_c` that price and :math:`q_{USD}` the
    dollar's price on the same day,

        per_usd(c)     = q_USD / q_c        (units of c per USD)
        per_usd(local) = q_USD              (local units per USD)

    USD itself (1 per USD) is not emitted. A date without a USD quote raises naming its first row.
    Returns ``[_row, date, currency, per_usd]``.
    """
    usd = quotes.filter(pl.col("currency") == "USD").select(
        "date", pl.col("local_per_unit").alias("__usd"), pl.col(ROW).alias("__usd_row")
    )
    twice = usd.filter(pl.col("date").is_duplicated()).sort("__usd_row")
    if twice.height:
        raise SourceFormatError(
            source, str(path), f"duplicate key {{'date': {twice['date'][0]!r}, 'currency': 'USD'}} "
            f"(also at row {twice['__usd_row'][1]})", row=twice["__usd_row"][0],
        )
    j = quotes.join(usd, on="date", how="left")
    missing = j.filter(pl.col("__usd").is_null()).sort(ROW).head(1)
    if missing.height:
        raise SourceFormatError(
            source, str(path), f"no USD rate on {missing['date'][0]}: cannot express rates per US dollar",
            row=missing[ROW][0],
        )
    others = j.filter(pl.col("currency") != "USD").select(
        ROW, "date", "currency", (pl.col("__usd") / pl.col("local_per_unit")).alias("per_usd")
    )
    own = usd.select(
        pl.col("__usd_row").alias(ROW), "date", pl.lit(local).alias("currency"), pl.col("__usd").alias("per_usd")
    )
    return pl.concat([others, own]).sort(ROW, "currency")


def fx_rows(df: pl.DataFrame, *, source: str, frequency: str) -> pl.DataFrame:
    """Finish an fx frame ``[_row, date, currency, per_usd]`` with the ``frequency`` and ``source`` columns."""
    return df.select(ROW, "date", "currency", "per_usd").with_columns(
        frequency=pl.lit(frequency), source=pl.lit(source)
    )


LINE = "_line"  # attribute read_xml adds to every element: the line its start tag is on


def read_xml(path: Path, *, source: str) -> ET.Element:
    """Parse an XML file (any encoding it declares; UTF-8 if none) into an ElementTree.

    Every element gets an extra attribute ``_line`` (the line of its start tag) so that errors can name
    the row; an element's ``text`` is all character data directly inside it. Malformed XML raises
    :class:`SourceFormatError` with the line expat stopped at.
    """
    raw = read_bytes(path)
    if not raw.strip():
        raise SourceFormatError(source, str(path), "file is empty")
    parser = expat.ParserCreate()
    stack: list[ET.Element] = []
    roots: list[ET.Element] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        el = ET.Element(name, attrs)
        el.set(LINE, str(parser.CurrentLineNumber))
        el.text = ""
        if stack:
            stack[-1].append(el)
        else:
            roots.append(el)
        stack.append(el)

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: stack.pop()
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        hint = ""
        if exc.code == expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN] and not _is_utf8(raw):
            hint = " (the bytes are not UTF-8 and the file declares no other encoding)"
        raise SourceFormatError(
            source, str(path), f"not well-formed XML: {expat.ErrorString(exc.code)}{hint}", row=exc.lineno
        ) from None
    except LookupError as exc:  # an unknown encoding in the XML declaration (fuzzing found 'NaNutf-8')
        raise SourceFormatError(source, str(path), f"not well-formed XML: {exc}", row=1) from None
    return roots[0]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def line(el: ET.Element) -> int:
    """The line of ``el``'s start tag (set by :func:`read_xml`)."""
    return int(el.get(LINE, "0"))
