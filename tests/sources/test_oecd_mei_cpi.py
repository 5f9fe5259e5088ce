"""Russia's monthly CPI (OECD MEI via FRED, RUSCPIALLMINMEI): loader contract and Rosstat's published rates."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources.kz_cpi import dec_dec_inflation

from .contract import BadCase, SourceContract, csv_format_cases, duplicate_row, rename_column, set_cell

SAMPLE = "oecd_mei_cpi/RUSCPIALLMINMEI_2012_2015_excerpt.csv"
SERIES = "RUSCPIALLMINMEI"
DERIVED = Path(__file__).resolve().parents[2] / "data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz"
# Rosstat publishes its rates to one decimal
ONE_DECIMAL = 0.05


def prices(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("oecd_mei_cpi").read(path).tables["prices"])


class TestOecdMeiCpi(SourceContract):
    source_id = "oecd_mei_cpi"
    sample = SAMPLE
    tables = {"prices"}
    min_rows = 48 + 47
    bad_cases = [
        *csv_format_cases(),
        BadCase("not_a_cpi_series", rename_column(SERIES, "RUSCPALTT01"),
                r"row 1 column 'RUSCPALTT01': \['RUSCPALTT01'\] is not one FRED MEI all-items CPI series"),
        BadCase("no_date_column", rename_column("DATE", "month"), r"row 1: missing column\(s\) 'DATE'"),
        BadCase("not_a_country", rename_column(SERIES, "QQQCPIALLMINMEI"),
                r"row 1 column 'QQQCPIALLMINMEI': 'QQQ' \(from the series id\) is not an ISO3 country code"),
        BadCase("non_numeric", set_cell(SERIES, "73,25", line=4), rf"row 4 column '{SERIES}': '73,25' is not a number"),
        BadCase("percent_change", set_cell(SERIES, "-0.2", line=5), rf"row 5 column '{SERIES}': -0.2 is not an index level"),
        BadCase("zero", set_cell(SERIES, "0", line=6), rf"row 6 column '{SERIES}': 0.0 is not an index level"),
        BadCase("rebased_mid_file", set_cell(SERIES, "7.39", line=8),
                rf"row 8 column '{SERIES}': the change to this month is -90.1 %: not a monthly CPI index"),
        BadCase("not_first_of_month", set_cell("DATE", "2012-03-15", line=4), r"row 4 column 'DATE': 2012-03-15 is not the first day"),
        BadCase("not_a_date", set_cell("DATE", "2012-13-01", line=9), r"row 9 column 'DATE': '2012-13-01' is not a date"),
        BadCase("future_month", set_cell("DATE", "2099-01-01", line=9), r"row 9 column 'DATE': '2099-01-01' is outside"),
        BadCase("duplicate_month", duplicate_row(3), r"row 50 column 'DATE': month 2012-02-01 appears twice \(also at row 3\)"),
    ]


def test_level_and_month_on_month_rows(samples):
    t = prices(samples / SAMPLE)
    assert set(t["country"]) == {"RUS"} and set(t["series"]) == {"all"}
    assert t.group_by("measure").len().sort("measure").rows() == [("level", 48), ("mom_index", 47)]
    assert (t["date"].dt.day() == 1).all()
    # the index as published (2015 = 100) and the m/m index computed from two consecutive levels
    lv = dict(t.filter(pl.col("measure") == "level").select("date", "value").iter_rows())
    mom = dict(t.filter(pl.col("measure") == "mom_index").select("date", "value").iter_rows())
    d = sorted(lv)
    assert lv[d[-1]] == pytest.approx(103.591554079872, abs=1e-12)
    assert mom[d[36]] == pytest.approx(100 * lv[d[36]] / lv[d[35]], abs=1e-12)


@pytest.mark.parametrize(("year", "published"), [(2014, 11.4), (2015, 12.9)])
def test_dec_dec_matches_rosstat(samples, year, published):
    """Rosstat: CPI December on December 2014 +11.4 %, 2015 +12.9 %."""
    t = prices(samples / SAMPLE).with_columns(country=pl.lit("RUS"))
    assert dec_dec_inflation(t, year=year, country="RUS") == pytest.approx(published, abs=ONE_DECIMAL)


def test_january_2015_matches_rosstat(samples):
    """Rosstat: January 2015 on December 2014 +3.9 % (the rouble crisis month)."""
    t = prices(samples / SAMPLE).filter((pl.col("measure") == "mom_index") & (pl.col("date").dt.year() == 2015))
    assert t.sort("date")["value"][0] - 100 == pytest.approx(3.9, abs=ONE_DECIMAL)


def test_fred_missing_value_dot_is_skipped(samples, tmp_path):
    lines = (samples / SAMPLE).read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",."  # 2012-05: FRED's "."
    p = tmp_path / "RUSCPIALLMINMEI.csv"
    p.write_text("\n".join(lines) + "\n")
    t = prices(p)
    assert t.group_by("measure").len().sort("measure").rows() == [("level", 47), ("mom_index", 45)]


def test_newer_fred_header_observation_date(samples, tmp_path):
    text = (samples / SAMPLE).read_text().replace("DATE,", "observation_date,", 1)
    p = tmp_path / "RUSCPIALLMINMEI.csv"
    p.write_text(text)
    assert get_source("oecd_mei_cpi").handles(p)
    assert prices(p).height == 95


def test_derived_file_holds_1992_to_march_2022():
    """The shipped derived copy (scripts/derive_oecd_mei_cpi.py): 363 months 1992-01 … 2022-03; Rosstat's
    Dec/Dec 2021 +8.4 % and March 2022 m/m +7.6 %."""
    t = prices(DERIVED)
    lv = t.filter(pl.col("measure") == "level")
    assert lv.height == 363 and lv["date"].min().isoformat() == "1992-01-01" and lv["date"].max().isoformat() == "2022-03-01"
    assert dec_dec_inflation(t, year=2021, country="RUS") == pytest.approx(8.4, abs=ONE_DECIMAL)
    mar = t.filter((pl.col("measure") == "mom_index") & (pl.col("date").dt.year() == 2022) & (pl.col("date").dt.month() == 3))
    assert mar["value"][0] - 100 == pytest.approx(7.6, abs=ONE_DECIMAL)
