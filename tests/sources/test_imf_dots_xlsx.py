"""IMF DOTS per-country workbooks and the compact derived backbone (source ``imf_dots_xlsx``).

Published figures pinned here (the DOTS vintage in hand ends in 2020, so 2020 stands in for 2021):

* Germany's exports to Russia 2020: Destatis, "Rangfolge der Handelspartner im Außenhandel 2020" —
  exports to Russia EUR 23.0 bn of EUR 1,204.7 bn = 1.9 % (the issue's band for 2021: 1–3 %).
* US imports from China 2020: US Census Bureau, "Top Trading Partners – December 2020" — USD 435.4 bn of
  USD 2,336.6 bn goods imports = 18.6 % (the issue's band for 2021: 15–20 %).
* Kazakhstan's imports from Russia 2020: Bureau of National Statistics of Kazakhstan, "Main indicators of
  foreign trade by country" 2020 — 35.4 % (shared/data/trade/SOURCE.md; DOTS republishes the bureau's data).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tethers.atlas.pack import entry_files
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

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = "imf_dots_xlsx/DOTS_103_kazakhstan_excerpt.xlsx"
COMPACT = "imf_dots_xlsx/imf_dots_xlsx_excerpt.csv"
PACK_DIR = ROOT / "data/pack"


def _pack_files() -> list[Path]:
    """The shipped table's Parquet parts (MANIFEST.json); [] when the pack is not built."""
    if not (PACK_DIR / "MANIFEST.json").exists():
        return []
    m = json.loads((PACK_DIR / "MANIFEST.json").read_text())
    return [PACK_DIR / f for e in m["entries"] if e["source"] == "imf_dots_xlsx" for f in entry_files(e)]


PACK = _pack_files()


class TestImfDotsXlsxCompact(SourceContract):
    source_id = "imf_dots_xlsx"
    sample = COMPACT
    tables = {"trade"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("header_renamed", rename_column("value_musd", "value"), r"row 1: missing column.*'value_musd'"),
        BadCase("non_numeric", set_cell("value_musd", "12,5O", line=4), r"row 4 column 'value_musd': '12,5O' is not a number"),
        BadCase("negative", set_cell("value_musd", "-5", line=5), r"row 5 column 'value_musd': -5.0 is negative"),
        BadCase("not_iso3", set_cell("partner", "Russia", line=6), r"row 6 column 'partner': 'Russia' is not an ISO3 code"),
        BadCase("unknown_iso3", set_cell("partner", "QQQ", line=6), r"QQQ"),
        BadCase("world_reporter", set_cell("reporter", "WLD", line=3), r"row 3 column 'reporter': 'WLD' is not a reporter"),
        BadCase("bad_flow", set_cell("flow", "re-export", line=7), r"row 7 column 'flow': flow 're-export'"),
        BadCase("bad_basis", set_cell("basis", "mirror", line=8), r"row 8 column 'basis': basis 'mirror'"),
        BadCase("duplicate_key", duplicate_row(9), r"duplicate key"),
        BadCase("year_out_of_range", set_cell("year", "1700", line=10), r"1700 is not a plausible year"),
    ]


def _workbook_cell(sheet: str, ref: str, value) -> callable:
    def m(sample: Path, tmp: Path) -> Path:
        wb = openpyxl.load_workbook(sample)
        wb[sheet][ref] = value
        out = tmp / sample.name
        wb.save(out)
        return out

    m.__name__ = f"cell_{ref}"
    return m


