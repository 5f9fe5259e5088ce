"""Dependence, balance over time, critical products and compare, on the atlas built from the shipped pack.

Every figure is checked against a published value or an independent computation (plain SQL / Python /
numpy on the atlas rows or on the raw shared files), never against the program's own output.

References
----------
* BNS, "Main indicators of foreign trade by country", 2022 release, sheet 2021 (shared/data/trade/SOURCE.md,
  tidy copy ``kz_bns_trade_by_partner_2018_2023.csv``): Russia 42.5096 % of Kazakhstan's imports and
  11.63565 % of its exports; China 19.86809 % of imports; the aggregate "Страны ЕС" (EU countries)
  14.40033 % of imports and 39.96834 % of exports — which in that workbook still includes the United
  Kingdom (0.74592 % of imports, 1.41753 % of exports), so EU27 = "Страны ЕС" − GBR.
* Memberships: Kazakhstan a founding member of the EAEU (in force 1 Jan 2015) and a CSTO member
  (Collective Security Treaty in force 20 Apr 1994), as is Russia; Uzbekistan left the CSTO in 2012.
* Security ties: Baikonur lease agreement of 10 Dec 1994 (hand-kept table, cited row).
"""

from __future__ import annotations

import csv
import gzip
import math

import numpy as np
import polars as pl
import pytest

from tethers import countries
from tethers.analysis.balance import DIMENSIONS, balance_over_time
from tethers.analysis.dependence import compare, critical_dependencies, dependence
from tethers.errors import OptionError, UnknownCountryError

PUBLISHED_PCT = 5e-7  # BNS prints shares in % with up to 5 decimals (42.5096 has 4): ±5e-7 as a fraction
EXACT = 1e-12  # same arithmetic on the same rows, other order of summation
NUMPY = 1e-10  # numpy vs Polars rolling moments on 36 returns


@pytest.fixture(scope="module")
def kaz_rus(atlas_path):
    from tethers.atlas.store import Atlas

    with Atlas(atlas_path) as a:
        return dependence("KAZ", "RUS", 2021, atlas=a)


@pytest.fixture(scope="module")
def kaz_balance(atlas_path):
    from tethers.atlas.store import Atlas

    with Atlas(atlas_path) as a:
        return balance_over_time("KAZ", 2000, 2022, atlas=a)


# ---------------------------------------------------------------------------------------------- trade


@pytest.mark.parametrize(
    ("on", "flow", "published_pct"),
    [("RUS", "import", 42.5096), ("RUS", "export", 11.63565), ("CHN", "import", 19.86809), ("CHN", "export", 16.20083)],
)
def test_trade_shares_match_bns(atlas, on, flow, published_pct):
    d = dependence("KAZ", on, 2021, atlas=atlas)
    assert d.section("trade").status == "ok"
    assert d.section("trade").value(f"{flow}_share") == pytest.approx(published_pct / 100, abs=PUBLISHED_PCT)


@pytest.mark.parametrize(("flow", "eu_pct", "gbr_pct"), [("import", 14.40033, 0.74592), ("export", 39.96834, 1.41753)])
def test_eu27_share_is_bns_eu_aggregate_without_the_uk(atlas, flow, eu_pct, gbr_pct):
    """BNS's 2021 'EU countries' row still counts the UK; the EU27 pole (members as of 2021) must not."""
    d = dependence("KAZ", "EU27", 2021, atlas=atlas)
    assert "GBR" not in d.members and len(d.members) == 27
    assert d.section("trade").value(f"{flow}_share") == pytest.approx((eu_pct - gbr_pct) / 100, abs=2 * PUBLISHED_PCT)


def test_partner_concentration_equals_sql(kaz_rus, atlas):
    hhi = atlas.sql(
        "WITH t AS (SELECT value_usd / sum(value_usd) OVER () AS s FROM trade "
        "WHERE source = 'kz_bns' AND year = 2021 AND flow = 'import' AND partner <> 'WLD') SELECT sum(s * s) AS h FROM t"
    )["h"][0]
    assert kaz_rus.section("trade").value("import_hhi") == pytest.approx(hhi, abs=EXACT)
    assert kaz_rus.section("trade").text("import_top_partner") == "RUS"
    assert kaz_rus.section("trade").value("import_rank") == 1


