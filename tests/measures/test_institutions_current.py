"""Memberships to 2024 for the organisations that define the poles, through the measure's precedence.

Every expected value below is a published fact, cited where it is pinned (organisation pages, treaties,
summit declarations); none is copied from program output. The table is the shipped hand-kept one
combined with the COW IGO sample, as in the atlas, so the hand-kept precedence is exercised too.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tethers.measures.institutions import COMPLETE, memberships_in_year
from tethers.sources import get_source
from tethers.sources.handkept import data_dir

COW_SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "cow_igo" / "state_year_format3_excerpt.csv"


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    cow = get_source("cow_igo").read(COW_SAMPLE).tables["memberships"]
    hand = get_source("handkept").read(data_dir() / "memberships.csv").tables["memberships"]
    return pl.concat([pl.from_arrow(cow), pl.from_arrow(hand)])


@pytest.fixture(scope="module")
def members(table):
    """(organisation, year) -> {country: row} of the members that year (any status), via memberships_in_year."""
    cache: dict[int, dict[str, list[dict]]] = {}

    def get(org: str, year: int, status: str | None = None) -> dict[str, dict]:
        if year not in cache:
            per: dict[str, list[dict]] = {}
            for c in sorted(set(table["country"])):
                for r in memberships_in_year(table, c, year).iter_rows(named=True):
                    per.setdefault(r["organisation"], []).append({**r, "country": c})
            cache[year] = per
        return {r["country"]: r for r in cache[year].get(org, []) if status is None or r["status"] == status}

    return get


def test_csto_2022_six_members(members):
    # CSTO member states (en.odkb-csto.org): Armenia, Belarus, Kazakhstan, Kyrgyzstan, Russia, Tajikistan.
    assert set(members("csto", 2022)) == {"ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"}


def test_armenia_froze_csto_participation_in_2024_without_leaving(members):
    # Pashinyan to France 24, 22 Feb 2024: "we have basically frozen our participation"; no notice of withdrawal.
    arm24 = members("csto", 2024)["ARM"]
    assert arm24["status"] == "full" and arm24["participation"] == "frozen"
    assert members("csto", 2023)["ARM"]["participation"] is None
    assert len(members("csto", 2024)) == 6  # still counted as a member state


def test_uzbekistan_left_csto_2012(members):
    # Membership suspended by the Collective Security Council on 19 December 2012 (TASS).
    assert "UZB" in members("csto", 2012) and "UZB" not in members("csto", 2013)
    assert "UZB" not in members("csto", 2005)  # out between the 1999 and 2006 spells


def test_cis_georgia_2009_ukraine_2014_2018(members):
    # Georgia: withdrawal effective 18 August 2009; Ukraine: chairmanship given up and exit begun 19 March 2014,
    # representatives recalled from all CIS bodies by Decree No. 139/2018 of 19 May 2018.
    assert "GEO" in members("cis", 2009) and "GEO" not in members("cis", 2010)
    assert members("cis", 2013)["UKR"]["participation"] is None
    assert members("cis", 2015)["UKR"]["participation"] == "frozen"
    assert "UKR" not in members("cis", 2019)
    # 2024: nine member states and Turkmenistan as associate (CIS Executive Committee, e-cis.info)
    cis = members("cis", 2024)
    assert {c for c, r in cis.items() if r["status"] == "full"} == {
        "ARM", "AZE", "BLR", "KAZ", "KGZ", "MDA", "RUS", "TJK", "UZB"}
    assert cis["TKM"]["status"] == "associate"


def test_sco_enlargements(members):
    # Astana 9 June 2017 (India, Pakistan); virtual summit 4 July 2023 (Iran); Astana 4 July 2024 (Belarus).
    assert members("sco", 2016)["IND"]["status"] == "observer" and members("sco", 2017)["IND"]["status"] == "full"
    assert members("sco", 2017)["PAK"]["status"] == "full"
    assert members("sco", 2022)["IRN"]["status"] == "observer" and members("sco", 2023)["IRN"]["status"] == "full"
    assert members("sco", 2023)["BLR"]["status"] == "observer" and members("sco", 2024)["BLR"]["status"] == "full"
    assert len(members("sco", 2024, "full")) == 10  # "the tenth member state"


def test_brics_enlargements(members):
    # BRIC from 2006 (first ministerial, 20 Sep 2006); South Africa invited Dec 2010, at the Sanya summit 2011;
    # Egypt, Ethiopia, Iran, UAE from 1 Jan 2024 (Johannesburg II Declaration). Saudi Arabia: invited, not
    # confirmed, so not coded; Argentina declined.
    assert set(members("brics", 2009)) == {"BRA", "CHN", "IND", "RUS"}
    assert set(members("brics", 2011)) == {"BRA", "CHN", "IND", "RUS", "ZAF"}
    assert "IRN" not in members("brics", 2023)
    b24 = set(members("brics", 2024))
    assert b24 == {"BRA", "CHN", "IND", "RUS", "ZAF", "EGY", "ETH", "IRN", "ARE"}
    assert "SAU" not in b24 and "ARG" not in b24


def test_nato_finland_2023_sweden_2024(members):
    # NATO, 'Member countries': Finland 4 April 2023, Sweden 7 March 2024; 32 Allies.
    assert "FIN" not in members("nato", 2022) and "FIN" in members("nato", 2023)
    assert "SWE" not in members("nato", 2023) and "SWE" in members("nato", 2024)
    assert len(members("nato", 2024)) == 32


def test_eu_uk_left_31_january_2020(members):
    # Withdrawal Agreement: the UK left on 31 January 2020, so it is a member in 2019 and not in 2020.
    assert "GBR" in members("eu", 2019) and "GBR" not in members("eu", 2020)
    assert len(members("eu", 2020)) == 27 and "HRV" in members("eu", 2013)


def test_opec_departures(members):
    # opec.org: Qatar left 1 Jan 2019, Ecuador 1 Jan 2020, Angola 1 Jan 2024; 12 Member Countries in 2024.
    assert "QAT" in members("opec", 2018) and "QAT" not in members("opec", 2019)
    assert "ECU" in members("opec", 2019) and "ECU" not in members("opec", 2020)
    assert "ECU" not in members("opec", 2000)  # suspended December 1992 – October 2007
    assert "AGO" in members("opec", 2023) and "AGO" not in members("opec", 2024)
    assert set(members("opec", 2024)) == {"DZA", "COG", "GNQ", "GAB", "IRN", "IRQ", "KWT", "LBY", "NGA", "SAU",
                                          "ARE", "VEN"}


def test_g20_members_with_eu_and_african_union(members):
    # g20.org: 19 countries, the EU and (from the New Delhi summit, 9 Sep 2023) the African Union.
    assert "AUU" not in members("g20", 2022) and "AUU" in members("g20", 2023)
    assert len(members("g20", 2024)) == 21 and "EUU" in members("g20", 2024)


@pytest.mark.parametrize(("org", "n"), [
    ("osce", 57),      # osce.org: 57 participating States (Mongolia the 57th, 2012)
    ("oecd", 38),      # oecd.org: 38 Member countries (Costa Rica the 38th, 25 May 2021)
    ("asean", 10),     # asean.org: ten Member States (Timor-Leste an observer from 2022)
    ("au", 55),        # au.int: 55 Member States (South Sudan 2011, Morocco 2017)
    ("gcc", 6),        # gcc-sg.org: six member states
    ("mercosur", 6),   # mercosur.int: Argentina, Brazil, Paraguay, Uruguay, Venezuela (suspended), Bolivia (2024)
    ("eaeu", 5),       # eaeunion.org: Armenia, Belarus, Kazakhstan, Kyrgyzstan, Russia
    ("ots", 5),        # turkicstates.org: Azerbaijan, Kazakhstan, Kyrgyzstan, Türkiye, Uzbekistan
])
def test_member_counts_2024(members, org, n):
    assert len(members(org, 2024, "full")) == n


def test_suspensions_are_participation_not_exit(members):
    # AU PSC suspended Niger on 22 Aug 2023; MERCOSUR suspended Venezuela from 1 Dec 2016; both remain members.
    assert members("au", 2024)["NER"]["participation"] == "suspended"
    assert members("au", 2022)["NER"]["participation"] is None
    assert members("mercosur", 2024)["VEN"]["participation"] == "suspended"
    assert members("mercosur", 2024)["BOL"]["participation"] is None


def test_complete_organisations_never_come_from_cow_or_carry_forward(table):
    """The hand-kept table answers every pair of these organisations; COW (to 2014) is never carried into 2022."""
    for c in ("KAZ", "RUS", "UZB"):
        out = memberships_in_year(table, c, 2022).filter(pl.col("organisation").is_in(sorted(COMPLETE)))
        assert out.height and set(out["source"]) == {"handkept"} and not out["carried_forward"].any(), c


def test_eurasec_ends_with_2014_for_members_and_observers(members):
    # Agreement on the termination of EurAsEC (Minsk, 10 October 2014), in force 1 January 2015;
    # Armenia, Moldova and Ukraine were observers (COW IGO v3), whose spells COW leaves open in 2014.
    assert members("eaec", 2014)["ARM"]["status"] == "observer"
    assert members("eaec", 2015) == {} and members("eaec", 2021) == {}
