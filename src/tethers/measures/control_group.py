r"""A control group's change between two years: the counterfactual of a backtest.

A sanctions model predicts an *effect*: the change a scenario causes relative to what would have happened
without it. What is observed is the whole change. Comparing the two directly assumes that nothing else
moved (a zero counterfactual). The backtest instead takes the counterfactual from a **control group** —
units the scenario does not reach, observed over the same years on the same basis — and compares

.. math::
    \hat y_k = y^{cf} \oplus e_k, \qquad
    y^{cf} = \operatorname{median}_{i \in D}\, \Delta_i, \qquad
    a \oplus b = \begin{cases} (1+a)(1+b) - 1 & \text{growth rates}\\ a + b & \text{percentage points}\end{cases}

with :math:`e_k` the model's effect for unit *k*, :math:`\Delta_i` the change of control unit *i* (a growth
rate ``outcome / base − 1`` or a difference ``outcome − base`` in percentage points) and *D* the control
group. This is the difference-in-differences comparison with one treated unit (Angrist & Pischke 2009,
ch. 5; for sanctions on Russia, Chupilkin, Javorcik, Peeva & Plekhanov 2023 compare EU exports to Russia's
neighbours with EU exports to other destinations), and the way Kehoe (2005) evaluates applied trade models
ex post: the model's effect next to the data after the shocks the model does not contain are accounted for.

The **median** rather than the mean or a value-weighted aggregate: one country's counterfactual is a typical
country's change, not one dominated by the largest partners or by a few countries with crises of their own
(the mean and the aggregate are reported beside it). Its uncertainty is the bootstrap distribution of the
median (control units resampled with replacement, Efron & Tibshirani 1993, ch. 6), which the backtest adds
draw by draw to the model's Monte Carlo draws.

References
----------
* Angrist, J. D. & Pischke, J.-S. (2009), *Mostly Harmless Econometrics*, Princeton University Press, ch. 5.
* Chupilkin, M., Javorcik, B., Peeva, A. & Plekhanov, A. (2023), "Exporting to Russia via third countries:
  the Eurasian roundabout", EBRD Working Paper 281.
* Efron, B. & Tibshirani, R. J. (1993), *An Introduction to the Bootstrap*, Chapman & Hall, ch. 6.
* Kehoe, T. J. (2005), "An evaluation of the performance of applied general equilibrium models of the impact
  of NAFTA", in T. J. Kehoe, T. N. Srinivasan & J. Whalley (eds.), *Frontiers in Applied General Equilibrium
  Modeling*, Cambridge University Press, pp. 341–377.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ControlChange", "control_change", "combine"]

KINDS = ("growth", "pp")


@dataclass(frozen=True)
class ControlChange:
    """The control group's change and its bootstrap.

    Attributes
    ----------
    kind : ``growth`` (a rate: 0.05 = +5 %) or ``pp`` (a difference in percentage points).
    median, mean : over the control units' changes.
    aggregate : for growth, Σ outcome / Σ base − 1 over the control units (value-weighted); else None.
    p25, p75 : quartiles of the units' changes (their spread, not the median's uncertainty).
    units : the control units, sorted.
    draws : bootstrap replicates of the median (len = the requested number of draws).
    """

    kind: str
    median: float
    mean: float
    aggregate: float | None
    p25: float
    p75: float
    units: tuple[str, ...]
    draws: np.ndarray

    @property
    def n(self) -> int:
        return len(self.units)


def control_change(units: list[str], base: np.ndarray, outcome: np.ndarray, *, kind: str, draws: int,
                   rng: np.random.Generator) -> ControlChange:
    """The change of each control unit from ``base`` to ``outcome`` (aligned arrays), its median, mean,
    quartiles, the value-weighted aggregate for growth rates, and ``draws`` bootstrap replicates of the median.

    ``kind`` is ``growth`` (``outcome / base − 1``; every base must be > 0) or ``pp`` (``outcome − base``).
    Raises ValueError on an empty group, misaligned arrays, non-finite values or a base ≤ 0 for growth."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    b, o = np.asarray(base, dtype=float), np.asarray(outcome, dtype=float)
    if not (len(units) == b.size == o.size):
        raise ValueError(f"{len(units)} units, {b.size} base values, {o.size} outcome values: not aligned")
    if b.size == 0:
        raise ValueError("the control group is empty")
    if not (np.isfinite(b).all() and np.isfinite(o).all()):
        raise ValueError("non-finite values in the control group")
    if kind == "growth" and (b <= 0).any():
        raise ValueError("a growth rate needs base values > 0")
    order = np.argsort(np.asarray(units, dtype=object), kind="stable")
    b, o = b[order], o[order]
    ch = o / b - 1.0 if kind == "growth" else o - b
    idx = rng.integers(0, ch.size, size=(int(draws), ch.size)) if draws > 0 else np.empty((0, ch.size), dtype=int)
    reps = np.median(ch[idx], axis=1) if draws > 0 else np.empty(0)
    agg = float(o.sum() / b.sum() - 1.0) if kind == "growth" else None
    return ControlChange(kind=kind, median=float(np.median(ch)), mean=float(np.mean(ch)), aggregate=agg,
                         p25=float(np.quantile(ch, 0.25)), p75=float(np.quantile(ch, 0.75)),
                         units=tuple(sorted(units)), draws=reps)


def combine(effect, counterfactual, kind: str):
    """``counterfactual ⊕ effect`` (module docstring): ``(1 + c)(1 + e) − 1`` for growth rates, ``c + e`` for
    percentage points; scalars or arrays (element by element)."""
    if kind == "growth":
        return (1.0 + np.asarray(counterfactual)) * (1.0 + np.asarray(effect)) - 1.0
    if kind == "pp":
        return np.asarray(counterfactual) + np.asarray(effect)
    raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
