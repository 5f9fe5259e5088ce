r"""Currency and prices channel: the target's currency shock, its pass-through to the third country's
currency, and the import-price and consumer-price impact.

Model
-----
With *I* the scenario's financial intensity (the largest ``financial`` measure, 0 when there is none),
:math:`D` the log depreciation of the target's currency against the USD for a cut-off of intensity 1,
:math:`\hat\beta` the estimated pass-through of the target's currency to the third country's, :math:`\phi`
the exchange-rate pass-through to import prices and :math:`m` the import content of the consumer basket:

.. math::
    \Delta e_T = I\,D, \qquad \Delta e_c = \beta\,\Delta e_T, \quad \beta = \hat\beta + z\,\widehat{se}(\hat\beta),
    \; z \sim N(0, 1)

    \Delta p_M = \phi\,\Delta e_c, \qquad \Delta CPI = 100\, m\, \Delta p_M \ \text{(pp of the price level)}

    \text{price stress} = \Delta CPI / \hat\sigma(\pi^{m/m})

All Δ are log changes (reported depreciations and import-price changes are :math:`e^{\Delta} - 1`).
:math:`\hat\beta` is the cumulative pass-through of a distributed-lag OLS of the third country's monthly log
change against the USD on the target's (:func:`tethers.measures.fx.pass_through`, ``lags`` = 1,
Newey–West HAC(2) standard errors) over the ``window_years`` years ending in December of the base year,
both rates from one publisher (CBR monthly in the pack). :math:`\hat\sigma(\pi^{m/m})` is the standard
deviation of the monthly all-items CPI inflation (pp) over the same window.

Out-of-sample shock (calibration episode)
-----------------------------------------
*D* is not set by hand: it is measured on **another** sanctions episode of the target's currency
(``scenario/data/fx_episodes.csv``: currency, shock date, window, citation), from daily official rates
(``cbr_dynamics``; monthly if no daily series): the latest episode whose window ends by December of the
base year, or — when there is none (a 2014 scenario on 2013 data) — the first episode after the
scenario's own (``start_year``) episode ("the reverse": a check of the model's form on later data, said
so in the notes). The scenario's own episode is never used. From the calibration episode, with
:math:`x_t` the target's currency per USD and :math:`\bar x` the last rate before the shock date:

.. math::
    p_h = \ln(\bar x_h / \bar x) \;(h = 0..11,\ \bar x_h \text{ the mean rate of the } h\text{-th month from
    the shock month}),\quad D_{peak} = \ln(\max_{t \ge \text{shock}} x_t / \bar x),\quad
    D = \max_h (p_h - p_{h-1}),\ p_{-1} = 0

*D* (the largest monthly fall of the profile) drives the shock-month figures, :math:`D_{peak}` the
largest move, the profile :math:`p_h` the path through the outcome year: placed from the month of the
scenario's own shock date (timing from the scenario, not from the outcome data; January of
``start_year`` when the episode table has none) and scaled by ``shock_scale`` × intensity. The country's
path is :math:`\Delta e_c(m) = \beta\, s I\, (p_{m-M} - p_{m-M-1})`, giving its annual-average and
Dec/Dec changes.

Second-round prices (local projection)
--------------------------------------
The cumulative response of the country's CPI to its currency is estimated by local projections (Jordà
2005) on the monthly series in the atlas, **up to December of the base year only**:

.. math::
    \ln P_{t+h} - \ln P_{t-1} = \alpha_h + \theta_h\, \Delta e_{c,t} + \delta_h \Delta e_{c,t-1}
    + \rho_h \pi_{t-1} + u_{t+h}, \qquad h = 0..11

(HAC(h+1) standard errors; the sample ends where :math:`t+h` reaches December of the base year). The
year-end excess inflation of the outcome year is :math:`100\sum_{m=M}^{12} \theta_{12-m}\,\Delta e_c(m)`
(pp), drawn with :math:`\theta_h + z\,\widehat{se}(\theta_h)`, one *z* for all horizons; the Dec/Dec level
is the base year's Dec/Dec inflation (chained m/m) plus that excess. The shock month's excess m/m
inflation is :math:`100\,\theta_0\,\Delta e_c(M)`.

Defaults and sources
--------------------
* *D*, :math:`D_{peak}`, :math:`p_h`: measured on the calibration episode (above); ``shock_scale`` triangular
  0.5–1.5, mode 1: the outcome episode's size relative to the calibration episode's (an assumption: the
  2014 and 2022 rouble falls measured this way differ by a factor of about 0.8–1.3).
* φ: triangular 0.46–1.0, mode 0.64: Campa & Goldberg (2005) average short-run (0.46) and long-run (0.64)
  import-price pass-through; 1.0 = full pass-through of dollar-invoiced imports in the short run (dominant
  currency pricing, Gopinath et al. 2020).
* *m*: triangular 0.16–0.39, mode 0.27: the values for which :math:`m\,\phi` (φ = 0.64) reproduces the CPI
  pass-through in the Caucasus and Central Asia estimated by Poghosyan (2020): about 10 % on impact and
  25 % after 12 months (0.10 / 0.64, 0.175 / 0.64, 0.25 / 0.64).

References
----------
* Campa, J. M. & Goldberg, L. S. (2005), "Exchange rate pass-through into import prices", *Review of
  Economics and Statistics* 87(4): 679–690.
* Gopinath, G., Boz, E., Casas, C., Díez, F. J., Gourinchas, P.-O. & Plagborg-Møller, M. (2020),
  "Dominant currency paradigm", *American Economic Review* 110(3): 677–719.
* Poghosyan, T. (2020), "Exchange rate pass-through in the Caucasus and Central Asia", IMF Working Paper
  (August 2020).
* Frankel, J. A. & Wei, S.-J. (1994), the currency-basket regression behind :math:`\hat\beta`
  (see :mod:`tethers.measures.fx`).
* Jordà, Ò. (2005), "Estimation and inference of impulse responses by local projections", *American
  Economic Review* 95(1): 161–182.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import polars as pl

from ...errors import TethersError
from ...measures.fx import pass_through
from ..spec import ScenarioSpec
from .base import Context, Param, effects

__all__ = ["FxChannel", "CHANNEL", "CURRENCY", "currency_of", "shock_path", "estimate_passthrough", "episodes",
           "pick_calibration", "episode_profile", "daily_or_monthly", "local_projection", "Episode", "Profile",
           "LocalProjection", "decdec_inflation", "outcome_path"]

# ISO3 → ISO 4217 for the currencies the atlas carries (euro-area members map to EUR below).
CURRENCY = {"KAZ": "KZT", "RUS": "RUB", "UKR": "UAH", "BLR": "BYR", "USA": "USD"}
EURO_AREA = ("AUT", "BEL", "CYP", "DEU", "ESP", "EST", "FIN", "FRA", "GRC", "HRV", "IRL", "ITA", "LTU", "LUX",
             "LVA", "MLT", "NLD", "PRT", "SVK", "SVN")


def currency_of(iso3: str) -> str | None:
    """The ISO 4217 code of a country's currency, for the currencies tethers knows (else None)."""
    return "EUR" if iso3 in EURO_AREA else CURRENCY.get(iso3)


