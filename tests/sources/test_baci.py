"""CEPII BACI: the release layout (t,i,j,k,v,q) and the ADB-derived Kazakhstan extracts."""

from __future__ import annotations

import csv

import polars as pl
import pyarrow as pa
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source
from tethers.sources.baci import country_codes

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

# BACI publishes thousand USD with 3 decimals: ×1000 is exact to 1 USD; sums are compared to 1e-9.
EXACT = 1e-9
# SOURCE.md gives the 2021 total as "54.07 bn USD": two decimals of a billion.
BN_2DP = 0.005e9

TOP5 = "baci/baci_hs02_v202301_kaz_exports_hs6_x_top5partners_2021_excerpt.csv"
RELEASE = "baci/BACI_HS02_Y2021_V202301_CONVERTED_kaz_top5_excerpt.csv"

COMMON_BAD = [
    BadCase("empty", empty, r"file is empty"),
    BadCase("truncated", truncated, r"row 6 column 'v': missing value|row 6: (row has fewer fields|malformed row)"),
    BadCase("wrong_delimiter", wrong_delimiter, r"wrong delimiter.*';'|row 1: missing column"),
    BadCase("non_numeric", set_cell("v", "12,5O", line=4), r"row 4 column 'v': '12,5O' is not a number"),
    BadCase("negative", set_cell("v", "-5", line=5), r"row 5 column 'v': -5000.0 is negative"),
    BadCase("unknown_country", set_cell("j", "999", line=6), r"row 6 column 'j': '999' is not a BACI country code"),
    BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate key .*'product': '\d{6}'.*also at row 42"),
    BadCase("mixed_classification", set_cell("k", "2709", line=8), r"row 8 column 'k': '2709' is not an HS6 code of HS02"),
    BadCase("year_out_of_range", set_cell("t", "1700", line=9), r"row 9 column 't': .*1700"),
    BadCase("garbage", binary_garbage, r"not valid utf-8|is not a|missing column|malformed"),
    BadCase("header_only", header_only, r"row 2: no data rows after the header"),
]


class TestBaciExtract(SourceContract):
    source_id = "baci"
    sample = TOP5
    tables = {"trade"}
    bad_cases = [
        *COMMON_BAD,
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("v", "value"), r"row 1: missing column.*'v'"),
    ]


class TestBaciRelease(SourceContract):
    source_id = "baci"
    sample = RELEASE
    tables = {"trade"}
    bad_cases = [
        *[c for c in COMMON_BAD if c.name != "year_out_of_range"],
        BadCase("year_out_of_range", set_cell("t", "1700", line=9),
                r"row 9 column 't': '1700' does not match the year 2021 in the file name"),
        BadCase("cp1251", cp1251, r"row 2 column 't': .*not valid utf-8"),
        BadCase("header_renamed", rename_column("v", "value"), r"row 1: missing column.*'v'"),
        BadCase("bad_quantity", set_cell("q", "12 t", line=10), r"row 10 column 'q': '12 t' is not a number"),
    ]


def test_fast_release_path_equals_the_checked_text_path(samples):
    """The typed fast path (happy path of 11 M-row files) and the text path build identical tables."""
    src = get_source("baci")
    path = samples / RELEASE
    fast = src._fast_release(path, "HS02", 2021)
    assert fast is not None
    slow = src._tidy(path, src._scan_release(path), "HS02", 2021)
    assert fast.equals(slow)


def _tidy(tbl: pa.Table) -> pl.DataFrame:
    return pl.from_arrow(tbl).sort("year", "reporter", "partner", "product")


def test_release_rendering_of_extract_rows_loads_into_the_same_tidy_rows(samples, tmp_path):
    """Cross-check: KAZ→partner flows in the ADB extract and in BACI's own release layout agree."""
    src = get_source("baci")
    rows = list(csv.DictReader((samples / TOP5).open(encoding="utf-8")))
    release = tmp_path / "BACI_HS02_Y2021_V202301.csv"
    with release.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["t", "i", "j", "k", "v", "q"])
        w.writerows([r["t"], r["i"], r["j"], r["k"], r["v"], r["q"]] for r in rows)
    a = _tidy(src.read(samples / TOP5).tables["trade"])
    b = _tidy(src.read(release).tables["trade"])
    assert a.equals(b)
    assert set(a["partner"]) == {"CHN"} and a["classification"].unique().to_list() == ["HS02"]


@pytest.mark.parametrize("sample", [TOP5, RELEASE, "baci/baci_hs02_v202301_kaz_exports_by_hs6_2021_excerpt.csv"])
def test_units_and_identity(samples, sample):
    """v thousand USD → USD; q tonnes; exporter 398 = KAZ reports exports; k keeps six digits."""
    t = pl.from_arrow(get_source("baci").read(samples / sample).tables["trade"])
    assert set(t["reporter"]) == {"KAZ"} and set(t["flow"]) == {"export"}
    assert t["product"].str.len_chars().unique().to_list() == [6]
    first = next(csv.DictReader((samples / sample).open(encoding="utf-8")))
    assert t.sort("_row" if "_row" in t.columns else "year")["value_usd"][0] == pytest.approx(float(first["v"]) * 1000)


