"""Voeten-derived wide roll calls (voeten_wide): contract, bad input, published tallies, one copy per roll call.

Published figures used here (not program output):
* A/RES/77/7 (Cuba embargo, draft A/77/L.5), 3 November 2022: 185 in favour, 2 against (Israel, United
  States), 2 abstentions (Brazil, Ukraine) — AP, 3 November 2022; UN Digital Library voting record.
* Draft A/77/L.65, "Cooperation between the United Nations and the Council of Europe", adopted 26 April
  2023 (77th regular session): 122 in favour, 5 against (Belarus, DPRK, Nicaragua, Russian Federation,
  Syria), 18 abstentions — Ukraine's Permanent Representative, 26 April 2023; Kazakhstan voted in favour
  (Gazeta.uz, 1 May 2023), Kyrgyzstan, Tajikistan and Uzbekistan abstained.
* A/RES/ES-11/1, 2 March 2022: 141-5-35 (UN press release GA/12407), read from the 3DL extract (undl).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tethers.atlas.roll_calls import one_copy_per_roll_call
from tethers.sources import get_source
from tethers.sources.voeten_wide import roll_call_names

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

SAMPLE = "voeten_wide/voeten_wide_excerpt.csv"
THREE_DL = "undl/undl_3dl_extract_ES-11_1-6_wide.csv"
# sample lines (header = 1): 5 = rcid 427 of 1955, 6 = 9373 (A/RES/77/7), 8 = 9356 (A/77/L.65), 10 = 427 of 2023


class TestVoetenWide(SourceContract):
    source_id = "voeten_wide"
    sample = SAMPLE
    tables = {"votes"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
        BadCase("header_renamed", rename_column("rcid", "id"), r"row 1: .*rcid"),
        BadCase("unknown_country", rename_column("KAZ", "QQQ"),
                r"row 1 column 'QQQ': column 'QQQ' is not a known ISO3 country code"),
        BadCase("bad_vote_code", set_cell("KAZ", "5", line=8),
                r"row 8 column 'KAZ': vote code '5' is not one of 1, 2, 3, 8, 9"),
        BadCase("blank_vote", set_cell("RUS", "", line=3), r"row 3 column 'RUS': vote code None is not one of"),
        BadCase("bad_date", set_cell("date", "2023-02-30", line=8), r"row 8 column 'date': '2023-02-30' is not a date"),
        BadCase("non_numeric_rcid", set_cell("rcid", "93x6", line=8), r"row 8 column 'rcid': '93x6' is not a number"),
        BadCase("bad_issue_flag", set_cell("hr", "maybe", line=4),
                r"row 4 column 'hr': issue flag 'maybe' is not TRUE or FALSE"),
        BadCase("duplicate_row", duplicate_row(7), r"row 7 column 'rcid': roll call 9372 of 2022-11-10 appears twice"),
        # Kazakhstan's yes on the named Council of Europe roll call turned into a no: the tally no longer
        # equals the published 122-5-18, so the symbol cannot be attached.
        BadCase("tally_differs_from_record", set_cell("KAZ", "3", line=8),
                r"row 8 column 'rcid': roll call 9356 of 2023-04-26 counts 121-6-18 .*not the 122-5-18 recorded "
                r"for A/77/L\.65"),
    ]


@pytest.fixture(scope="module")
def sample_votes(samples) -> pl.DataFrame:
    return pl.from_arrow(get_source("voeten_wide").read(samples / SAMPLE).tables["votes"])


def _tally(df: pl.DataFrame) -> tuple[int, int, int]:
    return tuple(int((df["vote"] == v).sum()) for v in ("yes", "no", "abstain"))  # type: ignore[return-value]


def test_named_roll_calls_carry_symbol_title_and_published_tally(sample_votes):
    cuba = sample_votes.filter(pl.col("rcid") == "9373")
    assert set(cuba["resolution"]) == {"A/RES/77/7"} and set(cuba["session"]) == {77}
    assert _tally(cuba) == (185, 2, 2)
    coe = sample_votes.filter(pl.col("rcid") == "9356")
    assert set(coe["title"]) == {"Cooperation between the United Nations and the Council of Europe"}
    assert _tally(coe) == (122, 5, 18)
    votes = dict(coe.select("country", "vote").iter_rows())
    assert votes["KAZ"] == "yes"
    assert {votes[c] for c in ("KGZ", "TJK", "UZB")} == {"abstain"}
    assert {c for c, v in votes.items() if v == "no"} == {"BLR", "PRK", "NIC", "RUS", "SYR"}


def test_unnamed_roll_calls_have_no_symbol(sample_votes):
    other = sample_votes.filter(~pl.col("rcid").is_in(["9373", "9356"]))
    assert other["resolution"].null_count() == other.height and other["title"].null_count() == other.height


def test_repeated_rcids_get_their_date(sample_votes):
    """Voeten's number 427 is used by a 1955 and a 2023 roll call in this file."""
    ids = set(sample_votes["rcid"])
    assert {"427/1955-10-03", "427/2023-11-02"} <= ids and "427" not in ids