def test_partial_extracts_are_not_turned_into_shares(atlas):
    """Eurostat gives Germany's trade with six partners only: no 'share of Germany's exports to Russia'."""
    d = dependence("DEU", "RUS", 2021, atlas=atlas)
    s = d.section("trade")
    assert s.status == "coverage unknown"  # no world total to check the six partners against (the coverage rule)
    assert "coverage unknown" in s.reason and s.value("export_share") is None
    assert s.value("export_usd") is not None  # the level is shown, labelled


def test_mirror_totals_are_levels_labelled_mirror(atlas):
    """Uzbekistan reports nothing; its imports from the EU appear only as EU members report their exports."""
    d = dependence("UZB", "EU27", 2021, atlas=atlas)
    s = d.section("trade")
    assert s.status == "coverage unknown" and "mirror" in s.reason and "no shares" in s.reason
    assert s.value("import_share") is None
    members = sorted(countries.eu_members(2021))
    sql = atlas.sql(
        "SELECT sum(value_usd) AS v FROM trade WHERE partner = 'UZB' AND year = 2021 AND flow = 'export' "
        "AND classification = 'TOTAL' AND list_contains(?, reporter)", [members])["v"][0]
    assert s.value("mirror_import_usd") == pytest.approx(sql, rel=EXACT)
    assert set(s.detail["basis"]) == {"mirror"}


# ---------------------------------------------------------------------------------------------- critical


def test_critical_kaz_2021_says_what_the_atlas_lacks(atlas):
    cp = critical_dependencies("KAZ", 2021, atlas=atlas)
    assert "no Kazakhstan (KAZ) imports by detailed product (HS6)" in cp.coverage
    groups = atlas.sql("SELECT DISTINCT classification, product FROM trade WHERE reporter = 'KAZ' AND year = 2021 "
                       "AND flow = 'import' AND classification <> 'TOTAL'").rows()
    assert sorted(cp.products.select("classification", "product").rows()) == sorted(groups) == [("MTN", "12")]
    row = cp.products.row(0, named=True)
    sums = atlas.sql(
        "SELECT sum(value_usd) FILTER (WHERE reporter = 'KAZ') AS m, "
        "sum(value_usd) FILTER (WHERE reporter = 'KAZ' AND partner = 'RUS') AS m_rus, "
        "sum(value_usd) FILTER (WHERE partner = 'KAZ') AS x_mirror "
        "FROM trade WHERE source = 'wto' AND classification = 'MTN' AND product = '12' AND year = 2021 AND flow = 'import'"
    ).row(0, named=True)
    assert row["imports"] == pytest.approx(sums["m"], rel=EXACT)
    assert (row["top_supplier"], row["top_share"]) == ("RUS", pytest.approx(sums["m_rus"] / sums["m"], rel=EXACT))
    assert row["exports_basis"] == "mirror" and row["exports"] == pytest.approx(sums["x_mirror"], rel=EXACT)
    # concentrated (HHI > 0.4) but Kazakhstan exports more minerals and metals than it imports → not critical
    assert row["hhi"] > 0.4 and row["concentrated"] and row["net_importer"] is False and row["critical"] is False


def test_critical_without_product_imports_lists_nothing(atlas):
    cp = critical_dependencies("UZB", 2021, atlas=atlas)
    assert cp.products.height == 0 and cp.suppliers.height == 0
    assert "no product-level imports reported by Uzbekistan (UZB)" in cp.coverage


def test_unknown_exports_stay_unknown(atlas):
    """Kyrgyzstan's 2014 arms imports: no export rows, no mirror rows in 2012–2014 → net importer unknown."""
    cp = critical_dependencies("KGZ", 2014, atlas=atlas)
    arms = cp.products.filter(pl.col("product") == "93").row(0, named=True)
    assert arms["exports_basis"] == "unknown" and arms["exports"] is None and arms["net_importer"] is None
    # HHI ≤ 0.4 already fails criterion 1, so the verdict is known: not critical (false ∧ unknown = false)
    assert arms["hhi"] <= 0.4 and arms["critical"] is False


