r"""Choose the set or mix of options that maximises the balance index (or minimises the spillover) within a budget.

Formulation (a mixed-integer linear program solved by HiGHS through :func:`scipy.optimize.milp`)
----------------------------------------------------------------------------------------------------
Let :math:`f(\lambda)` be the exact objective of levels :math:`\lambda` (:meth:`Evaluator.objective`:
:math:`B_c`, or :math:`-S` for the spillover), :math:`e_i` option *i* alone at level 1, and

.. math::
    g_i = f(e_i) - f(0), \qquad h_{ij} = f(e_i + e_j) - f(e_i) - f(e_j) + f(0)
    \quad (i < j \text{ both all-or-nothing}).

.. math::
    \max_{x, y}\; \sum_i g_i x_i + \sum_{i<j} h_{ij} y_{ij}
    \quad\text{s.t.}\quad \sum_i c_i x_i \le \text{budget},\;
    y_{ij} \le x_i,\; y_{ij} \le x_j,\; y_{ij} \ge x_i + x_j - 1,\; 0 \le y_{ij} \le 1,

with :math:`x_i \in \{0, 1\}` for an all-or-nothing option and :math:`x_i \in [0, 1]` for a divisible one
(its mix), :math:`c_i` the central cost at level 1 (costs are linear in the level).

What is linear and what is approximated:

* the budget constraint is exact (costs are linear in the levels by construction);
* for all-or-nothing options the model is the exact second-order (pairwise) expansion of *f*: exact for any
  set of at most two options, and for any set when no three chosen options interact (e.g. options that touch
  different dimensions, whose effects on the weighted-mean composite add up);
  :math:`y_{ij} = x_i x_j` holds exactly at binary points;
* a divisible option enters through its secant slope :math:`g_i` (the effect of the full option, scaled
  linearly), without pairwise terms: the balance index is quadratic in shares, so the effect of half a
  supplier shift is not half the effect of the whole one;
* three-way and higher interactions are ignored.

The chosen mix is therefore evaluated **exactly** afterwards and both numbers are reported
(``predicted`` and ``exact``). Ties in the predicted value go to the cheaper mix (a penalty of 1e-7 of the
objective scale per unit of relative cost, then options whose removal does not lower the predicted value
are dropped, costliest first), and options enter the program in the order of their ids, so the
result does not depend on the order in which the file lists them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..dimensions.base import json_safe
from ..errors import OptionError
from .evaluate import Evaluator, set_name

__all__ = ["Plan", "Optimum", "solve_model", "optimise", "frontier", "brute_force", "pairwise_model"]

Objective = str  # "balance" | "spillover"
_TIE = 1e-7


@dataclass(frozen=True)
class Plan:
    """One solution: ``levels`` (option id → 0–1), its cost (USD), the model's and the exact objective values.

    ``predicted`` and ``exact`` are in the objective's units: composite balance (0–1) for ``balance``; the
    spillover S in USD for ``spillover`` (positive, lower is better).
    """

    budget: float
    levels: dict[str, float]
    cost_usd: float
    predicted: float
    exact: float

    @property
    def name(self) -> str:
        return set_name(self.levels)


@dataclass(frozen=True)
class Optimum:
    """The best mix within ``budget``, the base value, and the frontier of the objective against cost.

    Attributes
    ----------
    objective : ``balance`` (maximised composite balance index) or ``spillover`` (minimised S, USD).
    base : the objective with no option taken.
    plan : the chosen mix (:class:`Plan`).
    frontier : ``[budget, cost_usd, options, predicted, exact, delta_exact]``, one row per budget of the grid.
    model : ``[term, option_i, option_j, coefficient]`` the linear and pairwise coefficients g and h.
    """

    objective: str
    country: str
    base_year: int
    base: float
    plan: Plan
    frontier: pl.DataFrame
    model: pl.DataFrame
    notes: tuple[str, ...] = ()

    def tidy(self) -> dict[str, pl.DataFrame]:
        chosen = pl.DataFrame({"option": list(self.plan.levels), "level": list(self.plan.levels.values())},
                              schema={"option": pl.Utf8, "level": pl.Float64})
        return {"chosen": chosen, "frontier": self.frontier, "model": self.model}

    def to_dict(self) -> dict:
        return json_safe({
            "objective": self.objective, "country": self.country, "base_year": self.base_year, "base": self.base,
            "budget": self.plan.budget, "chosen": self.plan.levels, "cost_usd": self.plan.cost_usd,
            "predicted": self.plan.predicted, "exact": self.plan.exact, "frontier": self.frontier.to_dicts(),
            "model": self.model.to_dicts(), "notes": list(self.notes)})


# ---------------------------------------------------------------------------------------------- the model


def pairwise_model(ev: Evaluator, objective: Objective) -> tuple[float, dict[str, float], dict[tuple[str, str], float]]:
    """``(f0, g, h)`` of the formulation (exact evaluations of every single option and binary pair)."""
    f0 = ev.objective({}, objective)
    g = {i: ev.objective({i: 1.0}, objective) - f0 for i in ev.ids}
    binary = [i for i in ev.ids if not ev.by_id[i].divisible]
    h = {(i, j): ev.objective({i: 1.0, j: 1.0}, objective) - g[i] - g[j] - f0
         for i, j in itertools.combinations(binary, 2)}
    return f0, g, h


def solve_model(ids: Sequence[str], g: dict[str, float], h: dict[tuple[str, str], float], cost: dict[str, float],
                divisible: dict[str, bool], budget: float) -> tuple[dict[str, float], float]:
    """Solve the MIP of the module docstring with HiGHS; returns ``(levels, predicted gain over f0)``."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    ids = sorted(ids)
    pairs = sorted(p for p in h if p[0] in ids and p[1] in ids)
    n, m = len(ids), len(pairs)
    if n == 0:
        return {}, 0.0
    idx = {k: i for i, k in enumerate(ids)}
    scale = max([abs(v) for v in g.values()] + [abs(v) for v in h.values()] + [1e-300])
    cmax = max([abs(cost[i]) for i in ids] + [1.0])
    c = np.zeros(n + m)
    for i in ids:  # milp minimises
        c[idx[i]] = -(g[i] / scale) + _TIE * cost[i] / cmax
    for k, (a, b) in enumerate(pairs):
        c[n + k] = -(h[(a, b)] / scale)
    rows, lo, hi = [], [], []
    budget_row = np.zeros(n + m)
    for i in ids:
        budget_row[idx[i]] = cost[i] / cmax
    rows.append(budget_row)
    lo.append(-np.inf)
    hi.append(budget / cmax + 1e-12)
    for k, (a, b) in enumerate(pairs):
        for v in (a, b):  # y ≤ x
            r = np.zeros(n + m)
            r[n + k], r[idx[v]] = 1.0, -1.0
            rows.append(r)
            lo.append(-np.inf)
            hi.append(0.0)
        r = np.zeros(n + m)  # y ≥ x_a + x_b − 1
        r[n + k], r[idx[a]], r[idx[b]] = 1.0, -1.0, -1.0
        rows.append(r)
        lo.append(-1.0)
        hi.append(np.inf)
    integrality = np.array([0 if divisible[i] else 1 for i in ids] + [0] * m)
    res = milp(c, constraints=LinearConstraint(np.array(rows), lo, hi), integrality=integrality,
               bounds=Bounds(np.zeros(n + m), np.ones(n + m)), options={"mip_rel_gap": 0.0})
    if res.x is None:
        raise OptionError(f"the optimiser found no solution (HiGHS: {res.message})")
    levels = _levels(res.x, ids, divisible)
    levels = _fit_budget(levels, cost, divisible, budget)
    return _prune(levels, g, h, pairs, cost, scale)