def test_lost_leading_zero_is_restored(samples):
    """The 2021 extract writes 010110 as 10110 (read as a number upstream)."""
    t = pl.from_arrow(get_source("baci").read(samples / "baci/baci_hs02_v202301_kaz_exports_by_hs6_2021_excerpt.csv")
                      .tables["trade"])
    assert "010110" in t["product"].to_list() and "10110" not in t["product"].to_list()
    assert set(t["partner"]) == {"WLD"}


def test_country_code_mapping_has_the_non_iso_codes():
    codes = country_codes()
    assert {c: codes[c] for c in ("251", "490", "579", "699", "757", "842")} == {
        "251": "FRA", "490": "TWN", "579": "NOR", "699": "IND", "757": "CHE", "842": "USA"}
    assert codes["398"] == "KAZ" and codes["643"] == "RUS"


def test_crude_oil_by_destination_sums_to_the_published_total(samples):
    """KAZ crude oil (270900) exports 2021 = 2.183454e+07 thousand USD: ksreyes/adb-kaz-gvc,
    codes/eda-baci.ipynb ("Top 10 exports in 2021", DuckDB over the full BACI HS02 V202301)."""
    t = pl.from_arrow(get_source("baci").read(
        samples / "baci/baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv").tables["trade"])
    assert t.height == 25 and set(t["product"]) == {"270900"}
    assert t["value_usd"].sum() == pytest.approx(2.183454e10, rel=5e-7)  # published to 7 significant digits


def test_pack_combine_keeps_one_copy_of_repeated_flows_and_refuses_conflicts(samples):
    src = get_source("baci")
    top5 = src.read(samples / TOP5).tables["trade"]
    crude = src.read(samples / "baci/baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv").tables["trade"]
    both = src.combine_for_pack("trade", [("top5", top5), ("crude", crude)])
    key = ["year", "reporter", "partner", "classification", "product", "flow"]
    assert pl.from_arrow(both).select(key).is_duplicated().sum() == 0
    assert both.num_rows == top5.num_rows + crude.num_rows - 1  # CHN 270900 is in both
    bad = pl.from_arrow(crude).with_columns(pl.col("value_usd") * 2).to_arrow()
    with pytest.raises(SourceFormatError, match="different values"):
        src.combine_for_pack("trade", [("top5", top5), ("crude", bad)])


def test_unknown_file_name_is_refused(samples, tmp_path):
    f = tmp_path / "kaz_partners_2021.csv"
    f.write_bytes((samples / TOP5).read_bytes())
    with pytest.raises(SourceFormatError, match="cannot tell the HS revision"):
        get_source("baci").read(f)


@pytest.mark.shared
def test_kaz_exports_2021_total_matches_source_md(shared):
    """SOURCE.md §5: 2021 total = 54.07 bn USD (BACI HS02 V202301, KAZ exports to the world)."""
    t = pl.from_arrow(get_source("baci").read(shared / "trade/baci_hs02_v202301_kaz_exports_by_hs6_2021.csv")
                      .tables["trade"])
    assert t.height == 3237
    assert t["value_usd"].sum() == pytest.approx(54.07e9, abs=BN_2DP)


@pytest.mark.shared
def test_crude_oil_by_destination_equals_the_hs6_row(shared):
    src = get_source("baci")
    hs6 = pl.from_arrow(src.read(shared / "trade/baci_hs02_v202301_kaz_exports_by_hs6_2021.csv").tables["trade"])
    crude = pl.from_arrow(src.read(
        shared / "trade/baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv").tables["trade"])
    row = hs6.filter(pl.col("product") == "270900")["value_usd"].item()
    assert crude["value_usd"].sum() == pytest.approx(row, rel=EXACT)


@pytest.mark.shared
def test_top5_extract_agrees_with_crude_oil_extract(shared):
    src = get_source("baci")
    top5 = pl.from_arrow(src.read(shared / "trade/baci_hs02_v202301_kaz_exports_hs6_x_top5partners_2021.csv")
                         .tables["trade"]).filter(pl.col("product") == "270900")
    crude = pl.from_arrow(src.read(
        shared / "trade/baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv").tables["trade"])
    j = top5.join(crude, on=["partner"], suffix="_crude")
    assert j.height == top5.height > 0
    assert (j["value_usd"] - j["value_usd_crude"]).abs().max() < 1.0


@pytest.mark.shared
def test_pack_inputs_combine(shared):
    src = get_source("baci")
    parts = [(rel, src.read(shared / rel).tables["trade"]) for rel in src.pack_inputs]
    tbl = pl.from_arrow(src.combine_for_pack("trade", parts))
    assert sorted(tbl["year"].unique()) == [2002, 2019, 2021]
    assert tbl.filter((pl.col("year") == 2021) & (pl.col("partner") == "WLD"))["value_usd"].sum() == pytest.approx(
        54.07e9, abs=BN_2DP)