def test_user_loaded_product_imports(atlas_path, tmp_path, samples):
    """A Comtrade file adds HS6 rows; a product imported only 'from World' is never assessed or invented."""
    from tethers.atlas.store import Atlas, add_file

    mine = tmp_path / "atlas.duckdb"
    mine.write_bytes(atlas_path.read_bytes())
    add_file("comtrade", samples / "comtrade" / "comtrade_legacy_H5_871200_2017_world_excerpt.csv", mine)
    with Atlas(mine) as a:
        cp = critical_dependencies("AUS", 2017, atlas=a)
        hs93 = a.sql("SELECT partner, value_usd FROM trade WHERE source = 'wto' AND reporter = 'AUS' AND year = 2017 "
                     "AND product = '93' ORDER BY value_usd DESC")
    assert "871200" not in cp.products["product"].to_list()
    assert any("871200" in n and "world total" in n for n in cp.notes)
    arms = cp.products.filter(pl.col("product") == "93").row(0, named=True)
    s = hs93["value_usd"] / hs93["value_usd"].sum()
    assert arms["top_supplier"] == hs93["partner"][0] == "USA"
    assert arms["hhi"] == pytest.approx(float((s**2).sum()), rel=1e-12)
    assert arms["critical"] is (arms["hhi"] > 0.4 and arms["imports"] > arms["exports"])


# ---------------------------------------------------------------------------------------------- energy


def test_gas_shares_equal_sql(kaz_rus, atlas):
    q = atlas.sql(
        "SELECT sum(volume) FILTER (WHERE importer = 'KAZ' AND exporter = 'RUS') / "
        "sum(volume) FILTER (WHERE importer = 'KAZ') AS imp, "
        "sum(volume) FILTER (WHERE exporter = 'KAZ' AND importer = 'RUS') / sum(volume) FILTER (WHERE exporter = 'KAZ') AS exp "
        "FROM energy_flows WHERE year = 2021 AND carrier = 'gas' AND exporter <> 'WLD' AND importer <> 'WLD'"
    ).row(0, named=True)
    e = kaz_rus.section("energy")
    assert e.value("gas_import_share") == pytest.approx(q["imp"], abs=EXACT)
    assert e.value("gas_export_share") == pytest.approx(q["exp"], abs=EXACT)


def test_oil_transit_by_hand(kaz_rus, atlas):
    """Crude to China and Russia has a direct route (destination excluded); every other destination uses all
    outlets in proportion to capacity, of which CPC and Atyrau–Samara cross Russia."""
    routes = atlas.sql("SELECT countries, capacity FROM routes WHERE source = 'handkept' AND carrier = 'oil' "
                       "AND status = 'operating' AND list_contains(string_split(countries, ';'), 'KAZ')")
    via_rus = sum(c for k, c in routes.rows() if "RUS" in k.split(";")) / routes["capacity"].sum()
    oil = atlas.sql("SELECT partner, value_usd FROM trade WHERE source = 'baci' AND year = 2021 AND product = '270900' "
                    "AND partner <> 'WLD'")
    direct = oil.filter(pl.col("partner").is_in(["RUS", "CHN"]))["value_usd"].sum()
    expected = (oil["value_usd"].sum() - direct) / oil["value_usd"].sum() * via_rus
    assert kaz_rus.section("energy").value("oil_transit_share") == pytest.approx(expected, rel=1e-12)


