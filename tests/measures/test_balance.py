"""Balance index: hand cases, its stated properties, the exact decomposition, the composite."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tethers.countries import POLE_ORDER
from tethers.measures import balance as B
from tethers.measures import trade as T

from .conftest import prop

# Hand cases: short decimals, only float rounding between the function and the exact value.
EXACT = 1e-12
# Property tests sum up to 7 doubles of very different sizes: allow a few ulps on [0, 1] quantities.
PROP = 1e-9

NAMED = [p for p in POLE_ORDER if p != "ROW"]  # K = 6 poles, ROW not a pole by default


def frame(values: dict[str, float], **keys) -> pl.DataFrame:
    keys = keys or {"reporter": "KAZ", "year": 2021}
    return pl.DataFrame({"pole": list(values), "value_usd": list(values.values())}).with_columns(
        **{k: pl.lit(v) for k, v in keys.items()}
    )


def test_hand_case_hhi_and_entropy():
    # Shares over K = 6 poles: RUS 0.5, CHN 0.25, EU27 0.25, others 0.
    # HHI = 0.25 + 0.0625 + 0.0625 = 0.375; B = 6/5 (1 − 0.375) = 0.75.
    # H = −(0.5 ln 0.5 + 2 · 0.25 ln 0.25) = 1.5 ln 2; B_H = 1.5 ln 2 / ln 6.
    out = B.balance_index(frame({"RUS": 2.0, "CHN": 1.0, "EU27": 1.0}), value="value_usd")
    assert out["k"].item() == 6
    assert out["hhi"].item() == pytest.approx(0.375, abs=EXACT)
    assert out["balance"].item() == pytest.approx(0.75, abs=EXACT)
    assert out["entropy"].item() == pytest.approx(1.5 * math.log(2) / math.log(6), abs=EXACT)
    assert out["row_share"].item() == 0.0


def test_all_with_one_pole_is_zero_and_even_spread_is_one():
    one = B.balance_index(frame({"CHN": 5.0, "ROW": 1.0}), value="value_usd")
    assert one.select("balance", "entropy").row(0) == pytest.approx((0.0, 0.0), abs=EXACT)
    even = B.balance_index(frame(dict.fromkeys(NAMED, 3.0)), value="value_usd")
    assert even.select("balance", "entropy").row(0) == pytest.approx((1.0, 1.0), abs=EXACT)


def test_row_excluded_by_default_and_optional_as_pole():
    base = frame({"RUS": 1.0, "CHN": 1.0})
    with_row = frame({"RUS": 1.0, "CHN": 1.0, "ROW": 8.0})
    a = B.balance_index(base, value="value_usd")
    b = B.balance_index(with_row, value="value_usd")
    assert b["balance"].item() == pytest.approx(a["balance"].item(), abs=EXACT)  # property 3
    assert b["row_share"].item() == pytest.approx(0.8, abs=EXACT)
    # ROW as a 7th pole: shares 0.1, 0.1, 0.8 → HHI 0.66, B = 7/6 · 0.34
    c = B.balance_index(with_row, value="value_usd", row="pole")
    assert c["k"].item() == 7
    assert c["balance"].item() == pytest.approx(7 / 6 * 0.34, abs=EXACT)


def test_everything_with_row_is_undefined():
    out = B.balance_index(frame({"ROW": 4.0}), value="value_usd")
    assert math.isnan(out["balance"].item()) and math.isnan(out["entropy"].item())
    assert out["row_share"].item() == 1.0


def test_poles_outside_the_list_count_as_row():
    out = B.balance_index(frame({"RUS": 1.0, "CHN": 1.0, "EU27": 2.0}), value="value_usd", poles=("RUS", "CHN"))
    assert out["k"].item() == 2
    assert out["balance"].item() == pytest.approx(1.0, abs=EXACT)
    assert out["row_share"].item() == pytest.approx(0.5, abs=EXACT)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

# money: zero or between a millionth of a dollar and a trillion (no subnormals that scaling flushes to 0)
values = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e12))
pole_values = st.dictionaries(st.sampled_from(list(POLE_ORDER)), values, min_size=1)


def _named_total(v: dict[str, float]) -> float:
    return sum(x for p, x in v.items() if p != "ROW")


@prop
@given(pole_values)
def test_bounds(v):
    out = B.balance_index(frame(v), value="value_usd")
    if _named_total(v) > 0:
        assert -PROP <= out["balance"].item() <= 1 + PROP
        assert -PROP <= out["entropy"].item() <= 1 + PROP
    else:
        assert math.isnan(out["balance"].item())


@prop
@given(pole_values, st.floats(min_value=1e-3, max_value=1e6), st.permutations(NAMED))
def test_scale_and_pole_label_invariance(v, k, perm):
    a = B.balance_index(frame(v), value="value_usd")
    b = B.balance_index(frame({p: x * k for p, x in v.items()}), value="value_usd")
    relabel = dict(zip(NAMED, perm, strict=True)) | {"ROW": "ROW"}
    c = B.balance_index(frame({relabel[p]: x for p, x in v.items()}), value="value_usd")
    for other in (b, c):
        assert other.select("balance", "entropy").row(0) == pytest.approx(
            a.select("balance", "entropy").row(0), abs=PROP, nan_ok=True
        )


@prop
@given(st.sampled_from(NAMED), values.filter(lambda x: x > 0), values)
def test_single_pole_gives_zero(pole, x, row):
    out = B.balance_index(frame({pole: x, "ROW": row}), value="value_usd")
    assert out["balance"].item() == pytest.approx(0.0, abs=PROP)
    assert out["entropy"].item() == pytest.approx(0.0, abs=PROP)


@prop
@given(values.filter(lambda x: x > 0))
def test_even_spread_gives_one(x):
    out = B.balance_index(frame(dict.fromkeys(NAMED, x)), value="value_usd")
    assert out["balance"].item() == pytest.approx(1.0, abs=PROP)
    assert out["entropy"].item() == pytest.approx(1.0, abs=PROP)


def test_matches_direct_numpy_formula_on_real_bns(bns_2021):
    # Cross-check: the index from pole_shares of the real 2021 data vs the formula applied in numpy.
    shares = T.pole_shares(bns_2021, flow=None)
    out = B.balance_index(shares)
    for flow in ("import", "export"):
        s = shares.filter((pl.col("flow") == flow) & (pl.col("pole") != "ROW"))["value_usd"].to_numpy()
        s = s / s.sum()
        k = len(s)
        expected_b = k / (k - 1) * (1 - (s**2).sum())
        nz = s[s > 0]
        expected_h = -(nz * np.log(nz)).sum() / np.log(k)
        got = out.filter(pl.col("flow") == flow)
        assert got["balance"].item() == pytest.approx(expected_b, abs=PROP)
        assert got["entropy"].item() == pytest.approx(expected_h, abs=PROP)
        assert 0.0 < got["balance"].item() < 1.0


# --------------------------------------------------------------------------------------------
# Decomposition
# --------------------------------------------------------------------------------------------


def test_decomposition_hand_case_adds_up():
    # K = 2 (RUS, CHN). 2018: 0.8 / 0.2 → HHI 0.68, B = 2 · 0.32 = 0.64. 2023: 0.5 / 0.5 → B = 1.
    # c_RUS = −2 (0.25 − 0.64) = 0.78; c_CHN = −2 (0.25 − 0.04) = −0.42; sum 0.36 = ΔB.
    shares = pl.concat([
        frame({"RUS": 0.8, "CHN": 0.2}, reporter="KAZ", year=2018),
        frame({"RUS": 0.5, "CHN": 0.5}, reporter="KAZ", year=2023),
    ])
    d = B.decompose_change(shares, start=2018, end=2023, poles=("RUS", "CHN"), value="value_usd")
    assert d["pole"].to_list() == ["RUS", "CHN"]
    assert d["contribution"].to_list() == pytest.approx([0.78, -0.42], abs=EXACT)
    assert d["delta_share"].to_list() == pytest.approx([-0.3, 0.3], abs=EXACT)


@prop
@given(pole_values.filter(lambda v: _named_total(v) > 0), pole_values.filter(lambda v: _named_total(v) > 0),
       st.sampled_from(["hhi", "entropy"]), st.sampled_from(["exclude", "pole"]))
def test_decomposition_adds_up_exactly(v0, v1, index, row):
    shares = pl.concat([frame(v0, reporter="KAZ", year=2018), frame(v1, reporter="KAZ", year=2023)])
    d = B.decompose_change(shares, start=2018, end=2023, value="value_usd", index=index, row=row)
    b = B.balance_index(shares, value="value_usd", row=row)
    col = "balance" if index == "hhi" else "entropy"
    delta = b.filter(pl.col("year") == 2023)[col].item() - b.filter(pl.col("year") == 2018)[col].item()
    assert d["contribution"].sum() == pytest.approx(delta, abs=PROP)


# --------------------------------------------------------------------------------------------
# Composite
# --------------------------------------------------------------------------------------------


def test_composite_weighted_mean_and_missing_dimensions():
    b = pl.DataFrame({
        "reporter": ["KAZ"] * 3 + ["UZB"] * 3,
        "dimension": ["imports", "exports", "votes"] * 2,
        "balance": [0.8, 0.5, 0.2, 0.6, float("nan"), 0.3],
    })
    out = B.composite(b, weights={"imports": 2.0, "exports": 1.0, "votes": 1.0})
    kaz = out.filter(pl.col("reporter") == "KAZ").row(0, named=True)
    uzb = out.filter(pl.col("reporter") == "UZB").row(0, named=True)
    assert kaz["balance"] == pytest.approx((2 * 0.8 + 0.5 + 0.2) / 4, abs=EXACT)
    assert kaz["weight_covered"] == pytest.approx(1.0, abs=EXACT)
    # UZB exports missing: renormalise over imports and votes, coverage 3/4
    assert uzb["balance"] == pytest.approx((2 * 0.6 + 0.3) / 3, abs=EXACT)
    assert (uzb["n_dimensions"], uzb["weight_covered"]) == (2, pytest.approx(0.75, abs=EXACT))
    equal = B.composite(b).filter(pl.col("reporter") == "KAZ")["balance"].item()
    assert equal == pytest.approx((0.8 + 0.5 + 0.2) / 3, abs=EXACT)
