"""The coverage rule for gas (issue 12): pole shares only where the partner countries cover ≥ 95 % of the
Energy Institute's own total of the country ('Total imports' row, 'Total exports' column: the WLD rows).

Hand figures are read in the publisher's sheets: the 2023 sample (tests/samples/energy_institute, EI 2024)
for the pure computation, bp-stats-review-2022-all-data.xlsx (data year 2021) for the atlas built from the
pack (cells named next to each figure).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tethers.analysis.dependence import dependence
from tethers.dimensions import energy as E
from tethers.dimensions.base import MIN_COVERAGE, standard_poles
from tethers.sources import get_source

SAMPLE_XLSX = "energy_institute/EI-stats-review-2024-gas-trade-sheets.xlsx"
HAND = 5e-5  # the sample's cells to 4 decimals
PUBLISHED = 0.0005  # coverage ratios from 2-decimal cells


def _coverage(flows: pl.DataFrame, country: str, years=(2023, 2023)) -> pl.DataFrame:
    world = flows.filter((pl.col("exporter") == "WLD") | (pl.col("importer") == "WLD"))
    totals = world.filter((pl.col("exporter") == country) | (pl.col("importer") == country)).select(
        "year", "mode", flow=pl.when(pl.col("exporter") == "WLD").then(pl.lit("import")).otherwise(pl.lit("export")),
        volume="volume", unit="unit", source="source")
    partners = flows.filter((pl.col("exporter") != "WLD") & (pl.col("importer") != "WLD"))
    matrices = world.select("year", "mode", "source").unique()
    return E.gas_coverage(partners, totals, matrices, country, years)


@pytest.fixture(scope="module")
def sample_flows(samples) -> pl.DataFrame:
    return pl.from_arrow(get_source("energy_institute").read(samples / SAMPLE_XLSX).tables["energy_flows"])


def _one(cov: pl.DataFrame, part: str) -> dict:
    hit = cov.filter(pl.col("part") == part)
    assert hit.height == 1, part
    return hit.row(0, named=True)


def test_china_2023_imports_cover_99_percent(sample_flows):
    """Pipeline X27 61.3433 (all from countries) + LNG X28 97.8135, of which the residual columns 'Other
    Americas*' E28 0.0019, 'Other Europe*' G28 0.2022, 'Other Africa' Q28 1.2221, 'Other Asia Pacific*' W28 0.0241."""
    c = _one(_coverage(sample_flows, "CHN"), "gas_imports")
    reference = 61.3433 + 97.8135
    listed = reference - (0.0019 + 0.2022 + 1.2221 + 0.0241)
    assert c["reference"] == pytest.approx(reference, abs=HAND)
    assert c["listed"] == pytest.approx(listed, abs=2 * HAND)
    assert c["coverage"] == pytest.approx(listed / reference, abs=1e-6)
    assert c["status"] == "ok" and c["reason"] == ""
    assert "energy_institute" in c["basis"] and "0.9 %" in c["basis"]  # residual share (1.4503 / 159.1568)


def test_singapore_2023_imports_are_partial(sample_flows):
    """Pipeline X29 6.2143 = Indonesia 4.1311 + 'Other Asia Pacific' 2.0832; LNG X33 6.8323 of which residuals
    G33 0.0012, Q33 0.2736, W33 0.0050."""
    c = _one(_coverage(sample_flows, "SGP"), "gas_imports")
    listed = 4.1311 + 6.8323 - (0.0012 + 0.2736 + 0.0050)
    reference = 6.2143 + 6.8323
    assert c["coverage"] == pytest.approx(listed / reference, abs=1e-5)  # 0.8189
    assert c["status"] == "partial"
    assert c["reason"] == "partial (covers 81.9 % of energy_institute's total)"


def test_a_country_whose_whole_trade_is_residual_is_partial_at_zero(sample_flows):
    """Australia's pipeline imports (X26 0.8759) all come from 'Other Asia Pacific': partial 0 %, not 'no data'."""
    c = _one(_coverage(sample_flows, "AUS"), "gas_imports")
    assert c["status"] == "partial" and c["coverage"] == 0.0 and c["reference"] == pytest.approx(0.8759, abs=HAND)


def test_no_total_no_share(sample_flows):
    """Without the publisher's totals (an atlas loaded from partner cells only) the rule says 'coverage unknown'."""
    partners = sample_flows.filter((pl.col("exporter") != "WLD") & (pl.col("importer") != "WLD"))
    empty = sample_flows.head(0)
    totals = empty.select("year", "mode", flow=pl.lit("import"), volume="volume", unit="unit", source="source")
    cov = E.gas_coverage(partners, totals, empty.select("year", "mode", "source"), "CHN", (2023, 2023))
    assert _one(cov, "gas_imports")["status"] == "coverage unknown"