def test_kazakh_gas_to_china_does_not_transit_central_asia(atlas):
    """Turkmenistan and Uzbekistan are upstream of Kazakhstan on the Central Asia–China pipeline: Kazakh gas
    does not cross them (routes list their countries in the direction of flow)."""
    from tethers.measures.transit import transit_shares

    d = dependence("KAZ", "CASIA", 2021, atlas=atlas)
    assert d.section("energy").value("gas_transit_share") == 0.0
    flows = atlas.sql("SELECT * FROM energy_flows WHERE exporter = 'KAZ' AND year = 2021 AND carrier = 'gas' "
                      "AND importer <> 'WLD'")
    routes = atlas.sql("SELECT * FROM routes WHERE source = 'handkept' AND carrier = 'gas' AND status = 'operating'")
    assert "TKM;UZB;KAZ;CHN" in routes["countries"].str.replace_all(" ", "").to_list()
    shares = dict(transit_shares(flows, routes, poles=["CASIA"]).select("pole", "share").rows())
    assert shares["CASIA"] == 0.0
    unordered = dict(transit_shares(flows, routes, poles=["CASIA"], ordered=False).select("pole", "share").rows())
    assert unordered["CASIA"] > 0  # what treating a route as an unordered set of countries would claim


# ---------------------------------------------------------------------------------------------- institutions, security


def test_kaz_and_rus_share_csto_and_eaeu(kaz_rus):
    inst = kaz_rus.section("institutions")
    assert {"csto", "eaeu"} <= set(inst.text("shared_current").split(", "))
    sec = kaz_rus.section("security")
    assert "csto" in sec.text("shared_alliances").split(", ")


def test_uzbekistan_left_the_csto(atlas):
    sec = dependence("UZB", "RUS", 2021, atlas=atlas).section("security")
    assert "csto" not in (sec.text("shared_alliances") or "").split(", ")


def test_baikonur_lease_and_active_ties(kaz_rus, atlas):
    sec = kaz_rus.section("security")
    assert "Baikonur Cosmodrome lease" in sec.text("ties_active")
    n = atlas.sql("SELECT count(*) AS n FROM security_ties WHERE country = 'KAZ' AND partner = 'RUS' "
                  "AND year(start_date) <= 2021 AND (end_date IS NULL OR year(end_date) >= 2021)")["n"][0]
    assert sec.value("ties_active") == n
    # the January 2022 CSTO deployment is not active in 2021
    assert "CSTO Collective Peacekeeping" not in sec.text("ties_active")


def test_arms_without_data_say_why(kaz_rus):
    sec = kaz_rus.section("security")
    assert sec.status == "partial" and "no HS 93 arms imports reported by KAZ" in sec.reason
    assert sec.value("arms_import_share") is None


def test_arms_share_equals_sql(atlas):
    d = dependence("KGZ", "RUS", 2014, atlas=atlas)
    q = atlas.sql("SELECT sum(value_usd) FILTER (WHERE partner = 'RUS') / sum(value_usd) AS s FROM trade "
                  "WHERE source = 'wto' AND reporter = 'KGZ' AND year = 2014 AND product = '93'")["s"][0]
    assert d.section("security").value("arms_import_share") == pytest.approx(q, abs=EXACT)


# ---------------------------------------------------------------------------------------------- votes


def _agreement(pairs: list[tuple[float, float]]) -> float:
    return 1 - sum(abs(a - b) for a, b in pairs) / len(pairs)


def test_agreement_equals_plain_python_on_atlas_rows(kaz_rus, atlas):
    rows = atlas.sql("SELECT rcid, country, vote FROM votes WHERE year(date) = 2021 AND country IN ('KAZ', 'RUS') "
                     "AND vote <> 'absent'")
    code = {"yes": 1.0, "abstain": 0.5, "no": 0.0}
    by = {c: {r["rcid"]: code[r["vote"]] for r in rows.iter_rows(named=True) if r["country"] == c} for c in ("KAZ", "RUS")}
    common = sorted(set(by["KAZ"]) & set(by["RUS"]))
    v = kaz_rus.section("votes")
    assert v.value("roll_calls") == len(common)
    assert v.value("agreement") == pytest.approx(_agreement([(by["KAZ"][k], by["RUS"][k]) for k in common]), abs=EXACT)


