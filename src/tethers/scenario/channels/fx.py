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
deviation of the monthly all-items CPI inflation (pp) over the same window. The 2022 episode is the
calibration of *D*, so a backtest on 2022 tests the pass-through and the price mapping, not the size of the
rouble shock.

Defaults and sources
--------------------
* *D*: triangular, mode 0.18870 = ln(93.5589 / 77.4702), USD/RUB from the CBR on 2022-02-01 and 2022-03-01
  (+20.8 %); lower bound 0.07387 = ln(83.4097 / 77.4702) (CBR, 2022-04-01, after the partial recovery); upper
  bound 0.53143 = ln(143.00 / 84.05), the Investing.com USD/RUB close on 2022-03-07 against 2022-02-24 (the
  intramonth market peak, see ``shared/data/fx/SOURCE.md``).
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
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import polars as pl

from ...errors import TethersError
from ...measures.fx import pass_through
from ..spec import ScenarioSpec
from .base import Context, Param, effects

__all__ = ["FxChannel", "CHANNEL", "CURRENCY", "currency_of", "shock_path", "estimate_passthrough"]

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


class FxChannel:
    """Currency and prices channel (see the module docstring)."""

    name = "fx"

    def __init__(self) -> None:
        self._cache: tuple[Context, int, int, Estimate | None, str] | None = None

    def parameters(self) -> dict[str, Param]:
        return {
            "target_depreciation": Param(
                0.18870, "triangular", 0.07387, 0.53143,
                source="log USD/RUB: CBR 77.4702 (2022-02-01) → 93.5589 (2022-03-01) mode; CBR 83.4097 (2022-04-01) "
                       "low; Investing.com 84.05 (2022-02-24) → 143.00 (2022-03-07) high",
            ),
            "passthrough_z": Param(0.0, "normal", 1.0, source="sampling uncertainty of the estimated pass-through β̂"),
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

    def notes(self, spec: ScenarioSpec, ctx: Context) -> list[str]:
        p = self.parameters()
        est, why = self._estimate(ctx, int(p["window_years"].central), int(p["lags"].central))
        if est is None:
            return [f"currency channel not computed: {why}"]
        out = [
            f"pass-through of {est.x} to {est.y}: β̂ = {est.beta:.3f} (95 % CI {est.ci[0]:.3f}–{est.ci[1]:.3f}), "
            f"n = {est.n} months {est.start:%Y-%m}…{est.end:%Y-%m}, {est.source}, HAC(2)"
        ]
        if not spec.measures_of("financial"):
            out.append("the scenario has no financial measure: no currency shock")
        return out

    def run(self, spec: ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        est, _ = self._estimate(ctx, int(params["window_years"]), int(params["lags"]))
        if est is None:
            return effects([])
        intensity = max((m.intensity for m in spec.measures_of("financial")), default=0.0)
        beta = est.beta + params["passthrough_z"] * est.se
        s = shock_path(intensity=intensity, target_depreciation=params["target_depreciation"], beta=beta,
                       import_passthrough=params["import_passthrough"], import_share_cpi=params["import_share_cpi"])
        pair = f"{est.x}→{est.y}"
        rows = [
            {"metric": "target_depreciation", "value": math.expm1(s["de_target"]), "unit": "share",
             "detail": f"{est.x} per USD"},
            {"metric": "passthrough_beta", "value": beta, "unit": "elasticity", "detail": pair},
            {"metric": "currency_depreciation", "value": math.expm1(s["de_country"]), "unit": "share",
             "detail": f"{est.y} per USD"},
            {"metric": "import_price_change", "value": math.expm1(s["dp_import"]), "unit": "share"},
            {"metric": "cpi_impact_pp", "value": s["cpi_pp"], "unit": "pp"},
            {"metric": "price_stress", "value": s["cpi_pp"] / est.inflation_sd_pp, "unit": "sd of m/m inflation"},
        ]
        for r in rows:
            r["channel"], r["country"] = self.name, ctx.country
        return effects(rows)


CHANNEL = FxChannel()
