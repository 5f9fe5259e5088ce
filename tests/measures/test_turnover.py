"""Turnover by basis (reporter vs mirror): a hand case and the EU–Kazakhstan 2022 figure the ministry quotes."""

from __future__ import annotations

import math

import polars as pl
import pytest

from tethers.measures.turnover import turnover_by_basis


def _t(rows):
    return pl.DataFrame(rows, schema=["reporter", "partner", "flow", "year", "value_usd", "source"], orient="row").with_columns(
        classification=pl.lit("TOTAL"), product=pl.lit("TOTAL"))


def test_hand_case_both_bases():
    t = _t([("KAZ", "DEU", "export", 2021, 10.0, "bns"), ("KAZ", "DEU", "import", 2021, 5.0, "bns"),
            ("KAZ", "DEU", "export", 2022, 15.0, "bns"), ("KAZ", "DEU", "import", 2022, 6.0, "bns"),
            # mirror: the aggregate EUU reports 4 → 8 exports to KAZ and 11 → 12 imports from it
            ("EUU", "KAZ", "export", 2021, 4.0, "es"), ("EUU", "KAZ", "import", 2021, 11.0, "es"),
            ("EUU", "KAZ", "export", 2022, 8.0, "es"), ("EUU", "KAZ", "import", 2022, 12.0, "es"),
            ("DEU", "KAZ", "export", 2021, 99.0, "es")])  # a member's own row is not added to the aggregate
    out = {r["basis"]: r for r in turnover_by_basis(t, "KAZ", ["DEU"], years=(2021, 2022), aggregate="EUU").to_dicts()}
    assert out["reporter"]["growth"] == pytest.approx(21 / 15 - 1, abs=1e-12)
    m = out["mirror"]
    assert (m["exports0"], m["imports0"], m["exports1"], m["imports1"]) == (11.0, 4.0, 12.0, 8.0)
    assert m["growth"] == pytest.approx(20 / 15 - 1, abs=1e-12) and m["reason"] == ""


def test_missing_direction_is_null_with_a_reason():
    t = _t([("KAZ", "DEU", "export", 2021, 10.0, "bns"), ("KAZ", "DEU", "import", 2021, 5.0, "bns"),
            ("KAZ", "DEU", "export", 2022, 15.0, "bns"), ("KAZ", "DEU", "import", 2022, 6.0, "bns"),
            ("EUU", "KAZ", "export", 2021, 4.0, "es"), ("EUU", "KAZ", "export", 2022, 8.0, "es")])
    m = turnover_by_basis(t, "KAZ", ["DEU"], years=(2021, 2022), aggregate="EUU").filter(pl.col("basis") == "mirror").row(0, named=True)
    assert m["growth"] is None and m["turnover1"] is None
    assert m["imports_growth"] == pytest.approx(1.0, abs=1e-12)
    assert "exports 2021" in m["reason"] and "exports 2022" in m["reason"]


def test_eu_kazakhstan_2022_on_the_bns_basis(atlas):
    """Kazakh MFA (The Astana Times, 2023-05-16): EU–Kazakhstan turnover 2022 $39.9 bn, 38 % above 2021;
    exports $32.3 bn, imports $7.6 bn — the reporter (BNS) basis, EU27 in both years: +38.5 %. The +27.6 %
    the deputy minister quoted on 2023-03-10 ($40 bn) implies a 2021 base of $31.3 bn, which is not the BNS
    EU27 figure ($28.9 bn)."""
    from tethers.countries import eu_members

    t = atlas.sql("SELECT * FROM trade WHERE classification = 'TOTAL' AND (reporter = 'KAZ' OR partner = 'KAZ') "
                  "AND year IN (2021, 2022)")
    out = {r["basis"]: r for r in turnover_by_basis(t, "KAZ", eu_members(2022), years=(2021, 2022),
                                                     aggregate="EUU").to_dicts()}
    rep = out["reporter"]
    assert rep["sources"] == "kz_bns"
    assert rep["turnover1"] / 1e9 == pytest.approx(39.9, abs=0.15)
    assert rep["exports1"] / 1e9 == pytest.approx(32.3, abs=0.15) and rep["imports1"] / 1e9 == pytest.approx(7.6, abs=0.05)
    assert rep["growth"] == pytest.approx(0.385, abs=0.001)
    mir = out["mirror"]  # Eurostat holds EU27 exports to KAZ only: the mirror turnover is missing, said why
    assert mir["growth"] is None and "exports 2021" in mir["reason"]
    assert mir["imports_growth"] is not None and not math.isnan(mir["imports_growth"])