@pytest.mark.shared
def test_agreement_2019_equals_the_raw_unvotes_file(atlas, shared):
    """Voeten's data as shipped by the unvotes package: Kazakhstan ('KZ') and Russia ('RU'), roll calls of 2019."""
    with open(shared / "unvotes" / "unvotes_pkg_un_roll_calls.csv", newline="", encoding="utf-8") as fh:
        in_2019 = {r["rcid"] for r in csv.DictReader(fh) if r["date"].startswith("2019")}
    code, by = {"yes": 1.0, "abstain": 0.5, "no": 0.0}, {"KZ": {}, "RU": {}}
    with gzip.open(shared / "unvotes" / "unvotes_pkg_un_votes.csv.gz", "rt", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["rcid"] in in_2019 and r["country_code"] in by:
                by[r["country_code"]][r["rcid"]] = code[r["vote"]]
    common = set(by["KZ"]) & set(by["RU"])
    v = dependence("KAZ", "RUS", 2019, atlas=atlas).section("votes")
    assert v.value("roll_calls") == len(common) > 50
    assert v.value("agreement") == pytest.approx(_agreement([(by["KZ"][k], by["RU"][k]) for k in common]), abs=EXACT)


@pytest.mark.shared
def test_agreement_2021_equals_the_raw_undl_scrape(kaz_rus, shared):
    """General Assembly rows of the UN Digital Library scrape; one roll call appears on two records (A/76/L.14,
    same date, title and votes) and counts once."""
    code, seen = {"Y": 1.0, "A": 0.5, "N": 0.0}, {}
    with open(shared / "unvotes" / "undl_scrape_ga_sc_votes_wide_1946_2021.csv", newline="", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            k, ru = r["KAZAKHSTAN"] or r.get("TKAZAKHSTAN", ""), r["RUSSIAN FEDERATION"]
            if r["Council"] == "General Assembly" and r["Date"].startswith("2021") and k in code and ru in code:
                seen[(r["Date"], r["Resolution"], r["Title"], k, ru)] = (code[k], code[ru])
    v = kaz_rus.section("votes")
    assert v.value("roll_calls") == len(seen)
    assert v.value("agreement") == pytest.approx(_agreement(list(seen.values())), abs=EXACT)


# ---------------------------------------------------------------------------------------------- fx


def _numpy_corr_beta(kzt: np.ndarray, rub: np.ndarray) -> tuple[float, float]:
    ry, rx = np.diff(np.log(kzt)), np.diff(np.log(rub))
    c = np.cov(ry, rx, ddof=1)
    return float(np.corrcoef(ry, rx)[0, 1]), float(c[0, 1] / c[1, 1])


def test_fx_equals_numpy_on_the_fx_rows(kaz_rus, atlas):
    w = 36
    rates = atlas.sql(
        "SELECT k.date, k.per_usd AS kzt, r.per_usd AS rub FROM fx k JOIN fx r ON k.date = r.date AND k.source = r.source "
        "WHERE k.source = 'cbr' AND k.currency = 'KZT' AND r.currency = 'RUB' AND k.date <= DATE '2021-12-31' "
        "ORDER BY k.date DESC LIMIT ?", [w + 1]).sort("date")
    corr, beta = _numpy_corr_beta(rates["kzt"].to_numpy(), rates["rub"].to_numpy())
    fx = kaz_rus.section("fx")
    assert fx.value("returns") == w
    assert fx.value("corr") == pytest.approx(corr, abs=NUMPY)
    assert fx.value("beta") == pytest.approx(beta, abs=NUMPY)
    assert 0 < corr < 1 and 0 < beta < 1  # the tenge follows the rouble partly, the dollar takes the rest


@pytest.mark.shared
def test_fx_equals_numpy_on_the_raw_cbr_file(kaz_rus, shared):
    """The CBR compilation quotes roubles per unit: KZT per USD = USD/KZT, RUB per USD = USD."""
    with open(shared / "fx" / "cbr_monthly_rub_per_unit_USD_EUR_KZT_UAH_BYR_2005_2022.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r[""] <= "2021-12"][-37:]
    usd = np.array([float(r["USD"]) for r in rows])
    corr, beta = _numpy_corr_beta(usd / np.array([float(r["KZT"]) for r in rows]), usd)
    assert kaz_rus.section("fx").value("corr") == pytest.approx(corr, abs=1e-9)
    assert kaz_rus.section("fx").value("beta") == pytest.approx(beta, abs=1e-9)


@pytest.mark.parametrize(("on", "status", "words"), [("USA", "n/a", "numeraire"), ("CHN", "no data", "no CNY rates")])
def test_fx_without_a_return_pair(atlas, on, status, words):
    fx = dependence("KAZ", on, 2021, atlas=atlas).section("fx")
    assert fx.status == status and words in fx.reason and fx.metrics.height == 0


# ---------------------------------------------------------------------------------------------- results


def test_every_section_has_definition_and_sources(kaz_rus):
    tidy = kaz_rus.tidy()
    assert tidy["sections"]["dimension"].to_list() == ["trade", "critical", "energy", "institutions", "security",
                                                       "votes", "fx"]
    assert tidy["sections"]["definition"].str.len_chars().min() > 40
    with_data = tidy["sections"].filter(pl.col("status").is_in(["ok", "partial"]))["dimension"]
    assert set(with_data) <= set(tidy["sources"]["dimension"])
    assert tidy["sources"]["licence"].str.len_chars().min() > 0


def test_a_year_without_data_fabricates_nothing(atlas):
    d = dependence("KAZ", "RUS", 1985, atlas=atlas)  # before Kazakhstan's independence: no source has it
    for dim in ("trade", "critical", "energy", "fx"):
        s = d.section(dim)
        assert s.status in ("no data", "n/a") and s.reason and s.metrics.height == 0, dim


def test_to_dict_is_json_without_nan(kaz_rus):
    import json

    text = json.dumps(kaz_rus.to_dict(), default=str, allow_nan=False)
    assert json.loads(text)["sections"][0]["metrics"][0]["metric"] == "import_share"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda a: dependence("Atlantis", "RUS", 2021, atlas=a), UnknownCountryError, "'Atlantis'"),
        (lambda a: dependence("KAZ", "XYZ", 2021, atlas=a), OptionError, "unknown pole 'XYZ'"),
        (lambda a: dependence("KAZ", "ROW", 2021, atlas=a), OptionError, "ROW is the residual"),
        (lambda a: dependence("RUS", "RUS", 2021, atlas=a), OptionError, "the same"),
        (lambda a: balance_over_time("KAZ", 2022, 2000, atlas=a), OptionError, "--from 2022 is after --to 2000"),
        (lambda a: balance_over_time("KAZ", 2000, 2022, atlas=a, poles="RUS"), OptionError, "at least two poles"),
        (lambda a: balance_over_time("KAZ", 2000, 2022, atlas=a, poles="RUS,MARS"), OptionError, "unknown pole"),
        (lambda a: balance_over_time("KAZ", 2000, 2022, atlas=a, weights=["tarde=2"]), OptionError, "'tarde'"),
        (lambda a: balance_over_time("KAZ", 2000, 2022, atlas=a, weights=["imports=-1"]), OptionError, "≥ 0"),
        (lambda a: compare(["KAZ", "KZ"], 2021, atlas=a), OptionError, "two different countries"),
    ],
)
def test_bad_inputs(atlas, call, error, match):
    with pytest.raises(error, match=match):
        call(atlas)


