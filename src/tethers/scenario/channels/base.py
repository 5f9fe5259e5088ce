"""The channel contract: a sanctions spec and a context of tidy tables → a tidy table of effects.

A channel is pure: it never opens the atlas. The engine builds one :class:`Context` per (third country,
base year) and calls ``run`` once per Monte Carlo draw with that draw's parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import polars as pl

from .. import spec as _spec

EFFECT_COLUMNS = {
    "channel": pl.Utf8,   # channel name
    "country": pl.Utf8,   # the third country studied (ISO3)
    "metric": pl.Utf8,    # e.g. trade_loss_usd, stranded_volume, cpi_impact
    "value": pl.Float64,  # the effect, in `unit`
    "unit": pl.Utf8,      # USD, share, Mt/y, pp, …
    "detail": pl.Utf8,    # optional breakdown key (partner, product, route …), "" for the headline
}


@dataclass(frozen=True)
class Param:
    """An uncertain parameter: a central value, a distribution for draws, and its source.

    ``dist`` is ``"fixed"``, ``"normal"`` (``a`` = sd), ``"uniform"`` (``a``, ``b`` = bounds) or
    ``"triangular"`` (``a``, ``b`` = bounds, mode = ``central``).
    """

    central: float
    dist: str = "fixed"
    a: float = 0.0
    b: float = 0.0
    source: str = ""

    def draw(self, rng: np.random.Generator) -> float:
        if self.dist == "fixed":
            return self.central
        if self.dist == "normal":
            return float(rng.normal(self.central, self.a))
        if self.dist == "uniform":
            return float(rng.uniform(self.a, self.b))
        if self.dist == "triangular":
            return float(rng.triangular(self.a, self.central, self.b))
        raise ValueError(self.dist)


@dataclass(frozen=True)
class Context:
    """Tidy inputs for one third country and base year (canonical atlas columns).

    Attributes
    ----------
    country : the third country studied (ISO3).
    base_year : the year whose data the shock is applied to.
    coalition, targets : ISO3 sets, groups expanded for ``base_year``.
    trade : canonical ``trade`` rows where the country is reporter or partner (all sources, all years
        the atlas has), plus coalition/target rows useful for mirror statistics.
    energy_flows, routes, fx, prices, io_summary : canonical tables (possibly empty).
    """

    country: str
    base_year: int
    coalition: frozenset[str]
    targets: frozenset[str]
    trade: pl.DataFrame
    energy_flows: pl.DataFrame
    routes: pl.DataFrame
    fx: pl.DataFrame
    prices: pl.DataFrame
    io_summary: pl.DataFrame
    extra: dict[str, pl.DataFrame] = field(default_factory=dict)


class Channel(Protocol):
    """One spillover channel."""

    name: str

    def parameters(self) -> dict[str, Param]:
        """The channel's uncertain parameters with defaults and their literature sources."""
        ...

    def run(self, spec: _spec.ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        """Effects for ``ctx.country`` under ``spec`` with one draw of ``params`` (EFFECT_COLUMNS)."""
        ...


def effects(rows: list[dict]) -> pl.DataFrame:
    """Build an effects frame with the canonical columns (``detail`` defaults to '')."""
    for r in rows:
        r.setdefault("detail", "")
    return pl.DataFrame(rows, schema=EFFECT_COLUMNS)
