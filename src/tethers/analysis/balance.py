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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from .. import countries
from ..atlas import queries
from ..atlas import queries_measures as qm
from ..atlas.store import Atlas
from ..errors import DataNotAvailableError, OptionError
from .dependence import authoritative_memberships, complete_totals, json_safe, resolve_pole

DIMENSIONS: tuple[str, ...] = ("imports", "exports", "minerals_imports", "arms_imports", "gas_exports", "gas_imports",
                               "un_votes", "institutions", "security_ties")
UNITS = {"imports": "USD", "exports": "USD", "minerals_imports": "USD", "arms_imports": "USD", "gas_exports": "bcm",
         "gas_imports": "bcm", "un_votes": "agreement index", "institutions": "organisations",
         "security_ties": "active ties"}
DEFINITIONS = {
    "imports": "total goods imports by partner pole (the country's own statistics; trade TOTAL rows)",
    "exports": "total goods exports by partner pole (the country's own statistics; trade TOTAL rows)",
    "minerals_imports": "imports of minerals and metals (WTO MTN 12) by supplier pole, importer-reported",
    "arms_imports": "recorded imports of arms and ammunition (HS 93) by supplier pole, importer-reported (WTO)",
    "gas_exports": "natural-gas exports by destination pole, bcm (Energy Institute Statistical Review)",
    "gas_imports": "natural-gas imports by origin pole, bcm (Energy Institute Statistical Review)",
    "un_votes": "UNGA agreement index with each pole (mean over its members); B measures how evenly close the votes are",
    "institutions": "strategic organisations (those in the hand-kept table) shared with each pole's states",
    "security_ties": "foreign facilities, leases, deployments, exercises and agreements active in the year, by pole",
}
TABLES = {"imports": "trade", "exports": "trade", "minerals_imports": "trade", "arms_imports": "trade",
          "gas_exports": "energy_flows", "gas_imports": "energy_flows", "un_votes": "votes",
          "institutions": "memberships", "security_ties": "security_ties"}
VALUE_SCHEMA = {"dimension": pl.Utf8, "year": pl.Int32, "pole": pl.Utf8, "value": pl.Float64}


@dataclass(frozen=True)
class BalanceOverTime:
    """Balance index of ``country`` per dimension and year, the composite, and the pole decomposition.

    Attributes
    ----------
    country, name : ISO3 and name.
    start, end : the years covered (inclusive).
    poles : the *K* poles (ROW excluded from the index, reported as ``row_share``).
    weights : dimension → composite weight.
    values : ``[dimension, year, pole, value]``: the inputs (unit per dimension in :data:`UNITS`).
    by_dimension : ``[dimension, year, k, row_share, hhi, balance, entropy]`` on the full dimensions × years grid;
        null where the dimension has no data that year (a gap, never 0). Balance in [0, 1].
    composite : ``[year, balance, n_dimensions, weight_covered]``: the weighted mean over the dimensions present;
        null when none is; ``weight_covered`` = share of the total weight available that year.
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
        order = {k: i for i, k in enumerate(DIMENSIONS)}
        per = per.with_columns(_o=pl.col("dimension").replace_strict(order, default=99)).sort("_o").drop("_o")
        if overall.height:
            top, bottom = overall.sort("delta").row(-1, named=True), overall.sort("delta").row(0, named=True)
            per = pl.concat([per, pl.DataFrame([{
                "dimension": "overall", "start": self.start, "end": self.end, "delta_balance": None,
                "gained": top["pole"], "gained_delta": top["delta"], "lost": bottom["pole"], "lost_delta": bottom["delta"],
            }], schema=per.schema)])
        return per

    def snapshot(self, year: int) -> pl.DataFrame:
        """``[country, dimension, balance, row_share, n_dimensions]`` for one year, the ``composite`` row last
        (``n_dimensions``: dimensions behind the composite; 1 or 0 on a dimension's own row)."""
        b = self.by_dimension.filter(pl.col("year") == year).select(
            pl.lit(self.country).alias("country"), "dimension", "balance", "row_share",
            n_dimensions=pl.col("balance").is_not_null().cast(pl.UInt32))
        c = self.composite.filter(pl.col("year") == year).select(
            pl.lit(self.country).alias("country"), pl.lit("composite").alias("dimension"), "balance",
            pl.lit(None, pl.Float64).alias("row_share"), pl.col("n_dimensions").cast(pl.UInt32))
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


# ---------------------------------------------------------------------------------------------- dimensions


@dataclass(frozen=True)
class _Ctx:
    atlas: Atlas
    country: str
    years: tuple[int, int]
    poles: tuple[str, ...]  # pole ids, ROW excluded


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=VALUE_SCHEMA)


def _values(df: pl.DataFrame, dimension: str, value: str) -> pl.DataFrame:
    return df.select(pl.lit(dimension).alias("dimension"), pl.col("year").cast(pl.Int32), "pole",
                     pl.col(value).cast(pl.Float64).alias("value"))


