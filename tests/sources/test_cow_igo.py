"""Correlates of War IGO v3: the state-year file read into membership spells."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources.cow_igo import (
    KIND_OVERRIDES,
    _data_file,
    ccode_table,
    derive_organisations,
    organisations,
)

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

SAMPLE = "cow_igo/state_year_format3_excerpt.csv"
# shared/data/igo/SOURCE.md: "KAZ 2014: CIS 1, CSTO 1, SCO 1, EAEC 1, OSCE 1, ECO 1, OIC 1, CICA 1,
# WTO 0, NATO 0, EU 0; 55 full memberships in 2014."
KAZ_2014_FULL = ["cis", "csto", "sco", "eaec", "osce", "eco", "oic", "cica"]
KAZ_2014_NOT = ["wto", "nato", "eu"]
KAZ_2014_FULL_COUNT = 55


class TestCowIgo(SourceContract):
    source_id = "cow_igo"
    sample = SAMPLE
    tables = {"memberships"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("ccode", "cowcode"), r"row 1: missing column.*'ccode'"),
        BadCase("unknown_igo_column", rename_column("cis", "cisx"), r"row 1 column 'cisx': unknown IGO column"),
        BadCase("non_numeric_code", set_cell("csto", "x", line=5), r"row 5 column 'csto': 'x' is not a number"),
        BadCase("invalid_status_7", set_cell("sco", "7", line=10),
                r"row 10 column 'sco': '7' is not a COW membership code"),
        BadCase("fractional_code", set_cell("un", "1.5", line=12),
                r"row 12 column 'un': '1.5' is not a COW membership code"),
        BadCase("unknown_ccode", set_cell("ccode", "999", line=3),
                r"row 3 column 'ccode': unknown COW country code 999"),
        BadCase("state_not_in_system", set_cell("year", "1985", line=2),
                r"row 2 column 'year': ccode 705 \(Kazakhstan\) is not a state in 1985"),
        BadCase("duplicate_country_year", duplicate_row(4),
                r"row 4: duplicate country-year \(ccode 705, 1993\); also at row 43"),
        BadCase("year_out_of_range", set_cell("year", "1700", line=8),
                r"row 8 column 'year': 1700 is outside COW's coverage"),
        BadCase("non_numeric_year", set_cell("year", "20O4", line=9), r"row 9 column 'year': '20O4' is not a number"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
    ]


@pytest.fixture(scope="module")
def sample_spells(samples) -> pl.DataFrame:
    return pl.from_arrow(get_source("cow_igo").read(samples / SAMPLE).tables["memberships"])


def _member_in(spells: pl.DataFrame, country: str, year: int) -> pl.DataFrame:
    return spells.filter(
        (pl.col("country") == country) & (pl.col("joined") <= year)
        & (pl.col("left").is_null() | (pl.col("left") >= year))
    )


def test_sample_kazakhstan_2014_matches_source_md(sample_spells):
    kaz = _member_in(sample_spells, "KAZ", 2014)
    full = set(kaz.filter(pl.col("status") == "full")["organisation"])
    assert set(KAZ_2014_FULL) <= full
    assert not set(KAZ_2014_NOT) & set(kaz["organisation"])


def test_spells_hand_computed_from_sample_rows(sample_spells):
    """Spells read off the 41 sample rows by hand (see the CSV)."""
    def spell(country, org):
        return sample_spells.filter((pl.col("country") == country) & (pl.col("organisation") == org)).sort("joined")

    # KAZ csto: -1 to 2001, 1 from 2002 to 2014 (the last year) → one open spell.
    assert spell("KAZ", "csto").select("joined", "left", "status").rows() == [(2002, None, "full")]
    # KAZ caecc: 1 in 1994-2006, -1 after → closed spell.
    assert spell("KAZ", "caecc").select("joined", "left").rows() == [(1994, 2006)]
    # KAZ turksoy: 1 in 1993-2013 and -9 (missing) in 2014 → missing is not membership.
    assert spell("KAZ", "turksoy").select("joined", "left").rows() == [(1993, 2013)]
    # KAZ nam: 3 (observer) from 1998.
    assert spell("KAZ", "nam").select("joined", "left", "status").rows() == [(1998, None, "observer")]
    # UZB csto: 1 in 2005-2011, 0 from 2012 (the sample's UZB rows start in 2005). COW codes Uzbekistan
    # as a member from 2002, although it left the treaty in 1999 and returned in 2006: the hand-kept
    # table corrects this pair (see tests/measures/test_institutions.py).
    assert spell("UZB", "csto").select("joined", "left").rows() == [(2005, 2011)]
    assert set(sample_spells["observed_to"]) == {2014}


def test_ccode_365_is_ussr_before_1992_and_russia_after(sample_spells):
    un = sample_spells.filter(pl.col("organisation") == "un").sort("joined")
    assert un.filter(pl.col("country") == "SUN").select("joined", "left").rows() == [(1988, 1991)]
    assert un.filter(pl.col("country") == "RUS").select("joined", "left").rows() == [(1992, 1995)]
    cmea = sample_spells.filter(pl.col("organisation") == "cmea")
    assert cmea.select("country", "left").rows() == [("SUN", 1991)]


def test_historical_ccodes_map_by_year():
    t = ccode_table()

    def iso(ccode, year):
        hit = t.filter((pl.col("ccode") == ccode) & (pl.col("from_year") <= year) & (pl.col("to_year") >= year))
        return hit["iso3"].to_list()

    assert iso(365, 1950) == ["SUN"] and iso(365, 1991) == ["SUN"] and iso(365, 1992) == ["RUS"]
    assert iso(345, 1980) == ["YUG"] and iso(345, 2000) == ["SCG"] and iso(345, 2010) == ["SRB"]
    assert iso(315, 1980) == ["CSK"] and iso(265, 1980) == ["DDR"] and iso(680, 1980) == ["YMD"]
    assert iso(817, 1970) == [""]  # South Vietnam: no ISO code, left out


def test_reads_gzipped_file(samples, tmp_path):
    gz = tmp_path / "state_year_format3.csv.gz"
    gz.write_bytes(gzip.compress((samples / SAMPLE).read_bytes()))
    src = get_source("cow_igo")
    assert src.handles(gz)
    assert src.read(gz).tables["memberships"].num_rows == src.read(samples / SAMPLE).tables["memberships"].num_rows


def test_integer_codes_read_like_float_codes(samples, tmp_path):
    """COW's own CSV writes codes as integers (1, -9); the igoR copy as floats (1.0, -9.0)."""
    text = (samples / SAMPLE).read_text(encoding="utf-8").replace(".0", "")
    plain = tmp_path / "state_year_formatv3.csv"
    plain.write_text(text, encoding="utf-8")
    a = pl.from_arrow(get_source("cow_igo").read(plain).tables["memberships"])
    b = pl.from_arrow(get_source("cow_igo").read(samples / SAMPLE).tables["memberships"])
    assert a.sort("country", "organisation", "joined").equals(b.sort("country", "organisation", "joined"))


