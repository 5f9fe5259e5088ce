r"""Evaluate options: the change each option, and each combination, makes to dependence, balance and spillover.

For a vector of levels :math:`\lambda` (option id → 0–1) the tables are transformed
(:func:`~tethers.options.counterfactual.apply_levels`) and re-measured exactly as ``tethers balance`` does:

* per dimension *d* and pole *P*, the value :math:`v_{dP}` (USD, counts …; :mod:`tethers.analysis.balance`)
  and the dependence :math:`s_{dP} = v_{dP} / \sum_Q v_{dQ}` (ROW included in the denominator);
* :math:`B_d = 1 - HHI^*` over the poles (:func:`tethers.measures.balance.balance_index`, ROW excluded) and the
  composite :math:`B_c` (:func:`tethers.measures.balance.composite`, weights as ``tethers balance``);
* optionally the spillover *S* of a sanctions scenario: the channels of :mod:`tethers.scenario.engine` run
  on the base-year context with the counterfactual ``trade`` and ``routes`` tables, the central estimate
  plus ``draws`` Monte Carlo draws with a fixed seed. *S* is the sum of the headline losses in USD listed
  in :data:`SPILLOVER_METRICS`.

The dimensions an option can change are recomputed from the tables (``imports``, ``exports``,
``minerals_imports``, ``arms_imports`` from ``trade``; ``institutions`` from ``memberships``), under the
coverage rule of :mod:`tethers.dimensions` (a part whose partners are not confirmed complete has no shares);
every other part of every registered dimension (gas, UN votes, security ties, add-ons) is taken once from
:func:`tethers.analysis.balance.balance_over_time` and held fixed. Every state is cached by its levels (spillover by the levels of the options that touch its tables).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from ..dimensions.base import json_safe
from ..errors import OptionError
from ..measures.exact import fsum, fsum_agg
from .counterfactual import Tables, apply_levels, shifted_usd
from .spec import OptionSet, SupplierShift

__all__ = ["Evaluator", "OptionsEvaluation", "State", "load_tables", "dimension_values", "balance_of",
           "evaluate_options", "SPILLOVER_METRICS", "Spillover"]

# headline USD losses summed into the spillover S (channel, metric); detail "" rows only
SPILLOVER_METRICS: tuple[tuple[str, str], ...] = (
    ("trade", "trade_loss_usd"), ("transit", "stranded_value_usd"), ("transit", "extra_cost_usd"))
# the balance parts an option can change, recomputed from the counterfactual tables; every other part of every
# registered dimension (gas, UN votes, security ties, an add-on dimension …) is held fixed at its balance value
TABLE_DRIVEN = ("imports", "exports", "minerals_imports", "arms_imports", "institutions")
VALUE_SCHEMA = {"dimension": pl.Utf8, "year": pl.Int32, "pole": pl.Utf8, "value": pl.Float64}


# ---------------------------------------------------------------------------------------------- pure measures


def _values(df: pl.DataFrame, dimension: str, value: str) -> pl.DataFrame:
    return df.select(pl.lit(dimension).alias("dimension"), pl.col("year").cast(pl.Int32), "pole",
                     pl.col(value).cast(pl.Float64).alias("value"))


def _institutions(tables: Tables, poles: Sequence[str], strategic: Sequence[str]) -> pl.DataFrame:
    """Strategic organisations shared with each pole in the year (as :mod:`tethers.analysis.balance`)."""
    from ..dimensions.institutions import authoritative_memberships
    from ..measures.trade import pole_membership

    y, c = tables.year, tables.country
    spells = authoritative_memberships(tables.memberships).filter(pl.col("organisation").is_in(list(strategic)))
    active = spells.filter((pl.col("joined") <= y) & (pl.col("left").is_null() | (pl.col("left") >= y)))
    mine = active.filter(pl.col("country") == c).select("organisation").unique()
    if mine.height == 0:
        return pl.DataFrame(schema=VALUE_SCHEMA)
    member = pole_membership([y], poles=[*poles, "ROW"]).drop("year")
    theirs = (active.filter(pl.col("country") != c).join(member, left_on="country", right_on="partner", how="inner")
              .select("organisation", "pole").unique())
    shared = mine.join(theirs, on="organisation").group_by("pole").agg(value=pl.len())
    out = pl.DataFrame({"pole": list(poles)}).join(shared, on="pole", how="left").with_columns(
        pl.col("value").fill_null(0), year=pl.lit(y))
    return _values(out, "institutions", "value")


def dimension_values(tables: Tables, *, poles: Sequence[str], strategic: Sequence[str]) -> pl.DataFrame:
    """``[dimension, year, pole, value]`` of the table-driven dimensions (imports, exports, minerals_imports,
    arms_imports, institutions) in ``tables.year``; a dimension without rows is absent (a gap, never 0)."""
    from ..measures.trade import pole_shares

    c, y = tables.country, tables.year
    t = tables.trade.filter((pl.col("reporter") == c) & (pl.col("year") == y))
    parts = []
    total = t.filter(pl.col("classification") == "TOTAL")
    if total.height:
        s = pole_shares(total, poles=list(poles), reporter=c)
        parts += [_values(s.filter(pl.col("flow") == f), f"{f}s", "value_usd") for f in ("import", "export")]
    for (cls, prod), dim in ((("MTN", "12"), "minerals_imports"), (("HS", "93"), "arms_imports")):
        rows = t.filter((pl.col("classification") == cls) & (pl.col("product") == prod) & (pl.col("flow") == "import"))
        if rows.height and not _complete(rows):  # the coverage rule of tethers.dimensions: no shares from a part
            continue
        if rows.height:
            s = pole_shares(rows, poles=list(poles), reporter=c, flow="import", product=prod)
            parts.append(_values(s, dim, "value_usd"))
    parts.append(_institutions(tables, poles, strategic))
    return pl.concat([p for p in parts if p.height], how="vertical") if any(p.height for p in parts) else \
        pl.DataFrame(schema=VALUE_SCHEMA)


def _complete(rows: pl.DataFrame) -> bool:
    """The coverage rule (:func:`tethers.dimensions.base.assess`) on one product's rows: partners ≥ 95 % of the
    source's world row."""
    from ..dimensions.base import assess

    world = rows.filter(pl.col("partner") == "WLD")["value_usd"]
    listed = fsum(rows.filter(pl.col("partner") != "WLD")["value_usd"])
    return assess(listed, fsum(world) if world.len() else None, source=str(rows["source"][0])).status == "ok"


