"""Statistical Review of World Energy gas trade matrices: the all-data workbooks and the long csv.

Published figures pinned here come from ``shared/data/energy/SOURCE.md`` ("Headline check"), which reads them
from the long csv; the samples in ``tests/samples/energy_institute/`` carry the same rows (see its README).
"""

from __future__ import annotations

import shutil
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
    cp1251,
    duplicate_row,
    empty,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)

# SOURCE.md gives bcm to two decimals: a published figure matches within half a unit of the last digit.
PUBLISHED = 0.005
# Two editions' figures for the same flow agree within the rounding of the regional tables (bcm).
EDITIONS = 0.005

# The workbook sample was re-saved with openpyxl, which may round a double's last bit.
RESAVED = 1e-12

SAMPLE_CSV = "energy_institute/gas_trade_movements_long_excerpt.csv"
SAMPLE_XLSX = "energy_institute/EI-stats-review-2024-gas-trade-sheets.xlsx"
YEARS = (2020, 2021, 2022, 2023)
# China's pipeline imports by exporter, bcm, 2020–2023 (SOURCE.md headline table)
CHINA_PIPELINE = {
    "KAZ": (6.79, 5.92, 4.37, 4.64),
    "TKM": (27.22, 31.55, 32.89, 30.51),
    "UZB": (3.28, 4.28, 2.49, 1.23),
    "RUS": (3.88, 7.58, 14.67, 21.29),
    "MMR": (3.90, 3.91, 3.98, 3.67),
}
CHINA_TOTAL = (45.07, 53.24, 58.40, 61.34)
KAZ_TO_RUS = (7.10, 4.64, 3.40, 0.67)
RUS_TO_KAZ = (3.25, 2.70, 2.04, 0.18)
WORKBOOKS = (
    "bp-stats-review-2021-all-data.xlsx",
    "bp-stats-review-2022-all-data.xlsx",
    "EI-stats-review-2023-all-data.xlsx",
    "EI-stats-review-2024-all-data.xlsx",
)


class TestEnergyInstituteLongCsv(SourceContract):
    source_id = "energy_institute"
    sample = SAMPLE_CSV
    tables = {"energy_flows"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("bcm", "volume"), r"row 1: missing column.*'bcm'"),
        BadCase("non_numeric", set_cell("bcm", "12,5O", line=4), r"row 4 column 'bcm': '12,5O' is not a number"),
        BadCase("negative", set_cell("bcm", "-5", line=5), r"row 5 column 'bcm': -5.0 is negative"),
        BadCase("missing_volume", set_cell("bcm", "", line=11), r"row 11 column 'bcm': missing volume"),
        BadCase("unknown_country", set_cell("importer", "Atlantis", line=6),
                r"row 6 column 'importer': unknown country label 'Atlantis'"),
        BadCase("missing_label", set_cell("exporter", "", line=12), r"row 12 column 'exporter': missing label"),
        BadCase("unknown_region_label", set_cell("exporter", "Other Eurasia", line=7),
                r"row 7 column 'exporter': unknown country label 'Other Eurasia'"),
        BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate cell .*'Other CIS'.*also at row 75"),
        BadCase("unknown_mode", set_cell("mode", "rail", line=8), r"row 8 column 'mode': 'rail' is not a mode"),
        BadCase("year_out_of_range", set_cell("data_year", "1700", line=9),
                r"row 9 column 'data_year': 1700 is not a plausible year"),
        BadCase("total_mismatch", set_cell("bcm", "99", line=10),
                r"row 14 column 'bcm': importer 'China': cells add up to 140\.194 bcm but 'Total imports' says 45\.075"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
    ]


class TestEnergyInstituteWorkbook(SourceContract):
    source_id = "energy_institute"
    sample = SAMPLE_XLSX
    tables = {"energy_flows"}
    bad_cases = [BadCase("garbage", binary_garbage, r"not a readable Excel workbook")]


# -- the workbook format's own failure modes (cells edited in a copy of the real sample) ----------


