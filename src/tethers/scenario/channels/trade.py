r"""Direct trade channel: the third country's trade with the targets in the goods the measures touch.

Which flows a measure touches
-----------------------------
* ``export_ban`` (the coalition stops selling goods *P* to the targets): the third country's **exports of
  P to the targets** — the flows exposed to anti-circumvention and secondary-sanction risk (and the
  diversion opportunity the mirror statistics below look for).
* ``import_ban`` and ``price_cap`` (the coalition stops buying *P* from the targets, and the financing,
  insurance and shipping of *P* by its operators): the third country's **imports of P from the targets**.
  A price cap counts with coverage 1.

A product code (HS chapter, heading or subheading) touches every HS6 line it prefixes; a line touched by
several measures takes the largest ``coverage``.

Model (per HS6 line *k*, or per flow when only totals exist)
------------------------------------------------------------
With :math:`X_{Tk}` the flow with the targets, :math:`X_k` the flow with the world, :math:`c_k` the
coverage, δ the share of touched trade that is disrupted, ε the trade elasticity (σ = 1 − ε the Armington
elasticity between partners) and η the upper-level elasticity (1 ≤ η ≤ σ):

.. math::
    V_k = c_k X_{Tk}, \quad D_k = \delta V_k, \quad d_k = D_k / X_k, \quad
    \kappa = \frac{1-\eta}{1-\sigma} = \frac{1-\eta}{\varepsilon}

    L^{CES}_k = X_k\,[1 - (1 - d_k)^{\kappa}] \qquad \text{(CES loss of the whole product; } 0 \le L^{CES}_k \le D_k)

    L_k = H_k D_k + (1 - H_k)\, L^{CES}_k, \qquad S_k = D_k - L_k

:math:`L^{CES}` is the exact nested-CES answer to removing the share :math:`d_k` of the varieties (Feenstra
1994; Arkolakis, Costinot & Rodríguez-Clare 2012): the price index of *k* rises by
:math:`(1-d_k)^{1/(1-\sigma)}` and spending on *k* scales by :math:`(1-d_k)^{\kappa}`. :math:`H_k` is the
HHI of the **alternative** partners' shares (partners other than the targets; an unreported residual counts
as one partner, which overstates concentration): with no alternative (:math:`H_k = 1`) nothing is
substituted, with many small ones the CES substitution applies in full. This mixing rule is a tethers
heuristic, not a published model. Exports use the same formula (constant elasticity of transformation
between markets, same elasticities) — an assumption.

Monotonicity: :math:`L_k` increases with :math:`c_k` and is ≥ 0, so banning more products (or raising a
coverage) never lowers the total loss :math:`L = \sum_k L_k`.

Data
----
* Composition by product: the third country's exports by HS6 and partner (BACI in the shipped pack:
  KAZ, 2021, partners CHN, RUS, GRC, GBR, DEU and the world), scaled to the official total with the
  targets in the base year (``kz_bns`` first, see :data:`tethers.atlas.queries.TRADE_PRECEDENCE`).
* Imports by product are **not** in the pack (Kazakhstan's imports by HS are not available offline). The
  channel then uses the banned-goods share of the exports to the targets as a proxy for the banned share of
  the imports from them, applied to the official import total, and says so in ``detail``. Load Comtrade
  imports by HS (``tethers atlas add comtrade``) and the product path is used instead.

Mirror statistics (re-export / diversion signal)
------------------------------------------------
From the base year :math:`y_0` to :math:`y_1` (the scenario's start year, or :math:`y_0 + 1`), where the
atlas has both years: growth of the coalition's exports to the third country as the coalition reports them
(Eurostat EU27 aggregate ``EUU``), minus the growth of the coalition's extra-EU exports to the world
(``diversion_excess_growth``); growth of the third country's exports to the targets (official totals);
growth of the third country's imports of WTO MTN group 12 (minerals and metals) from coalition members.
``diversion_signal`` = 1 when the excess growth and the exports to the targets both rise. These are
observations after the base year, not simulated values.

References
----------
* Head, K. & Mayer, T. (2014), "Gravity equations: workhorse, toolkit, and cookbook", ch. 3 in Gopinath,
  Helpman & Rogoff (eds.), *Handbook of International Economics* vol. 4, Elsevier, pp. 131–195.
* Simonovska, I. & Waugh, M. E. (2014), "The elasticity of trade: estimates and evidence", *Journal of
  International Economics* 92(1): 34–50 (a trade elasticity of roughly four).
* Feenstra, R. C., Luck, P., Obstfeld, M. & Russ, K. N. (2018), "In search of the Armington elasticity",
  *Review of Economics and Statistics* 100(1): 135–150 (macro elasticity below the micro one in about
  half of goods).
* Feenstra, R. C. (1994), "New product varieties and the measurement of international prices", *American
  Economic Review* 84(1): 157–177; Arkolakis, C., Costinot, A. & Rodríguez-Clare, A. (2012), "New trade
  models, same old gains?", *American Economic Review* 102(1): 94–130.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from ...atlas.queries import TRADE_PRECEDENCE
from ...countries import eu_members
from ...measures.exact import fsum, fsum_agg
from ..spec import ScenarioSpec
from .base import Context, Param, effects

__all__ = ["TradeChannel", "CHANNEL", "coverage_by_product", "trade_loss", "alternatives_hhi"]

_AGGREGATES = ("WLD", "EUU")


# ---------------------------------------------------------------------------------------------- pure functions


def coverage_by_product(products: Sequence[str], measures: Sequence[tuple[Sequence[str], float]]) -> np.ndarray:
    """Coverage of each product code: the largest ``coverage`` of the measures whose codes prefix it (0 if none).

    ``measures`` is a list of ``(codes, coverage)``; codes are HS chapters (2 digits), headings (4) or
    subheadings (6), e.g. ``[(["72", "2701"], 1.0)]`` covers every line of chapter 72 and heading 2701.
    """
    out = np.zeros(len(products))
    for codes, cov in measures:
        hit = np.array([any(p.startswith(c) for c in codes) for p in products], dtype=bool)
        out = np.where(hit, np.maximum(out, cov), out)
    return out


def trade_loss(
    touched: np.ndarray, world: np.ndarray, hhi_alt: np.ndarray, *, disruption: float, trade_elasticity: float,
    upper_elasticity: float,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Net loss and substituted value of disrupted trade (see the module docstring for the formulas).

    Parameters
    ----------
    touched : :math:`V_k = c_k X_{Tk}`, the touched value per product (USD).
    world : :math:`X_k`, the product's flow with all partners (USD, ≥ the flow with the targets).
    hhi_alt : :math:`H_k`, HHI of the alternative partners (1 = none or a single one).
    disruption : δ in 0–1.
    trade_elasticity : ε < 0 (σ = 1 − ε).
    upper_elasticity : η, in [1, σ] (κ is clipped to [0, 1] outside that range).

    Returns
    -------
    (loss, substituted) arrays in USD; ``loss + substituted = disruption * touched``.
    """
    D = disruption * touched
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(world > 0, np.clip(D / world, 0.0, 1.0), 0.0)
    # κ = (1 − η) / (1 − σ) with σ = 1 − ε; clipped to [0, 1] (η ≥ 1 and η ≤ σ: outside that the value of the
    # product's trade would rise when a partner disappears, or fall by more than the disrupted value)
    kappa = float(np.clip((1.0 - upper_elasticity) / trade_elasticity, 0.0, 1.0))
    # the CES loss of the whole product; by concavity of (1 − d)^κ for 0 ≤ κ ≤ 1 it lies in [0, D]
    lces = np.clip(world * (1.0 - np.power(1.0 - d, kappa)), 0.0, D)
    loss = hhi_alt * D + (1.0 - hhi_alt) * lces
    return loss, D - loss