def balance_of(values: pl.DataFrame, *, poles: Sequence[str], weights: Mapping[str, float]) -> tuple[pl.DataFrame, float]:
    """``([dimension, balance, row_share], composite)`` with the functions of ``tethers balance``."""
    from ..measures.balance import balance_index, composite

    idx = balance_index(values, poles=poles, value="value", by=["dimension", "year"]).with_columns(
        pl.col("balance").fill_nan(None), pl.col("row_share").fill_nan(None))
    present = idx.filter(pl.col("balance").is_not_null())
    comp = float("nan")
    if present.height:
        c = composite(present.select("dimension", "year", "balance"), weights=dict(weights), by=["year"])
        comp = float(c["balance"][0])
    return idx.select("dimension", "balance", "row_share"), comp


def dependence_shares(values: pl.DataFrame) -> pl.DataFrame:
    """``[dimension, pole, share]``: :math:`s_{dP} = v_{dP}/\\sum_Q v_{dQ}` (ROW in the denominator; NaN if 0)."""
    tot = fsum_agg("value").over("dimension")
    return values.select("dimension", "pole", share=pl.when(tot > 0).then(pl.col("value") / tot).otherwise(float("nan")))


# ---------------------------------------------------------------------------------------------- loading


def load_tables(atlas, country: str, year: int) -> Tables:
    """The base tables from the atlas: the country's reported trade of ``year`` (TOTAL rows of one source, partial
    extracts dropped, as ``tethers balance``; product import rows of one source per product), every membership
    spell, the routes table."""
    from ..atlas import queries
    from ..atlas import queries_measures as qm
    from ..dimensions.trade import best_rows, reported_rows

    rows, chosen = best_rows(reported_rows(atlas, country, (year, year)))
    ok = chosen.filter(pl.col("status") == "ok").select("year", "flow", "source")
    totals = rows.join(ok, on=["year", "flow", "source"], how="semi")  # the coverage rule: complete sets only
    products = qm.product_trade(atlas, country, years=(year, year), flow="import")
    trade = pl.concat([totals, products.select(totals.columns).cast(totals.schema)], how="vertical")
    return Tables(country, int(year), trade, queries.memberships(atlas), atlas.table("routes"))