def test_a_country_booked_inside_a_residual_row_is_coverage_unknown(sample_flows):
    """Italy's pipeline total exists in another year (bp 2021's 2020 matrix lists Italy) but the 2023 matrix has
    only an 'EU' row: Italy's total gas imports are unknown, so no share — not 'ok' on its LNG alone."""
    italy_2020 = pl.DataFrame({"year": [2020], "exporter": ["WLD"], "importer": ["ITA"], "carrier": ["gas"],
                               "mode": ["pipeline"], "volume": [50.81], "unit": ["bcm"],
                               "source": ["energy_institute"]}).cast(sample_flows.schema)
    cov = _coverage(pl.concat([sample_flows, italy_2020]), "ITA")
    c = _one(cov, "gas_imports")
    assert c["status"] == "coverage unknown" and c["coverage"] is None
    assert "does not list ITA in its 2023 pipeline matrix" in c["reason"]
    # without the other year's row Italy is simply not a pipeline importer of the matrix: judged on LNG alone
    # (X16 16.33, of which the residual columns G16 0.77 'Other Europe*' and Q16 0.38 'Other Africa' …)
    alone = _one(_coverage(sample_flows, "ITA"), "gas_imports")
    assert alone["status"] != "coverage unknown" and alone["reference"] == pytest.approx(16.33, abs=0.005)


# ---------------------------------------------------------------------------------------------- the built atlas


def _cov(atlas, country: str, year: int) -> dict[str, dict]:
    r = E.DIMENSION.read(atlas, country, (year, year), standard_poles("RUS"))
    return {row["part"]: row for row in r.coverage.iter_rows(named=True)}


def test_kazakhstan_2021_gas_exports_to_china(atlas):
    """bp 2022 pipeline sheet: China ← Kazakhstan K27 5.92; Kazakhstan 'Total exports' K32 10.56 (= China 5.92 +
    Russian Federation 4.64): every flow goes to a listed country, so the share is shown."""
    sec = dependence("KAZ", "CHN", 2021, atlas=atlas).section("energy")
    assert sec.value("gas_export_volume") == pytest.approx(5.92, abs=0.005)
    assert sec.value("gas_export_share") == pytest.approx(5.92 / 10.56, abs=0.001)
    assert _cov(atlas, "KAZ", 2021)["gas_exports"]["status"] == "ok"
    assert "gas_exports: 100.0% (ok)" in sec.coverage and "energy_institute" in sec.basis


def test_china_2021_imports_by_hand(atlas):
    """China 2021: pipeline X27 53.24 = Turkmenistan 31.55 + Russia 7.58 + Kazakhstan 5.92 + Uzbekistan 4.28 +
    Myanmar 3.91; LNG X28 109.47 with residual columns 'Other Americas*' 0.00, 'Other Europe*' 0.47,
    'Other Africa' 1.37, 'Other Asia Pacific*' 0.59 → coverage (162.71 − 2.43) / 162.71 = 98.5 %."""
    c = _cov(atlas, "CHN", 2021)["gas_imports"]
    assert c["status"] == "ok"
    assert c["coverage"] == pytest.approx((53.24 + 109.47 - 2.43) / (53.24 + 109.47), abs=PUBLISHED)
    sec = dependence("CHN", "RUS", 2021, atlas=atlas).section("energy")
    assert sec.value("gas_import_volume") == pytest.approx(7.58 + 6.19, abs=0.01)  # + LNG H28 6.19
    assert sec.value("gas_import_share") == pytest.approx((7.58 + 6.19) / (53.24 + 109.47 - 2.43), abs=0.001)


def test_russia_2021_exports_are_partial(atlas):
    """Russia's pipeline exports L32 201.71, of which only Belarus 18.72, Kazakhstan 2.70 and China 7.58 go to
    listed countries (the 'European Union' row 132.32, 'Rest of Europe' 34.71, 'Other CIS' 5.67 are residual);
    LNG H39 39.61, of which 'Other European Union' 4.40, 'Rest of Europe' 0.01, 'Other Asia Pacific' 0.10 are
    residual → (29.00 + 35.10) / 241.32 = 26.6 %: levels only."""
    c = _cov(atlas, "RUS", 2021)["gas_exports"]
    assert c["status"] == "partial"
    assert c["coverage"] == pytest.approx((18.72 + 2.70 + 7.58 + 39.61 - 4.40 - 0.01 - 0.10) / (201.71 + 39.61),
                                          abs=PUBLISHED)
    assert c["reason"] == "partial (covers 26.6 % of energy_institute's total)"
    assert "73.4 %" in c["basis"]  # the residual share
    sec = dependence("RUS", "CHN", 2021, atlas=atlas).section("energy")
    assert sec.value("gas_export_share") is None
    assert sec.value("gas_export_volume") == pytest.approx(7.58 + 6.19, abs=0.01)
    assert sec.status == "partial" and "26.6 %" in sec.reason


