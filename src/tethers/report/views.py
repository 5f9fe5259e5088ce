"""The numbers behind the report and the dashboard: one country, a span of years, tidy frames only.

Orchestration in the style of :mod:`tethers.analysis.profile`: read tidy frames out of the atlas
(:mod:`tethers.atlas.queries`), hand them to the pure measures, collect the results with the provenance of
every section. :func:`collect` returns a frozen :class:`ReportView`; the HTML report
(:mod:`tethers.report.html`), the charts (:mod:`tethers.report.charts`) and the dashboard read it only
through :meth:`ReportView.tidy`, the captions and the notes.

Sections without data are not errors: they get an empty frame and a note saying what is missing.

The balance and critical-products sections come from :func:`tethers.analysis.balance.balance_over_time` and
:func:`tethers.analysis.dependence.critical_dependencies` (the figures of ``tethers balance`` / ``tethers critical``),
and the scenario section from :func:`tethers.scenario.engine.simulate`; all three are imported lazily. In a
build without them the balance and critical sections are computed directly from the measures, and the
scenario section says the simulator is not available.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from .. import countries
from ..atlas import queries
from ..atlas.store import Atlas

ProgressFn = Callable[[str, int, int], None]

SECTIONS: tuple[str, ...] = ("summary", "pole_shares", "balance", "routes", "critical", "alignment", "fx", "scenario")
# The strategic-options section: only in a view collected with ``options=`` (not one of SECTIONS, so a report
# without an options file, and the dashboard, are unchanged).
OPTIONS_SECTION = "options"
OPTIONS_DRAWS = 20  # Monte Carlo draws of the spillover per option set (as `tethers options`)

# ISO 4217 code of each country's currency, for the FX section (the currencies the atlas can hold).
CURRENCY: dict[str, str] = {
    "KAZ": "KZT", "RUS": "RUB", "UZB": "UZS", "KGZ": "KGS", "TJK": "TJS", "TKM": "TMT", "UKR": "UAH",
    "BLR": "BYN", "CHN": "CNY", "USA": "USD", "TUR": "TRY", "ARM": "AMD", "GEO": "GEL", "AZE": "AZN",
    "MNG": "MNT", "GBR": "GBP", "JPN": "JPY", "IND": "INR", "CHE": "CHF",
}
# The currency standing for each pole (the euro for the EU; none for Central Asia).
POLE_CURRENCY: dict[str, str] = {"RUS": "RUB", "CHN": "CNY", "EU27": "EUR", "TUR": "TRY"}
OLD_CODES: dict[str, tuple[str, ...]] = {"BYN": ("BYN", "BYR")}  # redenominated currencies
FX_WINDOW = {"monthly": 36, "daily": 60}  # monthly: three years, as `tethers dependence`


@dataclass(frozen=True)
class Caption:
    """What a chart shows (``definition``) and where its numbers come from (``sources``, from provenance)."""

    title: str
    definition: str
    sources: tuple[str, ...] = ()
    method: str = ""  # how the numbers are computed, where that is more than the definition (options section)
    limits: str = ""  # what the numbers do not capture (options section)


@dataclass(frozen=True)
class ReportView:
    """Every section of a country's report over a span of years.

    Attributes
    ----------
    country, name : ISO3 code and short English name.
    year : the focal year (summary, critical products, routes, scenario base year).
    start, end : first and last year of the time series (inclusive).
    poles : pole ids used (``ROW`` is always the residual).
    frames : section → tidy Polars frame (see :meth:`tidy` for the columns).
    captions : section → :class:`Caption` (definition and provenance-based sources).
    notes : section → caveats and "no data" notes a reader must see.
    scenario : name of the scenario simulated, if any.
    """

    country: str
    name: str
    year: int
    start: int
    end: int
    poles: tuple[str, ...]
    frames: dict[str, pl.DataFrame]
    captions: dict[str, Caption]
    notes: dict[str, list[str]] = field(default_factory=dict)
    scenario: str | None = None

    def tidy(self) -> dict[str, pl.DataFrame]:
        """Section → tidy frame.

        ``summary`` [metric, label, value, text, unit]; ``position`` [pole, label, import_share, export_share,
        agreement]; ``pole_shares`` [year, flow, pole, label, value_usd, share]; ``balance`` [dimension, year,
        k, row_share, hhi, balance, entropy]; ``balance_composite`` [year, balance, n_dimensions,
        weight_covered]; ``routes`` [route_id, name, kind, carrier, countries, capacity, unit, status,
        start_year, source]; ``critical`` (see :func:`tethers.measures.critical.critical_products`);
        ``alignment`` [year, pole, label, n_members, n_roll_calls, agreement, kappa, kappa_w]; ``fx``
        [date, currency, on, n, corr, beta]; ``scenario`` (the simulator's ``tidy()``); ``sources``
        [section, source, citation, licence, files].
        """
        return dict(self.frames)


# --------------------------------------------------------------------------------------------- collect


DEFINITIONS: dict[str, str] = {
    "pole_shares": (
        "Share of each pole in the country's goods imports and exports, S_P = Σ_{p∈P(t)} X_p / Σ_q X_q "
        "(current USD; pole membership as of each year; ROW = every partner in no pole). "
        "tethers.measures.trade.pole_shares; docs/methods.md §1."
    ),
    "balance": (
        "B = K/(K−1)·(1 − Σ_p s_p²) over the K named poles (ROW excluded, shares renormalised): 1 = evenly "
        "spread over the poles, 0 = everything with one pole. One line per dimension with pole shares in "
        "the atlas. tethers.measures.balance.balance_index; docs/methods.md §5."
    ),
    "routes": (
        "Cross-border pipelines, rail links and ports whose recorded path includes the country, with the "
        "design capacity the source gives (units differ by route and are never added up). Edges join "
        "consecutive countries of each route's path, wider for more routes, dotted where none is operating; "
        "hover an edge's midpoint for its routes. Node colour = pole; positions are schematic, not geographic. "
        "Atlas table routes."
    ),
    "critical": (
        "Product-level imports meeting the GeoDep/EU criteria: supplier HHI = Σ_p s_p² > 0.4 and imports > "
        "exports; ranked by imports. tethers.measures.critical.critical_products; docs/methods.md §2."
    ),
    "alignment": (
        "Agreement A = 1 − mean|x_i − x_j| over the roll calls of a year on which both voted (yes = 1, "
        "abstain = ½, no = 0; absences excluded); for the EU and Central Asia the mean of the dyadic "
        "indices over the member states of that year. tethers.measures.alignment.pole_agreement; "
        "docs/methods.md §3."
    ),
    "fx": (
        "Rolling correlation over the last {window} aligned observations of the log changes of each "
        "currency against the US dollar, r_t = ln(e_t/e_{t−1}), e = units per USD; the hover also gives the "
        "Frankel–Wei beta (OLS slope on the same window). tethers.measures.fx.rolling_beta; "
        "docs/methods.md §4."
    ),
    "scenario": (
        "Effects on the country of the sanctions scenario, by channel, from tethers.scenario.engine.simulate "
        "(central value and the spread of the Monte Carlo draws where the simulator gives them)."
    ),
    "summary": (
        "Import and export shares by pole (trade), UN voting agreement with each pole in the year, and the "
        "balance index of the year (mean over the dimensions available). tethers.analysis.profile.profile."
    ),
}
TITLES: dict[str, str] = {
    "summary": "{name} in {year}: position between the poles",
    "pole_shares": "Trade by pole over time",
    "balance": "Multi-vector balance by dimension",
    "routes": "Transit routes crossing the country",
    "critical": "Critical imports, {year}",
    "alignment": "UN General Assembly voting alignment with each pole",
    "fx": "Exchange-rate co-movement with the pole currencies",
    "scenario": "Scenario",
}


@dataclass
class _Build:
    """Mutable state while the sections are computed (never leaves this module)."""

    atlas: Atlas
    iso3: str
    year: int
    lo: int
    hi: int
    poles: tuple[str, ...]
    scenario: str | Path | None
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in SECTIONS})
    prov: dict[str, pl.DataFrame] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # section → text appended to the definition
    scenario_name: str | None = None
    draws: int = 100
    options: dict | None = None  # the strategic-options request (see collect), None = no options section
    options_caption: Caption | None = None


def collect(
    country: str,
    *,
    atlas: Atlas,
    year: int,
    start: int | None = None,
    end: int | None = None,
    poles: Sequence[str] = countries.POLE_ORDER,
    scenario: str | Path | None = None,
    draws: int = 100,
    progress: ProgressFn | None = None,
    options=None,
    budget: float | None = None,
    objective: str = "balance",
    options_scenario=None,
    options_points: int = 9,
) -> ReportView:
    """Compute every section for ``country`` (any spelling); time series span ``start``–``end``.

    ``start`` defaults to the country's first UN roll-call vote (else 1992), ``end`` to the last year the
    atlas has. ``scenario`` is a scenario file (YAML/TOML) run through the simulator with ``draws`` Monte
    Carlo draws.

    ``options`` (an options file or a loaded :class:`~tethers.options.spec.OptionSet`) adds the section
    ``options``: every option evaluated alone and the best mix within ``budget`` USD with the frontier of
    ``objective`` (``balance`` or ``spillover``) against cost (:func:`tethers.options.optimise.optimise`,
    ``options_points`` + 1 budgets plus ``budget``). The spillover needs a scenario: ``options_scenario``
    (a file or a loaded spec), else ``scenario``.
    """
    iso3 = countries.resolve(country)
    lo, hi = default_span(atlas, iso3)
    b = _Build(atlas, iso3, year, start if start is not None else lo, end if end is not None else hi,
               tuple(p for p in dict.fromkeys(poles) if p != "ROW"), scenario, draws=draws)
    steps = STEPS
    if options is not None:
        b.options = _options_request(options, budget, objective, options_scenario if options_scenario is not None
                                     else scenario, options_points)
        b.notes[OPTIONS_SECTION] = []
        steps = (*STEPS[:-1], ("strategic options", _step_options), STEPS[-1])
    elif budget is not None or options_scenario is not None or objective != "balance":
        from ..errors import OptionError

        raise OptionError("a budget, objective or options scenario needs an options file (--options FILE)")
    for i, (label, fn) in enumerate(steps, start=1):
        if progress:
            progress(label, i, len(steps))
        fn(b)
    b.frames["sources"] = _sources_frame(list(b.prov.values()))
    name = countries.name(iso3)
    captions = {
        s: Caption(
            TITLES[s].format(name=name, year=year) + (f": {b.scenario_name}" if s == "scenario" and b.scenario_name else ""),
            DEFINITIONS[s].replace("{window}", b.extra.get("window", "")) + b.extra.get(s, ""),
            _source_lines(b.prov[s]) if s in b.prov else (f"scenario file: {Path(scenario).name}",) if scenario else (),
        )
        for s in SECTIONS
    }
    if b.options_caption is not None:
        captions[OPTIONS_SECTION] = b.options_caption
    return ReportView(
        country=iso3, name=name, year=year, start=b.lo, end=b.hi,
        poles=b.poles, frames=b.frames, captions=captions, notes=b.notes, scenario=b.scenario_name,
    )


def _step_pole_shares(b: _Build) -> None:
    df, src, span = _pole_shares(b.atlas, b.iso3, b.lo, b.hi, b.poles, b.notes["pole_shares"])
    b.frames["pole_shares"], b.prov["pole_shares"], b.extra["pole_shares"] = df, src, span


def _step_balance(b: _Build) -> None:
    try:
        from ..analysis.balance import balance_over_time
    except ImportError:  # a build without the balance orchestration: the measures directly
        trade_src = b.prov["pole_shares"].with_columns(pl.lit("balance").alias("section"))
        bal, comp, src = _balance(b.atlas, b.iso3, b.lo, b.hi, b.poles, b.frames["pole_shares"], b.notes["balance"],
                                  trade_src)
        b.notes["balance"].append("tethers.analysis.balance is not available in this build: the dimensions "
                                  "are those computed here from the measures (imports, exports, arms, energy).")
    else:
        res = balance_over_time(b.iso3, b.lo, b.hi, atlas=b.atlas, poles=b.poles)
        bal = res.by_dimension.filter(pl.col("balance").is_not_null())
        comp = res.composite.filter(pl.col("balance").is_not_null())
        b.notes["balance"].extend(res.notes)
        src = _cite(b.atlas, "balance", res.sources)
        b.extra["balance"] = " Dimensions: " + "; ".join(
            f"{r['dimension']} = {r['definition']} ({r['unit']})" for r in res.dimensions.iter_rows(named=True)
            if r["years_with_data"]) + ". Composite: equal weights over the dimensions present each year."
    b.frames["balance"], b.frames["balance_composite"], b.prov["balance"] = bal, comp, src


def _step_routes(b: _Build) -> None:
    from ..analysis.profile import energy_by_pole

    b.frames["routes"], b.prov["routes"] = _routes(b.atlas, b.iso3, b.year, b.notes["routes"])
    b.frames["energy"], _ = energy_by_pole(b.atlas, b.iso3, b.year, b.poles)


def _step_critical(b: _Build) -> None:
    try:
        from ..analysis.dependence import critical_dependencies
    except ImportError:
        b.frames["critical"], b.prov["critical"] = _critical(b.atlas, b.iso3, b.year, b.notes["critical"])
        b.notes["critical"].append("tethers.analysis.dependence is not available in this build: the criteria are applied "
                                   "directly (exports of the same classification only, no mirror statistics).")
        return
    res = critical_dependencies(b.iso3, b.year, atlas=b.atlas)
    b.frames["critical"] = res.products
    b.notes["critical"].extend([res.coverage, *res.notes] if res.coverage else res.notes)
    b.prov["critical"] = _cite(b.atlas, "critical", res.sources)


def _step_alignment(b: _Build) -> None:
    b.frames["alignment"], b.prov["alignment"] = _alignment(b.atlas, b.iso3, b.lo, b.hi, b.poles,
                                                            b.notes["alignment"])


def _step_fx(b: _Build) -> None:
    df, src, window = _fx(b.atlas, b.iso3, b.lo, b.hi, b.poles, b.notes["fx"])
    b.frames["fx"], b.prov["fx"], b.extra["window"] = df, src, str(window)


def _step_scenario(b: _Build) -> None:
    b.frames["scenario"], b.scenario_name, base, observed = _scenario(b.atlas, b.iso3, b.year, b.scenario,
                                                                      b.notes["scenario"], draws=b.draws)
    if observed.height:
        b.frames["scenario_backtest"] = observed
    if base is not None:
        b.extra["scenario"] = f" Applied to {base} data, {b.draws} Monte Carlo draws (seed {SCENARIO_SEED})."


def _step_summary(b: _Build) -> None:
    summary, position, src = _summary(b.atlas, b.iso3, b.year, b.poles, b.frames, b.notes["summary"],
                                      skip_trade_notes=bool(b.notes["pole_shares"]))
    b.frames["summary"], b.frames["position"], b.prov["summary"] = summary, position, src


def _step_options(b: _Build) -> None:
    frames, caption, prov, notes = _options(b.atlas, b.iso3, b.year, **b.options)  # type: ignore[arg-type]
    b.frames.update(frames)
    b.notes[OPTIONS_SECTION].extend(notes)
    b.prov[OPTIONS_SECTION] = prov
    b.options_caption = replace(caption, sources=(*caption.sources, *_source_lines(prov)))


STEPS: tuple[tuple[str, Callable[[_Build], None]], ...] = (
    ("trade shares by pole", _step_pole_shares),
    ("balance index", _step_balance),
    ("transit routes", _step_routes),
    ("critical products", _step_critical),
    ("UN voting alignment", _step_alignment),
    ("exchange-rate co-movement", _step_fx),
    ("scenario", _step_scenario),
    ("summary", _step_summary),
)


# --------------------------------------------------------------------------------------------- sections


def _prov(atlas: Atlas, section: str, table: str, used: Sequence[str]) -> pl.DataFrame:
    """Provenance rows of ``table`` for the sources ``used``: [section, source, citation, licence, file]."""
    prov = atlas.provenance(table)
    prov = prov.filter(pl.col("source").is_in(list(used))) if used else prov.head(0)
    return prov.select(pl.lit(section).alias("section"), "source", pl.col("citation").fill_null(""), "licence",
                       "file")


def _source_lines(prov: pl.DataFrame) -> tuple[str, ...]:
    """One line per source: 'citation — licence (n files)'."""
    if prov.height == 0:
        return ()
    g = prov.group_by("source", maintain_order=True).agg(pl.col("citation").first(), pl.col("licence").first(),
                                                         pl.col("file").n_unique().alias("n"))
    return tuple(
        f"{r['citation'] or r['source']} [{r['source']}] — {r['licence']} ({r['n']} file{'s' * (r['n'] != 1)})"
        for r in g.iter_rows(named=True)
    )


def _sources_frame(parts: list[pl.DataFrame]) -> pl.DataFrame:
    schema = {"section": pl.Utf8, "source": pl.Utf8, "citation": pl.Utf8, "licence": pl.Utf8, "file": pl.Utf8}
    parts = [p for p in parts if p.height]
    if not parts:
        return pl.DataFrame(schema={**schema, "files": pl.UInt32}).drop("file")
    df = pl.concat(parts, how="vertical_relaxed")
    return (
        df.group_by("section", "source", maintain_order=True)
        .agg(pl.col("citation").first(), pl.col("licence").first(), pl.col("file").n_unique().alias("files"))
    )


def _label(col: str = "pole") -> pl.Expr:
    return pl.col(col).replace_strict(countries.POLE_LABELS, default=pl.col(col), return_dtype=pl.Utf8).alias("label")


def _pole_shares(atlas, iso3, lo, hi, poles, notes):
    """Trade shares by pole per year from the trade dimension (:mod:`tethers.dimensions.trade`): shares only in
    the (year, flow) cells the coverage rule passes; other cells are levels, their status and reason noted."""
    from ..dimensions import trade as trade_dim

    schema = {"year": pl.Int32, "flow": pl.Utf8, "pole": pl.Utf8, "label": pl.Utf8, "value_usd": pl.Float64,
              "share": pl.Float64, "status": pl.Utf8, "basis": pl.Utf8}
    reading = trade_dim.DIMENSION.read(atlas, iso3, (lo, hi), tuple(p for p in poles if p != "ROW"))
    if reading.values.height == 0:
        notes.append(f"No goods trade by partner for {iso3} between {lo} and {hi} in the atlas "
                     f"({reading.reason(lo) or 'no rows'}).")
        return pl.DataFrame(schema=schema), _prov(atlas, "pole_shares", "trade", []), ""
    part_flow = {v: k for k, v in trade_dim.FLOW_PART.items()}
    sh = reading.shares(trade_dim.DIMENSION.parts).filter(pl.col("value").is_not_null())
    df = sh.with_columns(flow=pl.col("part").replace_strict(part_flow), value_usd=pl.col("value")).with_columns(
        _label()).select(list(schema)).sort("year", "flow")
    bad = reading.coverage.filter(~pl.col("status").is_in(["ok", "no data"]))
    for r in bad.iter_rows(named=True):
        notes.append(f"{r['year']} {r['part']}: {r['reason']} — levels only, no shares.")
    src = sorted({s for _t, ss in reading.sources for s in ss})
    span = f" Years with data: {df['year'].min()}–{df['year'].max()}."
    return df, _prov(atlas, "pole_shares", "trade", src), span


def _flows_as_trade(flows: pl.DataFrame) -> pl.DataFrame:
    """energy_flows rows in the shape pole_shares reads (volumes in the ``value_usd`` slot; shares are unit-free)."""
    return flows.select(
        "year", pl.col("exporter").alias("reporter"), pl.col("importer").alias("partner"),
        pl.lit("TOTAL").alias("classification"), pl.lit("TOTAL").alias("product"), pl.lit("export").alias("flow"),
        pl.col("volume").alias("value_usd"), "carrier", "unit", "source",
    )


def _balance(atlas, iso3, lo, hi, poles, trade_shares, notes, trade_src):
    from ..measures.balance import balance_index, composite
    from ..measures.security import arms_imports
    from ..measures.trade import pole_shares

    dims: list[pl.DataFrame] = []
    prov: list[pl.DataFrame] = [trade_src]
    pole_arg = [*poles, "ROW"]
    if trade_shares is not None and trade_shares.height:
        for flow, label in (("import", "imports"), ("export", "exports")):
            part = trade_shares.filter(pl.col("flow") == flow).select("year", "pole", "share")
            dims.append(part.with_columns(pl.lit(label).alias("dimension")))
    arms_rows = atlas.sql(
        "SELECT * FROM trade WHERE reporter = ? AND flow = 'import' AND product = '93' "
        "AND classification LIKE 'HS%' AND year BETWEEN ? AND ?", [iso3, lo, hi])
    if arms_rows.height:
        arms = arms_imports(arms_rows, reporter=iso3, by="pole", poles=pole_arg)
        dims.append(arms.select("year", "pole", "share").with_columns(pl.lit("arms imports (HS 93)").alias("dimension")))
        prov.append(_prov(atlas, "balance", "trade", sorted(arms_rows["source"].unique().to_list())))
    flows = atlas.sql("SELECT * FROM energy_flows WHERE exporter = ? AND importer <> 'WLD' AND year BETWEEN ? AND ?",
                      [iso3, lo, hi])
    gas_ok: list[int] | None = None  # gas: only the years the coverage rule passes (dimensions.energy)
    if flows.filter(pl.col("carrier") == "gas").height:
        from ..dimensions import energy as energy_dim

        cov = energy_dim.DIMENSION.read(atlas, iso3, (lo, hi), tuple(p for p in poles if p != "ROW")).coverage
        cov = cov.filter(pl.col("part") == "gas_exports")
        gas_ok = cov.filter(pl.col("status") == "ok")["year"].to_list()
        for r in cov.filter(~pl.col("status").is_in(["ok", "no data"])).iter_rows(named=True):
            notes.append(f"{r['year']} gas exports: {r['reason']} — not in the balance index.")
    for (carrier,), part in flows.group_by(["carrier"], maintain_order=True):
        if carrier == "gas" and gas_ok is not None:
            part = part.filter(pl.col("year").is_in(gas_ok))
            if part.height == 0:
                continue
        ps = pole_shares(_flows_as_trade(part), poles=pole_arg, reporter=iso3, flow="export")
        units = "/".join(sorted(part["unit"].unique().to_list()))
        dims.append(ps.select("year", "pole", "share").with_columns(pl.lit(f"{carrier} exports ({units})").alias("dimension")))
    if flows.height:
        prov.append(_prov(atlas, "balance", "energy_flows", sorted(flows["source"].unique().to_list())))
    schema = {"dimension": pl.Utf8, "year": pl.Int32, "k": pl.UInt32, "row_share": pl.Float64, "hhi": pl.Float64,
              "balance": pl.Float64, "entropy": pl.Float64}
    comp_schema = {"year": pl.Int32, "balance": pl.Float64, "n_dimensions": pl.UInt32, "weight_covered": pl.Float64}
    src = pl.concat(prov, how="vertical_relaxed")
    if not dims:
        notes.append(f"No pole shares for {iso3} in the atlas (trade, arms imports or energy exports): "
                     "no balance index.")
        return pl.DataFrame(schema=schema), pl.DataFrame(schema=comp_schema), src
    if len(poles) < 2:
        notes.append("The balance index needs at least two poles.")
        return pl.DataFrame(schema=schema), pl.DataFrame(schema=comp_schema), src
    shares = pl.concat([d.select("dimension", pl.col("year").cast(pl.Int32), "pole", "share") for d in dims])
    bal = balance_index(shares, poles=pole_arg, by=["dimension", "year"]).select(list(schema)).sort("dimension", "year")
    comp = composite(bal, by=["year"]).select(list(comp_schema)).sort("year")
    return bal, comp, src


ROUTE_COLUMNS = ("route_id", "name", "kind", "carrier", "countries", "capacity", "unit", "status", "start_year",
                 "source")


# Routes that do not (or no longer) carry anything are listed in a note, not drawn.
NOT_ROUTES = ("proposed", "cancelled", "shelved", "retired")


def _routes(atlas, iso3, year, notes):
    df = atlas.sql(
        "SELECT * FROM routes WHERE list_contains(string_split(countries, ';'), ?) ORDER BY route_id", [iso3]
    )
    if df.height == 0:
        notes.append(f"The atlas records no pipeline, rail link or port for {iso3}.")
    cross_border = pl.col("countries").str.contains(";") | (pl.col("kind") == "port")
    domestic = df.filter(~cross_border).height
    if domestic:
        notes.append(f"{domestic} domestic route(s) (within {iso3} only) are in the atlas but not drawn.")
    df = df.filter(cross_border)
    gone = df.filter(pl.col("status").is_in(NOT_ROUTES))
    if gone.height:
        counts = gone.group_by("status").len().sort("status")
        notes.append("Left out as not carrying anything: " + ", ".join(
            f"{r['len']} {r['status']}" for r in counts.iter_rows(named=True)) + " route(s).")
    later = df.filter(~pl.col("status").is_in(NOT_ROUTES).fill_null(False) & (pl.col("start_year") > year))
    if later.height:
        notes.append(f"{later.height} route(s) starting after {year} are left out.")
    keep = df.filter(~pl.col("status").is_in(NOT_ROUTES).fill_null(False)
                     & (pl.col("start_year").is_null() | (pl.col("start_year") <= year)))
    if keep.height:
        notes.append("Status is the one the source gives at its publication date, not as of the report year.")
    out = keep.select(list(ROUTE_COLUMNS)).sort(["carrier", "capacity"], descending=[False, True], nulls_last=True)
    return out, _prov(atlas, "routes", "routes", sorted(out["source"].unique().to_list()))


def _critical(atlas, iso3, year, notes):
    from ..measures.critical import critical_products

    rows = atlas.sql(
        "SELECT * FROM trade WHERE reporter = ? AND product <> 'TOTAL' AND year BETWEEN ? AND ?",
        [iso3, year - 2, year],
    )
    imports = rows.filter((pl.col("flow") == "import") & (pl.col("partner") != "WLD"))
    if imports.filter(pl.col("year") == year).height == 0:
        have = atlas.sql(
            "SELECT DISTINCT year FROM trade WHERE reporter = ? AND product <> 'TOTAL' AND flow = 'import' "
            "AND partner <> 'WLD' ORDER BY year", [iso3])["year"].to_list()
        span = f" (the atlas has them for {have[0]}–{have[-1]})" if have else ""
        notes.append(f"No product-level imports by supplier for {iso3} in {year} in the atlas{span}: "
                     "critical products cannot be computed.")
        return pl.DataFrame(), _prov(atlas, "critical", "trade", [])
    df = critical_products(rows, reporter=iso3).filter(pl.col("year") == year)  # persistence needs t−2 … t
    cls = sorted(imports["classification"].unique().to_list())
    exp_cls = set(rows.filter(pl.col("flow") == "export")["classification"].unique().to_list())
    if not set(cls) & exp_cls:
        notes.append(
            f"The atlas has {iso3}'s imports by supplier only in {', '.join(cls)} categories "
            f"({df.height} product(s)) and no exports in that classification, so the net-importer criterion "
            "(imports > exports) holds trivially; read the table as supplier concentration."
        )
    src = sorted(imports["source"].unique().to_list())
    return df, _prov(atlas, "critical", "trade", src)


def _alignment(atlas, iso3, lo, hi, poles, notes):
    from ..measures.alignment import pole_agreement

    schema = {"year": pl.Int32, "pole": pl.Utf8, "label": pl.Utf8, "n_members": pl.UInt32,
              "n_roll_calls": pl.UInt32, "agreement": pl.Float64, "kappa": pl.Float64, "kappa_w": pl.Float64}
    first = atlas.sql("SELECT min(year(date)) AS y FROM votes WHERE country = ?", [iso3])["y"][0]
    if first is None:
        notes.append(f"The atlas has no UN General Assembly roll-call vote by {iso3}.")
        return pl.DataFrame(schema=schema), _prov(atlas, "alignment", "votes", [])
    v = queries.votes(atlas, years=(max(lo, int(first)), hi))
    voted = v.filter(pl.col("country") == iso3).select("source", "rcid").unique()
    v = v.join(voted, on=["source", "rcid"], how="semi")
    if v.height == 0:
        notes.append(f"No roll-call vote by {iso3} between {lo} and {hi} in the atlas.")
        return pl.DataFrame(schema=schema), _prov(atlas, "alignment", "votes", [])
    al = pole_agreement(v, country=iso3, poles=[*poles, "ROW"])
    df = al.with_columns(pl.col("year").cast(pl.Int32), _label()).select(list(schema))
    by_src = v.group_by("source").agg(pl.col("year").min().alias("a"), pl.col("year").max().alias("b")).sort("a")
    notes.append("Roll calls by year: " + "; ".join(
        f"{r['source']} {r['a']}–{r['b']}" for r in by_src.iter_rows(named=True)) +
        " (one source per year, curated Voeten data first).")
    thin = df.group_by("year").agg(pl.col("n_roll_calls").max()).filter(pl.col("n_roll_calls") < 20)
    if thin.height:
        notes.append("Fewer than 20 common roll calls in " + ", ".join(map(str, sorted(thin["year"].to_list())))
                     + ": read those years with care.")
    return df, _prov(atlas, "alignment", "votes", sorted(v["source"].unique().to_list()))


def _fx_pair_source(fx: pl.DataFrame, own: str, other: str) -> tuple[str, str] | None:
    """The (source, frequency) where both currencies have the most common dates."""
    a = fx.filter(pl.col("currency") == own).select("source", "frequency", "date")
    b = fx.filter(pl.col("currency") == other).select("source", "frequency", "date")
    j = a.join(b, on=["source", "frequency", "date"]).group_by("source", "frequency").len().sort("len", descending=True)
    return (j["source"][0], j["frequency"][0]) if j.height and j["len"][0] > 2 else None


def _fx(atlas, iso3, lo, hi, poles, notes):
    from ..measures.fx import rolling_beta

    schema = {"date": pl.Date, "currency": pl.Utf8, "on": pl.Utf8, "n": pl.UInt32, "corr": pl.Float64,
              "beta": pl.Float64}
    fx = atlas.sql("SELECT * FROM fx WHERE year(date) BETWEEN ? AND ?", [lo, hi])
    own = CURRENCY.get(iso3)
    have = set(fx["currency"].unique().to_list())
    codes = [c for c in OLD_CODES.get(own, (own,)) if c in have] if own else []
    window = FX_WINDOW["monthly"]
    if not codes:
        what = f"its currency ({own})" if own else "its currency"
        notes.append(f"The atlas has no exchange rate for {what}; it holds {', '.join(sorted(have)) or 'none'}.")
        return pl.DataFrame(schema=schema), _prov(atlas, "fx", "fx", []), window
    own = codes[0]
    parts, used = [], set()
    for pole in poles:
        other = POLE_CURRENCY.get(pole)
        if other is None or other == own or other not in have:
            continue
        pick = _fx_pair_source(fx, own, other)
        if pick is None:
            continue
        src, freq = pick
        window = FX_WINDOW[freq]
        sub = fx.filter((pl.col("source") == src) & (pl.col("frequency") == freq))
        rb = rolling_beta(sub, currency=own, on=other, window=window)
        parts.append(rb.drop_nulls("corr"))
        used.add(src)
    if not parts:
        notes.append(f"No pole currency ({', '.join(POLE_CURRENCY[p] for p in poles if p in POLE_CURRENCY)}) shares "
                     f"enough dates with {own} in the atlas.")
        return pl.DataFrame(schema=schema), _prov(atlas, "fx", "fx", []), window
    df = pl.concat(parts).select(list(schema)).sort("on", "date")
    missing = [POLE_CURRENCY[p] for p in poles if p in POLE_CURRENCY and POLE_CURRENCY[p] not in have]
    if missing:
        notes.append(f"Not in the atlas's fx table: {', '.join(missing)} (no co-movement shown for those poles).")
    return df, _prov(atlas, "fx", "fx", sorted(used)), window


SCENARIO_SEED = 20220224  # fixed, so that a report is reproducible


def _scenario(atlas, iso3, year, scenario, notes, *, draws: int = 100):
    """``(effects, scenario name, base year)``; the effects are :meth:`SpilloverResult.tidy` rows for ``iso3``."""
    if scenario is None:
        notes.append("No scenario given (tethers report … --scenario FILE.yaml; the dashboard lists the files of "
                     "tethers serve --scenarios DIR).")
        return pl.DataFrame(), None, None, pl.DataFrame()
    from ..scenario.spec import load_spec

    spec = load_spec(scenario)
    try:
        from ..scenario.engine import simulate  # noqa: F401 - the simulator is available in this build
    except ImportError:
        notes.append(f"Scenario {spec.name!r} was read, but the sanctions simulator (tethers.scenario.engine) is "
                     "not available in this build: no results.")
        return pl.DataFrame(), spec.name, None, pl.DataFrame()
    base = min(year, spec.start_year - 1)
    if base != year:
        notes.append(f"The scenario starts in {spec.start_year}: it is applied to {base} data (the year before), "
                     f"not to {year}.")
    result, observed = _simulate_or_backtest(atlas, spec, iso3, base, draws=draws, notes=notes)
    df = result.tidy()
    if "country" in df.columns:
        df = df.filter(pl.col("country") == iso3)
    notes.extend(result.notes)
    if "metric" in df.columns:
        notes.extend(f"{r['channel']}: {r['detail']}" for r in df.filter(pl.col("metric") == "note").iter_rows(named=True))
        df = df.filter(pl.col("metric") != "note")
    if df.height == 0:
        notes.append(f"The scenario {spec.name!r} has no effects for {iso3}.")
    return df, spec.name, base, observed


def _simulate_or_backtest(atlas, spec, iso3: str, base: int, *, draws: int, notes: list[str]):
    """``(SpilloverResult, backtest rows)``: where the atlas observes the scenario's start year, the simulation
    comes from :func:`tethers.scenario.engine.backtest` (the same simulation, same seed) and its rows — effect,
    counterfactual, simulated, p5–p95, observed, error — are kept for the rows with an observation, so the
    report shows the model next to what happened; else the simulation alone and an empty frame."""
    from ..errors import TethersError
    from ..scenario.engine import backtest, simulate

    outcome = spec.start_year
    if spec.hypothetical:
        return simulate(spec, country=iso3, base_year=base, atlas=atlas, draws=draws, seed=SCENARIO_SEED), \
            pl.DataFrame()
    try:
        bt = backtest(spec, country=iso3, base_year=base, outcome_year=outcome, atlas=atlas, draws=draws,
                      seed=SCENARIO_SEED)
    except TethersError as exc:
        notes.append(f"No backtest against {outcome}: {exc}")
        return simulate(spec, country=iso3, base_year=base, atlas=atlas, draws=draws, seed=SCENARIO_SEED), \
            pl.DataFrame()
    rows = bt.rows.filter(pl.col("observed").is_not_null() & pl.col("simulated").is_not_null())
    if rows.height == 0:
        notes.append(f"No backtest: the atlas observes none of the simulated figures in {outcome}.")
    else:
        notes.append(f"Backtest {base}→{outcome}: simulated = the control group's change (counterfactual) ⊕ the "
                     "channels' effect for the rows with a control group (docs/scenario.md §11); the observed "
                     "change includes every cause, not only the scenario.")
        notes.extend(n for n in bt.notes if n.startswith("counterfactual"))
    return bt.result, rows.with_columns(base_year=pl.lit(base), outcome_year=pl.lit(outcome))


def _summary(atlas, iso3, year, poles, frames, notes, *, skip_trade_notes=False):
    from ..analysis.profile import profile

    prof = profile(iso3, year, atlas=atlas, top=1, poles=(*poles, "ROW"))
    skip = ("memberships:", "trade:") if skip_trade_notes else ("memberships:",)
    notes.extend(n for n in prof.notes if not n.startswith(skip))
    rows: list[tuple[str, str, float | None, str | None, str]] = []
    for flow in ("import", "export"):
        if flow in prof.totals:
            rows.append((f"total_{flow}", f"Goods {flow}s", prof.totals[flow], None, "USD"))
            top = prof.partners.filter(pl.col("flow") == flow)
            if top.height:
                r = top.row(0, named=True)
                rows.append((f"top_{flow}_partner", f"Largest {flow} partner", r["share"],
                             f"{r['name']} ({r['partner']})", "share"))
    comp = frames.get("balance_composite")
    if comp is not None and comp.height:
        c = comp.filter(pl.col("year") == year)
        if c.height:
            rows.append(("balance", f"Balance index {year} (mean of {c['n_dimensions'][0]} dimension(s))",
                         c["balance"][0], None, "index"))
    rows.append(("memberships", "Intergovernmental organisations (member or observer)",
                 float(prof.memberships.height), None, "count"))
    rows.append(("roll_calls", f"UN roll calls in {year}", float(prof.votes.get("roll_calls") or 0), None, "count"))
    summary = pl.DataFrame(rows, schema={"metric": pl.Utf8, "label": pl.Utf8, "value": pl.Float64,
                                         "text": pl.Utf8, "unit": pl.Utf8}, orient="row")
    shares = prof.poles
    al = frames.get("alignment")
    al = al.filter(pl.col("year") == year) if al is not None and al.height else None
    pos = []
    for pole in [*poles, "ROW"]:
        pid = pole if pole in ("EU27", "CASIA", "ROW") else countries.resolve(pole)
        imp = _pick(shares, flow="import", pole=pid)
        exp = _pick(shares, flow="export", pole=pid)
        agr = al.filter(pl.col("pole") == pid)["agreement"] if al is not None else None
        pos.append((pid, countries.POLE_LABELS.get(pid, countries.name(pid)), imp, exp,
                    float(agr[0]) if agr is not None and len(agr) else None))
    position = pl.DataFrame(pos, schema={"pole": pl.Utf8, "label": pl.Utf8, "import_share": pl.Float64,
                                         "export_share": pl.Float64, "agreement": pl.Float64}, orient="row")
    src = prof.sources.select("section", "source", "file", "licence").join(
        atlas.provenance().select("source", "file", pl.col("citation").fill_null("")).unique(["source", "file"]),
        on=["source", "file"], how="left",
    ).select(pl.lit("summary").alias("section"), "source", pl.col("citation").fill_null(""), "licence", "file")
    return summary, position, src


def _pick(df: pl.DataFrame, **eq) -> float | None:
    if df.height == 0:
        return None
    for k, v in eq.items():
        df = df.filter(pl.col(k) == v)
    return float(df["share"][0]) if df.height and df["share"][0] is not None else None  # null: below the coverage rule


def default_span(atlas: Atlas, iso3: str) -> tuple[int, int]:
    """Default years of the time series: the country's first UN roll call (else 1992) to the atlas's last year."""
    first = atlas.sql("SELECT min(year(date)) AS y FROM votes WHERE country = ?", [iso3])["y"][0]
    last = atlas.sql(
        "SELECT max(y) AS y FROM (SELECT max(year) AS y FROM trade UNION ALL SELECT max(year(date)) FROM votes "
        "UNION ALL SELECT max(year) FROM energy_flows)")["y"][0]
    return int(first or 1992), int(last or 2023)


def _cite(atlas: Atlas, section: str, sources: pl.DataFrame) -> pl.DataFrame:
    """``[table, source, file, licence]`` rows (the orchestrators' ``sources``) → this module's provenance shape."""
    if sources.height == 0:
        return _prov(atlas, section, "trade", [])
    cit = atlas.provenance().select(pl.col("table_name").alias("table"), "source", "file",
                                    pl.col("citation").fill_null("")).unique(["table", "source", "file"])
    return sources.join(cit, on=["table", "source", "file"], how="left").select(
        pl.lit(section).alias("section"), "source", pl.col("citation").fill_null(""), "licence", "file")


# --------------------------------------------------------------------------------------------- strategic options


OPTIONS_METHOD = (
    "Each point is the best mix of options within one budget: a mixed-integer linear program solved by HiGHS "
    "(scipy.optimize.milp) on a pairwise model of the objective (g_i = the effect of option i alone; h_ij = the "
    "interaction of each pair of all-or-nothing options); the budget constraint is exact, costs being linear in "
    "the level of an option. Approximations: a divisible option enters through its secant slope (the balance "
    "index is quadratic in the shares, so half an option is not half its effect) and interactions of three or "
    "more options are ignored. The mix chosen at every budget is therefore re-evaluated exactly on the "
    "counterfactual tables: the chart plots these exact values (the model's prediction is in the hover). Ties "
    "go to the cheaper mix. Costs are central values; their ranges are in the table. "
    "tethers.options.optimise.optimise; docs/options.md."
)
OPTIONS_LIMITS = (
    "A static counterfactual on the base-year tables: no general equilibrium, no price response, no time to "
    "build, no reaction of partners. The political, security and market-access costs of leaving an "
    "organisation are not modelled (cost 0). Costs marked 'assumption' are stated ranges, not sourced figures. "
    "A supplier shift assumes the other suppliers can deliver; neighbour trade displaces nothing. Route "
    "options change only the spillover, never the balance index, and a capacity added to the nearest edge of "
    "the transit topology is an approximation (see the options file). The institutions dimension counts "
    "organisations shared with each pole, so leaving a Russia-led organisation raises the balance "
    "mechanically: a property of the index, not a recommendation."
)
OBJECTIVE_LABELS = {"balance": "composite balance B_c (0–1, higher is better)",
                    "spillover": "spillover S (USD, lower is better)"}


def _options_request(options, budget, objective, scenario, points) -> dict:
    """Validate an options request before anything is computed (one-line errors)."""
    from ..errors import OptionError
    from ..options.spec import OptionSet, load_options

    opts = options if isinstance(options, OptionSet) else load_options(options)
    origin = "options file" if isinstance(options, OptionSet) else f"options file {Path(options).name}"
    if budget is None:
        raise OptionError("the options section needs a budget in USD (--budget, e.g. 5e8)")
    if not budget >= 0:
        raise OptionError(f"--budget must be ≥ 0 USD, got {budget}")
    if objective not in OBJECTIVE_LABELS:
        raise OptionError(f"--objective {objective!r} is not allowed; choose one of: balance, spillover")
    spec = None
    if scenario is not None:
        from ..scenario.spec import load_spec

        spec = load_spec(scenario) if isinstance(scenario, str | Path) else scenario
    if objective == "spillover" and spec is None:
        raise OptionError("--objective spillover needs a scenario (--options-scenario FILE or --scenario FILE)")
    return {"options": opts, "origin": origin, "budget": float(budget), "objective": objective, "spec": spec,
            "points": int(points)}


def _options(atlas, iso3, year, *, options, origin, budget, objective, spec, points):
    """``(frames, caption, provenance, notes)`` of the strategic-options section.

    Frames: ``options`` [option, label, type, divisible, cost_usd, cost_low, cost_high, cost_basis, cost_source,
    cost_note, delta_composite, delta_spillover, level] (each option alone at level 1; ``level`` its level in
    the chosen mix, 0 if not chosen); ``options_frontier`` [budget_usd, cost_usd, options, value, delta,
    predicted, chosen, objective] (:func:`tethers.options.options_section` of the optimum, plus the model's
    prediction and the row of the chosen budget); ``options_plan`` one row [objective, base, budget_usd,
    cost_usd, options, predicted, exact, delta].
    """
    from ..options import options_section
    from ..options.evaluate import build_evaluator, evaluate_options
    from ..options.optimise import optimise

    notes: list[str] = []
    if options.country != iso3:
        notes.append(f"The {origin} is written for {options.country}; it is evaluated here on {iso3}.")
    if options.base_year != year:
        notes.append(f"The options are evaluated on {options.base_year} data (the {origin}'s base year), "
                     f"not on {year}.")
    ev = build_evaluator(options, atlas=atlas, country=iso3, scenario=spec, draws=OPTIONS_DRAWS, seed=SCENARIO_SEED)
    opt = optimise(ev, budget=budget, objective=objective, points=points)
    sec = options_section(opt)
    each = evaluate_options(ev, combos="none", scenario=spec.name if spec is not None else None)
    level = pl.DataFrame({"option": list(opt.plan.levels), "level": list(opt.plan.levels.values())},
                         schema={"option": pl.Utf8, "level": pl.Float64})
    table = (each.options.join(each.sets.select(pl.col("set").alias("option"), "delta_composite", "delta_spillover"),
                               on="option", how="left")
             .join(level, on="option", how="left").with_columns(pl.col("level").fill_null(0.0)))
    front = sec["frontier"].with_columns(predicted=opt.frontier["predicted"],
                                         chosen=pl.col("budget_usd") == opt.plan.budget,
                                         objective=pl.lit(objective))
    p = opt.plan
    plan = pl.DataFrame([{"objective": objective, "base": opt.base, "budget_usd": p.budget, "cost_usd": p.cost_usd,
                          "options": p.name, "predicted": p.predicted, "exact": p.exact, "delta": p.exact - opt.base}])
    notes.extend(dict.fromkeys([*sec["notes"], *each.notes]))
    if spec is None:
        notes.append("No scenario for the spillover (tethers report … --options-scenario FILE, or --scenario FILE): "
                     "the table shows the change in the balance index only.")
    base_year = ev.tables.year
    if objective == "balance":
        definition = (
            f"The composite balance index B_c of {iso3} in {base_year} (0–1; 1 = dependence spread evenly over "
            "the poles), as tethers balance: the weighted mean over the dimensions of B_d = 1 − HHI* over the named "
            "poles. The dimensions an option changes (imports, exports, minerals imports, arms imports, "
            "institutions) are recomputed on the counterfactual tables; gas, UN votes and security ties are held "
            "fixed.")
    else:
        definition = (
            f"The spillover S of the scenario {spec.name!r} on {iso3} from {base_year} data: the sum of the trade "
            "loss, the stranded transit value and the extra transit cost (USD; central estimate of the scenario "
            "engine run on the counterfactual trade and routes tables).")
    definition += (f" Chart: the best mix at each budget, x = its cost (USD), y = its exact {objective}; the "
                   f"dashed line is the value with no option; the star is the mix chosen for the budget of "
                   f"{budget:,.0f} USD. Table: each option alone at level 1 (Δ balance = change in B_c; "
                   "Δ spillover = change in S, USD).")
    title = f"Strategic options: {OBJECTIVE_LABELS[objective].split(' (')[0]} against cost, {base_year} base"
    cost_sources = [f"{o.id} cost: {o.cost.source}" for o in options.options if o.cost.source]
    extra = [f"{o.id}: {s}" for o in options.options for s in o.sources]
    sources = (f"{origin[0].upper()}{origin[1:]}: {options.name}", *options.references, *cost_sources, *extra)
    if spec is not None:
        sources = (*sources, f"scenario: {spec.name}")
    caption = Caption(title, definition, tuple(dict.fromkeys(sources)), method=OPTIONS_METHOD, limits=OPTIONS_LIMITS)
    used = sorted(ev.tables.trade["source"].drop_nulls().unique().to_list()) if "source" in ev.tables.trade.columns else []
    prov = pl.concat([_prov(atlas, OPTIONS_SECTION, "trade", used),
                      _prov(atlas, OPTIONS_SECTION, "memberships",
                            sorted(ev.tables.memberships["source"].drop_nulls().unique().to_list()))],
                     how="vertical_relaxed")
    return {"options": table, "options_frontier": front, "options_plan": plan}, caption, prov, notes
