"""Atlas → tidy frames for the dependence, balance, critical and compare commands.

The I/O side of :mod:`tethers.analysis.dependence` and :mod:`tethers.analysis.balance`: every function here runs
read-only SQL with bound parameters and returns canonical rows (Polars frames with the columns of
:mod:`tethers.atlas.schema`). Source precedence follows :mod:`tethers.atlas.queries` (a reporter's own statistics
first, then the international compilations); nothing here computes a measure.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .queries import TRADE_PRECEDENCE, kept
from .queries import provenance as table_provenance
from .store import Atlas

# WTO product groups shipped in the pack (classification, product) → label.
PRODUCT_LABELS: dict[tuple[str, str], str] = {
    ("MTN", "12"): "Minerals and metals (MTN category 12)",
    ("HS", "93"): "Arms and ammunition; parts and accessories (HS chapter 93)",
}
SHORT_LABELS: dict[tuple[str, str], str] = {("MTN", "12"): "minerals and metals (MTN 12)", ("HS", "93"): "arms (HS 93)"}
MINERALS = ("MTN", "12")
ARMS = ("HS", "93")


def _rank(col: str, order: tuple[str, ...]) -> pl.Expr:
    return pl.col(col).replace_strict({s: i for i, s in enumerate(order)}, default=len(order), return_dtype=pl.Int32)


def _one_source(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Keep, per key, the rows of the first source in :data:`TRADE_PRECEDENCE` (ties: alphabetical)."""
    if df.height == 0:
        return df
    best = (
        df.select(*keys, "source").unique()
        .with_columns(_rank("source", TRADE_PRECEDENCE).alias("__r"))
        .sort("__r", "source")
        .group_by(keys, maintain_order=True)
        .agg(pl.col("source").first())
    )
    return df.join(best, on=[*keys, "source"], how="semi")


def product_trade(
    atlas: Atlas,
    reporter: str,
    *,
    years: tuple[int, int],
    flow: str | None = None,
    products: Iterable[tuple[str, str]] | None = None,
) -> pl.DataFrame:
    """Product-level trade rows (``classification <> 'TOTAL'``) reported by ``reporter`` in ``years`` (inclusive).

    One source per (year, flow, classification, product), by :data:`tethers.atlas.queries.TRADE_PRECEDENCE`.
    ``products`` narrows to given (classification, product) pairs.
    """
    sql = "SELECT * FROM trade WHERE reporter = ? AND classification <> 'TOTAL' AND year BETWEEN ? AND ?"
    params: list = [reporter, *years]
    if flow is not None:
        sql += " AND flow = ?"
        params.append(flow)
    df = atlas.sql(sql, params)
    if products is not None:
        wanted = pl.DataFrame(list(products), schema={"classification": pl.Utf8, "product": pl.Utf8}, orient="row")
        df = df.join(wanted, on=["classification", "product"], how="semi")
    return _one_source(df, ["year", "flow", "classification", "product"])


def mirror_exports(atlas: Atlas, country: str, *, years: tuple[int, int], source: str,
                   products: Iterable[tuple[str, str]]) -> pl.DataFrame:
    """``country``'s exports as its partners report them (their imports from it), as canonical export rows.

    Rows are rewritten from the importer's view (``reporter = i, partner = country, flow = import``) to the
    exporter's (``reporter = country, partner = i, flow = export``); ``source`` becomes ``<source>_mirror``.
    Values stay c.i.f. as the importers report them. Coverage is the reporters of that source only.
    """
    wanted = pl.DataFrame(list(products), schema={"classification": pl.Utf8, "product": pl.Utf8}, orient="row")
    df = atlas.sql(
        "SELECT * FROM trade WHERE partner = ? AND reporter <> ? AND flow = 'import' AND source = ? "
        "AND year BETWEEN ? AND ?",
        [country, country, source, *years],
    ).join(wanted, on=["classification", "product"], how="semi")
    return df.with_columns(
        reporter=pl.lit(country), partner=pl.col("reporter"), flow=pl.lit("export"),
        source=pl.lit(f"{source}_mirror"),
    ).select(df.columns)


def mirror_totals(atlas: Atlas, country: str, year: int) -> pl.DataFrame:
    """Total-goods flows other reporters give with ``country`` as partner, from ``country``'s view.

    ``[reporter, source, flow, value_usd]`` where ``flow`` is ``country``'s flow (a partner's exports to it
    are its imports). Partial by construction: only the reporters in the atlas.
    """
    return atlas.sql(
        "SELECT reporter, source, CASE flow WHEN 'export' THEN 'import' ELSE 'export' END AS flow, "
        "sum(value_usd) AS value_usd FROM trade WHERE partner = ? AND reporter <> ? AND year = ? "
        "AND classification = 'TOTAL' GROUP BY ALL ORDER BY source, reporter, flow",
        [country, country, year],
    )


def partner_coverage(trade: pl.DataFrame) -> pl.DataFrame:
    """``[year, flow, source, n_partners, listed_usd, world_usd]`` of a trade frame: partners listed (``WLD``
    not counted), their total, and the reported world total (null when the source gives no ``WLD`` row)."""
    return (
        trade.group_by(["year", "flow", "source"])
        .agg(
            n_partners=pl.col("partner").filter(pl.col("partner") != "WLD").n_unique(),
            listed_usd=pl.col("value_usd").filter(pl.col("partner") != "WLD").sum(),
            world_usd=pl.col("value_usd").filter(pl.col("partner") == "WLD").sum(),
            has_world=(pl.col("partner") == "WLD").any(),
        )
        .with_columns(world_usd=pl.when(pl.col("has_world")).then(pl.col("world_usd")))
        .drop("has_world")
        .sort(["year", "flow"])
    )


