"""Derive the shipped CSV copy of the Bank of Russia's daily USD/RUB export (data/derived/cbr_dynamics_…csv.gz).

    python scripts/derive_cbr_dynamics.py --xlsx PATH [--out data/derived/cbr_dynamics_usd_rub_daily_1992_2023.csv.gz]

Origin: ``data/RC_F01_07_1992_T30_11_2023.xlsx`` of the public repository ``Kirill-Murashev/sberindex`` (commit
``51f7d5e6c70130e10152242e532d0b31f1f2746d``, MIT-licensed repository; sha256 of the workbook
``65164376745868e38cd67c152fc5ec17b6e506efabe05fefc178dc4961db1737``), itself the Bank of Russia's own export of
*Dynamics of official exchange rates*, US dollar R01235, 1992-07-01 … 2023-11-30 (official publication, free
reuse with attribution: "Bank of Russia, cbr.ru/currency_base/dynamics"). ``--xlsx`` is that workbook, e.g.
``git -C <fetched snapshot> show 51f7d5e6…:data/RC_F01_07_1992_T30_11_2023.xlsx > /tmp/rc.xlsx``.

The workbook is read with the ``cbr_dynamics`` loader (its own checks), and written back as text in the export's
own four columns ``nominal, data, curs, cdx`` (dates ISO, rates as published), newest first as the bank sorts
them, gzip with mtime 0: the same workbook always gives the same bytes.
"""

from __future__ import annotations

import io
import sys

import polars as pl
from _derived import origin_args, write_gzip

SHA256 = "65164376745868e38cd67c152fc5ec17b6e506efabe05fefc178dc4961db1737"


def main(argv: list[str] | None = None) -> int:
    got = origin_args(argv, doc=__doc__, script="derive_cbr_dynamics", flag="xlsx", sha256=SHA256,
                      default_out="data/derived/cbr_dynamics_usd_rub_daily_1992_2023.csv.gz")
    if got is None:
        return 2
    origin, out = got
    from tethers.sources._common import xlsx_rows

    rows = next(iter(xlsx_rows("cbr_dynamics", origin, first_only=True).values()))
    body = [r[:4] for r in rows[1:] if any(c is not None for c in r)]
    df = pl.DataFrame(
        {"nominal": [str(int(r[0])) for r in body],
         "data": [r[1].isoformat()[:10] if hasattr(r[1], "isoformat") else str(r[1]) for r in body],
         "curs": [repr(float(r[2])) for r in body], "cdx": [str(r[3]) for r in body]})
    buf = io.BytesIO()
    df.write_csv(buf)
    write_gzip(buf.getvalue(), out)
    # the loader reads the copy to the same rates as the workbook
    from tethers.sources import get_source

    a = pl.from_arrow(get_source("cbr_dynamics").read(origin).tables["fx"]).select("date", "per_usd")
    b = pl.from_arrow(get_source("cbr_dynamics").read(out).tables["fx"]).select("date", "per_usd")
    assert a.sort("date").equals(b.sort("date")), "the CSV copy does not read back to the workbook's rates"
    print(f"wrote {out}: {df.height} rates", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
