"""One country's dependence on one pole, dimension by dimension — the figures behind ``tethers dependence``,
``tethers critical`` and ``tethers compare``.

Orchestration only, as :mod:`tethers.analysis.profile`: atlas → tidy frames (:mod:`tethers.atlas.queries`,
:mod:`tethers.atlas.queries_measures`) → the pure measures (:mod:`tethers.measures`) → frozen results read
through ``tidy()`` / ``to_dict()``. Every dimension is a :class:`Section` carrying its definition, its
status (``ok``, ``partial``, ``no data``, ``n/a``), the reason when something is missing, and the
provenance rows of the atlas tables it read. Nothing is filled in: a figure the atlas cannot support is
reported as missing with the reason, never as 0.

Dimensions
----------
``trade``        pole share of total goods imports and exports, partner HHI (``trade`` TOTAL rows, one source
                 per year by :data:`tethers.atlas.queries.TRADE_PRECEDENCE`; partner-reported mirror totals shown,
                 never turned into shares, when the country reports nothing).
``critical``     product groups the country imports by supplier (:func:`critical_dependencies`).
``energy``       pipeline/LNG gas imports and exports by partner (``energy_flows``) and transit exposure of gas
                 and crude-oil exports (``routes``, :mod:`tethers.measures.transit`).
``institutions`` organisations shared with the pole's states (:mod:`tethers.measures.institutions`).
``security``     shared alliances, arms imports (HS 93) by supplier, foreign facilities / leases / deployments.
``votes``        UN General Assembly agreement with the pole (:func:`tethers.measures.alignment.pole_agreement`).
``fx``           rolling correlation and Frankel–Wei beta of the country's currency on the pole's currency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import polars as pl

from .. import countries
from ..atlas import queries
from ..atlas import queries_measures as qm
from ..atlas.schema import AGGREGATE_CODES
from ..atlas.store import Atlas
from ..errors import DataNotAvailableError, OptionError

Status = Literal["ok", "partial", "no data", "n/a"]
DIMENSIONS: tuple[str, ...] = ("trade", "critical", "energy", "institutions", "security", "votes", "fx")
FX_WINDOW = 36  # aligned returns in the FX window: three years of monthly rates
MIN_PARTNERS = 30  # without a world row, fewer partners than this = a partial extract (EU members' trade with 6 states)
MIN_WORLD_COVERAGE = 0.95  # with a world row, partners must add up to this share of it
TOP = 10

METRIC_SCHEMA = {"metric": pl.Utf8, "label": pl.Utf8, "value": pl.Float64, "text": pl.Utf8, "unit": pl.Utf8,
                 "headline": pl.Boolean}
SOURCE_SCHEMA = {"table": pl.Utf8, "source": pl.Utf8, "file": pl.Utf8, "licence": pl.Utf8}

# The fx table quotes units per US dollar; a pole's currency (USA: the numeraire itself).
POLE_CURRENCY = {"RUS": "RUB", "CHN": "CNY", "EU27": "EUR", "USA": "USD", "TUR": "TRY"}
COUNTRY_CURRENCY = {
    "KAZ": "KZT", "RUS": "RUB", "CHN": "CNY", "USA": "USD", "TUR": "TRY", "UZB": "UZS", "KGZ": "KGS",
    "TJK": "TJS", "TKM": "TMT", "ARM": "AMD", "AZE": "AZN", "GEO": "GEL", "BLR": "BYN", "UKR": "UAH",
    "MDA": "MDL", "MNG": "MNT", "IRN": "IRR", "AFG": "AFN", "PAK": "PKR", "IND": "INR", "JPN": "JPY",
    "KOR": "KRW", "GBR": "GBP", "CHE": "CHF", "NOR": "NOK", "SWE": "SEK", "POL": "PLN", "CZE": "CZK",
    "HUN": "HUF", "ROU": "RON", "BGR": "BGN", "DNK": "DKK", "ARE": "AED", "SAU": "SAR",
}


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Section:
    """One dimension of a dependence.

    Attributes
    ----------
    dimension : ``trade``, ``critical``, ``energy``, ``institutions``, ``security``, ``votes`` or ``fx``.
    status : ``ok``; ``partial`` (some of the dimension's parts are missing, see ``reason``); ``no data``
        (the atlas cannot support the figure; ``reason`` says why); ``n/a`` (the figure is undefined, e.g.
        the co-movement of a currency with the US dollar when rates are quoted per US dollar).
    definition : the formula and units, in one paragraph.
    metrics : ``[metric, label, value, text, unit, headline]``: one row per figure; ``value`` is a number
        (shares in 0–1, money in current USD, counts), ``text`` a categorical value (a supplier code, a
        list of organisations); ``headline`` marks the rows ``compare`` shows.
    detail : the rows behind the figures (partners, suppliers, organisations, ties …).
    sources : ``[table, source, file, licence]`` of the atlas loads read.
    reason : why the dimension is partial, missing or undefined ("" when ``ok``).
    """

    dimension: str
    status: Status
    definition: str
    metrics: pl.DataFrame
    detail: pl.DataFrame
    sources: pl.DataFrame
    reason: str = ""

    def value(self, metric: str) -> float | None:
        """The number of ``metric`` (None when absent)."""
        hit = self.metrics.filter(pl.col("metric") == metric)
        return hit["value"][0] if hit.height else None

    def text(self, metric: str) -> str | None:
        hit = self.metrics.filter(pl.col("metric") == metric)
        return hit["text"][0] if hit.height else None


@dataclass(frozen=True)
class Dependence:
    """Dependence of ``country`` on the pole ``on`` in ``year``, every dimension.

    Attributes
    ----------
    country, name : ISO3 and short name of the country.
    on, on_label : the pole id (``RUS``, ``CHN``, ``EU27``, ``USA``, ``TUR``, ``CASIA`` or any ISO3) and label.
    members : the pole's states in ``year`` (without ``country``).
    year : calendar year.
    sections : one :class:`Section` per dimension, in :data:`DIMENSIONS` order.
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
                [{"dimension": s.dimension, "status": s.status, "definition": s.definition, "reason": s.reason}
                 for s in self.sections]
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
                 "metrics": s.metrics.to_dicts(), "detail": s.detail.to_dicts(), "sources": s.sources.to_dicts()}
                for s in self.sections
            ],
            "notes": list(self.notes),
        })


