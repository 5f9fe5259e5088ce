"""ADB MRIO summaries (K. Reyes, mrio-processing): country–sector summary and GVC participation."""

from __future__ import annotations

import polars as pl
import pytest

from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    cp1251,
    csv_format_cases,
    duplicate_row,
    empty,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)

SUMMARY_CSV = "adb_mrio/adb_mrio72_country_sector_summary_2021_kaz_excerpt.csv"
SUMMARY_PQ = "adb_mrio/adb_mrio72_country_sector_summary_2021_kaz_excerpt.parquet"
GVC_CSV = "adb_mrio/adb_mrio72_gvc_participation_2021_kaz_excerpt.csv"
GVC_PQ = "adb_mrio/adb_mrio72_gvc_participation_2021_kaz_excerpt.parquet"
BN = 1_000.0  # values are US$ million; io/SOURCE.md quotes US$ billion to one decimal
ROUNDED_BN_1DP = 0.05 * BN
ROUNDED_3DP = 0.0005  # GVCP rates quoted to three decimals
SAME = 1e-9  # the same number read through two formats or two tables


def io(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("adb_mrio").read(path).tables["io_summary"])


def value(t: pl.DataFrame, country: str, year: int, sector: str, indicator: str) -> float:
    return t.filter(
        (pl.col("country") == country) & (pl.col("year") == year) & (pl.col("sector") == sector)
        & (pl.col("indicator") == indicator)
    )["value"].item()


def rewrite_parquet(change):
    """A mutation that rewrites the Parquet sample through ``change(frame) -> frame``."""

    def m(sample, tmp):
        out = tmp / sample.name
        change(pl.read_parquet(sample)).write_parquet(out)
        return out

    return m


class TestSummaryCsv(SourceContract):
    source_id = "adb_mrio"
    sample = SUMMARY_CSV
    tables = {"io_summary"}
    min_rows = 195
    bad_cases = [
        *csv_format_cases(),
        BadCase("header_renamed", rename_column("x", "gross_output"), r"row 1: missing column\(s\) \['x'\]"),
        BadCase("non_numeric", set_cell("va", "1.2e3x", line=4), r"row 4 column 'va': '1.2e3x' is not a number"),
        BadCase("negative_output", set_cell("x", "-5", line=5), r"row 5 column 'x': -5.0 is negative"),
        BadCase("missing_value", set_cell("y", "", line=11), r"row 11 column 'y': missing value"),
        BadCase("unknown_economy", set_cell("s", "99", line=6), r"row 6 column 's': unknown ADB MRIO economy index 99 \(1–73\)"),
        BadCase("iso_disagrees", set_cell("s_iso3", "RUS", line=7),
                r"row 7 column 's_iso3': s = 49 is KAZ in the ADB MRIO dictionary, the file says 'RUS'"),
        BadCase("year_out_of_range", set_cell("t", "1700", line=8), r"row 8 column 't': 1700 is not a plausible year"),
        BadCase("year_not_whole", set_cell("t", "2021.5", line=9), r"row 9 column 't': '2021.5' is not a whole number"),
        BadCase("unknown_sector", set_cell("i", "36", line=10), r"row 10 column 'i': sector 36 is not one of ADB MRIO's 1–35"),
        BadCase("duplicate_row", duplicate_row(3),
                r"row 3: duplicate key \{'year': 2021, 'country': 'RUS', 'sector': 'c2', 'indicator': '\w+'\} \(also at row 42\)"),
    ]


