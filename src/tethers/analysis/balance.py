"""The multi-vector balance index of one country per dimension and year — the figures behind ``tethers balance``.

For each dimension *d* and year *t* the country's relations are split over the poles (values
:math:`v_{dPt}`: trade in USD, gas in bcm, agreement indices, counts of organisations or ties), and
:func:`tethers.measures.balance.balance_index` gives :math:`B_{dt} = 1 - HHI^{*}` over the *K* poles (ROW
excluded and reported as ``row_share``). :func:`~tethers.measures.balance.composite` averages the
dimensions with weights, over the dimensions available that year, and
:func:`~tethers.measures.balance.decompose_change` splits each dimension's change between its first and
last year with data into pole contributions.

Every dimension is built for all years at once (one query, one ``group_by``); no Python loop runs over
years. A dimension without data in a year is missing (null) — a gap, never 0.

Dimensions (values per pole P and year t)
-----------------------------------------
``imports`` / ``exports``   total goods trade with P's states, USD (``trade`` TOTAL rows, own statistics first).
``minerals_imports``       imports of minerals and metals (WTO MTN 12) from P, USD (importer-reported).
``arms_imports``           imports of arms and ammunition (HS 93) from P, USD (importer-reported).
``gas_exports`` / ``gas_imports``  natural gas traded with P, bcm (``energy_flows``).
``un_votes``               UNGA agreement index with P (mean over P's members): the balance of *agreement*
                           levels, i.e. how evenly the country's votes agree with each pole (1 = equally close
                           to all).
``institutions``           number of strategic organisations (those of the hand-kept table) shared with P.
``security_ties``          number of facilities, leases, deployments, exercises, agreements of P active in t.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from .. import countries
from .. import dimensions as registry
from ..atlas import queries_measures as qm
from ..atlas.store import Atlas
from ..dimensions.base import json_safe, resolve_pole
from ..errors import OptionError

CORE_PARTS: tuple[str, ...] = ("imports", "exports")  # without both, the composite is "insufficient"
VALUE_SCHEMA = {"dimension": pl.Utf8, "year": pl.Int32, "pole": pl.Utf8, "value": pl.Float64}


def balance_dimensions() -> tuple[str, ...]:
    """The balance index's dimensions: every pole-split part of every registered dimension, in order."""
    return tuple(p.id for _d, p in registry.parts())


def _meta(attr: str) -> dict[str, str]:
    return {p.id: getattr(p, attr) for _d, p in registry.parts()}


DIMENSIONS: tuple[str, ...] = ("imports", "exports", "minerals_imports", "arms_imports", "gas_exports", "gas_imports",
                               "un_votes", "institutions", "security_ties")  # the built-in parts


