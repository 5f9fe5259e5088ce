"""Bad options to the measures: one table of cases, each with its error type and message."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tethers.errors import OptionError, UnknownCountryError
from tethers.measures import alignment, balance, critical, fx, security, trade, transit

from .conftest import trade_frame

TRADE = trade_frame([("KAZ", 2021, "import", "RUS", 1.0)])
SHARES = pl.DataFrame({"reporter": ["KAZ"], "pole": ["RUS"], "share": [1.0]})
VOTES = pl.DataFrame({"rcid": ["1"], "date": [dt.date(2021, 1, 1)], "session": [76], "country": ["KAZ"],
                      "vote": ["yes"]})
FX = pl.DataFrame({"date": [dt.date(2021, 1, 1)], "currency": ["KZT"], "per_usd": [420.0]})
EMPTY_ROUTES = pl.DataFrame(schema={"route_id": pl.Utf8, "carrier": pl.Utf8, "countries": pl.Utf8,
                                    "capacity": pl.Float64, "start_year": pl.Int32})

CASES = [
    ("flow_typo", lambda: trade.partner_shares(TRADE, flow="imports"), OptionError,
     r"flow='imports' is not allowed; choose one of: 'import', 'export'"),
    ("concentration_by", lambda: trade.concentration(TRADE, by="partner"), OptionError,
     r"by='partner' is not allowed; choose one of: 'total', 'product'"),
    ("unknown_pole", lambda: trade.pole_shares(TRADE, poles=("RUS", "Atlantis")), UnknownCountryError,
     r"unknown country 'Atlantis'"),
    ("row_choice", lambda: balance.balance_index(SHARES, row="include"), OptionError,
     r"row='include' is not allowed; choose one of: 'exclude', 'pole'"),
    ("too_few_poles", lambda: balance.balance_index(SHARES, poles=("RUS",)), OptionError,
     r"needs at least 2 poles, got \['RUS'\]"),
    ("decompose_index", lambda: balance.decompose_change(SHARES, start=1, end=2, index="gini"), OptionError,
     r"index='gini' is not allowed; choose one of: 'hhi', 'entropy'"),
    ("negative_weight", lambda: balance.composite(SHARES.with_columns(dimension=pl.lit("x")), weights={"x": -1.0},
                                                  index="share"), OptionError, r"weights must be ≥ 0"),
    ("vote_period", lambda: alignment.agreement(VOTES, period="month"), OptionError,
     r"period='month' is not allowed; choose one of: 'year', 'session'"),
    ("persistence", lambda: critical.critical_products(TRADE, persistence=(3, 2)), OptionError,
     r"persistence=\(m, w\) needs 1 ≤ m ≤ w, got \(3, 2\)"),
    ("world_flow", lambda: critical.world_export_hhi(TRADE, flow="both"), OptionError,
     r"flow='both' is not allowed; choose one of: 'export', 'import'"),
    ("fx_window", lambda: fx.rolling_beta(FX, currency="KZT", on="RUB", window=1), OptionError,
     r"window must be ≥ 2 observations, got 1"),
    ("arms_by", lambda: security.arms_imports(TRADE, by="supplier"), OptionError,
     r"by='supplier' is not allowed; choose one of: 'partner', 'pole'"),
    ("transit_weights", lambda: transit.route_allocation(TRADE, EMPTY_ROUTES, weights="length"), OptionError,
     r"weights='length' is not allowed; choose one of: 'capacity', 'equal'"),
]


@pytest.mark.parametrize(("call", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_option_raises_with_message(call, error, match):
    with pytest.raises(error, match=match):
        call()