class TestGvcCsv(SourceContract):
    source_id = "adb_mrio"
    sample = GVC_CSV
    tables = {"io_summary"}
    min_rows = 351
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("Exports", "exports"), r"row 1: missing column\(s\) \['Exports'\]"),
        BadCase("non_numeric", set_cell("GVC_trade", "n/a", line=13), r"row 13 column 'GVC_trade': 'n/a' is not a number"),
        BadCase("negative_exports", set_cell("Exports", "-1", line=5), r"row 5 column 'Exports': -1.0 is negative"),
        BadCase("rate_missing", set_cell("GVCP_trade", "", line=6),
                r"row 6 column 'GVCP_trade': missing value \(Exports = 65798.9 is not 0\)"),
        BadCase("unknown_aggregation", set_cell("agg", "7", line=8), r"row 8 column 'agg': agg = 7 is not 0, 5, 15 or 35"),
        BadCase("economy_row_with_sector", set_cell("i", "3", line=6), r"row 6 column 'i': economy rows \(agg = 0\) need i = 0, got 3"),
        BadCase("unknown_sector", set_cell("i", "36", line=14), r"row 14 column 'i': sector 36 is not one of"),
        BadCase("unknown_economy", set_cell("s", "0", line=15), r"row 15 column 's': unknown ADB MRIO economy index 0"),
        BadCase("iso_disagrees", set_cell("iso_a3", "KGZ", line=16), r"row 16 column 'iso_a3': s = 49 is KAZ .* 'KGZ'"),
        BadCase("year_out_of_range", set_cell("t", "2101", line=2), r"row 2 column 't': 2101 is not a plausible year"),
        BadCase("duplicate_row", duplicate_row(13), r"row 13: duplicate key \{'year': 2021, 'country': 'KAZ', 'sector': 'c1'.*\(also at row 48\)"),
    ]


class TestSummaryParquet(SourceContract):
    source_id = "adb_mrio"
    sample = SUMMARY_PQ
    tables = {"io_summary"}
    min_rows = 195
    bad_cases = [
        BadCase("garbage", binary_garbage, r"not a readable Parquet file"),
        BadCase("no_rows", rewrite_parquet(lambda d: d.head(0)), r"no rows"),
        BadCase("column_missing", rewrite_parquet(lambda d: d.drop("zsales")), r"row 1: missing column\(s\) \['zsales'\]"),
        BadCase("unknown_economy", rewrite_parquet(lambda d: d.with_columns(
            pl.when(pl.int_range(pl.len()) == 4).then(99).otherwise(pl.col("s")).alias("s"))),
            r"row 5 column 's': unknown ADB MRIO economy index 99"),
        BadCase("negative_output", rewrite_parquet(lambda d: d.with_columns(
            pl.when(pl.int_range(pl.len()) == 9).then(-1.0).otherwise(pl.col("x")).alias("x"))),
            r"row 10 column 'x': -1.0 is negative"),
    ]


class TestGvcParquet(SourceContract):
    source_id = "adb_mrio"
    sample = GVC_PQ
    tables = {"io_summary"}
    min_rows = 351
    bad_cases = [BadCase("garbage", binary_garbage, r"not a readable Parquet file")]


def test_kazakhstan_2021_output_and_value_added(samples):
    """io/SOURCE.md: Kazakhstan 2021 gross output 327.2 bn, value added 187.4 bn US$ (TOTAL = Σ 35 sectors)."""
    t = io(samples / SUMMARY_CSV)
    assert value(t, "KAZ", 2021, "TOTAL", "gross_output") == pytest.approx(327.2 * BN, abs=ROUNDED_BN_1DP)
    assert value(t, "KAZ", 2021, "TOTAL", "value_added") == pytest.approx(187.4 * BN, abs=ROUNDED_BN_1DP)
    assert set(t.filter(pl.col("indicator") == "gross_output")["unit"]) == {"USD million"}


def test_kazakhstan_2021_gvc_participation(samples):
    """io/SOURCE.md: Kazakhstan 2021 exports 65.8 bn US$, GVCP_trade 0.466 (forward 0.359, backward 0.107)."""
    t = io(samples / GVC_CSV)
    assert value(t, "KAZ", 2021, "TOTAL", "exports") == pytest.approx(65.8 * BN, abs=ROUNDED_BN_1DP)
    assert value(t, "KAZ", 2021, "TOTAL", "gvc_participation") == pytest.approx(0.466, abs=ROUNDED_3DP)
    assert value(t, "KAZ", 2021, "TOTAL", "gvc_participation_forward") == pytest.approx(0.359, abs=ROUNDED_3DP)
    assert value(t, "KAZ", 2021, "TOTAL", "gvc_participation_backward") == pytest.approx(0.107, abs=ROUNDED_3DP)
    assert set(t.filter(pl.col("indicator") == "gvc_participation")["unit"]) == {"ratio"}