def alternatives_hhi(known: np.ndarray, residual: float) -> float:
    """HHI of alternative partners: ``known`` partner values plus an unreported ``residual`` as one partner.

    Returns 1.0 when there is no alternative at all (nothing to substitute towards).
    """
    total = fsum(known) + residual
    if total <= 0:
        return 1.0
    return float(((known / total) ** 2).sum() + (residual / total) ** 2)


# ---------------------------------------------------------------------------------------------- data preparation


def _pick_source(df: pl.DataFrame) -> pl.DataFrame:
    """Rows of the first source in :data:`TRADE_PRECEDENCE` present in ``df``."""
    if df.height == 0:
        return df
    have = set(df["source"].unique().to_list())
    order = [s for s in TRADE_PRECEDENCE if s in have] + sorted(have - set(TRADE_PRECEDENCE))
    return df.filter(pl.col("source") == order[0])


def official_totals(trade: pl.DataFrame, country: str, year: int) -> pl.DataFrame:
    """``[flow, partner, value_usd, source]``: the country's own total-goods trade by partner in ``year``."""
    rows = trade.filter(
        (pl.col("reporter") == country) & (pl.col("classification") == "TOTAL") & (pl.col("year") == year)
    )
    out = []
    for flow in ("import", "export"):
        f = _pick_source(rows.filter(pl.col("flow") == flow))
        out.append(f.select("flow", "partner", "value_usd", "source"))
    return pl.concat(out)


