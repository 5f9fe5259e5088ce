"""The backtest's counterfactual: what changed, over the same years, for countries the scenario does not reach.

The channels simulate a scenario's *effect*. The backtest compares ``counterfactual ⊕ effect`` with what was
observed (:mod:`tethers.measures.control_group` for the arithmetic and the references): the counterfactual
is the median change of a **control group** observed on the same basis as the row —

* EU27 exports to a country: Eurostat EU27 exports to each control country (USD);
* consumer prices: each control country's CPI from one compilation (the World Bank's Global Database of
  Inflation, ``wb_inflation``), the same metric as the row (Dec/Dec change, the shock month's m/m excess).

The control group (:func:`control_group`) is every UN member state except the scenario's coalition and
targets, the hubs it excludes, the countries the backtest compares, the studied country, and every country
**exposed to the targets**: imports from them of at least :data:`EXPOSURE_THRESHOLD` of its total imports in
the latest IMF DOTS year up to the base year (reporter's own figures; a country without them is left out,
its exposure unknown). Exchange-rate rows get no counterfactual (a currency's own dollar rate has no
comparable control), nor does the studied country's own trade with the targets: its trade with the control
countries is itself moved by the scenario (what it stops buying from the targets it buys elsewhere; in 2022
Kazakhstan's imports from the control countries rose by a median 39 %), so it is no counterfactual. The
EU27 control is not untouched either — EU exporters who lost Russian sales may sell more elsewhere — but that
flow is small against EU27 exports to the control countries (docs/scenario.md §11). Everything here reads outcome-year data of *other* countries only; no parameter of any
channel is touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ..countries import un_members
from ..measures.control_group import ControlChange, combine, control_change

__all__ = ["EXPOSURE_THRESHOLD", "ControlGroup", "control_group", "eu27_control_from_rows",
           "cpi_controls", "apply_counterfactuals", "CPI_CONTROL_SOURCE"]

#: share of a country's imports coming from the targets from which it counts as exposed (not a control)
EXPOSURE_THRESHOLD = 0.10
#: the one compilation every control country's CPI is read from (same basis for all)
CPI_CONTROL_SOURCE = "wb_inflation"
_EXPOSURE_SOURCE = "imf_dots_xlsx"


@dataclass(frozen=True)
class ControlGroup:
    """Control countries and why the others are out: ``excluded`` maps a reason to the countries it removed."""

    units: tuple[str, ...]
    exposure_year: int | None
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def describe(self) -> str:
        out = ", ".join(f"{k} {len(v)}" for k, v in self.excluded.items() if v)
        return (f"{len(self.units)} UN member states (left out: {out}; exposed = imports from the targets "
                f"≥ {EXPOSURE_THRESHOLD:.0%} of imports, IMF DOTS {self.exposure_year})")


def _exposure(atlas, targets: frozenset[str], base_year: int) -> tuple[dict[str, float], int | None]:
    """Imports from the targets ÷ total imports per reporter, the latest DOTS year ≤ base with rows."""
    years = atlas.sql("SELECT DISTINCT year FROM trade WHERE source = ? AND classification = 'TOTAL' "
                      "AND flow = 'import' AND partner = 'WLD' AND year <= ? ORDER BY year DESC LIMIT 1",
                      [_EXPOSURE_SOURCE, base_year])["year"].to_list()
    if not years:
        return {}, None
    year = int(years[0])
    df = atlas.sql("SELECT reporter, partner, value_usd FROM trade WHERE source = ? AND classification = 'TOTAL' "
                   "AND flow = 'import' AND year = ? AND (partner = 'WLD' OR list_contains(?::VARCHAR[], partner))",
                   [_EXPOSURE_SOURCE, year, sorted(targets)])
    tot = df.filter(pl.col("partner") == "WLD").group_by("reporter").agg(pl.col("value_usd").sum().alias("tot"))
    frm = df.filter(pl.col("partner") != "WLD").group_by("reporter").agg(pl.col("value_usd").sum().alias("frm"))
    j = tot.join(frm, on="reporter", how="left").filter(pl.col("tot") > 0)
    return {r: (f or 0.0) / t for r, t, f in j.select("reporter", "tot", "frm").iter_rows()}, year


def control_group(atlas, *, coalition: frozenset[str], targets: frozenset[str], excluded_hubs: set[str],
                  compared: set[str], base_year: int) -> ControlGroup:
    """The control countries for a backtest from ``base_year`` (module docstring)."""
    members = set(un_members(base_year))
    share, year = _exposure(atlas, targets, base_year)
    reasons: dict[str, set[str]] = {
        "coalition": members & set(coalition), "targets": members & set(targets),
        "excluded hubs": members & set(excluded_hubs), "compared or studied": members & set(compared),
    }
    taken = set().union(*reasons.values())
    reasons["exposed"] = {c for c in members - taken if share.get(c, 0.0) >= EXPOSURE_THRESHOLD}
    reasons["exposure unknown"] = {c for c in members - taken if c not in share}
    out = members - set().union(*reasons.values())
    return ControlGroup(units=tuple(sorted(out)), exposure_year=year,
                        excluded={k: tuple(sorted(v)) for k, v in reasons.items()})


def _pairs(base: pl.DataFrame, outcome: pl.DataFrame, units: tuple[str, ...], key: str, value: str) -> pl.DataFrame:
    b = base.filter(pl.col(key).is_in(list(units))).group_by(key).agg(pl.col(value).sum().alias("b"))
    o = outcome.filter(pl.col(key).is_in(list(units))).group_by(key).agg(pl.col(value).sum().alias("o"))
    return b.join(o, on=key).filter((pl.col("b") > 0) & (pl.col("o") > 0)).sort(key)


def _change(pairs: pl.DataFrame, key: str, *, kind: str, draws: int, rng: np.random.Generator) -> ControlChange | None:
    if pairs.height == 0:
        return None
    return control_change(pairs[key].to_list(), pairs["b"].to_numpy(), pairs["o"].to_numpy(), kind=kind,
                          draws=draws, rng=rng)


def eu27_control_from_rows(eu: pl.DataFrame, group: ControlGroup, base_year: int, outcome_year: int, *,
                           draws: int, rng: np.random.Generator) -> ControlChange | None:
    """Growth of EU27 exports to each control country, base → outcome year, from ``[partner, year, value_usd]``
    rows (Eurostat ``EUU``, USD)."""
    p = _pairs(eu.filter(pl.col("year") == base_year), eu.filter(pl.col("year") == outcome_year), group.units,
               "partner", "value_usd")
    return _change(p, "partner", kind="growth", draws=draws, rng=rng)


def _decdec(levels: pl.DataFrame, year: int) -> pl.DataFrame:
    """``[country, v]``: Dec/Dec inflation of ``year`` in % from first-of-month index levels."""
    a = levels.filter(pl.col("date") == dt.date(year, 12, 1)).select("country", a="value")
    b = levels.filter(pl.col("date") == dt.date(year - 1, 12, 1)).select("country", b="value")
    return a.join(b, on="country").select("country", v=(pl.col("a") / pl.col("b") - 1.0) * 100.0)


def cpi_controls(prices: pl.DataFrame, group: ControlGroup, base_year: int, outcome_year: int,
                 shock_date: dt.date | None, *, draws: int, rng: np.random.Generator) -> dict[str, ControlChange]:
    """The control countries' change in the CPI rows' metrics (percentage points), from ``prices`` rows of one
    compilation: ``decdec_excess`` = Dec/Dec inflation of the outcome year minus the base year's;
    ``shock_month`` = the m/m change in the shock month minus the base year's mean m/m."""
    p = prices.filter(pl.col("country").is_in(list(group.units)) & (pl.col("series") == "all"))
    lv = p.filter(pl.col("measure") == "level")
    out: dict[str, ControlChange] = {}
    d0, d1 = _decdec(lv, base_year), _decdec(lv, outcome_year)
    j = d0.join(d1, on="country", suffix="_o").sort("country")
    if j.height:
        out["decdec_excess"] = control_change(j["country"].to_list(), j["v"].to_numpy(), j["v_o"].to_numpy(),
                                              kind="pp", draws=draws, rng=rng)
    if shock_date is not None:
        m = p.filter(pl.col("measure") == "mom_index")
        base_m = (m.filter(pl.col("date").dt.year() == base_year).group_by("country")
                  .agg(pl.len().alias("n"), (pl.col("value") - 100.0).mean().alias("b")).filter(pl.col("n") == 12))
        hit = m.filter(pl.col("date") == shock_date).select("country", o=pl.col("value") - 100.0)
        k = base_m.join(hit, on="country").sort("country")
        if k.height:
            out["shock_month"] = control_change(k["country"].to_list(), k["b"].to_numpy(), k["o"].to_numpy(),
                                                kind="pp", draws=draws, rng=rng)
    return out