# ---------------------------------------------------------------------------------------------- spillover


class Spillover:
    """The channels of the scenario engine run on a counterfactual context (central estimate + draws)."""

    def __init__(self, spec, ctx, *, draws: int = 20, seed: int = 20220224, channels: Sequence[str] | None = None):
        from ..scenario import engine

        self.spec, self.ctx, self.draws, self.seed, self.channels = spec, ctx, int(draws), int(seed), channels
        _, notes = engine.load_channels(channels)
        self.notes = tuple(notes)

    def run(self, trade: pl.DataFrame, routes: pl.DataFrame) -> dict:
        """``{"value", "p5", "p95", "by_channel"}``: S central and over the draws, and the central effects."""
        from ..scenario import engine

        ctx = replace(self.ctx, trade=trade, routes=routes)
        res = engine.simulate_context(self.spec, ctx, draws=self.draws, seed=self.seed, channels=self.channels)
        per_draw = _headline(res.draws, by=["draw"])
        p5 = float(np.percentile(per_draw, 5)) if len(per_draw) else float("nan")
        p95 = float(np.percentile(per_draw, 95)) if len(per_draw) else float("nan")
        return {"value": float(_headline(res.by_channel, by=[])[0]), "p5": p5, "p95": p95, "by_channel": res.by_channel}


def _headline(effects: pl.DataFrame, *, by: list[str]) -> np.ndarray:
    keep = pl.any_horizontal([(pl.col("channel") == c) & (pl.col("metric") == m) for c, m in SPILLOVER_METRICS])
    rows = effects.filter(keep & (pl.col("detail") == ""))
    if not by:
        return np.array([fsum(rows["value"].fill_nan(0.0))])
    return rows.group_by(by).agg(fsum_agg(pl.col("value").fill_nan(0.0))).sort(by)["value"].to_numpy()


# ---------------------------------------------------------------------------------------------- evaluator


@dataclass(frozen=True)
class State:
    """One evaluated set of levels.

    Attributes
    ----------
    levels : option id → level (only positive levels).
    values : ``[dimension, year, pole, value]`` (table-driven and fixed dimensions).
    balance : ``[dimension, balance, row_share]``; composite : :math:`B_c`.
    dependence : ``[dimension, pole, share]``.
    spillover : S in USD (None without a scenario); spillover_p5, spillover_p95 over the draws.
    cost_usd, cost_low, cost_high : money cost (central and range; sourced costs have low = high = central).
    """

    levels: dict[str, float]
    values: pl.DataFrame
    balance: pl.DataFrame
    composite: float
    dependence: pl.DataFrame
    spillover: float | None
    spillover_p5: float | None
    spillover_p95: float | None
    cost_usd: float
    cost_low: float
    cost_high: float


