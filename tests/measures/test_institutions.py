"""memberships_in_year / shared_memberships: source precedence, carrying forward, poles."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tethers import countries
from tethers.measures.institutions import memberships_in_year, shared_memberships
from tethers.sources import get_source
from tethers.sources.handkept import data_dir

COW_SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "cow_igo" / "state_year_format3_excerpt.csv"
COLUMNS = ("organisation", "organisation_name", "kind", "status", "source", "carried_forward", "as_of",
           "participation")


def spells(rows: list[tuple]) -> pl.DataFrame:
    """Canonical memberships rows from (source, organisation, kind, country, status, joined, left, observed_to)."""
    df = pl.DataFrame(
        rows,
        schema={"source": pl.Utf8, "organisation": pl.Utf8, "kind": pl.Utf8, "country": pl.Utf8,
                "status": pl.Utf8, "joined": pl.Int32, "left": pl.Int32, "observed_to": pl.Int32},
        orient="row",
    )
    return df.with_columns(
        pl.col("organisation").str.to_uppercase().alias("organisation_name"),
        pl.lit(None, pl.Date).alias("joined_date"), pl.lit(None, pl.Date).alias("left_date"),
        pl.lit("test").alias("citation"),
    )


# Hand-sized case. COW (observed to 2014) says: A is in X 2000- (open) and in Y 1995-2005, B is in X
# 2002- (open) and observer of Z 2010-. Hand-kept (observed to 2026) says: A in X 2000-2017 only.
CASE = spells([
    ("cow_igo", "x", "security", "AAA", "full", 2000, None, 2014),
    ("cow_igo", "y", "economic", "AAA", "full", 1995, 2005, 2014),
    ("cow_igo", "x", "security", "BBB", "full", 2002, None, 2014),
    ("cow_igo", "z", "forum", "BBB", "observer", 2010, None, 2014),
    ("handkept", "x", "security", "AAA", "full", 2000, 2017, 2026),
    ("handkept", "w", "political", "AAA", "observer", 2010, 2015, 2026),
    ("handkept", "w", "political", "AAA", "full", 2015, None, 2026),
])


@pytest.mark.parametrize(
    ("country", "year", "expected"),
    [
        # (organisation, status, source, carried_forward, as_of)
        ("AAA", 2005, {("x", "full", "handkept", False, 2005), ("y", "full", "cow_igo", False, 2005)}),
        ("AAA", 2006, {("x", "full", "handkept", False, 2006)}),                      # y ended 2005
        ("AAA", 2012, {("x", "full", "handkept", False, 2012), ("w", "observer", "handkept", False, 2012)}),
        ("AAA", 2015, {("x", "full", "handkept", False, 2015), ("w", "full", "handkept", False, 2015)}),  # full wins
        ("AAA", 2018, {("w", "full", "handkept", False, 2018)}),   # hand-kept x ended 2017, COW's open x ignored
        ("AAA", 2030, {("w", "full", "handkept", True, 2026)}),    # past hand-kept observed_to
        ("BBB", 2014, {("x", "full", "cow_igo", False, 2014), ("z", "observer", "cow_igo", False, 2014)}),
        ("BBB", 2015, {("x", "full", "cow_igo", True, 2014), ("z", "observer", "cow_igo", True, 2014)}),
        ("BBB", 2001, set()),
        ("CCC", 2010, set()),
    ],
)
def test_hand_computed_cases(country, year, expected):
    out = memberships_in_year(CASE, country, year)
    assert out.columns == list(COLUMNS)
    got = {(r["organisation"], r["status"], r["source"], r["carried_forward"], r["as_of"])
           for r in out.iter_rows(named=True)}
    assert got == expected


def test_shared_memberships_hand_computed():
    poles = {"P1": {"BBB"}, "P2": {"AAA", "CCC"}}
    # 2012: AAA in x (hand-kept) and w (observer); BBB in x (COW) and z. Shared with P1: x only.
    out = shared_memberships(CASE, "AAA", poles, 2012)
    assert out.select("pole", "organisation", "members", "carried_forward").rows() == [("P1", "x", ["BBB"], False)]
    # From BBB's side in 2016: BBB's x is carried forward (COW), AAA still in x by hand-kept → flagged.
    out = shared_memberships(CASE, "BBB", poles, 2016)
    assert out.select("pole", "organisation", "status", "members", "carried_forward").rows() == [
        ("P2", "x", "full", ["AAA"], True)
    ]
    # The profiled country inside a pole is ignored, and a pole sharing nothing has no rows.
    assert shared_memberships(CASE, "AAA", {"self": {"AAA"}}, 2012).height == 0


@pytest.fixture(scope="module")
def atlas_like() -> pl.DataFrame:
    """COW spells of the real sample (KAZ 1991-2014, USSR/Russia, Uzbekistan) + the shipped hand-kept table."""
    cow = get_source("cow_igo").read(COW_SAMPLE).tables["memberships"]
    hand = get_source("handkept").read(data_dir() / "memberships.csv").tables["memberships"]
    return pl.concat([pl.from_arrow(cow), pl.from_arrow(hand)])


def test_kazakhstan_2021(atlas_like):
    out = memberships_in_year(atlas_like, "KAZ", 2021)
    by = {r["organisation"]: r for r in out.iter_rows(named=True)}
    # EAEU (in force 2015) and CSTO come from the hand-kept table, observed in 2021.
    for org in ("eaeu", "csto", "cis", "sco", "wto", "ots"):
        assert by[org]["source"] == "handkept" and not by[org]["carried_forward"] and by[org]["as_of"] == 2021, org
    # EurAsEC ended on 31 Dec 2014 (hand-kept), so COW's open spell is not carried into 2021.
    assert "eaec" not in by
    # Organisations only COW knows are carried forward from 2014 and flagged.
    for org in ("un", "imf", "ebrd", "eco"):
        assert by[org]["source"] == "cow_igo" and by[org]["carried_forward"] and by[org]["as_of"] == 2014, org
    assert by["nam"]["status"] == "observer"
    assert not {"nato", "eu"} & set(by)


def test_hand_kept_pair_overrides_cow_for_all_years(atlas_like):
    """COW codes Uzbekistan in the CSTO 2002-2011; the hand-kept spells are 1994-1999 and 2006-2012."""
    def in_csto(year):
        return "csto" in memberships_in_year(atlas_like, "UZB", year)["organisation"].to_list()

    assert not in_csto(2005)    # COW says member; hand-kept says not (left the treaty in 1999)
    assert in_csto(2007) and in_csto(2012)
    assert not in_csto(2013)


def test_kazakhstan_shares_with_poles_2021(atlas_like):
    poles = {"RUS": {"RUS"}, "CHN": {"CHN"}, "EU27": set(countries.eu_members(2021)), "TUR": {"TUR"}}
    out = shared_memberships(atlas_like, "KAZ", poles, 2021)
    shared = {pole: set(g["organisation"]) for (pole,), g in out.group_by("pole")}
    assert {"eaeu", "csto", "cis", "sco", "wto"} <= shared["RUS"]
    assert {"sco", "wto", "cica"} <= shared["CHN"]
    assert {"ots", "oic", "wto", "cica"} <= shared["TUR"]
    assert "wto" in shared["EU27"] and "csto" not in shared["EU27"]


@pytest.mark.shared
def test_kazakhstan_2021_full_cow_file(shared):
    cow = pl.from_arrow(
        get_source("cow_igo").read(shared / "igo/cow_igo_v3_state_year.csv.gz").tables["memberships"]
    )
    hand = pl.from_arrow(get_source("handkept").read(data_dir() / "memberships.csv").tables["memberships"])
    out = memberships_in_year(pl.concat([cow, hand]), "KAZ", 2021)
    assert out.filter(pl.col("organisation") == "eaeu")["source"].to_list() == ["handkept"]
    assert out.filter(pl.col("organisation") == "csto")["source"].to_list() == ["handkept"]
    carried = out.filter(pl.col("carried_forward"))
    assert carried.height > 30 and set(carried["as_of"]) == {2014} and set(carried["source"]) == {"cow_igo"}
    assert not out.filter(~pl.col("carried_forward"))["source"].is_in(["cow_igo"]).any()
