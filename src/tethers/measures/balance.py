r"""Multi-vector balance: how evenly a country's relations are spread over the poles.

For the shares :math:`s_1 … s_K` of a dimension (imports, exports, arms imports, …) over *K* poles,

.. math::
    B = 1 - HHI^{*} = 1 - \frac{HHI - 1/K}{1 - 1/K} = \frac{K}{K-1}\Bigl(1 - \sum_{p} s_p^2\Bigr),
    \qquad
    B_H = \frac{H}{\ln K} = -\frac{1}{\ln K}\sum_{p} s_p \ln s_p \quad (0 \ln 0 = 0).

Is ``ROW`` a pole?
------------------
By default **no** (``row="exclude"``): shares are renormalised over the *K* named poles, and the share
of the rest of the world is reported beside the index (``row_share``). Reason: ``ROW`` is not an actor a
country can lean towards; counting it as a pole would make a country that trades mostly with many small
partners look "captured by one pole". ``row="pole"`` treats ``ROW`` as a (K+1)-th pole instead.

Properties (both indices, with ``row="exclude"``)
-------------------------------------------------
1. :math:`0 \le B \le 1`; :math:`B = 1` iff every pole has share 1/K; :math:`B = 0` iff one pole has all.
2. Symmetric in the poles, invariant to the unit of the values (scale by *k* > 0) and to row order.
3. Invariant to the size of ``ROW``: only the relative weights of the poles matter.
4. Undefined (``NaN``) when the poles' total is zero (everything with ``ROW``, or no data).
5. :math:`B = \frac{K}{K-1}\sum_p s_p(1-s_p)` is the Gini–Simpson diversity rescaled to [0, 1].

Decomposition of a change
-------------------------
Between two years, :math:`\Delta HHI = \sum_p (s_{p,1}^2 - s_{p,0}^2)` exactly, so

.. math:: \Delta B = \sum_p c_p, \qquad c_p = -\frac{K}{K-1}\,(s_{p,1}^2 - s_{p,0}^2)
          = -\frac{K}{K-1}\,\Delta s_p\,(s_{p,0} + s_{p,1}),

and for the entropy form :math:`c_p = -\frac{1}{\ln K}(s_{p,1}\ln s_{p,1} - s_{p,0}\ln s_{p,0})`.
A pole whose share grows lowers *B* in proportion to its average size: growth of an already large pole
weighs more than the same growth of a small one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

from ..countries import POLE_ORDER
from ..errors import OptionError
from .exact import fsum_agg
from .trade import FrameLike, as_frame, choose, pole_ids

RowChoice = Literal["exclude", "pole"]
IndexChoice = Literal["hhi", "entropy"]

__all__ = ["balance_index", "composite", "decompose_change"]

_NON_KEYS = ("pole", "share", "value_usd", "value")


def balance_index(
    shares: FrameLike,
    *,
    poles: Sequence[str] = POLE_ORDER,
    row: RowChoice = "exclude",
    value: str = "share",
    by: Sequence[str] | None = None,
) -> pl.DataFrame:
    r"""Balance index per key: :math:`B = 1 - HHI^{*}` and :math:`B_H = H/\ln K` over the *K* poles.

    Parameters
    ----------
    shares : tidy frame ``[*by, pole, value]``, e.g. :func:`tethers.measures.trade.pole_shares`.
        ``value`` may be a share or a level (``value_usd``): it is renormalised over the poles used.
        Poles absent from a key count as 0; rows for a pole not in ``poles`` count as ``ROW``.
    poles : the poles (default :data:`~tethers.countries.POLE_ORDER`); ``ROW`` is handled by ``row``.
    row : ``"exclude"`` (default; ROW is not a pole, shares renormalised over the others) or ``"pole"``.
    value : column with the shares or levels.
    by : key columns; default every column except ``pole``, ``share``, ``value_usd``, ``value``.

    Returns
    -------
    pl.DataFrame
        ``[*by, k, row_share, hhi, balance, entropy]``: ``k`` poles used, ``row_share`` the share of ROW in
        the total (before renormalisation), ``hhi`` over the *k* renormalised pole shares, ``balance``
        :math:`= 1 - HHI^{*}`, ``entropy`` :math:`= H/\ln K`. Both in [0, 1]; ``NaN`` when the poles'
        total is zero.

    References
    ----------
    Herfindahl–Hirschman index (Hirschman 1964); Shannon (1948) entropy, normalised by :math:`\ln K`
    (Pielou 1966 evenness). See ``docs/methods.md`` ("balance").
    """
    df, keys, k = _renormalised(shares, poles=poles, row=row, value=value, by=by)
    s = pl.col("s")
    kf = float(k)
    out = df.group_by(keys).agg(
        row_share=pl.col("row_share").first(),
        hhi=fsum_agg(s**2),  # exact sums: the same bits in every process (pola-rs/polars#25163)
        plogp=fsum_agg(_plogp(s)),
        total=pl.col("total").first(),
    )
    nan = float("nan")
    valid = (pl.col("total").fill_nan(None) > 0).fill_null(False)
    return (
        out.with_columns(
            k=pl.lit(k, pl.UInt32),
            hhi=pl.when(valid).then(pl.col("hhi")).otherwise(nan),
            balance=pl.when(valid).then(kf / (kf - 1.0) * (1.0 - pl.col("hhi"))).otherwise(nan),
            entropy=pl.when(valid).then(-pl.col("plogp") / math.log(kf)).otherwise(nan),
        )
        .sort(keys)
        .select(*keys, "k", "row_share", "hhi", "balance", "entropy")
    )


def composite(
    balances: FrameLike,
    *,
    weights: Mapping[str, float] | None = None,
    dimension: str = "dimension",
    index: str = "balance",
    by: Sequence[str] | None = None,
) -> pl.DataFrame:
    r"""Weighted mean of the balance index over dimensions.

    .. math:: B_c = \frac{\sum_d w_d B_d}{\sum_{d:\,B_d \text{ defined}} w_d}

    Parameters
    ----------
    balances : tidy frame ``[*by, dimension, index]`` (one row per key and dimension), e.g. several
        :func:`balance_index` outputs stacked with a ``dimension`` column.
    weights : dimension → weight (≥ 0). Default: equal weights over the dimensions present. Dimensions
        not in ``weights`` get weight 0.
    dimension, index : column names.
    by : key columns; default every column except ``dimension`` and the index columns.

    Returns
    -------
    pl.DataFrame
        ``[*by, balance, n_dimensions, weight_covered]``. Dimensions whose index is ``NaN``/null are left
        out and the weights renormalised over the rest; ``weight_covered`` is the share of the total
        weight that was available (1 when no dimension is missing). All missing → ``NaN``.
    """
    df = as_frame(balances)
    if weights is None:
        dims = df[dimension].unique().to_list()
        weights = dict.fromkeys(dims, 1.0)
    if any(w < 0 for w in weights.values()):
        raise OptionError(f"weights must be ≥ 0, got {dict(weights)}")
    skip = {dimension, index, "k", "row_share", "hhi", "balance", "entropy"}
    keys = list(by) if by is not None else [c for c in df.columns if c not in skip]
    total_w = float(sum(weights.values()))
    w = pl.col(dimension).replace_strict(dict(weights), default=0.0, return_dtype=pl.Float64)
    x = pl.col(index).fill_nan(None)
    present = x.is_not_null() & (pl.col("_w") > 0)
    out = (
        df.with_columns(_w=w)
        .group_by(keys)
        .agg(
            _num=fsum_agg(pl.col("_w") * x),
            _den=fsum_agg(pl.when(present).then(pl.col("_w")).otherwise(0.0)),
            n_dimensions=present.sum(),
        )
        .with_columns(
            balance=pl.when(pl.col("_den") > 0).then(pl.col("_num") / pl.col("_den")).otherwise(float("nan")),
            weight_covered=pl.col("_den") / total_w if total_w > 0 else pl.lit(float("nan")),
        )
    )
    return out.sort(keys).select(*keys, pl.col("balance").alias(index), "n_dimensions", "weight_covered")


def decompose_change(
    shares: FrameLike,
    *,
    start: int,
    end: int,
    time: str = "year",
    poles: Sequence[str] = POLE_ORDER,
    row: RowChoice = "exclude",
    value: str = "share",
    index: IndexChoice = "hhi",
    by: Sequence[str] | None = None,
) -> pl.DataFrame:
    r"""Exact additive decomposition of the change in the balance index between two periods, by pole.

    .. math::
        \Delta B = B_{1} - B_{0} = \sum_p c_p,\qquad
        c_p = -\frac{K}{K-1}\,(s_{p,1}^2 - s_{p,0}^2) \quad(\texttt{index="hhi"}),\qquad
        c_p = -\frac{1}{\ln K}\,(s_{p,1}\ln s_{p,1} - s_{p,0}\ln s_{p,0}) \quad(\texttt{index="entropy"})

    with shares renormalised over the poles exactly as in :func:`balance_index`, so
    :math:`\sum_p c_p` equals the difference of two :func:`balance_index` values to rounding.

    Parameters
    ----------
    shares : as :func:`balance_index`, with a ``time`` column holding ``start`` and ``end``.
    start, end : the two periods (e.g. years 2018 and 2023).
    index : ``"hhi"`` (decomposes ``balance``) or ``"entropy"`` (decomposes ``entropy``).
    Other parameters as :func:`balance_index`.

    Returns
    -------
    pl.DataFrame
        ``[*by, pole, share_start, share_end, delta_share, contribution]`` (``by`` without ``time``), one
        row per pole in ``poles`` order. ``contribution`` sums to ΔB within a key; ``NaN`` when either
        period's pole total is zero. Keys present in only one period are dropped.
    """
    choose("index", index, ("hhi", "entropy"))
    df, keys, k = _renormalised(shares, poles=poles, row=row, value=value, by=by)
    rest = [c for c in keys if c != time]
    s0 = df.filter(pl.col(time) == start).select(*rest, "pole", share_start="s")
    s1 = df.filter(pl.col(time) == end).select(*rest, "pole", share_end="s")
    j = s0.join(s1, on=[*rest, "pole"], how="inner")
    a, b = pl.col("share_start"), pl.col("share_end")
    hhi_term = -(k / (k - 1.0)) * (b**2 - a**2)
    entropy_term = -(_plogp(b) - _plogp(a)) / math.log(k)
    c = hhi_term if index == "hhi" else entropy_term
    order = {p: i for i, p in enumerate(_poles_used(poles, row))}
    return (
        j.with_columns(delta_share=b - a, contribution=c, _o=pl.col("pole").replace_strict(order))
        .sort([*rest, "_o"])
        .select(*rest, "pole", "share_start", "share_end", "delta_share", "contribution")
    )


def _plogp(x: pl.Expr) -> pl.Expr:
    """``x ln x`` with ``0 ln 0 = 0``; NaN stays NaN (Polars orders NaN above every number)."""
    return pl.when(x > 0).then(x * x.log()).otherwise(0.0)


def _poles_used(poles: Sequence[str], row: RowChoice) -> list[str]:
    ids = pole_ids(poles)
    return ids if row == "pole" else ids[:-1]


def _renormalised(
    shares: FrameLike, *, poles: Sequence[str], row: RowChoice, value: str, by: Sequence[str] | None
) -> tuple[pl.DataFrame, list[str], int]:
    """Zero-filled frame ``[*keys, pole, s, total, row_share]`` with ``s`` renormalised over the used poles."""
    choose("row", row, ("exclude", "pole"))
    df = as_frame(shares)
    keys = list(by) if by is not None else [c for c in df.columns if c not in (*_NON_KEYS, value)]
    used = _poles_used(poles, row)
    k = len(used)
    if k < 2:
        raise OptionError(f"the balance index needs at least 2 poles, got {used}")
    v = pl.col(value).cast(pl.Float64)
    named = pole_ids(poles)[:-1]
    # a pole outside `poles` (and ROW itself) is rest of the world
    pole = pl.when(pl.col("pole").is_in(named)).then(pl.col("pole")).otherwise(pl.lit("ROW"))
    base = (  # sorted before and after grouping: a fixed float summation order
        df.select(*keys, pole.alias("pole"), v.alias("v")).sort([*keys, "pole", "v"])
        .group_by([*keys, "pole"]).agg(fsum_agg("v")).sort([*keys, "pole"])
    )
    all_total = base.group_by(keys).agg(
        _all=fsum_agg("v"), _row=fsum_agg(pl.col("v").filter(pl.col("pole") == "ROW"))
    )
    grid = base.select(keys).unique().join(pl.DataFrame({"pole": used}), how="cross")
    out = (
        grid.join(base, on=[*keys, "pole"], how="left")
        .with_columns(pl.col("v").fill_null(0.0))
        .sort([*keys, "pole"])  # a fixed summation order
        .join(base.filter(pl.col("pole").is_in(used)).group_by(keys).agg(total=fsum_agg("v")), on=keys, how="left")
        .with_columns(pl.col("total").fill_null(0.0))
        .with_columns(s=pl.col("v") / pl.col("total"))
        .join(all_total, on=keys, how="left")
        .with_columns(row_share=pl.col("_row") / pl.col("_all"))
        .drop("_all", "_row")
    )
    return out, keys, k
