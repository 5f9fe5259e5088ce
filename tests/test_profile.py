"""Kazakhstan's profile from the shipped pack, pinned to published figures (not to program output).

References
----------
* Russia 42.51 % and China 19.87 % of Kazakhstan's 2021 imports: BNS, "Main indicators of foreign trade
  by country" 2022 release, sheet 2021 (17,605,534 and 8,228,457 of 41,415,435 thousand USD); see
  shared/data/trade/SOURCE.md.
* Memberships: EAEU treaty in force 1 Jan 2015 (Kazakhstan a founding member); CSTO, CIS, SCO member;
  WTO member from 30 Nov 2015; not in NATO or the EU.
* UN votes: A/RES/68/262 (27 Mar 2014) Kazakhstan abstained, tally 100-11-58; A/RES/ES-11/1 (2 Mar 2022)
  abstained, tally 141-5-35; ES-11/3 (7 Apr 2022) voted no, tally 93-24-58 (UN press releases GA/11493,
  GA/12407, GA/12414).
* Gas: Energy Institute Statistical Review, "Natural gas: trade movements 2021 by pipeline": Kazakhstan →
  China 5.9 bcm; Turkmenistan → China 31.5 and Uzbekistan → China 4.3 bcm, which cross Kazakhstan on the
  Central Asia–China pipeline (hand-kept routes, each row cited).
"""

from __future__ import annotations

import pytest

from tethers.analysis.profile import profile, vote_record
from tethers.errors import DataNotAvailableError, UnknownCountryError

SHARE_TOL = 5e-5  # BNS publishes shares to 3 decimals of a percent


@pytest.fixture(scope="module")
def kaz2021(atlas_path):
    from tethers.atlas.store import Atlas

    with Atlas(atlas_path) as a:
        return profile("Kazakhstan", 2021, atlas=a)


def test_totals_match_bns(kaz2021):
    """The workbook's own 'Всего' (total) row, sheet 2021 of the 2022 release, thousand USD."""
    assert kaz2021.totals["import"] == pytest.approx(41_415_435.4697e3, rel=1e-6)
    assert kaz2021.totals["export"] == pytest.approx(60_321_024.40065e3, rel=1e-6)


def test_top_import_partners(kaz2021):
    imp = kaz2021.partners.filter(kaz2021.partners["flow"] == "import")
    assert imp["partner"][:2].to_list() == ["RUS", "CHN"]
    assert imp["share"][0] == pytest.approx(0.4251, abs=SHARE_TOL)
    assert imp["share"][1] == pytest.approx(0.1987, abs=SHARE_TOL)
    assert imp.height == 10


def test_pole_shares_sum_to_one_and_russia_matches(kaz2021):
    for flow in ("import", "export"):
        p = kaz2021.poles.filter(kaz2021.poles["flow"] == flow)
        assert p["share"].sum() == pytest.approx(1.0, abs=1e-12)
        assert set(p["pole"]) == {"RUS", "CHN", "EU27", "USA", "TUR", "CASIA", "ROW"}
    imp = kaz2021.poles.filter(kaz2021.poles["flow"] == "import")
    assert imp.filter(imp["pole"] == "RUS")["share"].item() == pytest.approx(0.4251, abs=SHARE_TOL)


def test_memberships_2021(kaz2021):
    orgs = set(kaz2021.memberships["organisation"])
    assert {"csto", "eaeu", "cis", "sco", "wto", "osce"} <= orgs
    assert not {"nato", "eu", "eaec"} & orgs  # EurAsEC was dissolved into the EAEU at end-2014
    csto = kaz2021.memberships.filter(kaz2021.memberships["organisation"] == "csto").row(0, named=True)
    assert csto["kind"] == "security"
    assert set(csto["poles"].split(";")) == {"RUS", "CASIA"}


def test_votes_2021_counts_are_consistent(kaz2021):
    v = kaz2021.votes
    assert v["roll_calls"] > 50
    assert v["yes"] + v["no"] + v["abstain"] + v["absent"] <= v["roll_calls"]
    al = kaz2021.alignment
    assert set(al["pole"]) == {"RUS", "CHN", "EU27", "USA", "TUR", "CASIA"}
    assert al["agreement"].is_between(0, 1).all()


def test_sources_are_named(kaz2021):
    sections = set(kaz2021.sources["section"])
    assert {"trade", "memberships", "votes", "energy"} <= sections
    assert kaz2021.sources["licence"].str.len_chars().min() > 0


@pytest.mark.parametrize("spelling", ["KAZ", "KZ", "398", "Kazakhstan"])
def test_spellings_give_the_same_profile(atlas, spelling):
    p = profile(spelling, 2021, atlas=atlas)
    assert p.country == "KAZ"
    assert p.totals["import"] == pytest.approx(41_415_435e3, rel=1e-6)


def test_unknown_country(atlas):
    with pytest.raises(UnknownCountryError, match="'Atlantis'"):
        profile("Atlantis", 2021, atlas=atlas)


def test_year_without_trade_is_explained(atlas):
    p = profile("KAZ", 1991, atlas=atlas)  # the DOTS backbone has Kazakhstan from 1992
    assert p.totals == {}
    assert any("no total trade reported by KAZ in 1991" in n for n in p.notes)


@pytest.mark.parametrize(
    ("resolution", "vote", "tally"),
    [
        ("A/RES/68/262", "abstain", (100, 11, 58)),
        ("68/262", "abstain", (100, 11, 58)),
        ("ES-11/1", "abstain", (141, 5, 35)),
        ("A/RES/ES-11/3", "no", (93, 24, 58)),
    ],
)
def test_kazakhstan_votes_on_ukraine(atlas, resolution, vote, tally):
    rec = vote_record("KAZ", resolution, atlas=atlas)
    assert rec["vote"] == vote
    assert (rec["tally"]["yes"], rec["tally"]["no"], rec["tally"]["abstain"]) == tally


def test_unknown_resolution(atlas):
    with pytest.raises(DataNotAvailableError, match="A/RES/99/999"):
        vote_record("KAZ", "99/999", atlas=atlas)


def test_energy_by_pole(kaz2021, atlas_path):
    """China takes gas from (5.9 bcm) and via (31.5 + 4.3 bcm) Kazakhstan; most oil leaves through Russia."""
    from tethers.analysis.dependence import energy_section
    from tethers.atlas.store import Atlas

    e = {r["pole"]: r for r in kaz2021.energy.iter_rows(named=True)}
    assert list(e) == ["RUS", "CHN", "EU27", "USA", "TUR", "CASIA"]
    assert round(e["CHN"]["gas_exports_bcm"], 1) == 5.9
    assert round(e["CHN"]["transit_provided_bcm"], 1) == round(31.5 + 4.3, 1)
    assert e["RUS"]["oil_transit_share"] > 0.5  # CPC and Atyrau–Samara carry most Kazakh crude
    assert e["CASIA"]["transit_provided_bcm"] is None  # Kazakhstan is itself in Central Asia
    with Atlas(atlas_path) as a:  # the same figures as `tethers dependence` (one definition)
        sec = energy_section("KAZ", "RUS", 2021, atlas=a)
    assert e["RUS"]["oil_transit_share"] == sec.value("oil_transit_share")
    assert e["RUS"]["gas_import_share"] == sec.value("gas_import_share")
    assert "energy" in kaz2021.to_dict() and len(kaz2021.to_dict()["energy"]) == 6