# ---------------------------------------------------------------------------------------------- balance


def test_balance_is_in_unit_interval_and_gaps_are_null(kaz_balance, atlas):
    b = kaz_balance.by_dimension
    assert b.height == len(DIMENSIONS) * 23
    vals = b["balance"].drop_nulls()
    assert vals.is_between(0, 1).all() and not vals.is_nan().any()
    imports = b.filter(pl.col("dimension") == "imports").sort("year")
    # a year has an index exactly where some source gives Kazakhstan's imports with a world row (kz_bns 2018–2023,
    # IMF DOTS to 2020); other years are gaps, never 0
    world = set(atlas.sql("SELECT DISTINCT year FROM trade WHERE reporter = 'KAZ' AND partner = 'WLD' "
                          "AND flow = 'import' AND classification = 'TOTAL'")["year"].to_list())
    for r in imports.iter_rows(named=True):
        assert (r["balance"] is not None) == (r["year"] in world), r["year"]
    assert imports.filter(pl.col("year") >= 2018)["balance"].null_count() == 0
    assert b.filter(pl.col("dimension") == "arms_imports")["balance"].null_count() == 23


def test_balance_of_imports_2021_by_hand(kaz_balance, atlas):
    """B = K/(K−1)·(1 − Σ s²) over the six poles' import totals from the raw BNS rows (ROW left out)."""
    rows = atlas.sql("SELECT partner, value_usd FROM trade WHERE source = 'kz_bns' AND year = 2021 AND flow = 'import' "
                     "AND partner <> 'WLD'")  # the bureau's world row is the total, not a partner
    pm = countries.pole_map(2021, country="KAZ")
    totals: dict[str, float] = {}
    for r in rows.iter_rows(named=True):
        pole = pm.get(r["partner"])
        if pole:
            totals[pole] = totals.get(pole, 0.0) + r["value_usd"]
    assert len(totals) == 6
    s = [v / sum(totals.values()) for v in totals.values()]
    expected = 6 / 5 * (1 - sum(x * x for x in s))
    got = kaz_balance.by_dimension.filter((pl.col("dimension") == "imports") & (pl.col("year") == 2021))
    assert got["balance"][0] == pytest.approx(expected, abs=EXACT)
    assert got["row_share"][0] == pytest.approx(1 - sum(totals.values()) / rows["value_usd"].sum(), abs=EXACT)