class TestImfDotsXlsxWorkbook(SourceContract):
    source_id = "imf_dots_xlsx"
    sample = WORKBOOK
    tables = {"trade"}
    bad_cases = [
        BadCase("garbage", binary_garbage, r"not a readable Excel workbook"),
        BadCase("unit", _workbook_cell("Exports, FOB", "B5", "Euros, Millions"), r"row 5 column 'B': unit 'Euros, Millions'"),
        BadCase("reporter", _workbook_cell("Imports, CIF", "B4", "Atlantis"), r"\[Imports, CIF\] row 4 column 'B': reporter 'Atlantis'"),
        BadCase("title", _workbook_cell("Exports, FOB", "B2", "Re-exports"), r"row 2 column 'B': title 'Re-exports'"),
        BadCase("partner", _workbook_cell("Exports, FOB", "B12", "Narnia"), r"row 12 column 'B': unknown country 'Narnia'"),
        BadCase("value", _workbook_cell("Exports, FOB", "D13", "n/a"), r"row 13 column '2016': 'n/a' is not a number"),
        BadCase("year", _workbook_cell("Exports, FOB", "E7", "FY17"), r"row 7 column 'E': 'FY17' is not a year"),
    ]


def _rows(samples: Path, name: str) -> pl.DataFrame:
    return get_source("imf_dots_xlsx").rows(samples / name)


def _share(df: pl.DataFrame, reporter: str, flow: str, partner: str, year: int) -> float:
    sel = df.filter((pl.col("reporter") == reporter) & (pl.col("flow") == flow) & (pl.col("year") == year))
    part = sel.filter(pl.col("partner") == partner)["value_usd"].item()
    world = sel.filter(pl.col("partner") == "WLD")["value_usd"].item()
    return part / world


def test_workbook_reads_reporter_world_row_and_skips_aggregates(samples):
    df = _rows(samples, WORKBOOK)
    assert set(df["reporter"]) == {"KAZ"}
    assert {"WLD", "RUS", "CHN"} <= set(df["partner"])
    assert not df["partner"].is_in(["", None]).any()  # Advanced Economies, Euro Area, not specified: skipped
    # value in million USD in the workbook (B5 'US Dollars, Millions') → USD
    x = df.filter((pl.col("partner") == "WLD") & (pl.col("flow") == "import") & (pl.col("year") == 2020))
    assert x["value_usd"].item() == pytest.approx(x["value_musd"].item() * 1e6)


def test_workbook_reproduces_bns_russia_share_2020(samples):
    """BNS 2020: Russia 35.4 % of Kazakhstan's imports. DOTS (2022 download) shows 13.30 of 38.14 bn USD =
    34.9 %, the bureau 13.77 of 38.93 bn: same reporter, another compilation — agreement to 1 pp, which is
    why the country's own statistics rank before DOTS in the trade precedence."""
    df = _rows(samples, WORKBOOK)
    assert _share(df, "KAZ", "import", "RUS", 2020) == pytest.approx(0.354, abs=0.01)


@pytest.mark.shared
def test_workbook_matches_bns_level_2020(samples, shared):
    """DOTS's KAZ rows against the bureau's own file: imports from Russia 2020 within 5 % (3.4 % apart)."""
    bns = pl.from_arrow(get_source("kz_bns").read(shared / "trade/kz_bns_trade_by_partner_2018_2023.csv").tables["trade"])
    b = bns.filter((pl.col("year") == 2020) & (pl.col("partner") == "RUS") & (pl.col("flow") == "import"))["value_usd"]
    d = _rows(samples, WORKBOOK).filter((pl.col("year") == 2020) & (pl.col("partner") == "RUS")
                                         & (pl.col("flow") == "import"))["value_usd"].item()
    assert d == pytest.approx(b.max(), rel=0.05)


def test_estimates_are_read_and_flagged(tmp_path, samples):
    """A text cell '1,032.13 e' is an IMF estimate: value 1032.13 million, basis 'estimated'."""
    wb = openpyxl.load_workbook(samples / WORKBOOK)
    wb["Exports, FOB"]["D13"] = "1,032.13 e"
    out = tmp_path / "DOTS_est.xlsx"
    wb.save(out)
    df = get_source("imf_dots_xlsx").rows(out)
    est = df.filter(pl.col("basis") == "estimated")
    assert est.height == 1
    assert est["value_musd"].item() == 1032.13
    assert est["year"].item() == 2016


