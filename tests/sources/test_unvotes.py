"""unvotes (Voeten's data in the R package): the three package files, historical entities, published figures.

Published figures used here (not program output):
* A/RES/68/262 "Territorial integrity of Ukraine", 27 March 2014: 100 in favour, 11 against, 58 abstentions
  (UN press release GA/11493); Kazakhstan abstained, the Russian Federation voted against (UN Digital
  Library voting record 767565; shared/data/unvotes/SOURCE.md: row ``5309,Kazakhstan,KZ,abstain``).
* Package size (SOURCE.md): 870,109 vote rows, 6,203 roll calls, Kazakhstan 2,394 vote rows.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from tethers.sources import get_source
from tethers.sources.unvotes import normalise_unres

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

VOTES = "unvotes/unvotes_pkg_un_votes.csv"
# Cross-check against the UN Digital Library scrape: the two are independent codings of the same roll
# calls; the few disagreements are known coding differences (guard threshold, not a published figure).
MIN_AGREEMENT = 0.99


def companions(mutation, target: str = "un_votes"):
    """Run ``mutation`` on one of the three sample files, inside a copy of the whole sample folder.

    Returns the broken votes file, or the folder when a companion file was broken (the error then
    names the companion, whose path contains the folder).
    """

    def m(sample: Path, tmp: Path) -> Path:
        for f in sample.parent.glob("*.csv"):
            shutil.copyfile(f, tmp / f.name)
        if target == "un_votes":
            return mutation(sample, tmp)
        mutation(sample.parent / f"unvotes_pkg_{target}.csv", tmp)
        return tmp

    return m


def drop_roll_calls(sample: Path, tmp: Path) -> Path:
    for f in sample.parent.glob("*.csv"):
        if "roll_calls" not in f.name:
            shutil.copyfile(f, tmp / f.name)
    return tmp / sample.name


class TestUnvotes(SourceContract):
    source_id = "unvotes"
    sample = VOTES
    tables = {"votes"}
    bad_cases = [
        BadCase("empty", companions(empty), r"unvotes_pkg_un_votes\.csv: file is empty"),
        BadCase("truncated", companions(truncated), r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", companions(wrong_delimiter), r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", companions(cp1251), r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", companions(rename_column("vote", "votes")), r"row 1: missing column.*'vote'"),
        BadCase("non_numeric", companions(set_cell("rcid", "53O9", line=30)), r"row 30 column 'rcid': '53O9' is not a number"),
        BadCase("unknown_country", companions(set_cell("country", "Atlantis", line=10)),
                r"row 10 column 'country': unknown country 'Atlantis'"),
        BadCase("code_disagrees", companions(set_cell("country_code", "KZ", line=2)),
                r"row 2 column 'country_code': country 'United States' \(USA\) disagrees with country_code 'KZ' \(KAZ\)"),
        BadCase("duplicate_key", companions(duplicate_row(37)),
                r"row 37: duplicate key .*'rcid': '5309'.*'country': 'KAZ'.*also at row 42"),
        BadCase("invalid_vote", companions(set_cell("vote", "yes/no", line=5)),
                r"row 5 column 'vote': 'yes/no' is not yes/no/abstain"),
        BadCase("vote_without_roll_call", companions(set_cell("rcid", "999999", line=41)),
                r"row 41 column 'rcid': rcid 999999 has no roll call in unvotes_pkg_un_roll_calls\.csv"),
        BadCase("date_out_of_range", companions(set_cell("date", "1899-12-31", line=2), "un_roll_calls"),
                r"unvotes_pkg_un_roll_calls\.csv row 2 column 'date': '1899-12-31' is outside 1946-01-01"),
        BadCase("date_invalid", companions(set_cell("date", "2014-02-30", line=6), "un_roll_calls"),
                r"unvotes_pkg_un_roll_calls\.csv row 6 column 'date': '2014-02-30' is not a date"),
        BadCase("important_flag", companions(set_cell("importantvote", "yes", line=3), "un_roll_calls"),
                r"unvotes_pkg_un_roll_calls\.csv row 3 column 'importantvote': 'yes' is not 0 or 1"),
        BadCase("session_non_numeric", companions(set_cell("session", "LXVIII", line=6), "un_roll_calls"),
                r"unvotes_pkg_un_roll_calls\.csv row 6 column 'session': 'LXVIII' is not a number"),
        BadCase("duplicate_roll_call", companions(duplicate_row(2), "un_roll_calls"),
                r"unvotes_pkg_un_roll_calls\.csv row 2 column 'rcid': duplicate rcid 3 \(also at row 8\)"),
        BadCase("issue_without_roll_call", companions(set_cell("rcid", "12", line=2), "un_roll_call_issues"),
                r"unvotes_pkg_un_roll_call_issues\.csv row 2 column 'rcid': rcid 12 has no roll call"),
        BadCase("missing_companion", drop_roll_calls,
                r"companion file unvotes_pkg_un_roll_calls\.csv not found next to the votes file"),
        BadCase("garbage", companions(binary_garbage), r"not valid utf-8"),
        BadCase("header_only", companions(header_only), r"row 2: no data rows after the header"),
    ]


@pytest.fixture(scope="module")
def sample_votes(samples) -> pl.DataFrame:
    return pl.from_arrow(get_source("unvotes").read(samples / VOTES).tables["votes"])


def _vote(df: pl.DataFrame, rcid: str, country: str) -> str:
    return df.filter((pl.col("rcid") == rcid) & (pl.col("country") == country))["vote"].item()


def test_kazakhstan_abstained_and_russia_voted_no_on_68_262(sample_votes):
    """SOURCE.md: rcid 5309 = A/RES/68/262 of 27 Mar 2014; row ``5309,Kazakhstan,KZ,abstain``."""
    rc = sample_votes.filter(pl.col("rcid") == "5309")
    assert set(rc["resolution"]) == {"A/RES/68/262"}
    assert set(rc["date"]) == {dt.date(2014, 3, 27)}
    assert _vote(sample_votes, "5309", "KAZ") == "abstain"
    assert _vote(sample_votes, "5309", "RUS") == "no"
    assert _vote(sample_votes, "5309", "UKR") == "yes"


def test_ussr_votes_are_sun_never_rus(sample_votes):
    """The package files the USSR's votes under ``Russia``/``RU``: before 26 Dec 1991 they are SUN."""
    early = sample_votes.filter(pl.col("date") < dt.date(1991, 12, 26))
    assert "RUS" not in set(early["country"])
    assert {"3", "874", "1622"} <= set(early.filter(pl.col("country") == "SUN")["rcid"])
    assert set(sample_votes.filter(pl.col("country") == "RUS")["rcid"]) == {"4322", "5309", "9079"}


