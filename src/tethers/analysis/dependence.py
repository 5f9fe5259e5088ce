"""One country's dependence on one pole, dimension by dimension — the figures behind ``tethers dependence``,
``tethers critical`` and ``tethers compare``.

Orchestration only: every dimension registered in :mod:`tethers.dimensions` gives its :class:`Section` for
the pole (its definition, its status under the one coverage rule of :mod:`tethers.dimensions.base`, the
reason when something is missing, and the provenance rows of the atlas tables it read). Nothing is filled
in: a figure the atlas cannot support is reported as missing with the reason, never as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from .. import countries
from .. import dimensions as registry
from ..atlas.store import Atlas
from ..dimensions.base import (
    Context,
    Section,
    Status,
    json_safe,
    metric,
    metrics_frame,
    pole_label,
    pole_members,
    resolve_pole,
)
from ..dimensions.critical import CriticalProducts, critical_dependencies
from ..dimensions.energy import energy_section
from ..dimensions.fx import FX_WINDOW, currency_of
from ..dimensions.institutions import authoritative_memberships
from ..errors import OptionError


def _dimension_ids() -> tuple[str, ...]:
    return tuple(d.id for d in registry.registered())


DIMENSIONS: tuple[str, ...] = registry.BUILTIN


@dataclass(frozen=True)
class Dependence:
    """Dependence of ``country`` on the pole ``on`` in ``year``, every dimension.

    Attributes
    ----------
    country, name : ISO3 and short name of the country.
    on, on_label : the pole id (``RUS``, ``CHN``, ``EU27``, ``USA``, ``TUR``, ``CASIA`` or any ISO3) and label.
    members : the pole's states in ``year`` (without ``country``).
    year : calendar year.
    sections : one :class:`Section` per registered dimension, in registry order.
    notes : caveats that concern several dimensions.
    """

    country: str
    name: str
    on: str
    on_label: str
    members: tuple[str, ...]
    year: int
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()

    def section(self, dimension: str) -> Section:
        for s in self.sections:
            if s.dimension == dimension:
                return s
        raise KeyError(dimension)

    def tidy(self) -> dict[str, pl.DataFrame]:
        """``metrics`` (all sections, long), ``sections`` (status, definition, reason), ``sources``, ``detail_<dim>``."""
        dim = lambda s, df: df.select(pl.lit(s.dimension).alias("dimension"), pl.all())  # noqa: E731
        out = {
            "metrics": pl.concat([dim(s, s.metrics) for s in self.sections], how="vertical"),
            "sections": pl.DataFrame(
                [{"dimension": s.dimension, "status": s.status, "definition": s.definition, "reason": s.reason,
                  "coverage": s.coverage, "basis": s.basis} for s in self.sections],
                schema={"dimension": pl.Utf8, "status": pl.Utf8, "definition": pl.Utf8, "reason": pl.Utf8,
                        "coverage": pl.Utf8, "basis": pl.Utf8}
            ),
            "sources": pl.concat([dim(s, s.sources) for s in self.sections], how="vertical"),
        }
        out.update({f"detail_{s.dimension}": s.detail for s in self.sections})
        return out

    def to_dict(self) -> dict:
        """JSON-ready (NaN and ±inf become null)."""
        return json_safe({
            "country": self.country, "name": self.name, "on": self.on, "on_label": self.on_label,
            "members": list(self.members), "year": self.year,
            "sections": [
                {"dimension": s.dimension, "status": s.status, "definition": s.definition, "reason": s.reason,
                 "coverage": s.coverage, "basis": s.basis, "metrics": s.metrics.to_dicts(), "detail": s.detail.to_dicts(), "sources": s.sources.to_dicts()}
                for s in self.sections
            ],
            "notes": list(self.notes),
        })




@dataclass(frozen=True)
class Comparison:
    """Several countries' dependence on one pole in one year, side by side.

    Attributes
    ----------
    table : ``[dimension, metric, label, unit, headline, country, value, text, status, reason]``, one row
        per metric and country; a country whose dimension has no data gets a row with null value, the
        section's status and its reason.
    balance : ``[country, dimension, balance, row_share]`` plus the ``composite`` rows: the balance index of
        each country in ``year`` (:mod:`tethers.analysis.balance`).
    dependences : the full :class:`Dependence` of each country.
    """

    year: int
    on: str
    on_label: str
    countries: tuple[str, ...]
    table: pl.DataFrame
    balance: pl.DataFrame
    dependences: tuple[Dependence, ...]

    def tidy(self) -> dict[str, pl.DataFrame]:
        return {"table": self.table, "balance": self.balance}

    def to_dict(self) -> dict:
        return json_safe({"year": self.year, "on": self.on, "on_label": self.on_label,
                          "countries": list(self.countries), "table": self.table.to_dicts(),
                          "balance": self.balance.to_dicts(), "dependences": [d.to_dict() for d in self.dependences]})



# ---------------------------------------------------------------------------------------------- entry points


def dependence(country: str, on: str = "RUS", year: int = 2021, *, atlas: Atlas | None = None,
               fx_window: int = FX_WINDOW) -> Dependence:
    """Every registered dimension of ``country``'s dependence on the pole ``on`` in ``year``."""
    from ..atlas.store import open_atlas

    iso3 = countries.resolve(country)
    pole = resolve_pole(on)
    if pole == iso3:
        raise OptionError(f"the country and the pole are the same ({iso3})")
    if fx_window < 2:
        raise OptionError(f"--fx-window must be at least 2 returns, got {fx_window}")
    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        ctx = Context(atlas, iso3, pole, year, pole_members(pole, year, country=iso3), {"fx_window": fx_window})
        with atlas.memo():  # several dimensions read the same rows (trade totals, routes, memberships)
            sections = tuple(dim.section(ctx) for dim in registry.registered())
        notes = []
        if not any(s.status in ("ok", "partial") for s in sections):
            notes.append(f"the atlas has no data on {iso3} and {pole} in {year}")
        return Dependence(iso3, countries.name(iso3), pole, pole_label(pole), ctx.members, year, sections,
                          tuple(notes))
    finally:
        if own:
            atlas.close()


