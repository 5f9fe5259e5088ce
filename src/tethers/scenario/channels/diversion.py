r"""Diversion channel: coalition demand for the target re-routed through third countries (re-exports).

When the coalition *C* stops selling the banned goods to the targets *T*, part of the target's demand for
those goods is served through third countries *h* ("hubs"): *h* imports the goods from the coalition and
sells them on to the target — the "Eurasian roundabout" of Chupilkin, Javorcik, Peeva & Plekhanov (EBRD
Working Paper 2023). The channel sizes this flow for the third country studied, *k*.

Model (partial equilibrium, one year; docs/scenario.md "Diversion")
--------------------------------------------------------------------
.. math::
    B = c\,X_{CT}, \qquad R = \rho B, \qquad
    \pi_{cth} = \frac{e^{\beta\cdot z_{ch}}\, e^{\beta\cdot z_{ht}}}{\sum_{h'\in H} e^{\beta\cdot z_{ch'}}\, e^{\beta\cdot z_{h't}}}, \qquad
    w_h = \sum_{c\in C}\sum_{t\in T} s_c\, s_t\, \pi_{cth}, \qquad R_k = w_k R

    \Delta X_{Ck}/X_{Ck} = R_k / X_{Ck}, \qquad \Delta X_{kT}/X_{kT} = (R_k + O_k)/X_{kT}, \qquad
    \Delta X_{CT}/X_{CT} = -c

* :math:`X_{CT}`: the coalition's exports to the targets in the base year (Eurostat, EU27 aggregate
  ``EUU``; other coalition members' exports to the targets where the atlas has them as reporters — for the
  base year, else their latest year up to ``STAND_IN_YEARS`` before it, named in the notes: USA and GBR
  2020 for base 2021, IMF DOTS in the atlas ending in 2020);
  :math:`c`: the share of them the export bans cover (parameter ``coalition_export_coverage``).
* :math:`\rho` (``reroute_share``): the share of the banned coalition supply that reaches the target
  through third countries. No published estimate: an assumption with a wide band, tested by the backtest.
* Route choice: the banned goods of member *c* reach target *t* on a route c → *h* → t, whose trade cost
  in gravity terms is :math:`t_{ch}^{\varepsilon} t_{ht}^{\varepsilon} = e^{\beta\cdot z_{ch}} e^{\beta\cdot z_{ht}}`;
  with a Fréchet choice among the routes of each origin–destination pair (Allen & Arkolakis 2022, REStud
  89(6)) the share of route *h* is proportional to that product, normalised over the hubs for that pair:
  :math:`\pi_{cth}`. Each member's lost supply to each target, :math:`s_c s_t B`, takes its own route
  choice: :math:`s_c` is each member's share in the coalition's exports to the targets (Eurostat member
  rows; other members' own rows; equal weights otherwise, with a note), :math:`s_t` each target's share
  in the coalition's exports to the targets. (An earlier version pooled the members' legs,
  :math:`w_h \propto \sum_c s_c e^{\beta\cdot z_{ch}}\cdot\sum_t s_t e^{\beta\cdot z_{ht}}`, which does not
  keep each member's lost supply: members with many cheap routes took flow from the others.) The hub's
  own size does not enter: re-export capacity is not proportional to the hub's home demand, so small
  neighbours of the target see the largest relative increases.
* Hubs *H*: every country that is neither in the coalition nor a target, that the coalition exports
  to in the base year, and that the scenario does not list under ``excluded_hubs`` (countries the
  coalition's bans reach as well, countries applying the same controls, countries that do not trade with
  the targets — each with its legal basis; the notes say which and what share of the re-routed flow they
  would have taken). :math:`X_{Ck}`: the coalition's pre-sanction exports to the country studied (the
  denominator of its change).
* The EU27 part of :math:`R_k`: :math:`\rho B \sum_{c\in EU}\sum_t s_c s_t \pi_{ctk}`; over the EU27's own
  exports to *k* (Eurostat) it gives ``eu27_exports_to_country_change``, the figure the backtest's
  Eurostat rows observe.
* :math:`z_{ij}` = (ln distance, contiguity, common official language, both landlocked, customs union)
  (CEPII GeoDist; ``scenario/data/customs_unions.csv``), and β their elasticities
  **estimated** by structural gravity (PPML with exporter-year and importer-year fixed effects,
  :mod:`tethers.scenario.gravity`, model ``cov``) on the atlas's bilateral panel up to the base year.
  Each draw takes :math:`\beta = \hat\beta + L u`, :math:`u \sim N(0, I)` (the engine draws *u*),
  :math:`LL^\top` the clustered covariance of the estimates.
* :math:`O_k` (own supply): by the CES demand of the trade channel, the target's spending on the remaining
  suppliers of the banned goods scales by :math:`(1-d)^{\kappa-1}` with :math:`d = (1-\rho)\,s_C` the
  share of the target's imports lost and κ = (1 − η)/ε; :math:`O_k = X^{ban}_{kT}[(1-d)^{\kappa-1}-1]`.
  Computed only where the atlas has the target's imports by partner (IMF DOTS, as the target reports
  them, latest year ≤ the base year) and *k*'s exports to the target by product; otherwise reported
  missing with the reason.

Partial, not general equilibrium: the multilateral resistances, outputs and expenditures are held at
their base-year values (no GE-PPML loop, Yotov et al. 2016 ch. 2): the atlas has neither domestic flows
nor a square all-country matrix for the goods concerned, the target does not report to the panel, and
over one year the hubs are small relative to the world, so the feedback through their price indices is
second order. See docs/scenario.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ...countries import eu_members
from ...measures.exact import fsum, fsum_agg
from .. import gravity as grav
from ..spec import HUB_STATUS, ScenarioSpec
from .base import Context, Param, effects
from .trade import _measure_lists, _pick_source, coverage_by_product, official_totals, product_detail

__all__ = ["DiversionChannel", "CHANNEL", "hub_weights", "origin_share", "reexports", "route_shares"]

TERMS = ("ln_dist", "contig", "lang", "both_ll", "cu")
_AGG = ("WLD", "EUU")


# ---------------------------------------------------------------------------------------------- pure functions


def route_shares(z_ch: np.ndarray, z_ht: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """:math:`\\pi_{cth} = e^{\\beta\\cdot z_{ch}} e^{\\beta\\cdot z_{ht}} / \\sum_{h'} e^{\\beta\\cdot z_{ch'}} e^{\\beta\\cdot z_{h't}}`:
    the share of hub *h* among the routes from member *c* to target *t* (members × targets × hubs; logs throughout).

    ``z_ch``: members × hubs × terms (member → hub), ``z_ht``: targets × hubs × terms (hub → target).
    """
    lr = (z_ch @ beta)[:, None, :] + (z_ht @ beta)[None, :, :]
    e = np.exp(lr - lr.max(axis=2, keepdims=True))
    return e / e.sum(axis=2, keepdims=True)


def hub_weights(z_ch: np.ndarray, s_c: np.ndarray, z_ht: np.ndarray, s_t: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Route shares :math:`w_h = \\sum_c \\sum_t s_c s_t \\pi_{cth}`, summing to 1: each member's lost supply
    to each target (weights ``s_c`` × ``s_t``, each summing to 1) takes its own route choice
    (:func:`route_shares`)."""
    if z_ch.shape[1] == 0:
        return np.zeros(0)
    return np.einsum("c,t,cth->h", s_c, s_t, route_shares(z_ch, z_ht, beta))


