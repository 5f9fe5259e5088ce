"""Options a country could take to rebalance its dependencies: counterfactual tables, evaluation, optimisation.

* :mod:`.spec` — the options file (validated YAML, errors per field).
* :mod:`.counterfactual` — pure (tables, option, level) → tables transformations.
* :mod:`.evaluate` — the change in dependence, balance (as ``tethers balance``) and spillover, with cost.
* :mod:`.optimise` — the best mix within a budget (MIP with HiGHS) and the frontier of balance against cost.

:func:`options_section` is the hook for the report: tidy frames for the frontier chart.
"""

from __future__ import annotations

import polars as pl

__all__ = ["options_section"]


def options_section(result) -> dict:
    """Tidy frames for a report section from an :class:`~.optimise.Optimum` or an
    :class:`~.evaluate.OptionsEvaluation`.

    Returns ``{"title", "objective", "frontier", "chosen", "sets", "notes"}``: ``frontier`` is
    ``[budget_usd, cost_usd, options, value, delta]`` (the exact objective at each budget: composite balance
    0–1, or spillover S in USD), ``chosen`` ``[option, level]``, ``sets`` the per-set changes of an evaluation
    (empty for an optimum); frames are empty when the input has no such part.
    """
    from .evaluate import OptionsEvaluation
    from .optimise import Optimum

    empty_front = pl.DataFrame(schema={"budget_usd": pl.Float64, "cost_usd": pl.Float64, "options": pl.Utf8,
                                       "value": pl.Float64, "delta": pl.Float64})
    if isinstance(result, Optimum):
        front = result.frontier.select(budget_usd="budget", cost_usd="cost_usd", options="options", value="exact",
                                       delta="delta_exact")
        return {"title": f"Options for {result.country} ({result.base_year}): {result.objective} against cost",
                "objective": result.objective, "frontier": front, "chosen": result.tidy()["chosen"],
                "sets": pl.DataFrame(), "notes": list(result.notes)}
    if isinstance(result, OptionsEvaluation):
        return {"title": f"Options for {result.country} ({result.base_year}): {result.name}", "objective": "balance",
                "frontier": empty_front, "chosen": pl.DataFrame(schema={"option": pl.Utf8, "level": pl.Float64}),
                "sets": result.sets, "notes": list(result.notes)}
    raise TypeError(f"options_section takes an Optimum or an OptionsEvaluation, got {type(result).__name__}")
