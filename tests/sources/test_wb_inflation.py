"""World Bank Global Database of Inflation, monthly headline CPI: loader contract and published national rates.

The published figures below are statistical offices' own December-on-December rates; the file's levels are
rounded to one decimal, so each test checks that the published rate (± half its last digit) lies within the
range the two rounded December levels allow (``_dec_dec``), and that the point value is close.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source
from tethers.sources.kz_cpi import dec_dec_inflation

from .contract import BadCase, SourceContract, csv_format_cases, duplicate_row, rename_column, set_cell

SAMPLE = "wb_inflation/hcpi_m_2010_2023_excerpt.csv"
ROOT = Path(__file__).resolve().parents[2]
DERIVED = ROOT / "data/derived/wb_inflation_headline_cpi_monthly_2000_2023.csv.gz"
MIRROR = Path(os.environ.get("TETHERS_MIRROR", "/work/.mirror")) / "andrewrgarcia+WorldBank-Global-Inflation-Data/repo"
COMMIT = "7795194147099aca89f630956a500408b6bd187b"
RAW = "raw/Headline consumer price index, monthly.csv"
HALF = 0.05  # half a unit of the file's one published decimal
# sample lines: 1 header, 2 ARG, 3 KAZ, 4 LBN, 5 RUS, 6 VEN, 7 VGB (a rate row), 8 ZWE, 9 the footnote
KEPT = ["ARG", "KAZ", "LBN", "RUS", "VEN", "ZWE"]


def prices(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("wb_inflation").read(path).tables["prices"])


def _cells(path: Path) -> dict[str, dict[dt.date, str]]:
    """Country → month → non-empty cell, read with the csv module alone (an independent count)."""
    out: dict[str, dict[dt.date, str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    head = rows[0]
    for r in rows[1:]:
        if len(r) < 5 or r[3].strip() != "Index":
            continue
        out[r[0]] = {dt.date(int(h[:4]), int(h[4:]), 1): c.strip() for h, c in zip(head, r, strict=False)
                     if h.isdigit() and len(h) == 6 and c.strip()}
    return out


def _dec_dec(t: pl.DataFrame, country: str, year: int) -> tuple[float, float, float]:
    """December-on-December inflation (%) from the two December levels: (lowest, point, highest) that the
    levels' one-decimal rounding allows."""
    lv = t.filter((pl.col("country") == country) & (pl.col("measure") == "level"))
    p0, p1 = (lv.filter(pl.col("date") == dt.date(y, 12, 1))["value"][0] for y in (year - 1, year))
    return (100 * ((p1 - HALF) / (p0 + HALF) - 1), 100 * (p1 / p0 - 1), 100 * ((p1 + HALF) / (p0 - HALF) - 1))


def _agrees(t: pl.DataFrame, country: str, year: int, published: float, digits: int = 1) -> None:
    lo, point, hi = _dec_dec(t, country, year)
    half = 0.5 * 10 ** -digits
    assert lo <= published + half and published - half <= hi, f"{country} {year}: {published} outside {lo:.3f}…{hi:.3f}"
    assert point == pytest.approx(published, abs=half + (hi - lo) / 2)


class TestWbInflation(SourceContract):
    source_id = "wb_inflation"
    sample = SAMPLE
    tables = {"prices"}
    min_rows = 846 + 839
    bad_cases = [
        *csv_format_cases(),
        BadCase("no_series_column", rename_column("Series Name", "Series"), r"row 1: missing column\(s\) 'Series Name'"),
        BadCase("not_a_month_column", rename_column("201001", "2010M01"),
                r"row 1 column '2010M01': column '2010M01' is not a month \(YYYYMM"),
        BadCase("food_not_headline", set_cell("Series Name", "Food Consumer Price Index", line=3),
                r"row 3 column 'Series Name': 'Index' / 'Food Consumer Price Index' is not the headline CPI index"),
        BadCase("not_a_country", set_cell("Country Code", "QQQ", line=3),
                r"row 3 column 'Country Code': 'QQQ' is not a known ISO3 country code"),
        BadCase("country_twice", set_cell("Country Code", "KAZ", line=5),
                r"row 5 column 'Country Code': country 'KAZ' appears twice \(also at row 3\)"),
        BadCase("non_numeric", set_cell("201503", "12a.5", line=5), r"row 5 column '201503': '12a.5' is not a number"),
        BadCase("thousands_comma", set_cell("201503", "1,234", line=3), r"row 3 column '201503': '1,234' is not a number"),
        BadCase("not_finite", set_cell("201104", "inf", line=4), r"row 4 column '201104': 'inf' is not a finite number"),
        BadCase("negative_level", set_cell("201503", "-0.3", line=3),
                r"row 3 column '201503': '-0.3' is not an index level \(a percent change\?\)"),
        BadCase("zero_level", set_cell("201503", "0.0", line=3),
                r"row 3 column '201503': '0.0' is not an index level \(after the index had reached 1\)"),
        BadCase("halved_in_a_month", set_cell("201503", "50.0", line=5),
                r"row 5 column '201503': '50.0' is -6\d\.\d % on the previous month .*does not halve in a month"),
        BadCase("duplicate_row", duplicate_row(3), r"row 10 column 'Country Code': country 'KAZ' appears twice"),
    ]