def _trade(ctx: _Ctx) -> tuple[pl.DataFrame, list[str], str]:
    from ..measures.trade import pole_shares

    try:
        trade = queries.trade_totals(ctx.atlas, ctx.country)
    except DataNotAvailableError as exc:
        return _empty(), [], str(exc)
    trade = trade.filter(pl.col("year").is_between(*ctx.years))
    trade, _thin, _gaps = complete_totals(trade)
    if trade.height == 0:
        return _empty(), [], f"no total trade reported by {ctx.country} in {ctx.years[0]}–{ctx.years[1]}"
    s = pole_shares(trade, poles=list(ctx.poles), reporter=ctx.country)
    out = pl.concat([_values(s.filter(pl.col("flow") == f), f"{f}s", "value_usd") for f in ("import", "export")])
    return out, trade["source"].unique().to_list(), ""


def _product(ctx: _Ctx, product: tuple[str, str], dimension: str) -> tuple[pl.DataFrame, list[str], str]:
    from ..measures.trade import pole_shares

    rows = qm.product_trade(ctx.atlas, ctx.country, years=ctx.years, flow="import", products=[product])
    if rows.height == 0:
        return _empty(), [], (f"no {qm.SHORT_LABELS[product]} imports reported by {ctx.country} in "
                              f"{ctx.years[0]}–{ctx.years[1]}")
    s = pole_shares(rows, poles=list(ctx.poles), reporter=ctx.country, flow="import", product=product[1])
    return _values(s, dimension, "value_usd"), rows["source"].unique().to_list(), ""


def _gas(ctx: _Ctx) -> tuple[pl.DataFrame, list[str], str]:
    from ..measures.trade import pole_shares
    from .dependence import _flows_as_trade

    flows = qm.energy_flows(ctx.atlas, ctx.country, years=ctx.years).filter(pl.col("carrier") == "gas")
    if flows.height == 0:
        return _empty(), [], f"no gas trade of {ctx.country} in energy_flows for {ctx.years[0]}–{ctx.years[1]}"
    s = pole_shares(_flows_as_trade(flows, ctx.country), poles=list(ctx.poles), reporter=ctx.country)
    out = pl.concat([_values(s.filter(pl.col("flow") == f), f"gas_{f}s", "value_usd") for f in ("export", "import")])
    return out, flows["source"].unique().to_list(), ""


def _votes(ctx: _Ctx) -> tuple[pl.DataFrame, list[str], str]:
    from ..measures.alignment import pole_agreement

    v = queries.votes(ctx.atlas, years=ctx.years)
    if v.height == 0 or v.filter(pl.col("country") == ctx.country).height == 0:
        return _empty(), [], f"no UN General Assembly votes of {ctx.country} in {ctx.years[0]}–{ctx.years[1]}"
    a = pole_agreement(v, country=ctx.country, poles=list(ctx.poles))
    return _values(a, "un_votes", "agreement"), v["source"].unique().to_list(), ""


def _institutions(ctx: _Ctx) -> tuple[pl.DataFrame, list[str], str]:
    """Strategic organisations shared with each pole, every year at once (spells × years, one join)."""
    from ..measures.trade import pole_membership

    spells = authoritative_memberships(queries.memberships(ctx.atlas))
    strategic = spells.filter(pl.col("source") == "handkept")["organisation"].unique()
    spells = spells.filter(pl.col("organisation").is_in(strategic.to_list()))
    years = pl.DataFrame({"year": list(range(ctx.years[0], ctx.years[1] + 1))}, schema={"year": pl.Int32})
    active = spells.join(years, how="cross").filter(
        (pl.col("joined") <= pl.col("year")) & (pl.col("left").is_null() | (pl.col("left") >= pl.col("year"))))
    mine = active.filter(pl.col("country") == ctx.country).select("year", "organisation").unique()
    if mine.height == 0:
        return _empty(), [], f"{ctx.country} belongs to none of the hand-kept organisations in {ctx.years[0]}–{ctx.years[1]}"
    member = pole_membership(years["year"].to_list(), poles=[*ctx.poles, "ROW"])
    theirs = (
        active.filter(pl.col("country") != ctx.country)
        .join(member, left_on=["year", "country"], right_on=["year", "partner"], how="inner")
        .select("year", "organisation", "pole").unique()
    )
    shared = mine.join(theirs, on=["year", "organisation"], how="inner").group_by("year", "pole").agg(value=pl.len())
    # years in which the country belongs to some organisation but shares none with any pole: total 0 → NaN (gap)
    grid = mine.select("year").unique().join(pl.DataFrame({"pole": list(ctx.poles)}), how="cross")
    out = grid.join(shared, on=["year", "pole"], how="left").with_columns(pl.col("value").fill_null(0))
    return _values(out, "institutions", "value"), sorted(set(spells["source"].to_list())), ""