def _edit(sample: Path, tmp: Path, sheet: str, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(sample)
    wb[sheet][cell] = value
    out = tmp / sample.name
    wb.save(out)
    return out


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "match"),
    [
        # China (row 27) ← Turkmenistan (column M) doubled: the row no longer adds up to 'Total imports'
        ("Gas trade - pipeline", "M27", 61.0, r"\[Gas trade - pipeline\] row 27: importer 'China': cells add up to"),
        ("Gas trade - pipeline", "K3", "Central Eurasia", r"\[Gas trade - pipeline\] row 3 column 'K': unknown exporter label"),
        ("Gas trade - pipeline", "A16", "Caspian littoral", r"row 16 column 'A': unknown importer label 'Caspian littoral'"),
        ("Gas trade - pipeline", "K27", -4.6, r"row 27 column 'K': -4.6 is not a non-negative volume"),
        ("Gas trade - pipeline", "K27", "4,6 bcm", r"row 27 column 'K': '4,6 bcm' is not a number"),
        ("Gas trade - LNG", "A39", None, r"\[Gas trade - LNG\] row 39 column 'A': row has volumes but no importer label"),
    ],
    ids=["total_mismatch", "unknown_exporter", "unknown_importer", "negative", "non_numeric", "unlabelled_row"],
)
def test_workbook_edits_are_caught(samples, tmp_path, sheet, cell, value, match):
    broken = _edit(samples / SAMPLE_XLSX, tmp_path, sheet, cell, value)
    with pytest.raises(SourceFormatError, match=match) as info:
        get_source("energy_institute").read(broken)
    assert broken.name in str(info.value) and "\n" not in str(info.value)


def test_matrix_without_total_row_is_rejected(samples, tmp_path):
    wb = openpyxl.load_workbook(samples / SAMPLE_XLSX)
    wb["Gas trade - LNG"].delete_rows(39)  # the 'Total exports' row
    out = tmp_path / "EI-stats-review-2024-gas-trade-sheets.xlsx"
    wb.save(out)
    with pytest.raises(SourceFormatError, match=r"\[Gas trade - LNG\]: no 'Total exports' row closing the matrix"):
        get_source("energy_institute").read(out)


def test_sheets_are_found_by_title_not_name(samples, tmp_path):
    """A sheet whose title is not a trade-movement matrix is not read, whatever its name."""
    broken = _edit(samples / SAMPLE_XLSX, tmp_path, "Gas trade - pipeline", "A1", "Gas pipelines")
    t = pl.from_arrow(get_source("energy_institute").read(broken).tables["energy_flows"])
    assert set(t["mode"]) == {"lng"}


def test_workbook_without_matrix_sheets_is_rejected(samples, tmp_path):
    wb = openpyxl.load_workbook(samples / SAMPLE_XLSX)
    for ws in wb.worksheets:
        ws["A1"] = "Natural gas: Inter-regional trade"
    out = tmp_path / "stats-review.xlsx"
    wb.save(out)
    with pytest.raises(SourceFormatError, match=r"stats-review\.xlsx: no sheet titled 'Natural Gas: Trade movements"):
        get_source("energy_institute").read(out)


# -- published figures -------------------------------------------------------------------------


def _flow(t: pl.DataFrame, year: int, exporter: str, importer: str, mode: str = "pipeline") -> float:
    hit = t.filter((pl.col("year") == year) & (pl.col("exporter") == exporter) & (pl.col("importer") == importer)
                   & (pl.col("mode") == mode))
    assert hit.height == 1, (year, exporter, importer, mode)
    return hit["volume"].item()


def _check_headline(t: pl.DataFrame, years: tuple[int, ...]) -> None:
    for k, year in enumerate(YEARS):
        if year not in years:
            continue
        for exporter, values in CHINA_PIPELINE.items():
            assert _flow(t, year, exporter, "CHN") == pytest.approx(values[k], abs=PUBLISHED), (exporter, year)
        into_china = t.filter((pl.col("year") == year) & (pl.col("importer") == "CHN") & (pl.col("mode") == "pipeline")
                              & (pl.col("exporter") != "WLD"))
        # no residual ("Other …") column feeds China: the country flows add up to the published total
        assert set(into_china["exporter"]) == set(CHINA_PIPELINE)
        assert into_china["volume"].sum() == pytest.approx(CHINA_TOTAL[k], abs=PUBLISHED), year
        # … which the loader keeps as the WLD row (the publisher's 'Total imports' cell)
        assert _flow(t, year, "WLD", "CHN") == pytest.approx(CHINA_TOTAL[k], abs=PUBLISHED), year
        assert _flow(t, year, "KAZ", "RUS") == pytest.approx(KAZ_TO_RUS[k], abs=PUBLISHED), year
        assert _flow(t, year, "RUS", "KAZ") == pytest.approx(RUS_TO_KAZ[k], abs=PUBLISHED), year
        assert t.filter(pl.col("year") == year)["unit"].unique().to_list() == ["bcm"]


