"""Markets channel: event study on hand-made and real series, price CSVs, holdings exposure."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from tethers.errors import OptionError, SourceFormatError
from tethers.scenario.channels.markets import (
    CHANNEL,
    event_study,
    exposure,
    fx_series,
    prices_from_csv,
    read_holdings,
)
from tethers.scenario.spec import parse_spec

from .helpers import context

EXACT = 1e-9
PUBLISHED_4DP = 1e-4  # rates published with 2 decimals: the log of their ratio is good to ~1e-4


def _prices(returns: list[float], start=dt.date(2022, 1, 3)) -> pl.DataFrame:
    levels, p = [100.0], 100.0
    for r in returns:
        p *= math.exp(r)
        levels.append(p)
    return pl.DataFrame({"date": [start + dt.timedelta(days=i) for i in range(len(levels))], "price": levels})


def test_constant_mean_hand_case():
    # estimation: 10 returns ±0.01 (mean 0, s² = 10·1e-4/9 = 1.1111e-4); event window 3 returns 0.05, 0.02, −0.01
    # CAR = 0.06; var(CAR) = s²(L + L²/L1) = 1.1111e-4 × (3 + 9/10) = 4.3333e-4; se = 0.0208167; t = 2.88231
    est = [0.01, -0.01] * 5
    df = _prices(est + [0.05, 0.02, -0.01])
    day0 = df["date"][11]  # the 11th return (index 10 among returns) is the first event-window return
    res = event_study(df, event_date=day0, window=(0, 2), estimation=(-10, -1))
    assert res.car == pytest.approx(0.06, abs=EXACT)
    assert res.alpha == pytest.approx(0.0, abs=EXACT)
    assert res.car_se == pytest.approx(0.0208167, abs=1e-7)
    assert res.t == pytest.approx(2.88231, abs=1e-5)
    assert res.ar["ar"].to_list() == pytest.approx([0.05, 0.02, -0.01], abs=EXACT)
    assert res.dof == 9 and res.model == "constant_mean"


def test_market_model_hand_case():
    # r = 0.001 + 2 r_m in the estimation window (exact fit), then a +0.05 abnormal return on day 0
    rm = [0.01, -0.005, 0.002, 0.007, -0.003, 0.004, -0.006, 0.001, 0.003, -0.002, 0.005, 0.0]
    r = [0.001 + 2 * x for x in rm[:10]] + [0.001 + 2 * rm[10] + 0.05, 0.001 + 2 * rm[11]]
    res = event_study(_prices(r), event_date=_prices(r)["date"][11], window=(0, 1), estimation=(-10, -1),
                      market=_prices(rm))
    assert (res.alpha, res.beta) == pytest.approx((0.001, 2.0), abs=1e-9)
    assert res.ar["ar"].to_list() == pytest.approx([0.05, 0.0], abs=1e-9)
    assert res.car == pytest.approx(0.05, abs=1e-9)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"window": (0, 3), "estimation": (-5, 0)}, "must end before"),
        ({"window": (0, 50), "estimation": (-5, -1)}, "not enough observations"),
        ({"window": (0, 1), "estimation": (-500, -1)}, "not enough observations"),
    ],
)
def test_event_study_bad_windows(kw, match):
    df = _prices([0.01] * 30)
    with pytest.raises(OptionError, match=match):
        event_study(df, event_date=df["date"][10], **kw)


def test_kzt_around_the_invasion_nbk(atlas):
    # NBK official USD/KZT: 437.22 on 2022-02-24, 495.0 on 2022-03-01 (published rows, docs/sources/nbk.md).
    # With a constant-mean model, CAR over the returns after day 0 up to 2022-03-01 = ln(495.0/437.22) − L·μ̂.
    kzt = fx_series(atlas.table("fx"), currency="KZT", source="nbk")
    assert kzt.filter(pl.col("date") == dt.date(2022, 2, 24))["price"][0] == pytest.approx(437.22)
    n_after = kzt.filter((pl.col("date") > dt.date(2022, 2, 24)) & (pl.col("date") <= dt.date(2022, 3, 1))).height
    res = event_study(kzt, event_date="2022-02-24", window=(1, n_after), estimation=(-120, -1))
    assert res.ar["date"][-1] == dt.date(2022, 3, 1)
    assert res.car + n_after * res.alpha == pytest.approx(math.log(495.0 / 437.22), abs=EXACT)
    assert res.t > 3  # a tenge fall far outside its normal daily moves


@pytest.mark.shared
def test_rub_around_the_invasion_investing(shared):
    # Investing.com USD/RUB: 84.05 on 2022-02-24 → 143.00 on 2022-03-07 (shared/data/fx/SOURCE.md)
    rub = prices_from_csv(shared / "fx/investing_USD_RUB_daily_2019-04_2024-06.csv")
    n_after = rub.filter((pl.col("date") > dt.date(2022, 2, 24)) & (pl.col("date") <= dt.date(2022, 3, 7))).height
    res = event_study(rub, event_date="2022-02-24", window=(1, n_after), estimation=(-250, -1))
    assert res.ar["date"][-1] == dt.date(2022, 3, 7)
    assert res.car + n_after * res.alpha == pytest.approx(math.log(143.00 / 84.05), abs=PUBLISHED_4DP)
    assert res.t > 3


def test_prices_csv_bad_value_names_file_row_column(tmp_path):
    p = tmp_path / "prices.csv"
    p.write_text("date,close\n2022-01-03,10.5\n2022-01-04,abc\n")
    with pytest.raises(SourceFormatError, match=r"prices\.csv row 3 column 'close': 'abc' is not a valid price"):
        prices_from_csv(p)


def test_exposure_hand_case():
    # A: weight 2, 50 % of revenue from RUS; B: weight 1, 10 %; C: weight 1, none → (2·0.5 + 1·0.1 + 0)/4 = 0.275
    h = pl.DataFrame({"company": ["A", "A", "B", "C"], "weight": [2.0, 2.0, 1.0, 1.0],
                      "partner": ["RUS", "CHN", "RUS", "DEU"], "revenue_share": [0.5, 0.2, 0.1, 1.0]})
    ex = exposure(h, {"RUS"})
    got = dict(zip(ex["company"], ex["exposure"], strict=True))
    assert got == pytest.approx({"A": 0.5, "B": 0.1, "C": 0.0, "PORTFOLIO": 0.275}, abs=EXACT)


def test_holdings_file_and_channel(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("company,weight,partner,revenue_share\nA,2,Russia,0.5\nA,2,CN,0.2\nB,1,RUS,0.1\nC,1,DEU,1\n")
    h = read_holdings(p)
    assert h["partner"].to_list() == ["RUS", "CHN", "RUS", "DEU"]
    spec = parse_spec({"name": "t", "coalition": ["DEU"], "targets": ["RUS"], "start_year": 2022,
                       "measures": [{"type": "financial", "intensity": 0.5}]})
    eff = CHANNEL.run(spec, context([], extra={"holdings": h}), {})
    assert eff.filter(pl.col("detail") == "")["value"][0] == pytest.approx(0.275, abs=EXACT)
    assert CHANNEL.run(spec, context([]), {}).height == 0
    assert "no share prices" in CHANNEL.notes(spec, context([]))[0]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("A,2,Atlantis,0.5", r"h\.csv row 2 column 'partner': unknown country 'Atlantis'"),
        ("A,2,RUS,1.5", r"h\.csv row 2 column 'revenue_share': '1\.5' is not valid"),
        ("A,-1,RUS,0.5", r"h\.csv row 2 column 'weight': '-1' is not valid"),
    ],
)
def test_holdings_bad_rows(tmp_path, line, match):
    p = tmp_path / "h.csv"
    p.write_text("company,weight,partner,revenue_share\n" + line + "\n")
    with pytest.raises(SourceFormatError, match=match):
        read_holdings(p)
