"""Partner shares, pole shares and HHI: textbook cases, properties, a DuckDB cross-check, real BNS data."""

from __future__ import annotations

import math

import duckdb
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tethers.countries import pole_map
from tethers.measures import trade as T

from .conftest import prop, trade_frame

# Hand-computed cases use short decimal values: only float rounding separates them from the exact result.
EXACT = 1e-12
# SQL and Polars sum the same doubles in different orders: equal up to a few ulps of the total.
SQL_REL = 1e-12
# SOURCE.md quotes the 2021 shares to two decimals of a percent (42.51 %): ±0.005 pp = 5e-5 as a share.
PUBLISHED_2DP = 5e-5
# SOURCE.md gives values in whole thousand USD (±0.5 thousand): ≤ 4e-8 relative on the 2021 figures used.
WHOLE_KUSD_REL = 1e-7
# SOURCE.md quotes the other years to one decimal of a percent (39.3 %): ±0.05 pp = 5e-4 as a share.
PUBLISHED_1DP = 5e-4

# --------------------------------------------------------------------------------------------
# Textbook cases
# --------------------------------------------------------------------------------------------


def test_three_partner_hhi_by_hand():
    # Imports 50 / 30 / 20 → shares 0.5 / 0.3 / 0.2.
    # HHI = 0.25 + 0.09 + 0.04 = 0.38; normalised (0.38 − 1/3) / (1 − 1/3) = 0.04667 / 0.66667 = 0.07.
    t = trade_frame([("KAZ", 2021, "import", "RUS", 50.0), ("KAZ", 2021, "import", "CHN", 30.0),
                     ("KAZ", 2021, "import", "DEU", 20.0)])
    shares = T.partner_shares(t)
    assert shares["partner"].to_list() == ["RUS", "CHN", "DEU"]
    assert shares["share"].to_list() == pytest.approx([0.5, 0.3, 0.2], abs=EXACT)
    h = T.hhi(shares)
    assert h["n"].item() == 3
    assert h["hhi"].item() == pytest.approx(0.38, abs=EXACT)
    assert h["hhi_norm"].item() == pytest.approx(0.07, abs=EXACT)
    c = T.concentration(t, flow="import")
    assert c.select("hhi", "hhi_norm", "top_share").row(0) == pytest.approx((0.38, 0.07, 0.5), abs=EXACT)
    assert c["top_partner"].item() == "RUS"


def test_hhi_with_fixed_n_uses_possible_units():
    # Two of four possible units active (0.5, 0.5): HHI = 0.5; N = 4 → (0.5 − 0.25) / 0.75 = 1/3.
    shares = pl.DataFrame({"pole": ["A", "B", "C", "D"], "share": [0.5, 0.5, 0.0, 0.0]})
    assert T.hhi(shares, unit="pole", n=4, by=[])["hhi_norm"].item() == pytest.approx(1 / 3, abs=EXACT)
    assert T.hhi(shares, unit="pole", by=[])["hhi_norm"].item() == pytest.approx(0.0, abs=EXACT)


def test_zero_total_gives_nan_never_zero():
    t = trade_frame([("KAZ", 2021, "import", "RUS", 0.0), ("KAZ", 2021, "import", "CHN", 0.0)])
    shares = T.partner_shares(t)
    assert all(math.isnan(s) for s in shares["share"])
    assert math.isnan(T.hhi(shares)["hhi"].item())
    c = T.concentration(t, flow="import")
    assert math.isnan(c["hhi"].item()) and math.isnan(c["hhi_norm"].item())
    assert c["top_partner"].item() is None
    p = T.pole_shares(t)
    assert all(math.isnan(s) for s in p["share"])


def test_single_partner_is_fully_concentrated():
    c = T.concentration(trade_frame([("KGZ", 2020, "export", "RUS", 7.0)]))
    assert c.select("n_partners", "hhi", "hhi_norm").row(0) == (1, 1.0, 1.0)