class Evaluator:
    """Holds the base tables and evaluates any levels exactly, with a cache (see the module docstring)."""

    def __init__(self, options: OptionSet, tables: Tables, *, fixed_values: pl.DataFrame | None = None,
                 poles: Sequence[str] | None = None, weights: Mapping[str, float] | None = None,
                 spillover: Spillover | None = None):
        from ..analysis.balance import parse_poles, parse_weights
        from ..measures.institutions import AUTHORITATIVE

        self.options = options
        self.by_id = {o.id: o for o in options.options}
        self.ids = tuple(sorted(self.by_id))  # canonical order: listing order never matters
        self.tables = tables
        self.poles = tuple(p for p in parse_poles(poles) if p != tables.country)
        self.weights = parse_weights(weights)
        self.fixed = fixed_values if fixed_values is not None else pl.DataFrame(schema=VALUE_SCHEMA)
        self.strategic = tuple(sorted(set(tables.memberships.filter(pl.col("source") == AUTHORITATIVE)
                                          ["organisation"].to_list())))
        self.spill = spillover
        self._cache: dict[tuple, State] = {}
        self._spill_cache: dict[tuple, dict] = {}
        self.full_cost = {oid: self._full_cost(o) for oid, o in self.by_id.items()}

    # costs are linear in the level: cost(x) = x · cost(1)
    def _full_cost(self, o) -> tuple[float, float, float]:
        c = o.cost
        lo = c.low if c.low is not None else c.central
        hi = c.high if c.high is not None else c.central
        if isinstance(o, SupplierShift):
            usd = shifted_usd(self.tables.trade, reporter=self.tables.country, year=self.tables.year,
                              products=o.products, supplier=o.supplier, share=o.share)
            return c.central * usd, lo * usd, hi * usd
        return c.central, lo, hi

    def key(self, levels: Mapping[str, float]) -> tuple:
        unknown = sorted(set(levels) - set(self.by_id))
        if unknown:
            raise OptionError(f"unknown option id(s) {', '.join(unknown)}; options: {', '.join(self.ids)}")
        return tuple((k, round(float(levels[k]), 9)) for k in sorted(levels) if levels[k] > 0)

    def cost(self, levels: Mapping[str, float]) -> tuple[float, float, float]:
        k = self.key(levels)
        return tuple(sum(x * self.full_cost[i][j] for i, x in k) for j in range(3))  # type: ignore[return-value]

    def state(self, levels: Mapping[str, float]) -> State:
        k = self.key(levels)
        if k in self._cache:
            return self._cache[k]
        lv = dict(k)
        t = apply_levels(self.tables, self.options.options, lv, kinds=("supplier_shift", "neighbour_trade", "membership"))
        vals = pl.concat([dimension_values(t, poles=self.poles, strategic=self.strategic), self.fixed], how="vertical")
        bal, comp = balance_of(vals, poles=self.poles, weights=self.weights)
        sp = self._spillover(lv)
        cost = self.cost(lv)
        st = State(lv, vals, bal, comp, dependence_shares(vals), sp and sp["value"], sp and sp["p5"],
                   sp and sp["p95"], *cost)
        self._cache[k] = st
        return st

    def _spillover(self, levels: dict[str, float]) -> dict | None:
        if self.spill is None:
            return None
        touching = {k: v for k, v in levels.items() if self.by_id[k].type != "membership"}
        k = tuple(sorted(touching.items()))
        if k not in self._spill_cache:
            ctx = self.spill.ctx
            base = Tables(self.tables.country, self.tables.year, ctx.trade, self.tables.memberships, ctx.routes)
            t = apply_levels(base, self.options.options, touching, kinds=("supplier_shift", "neighbour_trade",
                                                                          "route_capacity"))
            self._spill_cache[k] = self.spill.run(t.trade, t.routes)
        return self._spill_cache[k]

    def objective(self, levels: Mapping[str, float], objective: str = "balance") -> float:
        """The value to maximise: :math:`B_c` (``balance``) or :math:`-S` (``spillover``)."""
        st = self.state(levels)
        if objective == "balance":
            return st.composite
        if objective == "spillover":
            if st.spillover is None:
                raise OptionError("objective 'spillover' needs a scenario (--scenario FILE)")
            return -st.spillover
        raise OptionError(f"objective {objective!r} is not allowed; choose one of: 'balance', 'spillover'")