def _ties(ctx: _Ctx) -> tuple[pl.DataFrame, list[str], str]:
    from ..measures.security import security_ties_summary

    ties = qm.security_ties(ctx.atlas, ctx.country)
    if ties.height == 0:
        return _empty(), [], f"no security ties of {ctx.country} in the hand-kept table"
    s = security_ties_summary(ties, year=range(ctx.years[0], ctx.years[1] + 1), country=ctx.country,
                              poles=list(ctx.poles))
    out = s.group_by("year", "pole").agg(value=pl.col("n_active").sum())
    return _values(out, "security_ties", "value"), ties["source"].unique().to_list(), ""


Builder = Callable[[_Ctx], tuple[pl.DataFrame, list[str], str]]
BUILDERS: tuple[tuple[tuple[str, ...], Builder], ...] = (
    (("imports", "exports"), _trade),
    (("minerals_imports",), lambda c: _product(c, qm.MINERALS, "minerals_imports")),
    (("arms_imports",), lambda c: _product(c, qm.ARMS, "arms_imports")),
    (("gas_exports", "gas_imports"), _gas),
    (("un_votes",), _votes),
    (("institutions",), _institutions),
    (("security_ties",), _ties),
)


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
    out = dict.fromkeys(DIMENSIONS, 1.0)
    if not weights:
        return out
    items = weights.items() if isinstance(weights, Mapping) else [_split_weight(w) for w in weights]
    for dim, w in items:
        if dim not in out:
            raise OptionError(f"unknown dimension {dim!r} in weights; dimensions: {', '.join(DIMENSIONS)}")
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
        ctx = _Ctx(atlas, iso3, (start, end), pole_ids)
        parts, dims_meta, sources = [], [], []
        for dims, build in BUILDERS:
            vals, srcs, reason = build(ctx)
            parts.append(vals)
            sources += [(TABLES[d], srcs) for d in dims if srcs]
            dims_meta += [(d, reason) for d in dims]
        values = pl.concat(parts, how="vertical").filter(pl.col("year").is_between(start, end))
        grid = pl.DataFrame({"dimension": list(DIMENSIONS)}).join(
            pl.DataFrame({"year": list(range(start, end + 1))}, schema={"year": pl.Int32}), how="cross")
        idx = balance_index(values, poles=pole_ids, value="value", by=["dimension", "year"]) if values.height else None
        by_dim = _on_grid(grid, idx)
        comp = _composite(by_dim, w, start, end, composite)
        decomposition = _decompose(values, by_dim, pole_ids)
        dimensions = _dimension_table(by_dim, dims_meta)
        prov = [qm.provenance(atlas, t, s) for t, s in sources]
        src = pl.concat(prov, how="vertical").unique().sort("table", "source", "file") if prov else \
            pl.DataFrame(schema={"table": pl.Utf8, "source": pl.Utf8, "file": pl.Utf8, "licence": pl.Utf8})
        notes = (*notes_in, *_notes(dimensions, start, end))
        return BalanceOverTime(iso3, countries.name(iso3), start, end, pole_ids, w, values.sort("dimension", "year"),
                               by_dim, comp, decomposition, dimensions, src, notes)
    finally:
        if own:
            atlas.close()


def _on_grid(grid: pl.DataFrame, idx: pl.DataFrame | None) -> pl.DataFrame:
    cols = ["k", "row_share", "hhi", "balance", "entropy"]
    if idx is None:
        return grid.with_columns([pl.lit(None, pl.Float64).alias(c) for c in cols])
    out = grid.join(idx.select("dimension", "year", *cols), on=["dimension", "year"], how="left")
    # NaN (poles' total zero) is a gap too
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return out.with_columns([pl.col(c).fill_nan(None) for c in ("row_share", "hhi", "balance", "entropy")]).with_columns(
        _o=pl.col("dimension").replace_strict(order)).sort("_o", "year").drop("_o")


def _composite(by_dim: pl.DataFrame, weights: dict[str, float], start: int, end: int, composite) -> pl.DataFrame:
    present = by_dim.filter(pl.col("balance").is_not_null())
    years = pl.DataFrame({"year": list(range(start, end + 1))}, schema={"year": pl.Int32})
    if present.height == 0:
        return years.with_columns(balance=pl.lit(None, pl.Float64), n_dimensions=pl.lit(0, pl.UInt32),
                                  weight_covered=pl.lit(0.0))
    c = composite(present.select("dimension", "year", "balance"), weights=weights, by=["year"])
    out = years.join(c, on="year", how="left").with_columns(
        pl.col("balance").fill_nan(None), pl.col("n_dimensions").fill_null(0), pl.col("weight_covered").fill_null(0.0))
    return out.with_columns(balance=pl.when(pl.col("n_dimensions") > 0).then(pl.col("balance")))


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
        table=pl.col("dimension").replace_strict(TABLES), unit=pl.col("dimension").replace_strict(UNITS),
        definition=pl.col("dimension").replace_strict(DEFINITIONS),
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


__all__ = ["DIMENSIONS", "BalanceOverTime", "balance_over_time", "parse_poles", "parse_weights"]