@dataclass(frozen=True)
class BalanceOverTime:
    """Balance index of ``country`` per dimension and year, the composite, and the pole decomposition.

    Attributes
    ----------
    country, name : ISO3 and name.
    start, end : the years covered (inclusive).
    poles : the *K* poles (ROW excluded from the index, reported as ``row_share``).
    weights : dimension → composite weight.
    values : ``[dimension, year, pole, value]``: the inputs, only (dimension, year) cells the coverage rule
        passes (unit per dimension in ``dimensions``).
    by_dimension : ``[dimension, year, k, row_share, hhi, balance, entropy, status]`` on the full dimensions ×
        years grid; null where the dimension has no data that year (a gap, never 0), ``status`` says why
        (:data:`tethers.dimensions.base.STATUSES`). Balance in [0, 1].
    composite : ``[year, balance, n_dimensions, weight_covered, dimensions_present, status, reason]``: the
        weighted mean over the dimensions present, ``n_dimensions`` it rests on and their names
        (``dimensions_present``, comma-separated in the registry's order); ``status`` ``insufficient`` (balance null) in a year
        whose core dimensions (imports and exports) are not both present; ``weight_covered`` = share of the
        total weight available that year.
    decomposition : ``[dimension, start, end, pole, share_start, share_end, delta_share, contribution]``: each
        dimension's change between its first and last year with data; contributions add up to ΔB.
    dimensions : ``[dimension, table, unit, definition, first_year, last_year, years_with_data, reason]``.
    sources : ``[table, source, file, licence]``.
    """

    country: str
    name: str
    start: int
    end: int
    poles: tuple[str, ...]
    weights: dict[str, float]
    values: pl.DataFrame
    by_dimension: pl.DataFrame
    composite: pl.DataFrame
    decomposition: pl.DataFrame
    dimensions: pl.DataFrame
    sources: pl.DataFrame
    notes: tuple[str, ...] = ()

    def movers(self) -> pl.DataFrame:
        """Per dimension: the pole whose (renormalised) share rose most and the one that fell most, and ΔB.

        ``[dimension, start, end, delta_balance, gained, gained_delta, lost, lost_delta]``; an ``overall`` row
        gives the weighted mean change of each pole's share across dimensions (each over its own years).
        """
        d = self.decomposition
        if d.height == 0:
            return pl.DataFrame(schema={"dimension": pl.Utf8, "start": pl.Int32, "end": pl.Int32,
                                        "delta_balance": pl.Float64, "gained": pl.Utf8, "gained_delta": pl.Float64,
                                        "lost": pl.Utf8, "lost_delta": pl.Float64})
        tiny = 1e-12  # no pole moved: nobody gained or lost
        per = d.group_by("dimension", "start", "end").agg(
            delta_balance=pl.col("contribution").sum(),
            gained=pl.when(pl.col("delta_share").max() > tiny).then(pl.col("pole").sort_by("delta_share").last()),
            gained_delta=pl.col("delta_share").max(),
            lost=pl.when(pl.col("delta_share").min() < -tiny).then(pl.col("pole").sort_by("delta_share").first()),
            lost_delta=pl.col("delta_share").min(),
        )
        w = pl.col("dimension").replace_strict(self.weights, default=0.0, return_dtype=pl.Float64)
        overall = (
            d.with_columns(_w=w).group_by("pole")
            .agg(delta=(pl.col("delta_share") * pl.col("_w")).sum() / pl.col("_w").sum())
            .filter(pl.col("delta").is_not_nan())
        )
        order = {k: i for i, k in enumerate(balance_dimensions())}
        per = per.with_columns(_o=pl.col("dimension").replace_strict(order, default=99)).sort("_o").drop("_o")
        if overall.height:
            top, bottom = overall.sort("delta").row(-1, named=True), overall.sort("delta").row(0, named=True)
            per = pl.concat([per, pl.DataFrame([{
                "dimension": "overall", "start": self.start, "end": self.end, "delta_balance": None,
                "gained": top["pole"], "gained_delta": top["delta"], "lost": bottom["pole"], "lost_delta": bottom["delta"],
            }], schema=per.schema)])
        return per

    def snapshot(self, year: int) -> pl.DataFrame:
        """``[country, dimension, balance, row_share, n_dimensions, status]`` for one year, the ``composite`` row last
        (``n_dimensions``: dimensions behind the composite; 1 or 0 on a dimension's own row)."""
        b = self.by_dimension.filter(pl.col("year") == year).select(
            pl.lit(self.country).alias("country"), "dimension", "balance", "row_share",
            n_dimensions=pl.col("balance").is_not_null().cast(pl.UInt32), status=pl.col("status"))
        c = self.composite.filter(pl.col("year") == year).select(
            pl.lit(self.country).alias("country"), pl.lit("composite").alias("dimension"), "balance",
            pl.lit(None, pl.Float64).alias("row_share"), pl.col("n_dimensions").cast(pl.UInt32), "status")
        return pl.concat([b, c], how="vertical")

    def tidy(self) -> dict[str, pl.DataFrame]:
        return {"by_dimension": self.by_dimension, "composite": self.composite, "values": self.values,
                "decomposition": self.decomposition, "movers": self.movers(), "dimensions": self.dimensions,
                "sources": self.sources}

    def to_dict(self) -> dict:
        """JSON-ready (NaN becomes null)."""
        return json_safe({
            "country": self.country, "name": self.name, "from": self.start, "to": self.end, "poles": list(self.poles),
            "weights": self.weights, "dimensions": self.dimensions.to_dicts(),
            "by_dimension": self.by_dimension.to_dicts(), "composite": self.composite.to_dicts(),
            "decomposition": self.decomposition.to_dicts(), "movers": self.movers().to_dicts(),
            "values": self.values.to_dicts(), "sources": self.sources.to_dicts(), "notes": list(self.notes),
        })