@dataclass(frozen=True)
class CriticalProducts:
    """Critical import dependencies of ``country`` in ``year`` at the product level the atlas holds.

    Attributes
    ----------
    products : ``[source, classification, product, label, imports, exports, exports_basis, ratio, n_suppliers,
        hhi, top_supplier, top_share, concentrated, net_importer, dominated, critical, persistent]``; money in
        current USD, shares 0–1. ``exports_basis`` is ``reported`` (the country's own export rows of the same
        source), ``mirror`` (partners' imports from it in the same source: a lower bound over the reporters
        covered, valued c.i.f.) or ``unknown`` (then ``net_importer`` and ``critical`` are null, never
        guessed). Null flags = criterion not applied or unknown.
    suppliers : the largest suppliers of each product: ``[classification, product, rank, partner, pole,
        value_usd, share]``.
    coverage : what product-level imports the atlas holds for the country, and what it lacks.
    thresholds : the criteria applied (``hhi``, ``ratio``, ``top_share`` or None).
    sources : provenance rows.
    """

    country: str
    name: str
    year: int
    products: pl.DataFrame
    suppliers: pl.DataFrame
    coverage: str
    thresholds: dict[str, float | None]
    sources: pl.DataFrame
    notes: tuple[str, ...] = ()

    def tidy(self) -> dict[str, pl.DataFrame]:
        return {"products": self.products, "suppliers": self.suppliers, "sources": self.sources}

    def to_dict(self) -> dict:
        """JSON-ready (NaN and ±inf become null: a ratio with zero exports is null, exports 0)."""
        return json_safe({
            "country": self.country, "name": self.name, "year": self.year, "coverage": self.coverage,
            "thresholds": self.thresholds, "products": self.products.to_dicts(),
            "suppliers": self.suppliers.to_dicts(), "sources": self.sources.to_dicts(), "notes": list(self.notes),
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


def currency_of(iso3: str, year: int) -> str | None:
    """The currency whose rates stand for ``iso3`` (a pole id or a country) in ``year``; None when unknown."""
    if iso3 in POLE_CURRENCY:
        return POLE_CURRENCY[iso3]
    euro = _euro_year(iso3)
    if euro is not None and euro <= year:
        return "EUR"
    return COUNTRY_CURRENCY.get(iso3)


@cache
def _euro_year(iso3: str) -> int | None:
    from ..countries import _converter, _int_or_none

    data = _converter().data
    hit = data.loc[data["ISO3"] == iso3, "EURO"]
    return _int_or_none(hit.iloc[0]) if len(hit) else None


def _m(metric: str, label: str, value: float | None = None, unit: str = "", text: str | None = None,
       headline: bool = False) -> dict:
    v = None if value is None or value != value else float(value)
    return {"metric": metric, "label": label, "value": v, "text": text, "unit": unit, "headline": headline}


def _metrics(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=METRIC_SCHEMA)


def _empty_sources() -> pl.DataFrame:
    return pl.DataFrame(schema=SOURCE_SCHEMA)


def _missing(dimension: str, definition: str, reason: str, *, status: Status = "no data",
             detail: pl.DataFrame | None = None, sources: pl.DataFrame | None = None) -> Section:
    return Section(dimension, status, definition, _metrics([]), detail if detail is not None else pl.DataFrame(),
                   sources if sources is not None else _empty_sources(), reason)


def _sources(ctx: _Ctx, parts: Sequence[tuple[str, Sequence[str]]]) -> pl.DataFrame:
    frames = [qm.provenance(ctx.atlas, table, srcs) for table, srcs in parts if srcs]
    return pl.concat(frames, how="vertical").unique().sort("table", "source", "file") if frames else _empty_sources()


def _share_of(df: pl.DataFrame, flow: str, pole: str, col: str = "share") -> float | None:
    hit = df.filter((pl.col("flow") == flow) & (pl.col("pole") == pole))
    return hit[col][0] if hit.height else None


def _flows_as_trade(flows: pl.DataFrame, country: str) -> pl.DataFrame:
    """Energy flows in the trade table's shape (``value_usd`` holds the volume) so the trade measures apply."""
    exp = flows.filter(pl.col("exporter") == country).select(
        reporter="exporter", partner="importer", flow=pl.lit("export"), year="year", value_usd="volume", unit="unit",
        source="source")
    imp = flows.filter(pl.col("importer") == country).select(
        reporter="importer", partner="exporter", flow=pl.lit("import"), year="year", value_usd="volume", unit="unit",
        source="source")
    return pl.concat([exp, imp]).with_columns(classification=pl.lit("TOTAL"), product=pl.lit("TOTAL"))


@dataclass(frozen=True)
class _Ctx:
    atlas: Atlas
    country: str
    on: str
    year: int
    members: tuple[str, ...]


# ---------------------------------------------------------------------------------------------- trade

TRADE_DEF = (
    "Pole share s_P = Σ_{p∈P} X_p / Σ_q X_q of the country's total goods imports (c.i.f.) and exports (f.o.b.) "
    "as it reports them, current USD, pole membership as of the year; partner concentration "
    "HHI = Σ_p s_p² over partner countries and HHI* = (HHI − 1/N)/(1 − 1/N) (N partners with trade)."
)


def _trade(ctx: _Ctx) -> Section:
    from ..measures.trade import concentration, partner_shares, pole_shares

    try:
        trade = queries.trade_totals(ctx.atlas, ctx.country, ctx.year)
    except DataNotAvailableError as exc:
        return _trade_mirror(ctx, str(exc))
    trade, thin, gaps = complete_totals(trade)
    sources = _sources(ctx, [("trade", trade["source"].unique().to_list() + thin["source"].to_list())])
    if trade.height == 0:
        return _missing("trade", TRADE_DEF, "; ".join(gaps) + " — shares over a partial extract would mislead",
                        sources=sources)
    poles = pole_shares(trade, poles=[ctx.on], reporter=ctx.country, year=ctx.year)
    conc = concentration(trade, reporter=ctx.country, year=ctx.year)
    partners = partner_shares(trade, reporter=ctx.country, year=ctx.year).with_columns(
        rank=pl.col("value_usd").rank("ordinal", descending=True).over("flow").cast(pl.Int32),
        in_pole=pl.col("partner").is_in(list(ctx.members)),
    )
    rows: list[dict] = []
    for flow, word in (("import", "imports from"), ("export", "exports to")):
        c = conc.filter(pl.col("flow") == flow)
        if c.height == 0:
            continue
        c0 = c.row(0, named=True)
        rows += [
            _m(f"{flow}_share", f"share of {word} {ctx.on}", _share_of(poles, flow, ctx.on), "share", headline=True),
            _m(f"{flow}_usd", f"{word} {ctx.on}", _share_of(poles, flow, ctx.on, "value_usd"), "USD"),
            _m(f"{flow}_total_usd", f"total {flow}s", c0["value_usd"], "USD"),
            _m(f"{flow}_hhi", f"partner HHI of {flow}s", c0["hhi"], "index 0–1"),
            _m(f"{flow}_hhi_norm", f"partner HHI* of {flow}s (normalised)", c0["hhi_norm"], "index 0–1",
               headline=True),
            _m(f"{flow}_top_partner", f"largest {flow} partner", c0["top_share"], "share", text=c0["top_partner"]),
        ]
        if ctx.on not in ("EU27", "CASIA"):
            r = partners.filter((pl.col("flow") == flow) & (pl.col("partner") == ctx.on))
            rows.append(_m(f"{flow}_rank", f"rank of {ctx.on} among {flow} partners", r["rank"][0] if r.height else None,
                           "rank"))
    detail = partners.filter(pl.col("rank") <= TOP).select("flow", "rank", "partner", "in_pole", "value_usd", "share")
    status: Status = "partial" if gaps else "ok"
    return Section("trade", status, TRADE_DEF, _metrics(rows), detail, sources, "; ".join(gaps))


def complete_totals(trade: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Drop the (year, flow) totals that are partial extracts, and say why.

    A total is partial when its partners add up to less than :data:`MIN_WORLD_COVERAGE` of the world total the
    source reports (``WLD`` row), or — without a world row — when it lists fewer than :data:`MIN_PARTNERS`
    partners (e.g. EU members' trade with six post-Soviet states). Shares over such extracts would mislead.
    Returns ``(kept rows, dropped [year, flow, source, …], reasons)``.
    """
    cov = qm.partner_coverage(trade)
    share = pl.col("listed_usd") / pl.col("world_usd")
    thin = cov.filter(
        pl.when(pl.col("world_usd") > 0).then(share < MIN_WORLD_COVERAGE).otherwise(pl.col("n_partners") < MIN_PARTNERS)
    )
    gaps = [
        f"{r['year']} {r['flow']}s: {r['source']} lists {r['n_partners']} partners"
        + (f" covering {r['listed_usd'] / r['world_usd']:.0%} of its world total" if r["world_usd"] else "")
        + " (a partial extract)"
        for r in thin.iter_rows(named=True)
    ]
    return trade.join(thin.select("year", "flow"), on=["year", "flow"], how="anti"), thin, gaps


def _trade_mirror(ctx: _Ctx, why: str) -> Section:
    """No reported totals: say so, and show the partner-reported (mirror) flows as levels, never as shares."""
    m = qm.mirror_totals(ctx.atlas, ctx.country, ctx.year).filter(~pl.col("reporter").is_in(list(AGGREGATE_CODES)))
    if m.height == 0:
        return _missing("trade", TRADE_DEF, why)
    m = m.with_columns(basis=pl.lit("mirror"), in_pole=pl.col("reporter").is_in(list(ctx.members)))
    srcs = sorted(m["source"].unique().to_list())
    reason = (
        f"{ctx.country} reports no total trade in the atlas for {ctx.year}; only partner-reported (mirror) totals "
        f"from {m['reporter'].n_unique()} reporters ({', '.join(srcs)}) exist — no world total, so no shares; "
        "mirror flows are listed as levels"
    )
    pole = m.filter(pl.col("in_pole"))
    rows = [
        _m(f"mirror_{flow}_usd", f"{flow}s {'from' if flow == 'import' else 'to'} {ctx.on} as {ctx.on} reports them "
           "(mirror)", pole.filter(pl.col("flow") == flow)["value_usd"].sum(), "USD", headline=True)
        for flow in ("import", "export") if pole.filter(pl.col("flow") == flow).height
    ]
    status: Status = "partial" if rows else "no data"
    return Section("trade", status, TRADE_DEF, _metrics(rows), m, _sources(ctx, [("trade", srcs)]), reason)


# ---------------------------------------------------------------------------------------------- critical

CRITICAL_DEF = (
    "Per imported product k: supplier HHI_k = Σ_p s_pk² over supplier countries; critical when HHI_k > 0.4 and "
    "imports M_k > exports X_k (EU SWD(2021) 352; CEPII GeoDep); the pole's share s_Pk of the product's imports. "
    "Assessed on the product-level imports the atlas holds for the country."
)


def critical_dependencies(
    country: str,
    year: int,
    *,
    atlas: Atlas,
    hhi_threshold: float = 0.4,
    ratio_threshold: float = 1.0,
    top_share_threshold: float | None = None,
    top: int = 5,
) -> CriticalProducts:
    """Critical products of ``country`` in ``year`` (criteria of :mod:`tethers.measures.critical`).

    Imports: every product-level import row the country reports (one source per product by
    :data:`~tethers.atlas.queries.TRADE_PRECEDENCE`): in the shipped pack the WTO product groups (MTN 12 minerals
    and metals, HS 93 arms), or e.g. a Comtrade HS6 file a user added. Exports for the "imports > exports"
    test: the country's own export rows of the same source and product, else its partners' imports from it
    in that source (mirror), else unknown — then ``net_importer`` and ``critical`` stay null.
    """
    from ..measures.critical import critical_products
    from ..measures.trade import partner_shares

    iso3 = countries.resolve(country)
    window = (year - 2, year)  # three years, for GeoDep's persistence (critical in 2 of the last 3 years)
    imports = qm.product_trade(atlas, iso3, years=window, flow="import")
    pairs = imports.select("classification", "product").unique().rows()
    exports, basis = _export_rows(atlas, iso3, imports, window, pairs)
    thresholds = {"hhi": hhi_threshold, "ratio": ratio_threshold, "top_share": top_share_threshold}
    coverage = _coverage(atlas, iso3, year, imports.filter(pl.col("year") == year))
    sources = qm.provenance(atlas, "trade", imports["source"].unique().to_list() + exports["source"].unique().to_list())
    if imports.filter(pl.col("year") == year).height == 0:
        return CriticalProducts(iso3, countries.name(iso3), year, _no_products(), _no_suppliers(), coverage,
                                thresholds, sources)
    crit = critical_products(
        pl.concat([imports, exports], how="vertical_relaxed"), reporter=iso3, hhi_threshold=hhi_threshold,
        ratio_threshold=ratio_threshold, top_share_threshold=top_share_threshold,
    ).filter(pl.col("year") == year)
    src = imports.filter(pl.col("year") == year).group_by("classification", "product").agg(pl.col("source").first())
    products = _unknown_exports(crit.join(basis, on=["classification", "product"], how="left"), thresholds).join(
        src, on=["classification", "product"], how="left"
    ).with_columns(
        label=pl.concat_str("classification", pl.lit(" "), "product").replace(
            {f"{c} {p}": label for (c, p), label in qm.SHORT_LABELS.items()}),
    ).sort("imports", "product", descending=[True, False]).select(
        "source", "classification", "product", "label", "imports", "exports", "exports_basis", "ratio", "n_suppliers",
        "hhi", "top_supplier", "top_share", "concentrated", "net_importer", "dominated", "critical", "persistent")
    pm = countries.pole_map(year, country=iso3)
    suppliers = (
        partner_shares(imports, reporter=iso3, year=year, flow="import", product=None)
        .with_columns(rank=pl.col("value_usd").rank("ordinal", descending=True).over("classification", "product")
                      .cast(pl.Int32))
        .filter(pl.col("rank") <= top)
        .with_columns(pole=pl.col("partner").replace_strict(pm, default="ROW", return_dtype=pl.Utf8))
        .select("classification", "product", "rank", "partner", "pole", "value_usd", "share")
    )
    notes: tuple[str, ...] = ()
    world_only = (imports.filter(pl.col("year") == year).group_by("classification", "product")
                  .agg(pl.col("partner").ne("WLD").any().alias("has")).filter(~pl.col("has")).sort("product"))
    if world_only.height:
        codes = ", ".join(f"{c} {p}" for c, p in world_only.select("classification", "product").rows()[:10])
        notes += (f"{world_only.height} product(s) imported only as a world total, with no supplier breakdown, "
                  f"cannot be assessed and are not listed: {codes}{' …' if world_only.height > 10 else ''}",)
    if (products["exports_basis"] == "mirror").any():
        notes += ("exports marked 'mirror' are the partners' reported imports from the country (c.i.f., only the "
                 "reporters in that source): a lower bound on its exports, so 'net importer' on that basis can overstate",)
    return CriticalProducts(iso3, countries.name(iso3), year, products, suppliers, coverage, thresholds, sources, notes)


def _export_rows(atlas: Atlas, iso3: str, imports: pl.DataFrame, window: tuple[int, int],
                 pairs: list[tuple[str, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Export rows for the products imported, per product from the same source: reported, else mirror."""
    basis_schema = {"classification": pl.Utf8, "product": pl.Utf8, "exports_basis": pl.Utf8}
    if not pairs:
        return imports.head(0), pl.DataFrame(schema=basis_schema)
    key = ["classification", "product"]
    src = imports.group_by(key).agg(pl.col("source").first())
    own = qm.product_trade(atlas, iso3, years=window, flow="export", products=pairs).join(
        src, on=[*key, "source"], how="semi")
    have = own.select(key).unique()
    missing = src.join(have, on=key, how="anti")
    parts = [qm.mirror_exports(atlas, iso3, years=window, source=s, products=g.select(key).rows())
             for (s,), g in missing.group_by("source")]
    mirror = pl.concat(parts, how="vertical_relaxed") if parts else own.head(0)
    basis = src.select(key).join(
        pl.concat([have.with_columns(exports_basis=pl.lit("reported")),
                   mirror.select("classification", "product").unique().with_columns(exports_basis=pl.lit("mirror"))]),
        on=["classification", "product"], how="left",
    ).with_columns(pl.col("exports_basis").fill_null("unknown"))
    return pl.concat([own, mirror], how="vertical_relaxed"), basis


def _unknown_exports(df: pl.DataFrame, thresholds: dict) -> pl.DataFrame:
    """Where exports are unknown the net-importer test is unknown (null), and so is ``critical`` unless another
    applied criterion already fails (Kleene logic: false ∧ unknown = false)."""
    unknown = pl.col("exports_basis") == "unknown"
    df = df.with_columns(
        exports=pl.when(unknown).then(None).otherwise(pl.col("exports")),
        ratio=pl.when(unknown).then(None).otherwise(pl.col("ratio")),
        net_importer=pl.when(unknown).then(None).otherwise(pl.col("net_importer")),
    )
    applied = ["concentrated", "net_importer"] + (["dominated"] if thresholds["top_share"] is not None else [])
    any_false = pl.any_horizontal([pl.col(c) == False for c in applied]).fill_null(False)  # noqa: E712
    any_null = pl.any_horizontal([pl.col(c).is_null() for c in applied])
    return df.with_columns(
        critical=pl.when(any_false).then(False).when(any_null).then(None).otherwise(True),
        persistent=pl.when(unknown).then(None).otherwise(pl.col("persistent")),
    )


def _coverage(atlas: Atlas, iso3: str, year: int, imports: pl.DataFrame) -> str:
    name = countries.name(iso3)
    detailed = imports.filter(pl.col("level") >= 6)
    fetch = (f"load {iso3}'s imports by HS6 (e.g. `tethers data fetch comtrade --reporter {iso3} --year {year} "
             f"--cmd AG6`, then `tethers atlas add comtrade FILE`) for a product-level assessment")
    if imports.height == 0:
        return f"The atlas holds no product-level imports reported by {name} ({iso3}) for {year}; {fetch}."
    groups = imports.select("classification", "product", "source").unique().sort("classification", "product")
    listed = "; ".join(f"{qm.PRODUCT_LABELS.get((c, p), f'{c} {p}')} ({s})" for c, p, s in groups.rows())
    if detailed.height:
        return f"Product-level imports of {name} ({iso3}) in {year}: {groups.height} products ({listed})."
    return (f"The atlas has no {name} ({iso3}) imports by detailed product (HS6) for {year}: the product-level "
            f"imports it holds are {listed}, so only these groups are assessed; {fetch}.")


def _no_products() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "source": pl.Utf8, "classification": pl.Utf8, "product": pl.Utf8, "label": pl.Utf8, "imports": pl.Float64,
        "exports": pl.Float64, "exports_basis": pl.Utf8, "ratio": pl.Float64, "n_suppliers": pl.UInt32,
        "hhi": pl.Float64, "top_supplier": pl.Utf8, "top_share": pl.Float64, "concentrated": pl.Boolean,
        "net_importer": pl.Boolean, "dominated": pl.Boolean, "critical": pl.Boolean, "persistent": pl.Boolean})


def _no_suppliers() -> pl.DataFrame:
    return pl.DataFrame(schema={"classification": pl.Utf8, "product": pl.Utf8, "rank": pl.Int32, "partner": pl.Utf8,
                                "pole": pl.Utf8, "value_usd": pl.Float64, "share": pl.Float64})


def _verdict(r: dict) -> str:
    """One line: critical or not, and which criterion decides (unknown criteria named, never guessed)."""
    why = []
    if r["concentrated"] is False:
        why.append(f"supplier HHI {r['hhi']:.3f} ≤ threshold")
    if r["net_importer"] is False:
        why.append(f"imports ≤ exports ({r['exports_basis']} exports)")
    if r["net_importer"] is None:
        why.append("exports unknown")
    if r["critical"] is True:
        return f"critical (top supplier {r['top_supplier']} {100 * r['top_share']:.1f} %)"
    if r["critical"] is None:
        return "unknown: " + "; ".join(why)
    return "not critical: " + "; ".join(why)


def _critical(ctx: _Ctx) -> Section:
    cp = critical_dependencies(ctx.country, ctx.year, atlas=ctx.atlas)
    if cp.products.height == 0:
        return _missing("critical", CRITICAL_DEF, cp.coverage, sources=cp.sources)
    from ..measures.trade import partner_shares

    imports = qm.product_trade(ctx.atlas, ctx.country, years=(ctx.year, ctx.year), flow="import")
    shares = (
        partner_shares(imports, reporter=ctx.country, year=ctx.year, flow="import", product=None)
        .filter(pl.col("partner").is_in(list(ctx.members)))
        .group_by("classification", "product").agg(pole_usd=pl.col("value_usd").sum(), pole_share=pl.col("share").sum())
    )
    detail = cp.products.join(shares, on=["classification", "product"], how="left").with_columns(
        pl.col("pole_usd").fill_null(0.0), pl.col("pole_share").fill_null(0.0)
    )
    rows = [
        _m("products_assessed", "product groups assessed", detail.height, "count"),
        _m("products_critical", "critical product groups", detail["critical"].sum(), "count", headline=True),
        _m("critical_from_pole", f"critical groups whose top supplier is in {ctx.on}",
           detail.filter(pl.col("critical") & pl.col("top_supplier").is_in(list(ctx.members))).height, "count"),
    ]
    for r in detail.iter_rows(named=True):
        key = f"{r['classification']}{r['product']}"
        short = qm.SHORT_LABELS.get((r["classification"], r["product"]), f"{r['classification']} {r['product']}")
        rows += [
            _m(f"pole_share_{key}", f"share of {short} imports from {ctx.on}", r["pole_share"], "share", headline=True),
            _m(f"hhi_{key}", f"supplier HHI of {short} imports", r["hhi"], "index 0–1"),
            _m(f"verdict_{key}", f"{short}: verdict", None, "", text=_verdict(r)),
        ]
    partial = detail.filter(pl.col("critical").is_null()).height > 0
    status: Status = "partial" if ("HS6" in cp.coverage or partial) else "ok"
    return Section("critical", status, CRITICAL_DEF, _metrics(rows), detail, cp.sources,
                   cp.coverage if status == "partial" else "")


# ---------------------------------------------------------------------------------------------- energy

ENERGY_DEF = (
    "Gas: share of the pole in the country's natural-gas imports and exports by partner, s_P = Σ_{p∈P} V_p / Σ_q V_q "
    "(bcm, pipeline + LNG; Energy Institute Statistical Review). Transit: T_P = share of the country's exports of a "
    "carrier whose allocated routes cross a state of P other than the exporter and the destination "
    "(measures.transit; hand-kept operating routes, only countries downstream of the exporter count, capacity-weighted split); "
    "gas volumes in bcm, crude oil (HS 270900) in USD from BACI exports by destination. Transit provided: the "
    "pole's gas imports from third exporters allocated to routes that cross the country (measures.transit_through), "
    "in bcm and as a share of the pole's gas imports (all, and pipeline only)."
)


def _energy(ctx: _Ctx) -> Section:
    from ..measures.trade import pole_shares

    flows = qm.energy_flows(ctx.atlas, ctx.country, years=(ctx.year, ctx.year)).filter(pl.col("carrier") == "gas")
    rows: list[dict] = []
    gaps: list[str] = []
    srcs: list[tuple[str, list[str]]] = []
    if flows.height and flows["unit"].n_unique() == 1:
        gas = pole_shares(_flows_as_trade(flows, ctx.country), poles=[ctx.on], reporter=ctx.country, year=ctx.year)
        unit = flows["unit"][0]
        for flow, word in (("import", "from"), ("export", "to")):
            if gas.filter(pl.col("flow") == flow).height == 0:
                gaps.append(f"no gas {flow}s of {ctx.country} in energy_flows for {ctx.year}")
            else:
                rows += [_m(f"gas_{flow}_share", f"share of gas {flow}s {word} {ctx.on}", _share_of(gas, flow, ctx.on),
                            "share", headline=True),
                         _m(f"gas_{flow}_volume", f"gas {flow}s {word} {ctx.on}", _share_of(gas, flow, ctx.on, "value_usd"),
                            unit)]
        srcs.append(("energy_flows", flows["source"].unique().to_list()))
    elif flows.height:
        gaps.append(f"gas flows of {ctx.country} in {ctx.year} come in several units ({', '.join(flows['unit'].unique())})"
                    " and are not added up")
    else:
        gaps.append(f"no gas trade of {ctx.country} in energy_flows for {ctx.year}")
    transit_rows, transit_gaps, transit_srcs, detail = _transit(ctx, flows)
    rows += transit_rows
    gaps += transit_gaps
    srcs += transit_srcs
    if not rows:
        return _missing("energy", ENERGY_DEF, "; ".join(gaps), sources=_sources(ctx, srcs))
    status: Status = "partial" if gaps else "ok"
    return Section("energy", status, ENERGY_DEF, _metrics(rows), detail, _sources(ctx, srcs), "; ".join(gaps))


def _transit(ctx: _Ctx, gas: pl.DataFrame) -> tuple[list[dict], list[str], list, pl.DataFrame]:
    from ..measures.transit import flows_from_trade, transit_shares

    rows, gaps, srcs, parts = [], [], [], []
    routes = qm.routes(ctx.atlas, carriers=("gas", "oil"))  # ordered: only countries downstream of ctx.country count
    oil, oil_gap = _oil_flows(ctx)
    carriers = {"gas": gas.filter(pl.col("exporter") == ctx.country),
                "oil": flows_from_trade(oil, carriers={"2709": "oil"}, level=6) if oil.height else None}
    for carrier, flows in carriers.items():
        if flows is None or flows.height == 0:
            if carrier == "oil":  # (missing gas exports are already reported by the gas part)
                gaps.append(oil_gap)
            continue
        t = transit_shares(flows, routes.filter(pl.col("carrier") == carrier), exporter=ctx.country, year=ctx.year,
                           poles=[ctx.on])
        r = t.filter(pl.col("pole") == ctx.on).row(0, named=True)
        rows += [_m(f"{carrier}_transit_share", f"share of {carrier} exports crossing {ctx.on}", r["share"], "share",
                    headline=True),
                 _m(f"{carrier}_unrouted_share", f"share of {carrier} exports with no route in the table",
                    r["unrouted_share"], "share")]
        parts.append(t.select("carrier", "pole", "unit", "exports", "via", "share", "unrouted_share"))
        srcs.append(("routes", ["handkept"]))
        srcs.append(("trade" if carrier == "oil" else "energy_flows", _flows_src(oil if carrier == "oil" else gas)))
    rows += _transit_provided(ctx, routes.filter(pl.col("carrier") == "gas"))
    detail = pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()
    return rows, gaps, srcs, detail


def _transit_provided(ctx: _Ctx, gas_routes: pl.DataFrame) -> list[dict]:
    """The other direction: the pole's gas imports from third exporters that cross the country (its leverage)."""
    from ..measures.transit import transit_through

    imports = qm.energy_imports(ctx.atlas, ctx.members, year=ctx.year, carrier="gas")
    if imports.height == 0 or ctx.country in ctx.members:
        return []
    through = transit_through(imports, gas_routes, ctx.country, year=ctx.year)
    via = float(through["via"].sum())
    unit = imports["unit"][0]
    total = float(imports["volume"].sum())
    pipeline = float(imports.filter(pl.col("mode") == "pipeline")["volume"].sum())
    return [
        _m("gas_transit_provided", f"{ctx.on}'s gas imports from third countries crossing the country", via, unit,
           headline=via > 0),
        _m("gas_transit_provided_share", f"share of {ctx.on}'s gas imports crossing the country",
           via / total if total > 0 else None, "share"),
        _m("gas_transit_provided_pipeline_share", f"share of {ctx.on}'s pipeline gas imports crossing the country",
           via / pipeline if pipeline > 0 else None, "share"),
    ]


def _flows_src(df: pl.DataFrame) -> list[str]:
    return df["source"].unique().to_list() if "source" in df.columns else []


def _oil_flows(ctx: _Ctx) -> tuple[pl.DataFrame, str]:
    """Crude-oil (HS 270900) export rows by destination, if they cover the reported world total."""
    rows = qm.product_trade(ctx.atlas, ctx.country, years=(ctx.year, ctx.year), flow="export").filter(
        pl.col("product").str.starts_with("2709") & (pl.col("level") == 6)
    )
    if rows.height == 0:
        return rows, f"no crude-oil exports of {ctx.country} by destination in the atlas for {ctx.year}"
    world = rows.filter(pl.col("partner") == "WLD")["value_usd"].sum()
    listed = rows.filter(pl.col("partner") != "WLD")["value_usd"].sum()
    if world > 0 and abs(listed / world - 1) > 0.01:
        return rows.head(0), (f"crude-oil exports by destination cover {listed / world:.0%} of the world total "
                              f"({rows['source'][0]}), too partial for transit shares")
    return rows, ""


# ---------------------------------------------------------------------------------------------- institutions

INSTITUTIONS_DEF = (
    "Organisations the country shares with at least one state of the pole in the year: "
    "M(c,t) ∩ ∪_{p∈P} M(p,t), any membership status (measures.institutions; hand-kept spells authoritative, "
    "COW IGO spells observed to 2014 carried forward and flagged)."
)


def _institutions(ctx: _Ctx) -> Section:
    from ..measures.institutions import memberships_in_year, shared_memberships

    table = queries.memberships(ctx.atlas)
    mine = memberships_in_year(table, ctx.country, ctx.year)
    if mine.height == 0:
        return _missing("institutions", INSTITUTIONS_DEF,
                        f"no organisation memberships recorded for {ctx.country} in {ctx.year}")
    shared = shared_memberships(table, ctx.country, {ctx.on: set(ctx.members)}, ctx.year)
    current = shared.filter(~pl.col("carried_forward"))
    rows = [
        _m("memberships", "organisations the country belongs to", mine.height, "count"),
        _m("shared", f"organisations shared with {ctx.on}", shared.height, "count", headline=True),
        _m("shared_current", f"… of which observed in {ctx.year} (hand-kept)", current.height, "count",
           text=", ".join(current["organisation"].to_list()), headline=True),
        _m("shared_carried", "… of which carried forward from COW IGO (last observed 2014)",
           shared.height - current.height, "count"),
    ]
    detail = shared.with_columns(pl.col("members").list.join(";")).drop("pole")
    used = sorted(set(mine["source"].to_list()))
    return Section("institutions", "ok", INSTITUTIONS_DEF, _metrics(rows), detail,
                   _sources(ctx, [("memberships", used)]))


# ---------------------------------------------------------------------------------------------- security

SECURITY_DEF = (
    "Alliances: security organisations of which the country and a state of the pole are both full members in the "
    "year (measures.security.shared_alliances on spells with hand-kept precedence; a spell past its source's last "
    "observed year is unknown, not counted). Arms: pole share s_P of the country's recorded imports of HS chapter 93 "
    "(WTO, importer-reported; customs data miss most state-to-state transfers) and supplier HHI. Ties: facilities, "
    "leases, deployments, exercises and agreements of the pole's states active in the year (hand-kept, cited)."
)


def authoritative_memberships(memberships: pl.DataFrame) -> pl.DataFrame:
    """Spells with the precedence of :mod:`tethers.measures.institutions`: for an (organisation, country) pair the
    hand-kept table lists, only its spells count; every other pair keeps its other sources' spells."""
    from ..measures.institutions import AUTHORITATIVE

    hand = memberships.filter(pl.col("source") == AUTHORITATIVE)
    rest = memberships.filter(pl.col("source") != AUTHORITATIVE).join(
        hand.select("organisation", "country").unique(), on=["organisation", "country"], how="anti")
    return pl.concat([hand, rest], how="vertical")


def _security(ctx: _Ctx) -> Section:
    rows, gaps, srcs, details = [], [], [], []
    for part in (_alliances, _arms, _ties):
        r, gap, src, det = part(ctx)
        rows += r
        gaps += [gap] if gap else []
        srcs += src
        details.append(det)
    sources = _sources(ctx, srcs)
    detail = pl.concat([d for d in details if d.height], how="diagonal_relaxed") if any(d.height for d in details) \
        else pl.DataFrame()
    if not rows:
        return _missing("security", SECURITY_DEF, "; ".join(gaps), sources=sources)
    status: Status = "partial" if gaps else "ok"
    return Section("security", status, SECURITY_DEF, _metrics(rows), detail, sources, "; ".join(gaps))


def _alliances(ctx: _Ctx) -> tuple[list[dict], str, list, pl.DataFrame]:
    from ..measures.security import alliance_flags, shared_alliances

    spells = authoritative_memberships(queries.memberships(ctx.atlas))
    mine = alliance_flags(spells, year=ctx.year, country=ctx.country).filter(pl.col("member") == True)  # noqa: E712
    if mine.height == 0:
        return [], f"no security-organisation membership of {ctx.country} known for {ctx.year}", [], pl.DataFrame()
    shared = shared_alliances(spells, country=ctx.country, year=ctx.year).filter(
        pl.col("partner").is_in(list(ctx.members)))
    orgs = sorted({o for s in shared["organisations"].to_list() for o in s.split(";")})
    rows = [_m("alliances", "security organisations the country belongs to", mine.height, "count",
               text=", ".join(mine["organisation"].to_list())),
            _m("shared_alliances", f"security organisations shared with {ctx.on}", len(orgs), "count",
               text=", ".join(orgs), headline=True)]
    detail = pl.DataFrame({"part": "alliance", "organisation": orgs}, schema={"part": pl.Utf8, "organisation": pl.Utf8})
    return rows, "", [("memberships", sorted(set(spells["source"].to_list())))], detail


def _arms(ctx: _Ctx) -> tuple[list[dict], str, list, pl.DataFrame]:
    from ..measures.security import arms_concentration, arms_imports

    rows = qm.product_trade(ctx.atlas, ctx.country, years=(ctx.year, ctx.year), flow="import", products=[qm.ARMS])
    if rows.height == 0:
        have = ctx.atlas.sql("SELECT DISTINCT year FROM trade WHERE reporter = ? AND classification = 'HS' "
                             "AND product = '93' AND flow = 'import' ORDER BY 1", [ctx.country])["year"].to_list()
        span = f"it reports them for {have[0]}–{have[-1]}" if have else "it reports none in the atlas"
        return [], (f"no HS 93 arms imports reported by {ctx.country} for {ctx.year} ({span}; the WTO file is "
                    "importer-reported, so suppliers' exports cannot stand in)"), [], pl.DataFrame()
    by_pole = arms_imports(rows, reporter=ctx.country, year=ctx.year, by="pole", poles=[ctx.on])
    conc = arms_concentration(rows, reporter=ctx.country, year=ctx.year).row(0, named=True)
    share = by_pole.filter(pl.col("pole") == ctx.on)
    out = [_m("arms_import_share", f"share of arms (HS 93) imports from {ctx.on}", share["share"][0], "share",
              headline=True),
           _m("arms_imports_usd", "arms (HS 93) imports, all suppliers", conc["value_usd"], "USD"),
           _m("arms_hhi", "supplier HHI of arms imports", conc["hhi"], "index 0–1"),
           _m("arms_top_supplier", "largest arms supplier", conc["top_share"], "share", text=conc["top_supplier"])]
    detail = arms_imports(rows, reporter=ctx.country, year=ctx.year).head(TOP).select(
        pl.lit("arms").alias("part"), "partner", "value_usd", "share")
    return out, "", [("trade", rows["source"].unique().to_list())], detail


def _ties(ctx: _Ctx) -> tuple[list[dict], str, list, pl.DataFrame]:
    from ..measures.security import security_ties_summary

    ties = qm.security_ties(ctx.atlas, ctx.country)
    if ties.height == 0:
        hosts = ctx.atlas.sql("SELECT DISTINCT country FROM security_ties ORDER BY 1")["country"].to_list()
        return [], (f"no security ties of {ctx.country} in the hand-kept table (it covers {', '.join(hosts)})"), [], \
            pl.DataFrame()
    s = security_ties_summary(ties, year=ctx.year, country=ctx.country, poles=[ctx.on])
    mine = s.filter(pl.col("partner").is_in(list(ctx.members)))
    names = sorted({n for x in mine["names"].to_list() for n in x.split(";")})
    rows = [_m("ties_active", f"security ties with {ctx.on} active in {ctx.year}", mine["n_active"].sum(), "count",
               text="; ".join(names), headline=True),
            _m("ties_all_partners", f"security ties with any foreign state active in {ctx.year}", s["n_active"].sum(),
               "count")]
    y = ctx.year
    active = (pl.col("start_date").dt.year() <= y) & (pl.col("end_date").is_null() | (pl.col("end_date").dt.year() >= y))
    detail = ties.filter(pl.col("partner").is_in(list(ctx.members)) & active).select(
        pl.lit("tie").alias("part"), "partner", "kind", "name", "start_date", "end_date", "citation")
    return rows, "", [("security_ties", ties["source"].unique().to_list())], detail


# ---------------------------------------------------------------------------------------------- votes

VOTES_DEF = (
    "UN General Assembly agreement A = 1 − mean_v |x_cv − x_pv| over the roll calls of the year on which both "
    "voted (yes 1, abstain 0.5, no 0; absences excluded); Cohen's κ and linearly weighted κʷ correct it for chance. "
    "For a pole of several states: the mean of the dyadic indices over its members (measures.alignment)."
)


def _votes(ctx: _Ctx) -> Section:
    from ..measures.alignment import pole_agreement

    v = queries.votes(ctx.atlas, year=ctx.year)
    if v.height == 0:
        return _missing("votes", VOTES_DEF, f"the atlas has no UN General Assembly roll calls for {ctx.year}")
    srcs = sorted(v["source"].unique().to_list())
    al = pole_agreement(v, country=ctx.country, poles=[ctx.on], year=ctx.year).filter(pl.col("pole") == ctx.on)
    sources = _sources(ctx, [("votes", srcs)])
    if al.height == 0:
        return _missing("votes", VOTES_DEF, f"{ctx.country} and {ctx.on} share no recorded roll call in {ctx.year} "
                        f"({', '.join(srcs)})", sources=sources)
    r = al.row(0, named=True)
    rows = [_m("agreement", f"agreement with {ctx.on}", r["agreement"], "index 0–1", headline=True),
            _m("kappa", "Cohen's κ", r["kappa"], "index −1–1"),
            _m("kappa_w", "weighted κʷ", r["kappa_w"], "index −1–1"),
            _m("roll_calls", "common roll calls (largest over the pole's members)", r["n_roll_calls"], "count"),
            _m("members_voting", "pole members with common votes", r["n_members"], "count")]
    status: Status = "partial" if r["n_roll_calls"] < 20 else "ok"
    reason = f"only {r['n_roll_calls']} common roll calls in {ctx.year}" if status == "partial" else ""
    return Section("votes", status, VOTES_DEF, _metrics(rows), al, sources, reason)


# ---------------------------------------------------------------------------------------------- fx

FX_DEF = (
    "Log returns r_t = ln e_t − ln e_{t−1} of rates e in units per US dollar (positive = depreciation against USD), "
    "aligned by date; over the last W returns up to the end of the year: correlation ρ = corr(r^c, r^P) and the "
    "Frankel–Wei slope β = cov(r^c, r^P)/var(r^P) (weight of the pole's currency in the implicit basket, the "
    "dollar taking the rest)."
)


def _fx(ctx: _Ctx, window: int) -> Section:
    from ..measures.fx import rolling_beta

    mine, theirs = currency_of(ctx.country, ctx.year), currency_of(ctx.on, ctx.year)
    if theirs == "USD":
        return _missing("fx", FX_DEF, "the fx table is quoted per US dollar: USD is the numeraire, so co-movement "
                        "with the dollar is not a return pair (β on USD is undefined)", status="n/a")
    if mine is None or theirs is None:
        who = ctx.country if mine is None else ctx.on
        return _missing("fx", FX_DEF, f"no currency known for {who}")
    if mine == theirs:
        return _missing("fx", FX_DEF, f"{ctx.country} and {ctx.on} share the currency {mine}", status="n/a")
    fx = qm.fx_pair(ctx.atlas, mine, theirs)
    if fx["currency"].n_unique() < 2:
        have = ", ".join(qm.fx_currencies(ctx.atlas))
        lacking = [c for c in (mine, theirs) if c not in have.split(", ")]
        why = (f"the atlas has no {' or '.join(lacking)} rates (fx currencies: {have})" if lacking
               else f"no source quotes both {mine} and {theirs} on common dates")
        return _missing("fx", FX_DEF, why)
    beta = rolling_beta(fx, currency=mine, on=theirs, window=window).filter(
        pl.col("date").dt.year() <= ctx.year).drop_nulls("corr")
    sources = _sources(ctx, [("fx", fx["source"].unique().to_list())])
    last = beta.tail(1)
    if last.height == 0 or last["date"][0].year != ctx.year:
        span = f"{fx['date'].min()}–{fx['date'].max()}"
        return _missing("fx", FX_DEF, f"no {window}-return window of {mine} and {theirs} ends in {ctx.year} "
                        f"(rates {span}, {fx['frequency'][0]})", sources=sources)
    r = last.row(0, named=True)
    start = fx.filter(pl.col("currency") == theirs).filter(pl.col("date") <= r["date"]).tail(window + 1)["date"][0]
    rows = [_m("corr", f"correlation of returns with {theirs}", r["corr"], "−1–1", headline=True),
            _m("beta", f"β on {theirs} (Frankel–Wei)", r["beta"], "slope", headline=True),
            _m("returns", f"{fx['frequency'][0]} returns in the window", r["n"], "count",
               text=f"{mine} on {theirs}, {start} – {r['date']}")]
    detail = beta.filter(pl.col("date").dt.year() == ctx.year)
    return Section("fx", "ok", FX_DEF, _metrics(rows), detail, sources)


# ---------------------------------------------------------------------------------------------- entry points


def dependence(country: str, on: str = "RUS", year: int = 2021, *, atlas: Atlas | None = None,
               fx_window: int = FX_WINDOW) -> Dependence:
    """Every dimension of ``country``'s dependence on the pole ``on`` in ``year`` (see the module docstring)."""
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
        ctx = _Ctx(atlas, iso3, pole, year, pole_members(pole, year, country=iso3))
        builders: list[Callable[[_Ctx], Section]] = [_trade, _critical, _energy, _institutions, _security, _votes,
                                                     lambda c: _fx(c, fx_window)]
        sections = tuple(b(ctx) for b in builders)
        notes = []
        if not any(s.status in ("ok", "partial") for s in sections):
            notes.append(f"the atlas has no data on {iso3} and {pole} in {year}")
        return Dependence(iso3, countries.name(iso3), pole, pole_label(pole), ctx.members, year, sections,
                          tuple(notes))
    finally:
        if own:
            atlas.close()


def energy_section(country: str, on: str, year: int, *, atlas: Atlas) -> Section:
    """The energy dimension alone of :func:`dependence` (gas by partner, transit both ways)."""
    iso3, pole = countries.resolve(country), resolve_pole(on)
    return _energy(_Ctx(atlas, iso3, pole, year, pole_members(pole, year, country=iso3)))


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
            m = _metrics([_m("—", "no data", None)])
        frames.append(m.select(
            pl.lit(s.dimension).alias("dimension"), "metric", "label", "unit", "headline",
            pl.lit(d.country).alias("country"), "value", "text", pl.lit(s.status).alias("status"),
            pl.lit(s.reason).alias("reason"),
        ))
    return pl.concat(frames, how="vertical")


__all__ = [
    "DIMENSIONS", "Section", "Dependence", "CriticalProducts", "Comparison", "dependence", "critical_dependencies",
    "compare", "energy_section", "resolve_pole", "pole_label", "currency_of", "authoritative_memberships",
]
