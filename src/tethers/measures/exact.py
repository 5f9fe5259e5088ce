"""Order-independent float sums, so that seeded runs print the same bytes in every process.

A floating-point sum depends on the order of its terms. Polars' multi-threaded ``group_by(...).agg(sum)``
combines per-thread partial sums in an order that varies between runs (pola-rs/polars#25163); DuckDB's
parallel ``SUM`` and any sum over rows whose order depends on the engine's threads do the same. The
differences sit in the 16th–17th significant digit, but they reach the output (a percentile of draws, a
JSON figure) and break byte-for-byte replication.

Every sum whose result feeds output goes through :func:`fsum` (a Series, array or iterable) or
:func:`fsum_agg` (inside ``group_by(...).agg``, ``select`` or ``.over``). Both return the correctly rounded
sum of the exact values (round half to even, as :func:`math.fsum`), which does not depend on the order or
the chunking of the terms at all.

Why it is fast (issue 12): inside Polars the expression is imploded per group (native, one list per
group) and :func:`group_fsum` is mapped over that list column as an *elementwise* function, so Python is
called once per aggregation, not once per group (``map_batches(returns_scalar=True)`` called Python and
built a Series for every group: 12,000 calls for ten countries' balance indices). ``benchmarks/exact_sums.py``
(1 M values, this 2-core machine): 10 groups 0.10 s (was 0.12 s), 1,000 groups 0.09 s (0.29 s), 100,000 groups
0.12 s (10.9 s); Polars' inexact sum 0.01–0.13 s. Measured alternative, not used: an exact fixed-point kernel
in NumPy (each double as three signed 32-bit digits of a common limb grid, int64 sums per group and limb, a
carry pass, round half to even from the leading 64 bits and a sticky bit) gives the same bits but took
0.8–1.8× the time of math.fsum group by group.

Non-finite terms in the grouped sums: NaN in, NaN out; +inf and −inf → NaN (math.fsum raises); an
intermediate overflow whose exact sum is representable gives that sum, a sum beyond the double range ±inf
(math.fsum raises OverflowError in both cases).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["fsum", "fsum_agg", "group_fsum", "group_mean_sd", "mean_agg", "mean_sd", "sd_agg"]


def _values(x) -> list[float]:
    if isinstance(x, pl.Series):
        return x.drop_nulls().cast(pl.Float64).to_list()
    if isinstance(x, np.ndarray):
        return x.astype(float, copy=False).ravel().tolist()
    return [float(v) for v in x if v is not None]


def fsum(x: pl.Series | np.ndarray | Iterable[float]) -> float:
    """Exact (correctly rounded) sum of ``x``, nulls skipped: the same bits whatever the order of the terms."""
    return math.fsum(_values(x))


def _py_fsum(v: np.ndarray) -> float:
    """math.fsum with NaN for +inf − inf and ±inf for a sum beyond the double range (the rare groups)."""
    if np.isnan(v).any() or (np.isposinf(v).any() and np.isneginf(v).any()):
        return math.nan
    if np.isinf(v).any():
        return float(v[np.isinf(v)][0])
    try:
        return math.fsum(v.tolist())
    except OverflowError:  # an intermediate sum overflowed: the exact rational sum, correctly rounded
        total = sum(map(Fraction, v.tolist()), Fraction(0))
        try:
            return float(total)
        except OverflowError:  # the exact sum is beyond the largest double
            return math.inf if total > 0 else -math.inf


def group_fsum(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Correctly rounded sum of each run of ``values`` (group ``i`` = the next ``lengths[i]`` values), all
    groups in one call; an empty group sums to 0.0. :func:`math.fsum` of each group for finite sums."""
    v = np.ascontiguousarray(values, dtype=np.float64)
    n = np.asarray(lengths, dtype=np.int64)
    out = np.zeros(len(n), dtype=np.float64)
    if len(n) == 0 or len(v) == 0:
        return out
    ends = np.cumsum(n).tolist()
    vs = v.tolist()
    a = 0
    for g, b in enumerate(ends):
        if b > a:
            try:
                out[g] = math.fsum(vs[a:b])
            except (ValueError, OverflowError):  # +inf − inf, an intermediate or final overflow
                out[g] = _py_fsum(v[a:b])
        a = b
    return out


def fsum_agg(expr: str | pl.Expr) -> pl.Expr:
    """``pl.col(c).sum()`` made order-independent, for ``group_by(...).agg(...)``, ``select(...)`` and
    ``.over(...)``: each group's values are summed exactly (correctly rounded, as :func:`math.fsum`), nulls
    skipped, an empty group 0.0. Name the result with ``.alias`` as usual (it keeps the column's name)."""
    return _imploded(expr).map_batches(_sum_lists, return_dtype=pl.Float64, is_elementwise=True)


def _imploded(expr: str | pl.Expr) -> pl.Expr:
    e = pl.col(expr) if isinstance(expr, str) else expr
    return e.cast(pl.Float64).drop_nulls().implode()


def _flat(s: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    arr = s.to_arrow()
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    lengths = pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = pc.list_flatten(arr)
    values = pc.fill_null(flat, np.nan).to_numpy(zero_copy_only=False) if flat.null_count else \
        flat.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64), lengths


def _sum_lists(s: pl.Series) -> pl.Series:
    values, lengths = _flat(s)
    return pl.Series(s.name, group_fsum(values, lengths), dtype=pl.Float64)


def group_mean_sd(values: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: mean = exact sum / n and sample sd (n − 1) = sqrt(exact Σ (x − mean)² / (n − 1)); NaN where
    undefined (no value; one value for the sd)."""
    v = np.asarray(values, dtype=np.float64)
    n = np.asarray(lengths, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = np.where(n > 0, group_fsum(v, n) / np.maximum(n, 1), np.nan)
        d = v - np.repeat(mean, n)
        ss = group_fsum(d * d, n)
        sd = np.where(n > 1, np.sqrt(ss / np.maximum(n - 1, 1)), np.nan)
    return mean, sd


def mean_sd(x: pl.Series | np.ndarray | Iterable[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (n − 1), both from exact sums (two passes); None where undefined."""
    v = np.asarray(_values(x), dtype=np.float64)
    if len(v) == 0:
        return None, None
    mean, sd = group_mean_sd(v, np.array([len(v)]))
    return float(mean[0]), (float(sd[0]) if len(v) > 1 else None)


def _stat_lists(which: int):
    def f(s: pl.Series) -> pl.Series:
        values, lengths = _flat(s)
        r = group_mean_sd(values, lengths)[which]
        ok = lengths > which  # the mean needs one value, the sd two
        return pl.Series(s.name, r, dtype=pl.Float64).set(pl.Series(~ok), None) if not ok.all() else \
            pl.Series(s.name, r, dtype=pl.Float64)
    return f


def mean_agg(expr: str | pl.Expr) -> pl.Expr:
    """``.mean()`` from an exact sum (for ``agg``/``select``/``over``); null for an empty group."""
    return _imploded(expr).map_batches(_stat_lists(0), return_dtype=pl.Float64, is_elementwise=True)


def sd_agg(expr: str | pl.Expr) -> pl.Expr:
    """``.std()`` (n − 1) from exact sums, two passes (for ``agg``/``select``/``over``); null below 2 values."""
    return _imploded(expr).map_batches(_stat_lists(1), return_dtype=pl.Float64, is_elementwise=True)