def origin_share(z_ch: np.ndarray, s_c: np.ndarray, z_ht: np.ndarray, s_t: np.ndarray, beta: np.ndarray,
                 k: int, mask: np.ndarray) -> float:
    """Share of the members in ``mask`` in the re-exports through hub ``k``:
    :math:`\\sum_{c\\in S}\\sum_t s_c s_t \\pi_{ctk} / \\sum_c\\sum_t s_c s_t \\pi_{ctk}`."""
    if not mask.any():
        return 0.0
    f = s_c[:, None] * s_t[None, :] * route_shares(z_ch, z_ht, beta)[:, :, k]
    tot = f.sum()
    return float(f[mask].sum() / tot) if tot > 0 else 0.0


def _terms(terms: pl.DataFrame, origins: list[str], dests: list[str], *, reverse: bool, year: int,
           cu: pl.DataFrame) -> np.ndarray:
    """origins × hubs × TERMS array of gravity terms; ``reverse``: the flow runs hub → origin."""
    out = np.zeros((len(origins), len(dests), len(TERMS)))
    oi, di = {c: i for i, c in enumerate(origins)}, {h: j for j, h in enumerate(dests)}
    src, dst = ("importer", "exporter") if reverse else ("exporter", "importer")
    sub = terms.filter(pl.col(src).is_in(origins) & pl.col(dst).is_in(dests))
    for r in sub.iter_rows(named=True):
        i, j = oi[r[src]], di[r[dst]]
        out[i, j, :4] = [r[t] for t in TERMS[:-1]]
        out[i, j, 4] = float(grav.cu_flag(r["exporter"], r["importer"], year, cu))
    return out