def test_rows_of_the_sample(samples):
    t = prices(samples / SAMPLE)
    cells = _cells(samples / SAMPLE)
    assert sorted(t["country"].unique()) == KEPT  # the rate row (VGB) and the footnote give no rows
    assert set(t["series"]) == {"all"} and (t["date"].dt.day() == 1).all()
    for c in KEPT:
        months = sorted(cells[c])
        pairs = sum(1 for a, b in zip(months, months[1:], strict=False) if (b.year * 12 + b.month) - (a.year * 12 + a.month) == 1)
        got = t.filter(pl.col("country") == c).group_by("measure").len().sort("measure").rows()
        assert got == [("level", len(months)), ("mom_index", pairs)], c


def test_levels_as_published_and_mom_from_consecutive_levels(samples):
    t = prices(samples / SAMPLE)
    lv = {(c, d): v for c, d, v in t.filter(pl.col("measure") == "level").select("country", "date", "value").iter_rows()}
    mom = {(c, d): v for c, d, v in t.filter(pl.col("measure") == "mom_index").select("country", "date", "value").iter_rows()}
    assert lv[("KAZ", dt.date(2020, 12, 1))] == 100.0 and lv[("RUS", dt.date(2022, 3, 1))] == 227.8
    assert mom[("RUS", dt.date(2022, 3, 1))] == pytest.approx(100 * 227.8 / lv[("RUS", dt.date(2022, 2, 1))], abs=1e-12)
    # Argentina's INDEC gap (2014–2016 in this series): no m/m index across it
    arg = sorted(d for c, d in lv if c == "ARG")
    gap = next(b for a, b in zip(arg, arg[1:], strict=False) if (b.year * 12 + b.month) - (a.year * 12 + a.month) > 1)
    assert ("ARG", gap) not in mom


def test_argentina_decimal_comma_cells(samples):
    """Five Argentine cells are written ' 119,20  ' (a decimal comma and blanks): read as 119.20 etc."""
    raw = (samples / SAMPLE).read_text()
    assert '" 119,20  "' in raw and '" 125,71  "' in raw
    t = prices(samples / SAMPLE).filter(pl.col("country") == "ARG")
    lv = dict(t.filter(pl.col("measure") == "level").select("date", "value").iter_rows())
    assert lv[dt.date(2010, 7, 1)] == 119.20 and lv[dt.date(2010, 8, 1)] == 120.08 and lv[dt.date(2010, 11, 1)] == 122.86
    assert lv[dt.date(2011, 1, 1)] == 124.79 and lv[dt.date(2011, 2, 1)] == 125.71
    mom = dict(t.filter(pl.col("measure") == "mom_index").select("date", "value").iter_rows())
    assert mom[dt.date(2010, 7, 1)] == pytest.approx(100 * 119.20 / 118.3, abs=1e-12)


