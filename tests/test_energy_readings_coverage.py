"""The three readings of a gas claim ('from', 'via', 'from or via') under the gas coverage rule: shares only where
dimensions.energy.gas_coverage says ok, over the publisher's total imports (the WLD rows: residual "Other …" partners
included); otherwise levels with the reason. Also: a publisher total with no partner country is 'partial (covers
0 %)', not 'no gas trade'; an unrouted share is never negative.

Hand figures: bp-stats-review-2022-all-data.xlsx (Energy Institute/bp Statistical Review 2022, data year 2021),
sheets 'Gas - Trade movts - pipeline' (row 'China': columns Kazakhstan, Turkmenistan, Uzbekistan, Total imports)
and 'Gas - Trade movts LNG' (row 'China', column Total imports), read here cell by cell.
"""

from __future__ import annotations

import polars as pl
import pytest

from tethers.analysis.dependence import dependence
from tethers.atlas import queries_measures as qm
from tethers.dimensions.energy import energy_section, gas_import_readings

BOOK = "energy/bp-stats-review-2022-all-data.xlsx"


def _row(ws, label: str) -> dict[str, float]:
    """The cells of the row whose first cell is ``label``, keyed by the 'To'/'From' header row's names."""
    rows = list(ws.iter_rows(values_only=True))
    head = next(r for r in rows if r and r[0] in ("To", "To "))
    names = [str(h).strip() if h is not None else "" for h in head]
    (row,) = [r for r in rows if r and isinstance(r[0], str) and r[0].strip() == label]
    return {n: v for n, v in zip(names, row, strict=False) if n and isinstance(v, (int, float))}


@pytest.fixture(scope="module")
def china_2021(shared) -> dict[str, float]:
    import openpyxl

    wb = openpyxl.load_workbook(shared / BOOK, read_only=True, data_only=True)
    pipe = _row(wb["Gas - Trade movts - pipeline"], "China")
    lng = _row(wb["Gas - Trade movts LNG"], "China")
    return {"KAZ": pipe["Kazakhstan"], "TKM": pipe["Turkmenistan"], "UZB": pipe["Uzbekistan"],
            "total": pipe["Total imports"] + lng["Total imports"]}


@pytest.mark.shared
def test_china_2021_readings_over_the_publishers_total(atlas, china_2021):
    """From Kazakhstan 5.92, via Kazakhstan (Turkmen 31.55 + Uzbek 4.28 on the Central Asia–China pipeline) over
    China's total imports 53.24 (pipeline) + 109.47 (LNG) = 162.71 bcm: 3.64 / 22.02 / 25.66 % (over the partner
    countries' 160.28 bcm it was 3.69 / 22.35 / 26.05 %)."""
    h = china_2021
    assert h["total"] == pytest.approx(162.71, abs=0.01)
    want = {"from": h["KAZ"] / h["total"], "via": (h["TKM"] + h["UZB"]) / h["total"],
            "from_or_via": (h["KAZ"] + h["TKM"] + h["UZB"]) / h["total"]}
    assert want["via"] == pytest.approx(0.2202, abs=5e-5)
    own = dependence("CHN", "KAZ", 2021, atlas=atlas).section("energy")
    pole = dependence("KAZ", "CHN", 2021, atlas=atlas).section("energy")
    for k, v in want.items():
        assert own.value(f"gas_own_imports_{k}_share") == pytest.approx(v, rel=1e-6), k
        assert pole.value(f"gas_imports_{k}_share") == pytest.approx(v, rel=1e-6), k
    # the share of China's imports crossing Kazakhstan is the 'via' reading (one denominator)
    assert pole.value("gas_transit_provided_share") == pytest.approx(want["via"], rel=1e-6)
    text = own.metrics.filter(pl.col("metric") == "gas_own_imports_via_share")["text"][0]
    assert "publisher's total" in text and "98.5%" in text


def test_readings_denominator_is_the_wld_total_where_the_rule_holds(atlas):
    """Pack-based: the denominator is China's WLD rows (SQL here), and coverage = partners / that total ≥ 95 %."""
    total = atlas.sql("SELECT sum(volume) AS v FROM energy_flows WHERE exporter = 'WLD' AND importer = 'CHN' "
                      "AND carrier = 'gas' AND year = 2021")["v"][0]
    partners = atlas.sql("SELECT sum(volume) AS v FROM energy_flows WHERE importer = 'CHN' AND exporter <> 'WLD' "
                         "AND carrier = 'gas' AND year = 2021")["v"][0]
    rd, status, why = gas_import_readings(atlas, ["CHN"], "KAZ", 2021, qm.routes(atlas, carriers=("gas",)))
    assert status == "ok" and why == ""
    assert rd["imports"].to_list() == [pytest.approx(total, rel=1e-12)] * 3
    assert rd["partners"][0] == pytest.approx(partners, rel=1e-12)
    assert rd["coverage"][0] == pytest.approx(partners / total, rel=1e-12) and rd["coverage"][0] >= 0.95
    for r in rd.iter_rows(named=True):
        assert r["share"] == pytest.approx(r["volume"] / total, rel=1e-12)


def test_readings_are_levels_where_the_rule_fails(atlas):
    """Türkiye 2021: the publisher books it inside a residual pipeline row (coverage unknown): no shares, levels
    and the reason stay."""
    rd, status, why = gas_import_readings(atlas, ["TUR"], "GEO", 2021, qm.routes(atlas, carriers=("gas",)))
    assert status == "coverage unknown" and "coverage unknown" in why
    assert rd["share"].is_null().all()
    assert rd["partners"][0] > 0


def test_a_publisher_total_without_partners_is_partial_not_no_trade(atlas):
    """Australia 2021: the publisher gives imports (its 'Total imports') but books them all to residual partners."""
    total = atlas.sql("SELECT sum(volume) AS v FROM energy_flows WHERE exporter = 'WLD' AND importer = 'AUS' "
                      "AND carrier = 'gas' AND year = 2021")["v"][0]
    partners = atlas.sql("SELECT count(*) AS n FROM energy_flows WHERE importer = 'AUS' AND exporter <> 'WLD' "
                         "AND carrier = 'gas' AND year = 2021")["n"][0]
    assert total > 0 and partners == 0
    e = energy_section("AUS", "RUS", 2021, atlas=atlas)
    assert "gas imports: partial (covers 0.0 %" in e.reason
    assert "no gas imports" not in e.reason and "no gas trade" not in e.reason
    assert e.value("gas_import_share") is None and e.value("gas_import_volume") is None


def test_unrouted_share_is_never_negative(atlas):
    """Russia 2021 gas exports to the EU: a capacity split's rounding residue gave -2.2e-16 ('-0.0 %')."""
    e = energy_section("RUS", "EU27", 2021, atlas=atlas)
    v = e.value("gas_unrouted_share")
    assert v is not None and v >= 0.0
    assert f"{100 * v:.1f}" == "0.0"
