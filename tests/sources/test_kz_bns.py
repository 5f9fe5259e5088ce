"""Kazakhstan BNS trade by partner: the bureau's workbook and the tidy compilation."""

from __future__ import annotations

import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    cp1251,
    duplicate_row,
    empty,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)

# BNS publishes thousand USD with 5 decimals: values are exact to 0.01 USD after ×1000.
EXACT = 1e-6


class TestKzBnsCsv(SourceContract):
    source_id = "kz_bns"
    sample = "kz_bns/kz_bns_trade_by_partner_2021_excerpt.csv"
    tables = {"trade"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("imports_kusd", "imports"), r"row 1: missing column.*'imports_kusd'"),
        BadCase("non_numeric", set_cell("imports_kusd", "12,5O", line=4), r"row 4 column 'imports_kusd': '12,5O' is not a number"),
        BadCase("negative", set_cell("exports_kusd", "-5", line=5), r"row 5 column 'Экспорт/Импорт, тыс. долларов США': -5000.0 is negative"),
        BadCase("unknown_country", set_cell("partner_iso3", "QQQ", line=6), r"QQQ"),
        BadCase("duplicate_key", duplicate_row(7), r"duplicate key .*'partner': '\w{3}'.*also at row 42"),
        BadCase("year_out_of_range", set_cell("year", "1700", line=8), r"1700 is not a plausible year"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("header_only", header_only, r"."),
    ]


class TestKzBnsWorkbook(SourceContract):
    source_id = "kz_bns"
    sample = "kz_bns/kz_trade_by_country_2022_sheet2021.xlsx"
    tables = {"trade"}
    bad_cases = [BadCase("garbage", binary_garbage, r"not a readable Excel workbook")]


def test_workbook_sample_reproduces_published_russia_share(samples):
    """BNS 2021 (release of 2022): imports from Russia 17,605,534 of 41,415,435 thousand USD = 42.51 %."""
    t = pl.from_arrow(get_source("kz_bns").read(samples / "kz_bns/kz_trade_by_country_2022_sheet2021.xlsx").tables["trade"])
    imp = t.filter(pl.col("flow") == "import")
    total = imp.filter(pl.col("partner") != "WLD")["value_usd"].sum()
    rus = imp.filter(pl.col("partner") == "RUS")["value_usd"].item()
    assert total == pytest.approx(41_415_435.0e3, rel=1e-7)
    # the bureau's own 'Всего' row is kept as the world row (the coverage rule's independent total)
    assert imp.filter(pl.col("partner") == "WLD")["value_usd"].item() == pytest.approx(41_415_435.4697e3, rel=1e-12)
    assert rus == pytest.approx(17_605_534.20124e3, rel=EXACT)
    assert rus / total == pytest.approx(0.4251, abs=5e-5)


def test_workbook_total_mismatch_is_caught(samples, tmp_path):
    """A misread sheet (a partner's value changed) no longer adds up to the 'Всего' row."""
    import pandas as pd

    raw = pd.read_excel(samples / "kz_bns/kz_trade_by_country_2022_sheet2021.xlsx", sheet_name=None, header=None)
    sheet = raw["2021"]
    row = sheet.index[sheet[0].astype(str).str.strip() == "Россия"][0]
    sheet.iat[row, 5] = float(sheet.iat[row, 5]) * 2
    out = tmp_path / "kz_trade_by_country_2022.xlsx"
    with pd.ExcelWriter(out) as w:
        sheet.to_excel(w, sheet_name="2021", header=False, index=False)
    with pytest.raises(SourceFormatError, match=r"\[2021\] row \d+ column 'Импорт': partner rows add up to"):
        get_source("kz_bns").read(out)


@pytest.mark.shared
def test_all_workbooks_match_published_shares(shared):
    """Russia's share of imports by year as in trade/SOURCE.md (latest vintage): 2018 39.3 % … 2023 27.9 %."""
    published = {2018: 39.3, 2019: 36.0, 2020: 35.4, 2021: 42.5, 2022: 35.1, 2023: 27.9}
    src = get_source("kz_bns")
    parts = [(f.name, src.read(f).tables["trade"]) for f in sorted((shared / "trade/bns_raw").glob("*.xls"))]
    t = pl.from_arrow(src.combine_for_pack("trade", parts)).filter(
        (pl.col("flow") == "import") & (pl.col("partner") != "WLD"))
    shares = (
        t.group_by("year")
        .agg((pl.col("value_usd").filter(pl.col("partner") == "RUS").sum() / pl.col("value_usd").sum() * 100).alias("s"))
        .sort("year")
    )
    got = dict(zip(shares["year"].to_list(), shares["s"].to_list(), strict=True))
    for year, pct in published.items():
        assert got[year] == pytest.approx(pct, abs=0.05), year  # published to one decimal


@pytest.mark.shared
def test_workbooks_agree_with_tidy_compilation(shared):
    src = get_source("kz_bns")
    parts = [(f.name, src.read(f).tables["trade"]) for f in sorted((shared / "trade/bns_raw").glob("*.xls"))]
    wb = pl.from_arrow(src.combine_for_pack("trade", parts))
    csv = pl.from_arrow(src.read(shared / "trade/kz_bns_trade_by_partner_2018_2023.csv").tables["trade"])
    key = ["year", "partner", "flow"]
    j = wb.join(csv, on=key, how="full", suffix="_csv")
    assert j.height == wb.height == csv.height
    assert (j["value_usd"] - j["value_usd_csv"]).abs().max() < 1.0  # USD