def test_kinds_pin_security_alliances_and_key_organisations():
    orgs = organisations()
    assert len(orgs) == 534
    for io, kind in {"nato": "security", "csto": "security", "sco": "security", "wpact": "security",
                     "cis": "political", "eaec": "economic", "eu": "economic", "wto": "economic",
                     "osce": "security", "cica": "forum", "un": "political"}.items():
        assert orgs[io][1] == kind, io
    assert set(KIND_OVERRIDES) <= set(orgs)


@pytest.mark.shared
def test_shipped_organisations_are_derived_from_igo_year_file(shared):
    derived = derive_organisations(shared / "igo/cow_igo_v3_igo_year.csv.gz")
    with _data_file("cow_igo_organisations.csv").open("rb") as fh:
        shipped = pl.read_csv(fh)
    assert derived.equals(shipped)


@pytest.mark.shared
def test_full_file_kazakhstan_2014_pins_source_md(shared):
    spells = pl.from_arrow(
        get_source("cow_igo").read(shared / "igo/cow_igo_v3_state_year.csv.gz").tables["memberships"]
    )
    kaz = _member_in(spells, "KAZ", 2014)
    full = kaz.filter(pl.col("status") == "full")
    assert set(KAZ_2014_FULL) <= set(full["organisation"])
    assert not set(KAZ_2014_NOT) & set(kaz["organisation"])
    assert full.height == KAZ_2014_FULL_COUNT
    # Every state-year of the file maps to one ISO3 code; no spell outside 1816-2014.
    assert spells["joined"].min() >= 1816 and spells["observed_to"].unique().to_list() == [2014]
    assert {"SUN", "YUG", "SCG", "CSK", "DDR", "YMD", "RUS", "SRB"} <= set(spells["country"])