def test_long_csv_sample_reproduces_headline_table(samples):
    t = pl.from_arrow(get_source("energy_institute").read(samples / SAMPLE_CSV).tables["energy_flows"])
    _check_headline(t, YEARS)
    # "Central Asia (KZ+TM+UZ) = 41.75 bcm = 78 % of China's pipeline imports" (2021)
    ca = sum(_flow(t, 2021, e, "CHN") for e in ("KAZ", "TKM", "UZB"))
    assert ca == pytest.approx(41.75, abs=PUBLISHED)
    assert ca / CHINA_TOTAL[1] == pytest.approx(0.78, abs=0.005)
    # the csv's 'Total exports' line of Kazakhstan's column → KAZ → WLD (bp 2022 pipeline sheet K32: 10.56 =
    # China 5.92 + Russian Federation 4.64); 'Total imports' of Kazakhstan's row → WLD → KAZ (X16: 2.70)
    assert _flow(t, 2021, "KAZ", "WLD") == pytest.approx(10.56, abs=PUBLISHED)
    assert _flow(t, 2021, "WLD", "KAZ") == pytest.approx(2.70, abs=PUBLISHED)
    assert _flow(t, 2023, "WLD", "CHN", "lng") == pytest.approx(97.81, abs=PUBLISHED)


def test_workbook_sample_reproduces_headline_2023_and_lng_labels(samples):
    t = pl.from_arrow(get_source("energy_institute").read(samples / SAMPLE_XLSX).tables["energy_flows"])
    _check_headline(t, (2023,))
    # two-line LNG header labels are joined: "Russian" / "Federation", "Trinidad &" / "Tobago"
    assert _flow(t, 2023, "RUS", "CHN", "lng") == pytest.approx(11.022338, abs=1e-6)
    assert _flow(t, 2023, "TTO", "CHN", "lng") == pytest.approx(0.508763, abs=1e-6)
    assert not t.filter(pl.col("exporter") == pl.col("importer")).height


# The publisher's totals, read by hand in the sample (EI 2024, data year 2023), bcm, with their cells.
WORLD_2023 = {
    # (exporter, importer, mode): value  — 'Gas trade - pipeline' column X ('Total imports') / row 32 ('Total exports')
    ("WLD", "CHN", "pipeline"): 61.3433,  # X27 = K 4.6393 + L 21.2942 + M 30.5058 + N 1.2299 + V 3.6740
    ("WLD", "SGP", "pipeline"): 6.2143,   # X29 = Indonesia 4.1311 + 'Other Asia Pacific' 2.0832
    ("WLD", "AUS", "pipeline"): 0.8759,   # X26 = 'Other Asia Pacific' only
    ("KAZ", "WLD", "pipeline"): 5.3049,   # K32
    ("RUS", "WLD", "pipeline"): 95.4474,  # L32 (includes the 'EU' and 'Rest of Europe' rows)
    ("TKM", "WLD", "pipeline"): 39.5473,  # M32
    # 'Gas trade - LNG' column X / row 39
    ("WLD", "CHN", "lng"): 97.8135,       # X28
    ("WLD", "SGP", "lng"): 6.8323,        # X33
    ("RUS", "WLD", "lng"): 42.6714,       # H39 ("Russian " / "Federation")
    ("QAT", "WLD", "lng"): 108.3643,      # J39
}


def test_world_rows_are_the_publishers_totals(samples):
    t = pl.from_arrow(get_source("energy_institute").read(samples / SAMPLE_XLSX).tables["energy_flows"])
    for (e, i, mode), v in WORLD_2023.items():
        assert _flow(t, 2023, e, i, mode) == pytest.approx(v, abs=5e-5), (e, i, mode)
    world = t.filter((pl.col("exporter") == "WLD") | (pl.col("importer") == "WLD"))
    assert world.filter((pl.col("exporter") == "WLD") & (pl.col("importer") == "WLD")).height == 0  # no grand total
    assert set(world["carrier"]) == {"gas"} and set(world["unit"]) == {"bcm"} and set(world["source"]) == {"energy_institute"}
    # one row per country row (importers) and country column (exporters) the matrix lists, zero totals kept:
    # Yemen's LNG column is empty in 2023 (L39), a known zero
    assert _flow(t, 2023, "YEM", "WLD", "lng") == 0.0
    pipe = world.filter(pl.col("mode") == "pipeline")
    # the sheet's 15 country rows (Canada … Thailand) and 17 country columns (Canada … Myanmar)
    assert pipe.filter(pl.col("exporter") == "WLD").height == 15
    assert pipe.filter(pl.col("importer") == "WLD").height == 17
    # the 2023 pipeline matrix books the EU as one row: no member state gets a total (none is made up)
    assert not pipe.filter(pl.col("importer").is_in(["DEU", "ITA", "FRA", "NLD"])).height
    # a country's partners and its WLD row: Singapore's pipeline partners cover 4.1311 of 6.2143 bcm
    sgp = t.filter((pl.col("importer") == "SGP") & (pl.col("mode") == "pipeline") & (pl.col("exporter") != "WLD"))
    assert sgp["volume"].sum() == pytest.approx(4.1311, abs=5e-5)