def _levels(x, ids: Sequence[str], divisible: dict[str, bool]) -> dict[str, float]:
    out = {}
    for k, i in enumerate(ids):
        v = float(x[k])
        v = round(v) if not divisible[i] else min(1.0, max(0.0, math.floor(v * 1e9 + 1e-6) / 1e9))
        if v > 0:
            out[i] = float(v)
    return out


def _fit_budget(levels: dict[str, float], cost: dict[str, float], divisible: dict[str, bool],
                budget: float) -> dict[str, float]:
    """The solver's feasibility tolerance may overspend a mix by a few dollars: trim divisible levels to fit."""
    levels = dict(levels)
    spent = sum(cost[i] * v for i, v in levels.items())
    for i in sorted((k for k in levels if divisible[k] and cost[k] > 0), key=lambda k: (-cost[k], k)):
        if spent <= budget:
            break
        new = math.floor(max(0.0, levels[i] - (spent - budget) / cost[i]) * 1e9) / 1e9  # levels kept to 1e-9
        spent -= (levels[i] - new) * cost[i]
        levels[i] = new
    return {k: v for k, v in levels.items() if v > 0}


def _prune(levels: dict[str, float], g: dict[str, float], h: dict[tuple[str, str], float], pairs: list,
           cost: dict[str, float], scale: float) -> tuple[dict[str, float], float]:
    """Ties (within the solver's tolerance) go to the cheaper mix: drop, costliest first, every option whose
    removal does not lower the predicted value; returns ``(levels, predicted gain)``."""
    def value(lv: dict[str, float]) -> float:
        return sum(g[i] * v for i, v in lv.items()) + sum(h[(a, b)] * lv.get(a, 0.0) * lv.get(b, 0.0) for a, b in pairs)

    pred = value(levels)
    for i in sorted(levels, key=lambda k: (-cost[k], k)):
        trial = {k: v for k, v in levels.items() if k != i}
        if value(trial) >= pred - 1e-12 * scale:
            levels, pred = trial, value(trial)
    return levels, pred


