"""Derive the shipped cut of the World Bank's monthly headline CPI: data/derived/wb_inflation_headline_cpi_monthly_2000_2023.csv.gz.

    python scripts/derive_wb_inflation.py --csv PATH [--out data/derived/wb_inflation_headline_cpi_monthly_2000_2023.csv.gz]

Origin: ``raw/Headline consumer price index, monthly.csv`` of the public repository
``andrewrgarcia/WorldBank-Global-Inflation-Data`` (file added in commit ``38c4285eec175dd07dafe5003a492a6eb633bfa2``
of 2024-11-06, unchanged at HEAD ``7795194147099aca89f630956a500408b6bd187b``; sha256 of the file
``3aab8a6c48a59eb6d7c23120f9b8e151a8d5d6b6bd9bf71bbc95ff693a1113b0``): the monthly headline CPI table of the
World Bank Prospects Group's Global Database of Inflation, April 2024 version (CC BY 4.0), exported to csv. ``--csv`` is that file, e.g.
``git -C <fetched snapshot> show "7795194…:raw/Headline consumer price index, monthly.csv" > /tmp/wb_hcpi_m.csv``.

The file is read with the ``wb_inflation`` loader (its own checks) and written back in the publisher's own wide
layout: the five leading columns, the month columns ``200001`` … ``202312`` only, ``Data source`` and ``Note``
(kept: the basis of each country's series), cells verbatim (Argentina's five decimal-comma cells too), for the
countries the loader keeps that have at least one cell in the window (the footnote line and the British Virgin
Islands' rate row are left out), in the publisher's row order. gzip with mtime 0: the same file always gives
the same bytes. Checked to read back, through the loader, to the rows the full file gives from 2000-01 on
(except the 2000-01 m/m indices, whose December 1999 is not in the cut).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys

import polars as pl
from _derived import origin_args, write_gzip

SHA256 = "3aab8a6c48a59eb6d7c23120f9b8e151a8d5d6b6bd9bf71bbc95ff693a1113b0"
FIRST, LAST = "200001", "202312"
META = 5  # Country Code, IMF Country Code, Country, Indicator Type, Series Name
TRAILING = ("Data source", "Note")


def main(argv: list[str] | None = None) -> int:
    got = origin_args(argv, doc=__doc__, script="derive_wb_inflation", flag="csv", sha256=SHA256,
                      default_out="data/derived/wb_inflation_headline_cpi_monthly_2000_2023.csv.gz")
    if got is None:
        return 2
    origin, out = got
    from tethers.sources import get_source

    src = get_source("wb_inflation")
    a = pl.from_arrow(src.read(origin).tables["prices"])
    kept = set(a.filter(pl.col("date") >= dt.date(2000, 1, 1))["country"])
    with open(origin, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    cols = [i for i, c in enumerate(header)
            if i < META or c in TRAILING or (re.fullmatch(r"\d{6}", c) and FIRST <= c <= LAST)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([header[i] for i in cols])
    n = 0
    for r in rows[1:]:
        if r and r[0].strip() in kept:
            w.writerow([r[i] for i in cols])
            n += 1
    write_gzip(buf.getvalue().encode("utf-8"), out)
    b = pl.from_arrow(src.read(out).tables["prices"])
    a = a.filter((pl.col("date") >= dt.date(2000, 1, 1))
                 & ~((pl.col("date") == dt.date(2000, 1, 1)) & (pl.col("measure") == "mom_index")))
    key = ["country", "date", "measure"]
    assert a.sort(key).drop("source").equals(b.sort(key).drop("source")), "the cut does not read back to the same rows"
    print(f"wrote {out}: {n} countries × {len(cols) - META - 2} months, {b.height} rows "
          f"({(b['measure'] == 'level').sum()} levels)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