def reexports(lost: float, reroute_share: float, weight: float) -> float:
    """:math:`R_k = \\rho\\, B\\, w_k` (USD)."""
    return reroute_share * lost * weight


def own_supply(x_ban_kt: float, coalition_share: float, reroute_share: float, *, trade_elasticity: float,
               upper_elasticity: float) -> float:
    """:math:`O_k = X^{ban}_{kT}[(1-d)^{\\kappa-1}-1]` with :math:`d = (1-\\rho)\\,s_C` the share of the target's
    imports lost (the coalition's share :math:`s_C` less what is re-routed) and κ = (1 − η)/ε in [0, 1]."""
    if not 0.0 <= coalition_share <= 1.0:
        return float("nan")
    d = float(np.clip((1.0 - reroute_share) * coalition_share, 0.0, 0.99))
    kappa = float(np.clip((1.0 - upper_elasticity) / trade_elasticity, 0.0, 1.0))
    return x_ban_kt * ((1.0 - d) ** (kappa - 1.0) - 1.0)


# ---------------------------------------------------------------------------------------------- preparation


@dataclass(frozen=True)
class _Prepared:
    est: grav.GravityEstimates
    beta: np.ndarray           # central β (TERMS order)
    chol: np.ndarray           # Cholesky factor of the clustered covariance
    hubs: list[str]
    z_ch: np.ndarray           # members × hubs × TERMS, coalition member → hub
    s_c: np.ndarray            # member weights (shares in the coalition's exports to the targets)
    z_ht: np.ndarray           # targets × hubs × TERMS, hub → target
    s_t: np.ndarray            # target weights (shares of the targets in the coalition's exports to them)
    k_index: int | None        # position of ctx.country among the hubs
    x_ct: float                # coalition exports to the targets, USD
    x_ck: float                # coalition exports to the country, USD
    x_kt: float                # the country's exports to the targets (official totals), USD
    x_ban_kt: float | None     # … of which banned goods (product composition), USD
    s_c_target: float | None   # the coalition's share in the targets' imports (target-reported)
    basis: str
    notes: list[str]
    eu_mask: np.ndarray        # members that are EU member states (base year)
    x_eu_k: float              # EU27 (Eurostat EUU) exports to the country, USD (0 without the row)


# How far back a non-EU coalition member's own exports may stand in for the base year when the atlas lacks
# that year (IMF DOTS in the atlas ends in 2020: USA and GBR for base 2021).
STAND_IN_YEARS = 2


def _member_year(t: pl.DataFrame, c: str, year: int) -> int | None:
    """The base year if ``c`` reports total exports for it, else the latest of the ``STAND_IN_YEARS`` before it."""
    ys = t.filter((pl.col("reporter") == c) & (pl.col("year") <= year) & (pl.col("year") >= year - STAND_IN_YEARS))
    return int(ys["year"].max()) if ys.height else None


