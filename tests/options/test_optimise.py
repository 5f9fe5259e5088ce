"""The optimiser against brute-force enumeration, and its stability to the order options are listed in."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tethers.options.evaluate import Evaluator
from tethers.options.optimise import brute_force, optimise, pairwise_model, solve_model
from tethers.options.spec import parse_options

from .helpers import tables

TOL = 1e-9  # composite balance is O(1); float rounding only

OPTIONS = [
    {"id": "leave_csto", "type": "membership", "organisation": "csto", "action": "leave",
     "cost": {"usd": 0, "basis": "none", "note": "political cost not modelled"}},
    {"id": "join_ots", "type": "membership", "organisation": "ots", "action": "join",
     "cost": {"usd": 30, "basis": "sourced", "source": "test"}},
    {"id": "minerals", "type": "supplier_shift", "products": ["MTN:12"], "supplier": "RUS", "share": 0.8,
     "to": ["TUR"], "cost": {"usd_per_usd": 1.0, "basis": "sourced", "source": "test"}},  # 48 shifted → 48 USD
    {"id": "exports_uzb", "type": "neighbour_trade", "amount_usd": 600, "partners": ["UZB"], "flow": "export",
     "cost": {"usd": 40, "basis": "sourced", "source": "test"}},
    {"id": "route", "type": "route_capacity", "route": "r1", "add": 5, "unit": "Mt/y",
     "cost": {"usd": 10, "basis": "sourced", "source": "test"}},
]


def _ev(options=OPTIONS) -> Evaluator:
    spec = parse_options({"name": "t", "country": "KAZ", "base_year": 2021, "options": options})
    return Evaluator(spec, tables())


@given(n=st.integers(1, 8), data=st.data())
@settings(max_examples=60, deadline=None)
def test_mip_equals_brute_force_on_the_quadratic_model(n, data):
    ids = [f"o{i}" for i in range(n)]
    coef = st.floats(-1, 1, allow_nan=False).map(lambda x: round(x, 3))
    g = {i: data.draw(coef) for i in ids}
    h = {p: data.draw(coef) for p in itertools.combinations(ids, 2)}
    cost = {i: float(data.draw(st.integers(0, 10))) for i in ids}
    budget = float(data.draw(st.integers(0, 40)))
    levels, pred = solve_model(ids, g, h, cost, dict.fromkeys(ids, False), budget)
    best = -np.inf
    for r in range(n + 1):
        for combo in itertools.combinations(ids, r):
            if sum(cost[i] for i in combo) <= budget:
                v = sum(g[i] for i in combo) + sum(h[p] for p in itertools.combinations(combo, 2))
                best = max(best, v)
    assert sum(cost[i] for i in levels) <= budget
    assert pred == pytest.approx(best, abs=1e-9)


@pytest.mark.parametrize("budget", [0, 10, 30, 48, 58, 78, 88, 100, 128])
def test_optimiser_equals_exact_brute_force_when_interactions_are_at_most_pairwise(budget):
    # each balance dimension is touched by at most two options (institutions: leave_csto, join_ots; minerals and
    # imports: minerals; exports: exports_uzb; route: none), so the pairwise model is exact
    ev = _ev()
    opt = optimise(ev, budget=budget, budgets=[budget])
    ref = brute_force(ev, budget=budget)
    assert opt.plan.exact == pytest.approx(ref.exact, abs=TOL)
    assert opt.plan.predicted == pytest.approx(opt.plan.exact, abs=TOL)
    assert opt.plan.cost_usd <= budget
    assert opt.plan.levels == ref.levels  # same set: ties go to the cheaper mix in both


def test_pairwise_model_misses_three_way_interactions_and_reports_both_values():
    # three shifts of the same product interact beyond pairs: the exact value is reported next to the predicted
    opts = [{"id": f"s{i}", "type": "supplier_shift", "products": ["MTN:12"], "supplier": "RUS", "share": 0.3,
             "to": [t], "cost": {"usd": 1, "basis": "sourced", "source": "test"}}
            for i, t in enumerate(("TUR", "CHN", "DEU"))]
    ev = _ev(opts)
    f0, g, h = pairwise_model(ev, "balance")
    everything = {"s0": 1.0, "s1": 1.0, "s2": 1.0}
    predicted = f0 + sum(g.values()) + sum(h.values())
    assert abs(predicted - ev.objective(everything)) > 1e-6  # the approximation is real, and visible
    for a, b in itertools.combinations(sorted(everything), 2):  # … but exact for every pair
        assert f0 + g[a] + g[b] + h[(a, b)] == pytest.approx(ev.objective({a: 1.0, b: 1.0}), abs=TOL)
    opt = optimise(ev, budget=3, budgets=[3])
    assert opt.plan.exact == pytest.approx(ev.objective(opt.plan.levels), abs=TOL)


@given(perm=st.permutations(list(range(len(OPTIONS)))), budget=st.sampled_from([0, 30, 58, 88, 128]))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_result_does_not_depend_on_the_order_options_are_listed(perm, budget):
    a = optimise(_ev(), budget=budget, budgets=[budget])
    b = optimise(_ev([OPTIONS[i] for i in perm]), budget=budget, budgets=[budget])
    assert a.plan.levels == b.plan.levels
    assert a.plan.exact == pytest.approx(b.plan.exact, abs=TOL)


def test_divisible_option_takes_the_mix_the_budget_allows():
    opts = [dict(OPTIONS[2], divisible=True)]
    ev = _ev(opts)
    opt = optimise(ev, budget=24, budgets=[24])  # 48 USD at level 1 → half
    assert opt.plan.levels == {"minerals": pytest.approx(0.5)}
    assert opt.plan.exact == pytest.approx(ev.objective({"minerals": 0.5}), abs=TOL)
