"""Critical products: imported product groups whose supply is concentrated, by supplier and pole.

Criteria of :mod:`tethers.measures.critical` (EU SWD(2021) 352; CEPII GeoDep) on the product-level imports the
atlas holds. The pole-split part for the balance index is the imports of minerals and metals (WTO MTN 12) by
supplier pole, under the coverage rule of :mod:`tethers.dimensions.base`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from .. import countries
from ..atlas import queries_measures as qm
from ..atlas.store import Atlas
from .base import (
    Context,
    Dimension,
    Part,
    Reading,
    Section,
    Status,
    json_safe,
    metric,
    metrics_frame,
    missing,
)
from .trade import product_reading


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


def _critical(ctx: Context) -> Section:
    cp = critical_dependencies(ctx.country, ctx.year, atlas=ctx.atlas)
    if cp.products.height == 0:
        return missing("critical", CRITICAL_DEF, cp.coverage, sources=cp.sources)
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
        metric("products_assessed", "product groups assessed", detail.height, "count"),
        metric("products_critical", "critical product groups", detail["critical"].sum(), "count", headline=True),
        metric("critical_from_pole", f"critical groups whose top supplier is in {ctx.on}",
           detail.filter(pl.col("critical") & pl.col("top_supplier").is_in(list(ctx.members))).height, "count"),
    ]
    for r in detail.iter_rows(named=True):
        key = f"{r['classification']}{r['product']}"
        short = qm.SHORT_LABELS.get((r["classification"], r["product"]), f"{r['classification']} {r['product']}")
        rows += [
            metric(f"pole_share_{key}", f"share of {short} imports from {ctx.on}", r["pole_share"], "share", headline=True),
            metric(f"hhi_{key}", f"supplier HHI of {short} imports", r["hhi"], "index 0–1"),
            metric(f"verdict_{key}", f"{short}: verdict", None, "", text=_verdict(r)),
        ]
    partial = detail.filter(pl.col("critical").is_null()).height > 0
    status: Status = "partial" if ("HS6" in cp.coverage or partial) else "ok"
    return Section("critical", status, CRITICAL_DEF, metrics_frame(rows), detail, cp.sources,
                   cp.coverage if status == "partial" else "")


MINERALS_IMPORTS = Part("minerals_imports", "USD",
                        "imports of minerals and metals (WTO MTN 12) by supplier pole, importer-reported", "trade")


class CriticalDimension(Dimension):
    id = "critical"
    label = "Critical products"
    definition = CRITICAL_DEF
    parts = (MINERALS_IMPORTS,)

    def read(self, atlas: Atlas, country: str, years: tuple[int, int], poles: Sequence[str]) -> Reading:
        return product_reading(self.id, MINERALS_IMPORTS, atlas, country, years, poles, qm.MINERALS)

    def section(self, ctx: Context) -> Section:
        return _critical(ctx)


DIMENSION = CriticalDimension()
