r"""Critical import dependencies at product level, in the style of the EU and CEPII GeoDep methods.

A product *k* imported by reporter *r* in year *t* is **critical** when all the applied criteria hold:

1. **Concentrated supply** — the HHI of the reporter's imports of *k* over supplier countries exceeds
   ``hhi_threshold`` (default 0.4): :math:`HHI_{rkt} = \sum_p s_{rpkt}^2 > 0.4`.
2. **Not substitutable by own production** (proxy) — imports exceed exports:
   :math:`M_{rkt} > \text{ratio\_threshold} \times X_{rkt}` (default ratio 1); zero exports with positive
   imports satisfy it (GeoDep sets the ratio to 9999 there; here ``ratio`` is ``inf``).
3. *Optional* **dominant supplier** — the largest supplier's share is at least ``top_share_threshold``
   (default ``None``: not applied; e.g. 0.5 for "one country supplies more than half").
4. *Optional* **concentrated world supply** (GeoDep criterion 2) — the HHI of world exports of *k* over
   exporting countries exceeds ``world_hhi_threshold`` (0.4); applied only when ``world`` is given
   (see :func:`world_export_hhi`).

``persistent`` adds GeoDep's time criterion: the product was critical in at least *m* of the *w* years
:math:`t-w+1 … t` (default 2 of 3). Years without data count as not critical.

Adapting the EU method to one country: the Commission's criteria are defined on *extra-EU* imports, with
a third criterion on the share of extra-EU imports in total EU imports (> 50 %); for a single reporter all
imports are "extra", so that criterion has no counterpart and is not applied.

References
----------
* European Commission (2021), *Strategic dependencies and capacities*, Commission Staff Working Document
  SWD(2021) 352 final, Brussels, 5.5.2021 (accompanying COM(2021) 350): HHI of extra-EU imports > 0.4;
  extra-EU imports / total EU imports > 0.5; extra-EU imports / extra-EU exports > 1.
* Lefebvre, K. & Wibaux, P. (2024), "Import dependencies: where does the EU stand?", CEPII Policy Brief
  No. 47 — the reference document of the CEPII **GeoDep** database (BACI, HS6, 2019–2022): import HHI
  > 0.4, world-export HHI > 0.4, imports/exports > 1, criteria met in at least 2 years of a 3-year window.
* Direction générale du Trésor (2020), "Vulnérabilité des approvisionnements français et européens",
  *Trésor-Éco* No. 274, December 2020 — the French Treasury's earlier product-level method (import
  concentration and centrality), cited for lineage only; no threshold here comes from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import polars as pl

from ..errors import OptionError
from .trade import FrameLike, as_frame, choose, concentration, normalised_hhi, where

__all__ = ["critical_products", "world_export_hhi"]

_KEYS = ["reporter", "year", "classification", "product"]


def critical_products(
    trade: FrameLike,
    *,
    reporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    hhi_threshold: float = 0.4,
    ratio_threshold: float = 1.0,
    top_share_threshold: float | None = None,
    world: FrameLike | None = None,
    world_hhi_threshold: float = 0.4,
    persistence: tuple[int, int] = (2, 3),
) -> pl.DataFrame:
    """Product-level critical dependencies (criteria in the module docstring), for all reporters at once.

    Parameters
    ----------
    trade : the canonical ``trade`` table with product rows (``product != "TOTAL"``), imports by supplier
        partner and exports, both reported by ``reporter`` in one classification per product code.
    reporter, year : optional filters.
    hhi_threshold, ratio_threshold, top_share_threshold : criteria 1–3.
    world : optional ``[year, classification, product, world_hhi]`` (e.g. :func:`world_export_hhi` of a
        complete world matrix); enables criterion 4 with ``world_hhi_threshold``.
    persistence : (*m*, *w*): ``persistent`` is true when critical in ≥ *m* of the last *w* years.

    Returns
    -------
    pl.DataFrame
        ``[reporter, year, classification, product, imports, exports, ratio, n_suppliers, hhi,
        top_supplier, top_share, world_hhi, concentrated, net_importer, dominated, world_concentrated,
        critical, persistent]``. Values in current USD, shares 0–1. A criterion not applied is null and
        does not enter ``critical``; a product with no row in ``world`` has ``world_concentrated`` null,
        so ``critical`` is null (unknown) when the other criteria hold. Products with zero imports have ``NaN`` HHI and are never critical.
        Sorted by reporter, year, then imports (largest first).
    """
    m, w = persistence
    if not 1 <= m <= w:
        raise OptionError(f"persistence=(m, w) needs 1 ≤ m ≤ w, got {persistence}")
    imports = concentration(trade, by="product", reporter=reporter, year=year, flow="import")
    exports = (
        where(as_frame(trade), reporter=reporter, year=year, flow="export")
        .filter((pl.col("product") != "TOTAL") & (pl.col("partner") != "WLD"))
        .sort([*_KEYS, "partner", "value_usd"])  # a fixed summation order
        .group_by(_KEYS)
        .agg(exports=pl.col("value_usd").sum())
    )
    df = (
        imports.rename({"value_usd": "imports", "n_partners": "n_suppliers", "top_partner": "top_supplier"})
        .join(exports, on=_KEYS, how="left")
        .with_columns(pl.col("exports").fill_null(0.0))
    )
    if world is not None:
        wk = ["year", "classification", "product"]
        df = df.join(as_frame(world).select(*wk, "world_hhi"), on=wk, how="left")
    else:
        df = df.with_columns(world_hhi=pl.lit(None, pl.Float64))
    imp, exp = pl.col("imports"), pl.col("exports")
    flags = {
        "concentrated": _exceeds("hhi", hhi_threshold),
        "net_importer": (imp > 0) & (imp > ratio_threshold * exp),
        "dominated": _at_least("top_share", top_share_threshold),
        # a product missing from `world` is unknown (null), not "not concentrated"
        "world_concentrated": None if world is None else pl.col("world_hhi").fill_nan(None) > world_hhi_threshold,
    }
    df = df.with_columns(
        ratio=pl.when(exp > 0).then(imp / exp).otherwise(pl.when(imp > 0).then(float("inf")).otherwise(float("nan"))),
        **{k: (pl.lit(None, pl.Boolean) if v is None else v) for k, v in flags.items()},
    )
    applied = [pl.col(k) for k, v in flags.items() if v is not None]
    df = df.with_columns(critical=pl.all_horizontal(applied))
    df = df.join(_persistent(df, m=m, w=w), on=_KEYS, how="left")
    return df.sort(["reporter", "year", "imports", "product"], descending=[False, False, True, False]).select(
        *_KEYS, "imports", "exports", "ratio", "n_suppliers", "hhi", "top_supplier", "top_share", "world_hhi",
        *flags, "critical", "persistent",
    )


def world_export_hhi(
    trade: FrameLike,
    *,
    year: int | Iterable[int] | None = None,
    flow: Literal["export", "import"] = "export",
) -> pl.DataFrame:
    r"""Concentration of world supply of each product over exporting countries (GeoDep criterion 2).

    .. math:: HHI^{W}_{kt} = \sum_i \Bigl(\frac{X_{ikt}}{\sum_j X_{jkt}}\Bigr)^2

    with :math:`X_{ikt}` country *i*'s exports of *k*: from exporters' reports (``flow="export"``,
    exporter = ``reporter``) or mirrored from importers' reports (``flow="import"``, exporter = ``partner``).
    Meaningful only on a complete world matrix (e.g. BACI); on one reporter's data it is not a world HHI.

    Returns
    -------
    pl.DataFrame
        ``[year, classification, product, n_exporters, world_hhi, world_hhi_norm]``.
    """
    choose("flow", flow, ("export", "import"))
    exporter = "reporter" if flow == "export" else "partner"
    keys = ["year", "classification", "product"]
    df = (
        where(as_frame(trade), year=year, flow=flow)
        .filter((pl.col("product") != "TOTAL") & (pl.col("partner") != "WLD"))
        .group_by([*keys, pl.col(exporter).alias("exporter")])
        .agg(pl.col("value_usd").sum())
        .sort([*keys, "exporter"])  # a fixed summation order
        .with_columns(s=pl.col("value_usd") / pl.col("value_usd").sum().over(keys))
    )
    out = df.group_by(keys).agg(n_exporters=(pl.col("value_usd") > 0).sum(), world_hhi=(pl.col("s") ** 2).sum())
    return out.with_columns(world_hhi_norm=normalised_hhi(pl.col("world_hhi"), pl.col("n_exporters"))).sort(keys)


def _exceeds(col: str, threshold: float) -> pl.Expr:
    """``col > threshold`` with NaN/null → False (Polars orders NaN above every number)."""
    return (pl.col(col).fill_nan(None) > threshold).fill_null(False)


def _at_least(col: str, threshold: float | None) -> pl.Expr | None:
    return None if threshold is None else (pl.col(col).fill_nan(None) >= threshold).fill_null(False)


def _persistent(df: pl.DataFrame, *, m: int, w: int) -> pl.DataFrame:
    """``[*_KEYS, persistent]``: critical in at least m of the years t−w+1 … t (set-based: w shifted copies)."""
    flags = df.select(*_KEYS, c=pl.col("critical").cast(pl.Int32))
    shifted = pl.concat(
        [flags.with_columns(pl.col("year") + lag) for lag in range(w)], how="vertical"
    )
    counts = shifted.group_by(_KEYS).agg(pl.col("c").sum())
    return df.select(_KEYS).join(counts, on=_KEYS, how="left").select(*_KEYS, persistent=pl.col("c") >= m)
