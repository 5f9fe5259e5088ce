"""UN voting agreement and Cohen's kappa: a 4-vote hand case, a loop-based cross-check, pole agreement."""

from __future__ import annotations

import datetime as dt
import math
from itertools import combinations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tethers.measures import alignment as A

from .conftest import prop

# Hand case: quarters and fifths, exact up to float rounding.
EXACT = 1e-12
# Vectorised means vs a Python loop over the same votes: different summation order only.
LOOP = 1e-12


def votes_frame(table: dict[str, list[str]], *, year: int = 2021, first_rcid: int = 0) -> pl.DataFrame:
    """``{country: [vote on roll call 0, 1, …]}`` → canonical votes rows (one date per year)."""
    rows = [
        {"resolution": f"A/RES/{year}/{i}", "rcid": str(first_rcid + i), "session": year - 1945,
         "date": dt.date(year, 10, 1), "country": c, "vote": v, "source": "test"}
        for c, vs in table.items() for i, v in enumerate(vs)
    ]
    return pl.DataFrame(rows)


def test_four_votes_by_hand():
    # KAZ: yes yes no abstain;  RUS: yes no no yes.
    # |x − y| = 0, 1, 0, 0.5 → A = 1 − 1.5/4 = 0.625.
    # p_o = 2/4 = 0.5. KAZ (yes, abstain, no) = (0.5, 0.25, 0.25); RUS = (0.5, 0, 0.5).
    # p_e = 0.25 + 0 + 0.125 = 0.375 → κ = (0.5 − 0.375) / 0.625 = 0.2.
    # Linear κ: D_e = 0.5 (0.5·0 + 0.25·0.5 + 0.25·0.5 + 0.25·0) + (0.5·0.5 + 0.25·0.5) = 0.5 → κ_w = 1 − 0.375/0.5.
    v = votes_frame({"KAZ": ["yes", "yes", "no", "abstain"], "RUS": ["yes", "no", "no", "yes"]})
    out = A.agreement(v)
    assert out.select("year", "country_a", "country_b", "n_votes").row(0) == (2021, "KAZ", "RUS", 4)
    assert out.select("agreement", "kappa", "kappa_w").row(0) == pytest.approx((0.625, 0.2, 0.25), abs=EXACT)


def test_absent_is_excluded_not_counted_as_disagreement():
    base = {"KAZ": ["yes", "yes", "no", "abstain"], "RUS": ["yes", "no", "no", "yes"]}
    with_absent = {"KAZ": [*base["KAZ"], "absent", "yes"], "RUS": [*base["RUS"], "no", "absent"]}
    a = A.agreement(votes_frame(base))
    b = A.agreement(votes_frame(with_absent))
    assert b.drop("n_votes").rows() == a.drop("n_votes").rows()
    assert b["n_votes"].item() == 4


def test_identical_single_category_kappa_undefined():
    out = A.agreement(votes_frame({"KAZ": ["yes"] * 3, "UZB": ["yes"] * 3}))
    assert out["agreement"].item() == 1.0
    assert math.isnan(out["kappa"].item()) and math.isnan(out["kappa_w"].item())


def test_one_country_vs_all_equals_all_pairs_and_is_symmetric():
    v = votes_frame({"KAZ": ["yes", "no", "abstain", "yes", "no"], "RUS": ["yes", "no", "no", "yes", "yes"],
                     "USA": ["no", "yes", "abstain", "no", "no"], "CHN": ["yes", "abstain", "no", "absent", "yes"]})
    pairs = A.agreement(v)
    focal = A.agreement(v, country="KAZ")
    assert sorted(focal["country_b"]) == ["CHN", "RUS", "USA"]
    for r in focal.iter_rows(named=True):
        a, b = sorted((r["country_a"], r["country_b"]))
        ref = pairs.filter((pl.col("country_a") == a) & (pl.col("country_b") == b)).row(0, named=True)
        for col in ("n_votes", "agreement", "kappa", "kappa_w"):
            assert r[col] == pytest.approx(ref[col], abs=EXACT)


def test_periods_are_separate():
    v = pl.concat([votes_frame({"KAZ": ["yes"], "RUS": ["yes"]}, year=2020),
                   votes_frame({"KAZ": ["yes"], "RUS": ["no"]}, year=2021, first_rcid=100)])
    out = A.agreement(v)
    assert dict(out.select("year", "agreement").iter_rows()) == {2020: 1.0, 2021: 0.0}
    by_session = A.agreement(v, period="session")
    assert dict(by_session.select("session", "agreement").iter_rows()) == {75: 1.0, 76: 0.0}


# --------------------------------------------------------------------------------------------
# Cross-check against a plain loop (confusion-matrix form of κ) on random roll calls
# --------------------------------------------------------------------------------------------

CATS = ["yes", "abstain", "no"]
VALUE = {"yes": 1.0, "abstain": 0.5, "no": 0.0}