def test_world_aggregate_rows_are_not_partners():
    t = trade_frame([("KAZ", 2021, "import", "RUS", 3.0), ("KAZ", 2021, "import", "CHN", 1.0),
                     ("KAZ", 2021, "import", "WLD", 4.0)])
    shares = T.partner_shares(t)
    assert "WLD" not in shares["partner"].to_list()
    assert shares.filter(pl.col("partner") == "RUS")["share"].item() == pytest.approx(0.75, abs=EXACT)


def test_product_none_keeps_products_apart():
    a = trade_frame([("KAZ", 2021, "import", "CHN", 9.0), ("KAZ", 2021, "import", "RUS", 1.0)],
                    classification="HS17", product="8542")
    b = trade_frame([("KAZ", 2021, "import", "RUS", 5.0)], classification="HS17", product="2710")
    shares = T.partner_shares(pl.concat([a, b]), product=None)
    got = {(r["product"], r["partner"]): r["share"] for r in shares.iter_rows(named=True)}
    assert got == pytest.approx({("8542", "CHN"): 0.9, ("8542", "RUS"): 0.1, ("2710", "RUS"): 1.0}, abs=EXACT)
    by_product = T.concentration(pl.concat([a, b]), by="product")
    assert dict(by_product.select("product", "hhi").iter_rows()) == pytest.approx(
        {"8542": 0.82, "2710": 1.0}, abs=EXACT
    )


# --------------------------------------------------------------------------------------------
# Poles: membership by year
# --------------------------------------------------------------------------------------------


def test_pole_membership_follows_pole_map_row_by_row():
    partners = ["RUS", "CHN", "GBR", "DEU", "HRV", "USA", "TUR", "UZB", "KAZ", "BRA", "XXX"]
    rows = [("KAZ", y, "import", p, float(i + 1)) for y in (2012, 2019, 2020) for i, p in enumerate(partners)]
    rows += [("UZB", 2020, "import", p, 1.0) for p in partners]
    t = trade_frame(rows)
    shares = T.partner_shares(t)
    member = T.pole_membership(shares["year"].unique().to_list())
    tagged = shares.join(member, on=["year", "partner"], how="left")
    for r in tagged.iter_rows(named=True):
        expected = pole_map(r["year"], country=r["reporter"]).get(r["partner"], "ROW")
        got = "ROW" if r["partner"] == r["reporter"] else (r["pole"] or "ROW")
        assert got == expected, r
    # values: GBR 3, DEU 4, HRV 5. The United Kingdom is in EU27 through 2019, Croatia from 2013.
    p = T.pole_shares(t, reporter="KAZ")
    eu = dict(p.filter(pl.col("pole") == "EU27").select("year", "value_usd").iter_rows())
    assert eu == {2012: 3.0 + 4.0, 2019: 3.0 + 4.0 + 5.0, 2020: 4.0 + 5.0}


def test_pole_shares_zero_fill_and_order():
    t = trade_frame([("KAZ", 2021, "export", "CHN", 2.0), ("KAZ", 2021, "export", "BRA", 2.0)])
    p = T.pole_shares(t, flow="export")
    assert p["pole"].to_list() == ["RUS", "CHN", "EU27", "USA", "TUR", "CASIA", "ROW"]
    assert p["share"].to_list() == pytest.approx([0, 0.5, 0, 0, 0, 0, 0.5], abs=EXACT)


def test_reporter_is_never_its_own_pole():
    # Re-imports (partner == reporter) and Central Asia minus the reporter itself.
    t = trade_frame([("KAZ", 2021, "import", "KAZ", 1.0), ("KAZ", 2021, "import", "UZB", 3.0)])
    p = dict(T.pole_shares(t).select("pole", "share").iter_rows())
    assert p["CASIA"] == pytest.approx(0.75, abs=EXACT) and p["ROW"] == pytest.approx(0.25, abs=EXACT)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

PARTNERS = ["RUS", "CHN", "DEU", "FRA", "USA", "TUR", "UZB", "KGZ", "BRA", "IND", "GBR"]
row_strategy = st.tuples(
    st.sampled_from(["KAZ", "UZB", "KGZ"]),
    st.sampled_from([2019, 2020, 2021]),
    st.sampled_from(["import", "export"]),
    st.sampled_from(PARTNERS),
    # money: zero or between a millionth of a dollar and a trillion (no subnormals that scaling flushes to 0)
    st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1e12)),
)
rows_strategy = st.lists(row_strategy, min_size=1, max_size=40)
KEYS = ["reporter", "year", "flow"]