def test_eu_members_and_turkey_after_2020_are_coverage_unknown(atlas):
    """The 2021–2023 pipeline matrices book EU members in one 'European Union'/'EU' row and Turkey in 'Rest of
    Europe'; the 2020 matrix lists both (Italy X15 50.81, Turkey X18 31.81 in bp 2021)."""
    assert _cov(atlas, "TUR", 2020)["gas_imports"]["status"] == "ok"
    for c in ("TUR", "ITA"):
        row = _cov(atlas, c, 2021)["gas_imports"]
        assert row["status"] == "coverage unknown", c
        assert "pipeline matrix" in row["reason"]


def _ok_readings(atlas, year: int):
    codes = atlas.sql("SELECT DISTINCT importer AS c FROM energy_flows WHERE year = ? AND importer <> 'WLD' UNION "
                      "SELECT DISTINCT exporter FROM energy_flows WHERE year = ? AND exporter <> 'WLD'",
                      [year, year])["c"].to_list()
    for c in sorted(codes):
        r = E.DIMENSION.read(atlas, c, (year, year), standard_poles("RUS"))
        yield c, r


def test_pole_shares_sum_to_one_over_the_listed_partners(atlas):
    """Every country with an 'ok' part in 2021: the pole shares add up to 1 and the pole levels add up to the
    partner countries' flows (never the WLD total), computed here by SQL."""
    checked = 0
    for c, r in _ok_readings(atlas, 2021):
        sh = r.shares(E.DIMENSION.parts)
        for part, side, other in (("gas_imports", "importer", "exporter"), ("gas_exports", "exporter", "importer")):
            p = sh.filter(pl.col("part") == part)
            if p.height == 0:
                continue
            listed = atlas.sql(f"SELECT sum(volume) AS v FROM energy_flows WHERE year = 2021 AND carrier = 'gas' "
                               f"AND {side} = ? AND {other} <> 'WLD'", [c])["v"][0]
            assert p["value"].sum() == pytest.approx(listed, rel=1e-12), (c, part)
            if p["status"][0] == "ok":
                assert p["coverage"][0] >= MIN_COVERAGE
                assert p["share"].sum() == pytest.approx(1.0, abs=1e-12), (c, part)
                checked += 1
            else:
                assert p["share"].null_count() == p.height, (c, part)
    assert checked > 30


def _strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


def test_no_output_has_wld_as_a_partner(atlas):
    from tethers.analysis.profile import profile

    outs = [dependence("KAZ", "CHN", 2021, atlas=atlas).to_dict(), dependence("RUS", "EU27", 2021, atlas=atlas).to_dict(),
            profile("CHN", 2021, atlas=atlas).to_dict()]
    for out in outs:
        assert "WLD" not in set(_strings(json.loads(json.dumps(out, default=str))))
    for c, r in _ok_readings(atlas, 2021):
        assert "WLD" not in set(r.values["pole"].to_list()), c


def test_scenario_context_has_no_totals(atlas):
    """The scenario channels read ctx.energy_flows as partner flows (transit: gas demand by importer, third-party
    transit): the engine hands them the partner rows only, and Kazakhstan's gas demand is China + Russia."""
    from tethers.scenario.channels.transit import _gas_demand
    from tethers.scenario.engine import build_context
    from tethers.scenario.spec import load_spec

    spec = load_spec(Path(__file__).resolve().parents[1] / "scenarios" / "eu-2022.yaml")
    ctx = build_context(atlas, spec, "KAZ", 2021)
    f = ctx.energy_flows
    assert f.height and not f.filter((pl.col("exporter") == "WLD") | (pl.col("importer") == "WLD")).height
    year, by = _gas_demand(f, "KAZ", 2021)
    assert year == 2021 and set(by) == {"CHN", "RUS"}
    assert sum(by.values()) == pytest.approx(10.56, abs=0.005)  # K32 of bp 2022's pipeline sheet


def test_report_balance_takes_gas_only_where_the_rule_passes(atlas):
    from tethers.report import views as V

    poles = ["RUS", "CHN", "EU27", "USA", "TUR", "CASIA", "ROW"]
    notes: list[str] = []
    bal, _comp, _src = V._balance(atlas, "RUS", 2021, 2021, poles, None, notes, V._prov(atlas, "balance", "trade", []))
    assert not bal.filter(pl.col("dimension").str.starts_with("gas")).height
    assert "2021 gas exports: partial (covers 26.6 % of energy_institute's total) — not in the balance index." in notes
    bal, _comp, _src = V._balance(atlas, "KAZ", 2021, 2021, poles, None, [], V._prov(atlas, "balance", "trade", []))
    assert bal.filter(pl.col("dimension").str.starts_with("gas")).height == 1