def _sum(df: pl.DataFrame, partners: frozenset[str] | set[str], flow: str) -> float:
    return fsum(df.filter((pl.col("flow") == flow) & pl.col("partner").is_in(list(partners)))["value_usd"])


def _flow_total(df: pl.DataFrame, flow: str) -> float:
    f = df.filter(pl.col("flow") == flow)
    if f.filter(pl.col("partner") == "WLD").height:
        return fsum(f.filter(pl.col("partner") == "WLD")["value_usd"])
    return fsum(f.filter(~pl.col("partner").is_in(_AGGREGATES))["value_usd"])


@dataclass(frozen=True)
class _Products:
    """HS6 detail of one flow with the targets: arrays aligned on ``product``."""

    product: list[str]
    x_target: np.ndarray
    x_world: np.ndarray
    hhi: np.ndarray
    source: str
    year: int


def product_detail(trade: pl.DataFrame, country: str, targets: frozenset[str], flow: str, year: int) -> _Products | None:
    """HS6 flows of ``country`` with the targets, the world and other partners (year nearest ``year``)."""
    rows = trade.filter((pl.col("reporter") == country) & (pl.col("flow") == flow) & (pl.col("level") == 6))
    with_t = rows.filter(pl.col("partner").is_in(list(targets)))
    if with_t.height == 0:
        return None
    years = sorted(set(with_t["year"].to_list()))
    before = [y for y in years if y <= year]
    yr = before[-1] if before else years[0]
    # sorted: the float sums below do not depend on the order the atlas returned the rows in
    rows = _pick_source(rows.filter(pl.col("year") == yr)).sort("product", "partner", "value_usd")
    src = rows["source"][0]
    wide = (
        rows.with_columns(
            grp=pl.when(pl.col("partner").is_in(list(targets))).then(pl.lit("T"))
            .when(pl.col("partner") == "WLD").then(pl.lit("W")).otherwise(pl.col("partner"))
        )
        .group_by("product", "grp", maintain_order=True).agg(fsum_agg("value_usd"))
    )
    tgt = wide.filter(pl.col("grp") == "T").select("product", xt="value_usd")
    wld = wide.filter(pl.col("grp") == "W").select("product", xw="value_usd")
    oth = wide.filter(~pl.col("grp").is_in(["T", "W"])).sort("product", "grp").group_by("product", maintain_order=True).agg(
        known=fsum_agg("value_usd"), known_sq=fsum_agg(pl.col("value_usd") ** 2)
    )
    j = (
        tgt.join(wld, on="product", how="left").join(oth, on="product", how="left")
        .with_columns(pl.col("known", "known_sq").fill_null(0.0))
        .with_columns(xw=pl.max_horizontal(pl.col("xw").fill_null(0.0), pl.col("xt") + pl.col("known")))
        .with_columns(alt=pl.col("xw") - pl.col("xt"))
        .with_columns(resid=(pl.col("alt") - pl.col("known")).clip(lower_bound=0.0))
        .with_columns(
            hhi=pl.when(pl.col("alt") > 0)
            .then((pl.col("known_sq") + pl.col("resid") ** 2) / pl.col("alt") ** 2)
            .otherwise(1.0)
        )
        .sort("product")
    )
    return _Products(j["product"].to_list(), j["xt"].to_numpy(), j["xw"].to_numpy(), j["hhi"].to_numpy(), src, yr)