# ---------------------------------------------------------------------------------------------- entry point


def parse_poles(poles: Sequence[str] | str | None) -> tuple[str, ...]:
    """``"RUS,CHN,EU27"`` or a list → pole ids (validated; ROW dropped; at least two)."""
    if poles is None:
        return tuple(p for p in countries.POLE_ORDER if p != "ROW")
    items = poles.split(",") if isinstance(poles, str) else [x for p in poles for x in str(p).split(",")]
    ids = tuple(dict.fromkeys(resolve_pole(p) for p in items if p.strip() and p.strip().upper() != "ROW"))
    if len(ids) < 2:
        raise OptionError(f"the balance index needs at least two poles, got {', '.join(ids) or 'none'}")
    return ids


def parse_weights(weights: Mapping[str, float] | Sequence[str] | None) -> dict[str, float]:
    """Composite weights: default 1 for every dimension; ``["imports=2", …]`` or a mapping overrides."""
    dims = balance_dimensions()
    out = dict.fromkeys(dims, 1.0)
    if not weights:
        return out
    items = weights.items() if isinstance(weights, Mapping) else [_split_weight(w) for w in weights]
    for dim, w in items:
        if dim not in out:
            raise OptionError(f"unknown dimension {dim!r} in weights; dimensions: {', '.join(dims)}")
        if not w >= 0:
            raise OptionError(f"weight of {dim} must be ≥ 0, got {w}")
        out[dim] = float(w)
    if sum(out.values()) <= 0:
        raise OptionError("at least one weight must be positive")
    return out


def _split_weight(text: str) -> tuple[str, float]:
    dim, sep, w = str(text).partition("=")
    try:
        return dim.strip(), float(w)
    except ValueError:
        raise OptionError(f"weight {text!r} is not DIMENSION=NUMBER (e.g. imports=2)") from None


def balance_over_time(
    country: str,
    start: int = 2000,
    end: int = 2022,
    *,
    atlas: Atlas | None = None,
    poles: Sequence[str] | str | None = None,
    weights: Mapping[str, float] | Sequence[str] | None = None,
) -> BalanceOverTime:
    """Balance index of ``country`` per dimension and year ``start``–``end``, the composite and decomposition."""
    from ..atlas.store import open_atlas
    from ..measures.balance import balance_index, composite

    iso3 = countries.resolve(country)
    if start > end:
        raise OptionError(f"--from {start} is after --to {end}")
    pole_ids = parse_poles(poles)
    notes_in: list[str] = []
    if iso3 in pole_ids:  # a country is not a pole of its own balance: its share would be structurally 0
        pole_ids = tuple(p for p in pole_ids if p != iso3)
        notes_in.append(f"{iso3} is itself a pole: its balance is taken over the other poles ({', '.join(pole_ids)})")
        if len(pole_ids) < 2:
            raise OptionError(f"the balance index needs at least two poles other than {iso3}")
    w = parse_weights(weights)
    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        parts, dims_meta, sources, covs = [], [], [], []
        for dim in registry.registered():
            if not dim.parts:
                continue
            reading = dim.read(atlas, iso3, (start, end), pole_ids)
            ok = reading.coverage.filter(pl.col("status") == "ok").select("part", "year")
            parts.append(reading.values.join(ok, on=["part", "year"], how="semi").rename({"part": "dimension"}))
            covs.append(reading.coverage.rename({"part": "dimension"}))
            sources += [(t, s) for t, s in reading.sources if s]
            for p in dim.parts:
                c = reading.coverage.filter((pl.col("part") == p.id) & (pl.col("status") != "ok"))
                reasons = list(dict.fromkeys(r for r in c["reason"].to_list() if r))
                dims_meta.append((p.id, "; ".join(reasons[:3]) + (" …" if len(reasons) > 3 else "")))
        values = pl.concat(parts, how="vertical").filter(pl.col("year").is_between(start, end)).select(
            list(VALUE_SCHEMA)) if parts else pl.DataFrame(schema=VALUE_SCHEMA)
        coverage = pl.concat(covs, how="vertical") if covs else None
        DIMS = balance_dimensions()
        grid = pl.DataFrame({"dimension": list(DIMS)}).join(
            pl.DataFrame({"year": list(range(start, end + 1))}, schema={"year": pl.Int32}), how="cross")
        idx = balance_index(values, poles=pole_ids, value="value", by=["dimension", "year"]) if values.height else None
        by_dim = _on_grid(grid, idx, DIMS, coverage)
        comp = _composite(by_dim, w, start, end, composite)
        decomposition = _decompose(values, by_dim, pole_ids)
        dimensions = _dimension_table(by_dim, dims_meta)
        prov = [qm.provenance(atlas, t, s) for t, s in sources]
        src = pl.concat(prov, how="vertical").unique().sort("table", "source", "file") if prov else \
            pl.DataFrame(schema={"table": pl.Utf8, "source": pl.Utf8, "file": pl.Utf8, "licence": pl.Utf8})
        notes = (*notes_in, *_notes(dimensions, start, end), *_composite_notes(comp))
        return BalanceOverTime(iso3, countries.name(iso3), start, end, pole_ids, w, values.sort("dimension", "year"),
                               by_dim, comp, decomposition, dimensions, src, notes)
    finally:
        if own:
            atlas.close()


