"""Derive the shipped copy of Russia's monthly CPI (OECD MEI via FRED): data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz.

    python scripts/derive_oecd_mei_cpi.py --csv PATH [--out data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz]

Origin: ``RUSCPIALLMINMEI.csv`` of the public repository ``oamamatkulov/ML_ex1_data`` (commit
``f0396b7e27dfaeebbdc0411dd99f24a7b89127d7`` of 2022-12-11, "CPI"; no licence file in the repository; sha256 of
the file ``914fe001ca964ae9d1efd5354024c8d9537011bd1b05bda4da6036ad536b1e61``), an unmodified FRED download of the
OECD Main Economic Indicators series "Consumer Price Index: All Items for the Russian Federation"
(RUSCPIALLMINMEI, index 2015 = 100, monthly, not seasonally adjusted), 1992-01 … 2022-03. ``--csv`` is that
file, e.g. ``git -C <fetched snapshot> show f0396b7e…:RUSCPIALLMINMEI.csv > /tmp/RUSCPIALLMINMEI.csv``.

The file is read with the ``oecd_mei_cpi`` loader (its own checks) and written back in FRED's own two columns
``DATE,RUSCPIALLMINMEI`` (values as published, oldest first), gzip with mtime 0: the same download always gives
the same bytes; the copy reads back to the same rows.
"""

from __future__ import annotations

import io
import sys

import polars as pl
from _derived import origin_args, write_gzip

SHA256 = "914fe001ca964ae9d1efd5354024c8d9537011bd1b05bda4da6036ad536b1e61"
SERIES = "RUSCPIALLMINMEI"


def main(argv: list[str] | None = None) -> int:
    got = origin_args(argv, doc=__doc__, script="derive_oecd_mei_cpi", flag="csv", sha256=SHA256,
                      default_out="data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz")
    if got is None:
        return 2
    origin, out = got
    from tethers.sources import get_source

    src = get_source("oecd_mei_cpi")
    a = pl.from_arrow(src.read(origin).tables["prices"])
    raw = pl.read_csv(origin, infer_schema=False)
    raw = raw.filter(pl.col(SERIES) != ".").select("DATE", SERIES).sort("DATE")
    buf = io.BytesIO()
    raw.write_csv(buf)
    write_gzip(buf.getvalue(), out)
    b = pl.from_arrow(src.read(out).tables["prices"])
    key = ["date", "measure"]
    assert a.sort(key).drop("source").equals(b.sort(key).drop("source")), "the copy does not read back to the same rows"
    print(f"wrote {out}: {raw.height} months", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
