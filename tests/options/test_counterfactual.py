"""Counterfactual tables on hand-computed cases (shares, HHI, institutions dimension, capacities)."""

from __future__ import annotations

import polars as pl
import pytest

from tethers.errors import OptionError
from tethers.measures.institutions import memberships_in_year
from tethers.measures.trade import hhi, partner_shares
from tethers.options.counterfactual import (
    add_neighbour_trade,
    add_route_capacity,
    apply,
    change_membership,
    shift_supplier,
)
from tethers.options.evaluate import balance_of, dimension_values
from tethers.options.spec import parse_options

from .helpers import MEMBERS, TRADE, routes, tables, trade

TOL = 1e-12  # exact arithmetic on hand-sized tables; only float rounding
POLES = ("RUS", "CHN", "EU27", "USA", "TUR", "CASIA")


def _value(df: pl.DataFrame, partner: str, cls: str = "MTN", flow: str = "import") -> float:
    return df.filter((pl.col("partner") == partner) & (pl.col("classification") == cls)
                     & (pl.col("flow") == flow))["value_usd"].sum()


def _hhi(df: pl.DataFrame, product: str = "12") -> float:
    s = partner_shares(df, reporter="KAZ", year=2021, flow="import", product=product)
    return float(hhi(s)["hhi"][0])


def test_moving_all_of_a_product_to_a_second_supplier_changes_hhi_as_by_hand():
    t = trade([("RUS", "HS", "93", "import", 60), ("CHN", "HS", "93", "import", 40)])
    assert _hhi(t, "93") == pytest.approx(0.6**2 + 0.4**2, abs=TOL)  # 0.52
    out = shift_supplier(t, reporter="KAZ", year=2021, products=["93"], supplier="RUS", share=1.0, to=["CHN"])
    assert _value(out, "RUS", "HS") == 0.0 and _value(out, "CHN", "HS") == 100.0
    assert _hhi(out, "93") == pytest.approx(1.0, abs=TOL)


def test_proportional_shift_and_total_rows_move_with_the_product():
    out = shift_supplier(TRADE, reporter="KAZ", year=2021, products=["MTN:12"], supplier="RUS", share=0.5)
    # 30 moved from RUS, split 30:10 over CHN and TUR → +22.5, +7.5
    assert (_value(out, "RUS"), _value(out, "CHN"), _value(out, "TUR")) == pytest.approx((30, 52.5, 17.5), abs=TOL)
    assert _hhi(out) == pytest.approx(0.3**2 + 0.525**2 + 0.175**2, abs=TOL)  # 0.39625
    # the same partner deltas on the total-imports rows; the total is unchanged
    assert _value(out, "RUS", "TOTAL") == pytest.approx(970, abs=TOL)
    assert _value(out, "CHN", "TOTAL") == pytest.approx(522.5, abs=TOL)
    assert out.filter(pl.col("classification") == "TOTAL")["value_usd"].sum() == pytest.approx(
        TRADE.filter(pl.col("classification") == "TOTAL")["value_usd"].sum(), abs=1e-9)


def test_transformations_are_pure():
    before = TRADE.clone()
    shift_supplier(TRADE, reporter="KAZ", year=2021, products=["MTN:12"], supplier="RUS", share=0.5)
    add_neighbour_trade(TRADE, reporter="KAZ", year=2021, partners=["UZB"], amount_usd=100)
    assert TRADE.equals(before)
    m = MEMBERS.clone()
    change_membership(MEMBERS, country="KAZ", organisation="csto", year=2021, action="leave")
    assert MEMBERS.equals(m)