@pytest.mark.parametrize(("country", "year", "published"), [
    ("KAZ", 2021, 8.4),   # Bureau of National Statistics: CPI December 2021 on December 2020 +8.4 %
    ("KAZ", 2022, 20.3),  # BNS: December 2022 on December 2021 +20.3 %
    ("RUS", 2021, 8.4),   # Rosstat: +8.39 % (8.4 to one decimal)
    ("RUS", 2014, 11.4),  # Rosstat
    ("RUS", 2015, 12.9),  # Rosstat
    ("ARG", 2017, 24.8),  # INDEC, IPC nacional, December on December
    ("ARG", 2018, 47.6),
    ("ARG", 2019, 53.8),
    ("ARG", 2020, 36.1),
    ("ARG", 2021, 50.9),
    ("ARG", 2022, 94.8),
])
def test_dec_dec_matches_national_statistics(samples, country, year, published):
    _agrees(prices(samples / SAMPLE), country, year, published)


@pytest.mark.parametrize(("year", "published"), [(2019, 521.15), (2020, 348.59), (2021, 60.74)])
def test_zimbabwe_hyperinflation_matches_zimstat(samples, year, published):
    """ZIMSTAT's annual CPI inflation in December (2019 +521.15 %, 2020 +348.59 %, 2021 +60.74 %): a
    hyperinflation the loader keeps (no narrow plausibility window)."""
    _agrees(prices(samples / SAMPLE), "ZWE", year, published, digits=2)


def test_rosstat_rate_from_levels_equals_chained_mom(samples):
    """The m/m indices chain back to the level ratio (kz_cpi.dec_dec_inflation over the mom_index rows)."""
    t = prices(samples / SAMPLE)
    assert dec_dec_inflation(t, year=2021, country="RUS") == pytest.approx(_dec_dec(t, "RUS", 2021)[1], abs=1e-9)


def test_zero_before_the_index_reaches_one_is_rounding(samples, tmp_path):
    """A 0.0 cell before the row's first level ≥ 1 is an index rounded away (Russia 1992-01 … 06): no row.
    A level under 10 carries more than 0.5 % rounding: its row is kept, the m/m indices touching it are not."""
    p = shutil.copy(samples / SAMPLE, tmp_path / "hcpi_m.csv")
    set_cell("201001", "0.0", line=3)(Path(p), tmp_path)  # KAZ's first month in the excerpt
    t = prices(p).filter(pl.col("country") == "KAZ")
    assert t.group_by("measure").len().sort("measure").rows() == [("level", 158), ("mom_index", 157)]
    set_cell("201001", "9.9", line=3)(Path(p), tmp_path)
    t = prices(p).filter(pl.col("country") == "KAZ")
    assert t.group_by("measure").len().sort("measure").rows() == [("level", 159), ("mom_index", 157)]


def test_handles_only_the_headline_sheet(samples, tmp_path):
    src = get_source("wb_inflation")
    assert src.handles(samples / SAMPLE)
    food = set_cell("Series Name", "Food Consumer Price Index", line=2)(samples / SAMPLE, tmp_path)
    assert not src.handles(food)
    assert not src.handles(samples / "oecd_mei_cpi/RUSCPIALLMINMEI_2012_2015_excerpt.csv")


def test_derived_file_in_the_pack():
    """The shipped cut (scripts/derive_wb_inflation.py): 185 countries, 2000-01 … 2023-12; the published
    rates of Kazakhstan (BNS) and Russia (Rosstat) from it too."""
    t = prices(DERIVED)
    assert t["country"].n_unique() == 185
    assert t["date"].min() == dt.date(2000, 1, 1) and t["date"].max() == dt.date(2023, 12, 1)
    kaz = t.filter((pl.col("country") == "KAZ") & (pl.col("measure") == "level"))
    assert kaz["date"].min() == dt.date(2000, 1, 1) and kaz["date"].max() == dt.date(2023, 3, 1)
    rus = t.filter((pl.col("country") == "RUS") & (pl.col("measure") == "level"))
    assert rus["date"].max() == dt.date(2022, 3, 1)
    _agrees(t, "KAZ", 2021, 8.4)
    _agrees(t, "KAZ", 2022, 20.3)
    _agrees(t, "RUS", 2021, 8.4)


# ---- the full publisher file (the fetched snapshot of the carrying repository) --------------------------------


