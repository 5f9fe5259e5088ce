"""The simulation engine: atlas + scenario → per-channel effects on a third country, with uncertainty.

Orchestration only (the numbers happen in the channels):

1. :func:`build_context` reads the tidy tables one third country needs from the atlas (bound
   parameters only) and expands groups (``EU27`` by year, ``G7``, ``CASIA``) for the base year.
2. :func:`simulate` discovers the channels listed in :data:`~.channels.CHANNELS` (a channel whose
   module is missing or does not import is skipped with a note), runs each once with the central
   parameters (``by_channel``) and once per Monte Carlo draw (``draws``), then summarises the draws.

Reproducibility
---------------
Draw *i* of channel *c* uses ``numpy.random.default_rng(SeedSequence(entropy, spawn_key=(i, crc32(c))))``:
the per-draw children of one root :class:`numpy.random.SeedSequence` (what ``SeedSequence(entropy).spawn``
gives for draw *i*), split once more by channel. A draw's numbers therefore depend only on the seed, the
draw index and the channel — not on how draws are chunked, on which worker they run, or on which other
channels are installed — so the local and the Dask paths give identical results. Within a channel the
parameters are drawn in sorted name order; all of them are drawn even when a scenario fixes one, so fixing
one parameter does not change the draws of the others.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ..atlas.queries import consumer_prices
from ..countries import CENTRAL_ASIA, eu_members, resolve
from ..errors import DataNotAvailableError, OptionError
from ..measures.exact import fsum, mean_agg, sd_agg
from .channels import CHANNELS
from .channels.base import EFFECT_COLUMNS, Channel, Context, Param
from .observed import _band, _bt_row, _central_value, _draw_values
from .spec import ScenarioSpec

__all__ = ["build_context", "simulate", "simulate_context", "backtest", "SpilloverResult", "Backtest", "expand_group", "load_channels"]

# G7 members (the six of Rambouillet 1975 plus Canada from 1976); the EU takes part but is not a member.
G7 = ("CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA")

ProgressFn = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SpilloverResult:
    """Effects of a scenario on one third country.

    Attributes
    ----------
    scenario : the scenario's name.
    country, base_year : the third country (ISO3) and the year whose data the shock is applied to.
    by_channel : central estimates (every parameter at its central value), ``EFFECT_COLUMNS``.
    draws : one row per draw and effect: ``[draw, *EFFECT_COLUMNS]`` (empty when ``n_draws == 0``).
    summary : per ``(channel, country, metric, unit, detail)``: ``n, mean, sd, p5, p50, p95`` over the
        draws (linear-interpolation percentiles, as ``numpy.percentile``).
    parameters : ``[channel, parameter, central, dist, a, b, source, fixed_by_scenario]``.
    channels : the channels that ran, in order.
    notes : caveats (skipped channels, data gaps, proxies) a reader must see.
    seed : the root entropy of the draws (pass it as ``seed=`` to reproduce a run started without one).
    n_draws : number of Monte Carlo draws.
    """

    scenario: str
    country: str
    base_year: int
    by_channel: pl.DataFrame
    draws: pl.DataFrame
    summary: pl.DataFrame
    parameters: pl.DataFrame
    channels: tuple[str, ...]
    notes: tuple[str, ...] = ()
    seed: int | None = None
    n_draws: int = 0

    def tidy(self) -> pl.DataFrame:
        """Central value with the draw summary: ``[channel, country, metric, unit, detail, value, mean,
        p5, p50, p95, n]`` (summary columns null when there were no draws)."""
        keys = ["channel", "country", "metric", "unit", "detail"]
        return self.by_channel.join(
            self.summary.select(*keys, "mean", "p5", "p50", "p95", "n"), on=keys, how="left", nulls_equal=True
        )

    def value(self, channel: str, metric: str, detail: str = "") -> float:
        """The central value of one effect (raises ``KeyError`` when the channel did not report it)."""
        hit = self.by_channel.filter(
            (pl.col("channel") == channel) & (pl.col("metric") == metric) & (pl.col("detail") == detail)
        )
        if hit.height == 0:
            raise KeyError(f"{channel}.{metric}[{detail!r}] not in the result")
        return float(hit["value"][0])

    def to_dict(self, *, include_draws: bool = False) -> dict:
        out = {
            "scenario": self.scenario, "country": self.country, "base_year": self.base_year,
            "channels": list(self.channels), "n_draws": self.n_draws, "seed": self.seed,
            "effects": self.tidy().to_dicts(), "parameters": self.parameters.to_dicts(), "notes": list(self.notes),
        }
        if include_draws:
            out["draws"] = self.draws.to_dicts()
        return out


# ---------------------------------------------------------------------------------------------- context


def expand_group(name: str, year: int) -> frozenset[str]:
    """ISO3 members of a scenario group (``EU27`` as of ``year``, ``G7``, ``CASIA``) or the state itself."""
    if name == "EU27":
        return eu_members(year)
    if name == "G7":
        return frozenset(c for c in G7 if c != "CAN" or year >= 1976)
    if name == "CASIA":
        return frozenset(CENTRAL_ASIA)
    return frozenset({resolve(name)})


def _expand(names: Iterable[str], year: int) -> frozenset[str]:
    out: set[str] = set()
    for n in names:
        out |= expand_group(n, year)
    return frozenset(out)


def build_context(atlas, spec: ScenarioSpec, country: str, base_year: int) -> Context:
    """The tidy inputs every channel gets for ``country`` (any spelling) and ``base_year``.

    ``trade`` holds every row where the country is reporter or partner (all sources and years), the
    coalition's and targets' rows with the targets, the country and the world, and the EU aggregate
    (``EUU``) rows — what the mirror statistics of the trade channel need. ``energy_flows`` are complete
    (third parties' flows share the same pipelines); ``routes`` and ``fx`` are complete (small); ``prices`` and ``io_summary`` are those of the
    country, the targets and the coalition. ``extra['distances']`` has the country's bilateral distances,
    ``extra['route_flows']`` its observed export volumes by route.
    """
    iso3 = resolve(country)
    coalition = _expand(spec.coalition, base_year)
    targets = _expand(spec.targets, base_year)
    if iso3 in targets:
        raise OptionError(f"{iso3} is a target of the scenario {spec.name!r}; choose a third country")
    trade = atlas.sql(
        "SELECT * FROM trade WHERE reporter = ? OR partner = ? OR reporter = 'EUU' "
        "OR (list_contains(?::VARCHAR[], reporter) AND list_contains(?::VARCHAR[], partner))",
        [iso3, iso3, sorted(coalition | targets), sorted(targets | {iso3, "WLD"})],
    )
    if trade.filter(pl.col("reporter") == iso3).height == 0 and trade.filter(pl.col("partner") == iso3).height == 0:
        raise DataNotAvailableError(f"the atlas has no trade rows for {iso3}; add a Comtrade/BACI file first")
    # all bilateral energy flows (small): transit needs other countries' flows sharing the same pipelines
    # partner flows only: the WLD rows are the publisher's totals (Energy Institute), not a partner
    energy = atlas.sql("SELECT * FROM energy_flows WHERE exporter <> 'WLD' AND importer <> 'WLD'")
    who = sorted(coalition | targets | {iso3})
    prices = consumer_prices(atlas, who).sort("date", "country", "series", "measure")
    io = atlas.sql("SELECT * FROM io_summary WHERE list_contains(?::VARCHAR[], country)", [who])
    distances = atlas.sql("SELECT * FROM distances WHERE origin = ? OR destination = ?", [iso3, iso3])
    # the operators' observed route volumes: the transit channel's before state where a year is complete
    route_flows = atlas.table("route_flows", exporter=iso3)
    return Context(
        country=iso3, base_year=int(base_year), coalition=coalition, targets=targets, trade=trade,
        energy_flows=energy, routes=atlas.table("routes"), fx=atlas.sql("SELECT * FROM fx ORDER BY date"),
        prices=prices, io_summary=io,
        extra={"distances": distances, "route_flows": route_flows, **_gravity_inputs(atlas, base_year)},
    )


def _gravity_inputs(atlas, base_year: int) -> dict[str, pl.DataFrame]:
    """The diversion channel's estimation inputs: bilateral rows up to ``base_year`` only (out of sample by
    construction) and the full GeoDist table."""
    trade = atlas.sql(
        "SELECT year, reporter, partner, classification, product, flow, value_usd, source FROM trade "
        "WHERE year <= ? AND year >= ? AND (classification = 'TOTAL' OR source = 'wto') "
        "AND reporter NOT IN ('WLD', 'EUU') AND partner NOT IN ('WLD', 'EUU')",
        [int(base_year), int(base_year) - 16])
    return {"gravity_trade": trade, "distances_all": atlas.table("distances")}


# ---------------------------------------------------------------------------------------------- channels


def _find_channel(mod: Any, name: str) -> Channel | None:
    obj = getattr(mod, "CHANNEL", None)
    if obj is None:
        for attr in vars(mod).values():
            if getattr(attr, "name", None) == name and callable(getattr(attr, "run", None)) and callable(
                getattr(attr, "parameters", None)
            ):
                obj = attr
                break
    if isinstance(obj, type):
        obj = obj()
    return obj


def load_channels(names: Sequence[str] | None = None) -> tuple[list[Channel], list[str]]:
    """Import the channel modules; returns ``(channels, notes)`` with a note for every one skipped.

    A channel module exposes its channel as ``CHANNEL`` (an instance or a class), or as any object whose
    ``name`` is the module name and that has ``parameters`` and ``run``.
    """
    wanted = list(CHANNELS if names is None else names)
    unknown = [n for n in wanted if n not in CHANNELS]
    if unknown:
        raise OptionError(f"unknown channel(s) {', '.join(unknown)}; channels: {', '.join(CHANNELS)}")
    out, notes = [], []
    for name in wanted:
        try:
            mod = importlib.import_module(f"{__package__}.channels.{name}")
        except ImportError as exc:
            notes.append(f"channel {name!r} skipped: not installed ({type(exc).__name__}: {exc})")
            continue
        ch = _find_channel(mod, name)
        if ch is None:
            notes.append(f"channel {name!r} skipped: its module defines no CHANNEL")
            continue
        out.append(ch)
    return out, notes


# ---------------------------------------------------------------------------------------------- draws


def _channel_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _draw_params(name: str, params: dict[str, Param], fixed: dict[str, float], entropy: int, draw: int) -> dict[str, float]:
    rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(draw, _channel_key(name))))
    values = {k: params[k].draw(rng) for k in sorted(params)}
    values.update(fixed)
    return values


def _central(params: dict[str, Param], fixed: dict[str, float]) -> dict[str, float]:
    return {**{k: p.central for k, p in params.items()}, **fixed}


_WORKER_CHANNELS: dict[tuple[str, ...], list[Channel]] = {}


def _run_block(spec: ScenarioSpec, ctx: Context, names: tuple[str, ...], fixed: dict[str, dict[str, float]],
               entropy: int, draws: Sequence[int]) -> pl.DataFrame:
    """Run draws ``draws`` of every channel in ``names`` (module-level so Dask can ship it to workers)."""
    chans = _WORKER_CHANNELS.get(names)
    if chans is None:
        chans, _ = load_channels(names)
        _WORKER_CHANNELS[names] = chans
    frames = []
    for i in draws:
        for ch in chans:
            values = _draw_params(ch.name, ch.parameters(), fixed.get(ch.name, {}), entropy, i)
            frames.append(_checked(ch, ch.run(spec, ctx, values)).with_columns(draw=pl.lit(i, pl.Int64)))
    if not frames:
        return pl.DataFrame(schema={"draw": pl.Int64, **EFFECT_COLUMNS})
    return pl.concat(frames, how="vertical").select("draw", *EFFECT_COLUMNS)


def _checked(ch: Channel, eff: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in EFFECT_COLUMNS if c not in eff.columns]
    if missing:
        raise TypeError(f"channel {ch.name!r} returned a frame without {missing}")
    return eff.select([pl.col(c).cast(t) for c, t in EFFECT_COLUMNS.items()])


def _blocks(n: int, parts: int) -> list[list[int]]:
    parts = max(1, min(n, parts))
    edges = np.linspace(0, n, parts + 1).round().astype(int)
    return [list(range(a, b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _run_local(spec, ctx, names, fixed, entropy, n, progress) -> pl.DataFrame:
    frames, done = [], 0
    for block in _blocks(n, max(1, n // 25)):
        frames.append(_run_block(spec, ctx, names, fixed, entropy, block))
        done += len(block)
        if progress:
            progress(done, n)
    return pl.concat(frames) if frames else _run_block(spec, ctx, names, fixed, entropy, [])


def _run_dask(spec, ctx, names, fixed, entropy, n, progress, *, workers, scheduler) -> pl.DataFrame:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise OptionError("--workers/--scheduler need dask[distributed]: pip install 'dask[distributed]'") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise OptionError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None,
                               silence_logs=40)
        client = Client(cluster)
    try:
        nworkers = max(1, len(client.scheduler_info().get("workers", {})) or (workers or 1))
        spec_f, ctx_f = client.scatter([spec, ctx], broadcast=True)
        blocks = _blocks(n, 4 * nworkers)
        futures = [client.submit(_run_block, spec_f, ctx_f, names, fixed, entropy, b, pure=False) for b in blocks]
        done = 0
        for fut in as_completed(futures):
            done += len(blocks[futures.index(fut)])
            if progress:
                progress(done, n)
        return pl.concat(client.gather(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _summarise(draws: pl.DataFrame) -> pl.DataFrame:
    keys = ["channel", "country", "metric", "unit", "detail"]
    v = pl.col("value")
    return (
        draws.group_by(keys, maintain_order=True)
        .agg(
            n=pl.len(), mean=mean_agg(v), sd=sd_agg(v),  # exact sums: the same bits in every process
            p5=v.quantile(0.05, "linear"), p50=v.quantile(0.5, "linear"), p95=v.quantile(0.95, "linear"),
        )
    )


def _overrides(spec: ScenarioSpec, chans: list[Channel], notes: list[str]) -> dict[str, dict[str, float]]:
    """``spec.parameters`` (``"<channel>.<parameter>": value``) → fixed values per channel."""
    known = {ch.name: ch.parameters() for ch in chans}
    out: dict[str, dict[str, float]] = {}
    for key, val in spec.parameters.items():
        chan, _, par = key.partition(".")
        if chan not in CHANNELS or not par:
            raise OptionError(
                f"scenario parameter {key!r}: write '<channel>.<parameter>' with a channel among {', '.join(CHANNELS)}"
            )
        if chan not in known:
            notes.append(f"scenario parameter {key} ignored: channel {chan!r} did not load")
            continue
        if par not in known[chan]:
            raise OptionError(f"scenario parameter {key!r}: channel {chan} has parameters {', '.join(sorted(known[chan]))}")
        out.setdefault(chan, {})[par] = float(val)
    return out


def _parameter_table(chans: list[Channel], fixed: dict[str, dict[str, float]]) -> pl.DataFrame:
    rows = [
        {"channel": ch.name, "parameter": k, "central": fixed.get(ch.name, {}).get(k, p.central), "dist": p.dist,
         "a": p.a, "b": p.b, "source": p.source, "fixed_by_scenario": k in fixed.get(ch.name, {})}
        for ch in chans for k, p in sorted(ch.parameters().items())
    ]
    return pl.DataFrame(rows, schema={"channel": pl.Utf8, "parameter": pl.Utf8, "central": pl.Float64,
                                      "dist": pl.Utf8, "a": pl.Float64, "b": pl.Float64, "source": pl.Utf8,
                                      "fixed_by_scenario": pl.Boolean})


def _channel_notes(chans: list[Channel], spec: ScenarioSpec, ctx: Context) -> list[str]:
    out = []
    for ch in chans:
        fn = getattr(ch, "notes", None)
        if callable(fn):
            out.extend(f"{ch.name}: {n}" for n in fn(spec, ctx))
    return out


# ---------------------------------------------------------------------------------------------- simulate


def simulate(
    spec: ScenarioSpec,
    *,
    country: str,
    base_year: int,
    atlas=None,
    draws: int = 1,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    channels: Sequence[str] | None = None,
    extra: dict[str, pl.DataFrame] | None = None,
    progress: ProgressFn | None = None,
) -> SpilloverResult:
    """Simulate ``spec`` on ``country`` with ``base_year`` data.

    Parameters
    ----------
    atlas : an open :class:`~tethers.atlas.store.Atlas` (default: the user's atlas, built if missing).
    draws : Monte Carlo draws (0 = central estimates only).
    seed : root entropy; ``None`` draws fresh entropy (reported as ``result.seed``).
    workers : run the draws on a local Dask cluster with this many worker processes.
    scheduler : address of an existing Dask scheduler (``tcp://host:port``); exclusive with ``workers``.
    channels : subset of :data:`~.channels.CHANNELS` (default all that import).
    extra : user tables passed to the channels as ``ctx.extra`` (e.g. ``{"holdings": frame}`` for markets).
    progress : ``progress(done, total)`` after each block of draws.
    """
    if draws < 0:
        raise OptionError(f"draws must be ≥ 0, got {draws}")
    if workers is not None and scheduler is not None:
        raise OptionError("give either workers (a local Dask cluster) or scheduler (an existing one), not both")
    if workers is not None and workers < 1:
        raise OptionError(f"workers must be ≥ 1, got {workers}")
    from ..atlas.store import open_atlas

    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        ctx = build_context(atlas, spec, country, base_year)
    finally:
        if own:
            atlas.close()
    if extra:
        ctx = Context(**{**{f: getattr(ctx, f) for f in ctx.__dataclass_fields__}, "extra": {**ctx.extra, **extra}})
    return simulate_context(spec, ctx, draws=draws, seed=seed, workers=workers, scheduler=scheduler,
                            channels=channels, progress=progress)


def simulate_context(
    spec: ScenarioSpec,
    ctx: Context,
    *,
    draws: int = 1,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    channels: Sequence[str] | None = None,
    progress: ProgressFn | None = None,
) -> SpilloverResult:
    """Run the channels on an already-built (possibly counterfactual) :class:`Context`; see :func:`simulate`."""
    chans, notes = load_channels(channels)
    if not chans:
        raise OptionError("no channel could be loaded: " + "; ".join(notes))
    fixed = _overrides(spec, chans, notes)
    notes.extend(_channel_notes(chans, spec, ctx))
    central = pl.concat(
        [_checked(ch, ch.run(spec, ctx, _central(ch.parameters(), fixed.get(ch.name, {})))) for ch in chans]
    )
    entropy = int(np.random.SeedSequence(seed).entropy)  # type: ignore[arg-type]
    names = tuple(ch.name for ch in chans)
    if draws == 0:
        sample = _run_block(spec, ctx, names, fixed, entropy, [])
    elif workers is None and scheduler is None:
        sample = _run_local(spec, ctx, names, fixed, entropy, draws, progress)
    else:
        sample = _run_dask(spec, ctx, names, fixed, entropy, draws, progress, workers=workers, scheduler=scheduler)
    return SpilloverResult(
        scenario=spec.name, country=ctx.country, base_year=ctx.base_year, by_channel=central, draws=sample,
        summary=_summarise(sample), parameters=_parameter_table(chans, fixed), channels=names,
        notes=tuple(dict.fromkeys(notes)), seed=entropy, n_draws=draws,
    )


# ---------------------------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class Backtest:
    """Simulated changes (base year data) against what the atlas shows in the outcome year.

    Attributes
    ----------
    result : the simulation behind the comparison.
    outcome_year : the year the observations come from.
    rows : ``[indicator, unit, effect, counterfactual, simulated, p5, p95, observed, error, basis, sign_right]``:
        ``effect`` is the channels' central value, ``counterfactual`` the control group's median change where the
        row has one (:mod:`tethers.scenario.counterfactual`), ``simulated = counterfactual ⊕ effect`` (the effect
        where there is no counterfactual) with its p5–p95; ``error = simulated − observed`` (null where either
        side is missing).
    notes : caveats, e.g. which inputs were calibrated on the outcome year itself.
    """

    result: SpilloverResult
    outcome_year: int
    rows: pl.DataFrame
    notes: tuple[str, ...] = ()

    def tidy(self) -> pl.DataFrame:
        return self.rows

    def to_dict(self) -> dict:
        return {"scenario": self.result.scenario, "country": self.result.country, "base_year": self.result.base_year,
                "outcome_year": self.outcome_year, "n_draws": self.result.n_draws, "seed": self.result.seed,
                "rows": self.rows.to_dicts(), "notes": list(self.notes) + list(self.result.notes)}


def backtest(spec: ScenarioSpec, *, country: str, base_year: int, outcome_year: int, atlas=None, draws: int = 200,
             seed: int | None = None, progress: ProgressFn | None = None, **kw: Any) -> Backtest:
    """Simulate with ``base_year`` data and compare with the atlas's ``outcome_year`` observations.

    Compared (where the atlas has both years): the change of the country's imports from and exports to the
    targets (official totals) against minus the trade channel's loss on each flow; the country's currency
    per USD over the month in which the target's currency fell most in the outcome year, and as an annual
    average, against the fx channel's depreciation; consumer prices — the excess m/m inflation of that month
    over the base year's mean m/m, and the excess Dec/Dec inflation over the base year — against the fx
    channel's CPI impact.
    """
    if outcome_year <= base_year:
        raise OptionError(f"the outcome year ({outcome_year}) must come after the base year ({base_year})")
    if spec.hypothetical:
        raise OptionError(f"the scenario {spec.name!r} is hypothetical (hypothetical: true): nothing happened "
                          "that a backtest could compare it with")
    from ..atlas.store import open_atlas
    from .channels.fx import currency_of
    from .channels.trade import official_totals

    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        res = simulate(spec, country=country, base_year=base_year, atlas=atlas, draws=draws, seed=seed,
                       progress=progress, **kw)
        iso3 = res.country
        trade = atlas.sql("SELECT * FROM trade WHERE reporter = ? AND classification = 'TOTAL' AND year IN (?, ?)",
                          [iso3, base_year, outcome_year])
        fx = atlas.sql("SELECT * FROM fx ORDER BY date")
        prices = consumer_prices(atlas, [iso3]).sort("date", "country", "series", "measure")
        div_rows, div_notes = _diversion_backtest(spec, atlas, res, base_year, outcome_year, draws=draws)
        atlas_cf = _control_inputs(atlas, spec, res, base_year, outcome_year)
    finally:
        if own:
            atlas.close()
    targets = _expand(spec.targets, base_year)
    rows: list[dict] = []
    notes: list[str] = []
    b, o = official_totals(trade, iso3, base_year), official_totals(trade, iso3, outcome_year)
    for flow, label in (("import", "imports from targets"), ("export", "exports to targets")):
        base_v = fsum(b.filter((pl.col("flow") == flow) & pl.col("partner").is_in(list(targets)))["value_usd"])
        out_v = fsum(o.filter((pl.col("flow") == flow) & pl.col("partner").is_in(list(targets)))["value_usd"])
        sim = _band(res, "trade", "trade_loss_usd", f"flow={flow}", lambda v, bv=base_v: -v / bv if bv else float("nan"))
        obs = out_v / base_v - 1.0 if base_v > 0 and out_v > 0 else None
        src = f"{b['source'][0]} totals" if b.height else "no official totals for the base year"
        rows.append(_bt_row(f"{label}, {base_year}→{outcome_year}", "share", sim, obs, f"trade channel; {src}"))
    cur = currency_of(iso3)
    tgt = next((currency_of(t) for t in sorted(targets) if currency_of(t)), None)
    from .backtest_fx import fx_backtest_rows

    fx_rows, fx_notes = fx_backtest_rows(res, fx, prices, spec=spec, iso3=iso3, cur=cur, tgt=tgt, base_year=base_year,
                                         outcome_year=outcome_year)
    rows += fx_rows
    notes += fx_notes
    notes.append("observed changes include every other cause (commodity prices, re-exports, recovery), not only the sanctions")
    rows += div_rows
    notes += div_notes
    rows, cf_notes = _with_counterfactuals(rows, spec, atlas_cf, res, base_year=base_year,
                                           outcome_year=outcome_year, shock_date=_shock_date(fx, cur, tgt, outcome_year,
                                                                                            base_year))
    notes += cf_notes
    df = pl.DataFrame(rows, schema={"indicator": pl.Utf8, "unit": pl.Utf8, "effect": pl.Float64,
                                    "counterfactual": pl.Float64, "simulated": pl.Float64, "p5": pl.Float64,
                                    "p95": pl.Float64, "observed": pl.Float64, "error": pl.Float64, "basis": pl.Utf8})
    df = df.with_columns(sign_right=pl.when(pl.col("simulated").is_not_nan() & pl.col("observed").is_not_null())
                         .then(pl.col("simulated").sign() == pl.col("observed").sign()))
    return Backtest(result=res, outcome_year=outcome_year, rows=df, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------- diversion backtest


def _observed_neighbours(atlas, spec: ScenarioSpec, base_year: int, outcome_year: int, coalition, targets) -> list[str]:
    """Third countries the atlas observes bilaterally from the coalition side: partners with EU member-state
    rows (the Eurostat mirror file), plus the scenario's own third countries."""
    df = atlas.sql("SELECT DISTINCT partner FROM trade WHERE source = 'eurostat' AND reporter <> 'EUU' "
                   "AND classification = 'TOTAL' AND flow = 'export'")
    out = {p for p in df["partner"].to_list() if p not in ("WLD", "EUU")}
    out |= {resolve(c) for c in spec.third_countries} if getattr(spec, "third_countries", None) else set()
    return sorted(out - set(coalition) - set(targets))


def _control_inputs(atlas, spec: ScenarioSpec, res: SpilloverResult, base_year: int, outcome_year: int) -> dict:
    """What the counterfactual needs from the atlas (read while it is open): the control group, the EU27 control
    change, the control countries' CPI rows (one compilation)."""
    from .counterfactual import CPI_CONTROL_SOURCE, control_group

    coalition, targets = _expand(spec.coalition, base_year), _expand(spec.targets, base_year)
    compared = {res.country} | set(_observed_neighbours(atlas, spec, base_year, outcome_year, coalition, targets))
    group = control_group(atlas, coalition=coalition, targets=targets, excluded_hubs=set(spec.excluded_hub_codes()),
                          compared=compared, base_year=base_year)
    eu = atlas.sql("SELECT partner, year, value_usd FROM trade WHERE source = 'eurostat' AND reporter = 'EUU' "
                   "AND flow = 'export' AND classification = 'TOTAL' AND year IN (?, ?)", [base_year, outcome_year])
    return {"group": group, "eu": eu, "cpi": consumer_prices(atlas, list(group.units), source=CPI_CONTROL_SOURCE)}


def _shock_date(fx: pl.DataFrame, cur: str | None, tgt: str | None, outcome_year: int, base_year: int):
    from .observed import _fx_observed

    return _fx_observed(fx, cur or tgt, tgt, outcome_year, base_year)[0].get("shock_date") if tgt else None


def _with_counterfactuals(rows: list[dict], spec: ScenarioSpec, inputs: dict, res: SpilloverResult, *,
                          base_year: int, outcome_year: int, shock_date) -> tuple[list[dict], list[str]]:
    """The rows with their counterfactual (:mod:`tethers.scenario.counterfactual`) and the notes naming the
    control group and each control change."""
    from .counterfactual import (
        CPI_CONTROL_SOURCE,
        apply_counterfactuals,
        cpi_controls,
        eu27_control_from_rows,
    )

    group = inputs["group"]
    n = max(res.n_draws, 1)

    def rng(k: int) -> np.random.Generator:  # one stream per control change, from the run's seed
        return np.random.default_rng(np.random.SeedSequence(res.seed, spawn_key=(k,)))

    span = f"{base_year}→{outcome_year}"
    controls: dict = {}
    c = eu27_control_from_rows(inputs["eu"], group, base_year, outcome_year, draws=n, rng=rng(2))
    if c is not None:
        controls["eu27"] = (c, f"EU27 exports to {c.n} control countries (Eurostat, USD), {span}:")
    cpi = cpi_controls(inputs["cpi"], group, base_year, outcome_year, shock_date, draws=n, rng=rng(3))
    for metric, cc in sorted(cpi.items()):
        controls[f"cpi:{metric}"] = (cc, f"{cc.n} control countries' CPI ({CPI_CONTROL_SOURCE}), same metric:")
    notes = [f"counterfactual (control group): {group.describe()}; simulated = counterfactual ⊕ the channels' "
             "effect (growth rates compound, percentage points add), p5–p95 over the model's draws and the "
             "bootstrap of the control median together; the exchange-rate rows and the studied country's own "
             "trade with the targets have none (its trade with other countries is itself moved by the scenario: "
             "what it stops buying from the targets it buys elsewhere)"]
    missing = sorted({r.get("_control") for r in rows if r.get("_control")} - set(controls))
    if missing:
        notes.append(f"counterfactual: no control data for {', '.join(missing)} (those rows compare the effect "
                     f"alone; e.g. no {CPI_CONTROL_SOURCE} CPI in the atlas)")
    return apply_counterfactuals(rows, controls), notes


def _combined_band(res: SpilloverResult, parts: list[tuple[str, str, str | None, float]], base: float) -> tuple:
    """Central value and p5/p95 of ``Σ sign·value / base`` over channels' effects (same draw index)."""
    if base <= 0:
        return None, None, None
    c, series = 0.0, []
    for channel, metric, prefix, sign in parts:
        v = _central_value(res, channel, metric, prefix)
        if v is None or np.isnan(v):
            continue
        c += sign * v
        series.append(_draw_values(res, channel, metric, prefix) * sign)
    if not series or any(s.len() == 0 for s in series):
        return c / base, None, None
    tot = series[0]
    for s in series[1:]:
        tot = tot + s.fill_nan(0.0)
    return (c / base, float(tot.quantile(0.05, "linear")) / base, float(tot.quantile(0.95, "linear")) / base,
            tot.to_numpy().astype(float) / base)


def _diversion_backtest(spec: ScenarioSpec, atlas, res: SpilloverResult, base_year: int, outcome_year: int, *,
                        draws: int) -> tuple[list[dict], list[str]]:
    """Backtest rows of the diversion channel: the coalition's (EU27, Eurostat) exports to every observed third
    country and to the targets, and the studied country's exports to the targets with re-exports."""
    if "diversion" not in res.channels:
        return [], []
    from .channels.trade import official_totals

    coalition, targets = _expand(spec.coalition, base_year), _expand(spec.targets, base_year)
    span = f"{base_year}→{outcome_year}"
    eu = atlas.sql("SELECT partner, year, value_usd FROM trade WHERE source = 'eurostat' AND reporter = 'EUU' "
                   "AND flow = 'export' AND classification = 'TOTAL' AND year IN (?, ?)", [base_year, outcome_year])

    def eu_growth(partners) -> float | None:
        v0 = fsum(eu.filter((pl.col("year") == base_year) & pl.col("partner").is_in(list(partners)))["value_usd"])
        v1 = fsum(eu.filter((pl.col("year") == outcome_year) & pl.col("partner").is_in(list(partners)))["value_usd"])
        return v1 / v0 - 1.0 if v0 > 0 and v1 > 0 else None

    rows: list[dict] = []
    notes: list[str] = []
    basis = "diversion channel; Eurostat EU27 (EUU) exports, USD"
    # the studied country's exports to the targets: trade channel's loss + diversion's re-exports and own supply
    iso3 = res.country
    tr = atlas.sql("SELECT * FROM trade WHERE reporter = ? AND classification = 'TOTAL' AND year IN (?, ?)",
                   [iso3, base_year, outcome_year])
    b, o = official_totals(tr, iso3, base_year), official_totals(tr, iso3, outcome_year)
    xb = fsum(b.filter((pl.col("flow") == "export") & pl.col("partner").is_in(list(targets)))["value_usd"])
    xo = fsum(o.filter((pl.col("flow") == "export") & pl.col("partner").is_in(list(targets)))["value_usd"])
    parts = [("trade", "trade_loss_usd", "flow=export", -1.0), ("diversion", "reexports_usd", None, 1.0),
             ("diversion", "own_supply_usd", None, 1.0)]
    sim = _combined_band(res, [p for p in parts if p[0] in res.channels], xb)
    rows.append(_bt_row(f"{iso3} exports to {'+'.join(sorted(targets))} incl. re-exports, {span}", "share", sim,
                        xo / xb - 1.0 if xb > 0 and xo > 0 else None,
                        f"trade − loss + diversion; {b['source'][0] if b.height else 'no official totals'} totals"))
    rows.append(_bt_row(f"EU27 exports to {'+'.join(sorted(targets))}, {span}", "share",
                        _band(res, "diversion", "coalition_exports_to_targets_change", None, lambda v: v),
                        eu_growth(targets), basis + " (bans only: −coverage)", control="eu27"))
    others = [c for c in _observed_neighbours(atlas, spec, base_year, outcome_year, coalition, targets) if c != iso3]
    per_country = {iso3: res}
    for k in others:
        try:
            per_country[k] = simulate(spec, country=k, base_year=base_year, atlas=atlas, draws=draws, seed=res.seed,
                                      channels=["diversion"])
        except (DataNotAvailableError, OptionError) as exc:
            notes.append(f"diversion backtest: {k} skipped ({exc})")
    for k, r in per_country.items():
        # the EU27 members' part of the re-exports over EU27 exports (the Eurostat rows observe the EU27 only);
        # the whole coalition's change where the channel has no EU27 split
        v = _central_value(r, "diversion", "eu27_exports_to_country_change", "EU27")
        metric, prefix = ("eu27_exports_to_country_change", "EU27") if v is not None and not np.isnan(v) else \
            ("coalition_exports_to_country_change", None)
        rows.append(_bt_row(f"EU27 exports to {k}, {span}", "share",
                            _band(r, "diversion", metric, prefix, lambda v: v), eu_growth([k]), basis,
                            control="eu27"))
    notes.append("EU27 rows: the coalition's exports as Eurostat reports them (EUU aggregate, converted to USD); "
                 "simulated = the EU27 members' re-exports routed through the country ÷ base-year EU27 exports to it")
    return rows, notes