def _on_grid(grid: pl.DataFrame, idx: pl.DataFrame | None, dims: Sequence[str],
             coverage: pl.DataFrame | None) -> pl.DataFrame:
    """The index on the full dimensions × years grid, with each cell's ``status`` under the coverage rule
    (``ok`` cells have an index; others are gaps whose status says why)."""
    cols = ["k", "row_share", "hhi", "balance", "entropy"]
    if idx is None:
        out = grid.with_columns([pl.lit(None, pl.Float64).alias(c) for c in cols])
    else:
        out = grid.join(idx.select("dimension", "year", *cols), on=["dimension", "year"], how="left")
        # NaN (poles' total zero) is a gap too
        out = out.with_columns([pl.col(c).fill_nan(None) for c in ("row_share", "hhi", "balance", "entropy")])
    if coverage is not None and coverage.height:
        out = out.join(coverage.select("dimension", pl.col("year").cast(pl.Int32), "status"),
                       on=["dimension", "year"], how="left")
    else:
        out = out.with_columns(status=pl.lit(None, pl.Utf8))
    out = out.with_columns(status=pl.when(pl.col("balance").is_null() & (pl.col("status") == "ok"))
                           .then(pl.lit("no data")).otherwise(pl.col("status").fill_null("no data")))
    order = {d: i for i, d in enumerate(dims)}
    return out.with_columns(_o=pl.col("dimension").replace_strict(order)).sort("_o", "year").drop("_o")


def _composite(by_dim: pl.DataFrame, weights: dict[str, float], start: int, end: int, composite) -> pl.DataFrame:
    """Weighted mean over the dimensions present each year; ``status`` ``insufficient`` (and no composite) in a
    year whose core dimensions (imports and exports, :data:`CORE_PARTS`) are not both present."""
    present = by_dim.filter(pl.col("balance").is_not_null())
    years = pl.DataFrame({"year": list(range(start, end + 1))}, schema={"year": pl.Int32})
    core = present.filter(pl.col("dimension").is_in(list(CORE_PARTS))).group_by("year").agg(
        n_core=pl.col("dimension").n_unique())
    if present.height == 0:
        out = years.with_columns(balance=pl.lit(None, pl.Float64), n_dimensions=pl.lit(0, pl.UInt32),
                                 weight_covered=pl.lit(0.0))
    else:
        c = composite(present.select("dimension", "year", "balance"), weights=weights, by=["year"])
        out = years.join(c, on="year", how="left").with_columns(
            pl.col("balance").fill_nan(None), pl.col("n_dimensions").fill_null(0),
            pl.col("weight_covered").fill_null(0.0))
    out = out.join(core, on="year", how="left").with_columns(pl.col("n_core").fill_null(0))
    # which dimensions the year rests on, in the registry's order (by_dim is sorted that way)
    named = present.group_by("year", maintain_order=True).agg(dimensions_present=pl.col("dimension").str.join(", "))
    out = out.join(named, on="year", how="left").with_columns(pl.col("dimensions_present").fill_null(""))
    sufficient = pl.col("n_core") >= len(CORE_PARTS)
    return out.with_columns(
        balance=pl.when(sufficient & (pl.col("n_dimensions") > 0)).then(pl.col("balance")),
        status=pl.when(sufficient).then(pl.lit("ok")).otherwise(pl.lit("insufficient")),
        reason=pl.when(sufficient).then(pl.lit("")).otherwise(pl.lit(
            "not computed: the core dimensions (imports and exports) are not both covered this year")),
    ).drop("n_core")