def test_security_ties_balance_is_zero_with_one_pole_and_a_gap_before_any_tie(atlas):
    b = balance_over_time("KAZ", 1990, 2022, atlas=atlas).by_dimension.filter(pl.col("dimension") == "security_ties")
    by_year = dict(zip(b["year"].to_list(), b["balance"].to_list(), strict=True))
    assert by_year[1993] is None  # no tie yet: undefined, a gap
    assert by_year[2021] == 0.0  # every active tie is Russian: one pole has all
    assert 0 < by_year[2022] < 1  # the CSTO deployment of January 2022 had five contributors


def test_composite_is_the_weighted_mean_of_present_dimensions(kaz_balance, atlas):
    for bal in (kaz_balance, balance_over_time("KAZ", 2000, 2022, atlas=atlas, weights=["imports=3", "un_votes=0"])):
        for year in (2005, 2021):
            present = bal.by_dimension.filter((pl.col("year") == year) & pl.col("balance").is_not_null())
            w = present["dimension"].replace_strict(bal.weights, return_dtype=pl.Float64)
            comp = bal.composite.filter(pl.col("year") == year).row(0, named=True)
            assert comp["weight_covered"] == pytest.approx(float(w.sum()) / sum(bal.weights.values()), abs=EXACT)
            assert comp["n_dimensions"] == present.filter(w > 0).height
            if {"imports", "exports"} <= set(present["dimension"]):
                assert comp["status"] == "ok"
                assert comp["balance"] == pytest.approx(float((w * present["balance"]).sum() / w.sum()), abs=EXACT)
            else:  # 2005: no Kazakh trade in the atlas, so no composite (the core dimensions are missing)
                assert year == 2005 and comp["status"] == "insufficient" and comp["balance"] is None


def test_decomposition_adds_up_to_the_change(kaz_balance):
    b = kaz_balance.by_dimension
    for (dim, start, end), part in kaz_balance.decomposition.group_by(["dimension", "start", "end"]):
        b0 = b.filter((pl.col("dimension") == dim) & (pl.col("year") == start))["balance"][0]
        b1 = b.filter((pl.col("dimension") == dim) & (pl.col("year") == end))["balance"][0]
        assert part["contribution"].sum() == pytest.approx(b1 - b0, abs=1e-12)
        assert part["share_end"].sum() == pytest.approx(1.0, abs=1e-12)
    movers = kaz_balance.movers().filter(pl.col("dimension") == "exports").row(0, named=True)
    ex = kaz_balance.decomposition.filter(pl.col("dimension") == "exports")
    assert movers["gained"] == ex.sort("delta_share")["pole"][-1]
    assert movers["lost"] == ex.sort("delta_share")["pole"][0]