def _coalition_exports(trade: pl.DataFrame, coalition: frozenset[str], year: int) -> tuple[pl.DataFrame, str]:
    """``[partner, value_usd]``: the coalition's exports by partner in ``year`` (EUU aggregate for the EU27 part).

    A non-EU member without rows for ``year`` counts with its latest year up to ``STAND_IN_YEARS`` before
    (named in the basis: "USA (imf_dots_xlsx) 2020 for 2021").
    """
    eu = eu_members(year)
    parts, basis = [], []
    t = trade.filter((pl.col("classification") == "TOTAL") & (pl.col("flow") == "export"))
    if coalition >= eu:
        e = t.filter((pl.col("year") == year) & (pl.col("reporter") == "EUU") & (pl.col("source") == "eurostat"))
        if e.height:
            parts.append(e.select("partner", "value_usd"))
            basis.append(f"EU27 (Eurostat EUU) {year}")
    others = sorted(coalition - eu) if coalition >= eu else sorted(coalition)
    for c in others:
        y = _member_year(t, c, year)
        if y is None:
            continue
        f = _pick_source(t.filter((pl.col("reporter") == c) & (pl.col("year") == y)))
        if f.height:
            parts.append(f.select("partner", "value_usd"))
            basis.append(f"{c} ({f['source'][0]}) {y}" + (f" for {year}" if y != year else ""))
    if not parts:
        return pl.DataFrame(schema={"partner": pl.Utf8, "value_usd": pl.Float64}), ""
    df = pl.concat(parts).filter(~pl.col("partner").is_in([*_AGG, *coalition]))
    return df.group_by("partner").agg(fsum_agg("value_usd")).sort("partner"), ", ".join(basis)


def _member_weights(trade: pl.DataFrame, coalition: frozenset[str], targets: frozenset[str],
                    year: int) -> tuple[list[str], np.ndarray, str]:
    """Coalition members and their shares in the coalition's exports to the targets in ``year``.

    Members' own totals (any source; Eurostat member rows for the EU) where the atlas has them for every
    member with GeoDist terms; equal weights otherwise. A non-EU member without ``year`` counts with its
    latest year up to ``STAND_IN_YEARS`` before, as in :func:`_coalition_exports`.
    """
    members = sorted(coalition)
    eu = eu_members(year)
    t = trade.filter((pl.col("classification") == "TOTAL") & (pl.col("flow") == "export")
                     & pl.col("reporter").is_in(members) & pl.col("partner").is_in(list(targets)))
    v, stand_in = {}, []
    for c in members:
        y = year if c in eu else _member_year(t, c, year)
        v[c] = fsum(_pick_source(t.filter((pl.col("reporter") == c) & (pl.col("year") == y)))["value_usd"]) \
            if y is not None else 0.0
        if y is not None and y != year and v[c] > 0:
            stand_in.append(f"{c} {y}")
    have = [c for c in members if v[c] > 0]
    extra = f"; {', '.join(stand_in)} for {year}" if stand_in else ""
    if len(have) >= 0.8 * len(members):
        tot = sum(v[c] for c in have)
        return have, np.array([v[c] / tot for c in have]), (
            f"coalition leg weighted by members' exports to the targets in {year} ({len(have)} of {len(members)} "
            f"members report them{extra})")
    return members, np.full(len(members), 1.0 / len(members)), (
        f"coalition leg: members weighted equally (the atlas has members' exports to the targets for "
        f"{len(have)} of {len(members)} members in {year})")


def _coalition_share(ctx: Context, year: int) -> tuple[float | None, str]:
    """The coalition's share in the targets' own reported imports, latest year ≤ ``year`` (``None`` without data)."""
    world = ctx.trade.filter(pl.col("reporter").is_in(list(ctx.targets)) & (pl.col("year") <= year)
                             & (pl.col("classification") == "TOTAL") & (pl.col("flow") == "import")
                             & (pl.col("partner") == "WLD"))
    if world.height == 0:
        return None, ""
    yr = int(world["year"].max())
    world = _pick_source(world.filter(pl.col("year") == yr))
    src = world["source"][0]
    m_t = fsum(world["value_usd"])
    g = ctx.extra.get("gravity_trade")
    if g is None or m_t <= 0:
        return None, ""
    from_c = g.filter(pl.col("reporter").is_in(list(ctx.targets)) & pl.col("partner").is_in(list(ctx.coalition))
                      & (pl.col("year") == yr) & (pl.col("source") == src) & (pl.col("flow") == "import")
                      & (pl.col("classification") == "TOTAL"))
    if from_c.height == 0:
        return None, ""
    return fsum(from_c["value_usd"]) / m_t, f"{src} {yr}, reported by {'+'.join(sorted(ctx.targets))}"


