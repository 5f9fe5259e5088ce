"""Exact grouped sums: the ways evaluated for issue 12 (``measures/exact.py``), timed on this machine.

Not part of ``run.py`` (a micro-benchmark of one helper): ``python benchmarks/exact_sums.py [--values N]``.
Synthetic values (uniform × 10^k, k in −6…12, signs mixed), grouped into 10 … 500,000 groups; every exact
method is asserted to give math.fsum's bits per group before it is timed. Methods:

* ``polars sum``: ``group_by(k).agg(pl.col(v).sum())``, the inexact baseline (order-dependent in the last bits);
* ``map_batches per group``: the previous ``fsum_agg`` (``returns_scalar=True``: Python called per group);
* ``implode + one call``: the current ``fsum_agg`` (native implode, math.fsum group by group in one call);
* ``limb kernel``: an exact fixed-point NumPy kernel (three signed 32-bit digits per double on a common limb
  grid, int64 sums per group and limb, carry pass, round half to even): same bits, no Python per group.

Wall seconds, best of ``--repeats``; the machine is shared, see the load average printed at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import polars as pl

from tethers.measures.exact import fsum_agg, group_fsum

_BASE = -1152  # binary point of limb 0: below the smallest subnormal's mantissa (2^-1126), a multiple of 32
_MASK = np.int64(0xFFFFFFFF)
_CELLS = 1 << 20  # (value × limb) cells per pass


def limb_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The limb kernel over runs of ``values`` (finite values; the rare slow cases go to math.fsum)."""
    out = np.zeros(len(lengths), dtype=np.float64)
    _block(np.ascontiguousarray(values, dtype=np.float64), np.asarray(lengths, dtype=np.int64), out)
    return out


def _py_fsum(v: np.ndarray) -> float:
    return math.fsum(v.tolist())


