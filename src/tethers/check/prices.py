"""Share prices from a user's Investing.com or Yahoo Finance export, for ``share_price`` claims.

tethers ships no share prices (Investing.com and Yahoo data are for personal/research use). A user passes
their own export per ticker (``--prices HSBK=HSBK.csv``). Layouts read, as :mod:`tethers.sources.market`
reads them for exchange rates (same parsing, same one-line errors):

* Investing.com "Historical Data": ``"Date","Price","Open","High","Low","Vol.","Change %"`` (``Price`` = close);
* the cleaned form ``date, close, …`` with ISO dates;
* a Yahoo Finance download ``Date, Open, High, Low, Close, Adj Close, Volume`` (``Close``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import SourceFormatError
from ..sources._common import header_line, read_csv_strings, to_date, to_number
from ..sources.market import EARLIEST, RAW_DATE_FORMATS, SOURCE

SOURCE_ID = "prices"


def read_prices(path: str | Path) -> pl.DataFrame:
    """``[date, close, file]`` sorted by date; a malformed file raises a one-line :class:`SourceFormatError`."""
    path = Path(path)
    head = header_line(path).replace('"', "")
    if head.startswith("Date,Open,High,Low,Close"):
        df = read_csv_strings(path, source=SOURCE_ID, required=["Date", "Close"])
        df = to_date(df, "Date", source=SOURCE_ID, path=path, formats=["%Y-%m-%d"], earliest=EARLIEST)
        df = to_number(df, "Close", source=SOURCE_ID, path=path).rename({"Date": "date", "Close": "close"})
    elif SOURCE._layout(header_line(path)) == "clean":
        df = read_csv_strings(path, source=SOURCE_ID, required=["date", "close"])
        df = to_date(df, "date", source=SOURCE_ID, path=path, formats=["%Y-%m-%d"], earliest=EARLIEST)
        df = to_number(df, "close", source=SOURCE_ID, path=path)
    elif SOURCE._layout(header_line(path)) == "investing":
        df = SOURCE._read_investing(path)
        df = to_date(df, "Date", source=SOURCE_ID, path=path, formats=RAW_DATE_FORMATS, earliest=EARLIEST)
        df = SOURCE._normalise_numbers(df, "Price", path)
        df = to_number(df, "Price", source=SOURCE_ID, path=path).rename({"Date": "date", "Price": "close"})
    else:
        raise SourceFormatError(SOURCE_ID, str(path), 'unknown header: expected an Investing.com export ("Date","Price",…), '
                                "date,close,… or a Yahoo download (Date,Open,High,Low,Close,…)", row=1)
    out = df.filter(pl.col("close").is_not_null()).select("date", "close").sort("date")
    if out.height == 0:
        raise SourceFormatError(SOURCE_ID, str(path), "no prices in the file", row=2)
    return out.with_columns(pl.lit(path.name).alias("file"))


def price_series(prices: dict[str, pl.DataFrame], ticker: str) -> pl.DataFrame | None:
    """The loaded series of ``ticker`` (``LSE:HSBK`` or ``HSBK``), or None."""
    for key in (ticker, ticker.split(":")[-1]):
        if key in prices:
            return prices[key]
    return None