def test_codes_and_non_members(sample_votes):
    # 9 = not a member: Kazakhstan (UN member from 2 March 1992) has no row in 1946.
    early = sample_votes.filter(pl.col("date") < dt.date(1950, 1, 1))
    assert "KAZ" not in set(early["country"])
    assert set(sample_votes["vote"]) <= {"yes", "no", "abstain", "absent"}


def test_crosswalk_rows_are_cited():
    names = roll_call_names()
    assert names.height >= 2 and names["resolution"].null_count() == 0


def test_one_copy_per_roll_call_keeps_es11_and_regular_session(samples, sample_votes):
    """2022: the ES-11 votes come from the 3DL extract (undl), the other roll calls from voeten_wide."""
    undl = pl.from_arrow(get_source("undl").read(samples / THREE_DL).tables["votes"])
    both = pl.concat([undl, sample_votes], how="vertical_relaxed")
    out = one_copy_per_roll_call(both, ("unvotes", "undl", "voeten_wide"))
    kaz = out.filter(pl.col("country") == "KAZ")
    es11 = {r: v for r, v in kaz.filter(pl.col("resolution").str.starts_with("A/RES/ES-11/"))
            .select("resolution", "vote").iter_rows()}
    assert es11 == {"A/RES/ES-11/1": "abstain", "A/RES/ES-11/2": "abstain", "A/RES/ES-11/3": "no",
                    "A/RES/ES-11/4": "abstain", "A/RES/ES-11/5": "abstain", "A/RES/ES-11/6": "abstain"}
    assert _tally(out.filter(pl.col("resolution") == "A/RES/ES-11/1")) == (141, 5, 35)
    assert kaz.filter(pl.col("resolution") == "A/77/L.65")["vote"].to_list() == ["yes"]
    # nothing was dropped: the two sources share no roll call here
    assert out.height == both.height


def test_one_copy_drops_a_later_source_holding_the_same_roll_call(sample_votes):
    """The same roll call under another source id and rcid (same day, same counts) is kept once."""
    coe = sample_votes.filter(pl.col("rcid") == "9356")
    copy = coe.with_columns(pl.lit("undl").alias("source"), pl.lit("4009999").alias("rcid"))
    out = one_copy_per_roll_call(pl.concat([coe, copy]), ("unvotes", "undl", "voeten_wide"))
    assert set(out["source"]) == {"undl"} and out.height == coe.height
    # by symbol as well: a different tally but the same symbol
    sym = copy.with_columns(pl.lit("unvotes").alias("source"), pl.lit("1").alias("rcid")).head(50)
    out = one_copy_per_roll_call(pl.concat([coe, sym]), ("unvotes", "undl", "voeten_wide"))
    assert set(out["source"]) == {"unvotes"}


@pytest.mark.shared
def test_full_file_2022_2024(shared):
    v = pl.from_arrow(get_source("voeten_wide").read(
        shared / "unvotes/voeten_wide/ungaVoting_003_wide_voeten_derived.csv").tables["votes"])
    per_year = v.filter(pl.col("date") >= dt.date(2020, 1, 1)).group_by(pl.col("date").dt.year()).agg(
        pl.col("rcid").n_unique())
    # SOURCE.md (verified when copied): 95, 79, 81, 88 and 6 roll calls in 2020 … 2024
    assert dict(per_year.iter_rows()) == {2020: 95, 2021: 79, 2022: 81, 2023: 88, 2024: 6}
    assert _tally(v.filter(pl.col("rcid") == "9356")) == (122, 5, 18)


def test_atlas_has_kazakhstans_2022_2023_votes(atlas):
    """Done-when of issue 12 part 4, through the shipped pack and queries.votes/vote_on."""
    from tethers.atlas import queries

    for n, vote in zip(range(1, 7), ["abstain", "abstain", "no", "abstain", "abstain", "abstain"], strict=True):
        rc = queries.vote_on(atlas, f"ES-11/{n}")
        assert rc.filter(pl.col("country") == "KAZ")["vote"].to_list() == [vote], n
    assert _tally(queries.vote_on(atlas, "ES-11/1")) == (141, 5, 35)
    coe = queries.vote_on(atlas, "A/77/L.65")
    assert _tally(coe) == (122, 5, 18) and coe.filter(pl.col("country") == "KAZ")["vote"].to_list() == ["yes"]
    y23 = queries.votes(atlas, year=2023)
    assert {"undl", "voeten_wide"} <= set(y23["source"])          # ES-11/6 and the regular session
    assert y23.filter(pl.col("country") == "KAZ")["rcid"].n_unique() >= 80
    y22 = queries.votes(atlas, year=2022)
    assert y22.filter(pl.col("resolution").str.starts_with("A/RES/ES-11/"))["resolution"].n_unique() == 5
    assert y22.filter(pl.col("source") == "voeten_wide")["rcid"].n_unique() > 50


def test_title_of_68_262(atlas):
    """Issue 17: `votes KAZ --resolution 68/262` titles it as the UN record does."""
    from tethers.atlas import queries

    assert set(queries.vote_on(atlas, "68/262")["title"]) == {"Territorial integrity of Ukraine"}