@pytest.mark.parametrize(
    ("rcid", "iso3", "vote"),
    [
        ("1622", "DDR", "yes"),  # German Democratic Republic (ISO2 DD, withdrawn)
        ("1622", "DEU", "no"),  # Federal Republic of Germany (no ISO2 in the package)
        ("1622", "CSK", "yes"),  # Czechoslovakia (ISO2 CS, later reused for Serbia and Montenegro)
        ("1622", "YUG", "yes"),  # SFR Yugoslavia
        ("1622", "YMD", "yes"),  # Yemen People's Republic (South Yemen)
        ("1622", "YEM", "yes"),  # Yemen Arab Republic (North Yemen)
        ("1622", "UKR", "yes"),  # Ukrainian SSR, a founding member in its own right
        ("3", "TWN", "no"),  # the Republic of China's seat, 1946
        ("4322", "SCG", "no"),  # 'Yugoslavia' in 2001 = FR Yugoslavia
        ("5309", "GBR", "yes"),  # ISO2 GB, which country_converter 1.3.2 does not resolve
        ("5309", "GRC", "yes"),  # ISO2 GR, idem
    ],
)
def test_historical_and_awkward_entities(sample_votes, rcid, iso3, vote):
    assert _vote(sample_votes, rcid, iso3) == vote


def test_zanzibar_is_left_out(sample_votes):
    """Zanzibar (no ISO code) voted beside Tanganyika on rcid 874: only SUN and TZA remain."""
    assert set(sample_votes.filter(pl.col("rcid") == "874")["country"]) == {"SUN", "TZA"}


def test_roll_call_fields(sample_votes):
    rc = sample_votes.unique("rcid").sort("rcid")
    got = {r["rcid"]: r for r in rc.iter_rows(named=True)}
    assert got["4322"]["issue"] == "Arms control and disarmament;Nuclear weapons and nuclear material"
    assert got["4322"]["important"] is True and got["5309"]["important"] is False and got["9079"]["important"] is None
    assert got["4322"]["title"] == "DISARMAMENT, NUCLEAR"
    assert got["3"]["resolution"] is None  # R/1/66: a page reference, not a resolution number
    assert got["1622"]["resolution"] == "A/RES/3379(XXX)" and got["1622"]["session"] == 30


@pytest.mark.parametrize(
    ("unres", "symbol"),
    [
        ("R/68/262", "A/RES/68/262"),
        ("A/RES/74/267", "A/RES/74/267"),
        ("R/43/57J", "A/RES/43/57J"),
        ("R/42/70/A", "A/RES/42/70A"),
        ("R/33/116A/I", "A/RES/33/116A-I"),
        ("R/30/3379", "A/RES/3379(XXX)"),
        ("R/23/2425C", "A/RES/2425(XXIII)[C]"),
        ("R/18/1983A", "A/RES/1983(XVIII)[A]"),
        ("R/5/347", None),  # Uniting for Peace is A/RES/377(V): numbers before session 18 are not resolutions
        ("GOAR/1/1288B", None),
        ("ESS/5/70", None),
        ("SS/2/34A", None),
        (None, None),
    ],
)
def test_normalise_unres(unres, symbol):
    assert normalise_unres(unres) == symbol


