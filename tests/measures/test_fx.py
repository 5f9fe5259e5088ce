"""FX co-movement: log returns by hand, rolling beta vs per-window OLS, pass-through vs scipy."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats

from tethers.measures import fx as F

# Logs and ratios of short decimals: float rounding only.
EXACT = 1e-12
# Rolling moments (Polars' windowed sums) vs a fresh numpy fit per window: rounding in the running sums.
WINDOW_REL = 1e-7
# OLS by normal equations vs scipy.stats.linregress on the same data: both double precision.
OLS_REL = 1e-9


def fx_frame(series: dict[str, list[float]], start: dt.date = dt.date(2022, 1, 3)) -> pl.DataFrame:
    rows = [{"date": start + dt.timedelta(days=i), "currency": c, "per_usd": v, "frequency": "daily", "source": "test"}
            for c, vs in series.items() for i, v in enumerate(vs) if v is not None]
    return pl.DataFrame(rows)


def simulated(n: int = 120, beta: float = 0.4, seed: int = 7) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rx = rng.normal(0, 0.01, n)
    ry = beta * rx + rng.normal(0, 0.003, n)
    rub = 75 * np.exp(np.concatenate([[0], np.cumsum(rx)]))
    kzt = 430 * np.exp(np.concatenate([[0], np.cumsum(ry)]))
    return fx_frame({"RUB": rub.tolist(), "KZT": kzt.tolist()}), rx, ry


def test_log_returns_by_hand():
    out = F.log_returns(fx_frame({"KZT": [100.0, 110.0, 99.0]}))
    assert out["log_return"][0] is None
    assert out["log_return"].to_list()[1:] == pytest.approx([math.log(1.1), math.log(0.9)], abs=EXACT)


def test_exact_linear_comovement_gives_beta_and_corr():
    # KZT log rate = 0.5 × RUB log rate (+ constant): every window has beta 0.5 and corr 1.
    rub = [70.0, 72.0, 71.0, 75.0, 74.0, 80.0]
    kzt = [400.0 * (r / 70.0) ** 0.5 for r in rub]
    out = F.rolling_beta(fx_frame({"RUB": rub, "KZT": kzt}), currency="KZT", on="RUB", window=3)
    full = out.drop_nulls("beta")
    assert full.height == 3  # 5 returns, windows of 3
    assert full["beta"].to_list() == pytest.approx([0.5] * 3, abs=1e-9)
    assert full["corr"].to_list() == pytest.approx([1.0] * 3, abs=1e-9)


@pytest.mark.parametrize("window", [5, 20, 60])
def test_rolling_beta_equals_ols_on_each_window(window):
    df, rx, ry = simulated()
    out = F.rolling_beta(df, currency="KZT", on="RUB", window=window).drop_nulls("beta")
    assert out.height == len(rx) - window + 1
    for i, (b, c) in enumerate(out.select("beta", "corr").iter_rows()):
        x, y = rx[i : i + window], ry[i : i + window]
        fit = stats.linregress(x, y)
        assert b == pytest.approx(fit.slope, rel=WINDOW_REL)
        assert c == pytest.approx(fit.rvalue, rel=WINDOW_REL)


def test_rolling_beta_aligns_dates_before_differencing():
    # RUB is missing on day 2: returns are taken between common dates (day 1 → day 3) for both.
    rub = [70.0, None, 77.0, 70.0]
    kzt = [400.0, 999.0, 420.0, 400.0]
    out = F.rolling_beta(fx_frame({"RUB": rub, "KZT": kzt}), currency="KZT", on="RUB", window=2)
    assert out["date"].to_list() == [dt.date(2022, 1, 5), dt.date(2022, 1, 6)]
    rx = np.diff(np.log([70.0, 77.0, 70.0]))
    ry = np.diff(np.log([400.0, 420.0, 400.0]))
    assert out["beta"][1] == pytest.approx(stats.linregress(rx, ry).slope, rel=1e-12)


def test_constant_regressor_gives_nan_beta():
    out = F.rolling_beta(fx_frame({"RUB": [70.0] * 5, "KZT": [400.0, 401.0, 399.0, 405.0, 402.0]}),
                         currency="KZT", on="RUB", window=3)
    assert all(math.isnan(b) for b in out.drop_nulls("beta")["beta"])


# --------------------------------------------------------------------------------------------
# Pass-through regression
# --------------------------------------------------------------------------------------------


def monthly(n: int = 80, seed: int = 3, noise: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dfx = rng.normal(0, 0.02, n)
    lag1 = np.concatenate([[np.nan], dfx[:-1]])
    infl = 0.002 + 0.3 * dfx + 0.1 * lag1 + noise * rng.normal(0, 0.002, n)
    dates = [dt.date(2015 + m // 12, m % 12 + 1, 1) for m in range(n)]
    return pl.DataFrame({"date": dates, "inflation": infl, "d_fx": dfx}).reverse()  # order must not matter


def test_pass_through_exact_without_noise():
    r = F.pass_through(monthly(), y="inflation", x="d_fx", lags=1)
    assert r.terms == ("const", "d_fx", "d_fx_lag1")
    assert r.coef == pytest.approx([0.002, 0.3, 0.1], abs=1e-10)
    assert r.cumulative == pytest.approx(0.4, abs=1e-10)
    assert r.ci[0] <= r.cumulative <= r.ci[1]
    assert (r.n, r.dof) == (79, 76)  # the first month has no lag: 80 − 1 rows, 3 coefficients


def test_pass_through_slope_and_se_equal_scipy_linregress():
    df = monthly(noise=1.0)
    r = F.pass_through(df, y="inflation", x="d_fx", lags=0)
    clean = df.drop_nans()
    fit = stats.linregress(clean["d_fx"].to_numpy(), clean["inflation"].to_numpy())
    assert r.coef[1] == pytest.approx(fit.slope, rel=OLS_REL)
    assert r.se[1] == pytest.approx(fit.stderr, rel=OLS_REL)
    assert r.se[0] == pytest.approx(fit.intercept_stderr, rel=OLS_REL)
    assert r.r2 == pytest.approx(fit.rvalue**2, rel=OLS_REL)
    q = stats.t.ppf(0.975, r.dof)
    assert r.ci == pytest.approx((fit.slope - q * fit.stderr, fit.slope + q * fit.stderr), rel=OLS_REL)
    tidy = r.tidy()
    assert tidy["term"].to_list() == ["const", "d_fx", "cumulative"]
    assert tidy.filter(pl.col("term") == "d_fx")["p"].item() == pytest.approx(fit.pvalue, rel=1e-6)


def test_hac_with_zero_lags_is_white_hc0():
    df = monthly(noise=1.0)
    r = F.pass_through(df, y="inflation", x="d_fx", lags=1, hac_lags=0)
    clean = df.sort("date").with_columns(lag=pl.col("d_fx").shift(1)).drop_nulls().drop_nans()
    X = np.column_stack([np.ones(clean.height), clean["d_fx"].to_numpy(), clean["lag"].to_numpy()])
    y = clean["inflation"].to_numpy()
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    bread = np.linalg.inv(X.T @ X)
    V = bread @ X.T @ np.diag(e**2) @ X @ bread
    assert r.se == pytest.approx(np.sqrt(np.diag(V)), rel=1e-9)
    assert r.cumulative_se == pytest.approx(math.sqrt(V[1:, 1:].sum()), rel=1e-9)
    assert r.cov_type == "HAC(0)"
    wider = F.pass_through(df, y="inflation", x="d_fx", lags=1, hac_lags=4)
    assert wider.cov_type == "HAC(4)" and wider.coef == pytest.approx(r.coef, rel=1e-12)


def test_pass_through_needs_more_rows_than_regressors():
    with pytest.raises(ValueError, match=r"more observations than regressors: n=3, k=3"):
        F.pass_through(monthly(n=4), y="inflation", x="d_fx", lags=1)