# ---------------------------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class OptionsEvaluation:
    """Per option and combination: changes in dependence, balance and spillover, and cost.

    Attributes
    ----------
    country, base_year, name : the options file's country, year and name; scenario : the scenario's name or None.
    options : ``[option, type, label, divisible, cost_usd, cost_low, cost_high, cost_basis, cost_source, cost_note]``
        (costs at level 1, USD).
    sets : ``[set, options, n_options, cost_usd, cost_low, cost_high, composite_base, composite, delta_composite,
        spillover_base, spillover, delta_spillover, spillover_p5, spillover_p95]`` (S in USD; null without scenario).
    balance : ``[set, dimension, balance_base, balance, delta]`` (``composite`` included).
    dependence : ``[set, dimension, pole, share_base, share, delta]`` (shares 0–1, ROW included).
    notes : caveats.
    """

    country: str
    base_year: int
    name: str
    scenario: str | None
    options: pl.DataFrame
    sets: pl.DataFrame
    balance: pl.DataFrame
    dependence: pl.DataFrame
    notes: tuple[str, ...] = ()

    def tidy(self) -> dict[str, pl.DataFrame]:
        return {"options": self.options, "sets": self.sets, "balance": self.balance, "dependence": self.dependence}

    def to_dict(self) -> dict:
        return json_safe({"country": self.country, "base_year": self.base_year, "name": self.name,
                          "scenario": self.scenario, **{k: v.to_dicts() for k, v in self.tidy().items()},
                          "notes": list(self.notes)})


def set_name(levels: Mapping[str, float]) -> str:
    parts = [k if v == 1 else f"{k}@{v:.2f}" for k, v in sorted(levels.items()) if v > 0]
    return "+".join(parts) or "(none)"


def _sets(ids: Sequence[str], combos: str) -> list[dict[str, float]]:
    singles = [{i: 1.0} for i in ids]
    if combos == "none":
        return singles
    if combos == "pairs":
        return [*singles, *({a: 1.0, b: 1.0} for a, b in itertools.combinations(ids, 2)),
                *([dict.fromkeys(ids, 1.0)] if len(ids) > 2 else [])]
    if combos == "all":
        if len(ids) > 10:
            raise OptionError(f"combos='all' enumerates 2^{len(ids)} sets; use 'pairs' above 10 options")
        return [dict.fromkeys(c, 1.0) for r in range(1, len(ids) + 1) for c in itertools.combinations(ids, r)]
    raise OptionError(f"combos={combos!r} is not allowed; choose one of: 'none', 'pairs', 'all'")


def evaluate_options(ev: Evaluator, *, combos: str = "pairs", scenario: str | None = None) -> OptionsEvaluation:
    """Evaluate every option at level 1 and the combinations ``combos`` (``pairs`` adds every pair and all options
    together; ``all`` every subset) against the base state."""
    base = ev.state({})
    rows, bal, dep = [], [], []
    for lv in _sets(ev.ids, combos):
        st = ev.state(lv)
        name = set_name(lv)
        sp = None if st.spillover is None else st.spillover - base.spillover  # type: ignore[operator]
        rows.append({"set": name, "options": ",".join(sorted(lv)), "n_options": len(lv), "cost_usd": st.cost_usd,
                     "cost_low": st.cost_low, "cost_high": st.cost_high, "composite_base": base.composite,
                     "composite": st.composite, "delta_composite": st.composite - base.composite,
                     "spillover_base": base.spillover, "spillover": st.spillover, "delta_spillover": sp,
                     "spillover_p5": st.spillover_p5, "spillover_p95": st.spillover_p95})
        b = base.balance.join(st.balance, on="dimension", how="full", coalesce=True, suffix="_new").select(
            pl.lit(name).alias("set"), "dimension", balance_base="balance", balance="balance_new")
        bal.append(pl.concat([b, pl.DataFrame({"set": [name], "dimension": ["composite"],
                                               "balance_base": [base.composite], "balance": [st.composite]})]))
        d = base.dependence.join(st.dependence, on=["dimension", "pole"], how="full", coalesce=True,
                                 suffix="_new").select(pl.lit(name).alias("set"), "dimension", "pole",
                                                       share_base="share", share="share_new")
        dep.append(d)
    sets_schema = {"set": pl.Utf8, "options": pl.Utf8, "n_options": pl.Int64, "cost_usd": pl.Float64,
                   "cost_low": pl.Float64, "cost_high": pl.Float64, "composite_base": pl.Float64,
                   "composite": pl.Float64, "delta_composite": pl.Float64, "spillover_base": pl.Float64,
                   "spillover": pl.Float64, "delta_spillover": pl.Float64, "spillover_p5": pl.Float64,
                   "spillover_p95": pl.Float64}
    balance = pl.concat(bal).with_columns(delta=pl.col("balance") - pl.col("balance_base"))
    dependence = pl.concat(dep).with_columns(delta=pl.col("share") - pl.col("share_base"))
    return OptionsEvaluation(ev.tables.country, ev.tables.year, ev.options.name, scenario, options_table(ev),
                             pl.DataFrame(rows, schema=sets_schema), balance, dependence, _notes(ev))