def test_poles_redefined(atlas):
    bal = balance_over_time("KAZ", 2021, 2021, atlas=atlas, poles="RUS, CHN")
    assert bal.poles == ("RUS", "CHN")
    imp = atlas.sql("SELECT sum(value_usd) FILTER (WHERE partner = 'RUS') AS r, sum(value_usd) FILTER (WHERE partner = 'CHN') AS c "
                    "FROM trade WHERE source = 'kz_bns' AND year = 2021 AND flow = 'import'").row(0, named=True)
    s = imp["r"] / (imp["r"] + imp["c"])
    got = bal.by_dimension.filter(pl.col("dimension") == "imports")["balance"][0]
    assert got == pytest.approx(2 * (1 - s**2 - (1 - s) ** 2), abs=EXACT)


def test_compare_side_by_side(atlas):
    cmp = compare(["KAZ", "UZB", "KGZ"], 2021, atlas=atlas)
    t = cmp.table
    kaz = t.filter((pl.col("country") == "KAZ") & (pl.col("metric") == "import_share"))
    assert kaz["value"][0] == pytest.approx(0.425096, abs=PUBLISHED_PCT)
    uzb = t.filter((pl.col("country") == "UZB") & (pl.col("dimension") == "trade"))
    assert uzb["status"][0] == "no data" and "mirror" in uzb["reason"][0] and uzb["value"].is_null().all()
    assert set(cmp.balance["country"]) == {"KAZ", "UZB", "KGZ"}
    comp = cmp.balance.filter(pl.col("dimension") == "composite")
    assert comp["balance"].drop_nulls().is_between(0, 1).all()
    assert not math.isnan(comp.filter(pl.col("country") == "KAZ")["balance"][0])


def test_a_pole_country_is_not_a_pole_of_its_own_balance(atlas):
    bal = balance_over_time("RUS", 2021, 2021, atlas=atlas)
    assert bal.poles == ("CHN", "EU27", "USA", "TUR", "CASIA")
    assert any("RUS is itself a pole" in n for n in bal.notes)
    assert set(bal.by_dimension["k"].drop_nulls()) <= {5}


def test_china_takes_gas_via_kazakhstan(atlas):
    """China's 2021 gas imports crossing Kazakhstan = its pipeline imports from Turkmenistan and Uzbekistan
    (the Central Asia–China pipeline enters China from Kazakhstan): 31.5 + 4.3 bcm in the Energy Institute's
    'Natural gas: trade movements 2021 by pipeline' table. Kazakhstan's own 5.9 bcm is trade, not transit."""
    e = dependence("KAZ", "CHN", 2021, atlas=atlas).section("energy")
    via = e.value("gas_transit_provided")
    flows = atlas.sql("SELECT exporter, volume FROM energy_flows WHERE importer = 'CHN' AND year = 2021 "
                      "AND carrier = 'gas' AND mode = 'pipeline' AND exporter <> 'WLD'")
    by = dict(flows.rows())
    assert (round(by["TKM"], 1), round(by["UZB"], 1), round(by["KAZ"], 1)) == (31.5, 4.3, 5.9)
    assert via == pytest.approx(by["TKM"] + by["UZB"], rel=1e-12)
    assert e.value("gas_transit_provided_pipeline_share") == pytest.approx(via / sum(by.values()), rel=1e-12)
    # Russia's imports of Turkmen gas (Central Asia–Center pipeline) cross Kazakhstan too
    rus = atlas.sql("SELECT volume FROM energy_flows WHERE importer = 'RUS' AND exporter = 'TKM' AND year = 2021 "
                    "AND carrier = 'gas'")["volume"].sum()
    assert rus > 0
    got = dependence("KAZ", "RUS", 2021, atlas=atlas).section("energy").value("gas_transit_provided")
    assert got == pytest.approx(rus, rel=1e-12)
    # a pole the country belongs to (Central Asia) gets no "transit provided" row
    assert dependence("KAZ", "CASIA", 2021, atlas=atlas).section("energy").value("gas_transit_provided") is None