def loop_reference(table: dict[str, list[str]]) -> dict[tuple[str, str], tuple[int, float, float, float]]:
    out = {}
    for a, b in combinations(sorted(table), 2):
        common = [(x, y) for x, y in zip(table[a], table[b], strict=True) if x in VALUE and y in VALUE]
        if not common:
            continue
        n = len(common)
        conf = np.zeros((3, 3))
        for x, y in common:
            conf[CATS.index(x), CATS.index(y)] += 1
        conf /= n
        po = np.trace(conf)
        pe = float(conf.sum(axis=1) @ conf.sum(axis=0))
        kappa = (po - pe) / (1 - pe) if pe < 1 else float("nan")
        w = np.abs(np.subtract.outer([1.0, 0.5, 0.0], [1.0, 0.5, 0.0]))  # |a − b| disagreement weights
        do = float((w * conf).sum())
        de = float(conf.sum(axis=1) @ w @ conf.sum(axis=0))
        kappa_w = 1 - do / de if de > 0 else float("nan")
        agree = 1 - sum(abs(VALUE[x] - VALUE[y]) for x, y in common) / n
        out[(a, b)] = (n, agree, kappa, kappa_w)
    return out


vote = st.sampled_from(["yes", "yes", "no", "abstain", "absent"])


@prop
@given(st.integers(min_value=1, max_value=12).flatmap(
    lambda n: st.dictionaries(st.sampled_from(["KAZ", "RUS", "CHN", "USA", "DEU"]),
                              st.lists(vote, min_size=n, max_size=n), min_size=2)))
def test_matches_loop_reference(table):
    ref = loop_reference(table)
    out = A.agreement(votes_frame(table))
    got = {(r[1], r[2]): (r[3], r[4], r[5], r[6]) for r in out.iter_rows()}
    assert set(got) == set(ref)
    for k, (n, agree, kappa, kappa_w) in ref.items():
        assert got[k][0] == n
        assert got[k][1:] == pytest.approx((agree, kappa, kappa_w), abs=LOOP, nan_ok=True)
        assert 0.0 <= got[k][1] <= 1.0
        assert math.isnan(got[k][2]) or -1.0 - LOOP <= got[k][2] <= 1.0 + LOOP


# --------------------------------------------------------------------------------------------
# Agreement with poles (membership by year)
# --------------------------------------------------------------------------------------------


def test_pole_agreement_eu_is_mean_over_members_of_that_year():
    # 2019: GBR is an EU member, 2020 it is not (left 31 January 2020).
    table = {"KAZ": ["yes", "yes", "no", "no"], "RUS": ["yes", "yes", "no", "no"],
             "DEU": ["yes", "no", "no", "yes"], "GBR": ["no", "no", "yes", "yes"], "USA": ["no", "no", "yes", "yes"]}
    v = pl.concat([votes_frame(table, year=2019), votes_frame(table, year=2020, first_rcid=100)])
    out = A.pole_agreement(v, country="KAZ")
    got = {(r["year"], r["pole"]): (r["n_members"], r["agreement"]) for r in out.iter_rows(named=True)}
    # KAZ–DEU: diffs 0,1,0,1 → 0.5; KAZ–GBR: 1,1,1,1 → 0; KAZ–RUS 1; KAZ–USA 0.
    assert got[(2019, "EU27")] == (2, pytest.approx((0.5 + 0.0) / 2, abs=EXACT))
    assert got[(2020, "EU27")] == (1, pytest.approx(0.5, abs=EXACT))
    assert got[(2019, "RUS")] == (1, 1.0) and got[(2020, "USA")] == (1, 0.0)
    assert "ROW" not in out["pole"].to_list()
    assert out.filter(pl.col("year") == 2019)["pole"].to_list() == ["RUS", "EU27", "USA"]


def test_ideal_points_separate_two_blocs_and_follow_the_anchor():
    table = {"USA": ["yes", "no", "yes", "no", "yes", "no"], "GBR": ["yes", "no", "yes", "no", "yes", "no"],
             "RUS": ["no", "yes", "no", "yes", "no", "yes"], "CHN": ["no", "yes", "no", "yes", "abstain", "yes"],
             "KAZ": ["no", "yes", "abstain", "yes", "abstain", "yes"]}
    out = A.ideal_points_pca(votes_frame(table), min_votes=1)
    pos = dict(out.select("country", "ideal_point").iter_rows())
    assert pos["USA"] > 0 and pos["GBR"] == pytest.approx(pos["USA"], abs=EXACT)
    assert max(pos["RUS"], pos["CHN"], pos["KAZ"]) < min(pos["USA"], pos["GBR"])
    flipped = A.ideal_points_pca(votes_frame(table), min_votes=1, anchor="RUS")
    assert dict(flipped.select("country", "ideal_point").iter_rows())["RUS"] > 0
