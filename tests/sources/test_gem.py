"""Global Energy Monitor trackers (GGIT gas pipelines and LNG terminals, GOIT oil pipelines) into ``routes``.

Pinned capacities are the figures ``shared/data/energy/SOURCE.md`` quotes from these files (section 3):
CPC "Caspian Pipeline" 1.34 million bbl/d; Central Asia–China lines A/B/C 15/15/25 bcm/y; Central Asia–Center
60.2; Beineu–Bozoi–Shymkent 15; Bukhara–Ural 21 bcm/y. GEM publishes them with one decimal or as whole
numbers, so they are compared exactly.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    duplicate_row,
    empty,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)


def cp1251_lossy(sample: Path, tmp: Path) -> Path:
    """Re-saved in cp1251 (characters it lacks, such as the 'ü' of Türkiye, become '?'), a Cyrillic 'Ж' forced in."""
    lines = sample.read_text(encoding="utf-8").splitlines()
    lines[1] = "Ж" + lines[1]
    out = tmp / sample.name
    out.write_bytes(("\n".join(lines) + "\n").encode("cp1251", errors="replace"))
    return out


GAS_CSV = "gem/gem_central_asia_gas_pipelines_subset.csv"
OIL_CSV = "gem/gem_central_asia_oil_pipelines_subset.csv"
GGIT_XLSX = "gem/ggit_2024-10-08_excerpt.xlsx"
GOIT_CSV = "gem/goit_mapdata_2024-06_excerpt.csv"
GGIT_FULL = "energy/gem_ggit_gas_pipelines_lng_terminals_mapfile_2024-10-08.xlsx"
GOIT_FULL = "energy/gem_goit_oil_ngl_pipelines_mapdata_2024-06.csv"

# GEM id → (name, capacity bcm/y, countries) as SOURCE.md quotes them
GAS_PINNED = {
    "P2299": ("Central Asia–China Gas Pipeline (Line A)", 15.0, "TKM;UZB;KAZ;CHN"),
    "P2300": ("Central Asia–China Gas Pipeline (Line B)", 15.0, "TKM;UZB;KAZ;CHN"),
    "P1124": ("Central Asia–China Gas Pipeline (Line C)", 25.0, "TKM;UZB;KAZ;CHN"),
    "P2291": ("Central Asia–Center Gas Pipeline (CAC-2)", 60.2, "TKM;UZB;KAZ;RUS"),
    "P3273": ("Beineu-Bozoy-Shymkent Gas Pipeline (I)", 15.0, "KAZ"),
    "P2289": ("Bukhara-Ural Gas Pipeline (I)", 21.0, "UZB;TKM;KAZ;RUS"),
}
CPC = ("GOIT:Caspian Pipeline", 1_340_000.0, "KAZ;RUS", 2001)


class TestGemGasSubsetCsv(SourceContract):
    source_id = "gem"
    sample = GAS_CSV
    tables = {"routes"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251_lossy, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("areas", "area"), r"row 1: missing column.*'areas'"),
        BadCase("non_numeric", set_cell("capacity", "12,5O", line=6), r"row 6 column 'capacity': '12,5O' is not a number"),
        BadCase("negative", set_cell("capacity", "-5", line=5), r"row 5 column 'capacity': -5.0 is negative"),
        BadCase("unknown_country", set_cell("areas", "Turkmenistan, Atlantis", line=5),
                r"row 5 column 'areas': unknown country 'Atlantis'"),
        BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate key \{'route_id': 'P0749'\} \(also at row 59\)"),
        BadCase("unknown_tracker", set_cell("tracker-acro", "GOGPT", line=8),
                r"row 8 column 'tracker-acro': unknown tracker 'GOGPT'"),
        BadCase("unknown_status", set_cell("status", "planned", line=9), r"row 9 column 'status': unknown status 'planned'"),
        BadCase("wrong_capacity_unit", set_cell("capacity-table", "12.0 mtpa of LNG", line=3),
                r"row 3 column 'capacity-table': '12.0 mtpa of LNG' is not in 'bcm/y of gas'"),
        BadCase("capacity_disagrees", set_cell("capacity", "120", line=3),
                r"row 3 column 'capacity-table': '12.0 bcm/y of gas' disagrees with capacity 120"),
        BadCase("year_out_of_range", set_cell("start-year", "1700", line=10),
                r"row 10 column 'start-year': '1700' is not a plausible year"),
        BadCase("year_not_a_year", set_cell("start-year", "c. 1975", line=11), r"row 11 column 'start-year': 'c. 1975' is not a year"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
    ]


class TestGemOilSubsetCsv(SourceContract):
    source_id = "gem"
    sample = OIL_CSV
    tables = {"routes"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_renamed", rename_column("countries", "country"), r"row 1: missing column.*'countries'"),
        BadCase("non_numeric", set_cell("capacity", "1.34 mb/d", line=3), r"row 3 column 'capacity': '1.34 mb/d' is not a number"),
        BadCase("unknown_country", set_cell("countries", "Kazakhstan, Narnia", line=3),
                r"row 3 column 'countries': unknown country 'Narnia'"),
        BadCase("unknown_type", set_cell("type", "gas_pipelines", line=4),
                r"row 4 column 'type': unknown pipeline type 'gas_pipelines'"),
        BadCase("duplicate_key", duplicate_row(7), r"duplicate key \{'route_id': 'GOIT:Kazakhstan-China Pipeline\|Atasu-Alashankou'\}"),
        BadCase("missing_project", set_cell("project", "", line=5), r"row 5 column 'project': missing value"),
        BadCase("year_out_of_range", set_cell("start_year", "2201.0", line=3), r"row 3 column 'start_year': '2201.0' is not a plausible"),
    ]


class TestGemGgitMapFile(SourceContract):
    source_id = "gem"
    sample = GGIT_XLSX
    tables = {"routes"}
    bad_cases = [BadCase("garbage", binary_garbage, r"not a readable Excel workbook")]


class TestGemGoitMapData(SourceContract):
    source_id = "gem"
    sample = GOIT_CSV
    tables = {"routes"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("unknown_status", set_cell("status", "in service", line=2), r"row 2 column 'status': unknown status"),
    ]


def _routes(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("gem").read(path).tables["routes"])


def _check_pinned_gas(t: pl.DataFrame) -> None:
    for gem_id, (name, capacity, crossed) in GAS_PINNED.items():
        row = t.filter(pl.col("route_id") == gem_id).row(0, named=True)
        assert (row["name"], row["capacity"], row["unit"], row["countries"]) == (name, capacity, "bcm/y", crossed)
        assert (row["kind"], row["carrier"]) == ("pipeline", "gas")
        assert row["citation"].startswith("Global Energy Monitor, GGIT: https://www.gem.wiki/")


def _check_cpc(t: pl.DataFrame) -> None:
    row = t.filter(pl.col("route_id") == CPC[0]).row(0, named=True)
    assert (row["capacity"], row["unit"], row["countries"], row["start_year"]) == (CPC[1], "bbl/d", CPC[2], CPC[3])
    assert (row["kind"], row["carrier"], row["status"]) == ("pipeline", "oil", "operating")


@pytest.mark.parametrize("sample", [GAS_CSV, GGIT_XLSX])
def test_gas_samples_pin_source_md_capacities(samples, sample):
    _check_pinned_gas(_routes(samples / sample))


@pytest.mark.parametrize("sample", [OIL_CSV, GOIT_CSV])
def test_oil_samples_pin_cpc_capacity(samples, sample):
    _check_cpc(_routes(samples / sample))


def test_ggit_quirks_are_mapped(samples):
    t = _routes(samples / GGIT_XLSX)
    by_id = {r["route_id"]: r for r in t.iter_rows(named=True)}
    assert by_id["T033101"]["start_year"] is None  # Darwin LNG T1: GEM start-year "1"
    assert by_id["T020901"]["start_year"] is None  # "--"
    assert by_id["T085600"]["countries"] == "ESP"  # Canary Islands
    assert by_id["P3373"]["countries"] == "AUS;TLS"  # Joint Petroleum Development Area
    assert by_id["P0903"]["countries"] == "AUS;TLS"  # JPDA, Timor-Leste: no repeated code
    assert by_id["P5619"]["countries"] == ""  # GEM leaves areas empty
    lng = by_id["T082701"]
    assert (lng["kind"], lng["capacity"], lng["unit"]) == ("terminal", 0.2, "Mt/y")
    assert t["origin"].null_count() == t["destination"].null_count() == t.height


def test_goit_quirks_are_mapped(samples):
    t = _routes(samples / GOIT_CSV)
    by_id = {r["route_id"]: r for r in t.iter_rows(named=True)}
    assert by_id["GOIT:Uzen-Atyrau-Samara (UAS) Pipeline"]["countries"] == ""  # GEM gives no countries
    assert by_id["GOIT:Kazakhstan-China Pipeline|Atasu-Alashankou"]["capacity"] is None  # blank upstream
    assert by_id["GOIT:Kazakhstan-China Pipeline|Atasu-Alashankou"]["unit"] is None
    assert by_id["GOIT:AKG-Ras Laffan NGL Pipeline|AKG-1-Ras Laffan NGL Pipeline (A)"]["carrier"] == "ngl"


def test_ggit_map_file_needs_its_columns(samples, tmp_path):
    wb = openpyxl.load_workbook(samples / GGIT_XLSX)
    wb.active["F1"] = "area"  # 'areas'
    out = tmp_path / "ggit.xlsx"
    wb.save(out)
    with pytest.raises(SourceFormatError, match=r"ggit\.xlsx row 1: missing column\(s\) 'areas'"):
        get_source("gem").read(out)


def test_pack_keeps_the_eurasian_subset(samples):
    src = get_source("gem")
    t = src.read(samples / GGIT_XLSX).tables["routes"]
    kept = set(pl.from_arrow(src.reduce_for_pack("routes", t))["route_id"])
    assert set(GAS_PINNED) <= kept
    assert "T085600" not in kept and "P3373" not in kept and "P5619" not in kept


# -- full files ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full(shared) -> pl.DataFrame:
    return pl.concat([_routes(shared / GGIT_FULL), _routes(shared / GOIT_FULL)])


@pytest.mark.shared
def test_full_trackers_load_and_pin_capacities(full):
    _check_pinned_gas(full)
    _check_cpc(full)
    assert dict(full.filter(pl.col("carrier") == "gas").group_by("kind").len().iter_rows()) == {
        "pipeline": 3067, "terminal": 1291,  # SOURCE.md: 3,067 GGIT segments, 1,291 GGIT-lng units
    }
    assert full.filter(pl.col("route_id").str.starts_with("GOIT:")).height == 1018


@pytest.mark.shared
def test_central_asia_subsets_equal_the_full_trackers(shared, full):
    """The subset csvs (geometry dropped) give the same rows as the map files they were cut from."""
    sub = pl.concat([_routes(shared / "energy/gem_central_asia_gas_pipelines_subset.csv"),
                     _routes(shared / "energy/gem_central_asia_oil_pipelines_subset.csv")])
    j = sub.join(full, on="route_id", how="left", suffix="_full")
    assert j["name_full"].null_count() == 0
    for c in ("name", "kind", "carrier", "countries", "operator", "capacity", "unit", "status", "start_year", "citation"):
        assert j.filter(pl.col(c).ne_missing(pl.col(f"{c}_full"))).height == 0, c


@pytest.mark.shared
def test_handkept_routes_agree_with_the_gem_units_they_cite(shared, full):
    """Every hand-kept row that cites GEM unit ids carries GEM's capacity for them (cross-check)."""
    gem = {r["route_id"]: r for r in full.iter_rows(named=True)}
    from importlib import resources

    with resources.files("tethers.data").joinpath("routes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    checked = 0
    for row in rows:
        for gem_id in re.findall(r"\bP\d{4}\b", row["citation"]):
            assert float(row["capacity"]) == gem[gem_id]["capacity"], (row["route_id"], gem_id)
            assert row["unit"] == gem[gem_id]["unit"]
            checked += 1
    assert checked >= 12
