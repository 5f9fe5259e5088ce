"""Observed figures and simulated bands for ``tethers backtest`` (shared by the engine and :mod:`.backtest_fx`).

``_band`` reads a channel metric's central value and its p5–p95 over the draws from a
:class:`~tethers.scenario.engine.SpilloverResult`; ``_fx_observed`` / ``_cpi_observed`` read what the atlas
observed; ``_bt_row`` makes one backtest row (simulated, band, observed, error, basis).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ..measures.exact import fsum, fsum_agg

SpilloverResult = Any  # tethers.scenario.engine.SpilloverResult (not imported: the engine imports this module)


def _draw_values(res: SpilloverResult, channel: str, metric: str, prefix: str | None) -> pl.Series:
    d = res.draws.filter((pl.col("channel") == channel) & (pl.col("metric") == metric))
    d = d.filter(pl.col("detail") == "") if prefix is None else d.filter(pl.col("detail").str.starts_with(prefix))
    return d.group_by("draw").agg(fsum_agg("value")).sort("draw")["value"]


def _central_value(res: SpilloverResult, channel: str, metric: str, prefix: str | None) -> float | None:
    d = res.by_channel.filter((pl.col("channel") == channel) & (pl.col("metric") == metric))
    d = d.filter(pl.col("detail") == "") if prefix is None else d.filter(pl.col("detail").str.starts_with(prefix))
    return fsum(d["value"]) if d.height else None


def _band(res: SpilloverResult, channel: str, metric: str, prefix: str | None, f) -> tuple:
    c = _central_value(res, channel, metric, prefix)
    if c is None:
        return None, None, None
    v = _draw_values(res, channel, metric, prefix)
    if v.len() == 0:
        return f(c), None, None
    lo, hi = f(float(v.quantile(0.05, "linear"))), f(float(v.quantile(0.95, "linear")))
    arr = np.asarray(f(v.to_numpy().astype(float)), dtype=float)
    return f(c), min(lo, hi), max(lo, hi), (arr if arr.ndim == 1 else None)


def _fx_observed(fx: pl.DataFrame, cur: str, tgt: str, year: int, base: int) -> tuple[dict, str]:
    m = fx.filter((pl.col("frequency") == "monthly") & pl.col("currency").is_in([cur, tgt]))
    srcs = [s for s in sorted(m["source"].unique().to_list())
            if set(m.filter(pl.col("source") == s)["currency"].unique().to_list()) >= {cur, tgt}]
    if not srcs:
        return {}, ""
    w = m.filter(pl.col("source") == srcs[0]).pivot(on="currency", index="date", values="per_usd").sort("date")
    w = w.with_columns(dt=pl.col(tgt).log().diff(), dc=pl.col(cur).log().diff())
    yr = w.filter(pl.col("date").dt.year() == year).drop_nulls("dt")
    out: dict = {}
    if yr.height:
        shock = yr.sort("dt", descending=True).row(0, named=True)
        out["shock_date"] = shock["date"]
        out["shock_month"] = float(np.expm1(shock["dc"]))
        out["target_shock_month"] = float(np.expm1(shock["dt"]))
    mb = w.filter(pl.col("date").dt.year() == base)[cur].mean()
    mo = w.filter(pl.col("date").dt.year() == year)[cur].mean()
    if mb and mo:
        out["annual"] = float(mo / mb - 1.0)
    return out, srcs[0]


def _cpi_observed(prices: pl.DataFrame, country: str, year: int, base: int, shock_date) -> dict:
    p = prices.filter((pl.col("country") == country) & (pl.col("series") == "all") & (pl.col("measure") == "mom_index"))
    out: dict = {}
    basem = p.filter(pl.col("date").dt.year() == base)["value"]
    if shock_date is not None and basem.len():
        hit = p.filter(pl.col("date") == shock_date)["value"]
        if hit.len():
            out["shock_month"] = float(hit[0] - 100.0) - float((basem - 100.0).mean())

    from .channels.fx import decdec_inflation

    a, b = decdec_inflation(prices, country, year), decdec_inflation(prices, country, base)
    if a is not None and b is not None:
        out["decdec_excess"] = a - b
    return out


def _bt_row(indicator: str, unit: str, sim: tuple, obs: float | None, basis: str, control: str | None = None) -> dict:
    """One backtest row. ``sim`` is ``(central, p5, p95)`` or ``(central, p5, p95, draws)``; ``control`` names
    the counterfactual the row takes (:func:`tethers.scenario.counterfactual.apply_counterfactuals`), which
    needs the draws."""
    c, lo, hi, *rest = sim
    err = c - obs if c is not None and obs is not None and not np.isnan(c) else None
    return {"indicator": indicator, "unit": unit, "simulated": c, "p5": lo, "p95": hi, "observed": obs, "error": err,
            "basis": basis, "_control": control, "_draws": rest[0] if rest else None}
