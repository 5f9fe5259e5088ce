"""Critical products: each criterion on a hand-sized product table, thresholds, persistence, world HHI."""

from __future__ import annotations

import math

import polars as pl
import pytest

from tethers.measures import critical as C

from .conftest import trade_frame

# Hand cases: short decimals.
EXACT = 1e-12


def products(year: int = 2021) -> pl.DataFrame:
    """Four HS6 products imported by KAZ, with the HHI of suppliers and exports noted."""
    parts = [
        # 854231 chips: CHN 80, KOR 20 → HHI 0.68; exports 5 → critical
        trade_frame([("KAZ", year, "import", "CHN", 80.0), ("KAZ", year, "import", "KOR", 20.0),
                     ("KAZ", year, "export", "UZB", 5.0)], classification="HS17", product="854231"),
        # 300490 medicines: DEU 30, RUS 30, IND 40 → HHI 0.34 → not concentrated
        trade_frame([("KAZ", year, "import", "DEU", 30.0), ("KAZ", year, "import", "RUS", 30.0),
                     ("KAZ", year, "import", "IND", 40.0)], classification="HS17", product="300490"),
        # 270900 crude: imports RUS 10 only (HHI 1) but exports 1000 → not a net importer
        trade_frame([("KAZ", year, "import", "RUS", 10.0), ("KAZ", year, "export", "ITA", 1000.0)],
                    classification="HS17", product="270900"),
        # 880240 aircraft: USA 50, no exports → ratio inf, critical
        trade_frame([("KAZ", year, "import", "USA", 50.0)], classification="HS17", product="880240"),
        # the all-goods row is not a product
        trade_frame([("KAZ", year, "import", "RUS", 1e6)]),
    ]
    return pl.concat(parts)


def test_criteria_by_hand():
    out = C.critical_products(products())
    got = {r["product"]: r for r in out.iter_rows(named=True)}
    assert set(got) == {"854231", "300490", "270900", "880240"}
    chips = got["854231"]
    assert (chips["imports"], chips["exports"], chips["n_suppliers"]) == (100.0, 5.0, 2)
    assert chips["hhi"] == pytest.approx(0.68, abs=EXACT)
    assert (chips["top_supplier"], chips["top_share"]) == ("CHN", pytest.approx(0.8, abs=EXACT))
    assert chips["ratio"] == pytest.approx(20.0, abs=EXACT)
    assert got["300490"]["hhi"] == pytest.approx(0.34, abs=EXACT)
    assert got["880240"]["ratio"] == math.inf
    flags = {p: (r["concentrated"], r["net_importer"], r["critical"]) for p, r in got.items()}
    assert flags == {"854231": (True, True, True), "300490": (False, True, False),
                     "270900": (True, False, False), "880240": (True, True, True)}
    # criteria not applied are null
    assert out["dominated"].null_count() == out.height and out["world_concentrated"].null_count() == out.height


def test_thresholds_are_parameters():
    low = {r[0]: r[1] for r in C.critical_products(products(), hhi_threshold=0.3).select("product", "critical").rows()}
    assert low["300490"] is True  # 0.34 > 0.3
    strict = C.critical_products(products(), ratio_threshold=25.0)
    assert dict(strict.select("product", "critical").rows())["854231"] is False  # 100 < 25 × 5
    dom = C.critical_products(products(), top_share_threshold=0.9)
    assert dict(dom.select("product", "critical").rows()) == {
        "854231": False, "300490": False, "270900": False, "880240": True}


def test_persistence_two_of_three_years():
    # chips critical in 2019 and 2021, not in 2020 (exports jump to 500 > imports 100)
    y19, y20, y21 = products(2019), products(2020), products(2021)
    y20 = y20.with_columns(
        value_usd=pl.when((pl.col("product") == "854231") & (pl.col("flow") == "export")).then(500.0)
        .otherwise(pl.col("value_usd"))
    )
    out = C.critical_products(pl.concat([y19, y20, y21])).filter(pl.col("product") == "854231")
    assert dict(out.select("year", "critical").rows()) == {2019: True, 2020: False, 2021: True}
    assert dict(out.select("year", "persistent").rows()) == {2019: False, 2020: False, 2021: True}
    one_year = C.critical_products(pl.concat([y19, y20, y21]), persistence=(1, 1))
    assert (one_year["persistent"] == one_year["critical"]).all()


def test_world_export_hhi_and_criterion():
    # World exports of 854231 (importer-reported mirror): CHN 80 + 60, KOR 20 + 40 → shares 0.7, 0.3 → HHI 0.58.
    world_rows = pl.concat([
        trade_frame([("KAZ", 2021, "import", "CHN", 80.0), ("KAZ", 2021, "import", "KOR", 20.0)],
                    classification="HS17", product="854231"),
        trade_frame([("DEU", 2021, "import", "CHN", 60.0), ("DEU", 2021, "import", "KOR", 40.0)],
                    classification="HS17", product="854231"),
    ])
    w = C.world_export_hhi(world_rows, flow="import")
    assert w["world_hhi"].item() == pytest.approx(0.58, abs=EXACT)
    out = C.critical_products(products(), world=w)
    got = dict(out.select("product", "world_concentrated").rows())
    assert got["854231"] is True
    assert got["880240"] is None  # no world row: unknown, not False
    crit = dict(out.select("product", "critical").rows())
    assert crit["854231"] is True and crit["880240"] is None
    assert C.critical_products(products(), world=w, world_hhi_threshold=0.6).filter(
        pl.col("product") == "854231")["critical"].item() is False
