"""Order-independent float sums, so that seeded runs print the same bytes in every process.

A floating-point sum depends on the order of its terms. Polars' multi-threaded ``group_by(...).agg(sum)``
combines per-thread partial sums in an order that varies between runs (pola-rs/polars#25163); DuckDB's
parallel ``SUM`` and any sum over rows whose order depends on the engine's threads do the same. The
differences sit in the 16th–17th significant digit, but they reach the output (a percentile of draws, a
JSON figure) and break byte-for-byte replication.

:func:`math.fsum` returns the correctly rounded sum of the exact values (Shewchuk's algorithm), so it does not
depend on the order or the chunking of the terms at all. Every sum whose result feeds output goes through
:func:`fsum` (a Series, array or iterable) or :func:`fsum_agg` (inside ``group_by(...).agg`` or ``select``).
Cost: one pass in Python per group, fine for the per-country frames of the channels and options (thousands
of rows); the set-based global measures stay in DuckDB.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import polars as pl

__all__ = ["fsum", "fsum_agg", "mean_agg", "mean_sd", "sd_agg"]


def _values(x) -> list[float]:
    if isinstance(x, pl.Series):
        return x.drop_nulls().cast(pl.Float64).to_list()
    if isinstance(x, np.ndarray):
        return x.astype(float, copy=False).ravel().tolist()
    return [float(v) for v in x if v is not None]


def fsum(x: pl.Series | np.ndarray | Iterable[float]) -> float:
    """Exact (correctly rounded) sum of ``x``, nulls skipped: the same bits whatever the order of the terms."""
    return math.fsum(_values(x))


def fsum_agg(expr: str | pl.Expr) -> pl.Expr:
    """``pl.col(c).sum()`` made order-independent, for ``group_by(...).agg(...)`` and ``select(...)``: each
    group's values are summed exactly (:func:`math.fsum`). Name the result with ``.alias`` as usual (it keeps
    the column's name)."""
    e = pl.col(expr) if isinstance(expr, str) else expr
    return e.map_batches(lambda s: pl.Series([fsum(s)], dtype=pl.Float64), return_dtype=pl.Float64,
                         returns_scalar=True)


def mean_sd(x: pl.Series | np.ndarray | Iterable[float]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (n − 1), both from exact sums (two passes); None where undefined."""
    v = _values(x)
    n = len(v)
    if n == 0:
        return None, None
    mean = math.fsum(v) / n
    if n < 2:
        return mean, None
    return mean, math.sqrt(math.fsum((a - mean) ** 2 for a in v) / (n - 1))


def _stat_agg(expr: str | pl.Expr, which: int) -> pl.Expr:
    e = pl.col(expr) if isinstance(expr, str) else expr
    return e.map_batches(lambda s: pl.Series([mean_sd(s)[which]], dtype=pl.Float64), return_dtype=pl.Float64,
                         returns_scalar=True)


def mean_agg(expr: str | pl.Expr) -> pl.Expr:
    """``.mean()`` from an exact sum (for ``agg``/``select``)."""
    return _stat_agg(expr, 0)


def sd_agg(expr: str | pl.Expr) -> pl.Expr:
    """``.std()`` (n − 1) from exact sums, two passes (for ``agg``/``select``)."""
    return _stat_agg(expr, 1)