def test_estimated_flag_of_the_real_excerpt():
    """Checked by hand in the real workbook data/DOTS/DOTS_95.xlsx (Iran, sheet 'Exports, FOB') of
    SamLeBlanc/Direction-of-Trade-Map@a0b40afb: the 2019 and 2020 cells of China ('12,642.98 e',
    '6,172.88 e'), Turkey ('3,403.98 e', '1,125.21 e') and Afghanistan ('1,175.06 e', '1,041.27 e') carry
    the IMF's 'e'; the World row (29872.751715, 14209.226148) is a plain number. So is every cell of
    Germany's, the US's and Kazakhstan's rows in the excerpt: estimated false."""
    t = pl.from_arrow(get_source("imf_dots_xlsx").read(ROOT / "tests/samples" / COMPACT).tables["trade"])
    assert t.schema["estimated"] == pl.Boolean and t["estimated"].null_count() == 0
    est = t.filter(pl.col("estimated"))
    assert sorted(zip(est["partner"], est["year"], est["value_usd"], strict=True)) == [
        ("AFG", 2019, pytest.approx(1175.06e6)), ("AFG", 2020, pytest.approx(1041.27e6)),
        ("CHN", 2019, pytest.approx(12642.98e6)), ("CHN", 2020, pytest.approx(6172.88e6)),
        ("TUR", 2019, pytest.approx(3403.98e6)), ("TUR", 2020, pytest.approx(1125.21e6))]
    assert set(est["reporter"]) == {"IRN"} and set(est["flow"]) == {"export"}
    assert not t.filter((pl.col("reporter") == "IRN") & (pl.col("partner") == "WLD"))["estimated"].any()
    assert t.filter(pl.col("reporter").is_in(["DEU", "USA", "KAZ"]))["estimated"].not_().all()


def test_estimated_flag_in_the_workbook_reaches_the_atlas_column(tmp_path, samples):
    """The workbook path: an 'e' cell gives estimated true in the canonical trade table, the others false."""
    wb = openpyxl.load_workbook(samples / WORKBOOK)
    wb["Exports, FOB"]["D13"] = "1,032.13 e"  # Netherlands, 2016
    out = tmp_path / "DOTS_est.xlsx"
    wb.save(out)
    t = pl.from_arrow(get_source("imf_dots_xlsx").read(out).tables["trade"])
    est = t.filter(pl.col("estimated"))
    assert est.select("partner", "year", "flow").rows() == [("NLD", 2016, "export")]
    assert t["estimated"].null_count() == 0 and t["estimated"].sum() == 1


def test_a_loader_without_the_flag_leaves_it_null(samples):
    """The contract's default for an optional column: kz_bns says nothing about estimates → NULL, not false."""
    t = pl.from_arrow(get_source("kz_bns").read(samples / "kz_bns/kz_bns_trade_by_partner_2021_excerpt.csv")
                      .tables["trade"])
    assert t.height and t["estimated"].null_count() == t.height


def test_pack_carries_the_estimate_flag():
    """170,229 of the 1,889,133 derived rows carry the workbook's 'e' (docs/sources/imf_dots_xlsx.md)."""
    if not PACK:
        pytest.skip("pack not built")
    t = pl.read_parquet(PACK, columns=["estimated"])
    assert t.height == 1_889_133 and t["estimated"].null_count() == 0
    assert t["estimated"].sum() == 170_229


def test_repeated_partner_row_with_other_values_is_refused(tmp_path, samples):
    wb = openpyxl.load_workbook(samples / WORKBOOK)
    ws = wb["Exports, FOB"]
    ws.append([None, ws["B12"].value] + [999999.0] * 6)
    out = tmp_path / "DOTS_dup.xlsx"
    wb.save(out)
    with pytest.raises(SourceFormatError, match=r"partner \w{3} .* at row 12"):
        get_source("imf_dots_xlsx").read(out)


