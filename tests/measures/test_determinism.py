"""The same rows give the same measures, whatever order they arrive in.

Float addition is not associative: a share or an HHI summed in the order an atlas query or a hash join
happened to return rows differed from one call to the next (CI caught a report table that differed from
``tethers critical`` in the 16th digit). The measures sort before their order-sensitive sums; these tests
shuffle the input. Polars' own multi-threaded group-by sums are not bit-reproducible (pola-rs/polars#25163),
so "the same" is to a relative 1e-12 (tests/figures.py), not bit for bit.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.figures import assert_same_figures
from tethers.measures import balance as B
from tethers.measures import critical as C
from tethers.measures import trade as T

from .conftest import prop, trade_frame

PARTNERS = ["RUS", "CHN", "DEU", "ITA", "USA", "TUR", "UZB", "KGZ", "FRA", "NLD", "KOR", "JPN", "IND"]
# values with many significant digits, spread over orders of magnitude, so that summation order shows
values = st.floats(min_value=1e3, max_value=1e10, allow_nan=False, allow_infinity=False)


def _shuffled(df: pl.DataFrame, seed: int) -> pl.DataFrame:
    return df.sample(fraction=1.0, shuffle=True, seed=seed)


@st.composite
def product_trade(draw):
    rows = []
    for product in ("2601", "7202", "8703"):
        for flow in ("import", "export"):
            for partner in draw(st.lists(st.sampled_from(PARTNERS), min_size=2, max_size=len(PARTNERS), unique=True)):
                rows.append(("KAZ", 2021, flow, partner, draw(values), product))
    df = pl.DataFrame(rows, schema={"reporter": pl.Utf8, "year": pl.Int32, "flow": pl.Utf8, "partner": pl.Utf8,
                                    "value_usd": pl.Float64, "product": pl.Utf8}, orient="row")
    return df.with_columns(classification=pl.lit("HS"), level=pl.lit(4, pl.Int32), source=pl.lit("test"))


@prop
@given(rows=st.lists(st.tuples(st.sampled_from(PARTNERS), values), min_size=3, max_size=40), seed=st.integers(0, 2**16))
def test_partner_and_pole_shares_do_not_depend_on_row_order(rows, seed):
    t = trade_frame([("KAZ", 2021, "import", p, v) for p, v in rows])  # repeated partners are summed
    s = _shuffled(t, seed)
    assert_same_figures(T.partner_shares(s), T.partner_shares(t))
    assert_same_figures(T.pole_shares(s), T.pole_shares(t))
    assert_same_figures(T.concentration(s, flow="import"), T.concentration(t, flow="import"))


@prop
@given(df=product_trade(), seed=st.integers(0, 2**16))
def test_critical_products_do_not_depend_on_row_order(df, seed):
    assert_same_figures(C.critical_products(_shuffled(df, seed), reporter="KAZ"), C.critical_products(df, reporter="KAZ"))
    assert_same_figures(C.world_export_hhi(_shuffled(df, seed), flow="import"), C.world_export_hhi(df, flow="import"))


@prop
@given(rows=st.lists(st.tuples(st.sampled_from(PARTNERS), values), min_size=3, max_size=40), seed=st.integers(0, 2**16))
def test_balance_index_does_not_depend_on_row_order(rows, seed):
    poles = T.pole_shares(trade_frame([("KAZ", 2021, "import", p, v) for p, v in rows]))
    levels = poles.select("reporter", "year", "flow", "pole", "value_usd")
    want = B.balance_index(levels, value="value_usd")
    assert_same_figures(B.balance_index(_shuffled(levels, seed), value="value_usd"), want)


def test_kazakhstan_critical_table_is_reproducible(atlas):
    """The real case CI caught: the WTO MTN 12 row of ``tethers critical KAZ --year 2021``, twenty times."""
    dep = pytest.importorskip("tethers.analysis.dependence")
    first = dep.critical_dependencies("KAZ", 2021, atlas=atlas).products
    assert first.height >= 1
    for _ in range(20):
        assert_same_figures(dep.critical_dependencies("KAZ", 2021, atlas=atlas).products, first)