def test_reads_the_folder_and_the_gzipped_votes_file(samples, tmp_path, sample_votes):
    for f in (samples / "unvotes").glob("*.csv"):
        shutil.copyfile(f, tmp_path / f.name)
    plain = tmp_path / "unvotes_pkg_un_votes.csv"
    (tmp_path / "unvotes_pkg_un_votes.csv.gz").write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    src = get_source("unvotes")
    assert src.handles(tmp_path) and src.handles(tmp_path / "unvotes_pkg_un_votes.csv.gz")
    for p in (tmp_path, tmp_path / "unvotes_pkg_un_votes.csv.gz"):
        loaded = src.read(p)
        assert pl.from_arrow(loaded.tables["votes"]).equals(sample_votes)
        assert loaded.provenance[0].file.count("+") == 2  # the three files are named and hashed


def test_pack_keeps_1946_to_2019(samples):
    src = get_source("unvotes")
    tbl = src.read(samples / VOTES).tables["votes"]
    kept = pl.from_arrow(src.reduce_for_pack("votes", tbl))
    assert kept["date"].max() < dt.date(2020, 1, 1)
    assert "9079" not in set(kept["rcid"]) and kept.height == tbl.num_rows - 3


# ---- the full package files (../shared/data) -------------------------------------------------------


@pytest.fixture(scope="module")
def full(shared) -> pl.DataFrame:
    return pl.from_arrow(get_source("unvotes").read(shared / "unvotes/unvotes_pkg_un_votes.csv.gz").tables["votes"])


@pytest.mark.shared
def test_full_file_counts(full):
    """SOURCE.md: 870,109 vote rows (minus Zanzibar's 2), 6,203 roll calls, Kazakhstan 2,394 rows."""
    assert full.height == 870_109 - 2
    assert full["rcid"].n_unique() == 6_203
    assert full.filter(pl.col("country") == "KAZ").height == 2_394
    assert set(full["vote"]) == {"yes", "no", "abstain"}  # no absent rows in this source


@pytest.mark.shared
def test_full_file_68_262(full):
    """GA/11493: 100 in favour, 11 against, 58 abstentions; Kazakhstan abstained, Russia voted no."""
    rc = full.filter(pl.col("resolution") == "A/RES/68/262")
    assert set(rc["rcid"]) == {"5309"}
    assert dict(rc["vote"].value_counts().iter_rows()) == {"yes": 100, "no": 11, "abstain": 58}
    assert _vote(full, "5309", "KAZ") == "abstain"
    assert _vote(full, "5309", "RUS") == "no"


@pytest.mark.shared
def test_full_file_ussr_is_sun(full, shared):
    raw = pl.read_csv(shared / "unvotes/unvotes_pkg_un_votes.csv.gz", infer_schema=False)
    rc = pl.read_csv(shared / "unvotes/unvotes_pkg_un_roll_calls.csv", infer_schema=False, columns=["rcid", "date"])
    soviet = raw.filter(pl.col("country") == "Russia").join(rc, on="rcid").filter(pl.col("date") < "1991-12-26")
    assert full.filter(pl.col("country") == "SUN").height == soviet.height > 3_000
    assert full.filter((pl.col("country") == "RUS") & (pl.col("date") < dt.date(1991, 12, 26))).height == 0


@pytest.mark.shared
def test_agrees_with_the_un_digital_library(full, shared):
    """Guard: on roll calls both sources name by the same symbol, the votes agree (yes/no/abstain)."""
    undl = pl.from_arrow(
        get_source("undl").read(shared / "unvotes/undl_scrape_ga_sc_votes_wide_1946_2021.csv").tables["votes"]
    )

    def one_per_symbol(df):
        ids = df.select("rcid", "resolution").unique().drop_nulls()
        return ids.filter(~pl.col("resolution").is_duplicated())

    pairs = one_per_symbol(full).join(one_per_symbol(undl).rename({"rcid": "rcid_undl"}), on="resolution")
    assert pairs.height > 4_000
    a = full.join(pairs, on="rcid").select("rcid_undl", "country", "vote")
    b = undl.filter(pl.col("vote") != "absent").select(pl.col("rcid").alias("rcid_undl"), "country", "vote")
    j = a.join(b, on=["rcid_undl", "country"], suffix="_undl")
    assert j.height > 600_000
    assert (j["vote"] == j["vote_undl"]).mean() > MIN_AGREEMENT
    kaz = j.filter(pl.col("country") == "KAZ")
    assert (kaz["vote"] == kaz["vote_undl"]).mean() > MIN_AGREEMENT


def test_title_is_the_digital_library_record_title(sample_votes):
    """68/262's `short` is a subject heading; its title (UN Digital Library record 767565) is in `descr`."""
    rc = {r["rcid"]: r for r in sample_votes.unique("rcid").iter_rows(named=True)}
    assert rc["5309"]["title"] == "Territorial integrity of Ukraine"
    assert rc["4322"]["title"] == "DISARMAMENT, NUCLEAR"  # older rows keep Voeten's short title
