"""Exact sums (measures/exact.py): the grouped kernel gives math.fsum's bits, and no permutation of the rows
changes any bit of fsum_agg / mean_agg / sd_agg (issue 12: the vectorised kernel that replaced math.fsum per
group must keep the byte-identity of seeded runs, issue 16)."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tethers.measures import exact as X

from .conftest import SAMPLES, prop


def bits(df: pl.DataFrame) -> list[tuple]:
    """Every float of ``df`` as its 64 bits (NaN payloads and signed zeros included), sorted by the first column."""
    df = df.sort(df.columns[0])
    return [tuple(np.float64(v).view(np.int64) if isinstance(v, float) else v for v in r) for r in df.iter_rows()]


def exact(values) -> float:
    """The correctly rounded sum through rationals: an independent reference (not math.fsum)."""
    t = sum(map(Fraction, values), Fraction(0))
    try:
        return float(t)
    except OverflowError:
        return math.inf if t > 0 else -math.inf


AGGS = {"sum": X.fsum_agg, "mean": X.mean_agg, "sd": X.sd_agg}


def _aggregate(df: pl.DataFrame) -> pl.DataFrame:
    return df.group_by("k").agg(**{name: f("v") for name, f in AGGS.items()})


# ---- real values ------------------------------------------------------------------------------------------


def test_real_trade_sums_are_math_fsum(bns_2021):
    # Kazakhstan's 2021 trade by partner (the bureau's real sheet): value by flow, squared shares (the HHI terms)
    t = bns_2021.filter(pl.col("partner") != "WLD").select("flow", "partner", "value_usd")
    got = dict(t.group_by("flow").agg(X.fsum_agg("value_usd")).iter_rows())
    want = {f: math.fsum(g["value_usd"].to_list()) for (f,), g in t.group_by("flow")}
    assert got == want and len(got) == 2
    s = t.with_columns(s=pl.col("value_usd") / pl.lit(want["import"])).filter(pl.col("flow") == "import")
    assert s.select(X.fsum_agg(pl.col("s") ** 2)).item() == math.fsum((s["s"] ** 2).to_list())
    assert s.select(X.fsum_agg(pl.col("s") ** 2)).item() == exact((s["s"] ** 2).to_list())


def test_real_baci_excerpt_by_partner():
    # CEPII BACI HS02 2021, Kazakhstan's exports: the top-5 partners' largest HS6 lines and crude oil by destination
    b = pl.read_csv(SAMPLES / "baci" / "baci_hs02_v202301_kaz_exports_hs6_x_top5partners_2021_excerpt.csv")
    oil = pl.read_csv(SAMPLES / "baci" / "baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv")
    df = pl.concat([b.select("j", "v"), oil.select("j", "v")])
    got = dict(df.group_by("j").agg(X.fsum_agg("v")).iter_rows())
    assert got == {j: math.fsum(g["v"].to_list()) for (j,), g in df.group_by("j")}
    assert df.select(X.fsum_agg("v")).item() == math.fsum(df["v"].to_list()) == X.fsum(df["v"])
    n = dict(df.group_by("j").agg(X.mean_agg("v")).iter_rows())
    assert n == {j: math.fsum(g["v"].to_list()) / g.height for (j,), g in df.group_by("j")}


# ---- order independence -------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
values = st.one_of(finite, st.floats(min_value=-1e12, max_value=1e12), st.sampled_from([0.0, -0.0, 1e16, -1e16, 1.0]))


@prop
@given(rows=st.lists(st.tuples(st.integers(0, 4), values), max_size=60), seed=st.integers(0, 2**32 - 1))
def test_no_permutation_changes_a_bit(rows, seed):
    df = pl.DataFrame(rows, schema={"k": pl.Int64, "v": pl.Float64}, orient="row")
    rng = random.Random(seed)
    first = bits(_aggregate(df))
    for _ in range(3):
        shuffled = df.sample(fraction=1.0, shuffle=True, seed=rng.randrange(2**32))
        assert bits(_aggregate(shuffled)) == first
        # chunked input (two chunks) gives the same bits
        chunked = pl.concat([shuffled.head(len(rows) // 2), shuffled.tail(len(rows) - len(rows) // 2)], rechunk=False)
        assert bits(_aggregate(chunked)) == first


def test_permutations_with_fixed_seed_on_many_groups():
    # 20,000 rows in 3,000 groups of very different magnitudes, with cancellation: 5 permutations, same bits
    rng = np.random.default_rng(12)
    n = 20_000
    v = rng.uniform(-1, 1, n) * 10.0 ** rng.integers(-30, 30, n)
    v[::7] = -np.roll(v, 1)[::7]  # exact cancellations
    df = pl.DataFrame({"k": rng.integers(0, 3_000, n), "v": v})
    first = bits(_aggregate(df))
    for s in range(5):
        assert bits(_aggregate(df.sample(fraction=1.0, shuffle=True, seed=s))) == first
    got = dict(df.group_by("k").agg(X.fsum_agg("v")).iter_rows())
    assert got == {k: math.fsum(g["v"].to_list()) for (k,), g in df.group_by("k")}


# ---- the kernel against rational arithmetic ---------------------------------------------------------------


@prop
@given(groups=st.lists(st.lists(finite, max_size=12), max_size=20))
def test_group_fsum_is_the_correctly_rounded_exact_sum(groups):
    flat = np.array([x for g in groups for x in g], dtype=np.float64)
    lengths = np.array([len(g) for g in groups], dtype=np.int64)
    assert [float(x) for x in X.group_fsum(flat, lengths)] == [exact(g) for g in groups]


def test_hard_cases():
    cases = [
        [], [0.0], [-0.0, -0.0], [1e16, 1.0, -1e16], [2.0**53, 1.0], [2.0**53, 1.0, 2.0**-60],  # ties to even, a sticky bit
        [2.0**53 + 2, 1.0], [5e-324, 5e-324, -5e-324], [2.2250738585072014e-308, -5e-324],  # subnormals
        [1.7e308, 1.7e308, -1.7e308],  # math.fsum: intermediate overflow; the exact sum is representable
        [1.7e308, 1.7e308], [-1.7e308, -1.7e308],  # beyond the double range: ±inf
        [1.0, math.nan], [math.inf, 1.0], [math.inf, -math.inf], [-math.inf, 3.0],
        [0.1] * 10, [1e-300, 1e300, -1e300],
    ]
    got = X.group_fsum(np.array([x for c in cases for x in c]), np.array([len(c) for c in cases]))
    want = [0.0, 0.0, 0.0, 1.0, 2.0**53, 2.0**53 + 2, 2.0**53 + 4, 5e-324, 2.225073858507201e-308, 1.7e308,
            math.inf, -math.inf, math.nan, math.inf, math.nan, -math.inf, exact([0.1] * 10), 1e-300]
    assert [np.float64(g).view(np.int64) for g in got] == [np.float64(w).view(np.int64) for w in want]


def test_contexts_nulls_and_empty_groups():
    df = pl.DataFrame({"k": ["a", "a", "b", "c", "c"], "v": [0.1, 0.2, None, 1e16, 3.0]})
    out = df.group_by("k").agg(s=X.fsum_agg("v"), m=X.mean_agg("v"), d=X.sd_agg("v"), n=pl.len()).sort("k")
    assert out["s"].to_list() == [0.30000000000000004, 0.0, 1e16 + 4]  # nulls skipped, an all-null group sums to 0
    assert out["m"].to_list() == [0.30000000000000004 / 2, None, (1e16 + 4) / 2]
    assert out["d"][1] is None and out["d"][0] == pytest.approx(math.sqrt(0.005))
    assert df.with_columns(t=X.fsum_agg("v").over("k"))["t"].to_list() == [0.30000000000000004] * 2 + [0.0] + [1e16 + 4] * 2
    assert df.select(X.fsum_agg("v")).item() == math.fsum([0.1, 0.2, 1e16, 3.0])
    assert pl.DataFrame({"k": [1, 1], "v": [2, 3]}).group_by("k").agg(X.fsum_agg("v"))["v"].to_list() == [5.0]
    assert X.mean_sd([1.0, 3.0]) == (2.0, math.sqrt(2.0)) and X.mean_sd([]) == (None, None)