def _excluded_note(spec: ScenarioSpec, dropped: list[str], hubs: list[str], terms: pl.DataFrame,
                   members: list[str], s_c: np.ndarray, tgts: list[str], s_t: np.ndarray, beta: np.ndarray,
                   year: int, cu: pl.DataFrame) -> str:
    """The scenario's excluded hubs, why, and the share of the re-routed flow they would take (central β)."""
    ex = spec.excluded_hub_codes()
    groups = "; ".join(f"{'+'.join(e.countries)} ({e.status}: {e.legal_basis})" for e in spec.excluded_hubs)
    share = ""
    if dropped:
        allh = hubs + dropped
        w = hub_weights(_terms(terms, members, allh, reverse=False, year=year, cu=cu), s_c,
                        _terms(terms, tgts, allh, reverse=True, year=year, cu=cu), s_t, beta)
        top = sorted(zip(dropped, w[len(hubs):], strict=True), key=lambda x: -x[1])
        share = (f"; with them the route choice would give them {fsum(w[len(hubs):]):.1%} of the re-routed flow at "
                 "the central elasticities (" + ", ".join(f"{h} {v:.1%}" for h, v in top[:5] if v >= 0.0005) + ")")
    absent = sorted(set(ex) - set(dropped))
    return (f"excluded hubs (scenario): {groups}{share}"
            + (f"; not hubs anyway in {year}: {', '.join(absent)}" if absent else ""))


