"""Re-create CONVERTED_bns_kaz_2018_2023_in_dots_timeseries_layout.csv from the BNS compilation.

Run from the repository root: ``python tests/samples/imf_dots/convert_bns_to_dots.py ../shared/data``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(__file__).with_name("CONVERTED_bns_kaz_2018_2023_in_dots_timeseries_layout.csv")
YEARS = [str(y) for y in range(2018, 2024)]
INDICATORS = [
    ("Goods, Value of Exports, Free on board (FOB), US Dollars", "TXG_FOB_USD", "exports_kusd"),
    ("Goods, Value of Imports, Cost, Insurance, Freight (CIF), US Dollars", "TMG_CIF_USD", "imports_kusd"),
]


def main(shared: Path) -> None:
    bns = pl.read_csv(shared / "trade/kz_bns_trade_by_partner_2018_2023.csv", infer_schema=False)
    bns = bns.filter(pl.col("vintage") == "latest")
    with (ROOT / "src/tethers/sources/data/imf_country_codes.csv").open(encoding="utf-8") as fh:
        codes = [r for r in csv.DictReader(fh) if r["iso3"] and r["iso3"] != "KAZ"]
    rows = []
    for rec in sorted(codes, key=lambda r: int(r["imf_code"])):
        for name, code, col in INDICATORS:
            values = []
            for y in YEARS:
                if rec["iso3"] == "WLD":
                    sel = bns.filter((pl.col("year") == y) & pl.col("partner_ru").str.starts_with("Всего"))
                else:
                    sel = bns.filter((pl.col("year") == y) & (pl.col("partner_iso3") == rec["iso3"])
                                     & (pl.col("row_type") == "country"))
                values.append(f"{sel[col].cast(pl.Float64).sum() * 1000:.0f}" if sel.height else "")
            rows.append(["Kazakhstan, Rep. of", "916", name, code, rec["imf_name"], rec["imf_code"], "Value", *values])
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)
        w.writerow(["Country Name", "Country Code", "Indicator Name", "Indicator Code", "Counterpart Country Name",
                    "Counterpart Country Code", "Attribute", *YEARS])
        w.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