def test_what_is_left_out(samples):
    """Rest of the world (s = 73), agg = 5 sector groups, e/ez/ey and empty 0/0 rates are not read; no TOTAL
    is made for an economy-year with fewer than 35 sectors in the file (RUS here has 3)."""
    s, g = io(samples / SUMMARY_CSV), io(samples / GVC_CSV)
    assert "ROW" not in set(s["country"]) | set(g["country"])
    assert not set(s["indicator"]) & {"e", "ez", "ey", "exports"}
    assert s.filter(pl.col("country") == "RUS")["sector"].unique().sort().to_list() == ["c1", "c2", "c3"]
    kaz_sectors = g.filter((pl.col("country") == "KAZ") & (pl.col("sector") != "TOTAL"))
    assert kaz_sectors["sector"].n_unique() == 35  # c1…c35 from agg = 35, nothing from agg = 5
    # sector 22 has no exports: its trade participation rates are 0/0 and absent, its production rate is there
    c22 = set(kaz_sectors.filter(pl.col("sector") == "c22")["indicator"])
    assert "gvc_participation" not in c22 and "gvc_participation_production" in c22


@pytest.mark.parametrize(("csv", "parquet"), [(SUMMARY_CSV, SUMMARY_PQ), (GVC_CSV, GVC_PQ)])
def test_csv_and_parquet_give_the_same_table(samples, csv, parquet):
    a, b = io(samples / csv).sort("year", "country", "sector", "indicator"), io(samples / parquet).sort(
        "year", "country", "sector", "indicator")
    assert a.drop("value").equals(b.drop("value"))
    assert ((a["value"] - b["value"]).abs() <= SAME * b["value"].abs().clip(lower_bound=1.0)).all()


@pytest.mark.shared
def test_full_files_and_cross_checks(shared):
    """Parquet = csv(.gz); GVC table's va = summary's va (the reason GVC va is not read);
    GVCP_trade = GVC_trade / Exports at economy level; Kazakhstan pins on the full files."""
    d = shared / "io"
    summary = io(d / "adb_mrio72_country_sector_summary_2017_2022.parquet")
    gvc = io(d / "adb_mrio72_gvc_participation_2017_2022.parquet")
    assert summary.height == 72 * 6 * (35 + 1) * 5
    assert io(d / "adb_mrio72_country_sector_summary_2017_2022.csv").height == summary.height
    assert io(d / "adb_mrio72_gvc_participation_2017_2022.csv.gz").height == gvc.height
    assert value(summary, "KAZ", 2021, "TOTAL", "gross_output") == pytest.approx(327.2 * BN, abs=ROUNDED_BN_1DP)
    assert value(gvc, "KAZ", 2021, "TOTAL", "gvc_participation") == pytest.approx(0.466, abs=ROUNDED_3DP)

    raw = pl.read_parquet(d / "adb_mrio72_gvc_participation_2017_2022.parquet").filter(pl.col("agg") == 0)
    va = summary.filter((pl.col("sector") == "TOTAL") & (pl.col("indicator") == "value_added"))
    kaz = raw.filter((pl.col("s") == 49) & (pl.col("t") == 2021))
    assert kaz["va"].item() == pytest.approx(value(va, "KAZ", 2021, "TOTAL", "value_added"), rel=SAME)
    assert ((raw["GVC_trade"] / raw["Exports"] - raw["GVCP_trade"]).abs() < SAME).all()


@pytest.mark.shared
def test_pack_reduction(shared, tmp_path):
    """The shipped io_summary: 72 economies, 2017–2022, TOTAL + c1…c35, publisher units."""
    from tethers.atlas.pack import build_pack

    m = build_pack(shared, tmp_path, only=["adb_mrio"])
    (entry,) = m["entries"]
    t = pl.read_parquet(tmp_path / entry["file"])
    assert t["country"].n_unique() == 72 and "ROW" not in set(t["country"])
    assert sorted(t["year"].unique()) == list(range(2017, 2023))
    assert set(t["sector"]) == {"TOTAL", *(f"c{i}" for i in range(1, 36))}
    assert set(t["unit"]) == {"USD million", "ratio"}
