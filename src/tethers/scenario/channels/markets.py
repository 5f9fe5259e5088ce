r"""Financial-markets channel: an event-study helper for any price series, and the exposure of listed
companies to the targets when the user supplies a holdings table.

**The atlas has no share prices of Kazakh (or other) listed companies**, and tethers does not invent them.
The event study works on any series a user loads: an exchange rate from the atlas ``fx`` table
(:func:`fx_series`) or a CSV of prices (:func:`prices_from_csv`). The channel itself reports only the
exposure of a user's holdings (below); without a holdings table it reports nothing and says so.

Event study (market model)
--------------------------
With log returns :math:`r_t` of the asset and :math:`r_{mt}` of a market index (or none: constant-mean
model), estimated over the estimation window :math:`L_1` (observations before the event), event day 0 the
first observation on or after the event date, and the event window :math:`[\tau_1, \tau_2]` of
:math:`L_2` observations:

.. math::
    r_t = \alpha + \beta r_{mt} + \varepsilon_t, \qquad AR_t = r_t - \hat\alpha - \hat\beta r_{mt}, \qquad
    CAR = \sum_{t=\tau_1}^{\tau_2} AR_t

    \widehat{\mathrm{var}}(CAR) = \hat\sigma^2_\varepsilon\, \mathbf{1}^\top \left(I + X^*(X^\top X)^{-1}X^{*\top}\right)
    \mathbf{1}, \qquad t = CAR / \sqrt{\widehat{\mathrm{var}}(CAR)}

with :math:`X` the estimation-window regressors, :math:`X^*` the event-window ones and
:math:`\hat\sigma^2_\varepsilon` the residual variance (:math:`L_1 - k` degrees of freedom): MacKinlay (1997),
eqs. (7)–(14), including the estimation error of α̂, β̂. The *p*-value uses Student's *t* with
:math:`L_1 - k` degrees of freedom.

Exposure of listed companies
----------------------------
A holdings table (CSV or frame) with one row per company and partner:

=================  ==================================================================================
column             meaning
=================  ==================================================================================
``company``        name or ticker (text)
``weight``         portfolio weight or market value of the holding (≥ 0; normalised to sum to 1)
``partner``        ISO3 code (or any name :func:`tethers.countries.resolve` takes) of a revenue source
``revenue_share``  share of the company's revenue from that partner, 0–1
=================  ==================================================================================

The exposure of company *i* is :math:`x_i = \sum_{p \in T} rs_{ip}` (its revenue share from the targets)
and of the portfolio :math:`X = \sum_i w_i x_i / \sum_i w_i`.

References
----------
* MacKinlay, A. C. (1997), "Event studies in economics and finance", *Journal of Economic Literature*
  35(1): 13–39.
* Campbell, J. Y., Lo, A. W. & MacKinlay, A. C. (1997), *The Econometrics of Financial Markets*,
  Princeton University Press, ch. 4.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from ...countries import try_resolve
from ...errors import OptionError, SourceFormatError
from ...measures.exact import fsum
from ..spec import ScenarioSpec
from .base import Context, Param, effects

__all__ = ["MarketsChannel", "CHANNEL", "EventStudy", "event_study", "fx_series", "prices_from_csv",
           "read_holdings", "exposure"]


# ---------------------------------------------------------------------------------------------- event study


@dataclass(frozen=True)
class EventStudy:
    """Result of :func:`event_study`.

    Attributes
    ----------
    event_date : the first observation on or after the requested date (day 0).
    ar : ``[date, tau, r, expected, ar, car]`` over the event window (returns are log returns).
    car, car_se, t, p : cumulative abnormal return over the window, its standard error, t-statistic and
        two-sided p-value.
    alpha, beta : market-model coefficients (``beta`` = 0 for the constant-mean model).
    sigma : residual standard deviation in the estimation window.
    n_estimation, dof : estimation observations and residual degrees of freedom.
    model : ``"market"`` or ``"constant_mean"``.
    """

    event_date: dt.date
    ar: pl.DataFrame
    car: float
    car_se: float
    t: float
    p: float
    alpha: float
    beta: float
    sigma: float
    n_estimation: int
    dof: int
    model: str

    def tidy(self) -> pl.DataFrame:
        return pl.DataFrame({"term": ["car", "alpha", "beta", "sigma"], "estimate": [self.car, self.alpha, self.beta, self.sigma],
                             "se": [self.car_se, None, None, None], "t": [self.t, None, None, None],
                             "p": [self.p, None, None, None]})


def _returns(prices: pl.DataFrame, col: str) -> pl.DataFrame:
    return prices.sort("date").select("date", r=pl.col(col).log().diff()).drop_nulls()


def event_study(
    prices: pl.DataFrame,
    *,
    event_date: dt.date | str,
    window: tuple[int, int] = (0, 5),
    estimation: tuple[int, int] = (-120, -11),
    market: pl.DataFrame | None = None,
    price: str = "price",
    level: float = 0.95,
) -> EventStudy:
    """Abnormal returns and CAR of a price series around ``event_date`` (see the module docstring).

    Parameters
    ----------
    prices : ``[date, price]`` (levels, > 0); returns are log differences between consecutive rows.
    event_date : day 0 is the first observation on or after this date.
    window : (τ1, τ2) event window in observations relative to day 0, inclusive (default 0…+5).
    estimation : (first, last) estimation window in observations relative to day 0, inclusive; must end
        before the event window starts.
    market : optional ``[date, price]`` of a market index; rows are matched by date (inner join).
        ``None`` = constant-mean model.
    """
    ev = dt.date.fromisoformat(event_date) if isinstance(event_date, str) else event_date
    if estimation[1] >= window[0]:
        raise OptionError(f"the estimation window {estimation} must end before the event window {window} starts")
    r = _returns(prices, price)
    if market is not None:
        r = r.join(_returns(market, price).rename({"r": "rm"}), on="date", how="inner")
    idx = r.with_row_index("i").filter(pl.col("date") >= ev)
    if idx.height == 0:
        raise OptionError(f"the series ends before the event date {ev}")
    day0 = int(idx["i"][0])
    lo, hi = day0 + estimation[0], day0 + estimation[1]
    w0, w1 = day0 + window[0], day0 + window[1]
    if lo < 0 or w1 >= r.height:
        raise OptionError(
            f"not enough observations around {ev}: need {-estimation[0]} before and {window[1]} after, "
            f"have {day0} and {r.height - day0 - 1}"
        )
    est, evw = r.slice(lo, hi - lo + 1), r.slice(w0, w1 - w0 + 1)
    ones_e, ones_w = np.ones(est.height), np.ones(evw.height)
    X = np.column_stack([ones_e, est["rm"].to_numpy()]) if market is not None else ones_e[:, None]
    Xs = np.column_stack([ones_w, evw["rm"].to_numpy()]) if market is not None else ones_w[:, None]
    y = est["r"].to_numpy()
    xtx_inv = np.linalg.inv(X.T @ X)
    coef = xtx_inv @ X.T @ y
    resid = y - X @ coef
    dof = est.height - X.shape[1]
    s2 = float(resid @ resid / dof)
    expected = Xs @ coef
    ar = evw["r"].to_numpy() - expected
    V = s2 * (np.eye(evw.height) + Xs @ xtx_inv @ Xs.T)
    car, car_se = fsum(ar), float(np.sqrt(ones_w @ V @ ones_w))
    t = car / car_se
    table = evw.select("date").with_columns(
        tau=pl.int_range(window[0], window[1] + 1, dtype=pl.Int64), r=evw["r"], expected=expected, ar=ar,
        car=np.cumsum(ar),
    )
    return EventStudy(
        event_date=r["date"][day0], ar=table, car=car, car_se=car_se, t=t, p=float(2 * stats.t.sf(abs(t), dof)),
        alpha=float(coef[0]), beta=float(coef[1]) if market is not None else 0.0, sigma=float(np.sqrt(s2)),
        n_estimation=est.height, dof=dof, model="market" if market is not None else "constant_mean",
    )


def fx_series(fx: pl.DataFrame, *, currency: str, source: str | None = None, frequency: str | None = None) -> pl.DataFrame:
    """``[date, price]`` of one currency (units per USD) from the canonical ``fx`` table."""
    df = fx.filter(pl.col("currency") == currency)
    if frequency:
        df = df.filter(pl.col("frequency") == frequency)
    if source:
        df = df.filter(pl.col("source") == source)
    if df["source"].n_unique() > 1:
        raise OptionError(f"{currency} comes from several sources ({', '.join(sorted(df['source'].unique()))}): pass source=")
    if df.height == 0:
        raise OptionError(f"no {currency} rates in the fx table" + (f" from {source}" if source else ""))
    return df.sort("date").select("date", price=pl.col("per_usd"))


def prices_from_csv(path: str | Path, *, date: str | None = None, price: str | None = None) -> pl.DataFrame:
    """Read a user CSV of prices into ``[date, price]``.

    The date column is ``date``/``Date`` (ISO dates) unless named; the price column is ``price``, ``close``,
    ``Close``, ``Adj Close`` or ``Price`` unless named. Rows with an empty price are dropped; a non-positive
    or non-numeric price is an error naming the file, row and column.
    """
    p = Path(path)
    df = pl.read_csv(p, infer_schema=False)
    dcol = date or next((c for c in df.columns if c.lower() == "date"), None)
    pcol = price or next((c for c in ("price", "close", "Close", "Adj Close", "Price") if c in df.columns), None)
    if dcol is None or pcol is None or dcol not in df.columns or pcol not in df.columns:
        raise SourceFormatError("prices", str(p), f"need a date and a price column, found {df.columns}")
    df = df.with_row_index("row", offset=2).filter(pl.col(pcol).str.strip_chars() != "")
    out = df.select("row", date=pl.col(dcol).str.to_date(strict=False),
                    price=pl.col(pcol).str.replace_all(",", "").cast(pl.Float64, strict=False))
    bad = out.filter(pl.col("date").is_null() | pl.col("price").is_null() | (pl.col("price") <= 0))
    if bad.height:
        r = bad.row(0, named=True)
        col, raw = (dcol, df.filter(pl.col("row") == r["row"])[dcol][0]) if r["date"] is None else (
            pcol, df.filter(pl.col("row") == r["row"])[pcol][0])
        raise SourceFormatError("prices", str(p), f"{raw!r} is not a valid {'date' if col == dcol else 'price'}",
                                row=int(r["row"]), column=col)
    return out.drop("row").sort("date")


# ---------------------------------------------------------------------------------------------- exposure


def read_holdings(path: str | Path) -> pl.DataFrame:
    """Read a holdings CSV (columns in the module docstring); partners resolved to ISO3."""
    p = Path(path)
    df = pl.read_csv(p, infer_schema=False)
    need = ["company", "weight", "partner", "revenue_share"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise SourceFormatError("holdings", str(p), f"missing column(s) {missing}; columns are {need}")
    df = df.with_row_index("row", offset=2)
    out = df.select("row", "company", weight=pl.col("weight").cast(pl.Float64, strict=False),
                    partner=pl.col("partner"), revenue_share=pl.col("revenue_share").cast(pl.Float64, strict=False))
    for col, ok in (("weight", pl.col("weight") >= 0), ("revenue_share", pl.col("revenue_share").is_between(0, 1))):
        bad = out.filter(pl.col(col).is_null() | ~ok)
        if bad.height:
            r = int(bad["row"][0])
            raise SourceFormatError("holdings", str(p), f"{df.filter(pl.col('row') == r)[col][0]!r} is not valid "
                                    f"({'≥ 0' if col == 'weight' else '0–1'})", row=r, column=col)
    iso = [try_resolve(v) for v in out["partner"].to_list()]
    for r, v, code in zip(out["row"].to_list(), out["partner"].to_list(), iso, strict=True):
        if code is None:
            raise SourceFormatError("holdings", str(p), f"unknown country {v!r}", row=r, column="partner")
    return out.with_columns(partner=pl.Series(iso)).drop("row")


def exposure(holdings: pl.DataFrame, targets: frozenset[str] | set[str]) -> pl.DataFrame:
    """Per company ``[company, weight, exposure]`` (revenue share from the targets) plus a ``PORTFOLIO`` row
    with the weight-averaged exposure (weights normalised to 1)."""
    per = (
        holdings.group_by("company", maintain_order=True)
        .agg(weight=pl.col("weight").first(),
             exposure=pl.col("revenue_share").filter(pl.col("partner").is_in(list(targets))).sum())
    )
    w = per["weight"].sum()
    total = float((per["weight"] * per["exposure"]).sum() / w) if w > 0 else float("nan")
    port = pl.DataFrame({"company": ["PORTFOLIO"], "weight": [float(w)], "exposure": [total]})
    return pl.concat([per.with_columns(pl.col("weight").cast(pl.Float64), pl.col("exposure").cast(pl.Float64)), port])


# ---------------------------------------------------------------------------------------------- the channel


class MarketsChannel:
    """Exposure of a user's listed holdings to the targets (no parameters, no invented prices)."""

    name = "markets"

    def parameters(self) -> dict[str, Param]:
        return {}

    def notes(self, spec: ScenarioSpec, ctx: Context) -> list[str]:
        if "holdings" not in ctx.extra:
            return ["no holdings table supplied (--holdings): no exposure computed; the atlas has no share prices "
                    "of listed companies, use tethers.scenario.channels.markets.event_study on a series you load"]
        return []

    def run(self, spec: ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        h = ctx.extra.get("holdings")
        if h is None:
            return effects([])
        ex = exposure(h, ctx.targets)
        rows = [
            {"channel": self.name, "country": ctx.country, "metric": "listed_exposure_share", "value": v,
             "unit": "share", "detail": "" if c == "PORTFOLIO" else f"company={c}"}
            for c, v in zip(ex["company"].to_list(), ex["exposure"].to_list(), strict=True)
        ]
        return effects(rows)


CHANNEL = MarketsChannel()
