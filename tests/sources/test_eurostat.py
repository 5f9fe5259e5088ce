"""Eurostat Comext relational-view CSV: monthly member-state trade and annual EU27 exports, EUR → USD."""

from __future__ import annotations

import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source
from tethers.sources.eurostat import annual_eur, complete_years, rates

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

MONTHLY = "eurostat/eurostat_member_trade_KZ_monthly_excerpt.csv"
ANNUAL = "eurostat/eurostat_eu27_exports_by_partner_annual_excerpt.csv"
# SOURCE.md §2 gives EU27 → KZ as 5.49 / 10.35 / 12.11 bn EUR: two decimals of a billion.
BN_2DP = 0.005e9
PUBLISHED_EUR = {2021: 5.49e9, 2022: 10.35e9, 2023: 12.11e9}


def cp1251_lossy(sample, tmp):
    """Re-encoded in cp1251 (Cyrillic forced into line 2; French accents cp1251 lacks become '?')."""
    lines = sample.read_text(encoding="utf-8").splitlines()
    lines[1] = "Ж" + lines[1]
    out = tmp / sample.name
    out.write_bytes(("\n".join(lines) + "\n").encode("cp1251", errors="replace"))
    return out


def _bad(value_col: str) -> list[BadCase]:
    return [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: (row has fewer fields|malformed row)"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251_lossy, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column(value_col, "VALUE"), r"row 1: missing column.*'VALUE_IN_EUR'"),
        BadCase("non_numeric", set_cell(value_col, "12,5O", line=4), rf"row 4 column '{value_col}': '12,5O' is not a number"),
        BadCase("negative", set_cell(value_col, "-5", line=5), rf"row 5 column '{value_col}': -5.0 is negative"),
        BadCase("unknown_country", set_cell("PARTNER", "Atlantis", line=6), r"row 6 column 'PARTNER': unknown country 'Atlantis'"),
        BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate row for .* \(also at row \d+\)"),
        BadCase("bad_period", set_cell("PERIOD", "Q1 2021", line=9),
                r"row 9 column 'PERIOD': 'Q1 2021' is not a Comext period"),
        BadCase("bad_flow", set_cell("FLOW", "TRANSIT", line=10), r"row 10 column 'FLOW': 'TRANSIT' is not one of EXPORT, IMPORT"),
        BadCase("garbage", binary_garbage, r"not valid utf-8|wrong delimiter"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
    ]


class TestEurostatMonthly(SourceContract):
    source_id = "eurostat"
    sample = MONTHLY
    tables = {"trade"}
    bad_cases = [
        *_bad("VALUE_IN_EUR"),
        BadCase("mixed_classification", set_cell("PRODUCT", "SITC 3", line=8),
                r"row 8 column 'PRODUCT': 'SITC 3' is not a product code"),
        BadCase("year_out_of_range", set_cell("PERIOD", "Jan. 1700", line=11),
                r"row 11 column 'PERIOD': 'Jan. 1700' is not a plausible year"),
        BadCase("mixed_frequency", set_cell("PERIOD", "Jan.-Dec. 2021", line=12),
                r"row 12 column 'PERIOD': 'Jan.-Dec. 2021' is annual but the file also has monthly periods"),
    ]


class TestEurostatAnnual(SourceContract):
    source_id = "eurostat"
    sample = ANNUAL
    tables = {"trade"}
    bad_cases = [
        *_bad("VALUE_IN_EUR"),
        BadCase("year_out_of_range", set_cell("PERIOD", "Jan.-Dec. 1700", line=11),
                r"row 11 column 'PERIOD': 'Jan.-Dec. 1700' is not a plausible year"),
        BadCase("no_rate", set_cell("PERIOD", "Jan.-Dec. 2030", line=12),
                r"row 12 column 'PERIOD': no EUR/USD rate for 2030"),
    ]


def _trade(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("eurostat").read(path).tables["trade"])


def test_monthly_sample_keeps_complete_years_and_notes_partial_ones(samples):
    loaded = get_source("eurostat").read(samples / MONTHLY)
    t = pl.from_arrow(loaded.tables["trade"])
    assert sorted(zip(t["reporter"], t["year"], strict=True)) == [("DEU", 2021), ("EUU", 2021)]
    notes = [p for p in loaded.provenance if p.kind == "note"]
    assert len(notes) == 1 and "2024 (3/12)" in notes[0].citation


def test_usd_is_eur_times_the_month_rate(samples):
    """Germany → KZ 2021: USD = Σ_m EUR_m × (EUR/USD)_m with the CBR cross rates of 2021."""
    src = get_source("eurostat")
    eur = src.read_eur(samples / MONTHLY).filter((pl.col("reporter") == "DEU") & (pl.col("year") == 2021))
    monthly, _ = rates()
    expected = sum(e * monthly[f"2021-{m:02d}"] for e, m in eur.select("eur", "month").iter_rows())
    usd = _trade(samples / MONTHLY).filter(pl.col("reporter") == "DEU")["value_usd"].item()
    assert usd == pytest.approx(expected, rel=1e-12)
    assert min(monthly[f"2021-{m:02d}"] for m in range(1, 13)) < usd / eur["eur"].sum() < 1.24


def test_ecb_2023_rate_is_the_mean_of_the_shipped_daily_rates():
    """ECB annual average reference rate 2023 = 1.0813 USD per EUR: the mean of the 255 daily
    rates (eurofxref-hist.csv) shipped in data/ecb_eurusd_daily_2023.csv, rounded to 4 decimals."""
    from importlib import resources

    daily = pl.read_csv(resources.files("tethers.sources").joinpath("data/ecb_eurusd_daily_2023.csv").read_bytes())
    assert daily.height == 255 and daily["date"].str.starts_with("2023").all()
    assert round(daily["usd_per_eur"].mean(), 4) == 1.0813 == rates()[1][2023]


def test_rate_table_covers_the_monthly_file_years():
    monthly, annual = rates()
    assert all(f"{y}-{m:02d}" in monthly for y in range(2019, 2023) for m in range(1, 13))
    assert set(range(2010, 2024)) <= set(annual)
    # the CBR cross rate on 2022-03 (EUR 98.7079 / USD 93.5556 RUB would be the crisis month) stays a plain ratio
    assert 0.9 < monthly["2022-03"] < 1.2


def test_annual_labels_french_aggregates_and_unallocated(samples):
    t = _trade(samples / ANNUAL)
    assert set(t["reporter"]) == {"EUU"}
    y2016 = t.filter(pl.col("year") == 2016)
    assert {"CHN", "DEU", "KAZ", "KGZ"} <= set(y2016["partner"])  # 'Chine', 'Allemagne (incl. …)'
    xxx = t.filter((pl.col("partner") == "XXX") & (pl.col("year") == 2015))
    assert xxx.height == 1  # the "not specified" and "stores and provisions" partners summed into one row
    assert "WLD" not in set(t["partner"])  # Extra-EU27 is skipped, not mapped


def test_pure_helper_sums_months_to_years(samples):
    eur = get_source("eurostat").read_eur(samples / MONTHLY)
    a = annual_eur(eur)
    deu = a.filter((pl.col("reporter") == "DEU") & (pl.col("year") == 2021))
    assert deu["months"].item() == 12 and deu["eur"].item() == pytest.approx(eur.filter(
        (pl.col("reporter") == "DEU") & (pl.col("year") == 2021))["eur"].sum())
    cov = complete_years(eur)
    assert cov.filter(pl.col("year") == 2024)["complete"].to_list() == [False]


def test_missing_rate_for_a_complete_year_raises(samples, tmp_path):
    lines = (samples / ANNUAL).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "eu.csv"
    f.write_text("\n".join([lines[0], lines[1].replace("2021", "2031")]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'PERIOD': no EUR/USD rate for 2031"):
        get_source("eurostat").read(f)


@pytest.mark.shared
def test_eu27_exports_to_kazakhstan_in_eur_match_source_md(shared):
    """SOURCE.md §2: EU27 → KZ = 5.49 bn EUR (2021), 10.35 bn (2022), 12.11 bn (2023), before conversion."""
    eur = get_source("eurostat").read_eur(shared / "trade/eurostat_eu27_member_trade_with_KZ_RU_KG_UZ_AM_GE_monthly_2019_2024.csv")
    kz = eur.filter((pl.col("partner") == "KAZ") & (pl.col("flow") == "export"))
    members = annual_eur(kz.filter(~pl.col("reporter").is_in(["EUU", "GBR"])), keys=("partner",))
    aggregate = annual_eur(kz.filter(pl.col("reporter") == "EUU"), keys=("partner",))
    for year, value in PUBLISHED_EUR.items():
        assert members.filter(pl.col("year") == year)["eur"].item() == pytest.approx(value, abs=BN_2DP)
        assert aggregate.filter(pl.col("year") == year)["eur"].item() == pytest.approx(value, abs=BN_2DP)


@pytest.mark.shared
def test_the_two_eurostat_files_agree_in_eur(shared):
    src = get_source("eurostat")
    annual = src.read_eur(shared / "trade/eurostat_eu27_exports_by_partner_annual_2010_2023.csv")
    monthly = src.read_eur(shared / "trade/eurostat_eu27_member_trade_with_KZ_RU_KG_UZ_AM_GE_monthly_2019_2024.csv")
    a = annual.filter(pl.col("partner") == "KAZ").select("year", "eur")
    m = annual_eur(monthly.filter((pl.col("partner") == "KAZ") & (pl.col("reporter") == "EUU")), keys=("partner",))
    j = a.join(m, on="year", suffix="_m")
    assert j.height == 5  # 2019–2023
    assert (j["eur"] - j["eur_m"]).abs().max() <= 6.0  # 12 monthly values each rounded to a whole euro


@pytest.mark.shared
def test_full_files_load_and_pack_combines(shared):
    src = get_source("eurostat")
    parts = [(rel, src.read(shared / rel).tables["trade"]) for rel in src.pack_inputs]
    t = pl.from_arrow(src.combine_for_pack("trade", parts))
    assert t.filter(pl.col("year") == 2024).height == 0  # 8 of 12 months: excluded
    counts = dict(t.filter(pl.col("reporter") == "EUU").group_by("year").len().iter_rows())
    assert abs(counts[2016] - counts[2015]) <= 5 and abs(counts[2016] - counts[2017]) <= 5  # French labels resolved
    kz = t.filter((pl.col("reporter") == "EUU") & (pl.col("partner") == "KAZ") & (pl.col("year") == 2023))
    assert kz["value_usd"].item() == pytest.approx(12.110101395e9 * 1.0813, rel=1e-9)


@pytest.mark.parametrize(("sample", "old", "new", "column"), [
    (ANNUAL, "Kazakhstan,EXPORT,2021", "Extra-EU27 (from 2020),EXPORT,2021", "partner"),
    (MONTHLY, '"European Union - 27 countries', '"Euro area - 20 countries', "reporter"),
])
def test_aggregates_without_an_atlas_code_are_skipped(samples, tmp_path, sample, old, new, column):
    text = (samples / sample).read_text(encoding="utf-8")
    assert old in text
    f = tmp_path / "x.csv"
    f.write_text(text.replace(old, new), encoding="utf-8")
    before, after = _trade(samples / sample), _trade(f)
    assert after.height == before.height - 1
