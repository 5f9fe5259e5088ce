"""UN Digital Library voting records: the 2022-01 wide scrape and the 3DL extract; published tallies.

Published figures used here (not program output):
* A/RES/68/262, 27 March 2014: 100 in favour, 11 against, 58 abstentions (UN press release GA/11493);
  Kazakhstan abstained, the Russian Federation voted against (UN Digital Library record 767565).
* Emergency special session 11 (ES-11/1: UN press release GA/12407; all six: UN Digital Library records
  3959039 … 4003921, as listed in shared/data/unvotes/SOURCE.md): ES-11/1 141-5-35, ES-11/2 140-5-38,
  ES-11/3 93-24-58, ES-11/4 143-5-35, ES-11/5 94-14-73, ES-11/6 141-7-32. Kazakhstan: ABSTAIN, ABSTAIN,
  NO (ES-11/3), ABSTAIN, ABSTAIN, ABSTAIN.
"""

from __future__ import annotations

import csv
import datetime as dt

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources._common import known_codes
from tethers.sources.undl import country_columns, normalise_symbol, session_of

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    cp1251,
    duplicate_row,
    empty,
    extra_column,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)

SCRAPE = "undl/undl_scrape_ga_sc_votes_wide_excerpt.csv"
THREE_DL = "undl/undl_3dl_extract_ES-11_1-6_wide.csv"
L_68_262 = 14  # line of A/RES/68/262 (record 767565) in the scrape excerpt
L_62_39 = 19  # line of A/RES/62/39 (record 613901): Kazakhstan's vote is in the noise column TKAZAKHSTAN

ES11 = {  # symbol: (yes, no, abstain, Kazakhstan)
    "A/RES/ES-11/1": (141, 5, 35, "abstain"),
    "A/RES/ES-11/2": (140, 5, 38, "abstain"),
    "A/RES/ES-11/3": (93, 24, 58, "no"),
    "A/RES/ES-11/4": (143, 5, 35, "abstain"),
    "A/RES/ES-11/5": (94, 14, 73, "abstain"),
    "A/RES/ES-11/6": (141, 7, 32, "abstain"),
}