@dataclass(frozen=True)
class _Prepared:
    """Everything the draws need that does not depend on the parameters."""

    export_products: _Products | None
    import_products: _Products | None
    export_cov: np.ndarray
    import_cov: np.ndarray
    exports_to_targets: float
    imports_from_targets: float
    exports_total: float
    imports_total: float
    import_hhi_alt: float
    totals_source: str
    value_added_usd: float
    mirror: list[dict]
    notes: list[str]


def _measure_lists(spec: ScenarioSpec) -> tuple[list, list]:
    exp = [(m.products, m.coverage) for m in spec.measures_of("export_ban")]
    imp = [(m.products, m.coverage) for m in spec.measures_of("import_ban")]
    imp += [(m.products, 1.0) for m in spec.measures_of("price_cap")]
    return exp, imp


def _value_added(io: pl.DataFrame, country: str, year: int) -> float:
    va = io.filter((pl.col("country") == country) & (pl.col("sector") == "TOTAL") & (pl.col("indicator") == "value_added"))
    if va.height == 0:
        return float("nan")
    years = va["year"].to_list()
    yr = min(years, key=lambda y: (abs(y - year), -y))
    row = va.filter(pl.col("year") == yr)
    scale = 1e6 if str(row["unit"][0]).lower().startswith("usd million") else 1.0
    return float(row["value"][0]) * scale


def _growth(v0: float, v1: float) -> float:
    return v1 / v0 - 1.0 if v0 > 0 else float("nan")


def mirror_signal(ctx: Context, y0: int, y1: int) -> list[dict]:
    """The re-export / diversion observations from ``y0`` to ``y1`` (rows for :func:`effects`)."""
    t, c = ctx.trade, ctx.country
    rows: list[dict] = []
    eu = t.filter((pl.col("source") == "eurostat") & (pl.col("reporter") == "EUU") & (pl.col("flow") == "export"))
    to_c = {y: fsum(eu.filter((pl.col("partner") == c) & (pl.col("year") == y))["value_usd"]) for y in (y0, y1)}
    extra = {
        y: fsum(eu.filter((pl.col("year") == y) & ~pl.col("partner").is_in([*eu_members(y), *_AGGREGATES]))["value_usd"])
        for y in (y0, y1)
    }
    span = f"{y0}→{y1}"
    g_c = g_w = float("nan")
    if ctx.coalition >= eu_members(y0) and min(to_c.values()) > 0 and min(extra.values()) > 0:
        g_c, g_w = _growth(to_c[y0], to_c[y1]), _growth(extra[y0], extra[y1])
        rows += [
            {"metric": "mirror_coalition_exports_growth", "value": g_c, "unit": "share",
             "detail": f"EU27 exports to {c} as reported by Eurostat (EUU), {span}"},
            {"metric": "mirror_coalition_extra_exports_growth", "value": g_w, "unit": "share",
             "detail": f"EU27 extra-EU exports, Eurostat, {span}"},
            {"metric": "diversion_excess_growth", "value": g_c - g_w, "unit": "share", "detail": span},
        ]
    off0, off1 = official_totals(t, c, y0), official_totals(t, c, y1)
    g_t = float("nan")
    if off0.height and off1.height:
        x0, x1 = _sum(off0, ctx.targets, "export"), _sum(off1, ctx.targets, "export")
        if x0 > 0 and x1 > 0:
            g_t = _growth(x0, x1)
            rows.append({"metric": "exports_to_targets_growth", "value": g_t, "unit": "share",
                         "detail": f"{c} exports to {'+'.join(sorted(ctx.targets))}, {off0['source'][0]}, {span}"})
    wto = t.filter((pl.col("source") == "wto") & (pl.col("reporter") == c) & (pl.col("classification") == "MTN")
                   & (pl.col("product") == "12") & pl.col("partner").is_in(list(ctx.coalition)))
    m0, m1 = (fsum(wto.filter(pl.col("year") == y)["value_usd"]) for y in (y0, y1))
    if m0 > 0 and m1 > 0:
        rows.append({"metric": "coalition_minerals_metals_imports_growth", "value": _growth(m0, m1), "unit": "share",
                     "detail": f"{c} imports of WTO MTN 12 (minerals and metals) from coalition members, {span}"})
    if not (np.isnan(g_c) or np.isnan(g_t)):
        rows.append({"metric": "diversion_signal", "value": float((g_c - g_w) > 0 and g_t > 0), "unit": "flag",
                     "detail": span})
    return rows