def _block(raw: np.ndarray, n: np.ndarray, out: np.ndarray) -> None:  # noqa: PLR0915 - one numeric kernel
    G = len(n)
    gid = np.repeat(np.arange(G), n)
    v = raw
    finite = np.isfinite(v)
    slow = np.zeros(G, dtype=bool)
    if not finite.all():
        slow[gid[~finite]] = True
    keep = finite & (v != 0.0)
    v, gid = v[keep], gid[keep]
    if len(v):
        m, e = np.frexp(v)
        M = (m * 9007199254740992.0).astype(np.int64)  # exact: |m| in [0.5, 1) times 2^53
        P = e.astype(np.int64) - 53 - _BASE  # v = M · 2^(P + _BASE), P ≥ 26
        k0, r = P >> 5, P & 31
        sgn = np.where(M < 0, -1, 1).astype(np.int64)
        A = np.abs(M)
        x0 = (A & _MASK) << r  # < 2^63
        t = ((A >> 32) << r) + (x0 >> 32)  # < 2^53
        digits = (np.stack([x0 & _MASK, t & _MASK, t >> 32]) * sgn).ravel()  # 3 signed digits, limbs k0..k0+2
        cnt = np.bincount(gid, minlength=G)
        has = cnt > 0
        first = (np.cumsum(cnt) - cnt)[has]  # values are in group order: each group is one run
        kmin = np.zeros(G, dtype=np.int64)
        kmin[has] = np.minimum.reduceat(k0, first)
        span = int((np.maximum.reduceat(k0, first) - kmin[has]).max())
        # columns: 2 zero columns below (the rounding window), the limbs, 3 above (carries and the sign)
        width = span + 2 + 3 + 3
        col = (k0 - kmin[gid]) + 2
        S = np.zeros((G, width), dtype=np.int64)
        step = max(1, _CELLS // width)
        for a in range(0, len(v), step):  # one row per value (its 3 digits in place), summed run by run
            b = min(len(v), a + step)
            D = np.zeros((b - a, width), dtype=np.int64)
            i, c = np.arange(b - a), col[a:b]
            D[i, c], D[i, c + 1], D[i, c + 2] = digits[a:b], digits[len(v) + a:len(v) + b], \
                digits[2 * len(v) + a:2 * len(v) + b]
            g = gid[a:b]
            runs = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
            S[g[runs]] += np.add.reduceat(D, runs, axis=0)  # int64: exact, in any order
        S = _carry(S)
        neg = S[:, -1] < 0
        if neg.any():  # magnitude of the negative sums: the same integer negated, normalised again
            S[neg] = _carry(-S[neg])
        nz = S != 0
        any_nz = nz.any(axis=1)
        top = width - 1 - np.argmax(nz[:, ::-1], axis=1)  # leading nonzero limb (≥ 2 where any)
        top = np.where(any_nz, top, 2)
        rows = np.arange(G)
        dt = S[rows, top].astype(np.uint64)
        d1 = S[rows, top - 1].astype(np.uint64)
        d2 = S[rows, top - 2].astype(np.uint64)
        below = np.cumsum(nz, axis=1)  # nonzero limbs at or below each column
        sticky_low = np.where(top >= 3, below[rows, np.maximum(top - 3, 0)] > 0, False)
        L = np.frexp(dt.astype(np.float64))[1].astype(np.uint64)  # bit length of the leading limb (1..32)
        L = np.where(any_nz, L, 1).astype(np.uint64)
        one = np.uint64(1)
        T = (dt << (np.uint64(64) - L)) | (d1 << (np.uint64(32) - L)) | (d2 >> L)  # leading 64 bits
        sticky = ((d2 & ((one << L) - one)) != 0) | sticky_low
        mant = T >> np.uint64(11)
        rem = T & np.uint64(0x7FF)
        half = np.uint64(0x400)
        up = (rem > half) | ((rem == half) & (sticky | ((mant & one) == one)))
        mant = mant + up.astype(np.uint64)
        exp = L.astype(np.int64) + 11 + 32 * (top - 4 + kmin) + _BASE
        with np.errstate(over="ignore"):
            res = np.ldexp(mant.astype(np.float64), exp)  # exact: mant ≤ 2^53, normal range checked below
        res = np.where(neg, -res, res)
        res[~any_nz] = 0.0
        slow |= any_nz & ((exp + 52 < -1022) | (exp + 53 > 1024))  # subnormal (ldexp would round twice), overflow
        out[:] = res
    if slow.any():  # non-finite terms, subnormal or overflowing sums: Python's exact sum, group by group
        ends = np.cumsum(n)
        for g in np.flatnonzero(slow):
            out[g] = _py_fsum(raw[ends[g] - n[g]:ends[g]])


def _carry(S: np.ndarray) -> np.ndarray:
    """Carry-normalise signed limb sums: every column but the last in [0, 2^32), the last signed."""
    S = S.copy()
    for j in range(S.shape[1] - 1):
        c = S[:, j] >> 32
        S[:, j] &= _MASK
        S[:, j + 1] += c
    return S


def _carry(S: np.ndarray) -> np.ndarray:
    """Carry-normalise signed limb sums: every column but the last in [0, 2^32), the last signed."""
    S = S.copy()
    for j in range(S.shape[1] - 1):
        c = S[:, j] >> 32
        S[:, j] &= _MASK
        S[:, j + 1] += c
    return S


def _old_fsum_agg(col: str) -> pl.Expr:
    return pl.col(col).map_batches(lambda s: pl.Series([math.fsum(s.drop_nulls().to_list())], dtype=pl.Float64),
                                   return_dtype=pl.Float64, returns_scalar=True)


def best(f, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--values", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(12)
    n = args.values
    v = rng.uniform(-1, 1, n) * 10.0 ** rng.integers(-6, 13, n)
    print(f"{n:,} values; wall seconds, best of {args.repeats}")
    print("| groups | polars sum | map_batches per group | implode + one call | limb kernel |")
    print("|---:|---:|---:|---:|---:|")
    for groups in (10, 1_000, 100_000, 500_000):
        k = np.sort(rng.integers(0, groups, n))
        df = pl.DataFrame({"k": k, "v": v})
        lengths = np.bincount(k, minlength=groups)
        want = group_fsum(v, lengths)
        assert np.array_equal(limb_sums(v, lengths), want)
        new = df.group_by("k").agg(fsum_agg("v")).sort("k")
        assert np.array_equal(new["v"].to_numpy(), want[lengths > 0])
        row = [best(lambda df=df: df.group_by("k").agg(pl.col("v").sum()), args.repeats)]
        old = (lambda df=df: df.group_by("k").agg(_old_fsum_agg("v"))) if groups <= 100_000 else None
        row.append(best(old, 1) if old else math.nan)  # Python per group: one repeat, skipped at 500,000 groups
        row.append(best(lambda df=df: df.group_by("k").agg(fsum_agg("v")), args.repeats))
        row.append(best(lambda n=lengths: limb_sums(v, n), args.repeats))
        print(f"| {groups:,} | " + " | ".join("—" if math.isnan(x) else f"{x:.3f}" for x in row) + " |")
    print(f"load average {[round(x, 2) for x in os.getloadavg()]}")


if __name__ == "__main__":
    main()
