r"""Exchange-rate co-movement: log returns, rolling correlation and beta, and a pass-through regression.

Rates are the canonical ``fx`` table: ``per_usd`` = units of ``currency`` per 1 US dollar, so a positive
log return is a **depreciation against the dollar**. Regressing one currency's returns on another's
(both against the USD numeraire) is the Frankel–Wei (1994) regression: the slope :math:`\beta` is the
weight of the pole currency in the implicit basket, the dollar taking the rest.

.. math::
    r_t = \ln\frac{e_t}{e_{t-1}}, \qquad
    \hat\beta_t = \frac{\widehat{\mathrm{cov}}_W(r^{y}, r^{x})}{\widehat{\mathrm{var}}_W(r^{x})}, \qquad
    \hat\rho_t = \frac{\widehat{\mathrm{cov}}_W(r^{y}, r^{x})}{\hat\sigma_W(r^{y})\,\hat\sigma_W(r^{x})}

over the last *W* aligned observations up to *t* (sample moments, ddof = 1 in both numerator and
denominator, so :math:`\hat\beta` is exactly the OLS slope with an intercept on that window).

References
----------
* Frankel, J. A. & Wei, S.-J. (1994), "Yen bloc or dollar bloc? Exchange rate policies of the East Asian
  economies", in T. Ito & A. O. Krueger (eds.), *Macroeconomic Linkages*, University of Chicago Press,
  pp. 295–329.
* Newey, W. K. & West, K. D. (1987), "A simple, positive semi-definite, heteroskedasticity and
  autocorrelation consistent covariance matrix", *Econometrica* 55(3): 703–708.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import stats

from ..errors import OptionError
from .trade import FrameLike, as_frame, where

__all__ = ["log_returns", "rolling_beta", "pass_through", "PassThrough"]


def log_returns(
    fx: FrameLike,
    *,
    currency: str | Iterable[str] | None = None,
    frequency: str | None = None,
) -> pl.DataFrame:
    r"""Log returns :math:`r_t = \ln e_t - \ln e_{t-1}` per currency, between consecutive observations.

    Parameters
    ----------
    fx : the canonical ``fx`` table (one source and one frequency per currency; filter first otherwise).
    currency : optional filter (ISO 4217 codes).
    frequency : optional filter (``"daily"`` or ``"monthly"``).

    Returns
    -------
    pl.DataFrame
        ``[date, currency, per_usd, log_return]`` sorted by currency and date. The first observation of
        each currency has a null return. Gaps (weekends, holidays) are not filled: a return spans from
        the previous observation.
    """
    df = where(as_frame(fx), currency=currency, frequency=frequency)
    return (
        df.sort(["currency", "date"])
        .with_columns(log_return=pl.col("per_usd").log().diff().over("currency"))
        .select("date", "currency", "per_usd", "log_return")
    )


def rolling_beta(
    fx: FrameLike,
    *,
    currency: str | Sequence[str],
    on: str,
    window: int = 60,
    min_periods: int | None = None,
    frequency: str | None = None,
) -> pl.DataFrame:
    r"""Rolling correlation and OLS beta of ``currency`` log returns on ``on`` log returns (e.g. KZT on RUB).

    The two rate series are first **aligned by date** (inner join: dates where both are observed); returns
    are then taken between consecutive common dates, so both returns always span the same interval. The
    window counts aligned observations, not calendar days.

    Parameters
    ----------
    currency : the dependent currency or currencies (each gets its own rolling regression).
    on : the pole currency (regressor).
    window : *W*, the number of aligned returns in each window.
    min_periods : fewest returns for a value (default ``window``); earlier rows are null.
    frequency : optional filter on the ``fx`` table.

    Returns
    -------
    pl.DataFrame
        ``[date, currency, on, n, corr, beta]`` with ``n`` the returns in the window. ``beta`` is ``NaN``
        when the regressor does not move in the window (zero variance).
    """
    if window < 2:
        raise OptionError(f"window must be ≥ 2 observations, got {window}")
    ys = [currency] if isinstance(currency, str) else list(currency)
    mp = window if min_periods is None else min_periods
    df = where(as_frame(fx), frequency=frequency)
    x = df.filter(pl.col("currency") == on).select("date", ex=pl.col("per_usd"))
    y = df.filter(pl.col("currency").is_in(ys)).select("date", "currency", ey=pl.col("per_usd"))
    j = (
        y.join(x, on="date", how="inner")
        .sort(["currency", "date"])
        .with_columns(
            ry=pl.col("ey").log().diff().over("currency"),
            rx=pl.col("ex").log().diff().over("currency"),
        )
        .drop_nulls(["ry", "rx"])
    )
    cov = pl.rolling_cov("ry", "rx", window_size=window, min_samples=mp).over("currency")
    var = pl.col("rx").rolling_var(window, min_samples=mp).over("currency")
    corr = pl.rolling_corr("ry", "rx", window_size=window, min_samples=mp).over("currency")
    n = (pl.int_range(pl.len()).over("currency") + 1).clip(upper_bound=window)
    return j.with_columns(
        on=pl.lit(on),
        n=n.cast(pl.UInt32),
        corr=corr,
        beta=pl.when(var > 0).then(cov / var).otherwise(pl.when(var.is_null()).then(None).otherwise(float("nan"))),
    ).select("date", "currency", "on", "n", "corr", "beta")


@dataclass(frozen=True)
class PassThrough:
    """Result of :func:`pass_through`.

    Attributes
    ----------
    terms : regressor names, in coefficient order (``const``, ``x``, ``x_lag1`` …, controls).
    coef, se : coefficients and standard errors, shape (k,).
    cumulative, cumulative_se : :math:`\\sum_{j=0}^{L}\\beta_j` (the pass-through over L periods) and its SE.
    ci : (low, high) confidence interval of ``cumulative`` at ``level``.
    level : confidence level.
    n, dof : observations used and residual degrees of freedom (n − k).
    r2 : coefficient of determination.
    cov_type : ``"classic"`` or ``"HAC(L)"`` (Newey–West with L lags).
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    cumulative: float
    cumulative_se: float
    ci: tuple[float, float]
    level: float
    n: int
    dof: int
    r2: float
    cov_type: str

    def tidy(self) -> pl.DataFrame:
        """``[term, estimate, se, t, p, ci_low, ci_high]``, one row per coefficient plus ``cumulative``."""
        q = stats.t.ppf(0.5 + self.level / 2, self.dof)
        est = np.append(self.coef, self.cumulative)
        se = np.append(self.se, self.cumulative_se)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = est / se
        p = 2 * stats.t.sf(np.abs(t), self.dof)
        return pl.DataFrame(
            {"term": [*self.terms, "cumulative"], "estimate": est, "se": se, "t": t, "p": p,
             "ci_low": est - q * se, "ci_high": est + q * se}
        )