def shock_path(*, intensity: float, target_depreciation: float, beta: float, import_passthrough: float,
               import_share_cpi: float) -> dict[str, float]:
    """The chain of log changes (module docstring): ``{de_target, de_country, dp_import, cpi_pp}``."""
    de_t = intensity * target_depreciation
    de_c = beta * de_t
    dp_m = import_passthrough * de_c
    return {"de_target": de_t, "de_country": de_c, "dp_import": dp_m, "cpi_pp": 100.0 * import_share_cpi * dp_m}


@dataclass(frozen=True)
class Estimate:
    """The pass-through regression behind one simulation."""

    beta: float
    se: float
    ci: tuple[float, float]
    n: int
    start: dt.date
    end: dt.date
    source: str
    y: str
    x: str
    inflation_sd_pp: float


def monthly_changes(fx: pl.DataFrame, *, y: str, x: str) -> tuple[pl.DataFrame, str]:
    """Monthly log changes of currencies ``y`` and ``x`` (per USD) from the first source that has both."""
    m = fx.filter((pl.col("frequency") == "monthly") & pl.col("currency").is_in([y, x]))
    for src in sorted(m["source"].unique().to_list()):
        s = m.filter(pl.col("source") == src)
        if set(s["currency"].unique().to_list()) >= {y, x}:
            w = s.pivot(on="currency", index="date", values="per_usd").sort("date")
            return w.select("date", pl.col(y).log().diff().alias("y"), pl.col(x).log().diff().alias("x")), src
    raise TethersError(f"no monthly {y} and {x} rates from one publisher in the atlas")