def _decompose(values: pl.DataFrame, by_dim: pl.DataFrame, poles: tuple[str, ...]) -> pl.DataFrame:
    """Each dimension between its first and last year with a defined index, all dimensions in one call."""
    from ..measures.balance import decompose_change

    ends = by_dim.filter(pl.col("balance").is_not_null()).group_by("dimension").agg(
        start=pl.col("year").min(), end=pl.col("year").max()).filter(pl.col("start") < pl.col("end"))
    schema = {"dimension": pl.Utf8, "start": pl.Int32, "end": pl.Int32, "pole": pl.Utf8, "share_start": pl.Float64,
              "share_end": pl.Float64, "delta_share": pl.Float64, "contribution": pl.Float64}
    if ends.height == 0:
        return pl.DataFrame(schema=schema)
    tagged = values.join(ends, on="dimension", how="inner").with_columns(
        period=pl.when(pl.col("year") == pl.col("start")).then(0).when(pl.col("year") == pl.col("end")).then(1)
    ).filter(pl.col("period").is_not_null())
    d = decompose_change(tagged.select("dimension", "period", "pole", "value"), start=0, end=1, time="period",
                         poles=poles, value="value", by=["dimension", "period"])
    return d.join(ends, on="dimension", how="left").select(*schema)


def _dimension_table(by_dim: pl.DataFrame, meta: list[tuple[str, str]]) -> pl.DataFrame:
    cov = by_dim.group_by("dimension").agg(
        first_year=pl.col("year").filter(pl.col("balance").is_not_null()).min(),
        last_year=pl.col("year").filter(pl.col("balance").is_not_null()).max(),
        years_with_data=pl.col("balance").is_not_null().sum(),
    )
    m = pl.DataFrame({"dimension": [d for d, _ in meta], "reason": [r for _, r in meta]})
    out = m.join(cov, on="dimension", how="left").with_columns(
        table=pl.col("dimension").replace_strict(_meta("table")), unit=pl.col("dimension").replace_strict(_meta("unit")),
        definition=pl.col("dimension").replace_strict(_meta("definition")),
    )
    return out.select("dimension", "table", "unit", "definition", "first_year", "last_year", "years_with_data",
                      "reason")


def _notes(dimensions: pl.DataFrame, start: int, end: int) -> tuple[str, ...]:
    notes = []
    n = end - start + 1
    for r in dimensions.iter_rows(named=True):
        if r["years_with_data"] == 0:
            notes.append(f"{r['dimension']}: no data — {r['reason'] or 'no year with a defined index'}")
        elif r["years_with_data"] < n:
            notes.append(f"{r['dimension']}: data for {r['years_with_data']} of {n} years "
                         f"({r['first_year']}–{r['last_year']}); other years are gaps")
    return tuple(notes)


def _composite_notes(comp: pl.DataFrame) -> tuple[str, ...]:
    bad = comp.filter(pl.col("status") == "insufficient")["year"].to_list()
    if not bad:
        return ()
    span = f"{bad[0]}–{bad[-1]}" if len(bad) > 1 else str(bad[0])
    return (f"composite: not computed in {len(bad)} year(s) ({span}): the core dimensions (imports and exports) "
            "are not both covered there, and a composite of the rest would mislead",)


__all__ = ["balance_dimensions", "CORE_PARTS", "DIMENSIONS", "BalanceOverTime", "balance_over_time", "parse_poles", "parse_weights"]