def energy_flows(atlas: Atlas, country: str, *, years: tuple[int, int]) -> pl.DataFrame:
    """``energy_flows`` partner rows with ``country`` as exporter or importer in ``years`` (never the ``WLD``
    total rows: see :func:`energy_totals`)."""
    return atlas.sql(
        "SELECT * FROM energy_flows WHERE (exporter = ? OR importer = ?) AND year BETWEEN ? AND ? "
        "AND exporter <> 'WLD' AND importer <> 'WLD'",
        [country, country, *years],
    )


def energy_totals(atlas: Atlas, country: str, *, carrier: str) -> pl.DataFrame:
    """The publisher's totals of ``country`` (the ``WLD`` rows of ``energy_flows``), every year:
    ``[year, mode, flow, volume, unit, source]``, ``flow`` = ``import`` (exporter WLD) or ``export`` (importer
    WLD). A (year, mode) the publisher lists the country in has a row; one it does not has none."""
    return atlas.sql(
        "SELECT year, mode, CASE WHEN exporter = 'WLD' THEN 'import' ELSE 'export' END AS flow, volume, unit, source "
        "FROM energy_flows WHERE carrier = ? AND ((exporter = 'WLD' AND importer = ?) OR (importer = 'WLD' AND "
        "exporter = ?)) ORDER BY year, mode, flow, source",
        [carrier, country, country],
    )


def energy_matrices(atlas: Atlas, *, carrier: str) -> pl.DataFrame:
    """``[year, mode, source]`` of the matrices the atlas holds (those with publisher totals); read once per
    open atlas (:func:`tethers.atlas.queries.kept`)."""
    return kept(atlas, ("energy_matrices", carrier), lambda: atlas.sql(
        "SELECT DISTINCT year, mode, source FROM energy_flows WHERE carrier = ? AND (exporter = 'WLD' OR "
        "importer = 'WLD') ORDER BY year, mode, source", [carrier]))


def energy_imports(atlas: Atlas, importers: Iterable[str], *, year: int, carrier: str) -> pl.DataFrame:
    """``energy_flows`` partner rows of ``carrier`` into any of ``importers`` in ``year`` (every exporter, never
    the ``WLD`` total rows); read once per open atlas and set of importers (a pole's members: the same for
    every country profiled, :func:`tethers.atlas.queries.kept`)."""
    imp = sorted(set(importers))
    return kept(atlas, ("energy_imports", tuple(imp), year, carrier), lambda: atlas.sql(
        "SELECT * FROM energy_flows WHERE list_contains(?, importer) AND year = ? AND carrier = ? "
        "AND exporter <> 'WLD'",
        [imp, year, carrier],
    ))


def routes(atlas: Atlas, *, carriers: Iterable[str], source: str = "handkept",
           status: str = "operating") -> pl.DataFrame:
    """Routes of one source (default the hand-kept table of main international routes) that are operating; read
    once per open atlas (:func:`tethers.atlas.queries.kept`)."""
    cs = list(carriers)
    return kept(atlas, ("routes", source, status, tuple(cs)), lambda: atlas.sql(
        "SELECT * FROM routes WHERE source = ? AND status = ? AND list_contains(?, carrier)",
        [source, status, cs],
    ))


def route_flows(atlas: Atlas, exporter: str, *, carrier: str, years: tuple[int, int] | None = None) -> pl.DataFrame:
    """Observed export volumes by route (``route_flows``: operators' figures, one citation per row) of
    ``exporter`` and ``carrier``, every year or ``years``; empty when the atlas has none."""
    lo, hi = years if years is not None else (1800, 2100)
    return atlas.sql(
        "SELECT * FROM route_flows WHERE exporter = ? AND carrier = ? AND year BETWEEN ? AND ? "
        "ORDER BY year, route_id", [exporter, carrier, lo, hi],
    )


def security_ties(atlas: Atlas, country: str) -> pl.DataFrame:
    return atlas.sql("SELECT * FROM security_ties WHERE country = ?", [country])


def fx_pair(atlas: Atlas, currency: str, on: str) -> pl.DataFrame:
    """Rates of ``currency`` and ``on`` from the one (source, frequency) that has both with most common dates.

    Returns canonical ``fx`` rows (both currencies, one source and frequency) or an empty frame.
    """
    best = atlas.sql(
        "SELECT a.source, a.frequency, count(*) AS n FROM fx a JOIN fx b "
        "ON a.source = b.source AND a.frequency = b.frequency AND a.date = b.date "
        "WHERE a.currency = ? AND b.currency = ? GROUP BY ALL ORDER BY n DESC, a.source LIMIT 1",
        [currency, on],
    )
    if best.height == 0:
        return atlas.sql("SELECT * FROM fx WHERE false")
    src, freq = best["source"][0], best["frequency"][0]
    return atlas.sql(
        "SELECT * FROM fx WHERE source = ? AND frequency = ? AND list_contains(?, currency) ORDER BY currency, date",
        [src, freq, [currency, on]],
    )


def fx_currencies(atlas: Atlas) -> list[str]:
    return atlas.sql("SELECT DISTINCT currency FROM fx ORDER BY 1")["currency"].to_list()


def provenance(atlas: Atlas, table: str, sources: Iterable[str]) -> pl.DataFrame:
    """``[table, source, file, licence]`` of the loads of ``table`` by ``sources`` (mirror suffixes stripped)."""
    names = sorted({s.removesuffix("_mirror") for s in sources})
    prov = table_provenance(atlas, table).filter(pl.col("source").is_in(names))
    return prov.select(pl.col("table_name").alias("table"), "source", "file", "licence").unique().sort(
        "table", "source", "file"
    )