def estimate_passthrough(ctx: Context, *, y: str, x: str, window_years: int, lags: int) -> Estimate:
    """Pass-through of ``x`` to ``y`` over the ``window_years`` years ending December of the base year."""
    ch, src = monthly_changes(ctx.fx, y=y, x=x)
    end = dt.date(ctx.base_year, 12, 31)
    start = dt.date(ctx.base_year - window_years + 1, 1, 1)
    # keep `lags` months before the window so that its first month has its lagged regressor (n = 12 × years)
    first = dt.date(start.year - (lags + 11 - start.month + 1) // 12, (start.month - 1 - lags) % 12 + 1, 1)
    d = ch.filter((pl.col("date") >= first) & (pl.col("date") <= end))
    pt = pass_through(d, y="y", x="x", lags=lags, hac_lags=2)
    infl = ctx.prices.filter(
        (pl.col("country") == ctx.country) & (pl.col("series") == "all") & (pl.col("measure") == "mom_index")
        & (pl.col("date") >= start) & (pl.col("date") <= end)
    )
    sd = float((infl["value"] - 100.0).std()) if infl.height > 2 else float("nan")
    return Estimate(pt.cumulative, pt.cumulative_se, pt.ci, pt.n, start, d["date"].max(), src, y, x, sd)


# ---------------------------------------------------------------------------------------------- episodes


@dataclass(frozen=True)
class Episode:
    """A sanctions episode of a currency (``scenario/data/fx_episodes.csv``)."""

    currency: str
    episode: str
    shock_date: dt.date
    start: dt.date
    end: dt.date
    citation: str


@cache
def _episode_table() -> tuple[Episode, ...]:
    with resources.files("tethers.scenario.data").joinpath("fx_episodes.csv").open("rb") as fh:
        df = pl.read_csv(fh, infer_schema=False)
    d = dt.date.fromisoformat
    return tuple(Episode(r["currency"], r["episode"], d(r["shock_date"]), d(r["start"]), d(r["end"]), r["citation"])
                 for r in df.iter_rows(named=True))


def episodes(currency: str) -> list[Episode]:
    """The listed episodes of ``currency``, oldest first."""
    return sorted((e for e in _episode_table() if e.currency == currency), key=lambda e: e.start)


def pick_calibration(currency: str, *, start_year: int, base_year: int) -> tuple[Episode | None, Episode | None, str]:
    """``(calibration, own, direction)``: the scenario's own episode (the one containing ``start_year``) and
    the episode the shock is measured on — the latest ending by December of ``base_year`` (``"earlier"``),
    else the first starting after the own episode ends (``"later"``, the reverse check); never the own one."""
    eps = episodes(currency)
    own = next((e for e in eps if e.start.year <= start_year <= e.end.year), None)
    others = [e for e in eps if e is not own]
    before = [e for e in others if e.end <= dt.date(base_year, 12, 31)]
    if before:
        return before[-1], own, "earlier"
    after = [e for e in others if own is None or e.start > own.end]
    if after:
        return after[0], own, "later"
    return None, own, ""


@dataclass(frozen=True)
class Profile:
    """A currency's path through an episode (module docstring): the eve rate, the peak and its date, the
    monthly log levels ``p[h]`` relative to the eve (h = 0..11 from the shock month), the largest monthly
    fall ``month_shock`` and its month index, and the frequency and source of the rates."""

    eve: float
    eve_date: dt.date
    peak: float
    peak_date: dt.date
    p: tuple[float, ...]
    month_shock: float
    month_index: int
    frequency: str
    source: str

    @property
    def peak_log(self) -> float:
        return math.log(self.peak / self.eve)


def daily_or_monthly(fx: pl.DataFrame, currency: str) -> tuple[pl.DataFrame, str, str]:
    """``[date, per_usd]`` of ``currency``: the daily series with most rows, else the monthly one."""
    c = fx.filter(pl.col("currency") == currency)
    for freq in ("daily", "monthly"):
        f = c.filter(pl.col("frequency") == freq)
        if f.height:
            src = f.group_by("source").len().sort(["len", "source"], descending=[True, False])["source"][0]
            return f.filter(pl.col("source") == src).select("date", "per_usd").sort("date"), freq, src
    raise TethersError(f"no {currency} rates in the atlas")


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def episode_profile(rates: pl.DataFrame, *, shock_date: dt.date, end: dt.date, frequency: str = "daily",
                    source: str = "") -> Profile:
    """The profile of an episode from ``[date, per_usd]`` rates (module docstring)."""
    r = rates.sort("date")
    before = r.filter(pl.col("date") < shock_date)
    if before.height == 0:
        raise TethersError(f"no rate before the shock date {shock_date}")
    eve, eve_date = float(before["per_usd"][-1]), before["date"][-1]
    after = r.filter((pl.col("date") >= shock_date) & (pl.col("date") <= end))
    if after.height == 0:
        raise TethersError(f"no rate between {shock_date} and {end}")
    top = after.sort(["per_usd", "date"], descending=[True, False]).row(0, named=True)
    first = dt.date(shock_date.year, shock_date.month, 1)
    p: list[float] = []
    for h in range(12):
        lo, hi = _add_months(first, h), _add_months(first, h + 1)
        month = r.filter((pl.col("date") >= lo) & (pl.col("date") < hi))
        p.append(math.log(float(month["per_usd"].mean()) / eve) if month.height else (p[-1] if p else 0.0))
    steps = [p[0]] + [p[h] - p[h - 1] for h in range(1, 12)]
    k = int(np.argmax(steps))
    return Profile(eve, eve_date, float(top["per_usd"]), top["date"], tuple(p), steps[k], k, frequency, source)


# ---------------------------------------------------------------------------------------------- prices


@dataclass(frozen=True)
class LocalProjection:
    """Cumulative CPI responses θ_h (log points per log point of depreciation), h = 0..11, and their SEs."""

    theta: tuple[float, ...]
    se: tuple[float, ...]
    n: tuple[int, ...]
    start: dt.date
    end: dt.date
    source: str


def local_projection(fx: pl.DataFrame, prices: pl.DataFrame, *, country: str, currency: str, end: dt.date,
                     horizons: int = 12) -> LocalProjection:
    """Local projections of the country's CPI on its currency's monthly log change (module docstring),
    on months whose horizon ``t + h`` is no later than ``end`` (December of the base year)."""
    m = fx.filter((pl.col("frequency") == "monthly") & (pl.col("currency") == currency))
    if m.height == 0:
        raise TethersError(f"no monthly {currency} rates for the CPI local projection")
    src = sorted(m["source"].unique().to_list())[0]
    e = m.filter(pl.col("source") == src).select("date", "per_usd").sort("date")
    cpi = prices.filter((pl.col("country") == country) & (pl.col("series") == "all")
                        & (pl.col("measure") == "mom_index")).select("date", "value").sort("date")
    if cpi.height < 36:
        raise TethersError(f"too few monthly CPI observations of {country} for the local projection ({cpi.height})")
    d = (cpi.join(e, on="date", how="inner").sort("date")
         .with_columns(pi=(pl.col("value") / 100.0).log(), de=pl.col("per_usd").log().diff())
         .with_columns(lp=pl.col("pi").cum_sum(), de1=pl.col("de").shift(1), pi1=pl.col("pi").shift(1)))
    theta, se, ns = [], [], []
    for h in range(horizons):
        dh = d.with_columns(y=pl.col("lp").shift(-h) - pl.col("lp") + pl.col("pi"),
                            last=pl.col("date").shift(-h)).filter(pl.col("last") <= end)
        est = pass_through(dh.drop_nulls(["y", "de", "de1", "pi1"]), y="y", x="de", lags=0,
                           controls=("de1", "pi1"), hac_lags=h + 1)
        theta.append(est.cumulative)
        se.append(est.cumulative_se)
        ns.append(est.n)
    return LocalProjection(tuple(theta), tuple(se), tuple(ns), d.drop_nulls(["de1", "pi1"])["date"].min(), end, src)


def outcome_path(p: tuple[float, ...] | list[float], *, beta: float, scale: float, shock_month: int,
                 theta: tuple[float, ...] | list[float] | None = None) -> dict:
    """The country's currency path through the outcome year and its CPI effect (module docstring).

    ``p`` the calibration profile (12 monthly log levels from the shock month), ``shock_month`` *M* (1–12).
    Returns ``level`` (12 log levels Jan..Dec, 0 before *M*), ``steps`` (monthly log changes), ``annual``
    (mean log level), ``decdec`` (December's log level) and, with ``theta`` (θ_0..θ_11), ``cpi_shock_pp``
    (100 θ_0 Δe(M)) and ``cpi_decdec_pp`` (100 Σ_{m≥M} θ_{12−m} Δe(m)).
    """
    M = int(shock_month)
    level = [0.0] * (M - 1) + [beta * scale * p[h] for h in range(13 - M)]
    steps = [level[0]] + [level[k] - level[k - 1] for k in range(1, 12)]
    out = {"level": level, "steps": steps, "annual": sum(level) / 12.0, "decdec": level[11]}
    if theta is not None:
        out["cpi_shock_pp"] = 100.0 * theta[0] * steps[M - 1]
        out["cpi_decdec_pp"] = 100.0 * sum(theta[11 - k] * steps[k] for k in range(M - 1, 12))
    return out


def decdec_inflation(prices: pl.DataFrame, country: str, year: int) -> float | None:
    """Dec/Dec CPI inflation of ``year`` in %: from the index levels of December ``year − 1`` and ``year`` where
    the source publishes levels, else chained from the 12 monthly m/m indices (a publisher of m/m only, such as
    the BNS file), else None."""
    p = prices.filter((pl.col("country") == country) & (pl.col("series") == "all"))
    lv = p.filter(pl.col("measure") == "level")
    a = lv.filter(pl.col("date") == dt.date(year, 12, 1))["value"]
    b = lv.filter(pl.col("date") == dt.date(year - 1, 12, 1))["value"]
    if a.len() == 1 and b.len() == 1:
        return float((a[0] / b[0] - 1.0) * 100.0)
    v = p.filter((pl.col("measure") == "mom_index") & (pl.col("date").dt.year() == year))["value"]
    return float((np.prod(v.to_numpy() / 100.0) - 1.0) * 100.0) if v.len() == 12 else None


@dataclass(frozen=True)
class _Calibration:
    episode: Episode
    own: Episode | None
    direction: str
    profile: Profile
    shock_month: int  # 1..12, the month of the outcome year the profile starts
    lp: LocalProjection | None
    lp_why: str
    base_decdec: float | None



class FxChannel:
    """Currency and prices channel (see the module docstring)."""

    name = "fx"

    def __init__(self) -> None:
        self._cache: tuple[Context, int, int, Estimate | None, str] | None = None
        self._cal: tuple[Context, int, str, _Calibration | None, str] | None = None

    def parameters(self) -> dict[str, Param]:
        return {
            "shock_scale": Param(
                1.0, "triangular", 0.5, 1.5,
                source="assumption: the outcome episode's currency shock relative to the calibration episode's "
                       "(measured on another episode of the target's currency, scenario/data/fx_episodes.csv)",
            ),
            "passthrough_z": Param(0.0, "normal", 1.0, source="sampling uncertainty of the estimated pass-through β̂"),
            "cpi_lp_z": Param(0.0, "normal", 1.0,
                              source="sampling uncertainty of the CPI local projection θ_h (one z for all horizons)"),
            "import_passthrough": Param(
                0.64, "triangular", 0.46, 1.0,
                source="Campa & Goldberg (2005, REStat 87(4)): 0.46 short run, 0.64 long run; 1.0 dominant-currency "
                       "pricing (Gopinath et al. 2020, AER 110(3))",
            ),
            "import_share_cpi": Param(
                0.27, "triangular", 0.16, 0.39,
                source="implied by Poghosyan (2020, IMF WP) CCA CPI pass-through 0.10 (impact)–0.25 (12 months) "
                       "÷ import-price pass-through 0.64",
            ),
            "window_years": Param(6.0, source="estimation window for β̂ (years ending with the base year)"),
            "lags": Param(1.0, source="monthly lags in the pass-through regression (cumulative over lags + 1 months)"),
        }

    def _estimate(self, ctx: Context, window: int, lags: int) -> tuple[Estimate | None, str]:
        c = self._cache
        if c is not None and c[0] is ctx and c[1] == window and c[2] == lags:
            return c[3], c[4]
        y, x = currency_of(ctx.country), next((currency_of(t) for t in sorted(ctx.targets) if currency_of(t)), None)
        est, why = None, ""
        if y is None or x is None:
            why = f"no currency series for {ctx.country if y is None else '/'.join(sorted(ctx.targets))}"
        else:
            try:
                est = estimate_passthrough(ctx, y=y, x=x, window_years=window, lags=lags)
            except TethersError as exc:
                why = str(exc)
        self._cache = (ctx, window, lags, est, why)
        return est, why

    def _calibrate(self, spec: ScenarioSpec, ctx: Context, est: Estimate) -> tuple[_Calibration | None, str]:
        """The calibration episode's profile, the outcome timing and the CPI local projection (cached)."""
        c = self._cal
        if c is not None and c[0] is ctx and c[1] == spec.start_year and c[2] == est.x:
            return c[3], c[4]
        cal, why = None, ""
        ep, own, direction = pick_calibration(est.x, start_year=spec.start_year, base_year=ctx.base_year)
        if ep is None:
            why = f"no sanctions episode of {est.x} outside the scenario's own to calibrate the shock on"
        else:
            try:
                rates, freq, src = daily_or_monthly(ctx.fx, est.x)
                prof = episode_profile(rates, shock_date=ep.shock_date, end=ep.end, frequency=freq, source=src)
                month = own.shock_date.month if own is not None and own.shock_date.year == spec.start_year else 1
                lp, lp_why = None, ""
                try:
                    lp = local_projection(ctx.fx, ctx.prices, country=ctx.country, currency=est.y,
                                          end=dt.date(ctx.base_year, 12, 31))
                except (TethersError, ValueError, np.linalg.LinAlgError) as exc:
                    lp_why = str(exc)
                cal = _Calibration(ep, own, direction, prof, month, lp, lp_why,
                                   decdec_inflation(ctx.prices, ctx.country, ctx.base_year))
            except TethersError as exc:
                why = f"calibration episode {est.x} {ep.episode}: {exc}"
        self._cal = (ctx, spec.start_year, est.x, cal, why)
        return cal, why

    def notes(self, spec: ScenarioSpec, ctx: Context) -> list[str]:
        p = self.parameters()
        est, why = self._estimate(ctx, int(p["window_years"].central), int(p["lags"].central))
        if est is None:
            return [f"currency channel not computed: {why}"]
        out = [
            f"pass-through of {est.x} to {est.y}: β̂ = {est.beta:.3f} (95 % CI {est.ci[0]:.3f}–{est.ci[1]:.3f}), "
            f"n = {est.n} months {est.start:%Y-%m}…{est.end:%Y-%m}, {est.source}, HAC(2)"
        ]
        cal, cwhy = self._calibrate(spec, ctx, est)
        if cal is None:
            out.append(f"currency shock not calibrated: {cwhy}")
        else:
            e, pr = cal.episode, cal.profile
            test = f"{cal.own.start:%Y-%m}…{cal.own.end:%Y-%m}" if cal.own else f"{spec.start_year}"
            out.append(
                f"target shock estimated OUT OF SAMPLE on the {e.currency} {e.episode} episode "
                f"(window {e.start:%Y-%m-%d}…{e.end:%Y-%m-%d}, shock {e.shock_date}; {pr.source} {pr.frequency}): "
                f"largest monthly fall {math.expm1(pr.month_shock):+.1%}, peak {math.expm1(pr.peak_log):+.1%} "
                f"({pr.eve:.4g} on {pr.eve_date} → {pr.peak:.4g} on {pr.peak_date}); scenario episode (test window) "
                f"{test}, no overlap" + ("" if cal.direction == "earlier" else
                                          " — calibrated on a LATER episode (the reverse check, not a forecast)"))
            if cal.lp is not None:
                lp = cal.lp
                out.append(
                    f"CPI local projection of {ctx.country} on {est.y}: θ_0 = {lp.theta[0]:.3f}, θ_5 = {lp.theta[5]:.3f}, "
                    f"θ_11 = {lp.theta[11]:.3f} (se {lp.se[11]:.3f}), estimated {lp.start:%Y-%m}…{lp.end:%Y-%m} "
                    f"({lp.source} monthly rates, HAC(h+1)); shock placed in month {cal.shock_month} of {spec.start_year}")
            else:
                out.append(f"CPI persistence not estimated: {cal.lp_why}")
        if not spec.measures_of("financial"):
            out.append("the scenario has no financial measure: no currency shock")
        return out

    def run(self, spec: ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        est, _ = self._estimate(ctx, int(params["window_years"]), int(params["lags"]))
        if est is None:
            return effects([])
        cal, _ = self._calibrate(spec, ctx, est)
        if cal is None:
            return effects([])
        intensity = max((m.intensity for m in spec.measures_of("financial")), default=0.0)
        scale = intensity * params["shock_scale"]
        beta = est.beta + params["passthrough_z"] * est.se
        pr = cal.profile
        s = shock_path(intensity=scale, target_depreciation=pr.month_shock, beta=beta,
                       import_passthrough=params["import_passthrough"], import_share_cpi=params["import_share_cpi"])
        # the outcome-year path: the calibration profile from the scenario's shock month M, 0 before it
        th = None if cal.lp is None else [t + params["cpi_lp_z"] * se for t, se in zip(cal.lp.theta, cal.lp.se, strict=True)]
        path = outcome_path(pr.p, beta=beta, scale=scale, shock_month=cal.shock_month, theta=th)
        pair = f"{est.x}→{est.y}"
        rows = [
            {"metric": "target_depreciation", "value": math.expm1(s["de_target"]), "unit": "share",
             "detail": f"{est.x} per USD, largest monthly fall"},
            {"metric": "target_peak_move", "value": math.expm1(scale * pr.peak_log), "unit": "share",
             "detail": f"{est.x} per USD, eve → peak"},
            {"metric": "passthrough_beta", "value": beta, "unit": "elasticity", "detail": pair},
            {"metric": "currency_depreciation", "value": math.expm1(s["de_country"]), "unit": "share",
             "detail": f"{est.y} per USD"},
            {"metric": "currency_peak_move", "value": math.expm1(beta * scale * pr.peak_log), "unit": "share",
             "detail": f"{est.y} per USD, eve → peak"},
            {"metric": "currency_annual_change", "value": math.expm1(path["annual"]), "unit": "share",
             "detail": f"{est.y} per USD, annual average"},
            {"metric": "currency_decdec_change", "value": math.expm1(path["decdec"]), "unit": "share",
             "detail": f"{est.y} per USD, Dec/Dec"},
            {"metric": "import_price_change", "value": math.expm1(s["dp_import"]), "unit": "share"},
            {"metric": "cpi_impact_pp", "value": s["cpi_pp"], "unit": "pp"},
            {"metric": "price_stress", "value": s["cpi_pp"] / est.inflation_sd_pp, "unit": "sd of m/m inflation"},
        ]
        if th is not None:
            excess = path["cpi_decdec_pp"]
            rows += [
                {"metric": "cpi_shock_month_pp", "value": path["cpi_shock_pp"], "unit": "pp",
                 "detail": "excess m/m inflation in the shock month"},
                {"metric": "cpi_decdec_excess_pp", "value": excess, "unit": "pp",
                 "detail": "excess Dec/Dec inflation (local projection)"},
            ]
            if cal.base_decdec is not None:
                rows.append({"metric": "cpi_decdec_pp", "value": cal.base_decdec + excess, "unit": "pp",
                             "detail": f"Dec/Dec inflation level: {ctx.base_year} Dec/Dec + excess"})
        for r in rows:
            r["channel"], r["country"] = self.name, ctx.country
        return effects(rows)


CHANNEL = FxChannel()
