"""Arms imports (HS 93), alliance flags with unknown years, security ties per partner."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tethers.measures import security as S

from .conftest import trade_frame

EXACT = 1e-12


def arms_trade() -> pl.DataFrame:
    return pl.concat([
        # HS 93 imports: RUS 60, TUR 30, FRA 10 → HHI 0.36 + 0.09 + 0.01 = 0.46
        trade_frame([("KAZ", 2021, "import", "RUS", 60.0), ("KAZ", 2021, "import", "TUR", 30.0),
                     ("KAZ", 2021, "import", "FRA", 10.0)], classification="HS17", product="93"),
        # not arms: chapter 94 and the all-goods row
        trade_frame([("KAZ", 2021, "import", "CHN", 500.0)], classification="HS17", product="94"),
        trade_frame([("KAZ", 2021, "import", "CHN", 1e6)]),
        # a non-HS classification using the same code is not HS chapter 93
        trade_frame([("KAZ", 2021, "import", "USA", 70.0)], classification="MTN", product="93"),
    ])


def test_arms_shares_and_concentration_by_hand():
    s = S.arms_imports(arms_trade())
    assert dict(s.select("partner", "share").rows()) == pytest.approx({"RUS": 0.6, "TUR": 0.3, "FRA": 0.1}, abs=EXACT)
    c = S.arms_concentration(arms_trade()).row(0, named=True)
    assert c["hhi"] == pytest.approx(0.46, abs=EXACT)
    assert c["hhi_norm"] == pytest.approx((0.46 - 1 / 3) / (2 / 3), abs=EXACT)
    assert (c["top_supplier"], c["n_suppliers"], c["value_usd"]) == ("RUS", 3, 100.0)
    poles = dict(S.arms_imports(arms_trade(), by="pole").select("pole", "share").rows())
    assert poles == pytest.approx({"RUS": 0.6, "CHN": 0, "EU27": 0.1, "USA": 0, "TUR": 0.3, "CASIA": 0, "ROW": 0},
                                  abs=EXACT)


def memberships() -> pl.DataFrame:
    rows = [
        ("csto", "security", "KAZ", 1994, None, 2020), ("csto", "security", "RUS", 1994, None, 2020),
        ("csto", "security", "UZB", 1994, 1999, 2020), ("csto", "security", "UZB", 2006, 2012, 2020),
        ("sco", "security", "KAZ", 2001, None, 2020), ("sco", "security", "CHN", 2001, None, 2020),
        ("nato", "security", "TUR", 1952, None, 2023), ("eaeu", "economic", "KAZ", 2015, None, 2020),
    ]
    return pl.DataFrame(rows, schema=["organisation", "kind", "country", "joined", "left", "observed_to"],
                        orient="row").with_columns(status=pl.lit("full"), source=pl.lit("test"))


def test_alliance_flags_spells_and_unknown_years():
    f = S.alliance_flags(memberships(), year=[2000, 2010, 2015, 2022], country=["UZB", "KAZ", "TUR"])
    got = {(r["year"], r["country"], r["organisation"]): r["member"] for r in f.iter_rows(named=True)}
    assert got[(2000, "UZB", "csto")] is False  # between the two spells
    assert got[(2010, "UZB", "csto")] is True
    assert got[(2015, "UZB", "csto")] is False
    assert got[(2022, "UZB", "csto")] is False  # left in 2012: known even after observed_to
    assert got[(2022, "KAZ", "csto")] is None  # ongoing spell, but the source stops in 2020
    assert got[(2022, "TUR", "nato")] is True  # nato observed to 2023
    assert got[(2022, "KAZ", "nato")] is False
    assert got[(2000, "KAZ", "sco")] is False and got[(2010, "KAZ", "sco")] is True
    assert not any(org == "eaeu" for _, _, org in got)  # kind="security" by default


def test_shared_alliances_per_partner():
    out = S.shared_alliances(memberships(), country="KAZ", year=2010)
    assert out.select("partner", "n_shared", "organisations").rows() == [
        ("CHN", 1, "sco"), ("RUS", 1, "csto"), ("UZB", 1, "csto")]
    econ = S.shared_alliances(memberships(), country="KAZ", year=2016, kind=None)
    assert econ.select("partner", "organisations").rows() == [("CHN", "sco"), ("RUS", "csto")]


def test_security_ties_active_by_year():
    ties = pl.DataFrame({
        "country": ["KAZ", "KAZ", "KAZ", "KGZ"],
        "partner": ["RUS", "RUS", "USA", "RUS"],
        "kind": ["lease", "facility", "exercise", "facility"],
        "name": ["Baikonur", "Sary-Shagan", "Steppe Eagle", "Kant"],
        "start_date": [dt.date(1994, 3, 28), dt.date(1996, 1, 1), dt.date(2003, 9, 1), dt.date(2003, 10, 23)],
        "end_date": [None, None, dt.date(2019, 8, 31), None],
    }, schema_overrides={"end_date": pl.Date})
    out = S.security_ties_summary(ties, year=[2019, 2020], country="KAZ")
    got = {(r["year"], r["partner"]): (r["pole"], r["n_active"], r["kinds"]) for r in out.iter_rows(named=True)}
    assert got == {(2019, "RUS"): ("RUS", 2, "facility;lease"), (2019, "USA"): ("USA", 1, "exercise"),
                   (2020, "RUS"): ("RUS", 2, "facility;lease")}