def prepare(spec: ScenarioSpec, ctx: Context) -> _Prepared:
    """Everything that does not depend on the draw (the gravity estimation is memoised per panel)."""
    y, k = ctx.base_year, ctx.country
    notes: list[str] = []
    panel_trade = ctx.extra.get("gravity_trade")
    dist_all = ctx.extra.get("distances_all")
    if panel_trade is None or dist_all is None:
        raise ValueError("the diversion channel needs ctx.extra['gravity_trade'] and ['distances_all'] (engine.build_context)")
    est = grav.estimate_cached(panel_trade, dist_all, base_year=y)
    beta = np.array([est.coef_cov[t] for t in TERMS])
    chol = np.linalg.cholesky(est.vcov_cov + 1e-12 * np.eye(len(TERMS)))
    cx, basis = _coalition_exports(ctx.trade, ctx.coalition, y)
    x_ct = fsum(cx.filter(pl.col("partner").is_in(list(ctx.targets)))["value_usd"])
    hubs_df = cx.filter(~pl.col("partner").is_in(list(ctx.targets)) & (pl.col("value_usd") > 0))
    terms = grav.pair_terms(dist_all)
    cu = grav.customs_unions()
    members, s_c, wbasis = _member_weights(ctx.trade, ctx.coalition, ctx.targets, y)
    notes.append(wbasis)
    geo = set(terms["exporter"].unique().to_list())
    keep = np.array([c in geo for c in members], dtype=bool)
    members, s_c = [c for c in members if c in geo], s_c[keep] / s_c[keep].sum()
    tgts = sorted(ctx.targets)
    x_t = np.array([fsum(cx.filter(pl.col("partner") == t)["value_usd"]) for t in tgts])
    s_t = x_t / x_t.sum() if x_t.sum() > 0 else np.full(len(tgts), 1.0 / len(tgts))
    # hubs need GeoDist terms from every member and to every target (GeoDist covers ~224 economies)
    cand = hubs_df["partner"].to_list()
    n_c = terms.filter(pl.col("exporter").is_in(members) & pl.col("importer").is_in(cand)).group_by("importer").len()
    n_t = terms.filter(pl.col("exporter").is_in(cand) & pl.col("importer").is_in(tgts)).group_by("exporter").len()
    ok = set(n_c.filter(pl.col("len") == len(members))["importer"]) & set(n_t.filter(pl.col("len") == len(tgts))["exporter"])
    excluded = spec.excluded_hub_codes()
    hubs = sorted(h for h in cand if h in ok and h not in excluded)
    z_ch = _terms(terms, members, hubs, reverse=False, year=y, cu=cu)
    z_ht = _terms(terms, tgts, hubs, reverse=True, year=y, cu=cu)
    if excluded:
        notes.append(_excluded_note(spec, sorted(h for h in cand if h in ok and h in excluded), hubs, terms,
                                    members, s_c, tgts, s_t, beta, y, cu))
    off = official_totals(ctx.trade, k, y)
    x_kt = fsum(off.filter((pl.col("flow") == "export") & pl.col("partner").is_in(list(ctx.targets)))["value_usd"])
    if x_kt <= 0:
        notes.append(f"no official exports of {k} to the targets in {y}: its export change is not computed")
    x_ban = None
    xp = product_detail(ctx.trade, k, ctx.targets, "export", y)
    exp_m, _ = _measure_lists(spec)
    if xp is not None and x_kt > 0:
        cov = coverage_by_product(xp.product, exp_m)
        x_ban = float((cov * xp.x_target).sum() / xp.x_target.sum()) * x_kt
    s_ct, s_basis = _coalition_share(ctx, y)
    if s_ct is None or x_ban is None:
        why = "the targets' imports by partner" if s_ct is None else f"{k}'s exports to the targets by product"
        notes.append(f"own supply (CES reallocation of the target's demand to {k}) not computed: {why} not in the atlas")
    else:
        notes.append(f"own supply: the coalition's share in the targets' imports {s_ct:.1%} ({s_basis}; total goods "
                     f"stand in for the banned goods); {k}'s banned-goods exports to them {x_ban / 1e9:.2f} bn USD")
    if k in excluded:
        e = excluded[k]
        notes.append(f"{k} is excluded as a hub by the scenario ({e.status}: {HUB_STATUS[e.status]}; "
                     f"{e.legal_basis}): no re-exports")
    elif k not in hubs:
        notes.append(f"{k} is not a hub (no coalition exports to it in {y}, or no GeoDist terms): no re-exports")
    missing = sorted(c for c in ctx.coalition - eu_members(y) if f"{c} (" not in basis)
    if missing:
        notes.append(f"exports of {', '.join(missing)} are not in the atlas for {y} or the {STAND_IN_YEARS} years "
                     "before: the lost coalition supply leaves them out (understated)")
    if " for " in basis:
        notes.append(f"coalition members without {y} rows count with an earlier year (see the basis below): "
                     "a stand-in, not the base year")
    x_ck = fsum(cx.filter(pl.col("partner") == k)["value_usd"])
    x_eu_k = fsum(ctx.trade.filter((pl.col("reporter") == "EUU") & (pl.col("source") == "eurostat")
                                   & (pl.col("partner") == k) & (pl.col("year") == y) & (pl.col("flow") == "export")
                                   & (pl.col("classification") == "TOTAL"))["value_usd"])
    eu_mask = np.array([c in eu_members(y) for c in members], dtype=bool)
    c, se = est.coef_cov, est.se_cov
    notes.append(
        f"gravity (PPML, pyfixest fepois, pair-clustered se) on {est.panel}: ln distance {c['ln_dist']:.3f} "
        f"({se['ln_dist']:.3f}), contiguity {c['contig']:.3f} ({se['contig']:.3f}), common language {c['lang']:.3f} "
        f"({se['lang']:.3f}), both landlocked {c['both_ll']:.3f} ({se['both_ll']:.3f}), EAEU {c['cu']:.3f} "
        f"({se['cu']:.3f}); with pair effects EAEU {est.coef['cu']:.3f} ({est.se['cu']:.3f})")
    notes.append(f"lost coalition supply from {basis}; {len(hubs)} hubs")
    return _Prepared(est=est, beta=beta, chol=chol, hubs=hubs, z_ch=z_ch, s_c=s_c, z_ht=z_ht, s_t=s_t,
                     k_index=hubs.index(k) if k in hubs else None, x_ct=x_ct, x_ck=x_ck, x_kt=x_kt,
                     x_ban_kt=x_ban, s_c_target=s_ct, basis=basis, notes=notes, eu_mask=eu_mask, x_eu_k=x_eu_k)


# ---------------------------------------------------------------------------------------------- the channel