def _positive_keys(shares: pl.DataFrame) -> pl.DataFrame:
    return shares.filter(pl.col("value_usd").sum().over(KEYS) > 0)


@prop
@given(rows_strategy)
def test_shares_sum_to_one_and_stay_in_bounds(rows):
    for fn in (T.partner_shares, T.pole_shares):
        s = _positive_keys(fn(trade_frame(rows), flow=None))
        if s.height == 0:
            continue
        sums = s.group_by(KEYS).agg(pl.col("share").sum())["share"]
        assert all(abs(x - 1.0) < 1e-9 for x in sums)
        assert s["share"].min() >= 0.0 and s["share"].max() <= 1.0 + 1e-12


@prop
@given(rows_strategy, st.floats(min_value=1e-3, max_value=1e6))
def test_invariant_to_currency_units(rows, k):
    t = trade_frame(rows)
    scaled = t.with_columns(pl.col("value_usd") * k)
    for fn in (T.partner_shares, T.pole_shares):
        a = _positive_keys(fn(t, flow=None)).drop("value_usd")
        b = _positive_keys(fn(scaled, flow=None)).drop("value_usd")
        assert a["share"].to_list() == pytest.approx(b["share"].to_list(), rel=1e-9, abs=1e-12)
    ca = T.concentration(t).filter(pl.col("value_usd") > 0)
    cb = T.concentration(scaled).filter(pl.col("value_usd") > 0)
    assert ca["hhi"].to_list() == pytest.approx(cb["hhi"].to_list(), rel=1e-9)
    assert ca["hhi_norm"].to_list() == pytest.approx(cb["hhi_norm"].to_list(), rel=1e-9, abs=1e-12)


