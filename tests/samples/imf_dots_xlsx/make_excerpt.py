"""Re-create the workbook excerpt in this folder from the real DOTS workbook (see README.md).

    python tests/samples/imf_dots_xlsx/make_excerpt.py /path/to/DOTS_103.xlsx

Keeps both sheets, the title/reporter/unit rows 1–6, the year row 7 (columns B and 2015–2020 only), the
World row and the partner rows listed in KEEP (in the workbook's order), values untouched (numbers stay
numbers, IMF estimates stay text such as '12.34 e').
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

YEARS = {"2015", "2016", "2017", "2018", "2019", "2020"}
KEEP = {"World", "Advanced Economies", "Euro Area", "Germany", "Italy", "Netherlands, The", "China, P.R.: Mainland",
        "Russian Federation", "Kyrgyz Rep.", "Uzbekistan, Rep. of", "Turkey", "United States", "Korea, Rep. of",
        "Afghanistan, Islamic Rep. of", "Tajikistan, Rep. of", "Turkmenistan", "Belarus, Rep. of",
        "Countries & Areas not specified", "Switzerland", "United Kingdom"}


def main(src: str) -> None:
    wb = openpyxl.load_workbook(src)
    out = openpyxl.Workbook()
    out.remove(out.active)
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        cols = [1] + [c for c, v in enumerate(rows[6]) if v in YEARS]
        new = out.create_sheet(ws.title)
        for i, r in enumerate(rows):
            if i >= 7 and r[1] not in KEEP:
                continue
            new.append([None] + [r[c] for c in cols])
    out.save(Path(__file__).parent / "DOTS_103_kazakhstan_excerpt.xlsx")


if __name__ == "__main__":
    main(sys.argv[1])