def test_sample_formats_agree(samples):
    """The same 2023 cells from the workbook sheet and from the long csv's extraction are equal."""
    src = get_source("energy_institute")
    wb = pl.from_arrow(src.read(samples / SAMPLE_XLSX).tables["energy_flows"])
    csv = pl.from_arrow(src.read(samples / SAMPLE_CSV).tables["energy_flows"]).filter(pl.col("year") == 2023)
    j = csv.join(wb, on=["year", "exporter", "importer", "mode"], how="left", suffix="_wb")
    assert j["volume_wb"].null_count() == 0
    assert (j["volume"] - j["volume_wb"]).abs().max() < RESAVED


def test_latest_edition_wins_in_the_pack(samples):
    src = get_source("energy_institute")
    t = src.read(samples / SAMPLE_XLSX).tables["energy_flows"]
    older = pl.from_arrow(t).with_columns(pl.col("volume") * 2).to_arrow()
    combined = pl.from_arrow(src.combine_for_pack("energy_flows", [("old", older), ("new", t)]))
    assert combined.height == t.num_rows
    assert _flow(combined, 2023, "KAZ", "CHN") == pytest.approx(4.64, abs=PUBLISHED)


# -- full files ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook_flows(shared) -> pl.DataFrame:
    src = get_source("energy_institute")
    parts = [(f, src.read(shared / "energy" / f).tables["energy_flows"]) for f in WORKBOOKS]
    return pl.from_arrow(src.combine_for_pack("energy_flows", parts))


@pytest.mark.shared
def test_workbooks_reproduce_headline_table(workbook_flows):
    _check_headline(workbook_flows, YEARS)
    assert sorted(workbook_flows["year"].unique()) == list(YEARS)


@pytest.mark.shared
def test_workbooks_agree_with_long_csv(shared, workbook_flows):
    csv = pl.from_arrow(
        get_source("energy_institute").read(shared / "energy/gas_trade_movements_pipeline_lng_2020_2023_long.csv")
        .tables["energy_flows"]
    )
    j = workbook_flows.join(csv, on=["year", "exporter", "importer", "mode"], how="full", suffix="_csv")
    assert j.height == workbook_flows.height == csv.height
    assert (j["volume"] - j["volume_csv"]).abs().max() == 0


def _regional(path: Path) -> dict[tuple[str, str], dict[int, float]]:
    """The inter-regional sheet: (block, line) → {year: bcm}, block = 'China', 'Russian Federation' …"""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    name = next(s for s in wb.sheetnames if s in ("Gas - Inter-regional trade", "Gas - Trade movements"))
    rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    head = next(r for r in rows if isinstance(r[0], str) and r[0].strip() == "Billion cubic metres")
    years: dict[int, int] = {}
    for j, v in enumerate(head):
        if isinstance(v, (int, float)) and 1990 < v < 2100:
            years.setdefault(int(v), j)  # later repeats of a year head the growth-rate and share columns
    def norm(label: str) -> str:  # bp 2021–EI 2023 say "Russia", EI 2024 "Russian Federation"
        label = label.removeprefix("of which: ")
        return "Russian Federation" if label == "Russia" else label

    out, block = {}, None
    for r in rows:
        label = r[0].strip() if isinstance(r[0], str) else ""
        if label and all(v is None for v in r[1:5]):
            block = norm(label)
        elif block and label:
            out[(block, norm(label))] = {y: r[j] for y, j in years.items()}
    return out


@pytest.mark.shared
@pytest.mark.parametrize("edition", WORKBOOKS[1:])
def test_later_editions_agree_on_chinas_pipeline_imports(shared, workbook_flows, edition):
    """Each later edition's inter-regional table repeats the earlier matrices' China figures (no revision).

    Lines of the 'China' block: pipeline imports (total), from Russia, from 'Other CIS' (KAZ+TKM+UZB) and
    from 'Other Asia' (Myanmar), for every year before the edition's own data year.
    """
    reg = _regional(shared / "energy" / edition)
    own_year = 2020 + WORKBOOKS.index(edition)
    china = workbook_flows.filter((pl.col("importer") == "CHN") & (pl.col("mode") == "pipeline"))
    checked = 0
    for year in range(2020, own_year):
        by = dict(china.filter(pl.col("year") == year).select("exporter", "volume").iter_rows())
        world = by.pop("WLD")  # the publisher's 'Total imports', not a partner
        assert sum(by.values()) == pytest.approx(world, abs=EDITIONS)
        expected = {
            "Pipeline imports": world,
            "Russian Federation": by["RUS"],
            "Other CIS": by["KAZ"] + by["TKM"] + by["UZB"],
            "Other Asia": by["MMR"],
        }
        for line, value in expected.items():
            assert reg[("China", line)][year] == pytest.approx(value, abs=EDITIONS), (edition, year, line)
            checked += 1
    assert checked == 4 * (own_year - 2020)