@prop
@given(rows_strategy, st.randoms(use_true_random=False))
def test_invariant_to_row_order(rows, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a, b = trade_frame(rows), trade_frame(shuffled)
    for fn in (T.partner_shares, T.pole_shares, T.concentration):
        x, y = fn(a, flow=None), fn(b, flow=None)
        assert x.columns == y.columns
        for col in x.columns:
            if x.schema[col] == pl.Float64:
                assert x[col].to_list() == pytest.approx(y[col].to_list(), rel=1e-12, abs=1e-12, nan_ok=True)
            elif col != "top_partner":  # ties between equal values may pick the same partner either way
                assert x[col].to_list() == y[col].to_list()


@prop
@given(rows_strategy)
def test_hhi_bounds(rows):
    c = T.concentration(trade_frame(rows)).filter(pl.col("value_usd") > 0)
    for n, h, hn in c.select("n_partners", "hhi", "hhi_norm").iter_rows():
        assert 1.0 / n - 1e-12 <= h <= 1.0 + 1e-12
        assert -1e-12 <= hn <= 1.0 + 1e-12


# --------------------------------------------------------------------------------------------
# Cross-check: DuckDB SQL vs the Polars function on the same rows
# --------------------------------------------------------------------------------------------

SQL_SHARES = """
WITH t AS (
  SELECT reporter, year, flow, partner, SUM(value_usd) AS value_usd
  FROM rows WHERE product = 'TOTAL' AND partner <> 'WLD' GROUP BY reporter, year, flow, partner
)
SELECT reporter, year, flow, partner, value_usd,
       value_usd / SUM(value_usd) OVER (PARTITION BY reporter, year, flow) AS share
FROM t ORDER BY reporter, year, flow, partner
"""


def _synthetic_multi_reporter() -> pl.DataFrame:
    return trade_frame(
        [("KAZ", 2021, "import", "RUS", 17.5), ("KAZ", 2021, "import", "CHN", 8.25), ("KAZ", 2021, "import", "WLD", 99.0),
         ("KAZ", 2021, "export", "ITA", 13.0), ("KAZ", 2021, "export", "CHN", 9.0), ("UZB", 2021, "import", "RUS", 3.0),
         ("UZB", 2021, "import", "RUS", 1.0), ("UZB", 2022, "import", "KAZ", 2.0), ("KGZ", 2022, "export", "GBR", 1e9)]
    )


@pytest.mark.parametrize("case", ["bns_2021", "multi_reporter"])
def test_partner_shares_equal_duckdb_sql(case, request):
    rows = request.getfixturevalue("bns_2021") if case == "bns_2021" else _synthetic_multi_reporter()
    sql = duckdb.sql(SQL_SHARES).pl()  # `rows` is found by DuckDB's replacement scan
    ours = T.partner_shares(rows, flow=None).sort(["reporter", "year", "flow", "partner"])
    assert sql.height == ours.height > 0
    assert sql.select("reporter", "flow", "partner").rows() == ours.select("reporter", "flow", "partner").rows()
    assert sql["year"].cast(pl.Int64).to_list() == ours["year"].cast(pl.Int64).to_list()
    assert sql["share"].to_list() == pytest.approx(ours["share"].to_list(), rel=SQL_REL)
    assert sql["value_usd"].to_list() == pytest.approx(ours["value_usd"].to_list(), rel=SQL_REL)


# --------------------------------------------------------------------------------------------
# Real data: Kazakhstan's official trade statistics (BNS)
# --------------------------------------------------------------------------------------------


def test_bns_2021_russia_and_china_import_shares(bns_2021):
    # SOURCE.md (shared/data/trade): Russia 17,605,534 / 41,415,435 thousand USD = 42.51 %; China 19.87 %.
    s = dict(T.partner_shares(bns_2021, reporter="KAZ", year=2021, flow="import").select("partner", "share").rows())
    assert s["RUS"] == pytest.approx(17_605_534 / 41_415_435, rel=WHOLE_KUSD_REL)
    assert s["RUS"] == pytest.approx(0.4251, abs=PUBLISHED_2DP)
    assert s["CHN"] == pytest.approx(0.1987, abs=PUBLISHED_2DP)
    both = T.partner_shares(bns_2021, year=2021)  # default: both flows, each with its own shares
    assert dict(both.group_by("flow").agg(pl.col("share").sum()).rows()) == pytest.approx(
        {"import": 1.0, "export": 1.0}, abs=1e-12)
    total = T.partner_shares(bns_2021, year=2021, flow="import")["value_usd"].sum()
    assert total == pytest.approx(41_415_435_000.0, rel=WHOLE_KUSD_REL)  # the sheet's Всего row, ×1000


def test_bns_2021_pole_shares_are_consistent(bns_2021):
    p = dict(T.pole_shares(bns_2021, year=2021, flow="import").select("pole", "share").rows())
    s = T.partner_shares(bns_2021, year=2021, flow="import")
    eu_members = [iso3 for iso3, pole in pole_map(2021, country="KAZ").items() if pole == "EU27"]
    eu = s.filter(pl.col("partner").is_in(eu_members))
    assert p["RUS"] == pytest.approx(17_605_534 / 41_415_435, rel=WHOLE_KUSD_REL)
    assert p["EU27"] == pytest.approx(eu["share"].sum(), rel=1e-12)
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("year", "published"),
    [(2018, 0.393), (2019, 0.360), (2020, 0.354), (2021, 0.4251), (2022, 0.351), (2023, 0.279)],
)
def test_bns_russia_import_share_all_years(shared, year, published):
    # Figures from shared/data/trade/SOURCE.md ("Headline check"), latest vintage of each year.
    from tethers.sources import get_source

    path = shared / "trade" / "kz_bns_trade_by_partner_2018_2023.csv"
    t = get_source("kz_bns").read(path).tables["trade"]
    s = T.partner_shares(t, year=year, flow="import").filter(pl.col("partner") == "RUS")["share"].item()
    tol = PUBLISHED_2DP if year == 2021 else PUBLISHED_1DP
    assert s == pytest.approx(published, abs=tol)
