r"""Imported inflation from the target: the target's consumer-price shock and its pass-through to the third
country's consumer prices (a second-round price channel beside :mod:`.fx`).

Model
-----
The cumulative response of the country's CPI to the target's monthly CPI inflation is estimated by local
projections (Jordà 2005) on the monthly series in the atlas, **up to December of the base year only**
(every input row dated later is dropped before anything is computed):

.. math::
    \ln P_{t+h} - \ln P_{t-1} = \alpha_h + \gamma_h\,\pi^{T}_t + \tilde\theta_h\,\Delta e_t + \delta_h\,\Delta e_{t-1}
    + \kappa_h\,\pi^{T}_{t-1} + \rho_h\,\pi_{t-1} + \textstyle\sum_{m=2}^{12} \mu_{h,m} D_{m,t} + u_{t+h},
    \qquad h = 0..11

with :math:`P` the country's CPI (all items), :math:`\pi_t = \ln(P_t/P_{t-1})`, :math:`\pi^T_t` the target's
monthly CPI inflation (log), :math:`\Delta e_t` the monthly log change of the country's currency per USD
(the same monthly rates as the fx channel's local projection) and :math:`D_{m,t}` calendar-month dummies
(both CPIs are not seasonally adjusted); Newey–West HAC(h+1) standard errors, as in :mod:`.fx`.

:math:`\gamma_h` is the imported-inflation response *at a given exchange rate of the country's currency*:
the regression controls for :math:`\Delta e_t, \Delta e_{t-1}`, so the part of the target's inflation that
moves with the country's currency (in 2014–15 the rouble's fall dragged the tenge and raised Russian
prices at the same time) is not counted here; the currency's own effect is the fx channel's
:math:`\theta_h`. :math:`\tilde\theta_h` (the currency coefficient in this joint regression) is printed
against the fx channel's :math:`\theta_h` (estimated without the target's CPI) in the notes: their gap is
the part of the fx figure that this channel might count a second time.

The import share of the target in the country's imports is **not** applied on top: :math:`\gamma_h` is
estimated on the country's own CPI and carries the share of the estimation window (Russia 35–43 % of
Kazakhstan's imports in 2018–2021, BNS); it is not rescaled to the base year.

Out-of-sample shock (calibration episode)
-----------------------------------------
As for the rouble in :mod:`.fx`, the target's inflation shock is measured on **another** sanctions episode
of the target (``scenario/data/fx_episodes.csv``, the same choice as :func:`.fx.pick_calibration`: the
latest episode ending by December of the base year, else the first after the scenario's own, said so in
the notes; never the scenario's own). With :math:`M_0` the month of the episode's shock date and
:math:`\bar\pi^T_m` the mean monthly inflation of calendar month *m* over the three years before the
episode's window starts, the excess inflation of the episode is

.. math::
    x_h = \pi^T_{M_0 + h} - \bar\pi^T_{m(M_0 + h)}, \qquad h = 0..11

It is placed from the month *M* of the scenario's own shock date (as in :mod:`.fx`; January of
``start_year`` when the episode table has none) and scaled by ``shock_scale`` × intensity (the scenario's
largest ``financial`` measure, as in :mod:`.fx`: the calibration episode is the same currency crisis):
:math:`s_k = s\,I\,x_{k-M+1}` for the months *k* = M..12 of the outcome year, 0 before. The country's
excess Dec/Dec inflation is

.. math::
    \Delta CPI^{Dec/Dec} = 100 \sum_{k=M}^{12} \gamma_{12-k}\, s_k \ \text{(pp)}, \qquad
    \gamma_h = \hat\gamma_h + z\,\widehat{se}(\hat\gamma_h),\ z \sim N(0, 1) \text{ (one z for all horizons)}

and the shock month's excess m/m inflation :math:`100\,\gamma_0 s_M`. The target's own simulated excess
Dec/Dec inflation is :math:`100 \sum_k s_k`.

Left out
--------
Common shocks: world food and energy prices move both CPIs in the same month (2022: grain, fertiliser,
fuel); they are not controlled for (no such monthly series in the atlas), which biases :math:`\gamma_h`
upwards if anything. The target's currency against the country's (Russian goods get cheaper in tenge when
the rouble falls further than the tenge) is not a separate term. Food and energy prices set or
subsidised at home (Kazakhstan's fuel price caps) are outside the model.

References
----------
* Jordà, Ò. (2005), "Estimation and inference of impulse responses by local projections", *American
  Economic Review* 95(1): 161–182.
* Newey, W. K. & West, K. D. (1987), "A simple, positive semi-definite, heteroskedasticity and
  autocorrelation consistent covariance matrix", *Econometrica* 55(3): 703–708.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from ...errors import TethersError
from ...measures.fx import pass_through
from ..spec import ScenarioSpec
from .base import Context, Param, effects
from .fx import Episode, currency_of, local_projection, pick_calibration

__all__ = ["PricesChannel", "CHANNEL", "ImportedLP", "InflationShock", "monthly_inflation", "imported_inflation_lp",
           "episode_excess_inflation", "imported_path", "MONTHS", "CONTROLS"]

MONTHS = tuple(f"m{m}" for m in range(2, 13))
CONTROLS = ("de", "de1", "piT1", "pi1", *MONTHS)
BASELINE_YEARS = 3


def monthly_inflation(prices: pl.DataFrame, country: str) -> tuple[pl.DataFrame, str]:
    """``[date, pi]`` — the monthly log CPI inflation (all items) of ``country`` from its ``mom_index`` rows —
    and their source (the source with most rows, then by name)."""
    p = prices.filter((pl.col("country") == country) & (pl.col("series") == "all")
                      & (pl.col("measure") == "mom_index"))
    if p.height == 0:
        raise TethersError(f"no monthly CPI (all items, m/m) of {country} in the atlas")
    src = p.group_by("source").len().sort(["len", "source"], descending=[True, False])["source"][0]
    out = (p.filter(pl.col("source") == src).select("date", pi=(pl.col("value") / 100.0).log()).sort("date"))
    return out, src


@dataclass(frozen=True)
class ImportedLP:
    """The local projection (module docstring): γ_h and their SEs, the joint model's currency coefficients
    θ̃_h, observations per horizon, the first month t and the last month t + h that entered, the sources."""

    gamma: tuple[float, ...]
    se: tuple[float, ...]
    theta_joint: tuple[float, ...]
    theta_joint_se: tuple[float, ...]
    n: tuple[int, ...]
    start: dt.date
    end: dt.date
    last_used: dt.date
    sources: str


def _monthly_rates(fx: pl.DataFrame, currency: str) -> tuple[pl.DataFrame, str]:
    m = fx.filter((pl.col("frequency") == "monthly") & (pl.col("currency") == currency))
    if m.height == 0:
        raise TethersError(f"no monthly {currency} rates for the imported-inflation local projection")
    src = sorted(m["source"].unique().to_list())[0]  # the fx channel's local projection takes the same
    return m.filter(pl.col("source") == src).select("date", "per_usd").sort("date"), src


def lp_frame(prices: pl.DataFrame, fx: pl.DataFrame, *, country: str, target: str, currency: str,
             end: dt.date) -> tuple[pl.DataFrame, str]:
    """The regression frame ``[date, pi, piT, de, lp, pi1, piT1, de1, m2..m12]`` from rows dated ≤ ``end``."""
    pk, sk = monthly_inflation(prices.filter(pl.col("date") <= end), country)
    pt, st = monthly_inflation(prices.filter(pl.col("date") <= end), target)
    e, se_ = _monthly_rates(fx.filter(pl.col("date") <= end), currency)
    d = (pk.join(pt.rename({"pi": "piT"}), on="date", how="inner").join(e, on="date", how="inner").sort("date"))
    if d.height < 36:
        raise TethersError(f"too few months with CPI of {country} and {target} and {currency} rates ({d.height})")
    gaps = d.filter(pl.col("date").shift(1).dt.offset_by("1mo") != pl.col("date"))
    if gaps.height:
        raise TethersError(f"the monthly CPI / {currency} series have a gap before {gaps['date'][0]}")
    d = (d.with_columns(de=pl.col("per_usd").log().diff())
         .with_columns(lp=pl.col("pi").cum_sum(), pi1=pl.col("pi").shift(1), piT1=pl.col("piT").shift(1),
                       de1=pl.col("de").shift(1))
         .with_columns([(pl.col("date").dt.month() == m).cast(pl.Float64).alias(f"m{m}") for m in range(2, 13)]))
    return d, f"{sk} ({country}), {st} ({target}), {se_} monthly {currency}"


def imported_inflation_lp(prices: pl.DataFrame, fx: pl.DataFrame, *, country: str, target: str, currency: str,
                          end: dt.date, horizons: int = 12) -> ImportedLP:
    """The local projections of the module docstring on rows dated no later than ``end``."""
    d, sources = lp_frame(prices, fx, country=country, target=target, currency=currency, end=end)
    gamma, se, th, th_se, ns, first, last = [], [], [], [], [], [], []
    for h in range(horizons):
        dh = (d.with_columns(y=pl.col("lp").shift(-h) - pl.col("lp") + pl.col("pi"), last=pl.col("date").shift(-h))
              .drop_nulls(["y", "piT", *CONTROLS]))
        est = pass_through(dh, y="y", x="piT", lags=0, controls=CONTROLS, hac_lags=h + 1)
        k = est.terms.index("de")
        gamma.append(est.cumulative)
        se.append(est.cumulative_se)
        th.append(float(est.coef[k]))
        th_se.append(float(est.se[k]))
        ns.append(est.n)
        first.append(dh["date"].min())
        last.append(dh["last"].max())
    return ImportedLP(tuple(gamma), tuple(se), tuple(th), tuple(th_se), tuple(ns), min(first), end, max(last),
                      sources)


@dataclass(frozen=True)
class InflationShock:
    """The target's excess monthly inflation x_h (log points, h = 0..11 from the episode's shock month)."""

    episode: Episode
    excess: tuple[float, ...]
    first: dt.date
    baseline: tuple[int, int]
    source: str

    @property
    def cumulative(self) -> float:
        return float(sum(self.excess))


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def episode_excess_inflation(prices: pl.DataFrame, target: str, episode: Episode,
                             baseline_years: int = BASELINE_YEARS) -> InflationShock:
    """x_h of the module docstring: the target's m/m inflation in the 12 months from the episode's shock month
    minus the same calendar month's mean over the ``baseline_years`` years before the episode's window."""
    pi, src = monthly_inflation(prices, target)
    y1 = episode.start.year - 1
    y0 = y1 - baseline_years + 1
    base = pi.filter(pl.col("date").dt.year().is_between(y0, y1))
    if base.height != 12 * baseline_years:
        raise TethersError(f"{target}'s CPI lacks months of the baseline {y0}–{y1} ({base.height} of "
                           f"{12 * baseline_years})")
    by_month = dict(base.group_by(pl.col("date").dt.month().alias("m")).agg(pl.col("pi").mean()).iter_rows())
    first = dt.date(episode.shock_date.year, episode.shock_date.month, 1)
    x = []
    for h in range(12):
        d = _add_months(first, h)
        hit = pi.filter(pl.col("date") == d)["pi"]
        if hit.len() == 0:
            raise TethersError(f"{target}'s CPI has no month {d:%Y-%m} of the {episode.currency} {episode.episode} episode")
        x.append(float(hit[0]) - by_month[d.month])
    return InflationShock(episode, tuple(x), first, (y0, y1), src)


def imported_path(excess: tuple[float, ...] | list[float], *, scale: float, shock_month: int,
                  gamma: tuple[float, ...] | list[float]) -> dict:
    """The target's excess inflation through the outcome year and the country's CPI effect (module docstring).

    Returns ``steps`` (12 monthly log excesses s_k, Jan..Dec, 0 before *M*), ``target_decdec_pp``
    (100 Σ s_k), ``cpi_shock_pp`` (100 γ_0 s_M) and ``cpi_decdec_pp`` (100 Σ_{k≥M} γ_{12−k} s_k).
    """
    M = int(shock_month)
    steps = [0.0] * (M - 1) + [scale * excess[h] for h in range(13 - M)]
    return {"steps": steps, "target_decdec_pp": 100.0 * sum(steps), "cpi_shock_pp": 100.0 * gamma[0] * steps[M - 1],
            "cpi_decdec_pp": 100.0 * sum(gamma[11 - k] * steps[k] for k in range(M - 1, 12))}


@dataclass(frozen=True)
class _Fit:
    target: str
    lp: ImportedLP
    shock: InflationShock
    own: Episode | None
    direction: str
    shock_month: int
    fx_theta: tuple[float, ...] | None


class PricesChannel:
    """Imported inflation from the target (see the module docstring)."""

    name = "prices"

    def __init__(self) -> None:
        self._cache: tuple[Context, int, _Fit | None, str] | None = None

    def parameters(self) -> dict[str, Param]:
        return {
            "shock_scale": Param(
                1.0, "triangular", 0.5, 1.5,
                source="assumption (as the fx channel's): the outcome episode's excess inflation of the target "
                       "relative to the calibration episode's (scenario/data/fx_episodes.csv)"),
            "imported_lp_z": Param(0.0, "normal", 1.0,
                                   source="sampling uncertainty of the imported-inflation local projection γ_h "
                                          "(HAC(h+1) SEs; one z for all horizons)"),
        }

    def _fit(self, spec: ScenarioSpec, ctx: Context) -> tuple[_Fit | None, str]:
        c = self._cache
        if c is not None and c[0] is ctx and c[1] == spec.start_year:
            return c[2], c[3]
        fit, why = None, ""
        try:
            fit = self._estimate(spec, ctx)
        except (TethersError, ValueError, np.linalg.LinAlgError) as exc:
            why = str(exc)
        self._cache = (ctx, spec.start_year, fit, why)
        return fit, why

    def _estimate(self, spec: ScenarioSpec, ctx: Context) -> _Fit:
        cur = currency_of(ctx.country)
        if cur is None:
            raise TethersError(f"no currency series for {ctx.country}")
        targets = [t for t in sorted(ctx.targets)
                   if ctx.prices.filter((pl.col("country") == t) & (pl.col("measure") == "mom_index")).height]
        if not targets:
            raise TethersError(f"no monthly CPI of {'/'.join(sorted(ctx.targets))} in the atlas "
                               "(load oecd_mei_cpi: data/derived/oecd_mei_cpi_rus_monthly_1992_2022.csv.gz)")
        target = targets[0]
        tcur = currency_of(target)
        if tcur is None:
            raise TethersError(f"no episode table entry for {target}'s currency")
        end = dt.date(ctx.base_year, 12, 31)
        lp = imported_inflation_lp(ctx.prices, ctx.fx, country=ctx.country, target=target, currency=cur, end=end)
        ep, own, direction = pick_calibration(tcur, start_year=spec.start_year, base_year=ctx.base_year)
        if ep is None:
            raise TethersError(f"no sanctions episode of {tcur} outside the scenario's own to calibrate the shock on")
        shock = episode_excess_inflation(ctx.prices, target, ep)
        month = own.shock_date.month if own is not None and own.shock_date.year == spec.start_year else 1
        try:
            fx_theta = local_projection(ctx.fx, ctx.prices, country=ctx.country, currency=cur, end=end).theta
        except (TethersError, ValueError, np.linalg.LinAlgError):
            fx_theta = None
        return _Fit(target, lp, shock, own, direction, month, fx_theta)

    def notes(self, spec: ScenarioSpec, ctx: Context) -> list[str]:
        fit, why = self._fit(spec, ctx)
        if fit is None:
            return [f"imported-inflation channel not computed: {why}"]
        lp, sh = fit.lp, fit.shock
        e = sh.episode
        out = [
            f"imported inflation: local projection of {ctx.country} CPI on {fit.target} CPI m/m, controlling for "
            f"Δ ln {currency_of(ctx.country)}/USD (t, t−1), both inflations at t−1 and calendar months: "
            f"γ_0 = {lp.gamma[0]:.3f} (se {lp.se[0]:.3f}), γ_5 = {lp.gamma[5]:.3f} (se {lp.se[5]:.3f}), "
            f"γ_11 = {lp.gamma[11]:.3f} (se {lp.se[11]:.3f}); estimated {lp.start:%Y-%m}…{lp.end:%Y-%m} "
            f"(last month used {lp.last_used:%Y-%m}; n = {lp.n[0]}…{lp.n[-1]}; {lp.sources}; HAC(h+1))",
            f"target inflation shock OUT OF SAMPLE on the {e.currency} {e.episode} episode: {fit.target} m/m "
            f"inflation {sh.first:%Y-%m}…{_add_months(sh.first, 11):%Y-%m} minus the {sh.baseline[0]}–"
            f"{sh.baseline[1]} mean of the same calendar month ({sh.source}): +{100 * sh.cumulative:.1f} pp over "
            f"12 months; placed from month {fit.shock_month} of {spec.start_year}"
            + ("" if fit.direction == "earlier" else " — calibrated on a LATER episode (the reverse check)"),
        ]
        if fit.fx_theta is not None:
            t, tj = fit.fx_theta[11], lp.theta_joint[11]
            out.append(
                f"overlap with the fx channel: its θ_11 = {t:.3f} (no {fit.target} CPI control) vs θ̃_11 = {tj:.3f} "
                f"in the joint regression: at most {max(0.0, 1 - tj / t):.0%} of the fx channel's Dec/Dec figure "
                "may be counted twice" if t > 0 else
                f"overlap with the fx channel: its θ_11 = {t:.3f}, θ̃_11 = {tj:.3f} in the joint regression")
        out.append(f"imported inflation: γ_h carries {fit.target}'s import share over the estimation window; not "
                   "rescaled to the base year; world food and energy prices are not controlled for")
        if not spec.measures_of("financial"):
            out.append("imported inflation: the scenario has no financial measure: no shock")
        return out

    def run(self, spec: ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        fit, _ = self._fit(spec, ctx)
        if fit is None:
            return effects([])
        intensity = max((m.intensity for m in spec.measures_of("financial")), default=0.0)
        scale = intensity * params["shock_scale"]
        g = [v + params["imported_lp_z"] * s for v, s in zip(fit.lp.gamma, fit.lp.se, strict=True)]
        path = imported_path(fit.shock.excess, scale=scale, shock_month=fit.shock_month, gamma=g)
        rows = [
            {"metric": "target_cpi_decdec_excess_pp", "value": path["target_decdec_pp"], "unit": "pp",
             "detail": f"{fit.target} excess Dec/Dec inflation (calibration episode, scaled)"},
            {"metric": "imported_gamma_11", "value": g[11], "unit": "elasticity",
             "detail": f"{fit.target} CPI → {ctx.country} CPI, 12 months"},
            {"metric": "cpi_shock_month_pp", "value": path["cpi_shock_pp"], "unit": "pp",
             "detail": "excess m/m inflation in the shock month (imported)"},
            {"metric": "cpi_decdec_excess_pp", "value": path["cpi_decdec_pp"], "unit": "pp",
             "detail": "excess Dec/Dec inflation (imported, local projection)"},
        ]
        for r in rows:
            r["channel"], r["country"] = self.name, ctx.country
        return effects(rows)


CHANNEL = PricesChannel()
