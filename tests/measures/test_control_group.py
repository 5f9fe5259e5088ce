"""The control group's change (tethers.measures.control_group): median, mean, quartiles, the value-weighted
aggregate and the bootstrap of the median, each against an independent computation (statistics module or
a plain loop), and the ⊕ that puts a counterfactual and an effect together."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from tethers.measures.control_group import combine, control_change

UNITS = ["BRA", "IND", "NGA", "CHN", "ZAF", "MEX", "IDN"]
BASE = [10.0, 4.0, 2.0, 50.0, 3.0, 6.0, 5.0]
OUT = [11.0, 5.0, 1.5, 52.0, 3.3, 6.6, 7.5]


def test_growth_statistics_match_an_independent_computation():
    c = control_change(UNITS, np.array(BASE), np.array(OUT), kind="growth", draws=0, rng=np.random.default_rng(1))
    g = [o / b - 1 for b, o in zip(BASE, OUT, strict=True)]
    assert c.median == pytest.approx(statistics.median(g), abs=1e-15)
    assert c.mean == pytest.approx(statistics.fmean(g), abs=1e-15)
    q = statistics.quantiles(g, n=4, method="inclusive")  # linear interpolation, as numpy's default
    assert (c.p25, c.p75) == (pytest.approx(q[0], abs=1e-15), pytest.approx(q[2], abs=1e-15))
    assert c.aggregate == pytest.approx(sum(OUT) / sum(BASE) - 1, abs=1e-15)
    assert c.units == tuple(sorted(UNITS)) and c.n == 7 and c.draws.size == 0


def test_pp_changes_are_differences_and_have_no_aggregate():
    c = control_change(["A", "B", "C"], np.array([5.0, 8.0, 2.0]), np.array([9.0, 8.5, 1.0]), kind="pp", draws=0,
                       rng=np.random.default_rng(0))
    assert c.median == 0.5 and c.mean == pytest.approx((4.0 + 0.5 - 1.0) / 3) and c.aggregate is None


def test_bootstrap_replicates_are_medians_of_resamples_in_unit_order():
    """Replicate i is the median of the changes (units sorted by code) at the indices the generator draws for
    row i: reproduced with a second generator from the same seed and a plain loop."""
    c = control_change(UNITS, np.array(BASE), np.array(OUT), kind="growth", draws=50, rng=np.random.default_rng(7))
    order = sorted(range(len(UNITS)), key=lambda i: UNITS[i])
    g = [OUT[i] / BASE[i] - 1 for i in order]
    idx = np.random.default_rng(7).integers(0, len(g), size=(50, len(g)))
    expect = [statistics.median([g[j] for j in row]) for row in idx]
    assert c.draws.tolist() == pytest.approx(expect, abs=1e-15)
    # and the unit order of the input does not matter
    rev = control_change(UNITS[::-1], np.array(BASE[::-1]), np.array(OUT[::-1]), kind="growth", draws=50,
                         rng=np.random.default_rng(7))
    assert rev.draws.tolist() == c.draws.tolist() and rev.median == c.median


@pytest.mark.parametrize("kwargs, msg", [
    ({"units": [], "base": [], "outcome": []}, "empty"),
    ({"units": ["A"], "base": [1.0, 2.0], "outcome": [1.0]}, "not aligned"),
    ({"units": ["A"], "base": [0.0], "outcome": [1.0]}, "base values > 0"),
    ({"units": ["A"], "base": [float("nan")], "outcome": [1.0]}, "non-finite"),
])
def test_bad_groups_are_refused(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        control_change(kwargs["units"], np.array(kwargs["base"]), np.array(kwargs["outcome"]), kind="growth",
                       draws=5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="kind"):
        control_change(["A"], np.array([1.0]), np.array([1.0]), kind="ratio", draws=0, rng=np.random.default_rng(0))


def test_combine_compounds_rates_and_adds_points():
    # +7.1 % counterfactual and a +26.2 % effect: 1.071 × 1.262 − 1
    assert combine(0.262, 0.071, "growth") == pytest.approx(1.071 * 1.262 - 1, abs=1e-15)
    assert combine(4.83, 2.9, "pp") == pytest.approx(7.73, abs=1e-12)
    assert combine(np.array([0.1, -0.5]), np.array([0.0, 1.0]), "growth").tolist() == pytest.approx([0.1, 0.0])
    with pytest.raises(ValueError):
        combine(0.1, 0.1, "ratio")