def test_leaving_the_csto_changes_memberships_and_the_institutions_dimension_as_by_hand():
    assert "csto" in memberships_in_year(MEMBERS, "KAZ", 2021)["organisation"].to_list()
    after = change_membership(MEMBERS, country="KAZ", organisation="csto", year=2021, action="leave")
    assert "csto" not in memberships_in_year(after, "KAZ", 2021)["organisation"].to_list()
    assert "csto" in memberships_in_year(after, "KAZ", 2020)["organisation"].to_list()  # history kept
    strategic = ("csto", "ots", "sco")
    base = dimension_values(tables(), poles=POLES, strategic=strategic).filter(pl.col("dimension") == "institutions")
    new = dimension_values(tables(members=after), poles=POLES, strategic=strategic).filter(
        pl.col("dimension") == "institutions")
    # before: RUS {csto, sco} 2, CHN {sco} 1, CASIA (KGZ) {csto, sco} 2 → s = .4/.2/.4, HHI .36, B = 6/5 (1 − .36)
    # after:  RUS 1, CHN 1, CASIA 1 → HHI 1/3, B = 6/5 (2/3) = 0.8
    assert dict(base.select("pole", "value").iter_rows())["RUS"] == 2
    b0 = balance_of(base, poles=POLES, weights={"institutions": 1.0})[1]
    b1 = balance_of(new, poles=POLES, weights={"institutions": 1.0})[1]
    assert (b0, b1) == pytest.approx((6 / 5 * (1 - 0.36), 0.8), abs=TOL)


def test_join_adds_a_spell_and_errors_name_the_problem():
    after = change_membership(MEMBERS, country="KAZ", organisation="ots", year=2021, action="join")
    assert "ots" in memberships_in_year(after, "KAZ", 2021)["organisation"].to_list()
    with pytest.raises(OptionError, match="already a member of csto"):
        change_membership(MEMBERS, country="KAZ", organisation="csto", year=2021, action="join")
    with pytest.raises(OptionError, match="not a member of ots in 2021"):
        change_membership(MEMBERS, country="KAZ", organisation="ots", year=2021, action="leave")
    with pytest.raises(OptionError, match="'nato' is not in the memberships table"):
        change_membership(MEMBERS, country="KAZ", organisation="nato", year=2021, action="leave")


def test_neighbour_trade_splits_by_existing_trade_and_route_capacity_adds_in_its_unit():
    out = add_neighbour_trade(TRADE, reporter="KAZ", year=2021, partners=["UZB", "KGZ", "KAZ"], amount_usd=100,
                              flow="both")
    # imports: UZB 100, KGZ 0 → all 50 to UZB; exports: UZB 200 → 50
    assert _value(out, "UZB", "TOTAL", "import") == 150 and _value(out, "KGZ", "TOTAL", "import") == 0
    assert _value(out, "UZB", "TOTAL", "export") == 250
    r = add_route_capacity(routes(), route="r1", add=2.5, unit="Mt/y")
    assert r.filter(pl.col("route_id") == "r1")["capacity"][0] == 12.5
    with pytest.raises(OptionError, match="'r2' has capacity in bbl/d; the option gives Mt/y"):
        add_route_capacity(routes(), route="r2", add=1, unit="Mt/y")
    with pytest.raises(OptionError, match="route 'nope' is not in the routes table"):
        add_route_capacity(routes(), route="nope", add=1, unit="Mt/y")


def test_levels_scale_divisible_options_and_all_or_nothing_refuses_a_mix():
    spec = parse_options({"name": "t", "country": "KAZ", "base_year": 2021, "options": [
        {"id": "half", "type": "supplier_shift", "products": ["MTN:12"], "supplier": "RUS", "share": 1.0,
         "divisible": True, "cost": {"usd_per_usd": 0.1, "basis": "sourced", "source": "test"}},
        {"id": "csto", "type": "membership", "organisation": "csto", "action": "leave",
         "cost": {"usd": 0, "basis": "none", "note": "political cost not modelled"}}]})
    t = apply(tables(), spec.options[0], 0.25)  # a quarter of RUS's 60 → 15 moved
    assert _value(t.trade, "RUS") == pytest.approx(45, abs=TOL)
    with pytest.raises(OptionError, match="csto is all-or-nothing"):
        apply(tables(), spec.options[1], 0.5)