def _sign(objective: Objective) -> float:
    return -1.0 if objective == "spillover" else 1.0


def _plan(ev: Evaluator, objective: Objective, budget: float, model) -> Plan:
    f0, g, h = model
    cost = {i: ev.full_cost[i][0] for i in ev.ids}
    levels, pred = solve_model(ev.ids, g, h, cost, {i: ev.by_id[i].divisible for i in ev.ids}, budget)
    s = _sign(objective)
    return Plan(float(budget), levels, ev.cost(levels)[0], s * (f0 + pred), s * ev.objective(levels, objective))


def optimise(ev: Evaluator, *, budget: float, objective: Objective = "balance",
             budgets: Sequence[float] | None = None, points: int = 9) -> Optimum:
    """The best mix within ``budget`` and the frontier over ``budgets`` (default ``points`` + 1 evenly spaced
    budgets from 0 to the cost of every option, plus ``budget``)."""
    if objective not in ("balance", "spillover"):
        raise OptionError(f"objective {objective!r} is not allowed; choose one of: 'balance', 'spillover'")
    if not budget >= 0:
        raise OptionError(f"budget must be ≥ 0 USD, got {budget}")
    model = pairwise_model(ev, objective)
    plan = _plan(ev, objective, budget, model)
    if budgets is None:
        top = sum(ev.full_cost[i][0] for i in ev.ids)
        budgets = sorted({*np.linspace(0.0, top, points + 1).tolist(), float(budget)})
    front = frontier(ev, budgets, objective=objective, model=model)
    f0, g, h = model
    s = _sign(objective)
    mrows = [{"term": "g", "option_i": i, "option_j": None, "coefficient": s * v} for i, v in g.items()] + \
        [{"term": "h", "option_i": a, "option_j": b, "coefficient": s * v} for (a, b), v in h.items()]
    mdl = pl.DataFrame(mrows, schema={"term": pl.Utf8, "option_i": pl.Utf8, "option_j": pl.Utf8,
                                      "coefficient": pl.Float64})
    notes = ["predicted = pairwise model (exact for ≤ 2 all-or-nothing options; divisible options linear in the "
             "mix); exact = the chosen mix re-evaluated on the counterfactual tables"]
    return Optimum(objective, ev.tables.country, ev.tables.year, s * f0, plan, front, mdl, tuple(notes))


def frontier(ev: Evaluator, budgets: Sequence[float], *, objective: Objective = "balance", model=None) -> pl.DataFrame:
    """``[budget, cost_usd, options, predicted, exact, delta_exact]`` for each budget (solved independently)."""
    model = model or pairwise_model(ev, objective)
    s = _sign(objective)
    base = s * model[0]
    rows = []
    for b in budgets:
        p = _plan(ev, objective, float(b), model)
        rows.append({"budget": float(b), "cost_usd": p.cost_usd, "options": p.name, "predicted": p.predicted,
                     "exact": p.exact, "delta_exact": p.exact - base})
    return pl.DataFrame(rows, schema={"budget": pl.Float64, "cost_usd": pl.Float64, "options": pl.Utf8,
                                      "predicted": pl.Float64, "exact": pl.Float64, "delta_exact": pl.Float64})


def brute_force(ev: Evaluator, *, budget: float, objective: Objective = "balance") -> Plan:
    """Exact enumeration of every all-or-nothing set (each option at level 0 or 1) within ``budget``: the reference
    the optimiser is tested against. Ties go to the cheaper set, then to the first in id order."""
    if len(ev.ids) > 12:
        raise OptionError(f"brute force over 2^{len(ev.ids)} sets is too many; at most 12 options")
    best: tuple | None = None
    for r in range(len(ev.ids) + 1):
        for combo in itertools.combinations(ev.ids, r):
            lv = dict.fromkeys(combo, 1.0)
            cost = ev.cost(lv)[0]
            if cost > budget * (1 + 1e-12) + 1e-9:
                continue
            v = ev.objective(lv, objective)
            if best is None or v > best[0] + 1e-12 or (abs(v - best[0]) <= 1e-12 and cost < best[1]):
                best = (v, cost, lv)
    assert best is not None  # the empty set always fits
    s = _sign(objective)
    return Plan(float(budget), best[2], best[1], s * best[0], s * best[0])
