"""The dimension contract, the one coverage rule, and the result types every command reads.

A *dimension* (trade, critical products, energy and transit, institutions, security, UN votes, currency) is
one module in :mod:`tethers.dimensions` holding one :class:`Dimension`. It knows

* ``read(atlas, country, years, poles)`` → a :class:`Reading`: the country's relations split over the poles,
  one value per ``(part, year, pole)`` (USD, bcm, counts or an index), **with the coverage of every
  (part, year)** decided by :func:`assess` — the one rule of this package;
* ``section(ctx)`` → a :class:`Section`: its figures for one pole (``tethers dependence``), whose pole
  shares and status come from the same :meth:`Dimension.read`.

``profile``, ``dependence``, ``balance``, ``compare``, the report, the dashboard and the options evaluator
iterate over :func:`tethers.dimensions.registered`, so a rule changed here changes everywhere.

The coverage rule
-----------------
A share is computed only from a partner set that covers at least :data:`MIN_COVERAGE` (95 %) of a total
known from an independent row — the reporter's world total (``WLD`` row) or a complete mirror. Otherwise the
(part, year) is ``partial`` ("partial (covers X % of SOURCE's total)") or ``coverage unknown`` (no
independent total), and only levels are shown, never shares. ``no data``: nothing in the atlas; ``n/a``: the
figure is undefined (e.g. a currency's co-movement with the dollar when rates are quoted per dollar).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from .. import countries
from ..atlas import queries_measures as qm
from ..atlas.store import Atlas
from ..errors import OptionError

Status = Literal["ok", "partial", "coverage unknown", "no data", "n/a"]
STATUSES: tuple[str, ...] = ("ok", "partial", "coverage unknown", "no data", "n/a")
MIN_COVERAGE = 0.95  # listed partners must add up to this share of the independent total for shares to be shown

METRIC_SCHEMA = {"metric": pl.Utf8, "label": pl.Utf8, "value": pl.Float64, "text": pl.Utf8, "unit": pl.Utf8,
                 "headline": pl.Boolean}
SOURCE_SCHEMA = {"table": pl.Utf8, "source": pl.Utf8, "file": pl.Utf8, "licence": pl.Utf8}
VALUE_SCHEMA = {"part": pl.Utf8, "year": pl.Int32, "pole": pl.Utf8, "value": pl.Float64}
COVERAGE_SCHEMA = {"part": pl.Utf8, "year": pl.Int32, "status": pl.Utf8, "coverage": pl.Float64,
                   "basis": pl.Utf8, "reason": pl.Utf8}


# ---------------------------------------------------------------------------------------------- coverage rule


@dataclass(frozen=True)
class Coverage:
    """How complete a partner set is: ``status``, ``share`` listed/reference (0–1, None when unknown) and a
    one-line ``text`` a reader sees ("partial (covers 12 % of eurostat's total)")."""

    status: Status
    share: float | None
    text: str

    def to_dict(self) -> dict:
        return {"status": self.status, "coverage": self.share, "text": self.text}


def assess(listed: float | None, reference: float | None, *, source: str, reference_label: str = "world total",
           minimum: float = MIN_COVERAGE) -> Coverage:
    """The coverage rule. ``listed``: the sum over the partners the atlas lists; ``reference``: an independent
    total (the reporter's world total, a complete mirror), None when there is none."""
    if listed is None or listed != listed:
        return Coverage("no data", None, "no data")
    if reference is None or reference != reference or reference <= 0:
        return Coverage("coverage unknown", None,
                        f"coverage unknown: {source} gives no {reference_label} to check its partner list against")
    share = listed / reference
    if share >= minimum:
        return Coverage("ok", share, f"complete (partners cover {100 * share:.1f} % of {source}'s {reference_label})")
    return Coverage("partial", share, f"partial (covers {100 * share:.1f} % of {source}'s {reference_label})")


def coverage_expr(listed: str = "listed", reference: str = "reference", source: str = "source",
                  label: str = "world total", minimum: float = MIN_COVERAGE) -> list[pl.Expr]:
    """:func:`assess` as Polars expressions (``status``, ``coverage``, ``reason``) for many rows at once."""
    share = pl.col(listed) / pl.col(reference)
    known = pl.col(reference).is_not_null() & (pl.col(reference) > 0)
    pct = (share * 100).round(1).cast(pl.Utf8)
    return [
        pl.when(pl.col(listed).is_null()).then(pl.lit("no data"))
        .when(~known).then(pl.lit("coverage unknown"))
        .when(share >= minimum).then(pl.lit("ok")).otherwise(pl.lit("partial")).alias("status"),
        pl.when(known).then(share).alias("coverage"),
        pl.when(pl.col(listed).is_null()).then(pl.lit("no data"))
        .when(~known).then(pl.concat_str(pl.lit("coverage unknown: "), pl.col(source),
                                         pl.lit(f" gives no {label} to check its partner list against")))
        .when(share >= minimum).then(pl.lit(""))
        .otherwise(pl.concat_str(pl.lit("partial (covers "), pct, pl.lit(" % of "), pl.col(source),
                                 pl.lit(f"'s {label})"))).alias("reason"),
    ]


def combine_status(statuses: Sequence[str]) -> Status:
    """One status for several parts: all ``ok`` → ok; all n/a → n/a; none with data → no data; else partial."""
    s = [x for x in statuses if x is not None]
    if not s:
        return "no data"
    if all(x == "ok" for x in s):
        return "ok"
    if all(x == "n/a" for x in s):
        return "n/a"
    if all(x in ("no data", "n/a") for x in s):
        return "no data"
    if all(x in ("coverage unknown", "no data", "n/a") for x in s):
        return "coverage unknown"
    return "partial"


# ---------------------------------------------------------------------------------------------- contract


@dataclass(frozen=True)
class Part:
    """One pole-split series of a dimension (``imports``, ``gas_exports``, ``un_votes`` …).

    ``additive``: the value is a level that adds up over partners (USD, bcm, counts), so a pole's share of the
    total means something; an index (UN agreement) is not additive and has no share.
    """

    id: str
    unit: str
    definition: str
    table: str
    additive: bool = True
    core: bool = False


@dataclass(frozen=True)
class Reading:
    """A dimension read for one country over years, split over the poles.

    Attributes
    ----------
    dimension : the dimension id.
    values : ``[part, year, pole, value]`` — levels (unit per :class:`Part`), ``ROW`` = the rest of the world
        where the part is additive; only rows the data supports (a gap is a missing row, never 0).
    coverage : ``[part, year, status, coverage, basis, reason]`` for every part × year asked for.
    sources : ``(table, source ids)`` pairs read.
    """

    dimension: str
    values: pl.DataFrame
    coverage: pl.DataFrame
    sources: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def shares(self, parts: Sequence[Part]) -> pl.DataFrame:
        """``[part, year, pole, value, share, status, coverage, basis, reason]``: ``share`` = value / Σ over the
        poles and ROW, **only where the coverage rule gives ``ok``** and the part is additive; null elsewhere."""
        additive = [p.id for p in parts if p.additive]
        v = self.values.with_columns(
            total=pl.col("value").sum().over("part", "year"))
        out = v.join(self.coverage, on=["part", "year"], how="left").with_columns(
            share=pl.when((pl.col("status") == "ok") & pl.col("part").is_in(additive) & (pl.col("total") > 0))
            .then(pl.col("value") / pl.col("total")))
        return out.select("part", "year", "pole", "value", "share", "status", "coverage", "basis", "reason").sort(
            "part", "year", "pole")

    def status(self, year: int, parts: Sequence[str] | None = None) -> Status:
        c = self.coverage.filter(pl.col("year") == year)
        if parts is not None:
            c = c.filter(pl.col("part").is_in(list(parts)))
        return combine_status(c["status"].to_list())

    def reason(self, year: int) -> str:
        c = self.coverage.filter((pl.col("year") == year) & (pl.col("status") != "ok"))
        return "; ".join(dict.fromkeys(r for r in c["reason"].to_list() if r))


@dataclass(frozen=True)
class Section:
    """One dimension of a dependence on one pole.

    Attributes
    ----------
    dimension : the dimension id (``trade``, ``critical``, ``energy``, ``institutions``, ``security``, ``votes``,
        ``fx`` or a registered one).
    status : one of :data:`STATUSES` (see the module docstring); the same the dimension's :class:`Reading` gives
        for the year.
    definition : the formula and units, in one paragraph.
    metrics : ``[metric, label, value, text, unit, headline]``: one row per figure; ``value`` is a number
        (shares in 0–1, money in current USD, counts), ``text`` a categorical value; ``headline`` marks the
        rows ``compare`` shows.
    detail : the rows behind the figures (partners, suppliers, organisations, ties …).
    sources : ``[table, source, file, licence]`` of the atlas loads read.
    reason : why the dimension is partial, missing or undefined ("" when ``ok``).
    coverage : the coverage line of the reading behind the pole shares ("" when not applicable).
    basis : what the figures are (source, reporter-declared or partner-reported mirror, definition).
    """

    dimension: str
    status: Status
    definition: str
    metrics: pl.DataFrame
    detail: pl.DataFrame
    sources: pl.DataFrame
    reason: str = ""
    coverage: str = ""
    basis: str = ""

    def value(self, metric: str) -> float | None:
        """The number of ``metric`` (None when absent)."""
        hit = self.metrics.filter(pl.col("metric") == metric)
        return hit["value"][0] if hit.height else None

    def text(self, metric: str) -> str | None:
        hit = self.metrics.filter(pl.col("metric") == metric)
        return hit["text"][0] if hit.height else None


@dataclass(frozen=True)
class Context:
    """What a dimension's :meth:`Dimension.section` needs: the atlas, the country, the pole and its members."""

    atlas: Atlas
    country: str
    on: str
    year: int
    members: tuple[str, ...]
    options: dict = field(default_factory=dict)


class Dimension:
    """The contract of a dimension module (subclass it; see CONTRIBUTING.md "Add a dimension").

    Class attributes: ``id``, ``label``, ``definition`` (formula and units, one paragraph), ``parts`` (the
    pole-split series :meth:`read` returns), ``table`` (the atlas table it mostly reads).
    """

    id: str = ""
    label: str = ""
    definition: str = ""
    parts: tuple[Part, ...] = ()

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        """The country's relations split over ``poles`` (ROW added for additive parts), every year in ``years``,
        with the coverage of each part × year."""
        raise NotImplementedError

    def section(self, ctx: Context) -> Section:
        """The figures on one pole (``tethers dependence``). Default: the pole's value and share of each part
        from :meth:`read` (so the rule and the numbers are those of every other command)."""
        return section_from_reading(self, ctx)


def section_from_reading(dim: Dimension, ctx: Context, *, extra: Sequence[dict] = (),
                         detail: pl.DataFrame | None = None) -> Section:
    """A :class:`Section` made of the pole's value and share per part, read through :meth:`Dimension.read`."""
    poles = standard_poles(ctx.on)
    reading = dim.read(ctx.atlas, ctx.country, (ctx.year, ctx.year), poles)
    sh = reading.shares(dim.parts).filter(pl.col("year") == ctx.year)
    rows = []
    for p in dim.parts:
        r = sh.filter((pl.col("part") == p.id) & (pl.col("pole") == ctx.on))
        if r.height == 0:
            continue
        rr = r.row(0, named=True)
        rows.append(metric(f"{p.id}_value", f"{p.id.replace('_', ' ')} with {ctx.on}", rr["value"], p.unit))
        if p.additive:
            rows.append(metric(f"{p.id}_share", f"share of {p.id.replace('_', ' ')} with {ctx.on}", rr["share"],
                               "share", headline=True))
    rows += list(extra)
    status = reading.status(ctx.year)
    sources = sources_frame(ctx.atlas, reading.sources)
    if not rows:
        return missing(dim.id, dim.definition, reading.reason(ctx.year) or f"no data for {ctx.year}",
                       status="n/a" if status == "n/a" else "no data", sources=sources)
    return Section(dim.id, status, dim.definition, metrics_frame(rows),
                   detail if detail is not None else sh, sources, reading.reason(ctx.year),
                   coverage=coverage_line(reading, ctx.year), basis=basis_line(reading, ctx.year))


def coverage_line(reading: Reading, year: int) -> str:
    c = reading.coverage.filter(pl.col("year") == year)
    parts = []
    for r in c.iter_rows(named=True):
        if r["coverage"] is not None:
            parts.append(f"{r['part']}: {r['coverage']:.1%} ({r['status']})")
        else:
            parts.append(f"{r['part']}: {r['status']}")
    return "; ".join(parts)


def basis_line(reading: Reading, year: int) -> str:
    c = reading.coverage.filter(pl.col("year") == year)
    return "; ".join(dict.fromkeys(b for b in c["basis"].to_list() if b))


# ---------------------------------------------------------------------------------------------- helpers


def json_safe(obj):
    """Replace float NaN and ±inf (not JSON) by None, recursively; everything else unchanged."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def resolve_pole(pole: str) -> str:
    """A pole id: ``EU27`` (also ``EU``), ``CASIA`` or the ISO3 of a state (any spelling ``resolve`` takes)."""
    up = str(pole).strip().upper()
    if up in ("EU27", "EU", "EUU"):
        return "EU27"
    if up in ("CASIA", "ROW"):
        if up == "ROW":
            raise OptionError("ROW is the residual, not a pole; choose one of RUS, CHN, EU27, USA, TUR, CASIA")
        return up
    iso3 = countries.try_resolve(pole)
    if iso3 is None:
        raise OptionError(
            f"unknown pole {pole!r}: choose one of RUS, CHN, EU27, USA, TUR, CASIA or give a country (ISO3, name)"
        )
    return iso3


def pole_label(pole: str) -> str:
    return countries.POLE_LABELS.get(pole) or countries.name(pole)


def pole_members(pole: str, year: int, *, country: str | None = None) -> tuple[str, ...]:
    return tuple(sorted(countries.pole_map(year, country=country, poles=[pole])))


def standard_poles(on: str) -> tuple[str, ...]:
    """The poles a reading is split over when one pole is asked for: the standard poles (so shares agree with
    ``profile`` and ``balance``), plus ``on`` when it is another state."""
    base = tuple(p for p in countries.POLE_ORDER if p != "ROW")
    return base if on in base else (on,)


def metric(metric: str, label: str, value: float | None = None, unit: str = "", text: str | None = None,
           headline: bool = False) -> dict:
    """One metric row (``value`` NaN → None)."""
    v = None if value is None or value != value else float(value)
    return {"metric": metric, "label": label, "value": v, "text": text, "unit": unit, "headline": headline}


def metrics_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=METRIC_SCHEMA)


def empty_sources() -> pl.DataFrame:
    return pl.DataFrame(schema=SOURCE_SCHEMA)


def missing(dimension: str, definition: str, reason: str, *, status: Status = "no data",
            detail: pl.DataFrame | None = None, sources: pl.DataFrame | None = None) -> Section:
    """A section without figures: ``status`` and the ``reason``."""
    return Section(dimension, status, definition, metrics_frame([]),
                   detail if detail is not None else pl.DataFrame(),
                   sources if sources is not None else empty_sources(), reason)


def sources_frame(atlas: Atlas, parts: Sequence[tuple[str, Sequence[str]]]) -> pl.DataFrame:
    """``[table, source, file, licence]`` provenance rows of the ``(table, source ids)`` read."""
    frames = [qm.provenance(atlas, table, list(srcs)) for table, srcs in parts if srcs]
    return pl.concat(frames, how="vertical").unique().sort("table", "source", "file") if frames else empty_sources()


def empty_values() -> pl.DataFrame:
    return pl.DataFrame(schema=VALUE_SCHEMA)


def empty_coverage() -> pl.DataFrame:
    return pl.DataFrame(schema=COVERAGE_SCHEMA)


def as_values(df: pl.DataFrame, part: str, value: str) -> pl.DataFrame:
    """``[part, year, pole, value]`` from a frame with ``year``, ``pole`` and ``value``."""
    return df.select(pl.lit(part).alias("part"), pl.col("year").cast(pl.Int32), "pole",
                     pl.col(value).cast(pl.Float64).alias("value"))


def coverage_rows(parts: Sequence[str], years: tuple[int, int], *, status: Status, reason: str = "",
                  basis: str = "", coverage: float | None = None) -> pl.DataFrame:
    """The same coverage for every part × year (e.g. ``no data`` with one reason)."""
    rows = [{"part": p, "year": y, "status": status, "coverage": coverage, "basis": basis, "reason": reason}
            for p in parts for y in range(years[0], years[1] + 1)]
    return pl.DataFrame(rows, schema=COVERAGE_SCHEMA)


def fill_coverage(cov: pl.DataFrame, parts: Sequence[str], years: tuple[int, int], reason: str) -> pl.DataFrame:
    """Complete ``cov`` to every part × year; the missing ones are ``no data`` with ``reason``."""
    grid = coverage_rows(parts, years, status="no data", reason=reason)
    have = cov.select(list(COVERAGE_SCHEMA)).cast(COVERAGE_SCHEMA)
    return pl.concat([have, grid.join(have.select("part", "year"), on=["part", "year"], how="anti")]).sort(
        "part", "year")


__all__ = [
    "MIN_COVERAGE", "STATUSES", "Status", "Coverage", "assess", "coverage_expr", "combine_status", "Part",
    "Reading", "Section", "Context", "Dimension", "section_from_reading", "json_safe", "resolve_pole", "pole_label",
    "pole_members", "standard_poles", "metric", "metrics_frame", "missing", "sources_frame",
]