class TestUndlScrape(SourceContract):
    source_id = "undl"
    sample = SCRAPE
    tables = {"votes"}
    bad_cases = [
        BadCase("empty", empty, r"undl_scrape_ga_sc_votes_wide_excerpt\.csv: file is empty"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        # the header's 'COTE D’IVOIRE' (typographic apostrophe) is byte 0x92 in cp1251
        BadCase("cp1251", cp1251, r"row 1: byte 0x92 is not valid utf-8 \(looks like cp1251"),
        BadCase("header_renamed", rename_column("token", "record"), r"row 1: missing column.*'token'"),
        BadCase("non_numeric", set_cell("YES COUNT", "1OO", line=L_68_262),
                rf"row {L_68_262} column 'YES COUNT': '1OO' is not a number"),
        BadCase("unknown_country", rename_column("KAZAKHSTAN", "ATLANTIS"),
                r"row 1 column 'ATLANTIS': column is not a member-state name listed in"),
        BadCase("duplicate_key", duplicate_row(L_68_262), rf"row {L_68_262} column 'token': duplicate record 767565 \(also at row 22\)"),
        BadCase("invalid_vote", set_cell("KAZAKHSTAN", "Q", line=L_68_262),
                rf"row {L_68_262} column 'KAZAKHSTAN': 'Q' is not one of \['Y', 'N', 'A', 'X'\]"),
        BadCase("date_out_of_range", set_cell("Date", "1939-09-01", line=L_68_262),
                rf"row {L_68_262} column 'Date': '1939-09-01' is outside 1946-01-01"),
        BadCase("date_invalid", set_cell("Date", "27/03/2014", line=L_68_262),
                rf"row {L_68_262} column 'Date': '27/03/2014' is not a date"),
        BadCase("extra_column", extra_column, r"row 1 column 'extra': column is not a member-state name"),
        BadCase("tally_mismatch", set_cell("KAZAKHSTAN", "Y", line=L_68_262),
                rf"row {L_68_262} column 'YES COUNT': 101 cells say yes but the row's count is 100"),
        BadCase("total_mismatch", set_cell("TOTAL VOTES", "194", line=L_68_262),
                rf"row {L_68_262} column 'TOTAL VOTES': 194 is not the sum of the four counts"),
        BadCase("noise_column_disagrees", set_cell("TKAZAKHSTAN", "N", line=L_68_262),
                rf"row {L_68_262} column 'KAZAKHSTAN': columns for KAZ disagree \('KAZAKHSTAN'='A', 'TKAZAKHSTAN'='N'\)"),
        BadCase("value_in_unknown_column", set_cell("DONOTKNOW", "Y", line=L_68_262),
                rf"row {L_68_262} column 'DONOTKNOW': 'Y' in a column that names no country"),
        BadCase("unknown_council", set_cell("Council", "Trusteeship Council", line=3),
                r"row 3 column 'Council': 'Trusteeship Council' is neither"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
    ]


class TestUndl3dl(SourceContract):
    source_id = "undl"
    sample = THREE_DL
    tables = {"votes"}
    bad_cases = [
        BadCase("empty", empty, r"undl_3dl_extract_ES-11_1-6_wide\.csv: file is empty"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("token", "record"), r"row 1: missing column.*'token'"),
        BadCase("non_numeric", set_cell("YES COUNT", "141,0", line=2), r"row 2 column 'YES COUNT': '141,0' is not a number"),
        BadCase("unknown_country", rename_column("KAZ", "QQQ"),
                r"row 1 column 'QQQ': column is neither a known ISO3 country code nor a 3DL column"),
        BadCase("duplicate_key", duplicate_row(2), r"row 2 column 'token': duplicate record 3959039 \(also at row 8\)"),
        BadCase("invalid_vote", set_cell("KAZ", "ABSTAINED", line=2),
                r"row 2 column 'KAZ': 'ABSTAINED' is not one of \['YES', 'NO', 'ABSTAIN'\]"),
        BadCase("date_out_of_range", set_cell("Date", "2099-03-02", line=2), r"row 2 column 'Date': '2099-03-02' is outside"),
        BadCase("extra_column", extra_column, r"row 1 column 'extra': column is neither a known ISO3"),
        BadCase("tally_mismatch", set_cell("KAZ", "YES", line=2),
                r"row 2 column 'YES COUNT': 142 cells say yes but the row's count is 141"),
        BadCase("vote_blanked", set_cell("KAZ", "", line=2),
                r"row 2 column 'ABSTAIN COUNT': 34 cells say abstain but the row's count is 35"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
    ]


@pytest.fixture(scope="module")
def scrape(samples) -> pl.DataFrame:
    return pl.from_arrow(get_source("undl").read(samples / SCRAPE).tables["votes"])


@pytest.fixture(scope="module")
def es11(samples) -> pl.DataFrame:
    return pl.from_arrow(get_source("undl").read(samples / THREE_DL).tables["votes"])


def _tally(df: pl.DataFrame) -> dict[str, int]:
    return dict(df["vote"].value_counts().iter_rows())


def _vote(df: pl.DataFrame, rcid: str, country: str) -> str:
    return df.filter((pl.col("rcid") == rcid) & (pl.col("country") == country))["vote"].item()


def test_68_262_tally_and_votes(scrape):
    """GA/11493: 100-11-58; the scrape's 24 X (non-voting members) are ``absent``."""
    rc = scrape.filter(pl.col("resolution") == "A/RES/68/262")
    assert set(rc["rcid"]) == {"767565"} and set(rc["date"]) == {dt.date(2014, 3, 27)}
    assert _tally(rc) == {"yes": 100, "no": 11, "abstain": 58, "absent": 24}
    assert _vote(scrape, "767565", "KAZ") == "abstain"
    assert _vote(scrape, "767565", "RUS") == "no"
    assert _vote(scrape, "767565", "UKR") == "yes"


@pytest.mark.parametrize("symbol", list(ES11))
def test_es11_tallies_and_kazakhstan(es11, symbol):
    yes, no, abstain, kaz = ES11[symbol]
    rc = es11.filter(pl.col("resolution") == symbol)
    t = _tally(rc)
    assert (t.get("yes"), t.get("no"), t.get("abstain")) == (yes, no, abstain)
    assert rc.height == 193  # every member: the blanks are non-voting members, ``absent``
    assert rc.filter(pl.col("country") == "KAZ")["vote"].item() == kaz
    assert rc.filter(pl.col("country") == "RUS")["vote"].item() == "no"
    assert rc["session"].null_count() == rc.height  # emergency special session: no regular session


def test_ussr_and_other_historical_columns(scrape):
    """A/RES/3379(XXX), 10 Nov 1975 (record 650324)."""
    rc = scrape.filter(pl.col("rcid") == "650324")
    got = dict(rc.select("country", "vote").iter_rows())
    assert "RUS" not in got
    expected = {"SUN": "yes", "UKR": "yes", "BLR": "yes", "DDR": "yes", "DEU": "no", "CSK": "yes",
                "YUG": "yes", "YMD": "yes", "USA": "no"}
    assert {k: got[k] for k in expected} == expected
    assert "RUS" not in set(scrape.filter(pl.col("date") < dt.date(1992, 1, 1))["country"])


def test_china_seat_before_and_after_2758(scrape):
    """The Republic of China held the seat until A/RES/2758(XXVI) (25 Oct 1971): TWN, as unvotes codes it."""
    assert _vote(scrape, "654350", "TWN") == "absent"  # the ROC delegation did not vote (X)
    assert "CHN" not in set(scrape.filter(pl.col("rcid") == "654350")["country"])
    assert _vote(scrape, "671206", "TWN") == "yes"
    assert _vote(scrape, "767565", "CHN") == "abstain"


@pytest.mark.parametrize(
    ("rcid", "iso3", "column", "line"),
    [
        ("613901", "KAZ", "TKAZAKHSTAN", L_62_39),
        ("626986", "DNK", "AY DENMARK", 9),
        ("623769", "GBR", " UNITED KINGDOM", 5),
    ],
)
def test_noise_columns_give_one_vote(scrape, samples, rcid, iso3, column, line):
    """A vote under a mangled column name counts once, for its country."""
    with open(samples / SCRAPE, encoding="utf-8-sig", newline="") as fh:
        raw = list(csv.DictReader(fh))[line - 2]
    assert raw["token"] == rcid
    cell = {"Y": "yes", "N": "no", "A": "abstain", "X": "absent"}[raw[column]]
    rows = scrape.filter((pl.col("rcid") == rcid) & (pl.col("country") == iso3))
    assert rows.height == 1 and rows["vote"].item() == cell


def test_agreeing_noise_column_is_merged(samples, tmp_path):
    """TKAZAKHSTAN = KAZAKHSTAN = 'A' on 68/262: one abstention for KAZ, tallies still 100-11-58."""
    broken = set_cell("TKAZAKHSTAN", "A", line=L_68_262)(samples / SCRAPE, tmp_path)
    df = pl.from_arrow(get_source("undl").read(broken).tables["votes"]).filter(pl.col("rcid") == "767565")
    assert df.filter(pl.col("country") == "KAZ")["vote"].to_list() == ["abstain"]
    assert _tally(df) == {"yes": 100, "no": 11, "abstain": 58, "absent": 24}


def test_rows_left_out(scrape):
    rcids = set(scrape["rcid"])
    assert not {"3801531", "695490"} & rcids  # Security Council
    assert "724807" not in rcids  # Date '2011' only
    assert "3949879" in rcids and "3949880" not in rcids  # A/76/L.14 recorded twice: lowest record kept
    zanzibar_day = scrape.filter(pl.col("rcid") == "664268")
    assert zanzibar_day.height == 113 - 1  # TOTAL VOTES 113, minus Zanzibar's abstention
    assert _tally(zanzibar_day) == {"yes": 77, "no": 11, "abstain": 20 - 1, "absent": 5}
    assert _vote(scrape, "664268", "TZA") == "yes"  # Tanganyika
    assert scrape.filter(pl.col("rcid") == "3836031")["resolution"].null_count() > 0  # MISSING_DATA
    assert _vote(scrape, "462340", "SCG") in {"yes", "no", "abstain", "absent"}  # 'YUGOSLAVIA' in 2002


@pytest.mark.parametrize(
    ("raw", "symbol", "session"),
    [
        ("A/RES/68/262", "A/RES/68/262", 68),
        ("A/RES/37/125[A]", "A/RES/37/125A", 37),
        ("A/RES/56/24[A-VI]", "A/RES/56/24A-VI", 56),
        ("A/RES/1514(XV)", "A/RES/1514(XV)", 15),
        ("A/RES/3379(XXX)", "A/RES/3379(XXX)", 30),
        ("A/RES/1983(XVIII)", "A/RES/1983(XVIII)", 18),
        ("A/RES/2758(XXVI)", "A/RES/2758(XXVI)", 26),
        ("A/RES/ES-11/1", "A/RES/ES-11/1", None),
        ("A/76/L.14", "A/76/L.14", 76),
        ("MISSING_DATA", None, None),
    ],
)
def test_symbols_and_sessions(raw, symbol, session):
    assert normalise_symbol(raw) == symbol
    assert session_of(symbol) == session


def test_pack_keeps_2020_onwards(samples):
    src = get_source("undl")
    tbl = src.read(samples / SCRAPE).tables["votes"]
    kept = pl.from_arrow(src.reduce_for_pack("votes", tbl))
    assert set(kept["rcid"]) == {"3846846", "3949879", "3950570", "3950569"}


def test_column_table_is_consistent():
    """Every mapped ISO3 is known to the atlas; a column's date windows never overlap."""
    m = country_columns()
    assert set(m["iso3"].drop_nulls()) <= known_codes()
    assert set(m.filter(pl.col("iso3").is_null())["kind"]) == {"skip", "unknown"}
    for _, g in m.group_by("column"):
        g = g.sort("valid_from")
        assert (g["valid_from"].shift(-1).drop_nulls() > g["valid_to"].head(g.height - 1)).all()


# ---- the full files (../shared/data) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def full_scrape(shared) -> pl.DataFrame:
    return pl.from_arrow(
        get_source("undl").read(shared / "unvotes/undl_scrape_ga_sc_votes_wide_1946_2021.csv").tables["votes"]
    )


@pytest.mark.shared
def test_full_scrape(full_scrape):
    """SOURCE.md: 5,238 GA rows, less the 2 year-only dates and the repeated A/76/L.14 record."""
    assert full_scrape["rcid"].n_unique() == 5_238 - 3
    rc = full_scrape.filter(pl.col("resolution") == "A/RES/68/262")
    assert _tally(rc) == {"yes": 100, "no": 11, "abstain": 58, "absent": 24}
    assert _vote(full_scrape, "767565", "KAZ") == "abstain"
    assert _vote(full_scrape, "767565", "RUS") == "no"
    assert full_scrape.filter((pl.col("country") == "RUS") & (pl.col("date") < dt.date(1992, 1, 1))).height == 0
    assert full_scrape.filter(pl.col("country") == "SUN")["date"].max() == dt.date(1991, 12, 20)
    assert not full_scrape.select("rcid", "country").is_duplicated().any()


@pytest.mark.shared
def test_every_scrape_column_is_mapped(shared):
    with open(shared / "unvotes/undl_scrape_ga_sc_votes_wide_1946_2021.csv", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert set(header[11:]) == set(country_columns()["column"])


@pytest.mark.shared
def test_pack_contribution(shared, tmp_path):
    """unvotes 1946–2019 + UNDL GA from 2020 (scrape 2020–2021, 3DL ES-11/1–6), small enough to ship."""
    from tethers.atlas.pack import build_pack

    manifest = build_pack(shared, tmp_path, only=["unvotes", "undl"])
    files = {e["source"]: tmp_path / e["file"] for e in manifest["entries"]}
    assert set(files) == {"unvotes", "undl"}
    assert sum(f.stat().st_size for f in files.values()) < 10 * 2**20
    unv, undl = (pl.read_parquet(files[s]) for s in ("unvotes", "undl"))
    assert unv["date"].max() < dt.date(2020, 1, 1) <= undl["date"].min()
    assert {r for r in undl["resolution"].drop_nulls() if r.startswith("A/RES/ES-11/")} == set(ES11)
    assert _vote(unv, "5309", "KAZ") == "abstain"
    kaz = undl.filter(pl.col("country") == "KAZ").select("resolution", "vote")
    assert dict(kaz.filter(pl.col("resolution").is_in(list(ES11))).iter_rows()) == {s: v[3] for s, v in ES11.items()}


def test_titles_drop_the_statement_of_responsibility(samples):
    """'X : resolution / adopted by the General Assembly' → 'X' (subtitles kept)."""
    from tethers.sources._titles import record_title

    v = pl.from_arrow(get_source("undl").read(samples / THREE_DL).tables["votes"])
    titles = dict(v.unique("resolution").select("resolution", "title").iter_rows())
    assert titles["A/RES/ES-11/1"] == "Aggression against Ukraine"
    assert titles["A/RES/ES-11/4"] == ("Territorial integrity of Ukraine : defending the principles of the Charter "
                                       "of the United Nations")
    assert record_title("ARMED CONFLICTS PREVENTION--MEDIATION") is None
    assert record_title("Programme planning ") is None