def prepare(spec: ScenarioSpec, ctx: Context) -> _Prepared:
    """Read everything parameter-free out of the context (cached per spec and context by :class:`TradeChannel`)."""
    c, y = ctx.country, ctx.base_year
    notes: list[str] = []
    exp_m, imp_m = _measure_lists(spec)
    off = official_totals(ctx.trade, c, y)
    if off.height == 0:
        notes.append(f"no total trade reported by {c} for {y}: direct trade effects are not computed")
    xt, mt = _sum(off, ctx.targets, "export"), _sum(off, ctx.targets, "import")
    xp = product_detail(ctx.trade, c, ctx.targets, "export", y)
    mp = product_detail(ctx.trade, c, ctx.targets, "import", y)
    if xp is not None and xp.year != y:
        notes.append(f"export composition by HS6 from {xp.source} {xp.year}, applied to {y} totals")
    if mp is None and imp_m:
        basis = f"{xp.source} {xp.year}" if xp else "none"
        notes.append(
            f"imports of {c} from the targets by product are not in the atlas: the banned share of its exports to "
            f"them ({basis}) stands in for the banned share of its imports (proxy)"
        )
    imp_partners = off.filter((pl.col("flow") == "import") & ~pl.col("partner").is_in([*ctx.targets, *_AGGREGATES]))
    hhi_m = alternatives_hhi(imp_partners["value_usd"].to_numpy(), 0.0)
    y1 = spec.start_year if spec.start_year > y else y + 1
    mirror = mirror_signal(ctx, y, y1)
    if not mirror:
        notes.append(f"no mirror statistics for {y}→{y1} in the atlas (diversion signal not computed)")
    return _Prepared(
        export_products=xp, import_products=mp,
        export_cov=coverage_by_product(xp.product, exp_m) if xp else np.zeros(0),
        import_cov=coverage_by_product((mp or xp).product, imp_m) if (mp or xp) else np.zeros(0),
        exports_to_targets=xt, imports_from_targets=mt, exports_total=_flow_total(off, "export"),
        imports_total=_flow_total(off, "import"), import_hhi_alt=hhi_m,
        totals_source=off["source"][0] if off.height else "", value_added_usd=_value_added(ctx.io_summary, c, y),
        mirror=mirror, notes=notes,
    )


# ---------------------------------------------------------------------------------------------- the channel