@pytest.fixture(scope="module")
def full_file(tmp_path_factory) -> Path:
    given = os.environ.get("TETHERS_WB_INFLATION_CSV")
    if given:
        return Path(given)
    if not MIRROR.exists() or shutil.which("git") is None:
        pytest.skip(f"{MIRROR} absent (set TETHERS_WB_INFLATION_CSV to '{RAW}' of "
                    f"andrewrgarcia/WorldBank-Global-Inflation-Data@{COMMIT[:8]} to run the full-file tests)")
    out = tmp_path_factory.mktemp("wb") / "Headline consumer price index, monthly.csv"
    try:
        out.write_bytes(subprocess.run(["git", "-C", str(MIRROR), "show", f"{COMMIT}:{RAW}"], check=True,
                                       capture_output=True).stdout)
    except subprocess.CalledProcessError:
        pytest.skip(f"{MIRROR} does not hold {COMMIT[:8]}:{RAW}")
    return out


@pytest.mark.shared
def test_full_file(full_file):
    """All 185 index rows read; levels = the non-zero cells counted with the csv module; the 2,815 zero cells
    (rounded away, all before 2000) give no row; KAZ 1992-12 … 2023-03, RUS 1992-07 … 2022-03."""
    t = prices(full_file)
    cells = _cells(full_file)
    assert len(cells) == 185 and t["country"].n_unique() == 185
    zeros = sum(1 for c in cells.values() for v in c.values() if float(v.replace(",", ".")) == 0)
    assert zeros == 2815
    assert (t["measure"] == "level").sum() == sum(len(c) for c in cells.values()) - zeros
    for c, first, last in [("KAZ", dt.date(1992, 12, 1), dt.date(2023, 3, 1)), ("RUS", dt.date(1992, 7, 1), dt.date(2022, 3, 1))]:
        lv = t.filter((pl.col("country") == c) & (pl.col("measure") == "level"))
        assert (lv["date"].min(), lv["date"].max()) == (first, last)
    assert all(cells["RUS"][dt.date(1992, m, 1)] == "0.0" for m in range(1, 7))
    _agrees(t, "KAZ", 2022, 20.3)
    # the shipped cut reads back to the same rows from 2000-01 on (the 2000-01 m/m indices need 1999-12)
    d = prices(DERIVED)
    w = t.filter((pl.col("date") >= dt.date(2000, 1, 1))
                 & ~((pl.col("date") == dt.date(2000, 1, 1)) & (pl.col("measure") == "mom_index")))
    key = ["country", "date", "measure"]
    assert w.sort(key).equals(d.sort(key))


@pytest.mark.shared
def test_kazakhstan_mom_agrees_with_bns(shared):
    """An independent publication: the BNS's own month-on-month CPI (shared/data/fx, kz_cpi, one decimal)
    against the m/m index from the World Bank's rounded levels, month by month 2011–2023, within both
    roundings (the levels' ±0.05 each, the BNS's ±0.05): 146 of 147 months."""
    bns = pl.from_arrow(get_source("kz_cpi").read(shared / "fx" / "kz_cpi_monthly_mom_bns_2011_2024.csv").tables["prices"])
    bns = bns.filter(pl.col("series") == "all").select("date", bns="value")
    t = prices(DERIVED).filter(pl.col("country") == "KAZ")
    lv = t.filter(pl.col("measure") == "level").select("date", p1="value").sort("date").with_columns(
        p0=pl.col("p1").shift(1))
    m = (t.filter(pl.col("measure") == "mom_index").join(lv, on="date").join(bns, on="date")
         .with_columns(bound=100 * HALF * (1 / pl.col("p0") + 1 / pl.col("p1")) * pl.col("p1") / pl.col("p0") + HALF))
    assert m.height >= 140
    off = m.filter((pl.col("value") - pl.col("bns")).abs() > pl.col("bound") + 1e-9)
    # one month disagrees beyond rounding: April 2014, the World Bank's levels 61.2 → 61.4 (+0.33 %) against the
    # BNS's +0.6 % (the month after the February 2014 tenge devaluation; docs/sources/wb_inflation.md)
    assert off["date"].to_list() == [dt.date(2014, 4, 1)]


def test_error_names_file_row_and_column(samples, tmp_path):
    broken = set_cell("202112", "n/a", line=3)(samples / SAMPLE, tmp_path)
    with pytest.raises(SourceFormatError) as info:
        get_source("wb_inflation").read(broken)
    assert str(info.value) == f"wb_inflation: {broken} row 3 column '202112': 'n/a' is not a number"