class DiversionChannel:
    """Trade diversion through third countries (see the module docstring)."""

    name = "diversion"

    def __init__(self) -> None:
        self._cache: tuple[ScenarioSpec, Context, _Prepared] | None = None

    def parameters(self) -> dict[str, Param]:
        ps = {
            "reroute_share": Param(
                0.3, "uniform", 0.1, 0.5,
                source="assumption (no published estimate): share of the banned coalition supply to the targets that "
                       "reaches them through third countries; uniform 0.1–0.5, tested by `tethers backtest`",
            ),
            "coalition_export_coverage": Param(
                0.36, "uniform", 0.25, 0.49,
                source="share of the coalition's exports to the targets under export bans. European Commission, "
                       "10th package (Feb 2023): bans then covered 49% of 2021 EU exports to Russia, of which "
                       "EUR 11.4 bn (12.7% of EUR 89.6 bn) added by that package → 36% for the 2022 packages; "
                       "uniform 0.25–0.49. Calibrated on 2022: other scenarios set it (scenario parameters)",
            ),
            "trade_elasticity": Param(-4.5, "uniform", -5.0, -4.0, source="as trade.trade_elasticity"),
            "upper_elasticity": Param(1.5, "uniform", 1.0, 2.0, source="as trade.upper_elasticity"),
        }
        for t in TERMS:
            ps[f"u_{t}"] = Param(
                0.0, "normal", 1.0,
                source=f"standard-normal draw; the {t} elasticity is β̂ + (L u)_{t}, LLᵀ the pair-clustered covariance "
                       "of the PPML estimates (tethers.scenario.gravity, model cov)",
            )
        return ps

    def _prepared(self, spec: ScenarioSpec, ctx: Context) -> _Prepared:
        c = self._cache
        if c is not None and c[0] is spec and c[1] is ctx:
            return c[2]
        p = prepare(spec, ctx)
        self._cache = (spec, ctx, p)
        return p

    def notes(self, spec: ScenarioSpec, ctx: Context) -> list[str]:
        return self._prepared(spec, ctx).notes

    def run(self, spec: ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        p = self._prepared(spec, ctx)
        u = np.array([params[f"u_{t}"] for t in TERMS])
        beta = p.beta + p.chol @ u
        w = hub_weights(p.z_ch, p.s_c, p.z_ht, p.s_t, beta)
        lost = params["coalition_export_coverage"] * p.x_ct
        rho = params["reroute_share"]
        wk = float(w[p.k_index]) if p.k_index is not None else 0.0
        r_k = reexports(lost, rho, wk)
        o_k = float("nan")
        if p.x_ban_kt is not None and p.s_c_target is not None:
            o_k = own_supply(p.x_ban_kt, p.s_c_target, rho, trade_elasticity=params["trade_elasticity"],
                             upper_elasticity=params["upper_elasticity"])
        nan = float("nan")
        tg = "+".join(sorted(ctx.targets))
        # the EU27 part of R_k over EU27 exports to k: what the Eurostat rows of the backtest observe
        eu_change = nan
        if p.k_index is not None and p.x_eu_k > 0 and p.eu_mask.any():
            eu_change = r_k * origin_share(p.z_ch, p.s_c, p.z_ht, p.s_t, beta, p.k_index, p.eu_mask) / p.x_eu_k
        rows = [
            {"metric": "coalition_lost_exports_usd", "value": lost, "unit": "USD", "detail": f"to {tg}"},
            {"metric": "rerouted_usd", "value": rho * lost, "unit": "USD", "detail": "through all hubs"},
            {"metric": "hub_weight", "value": wk, "unit": "share", "detail": ""},
            {"metric": "reexports_usd", "value": r_k, "unit": "USD", "detail": ""},
            {"metric": "own_supply_usd", "value": o_k, "unit": "USD", "detail": ""},
            {"metric": "coalition_exports_to_country_change", "value": r_k / p.x_ck if p.x_ck > 0 else nan,
             "unit": "share", "detail": ""},
            {"metric": "eu27_exports_to_country_change", "value": eu_change, "unit": "share",
             "detail": "EU27 members' re-exports through the country ÷ EU27 (Eurostat EUU) exports to it"},
            {"metric": "exports_to_targets_change",
             "value": (r_k + (0.0 if np.isnan(o_k) else o_k)) / p.x_kt if p.x_kt > 0 else nan, "unit": "share",
             "detail": ""},
            {"metric": "coalition_exports_to_targets_change", "value": -lost / p.x_ct if p.x_ct > 0 else nan,
             "unit": "share", "detail": ""},
        ]
        rows += [{"metric": "gravity_elasticity", "value": float(b), "unit": "coef", "detail": t}
                 for t, b in zip(TERMS, beta, strict=True)]
        for r in rows:
            r["channel"], r["country"] = self.name, ctx.country
        return effects(rows)


CHANNEL = DiversionChannel()
