"""CEPII GeoDist dist_cepii.csv: distances, contiguity, common official language, colonial links."""

from __future__ import annotations

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources.cepii_geodist import CEPII_CODES

from .contract import (
    BadCase,
    SourceContract,
    csv_format_cases,
    duplicate_row,
    rename_column,
    set_cell,
)

SAMPLE = "cepii_geodist/dist_cepii_kaz_excerpt.csv"
ROUNDED_KM = 0.5  # gravity/SOURCE.md quotes distances to the km


def distances(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("cepii_geodist").read(path).tables["distances"])


def pair(t: pl.DataFrame, o: str, d: str) -> dict:
    return t.filter((pl.col("origin") == o) & (pl.col("destination") == d)).row(0, named=True)


def rom_copy_of_rou(sample, tmp):
    """Original CEPII spelling ROM next to this copy's ROU: both map to ROU, a duplicate pair."""
    lines = sample.read_text(encoding="utf-8").splitlines()
    rou = next(ln for ln in lines if ln.startswith("ROU,KAZ,"))
    out = tmp / sample.name
    out.write_text("\n".join([*lines, "ROM" + rou[3:]]) + "\n", encoding="utf-8")
    return out


class TestCepiiGeodist(SourceContract):
    source_id = "cepii_geodist"
    sample = SAMPLE
    tables = {"distances"}
    min_rows = 39
    bad_cases = [
        *csv_format_cases(),
        BadCase("header_renamed", rename_column("distw", "dist_w"), r"row 1: missing column.*'distw'"),
        BadCase("non_numeric", set_cell("dist", "3104,607", line=3), r"row 3 column 'dist': '3104,607' is not a number"),
        BadCase("negative", set_cell("dist", "-1180.169", line=3), r"row 3 column 'dist': -1180.169 is negative"),
        BadCase("missing_distance", set_cell("dist", "", line=4), r"row 4 column 'dist': missing value"),
        BadCase("flag_not_binary", set_cell("contig", "2", line=5), r"row 5 column 'contig': '2' is not 0 or 1"),
        BadCase("unknown_country", set_cell("iso_d", "QQQ", line=6), r"row 6 column 'iso_d': unknown country code 'QQQ'"),
        BadCase("duplicate_pair", duplicate_row(7), r"row 7: duplicate key \{'origin': 'KAZ', 'destination': 'CCK'\} \(also at row 42\)"),
        BadCase("rom_and_rou", rom_copy_of_rou, r"row 30: duplicate key \{'origin': 'ROU', 'destination': 'KAZ'\} \(also at row 42\)"),
    ]


def test_kazakhstan_pins(samples):
    """gravity/SOURCE.md: KAZ–RUS contig 1, comlang_off 1, colony 1, dist 3,105 km; KAZ–CHN contig 1, dist 3,277 km."""
    t = distances(samples / SAMPLE)
    rus, chn = pair(t, "KAZ", "RUS"), pair(t, "KAZ", "CHN")
    assert (rus["contiguous"], rus["common_language"], rus["colonial_link"]) == (True, True, True)
    assert rus["distance_km"] == pytest.approx(3105, abs=ROUNDED_KM)
    assert chn["contiguous"] is True and chn["common_language"] is False
    assert chn["distance_km"] == pytest.approx(3277, abs=ROUNDED_KM)


def test_cepii_codes_are_mapped(samples):
    """ZAR→COD, TMP→TLS, PAL→PSE, YUG→SCG (Serbia and Montenegro); ROU already ISO in this copy."""
    t = distances(samples / SAMPLE)
    codes = set(t["origin"]) | set(t["destination"])
    assert {"COD", "TLS", "PSE", "SCG", "ROU"} <= codes
    assert not codes & set(CEPII_CODES)
    assert pair(t, "SCG", "BIH")["contiguous"] is True
    assert pair(t, "COD", "COG")["distance_km"] == pytest.approx(10.47888, rel=1e-12)


def test_missing_weighted_distance_is_null_and_blank_code_row_skipped(samples):
    """'.' in distw → null (KAZ–CCK); the 'ZAF,,…' row (lost destination code) is not read."""
    t = distances(samples / SAMPLE)
    assert pair(t, "KAZ", "CCK")["distance_weighted_km"] is None
    assert t.height == 40 - 1
    assert t.filter(pl.col("origin") == "ZAF")["destination"].to_list() == ["JPN", "KEN"]


@pytest.mark.shared
def test_full_file(shared):
    """225 codes in CEPII's 224 × 224 square = 50,176 rows; one row lacks its destination code → 50,175."""
    t = distances(shared / "gravity/dist_cepii.csv")
    assert t.height == 50_175
    assert t.select(pl.col("origin").n_unique()).item() == 224
    rus = pair(t, "KAZ", "RUS")
    assert rus["distance_km"] == pytest.approx(3105, abs=ROUNDED_KM)
    assert pair(t, "KAZ", "CHN")["distance_km"] == pytest.approx(3277, abs=ROUNDED_KM)


@pytest.mark.shared
def test_full_file_is_symmetric(shared):
    """Cross-check: dist, contiguity, common official language and colonial links are symmetric in GeoDist."""
    t = distances(shared / "gravity/dist_cepii.csv")
    cols = ["contiguous", "common_language", "colonial_link", "distance_km"]
    j = t.join(t, left_on=["origin", "destination"], right_on=["destination", "origin"], suffix="_r")
    assert j.height == t.height - 1  # ZAF→KAZ is the missing mirror of KAZ→ZAF
    for c in cols:
        assert (j[c] == j[f"{c}_r"]).all(), c