class TradeChannel:
    """Direct trade channel (see the module docstring)."""

    name = "trade"

    def __init__(self) -> None:
        self._cache: tuple[ScenarioSpec, Context, _Prepared] | None = None

    def parameters(self) -> dict[str, Param]:
        return {
            "disruption": Param(
                0.3, "uniform", 0.1, 0.5,
                source="scenario assumption (no published estimate of third-country disruption): share of the "
                       "touched trade with the targets that is interrupted (payments, insurance, shipping, "
                       "compliance); uniform 0.1–0.5",
            ),
            "trade_elasticity": Param(
                -4.5, "uniform", -5.0, -4.0,
                source="Head & Mayer (2014, Handbook of International Economics vol. 4 ch. 3), ≈ −5; "
                       "Simonovska & Waugh (2014, JIE 92: 34–50), ≈ −4; σ = 1 − ε",
            ),
            "upper_elasticity": Param(
                1.5, "uniform", 1.0, 2.0,
                source="macro (upper-nest) elasticity, below the micro one (Feenstra, Luck, Obstfeld & Russ 2018, "
                       "REStat 100(1): 135–150); uniform 1–2",
            ),
        }

    def _prepared(self, spec: ScenarioSpec, ctx: Context) -> _Prepared:
        c = self._cache
        if c is not None and c[0] is spec and c[1] is ctx:  # identity: one entry, the last spec and context
            return c[2]
        p = prepare(spec, ctx)
        self._cache = (spec, ctx, p)
        return p

    def notes(self, spec: ScenarioSpec, ctx: Context) -> list[str]:
        return self._prepared(spec, ctx).notes

    def run(self, spec: ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        p = self._prepared(spec, ctx)
        kw = {"disruption": params["disruption"], "trade_elasticity": params["trade_elasticity"],
              "upper_elasticity": params["upper_elasticity"]}
        rows: list[dict] = []
        tot = {"touched": 0.0, "disrupted": 0.0, "loss": 0.0, "subst": 0.0}
        for flow in ("export", "import"):
            res = self._flow(p, flow, kw)
            if res is None:
                continue
            detail, touched, loss, subst, chapters = res
            tot["touched"] += touched
            tot["loss"] += loss
            tot["subst"] += subst
            tot["disrupted"] += loss + subst
            key = f"flow={flow}" + (f"; basis={detail}" if detail else "")
            rows += [
                {"metric": f"touched_{flow}s_usd", "value": touched, "unit": "USD", "detail": key},
                {"metric": "trade_loss_usd", "value": loss, "unit": "USD", "detail": key},
                {"metric": "substituted_usd", "value": subst, "unit": "USD", "detail": key},
            ]
            rows += [{"metric": "trade_loss_usd", "value": v, "unit": "USD", "detail": f"flow={flow}; hs={ch}"}
                     for ch, v in chapters]
        with_t = p.exports_to_targets + p.imports_from_targets
        rows += [
            {"metric": "touched_trade_usd", "value": tot["touched"], "unit": "USD"},
            {"metric": "disrupted_usd", "value": tot["disrupted"], "unit": "USD"},
            {"metric": "trade_loss_usd", "value": tot["loss"], "unit": "USD"},
            {"metric": "substituted_usd", "value": tot["subst"], "unit": "USD"},
            {"metric": "trade_loss_share_with_targets", "value": tot["loss"] / with_t if with_t > 0 else float("nan"),
             "unit": "share"},
            {"metric": "trade_loss_share_value_added", "value": tot["loss"] / p.value_added_usd, "unit": "share"},
        ]
        rows += [dict(r) for r in p.mirror]
        for r in rows:
            r["channel"], r["country"] = self.name, ctx.country
        return effects(rows)

    def _flow(self, p: _Prepared, flow: str, kw: dict) -> tuple[str, float, float, float, list] | None:
        """(basis, touched, loss, substituted, [(chapter, loss)]) for one flow, or None without data."""
        total_t = p.exports_to_targets if flow == "export" else p.imports_from_targets
        if total_t <= 0:
            return None
        own = p.export_products if flow == "export" else p.import_products
        cov = p.export_cov if flow == "export" else p.import_cov
        if own is not None:  # product detail for this flow: scale its composition to the official total
            phi = total_t / own.x_target.sum()
            touched = cov * own.x_target * phi
            loss, subst = trade_loss(touched, own.x_world * phi, own.hhi, **kw)
            chapters = (
                pl.DataFrame({"ch": [k[:2] for k in own.product], "loss": loss})
                .group_by("ch").agg(fsum_agg("loss")).filter(pl.col("loss") > 0).sort("ch")
            )
            basis = f"HS6 composition {own.source} {own.year} × {p.totals_source} total"
            return basis, fsum(touched), fsum(loss), fsum(subst), list(chapters.iter_rows())
        if p.export_products is None or len(cov) == 0:
            return None
        xp = p.export_products  # proxy: the banned share of the exports to the targets
        share = fsum(cov * xp.x_target) / fsum(xp.x_target)
        touched = np.array([share * total_t])
        loss, subst = trade_loss(touched, np.array([p.imports_total]), np.array([p.import_hhi_alt]), **kw)
        basis = f"proxy: banned share of exports to targets ({xp.source} {xp.year}) × {p.totals_source} import total"
        return basis, float(touched[0]), float(loss[0]), float(subst[0]), []


CHANNEL = TradeChannel()