def pass_through(
    data: FrameLike,
    *,
    y: str,
    x: str,
    lags: int = 0,
    controls: Sequence[str] = (),
    date: str = "date",
    level: float = 0.95,
    hac_lags: int | None = None,
) -> PassThrough:
    r"""Distributed-lag OLS of ``y`` on ``x`` and its lags; the pass-through is the sum of the x coefficients.

    .. math::
        y_t = \alpha + \sum_{j=0}^{L} \beta_j\, x_{t-j} + \gamma^\top z_t + \varepsilon_t, \qquad
        PT_L = \sum_{j=0}^{L} \beta_j,\quad \mathrm{se}(PT_L) = \sqrt{\mathbf{1}^\top V_\beta \mathbf{1}}

    e.g. monthly CPI inflation on the monthly log change of the exchange rate. ``V`` is the classic OLS
    covariance :math:`s^2 (X^\top X)^{-1}` or, with ``hac_lags = m``, the Newey–West (Bartlett kernel,
    weights :math:`1 - l/(m+1)`) sandwich without small-sample correction. The interval uses Student's
    *t* with n − k degrees of freedom in both cases.

    Parameters
    ----------
    data : a frame with ``date``, ``y``, ``x`` and ``controls``; rows are consecutive periods (lags are
        row shifts after sorting by ``date``; fill gaps first).
    lags : *L*, the number of lags of ``x``.
    level : confidence level of the interval.
    hac_lags : Newey–West lags *m*; ``None`` = classic standard errors.

    Returns
    -------
    PassThrough
        Frozen result; ``.tidy()`` gives the coefficient table. Rows with a null in any variable (the
        first *L* rows, at least) are dropped.
    """
    df = as_frame(data).sort(date)
    lag_names = [x] + [f"{x}_lag{j}" for j in range(1, lags + 1)]
    df = df.with_columns([pl.col(x).shift(j).alias(f"{x}_lag{j}") for j in range(1, lags + 1)])
    cols = [y, *lag_names, *controls]
    df = df.select(cols).drop_nulls().drop_nans()
    yv = df[y].to_numpy().astype(float)
    X = np.column_stack([np.ones(df.height), *(df[c].to_numpy().astype(float) for c in cols[1:])])
    n, k = X.shape
    if n <= k:
        raise OptionError(f"pass_through needs more observations than regressors: n={n}, k={k}")
    xtx_inv = np.linalg.inv(X.T @ X)
    coef = xtx_inv @ X.T @ yv
    e = yv - X @ coef
    dof = n - k
    if hac_lags is None:
        V = (e @ e / dof) * xtx_inv
        cov_type = "classic"
    else:
        Xe = X * e[:, None]
        S = Xe.T @ Xe
        for lag in range(1, hac_lags + 1):
            w = 1.0 - lag / (hac_lags + 1.0)
            G = Xe[lag:].T @ Xe[:-lag]
            S += w * (G + G.T)
        V = xtx_inv @ S @ xtx_inv
        cov_type = f"HAC({hac_lags})"
    se = np.sqrt(np.diag(V))
    sel = np.zeros(k)
    sel[1 : 2 + lags] = 1.0
    cum = float(sel @ coef)
    cum_se = float(np.sqrt(sel @ V @ sel))
    q = stats.t.ppf(0.5 + level / 2, dof)
    tss = float(((yv - yv.mean()) ** 2).sum())
    r2 = 1.0 - float(e @ e) / tss if tss > 0 else float("nan")
    return PassThrough(
        terms=("const", *lag_names, *controls), coef=coef, se=se, cumulative=cum, cumulative_se=cum_se,
        ci=(float(cum - q * cum_se), float(cum + q * cum_se)), level=level, n=n, dof=dof, r2=r2, cov_type=cov_type,
    )