def compare(countries_: Sequence[str], year: int = 2021, *, on: str = "RUS", atlas: Atlas | None = None,
            poles: Sequence[str] = countries.POLE_ORDER) -> Comparison:
    """:func:`dependence` of each country on ``on`` in ``year``, plus each one's balance index, side by side."""
    from ..atlas.store import open_atlas
    from .balance import balance_over_time

    isos = list(dict.fromkeys(countries.resolve(c) for c in countries_))
    if len(isos) < 2:
        raise OptionError("compare needs at least two different countries")
    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        deps = tuple(dependence(c, on, year, atlas=atlas) for c in isos)
        bal = [balance_over_time(c, year, year, atlas=atlas, poles=poles) for c in isos]
    finally:
        if own:
            atlas.close()
    table = pl.concat([_compare_rows(d) for d in deps], how="vertical")
    balance = pl.concat([b.snapshot(year) for b in bal], how="vertical")
    return Comparison(year, deps[0].on, deps[0].on_label, tuple(isos), table, balance, deps)


def _compare_rows(d: Dependence) -> pl.DataFrame:
    """All metrics of one country, plus one placeholder row per dimension without metrics (its reason)."""
    frames = []
    for s in d.sections:
        m = s.metrics
        if m.height == 0:
            m = metrics_frame([metric("—", "no data", None)])
        frames.append(m.select(
            pl.lit(s.dimension).alias("dimension"), "metric", "label", "unit", "headline",
            pl.lit(d.country).alias("country"), "value", "text", pl.lit(s.status).alias("status"),
            pl.lit(s.reason).alias("reason"),
        ))
    return pl.concat(frames, how="vertical")


__all__ = [
    "DIMENSIONS", "Section", "Status", "Dependence", "CriticalProducts", "Comparison", "dependence",
    "critical_dependencies", "compare", "energy_section", "resolve_pole", "pole_label", "pole_members",
    "currency_of", "authoritative_memberships", "json_safe",
]