# 2021 totals read by hand in bp-stats-review-2022-all-data.xlsx, bcm (sheet, cell)
WORLD_2021 = {
    ("WLD", "CHN", "pipeline"): 53.24,   # 'Gas - Trade movts - pipeline' X27
    ("WLD", "SGP", "pipeline"): 9.14,    # X29 = Indonesia 7.19 + 'Other Asia Pacific' 1.95
    ("RUS", "WLD", "pipeline"): 201.71,  # L32; of which 'European Union' 132.32, 'Rest of Europe' 34.71, 'Other CIS' 5.67
    ("KAZ", "WLD", "pipeline"): 10.56,   # K32 = China 5.92 + Russian Federation 4.64
    ("TKM", "WLD", "pipeline"): 42.05,   # M32
    ("WLD", "CHN", "lng"): 109.47,       # 'Gas - Trade movts LNG' X28
    ("RUS", "WLD", "lng"): 39.61,        # H39
}


@pytest.mark.shared
def test_workbook_world_rows_are_the_publishers_totals(workbook_flows):
    for (e, i, mode), v in WORLD_2021.items():
        assert _flow(workbook_flows, 2021, e, i, mode) == pytest.approx(v, abs=PUBLISHED), (e, i, mode)
    # Italy and Turkey have a pipeline row in the 2020 matrix (X15 50.81, X18 31.81 in bp 2021) but not in 2021:
    # the 2021 matrix books them inside 'European Union' / 'Rest of Europe', and no total is made up for them
    assert _flow(workbook_flows, 2020, "WLD", "ITA") == pytest.approx(50.81, abs=PUBLISHED)
    assert _flow(workbook_flows, 2020, "WLD", "TUR") == pytest.approx(31.81, abs=PUBLISHED)
    pipe21 = workbook_flows.filter((pl.col("year") == 2021) & (pl.col("mode") == "pipeline"))
    assert not pipe21.filter(pl.col("importer").is_in(["ITA", "TUR"])).height


@pytest.mark.shared
def test_documented_revision_of_russias_pipeline_imports(shared):
    """Russia's 2020 pipeline imports in the regional table: 10.43 bcm (bp 2022) revised to 10.70 (EI 2023, 2024).

    Documented in docs/sources/energy_institute.md; the bilateral 2020 matrix exists only in bp 2021 (total
    imports 10.98 bcm, a wider coverage than the regional 'Other CIS' line), so the pack keeps that.
    """
    bp22 = _regional(shared / "energy/bp-stats-review-2022-all-data.xlsx")
    ei23 = _regional(shared / "energy/EI-stats-review-2023-all-data.xlsx")
    ei24 = _regional(shared / "energy/EI-stats-review-2024-all-data.xlsx")
    key = ("Russian Federation", "Pipeline imports")
    assert bp22[key][2020] == pytest.approx(10.43, abs=PUBLISHED)
    assert ei23[key][2020] == pytest.approx(10.70, abs=PUBLISHED)
    assert ei24[key][2020] == pytest.approx(10.70, abs=PUBLISHED)
    assert ei23[key][2021] == pytest.approx(ei24[key][2021], abs=EDITIONS)


@pytest.mark.shared
def test_every_workbook_is_recognised_and_others_are_not(shared, tmp_path):
    src = get_source("energy_institute")
    for f in WORKBOOKS:
        assert src.handles(shared / "energy" / f)
    assert not src.handles(shared / "energy/bp-stats-review-2022-consolidated-dataset-panel-format.xlsx")
    assert not src.handles(shared / "energy/gem_ggit_gas_pipelines_lng_terminals_mapfile_2024-10-08.xlsx")
    copy = tmp_path / "renamed.xlsx"  # recognition goes by sheet titles, not by the file name
    shutil.copyfile(shared / "energy" / WORKBOOKS[0], copy)
    assert src.handles(copy)