def _fmt(c: ControlChange) -> str:
    if c.kind == "growth":
        agg = f", value-weighted {c.aggregate:+.1%}" if c.aggregate is not None else ""
        return f"median {c.median:+.1%} (mean {c.mean:+.1%}{agg}; quartiles {c.p25:+.1%} … {c.p75:+.1%})"
    return f"median {c.median:+.2f} pp (mean {c.mean:+.2f}; quartiles {c.p25:+.2f} … {c.p75:+.2f})"


def apply_counterfactuals(rows: list[dict], controls: dict[str, tuple[ControlChange, str]]) -> list[dict]:
    """Rows with ``effect`` (the channels' central value), ``counterfactual`` (the control group's median
    change) and ``simulated`` = counterfactual ⊕ effect, p5–p95 over the draws of both (the model's draw *i*
    with bootstrap replicate *i*); the error and the sign are the simulated figure's. A row without a
    ``_control`` key (or whose control group is missing) keeps its simulated figure as its effect. The private
    keys ``_control`` and ``_draws`` are dropped."""
    out = []
    for r in rows:
        r = dict(r)
        key, draws = r.pop("_control", None), r.pop("_draws", None)
        r["effect"], r["counterfactual"] = r["simulated"], None
        hit = controls.get(key) if key else None
        if hit is not None and r["simulated"] is not None and not np.isnan(r["simulated"]):
            cf, label = hit
            r["counterfactual"] = cf.median
            r["simulated"] = float(combine(r["effect"], cf.median, cf.kind))
            if draws is not None and len(draws) and len(cf.draws):
                n = min(len(draws), len(cf.draws))
                both = combine(np.asarray(draws, dtype=float)[:n], cf.draws[:n], cf.kind)
                both = both[~np.isnan(both)]
                if both.size:
                    r["p5"], r["p95"] = float(np.quantile(both, 0.05)), float(np.quantile(both, 0.95))
            r["error"] = r["simulated"] - r["observed"] if r["observed"] is not None else None
            r["basis"] = f"{r['basis']}; counterfactual: {label} {_fmt(cf)}"
        out.append(r)
    return out