def options_table(ev: Evaluator) -> pl.DataFrame:
    rows = []
    for oid in ev.ids:
        o = ev.by_id[oid]
        c, lo, hi = ev.full_cost[oid]
        rows.append({"option": oid, "type": o.type, "label": o.label or oid, "divisible": o.divisible, "cost_usd": c,
                     "cost_low": lo, "cost_high": hi, "cost_basis": o.cost.basis, "cost_source": o.cost.source,
                     "cost_note": o.cost.note})
    return pl.DataFrame(rows, schema={"option": pl.Utf8, "type": pl.Utf8, "label": pl.Utf8, "divisible": pl.Boolean,
                                      "cost_usd": pl.Float64, "cost_low": pl.Float64, "cost_high": pl.Float64,
                                      "cost_basis": pl.Utf8, "cost_source": pl.Utf8, "cost_note": pl.Utf8})


def _notes(ev: Evaluator) -> tuple[str, ...]:
    out = []
    assumed = [i for i in ev.ids if ev.by_id[i].cost.basis == "assumption"]
    if assumed:
        out.append(f"costs of {', '.join(assumed)} are stated assumption ranges, not sourced figures")
    if any(ev.by_id[i].cost.basis == "none" for i in ev.ids):
        out.append("membership options carry no money cost; their political cost is not modelled")
    if ev.spill is not None:
        out.append(f"spillover S = sum of {', '.join(f'{c}.{m}' for c, m in SPILLOVER_METRICS)} (USD), central "
                   f"estimate; p5–p95 over {ev.spill.draws} draws (seed {ev.spill.seed})")
        out.extend(ev.spill.notes)
    return tuple(out)


def build_evaluator(options: OptionSet, *, atlas, country: str | None = None, base_year: int | None = None,
                    scenario=None, draws: int = 20, seed: int = 20220224, poles=None, weights=None) -> Evaluator:
    """An :class:`Evaluator` for ``options`` on ``country`` (default the file's) and ``base_year`` from the atlas."""
    from ..analysis.balance import balance_over_time
    from ..countries import resolve

    iso3 = resolve(country) if country else options.country
    year = int(base_year if base_year is not None else options.base_year)
    tables = load_tables(atlas, iso3, year)
    bot = balance_over_time(iso3, year, year, atlas=atlas, poles=poles, weights=weights)
    fixed = bot.values.filter(~pl.col("dimension").is_in(list(TABLE_DRIVEN))).select(*VALUE_SCHEMA)
    spill = None
    if scenario is not None:
        from ..scenario.engine import build_context

        spill = Spillover(scenario, build_context(atlas, scenario, iso3, year), draws=draws, seed=seed)
    return Evaluator(options, tables, fixed_values=fixed, poles=bot.poles, weights=bot.weights, spillover=spill)