def test_compact_excerpt_pins_published_shares(samples):
    df = _rows(samples, COMPACT)
    de_ru = _share(df, "DEU", "export", "RUS", 2020)
    us_cn = _share(df, "USA", "import", "CHN", 2020)
    assert 0.01 <= de_ru <= 0.03
    assert de_ru == pytest.approx(0.019, abs=0.002)  # Destatis 2020: 1.9 %
    assert 0.15 <= us_cn <= 0.20
    assert us_cn == pytest.approx(0.186, abs=0.01)  # US Census 2020: 18.6 % (Census general imports, c.i.f. here)


def test_compact_excerpt_agrees_with_the_pack():
    """Every excerpt row is in the shipped pack with the same value (the excerpt is cut from the derived file)."""
    if not PACK:
        pytest.skip("pack not built")
    excerpt = pl.from_arrow(get_source("imf_dots_xlsx").read(ROOT / "tests/samples" / COMPACT).tables["trade"])
    pack = pl.read_parquet(PACK)
    key = ["year", "reporter", "partner", "flow"]
    j = excerpt.join(pack, on=key, how="left", suffix="_pack")
    assert j["value_usd_pack"].null_count() == 0
    assert (j["value_usd"] - j["value_usd_pack"]).abs().max() < 1e-3


@pytest.mark.parametrize(("reporter", "flow"), [("DEU", "export"), ("USA", "import"), ("CHN", "export"),
                                                ("KAZ", "import"), ("BRA", "export"), ("IND", "import")])
def test_pack_partner_rows_cover_the_world_total(reporter, flow):
    """The coverage rule's independent total: partner rows add up to ≥ 95 % (and ≤ 101 %) of the WLD row."""
    if not PACK:
        pytest.skip("pack not built")
    t = pl.read_parquet(PACK).filter((pl.col("reporter") == reporter) & (pl.col("flow") == flow)
                                     & (pl.col("year") == 2020))
    world = t.filter(pl.col("partner") == "WLD")["value_usd"].item()
    parts = t.filter(pl.col("partner") != "WLD")["value_usd"].sum()
    assert 0.95 <= parts / world <= 1.01


def test_pack_years_and_reporters():
    if not PACK:
        pytest.skip("pack not built")
    t = pl.read_parquet(PACK, columns=["year", "reporter"])
    per_year = t.group_by("year").agg(pl.col("reporter").n_unique().alias("n")).sort("year")
    got = dict(zip(per_year["year"].to_list(), per_year["n"].to_list(), strict=True))
    assert all(got[y] >= 175 for y in range(1995, 2000)), got  # 178–181 reporters
    assert all(got[y] >= 200 for y in range(2000, 2021)), got  # 204–210 reporters
    assert max(got) == 2020


def test_trade_basis_counts_the_imf_estimates(atlas):
    """The trade dimension's basis says how many partner rows are IMF estimates, counted here independently in
    the committed derived file (Iran 2020: every export partner row, a few import rows; Germany: none)."""
    import csv
    import gzip

    from tethers.dimensions.trade import DIMENSION

    with gzip.open(ROOT / "data/derived/imf_dots_xlsx_2005_2020.csv.gz", "rt") as fh:
        rows = [r for r in csv.DictReader(fh) if r["reporter"] in ("IRN", "DEU") and r["year"] == "2020"
                and r["partner"] != "WLD"]
    for reporter in ("IRN", "DEU"):
        basis = dict(DIMENSION.read(atlas, reporter, (2020, 2020), ["CHN"]).coverage.select("part", "basis").rows())
        for flow, part in (("export", "exports"), ("import", "imports")):
            mine = [r for r in rows if r["reporter"] == reporter and r["flow"] == flow]
            n = sum(r["basis"] == "estimated" for r in mine)
            assert basis[part].startswith("imf_dots_xlsx: IMF DOTS"), basis[part]
            if n:
                assert basis[part].endswith(f"; {n} of {len(mine)} partner rows are IMF estimates"), basis[part]
            else:
                assert "partner rows are IMF estimates" not in basis[part], basis[part]
    assert any(r["reporter"] == "IRN" and r["basis"] == "estimated" for r in rows)
