"""The dimension registry: one rule, the same answers everywhere; the layout; a toy dimension end to end.

Independent checks: the coverage rule is recomputed here from the raw atlas rows (listed partners against the
``WLD`` row), not read back from the code under test.
"""

from __future__ import annotations

import ast
import csv
from pathlib import Path

import networkx as nx
import polars as pl
import pytest

from tethers import countries
from tethers import dimensions as registry
from tethers.analysis.balance import balance_over_time
from tethers.analysis.dependence import dependence
from tethers.analysis.profile import profile
from tethers.dimensions.base import (
    Context,
    Dimension,
    Part,
    Reading,
    assess,
    coverage_rows,
    fill_coverage,
    pole_members,
)

from .conftest import SAMPLES

PKG = Path(__file__).resolve().parents[1] / "src" / "tethers"
YEARS = range(2019, 2023)
EXACT = 1e-12


# ---------------------------------------------------------------------------------------------- layout


def test_only_three_modules_at_the_package_root():
    assert sorted(p.name for p in PKG.glob("*.py")) == ["__init__.py", "countries.py", "errors.py"]


def _imports(path: Path) -> set[str]:
    mod = ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    if path.name == "__init__.py":
        mod = pkg
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("tethers"):
                out.add(target)
                out.update(f"{target}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("tethers"))
    return out


def _graph() -> nx.DiGraph:
    mods = {}
    for p in PKG.rglob("*.py"):
        name = ".".join(p.relative_to(PKG.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    g = nx.DiGraph()
    for name, p in mods.items():
        g.add_node(name)
        for t in _imports(p):
            while t and t not in mods:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):  # a module importing its own package is not a cycle
                g.add_edge(name, t)
    return g


def test_no_import_cycles_between_modules():
    g = _graph()
    cycles = [c for c in nx.simple_cycles(g) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_measures_never_see_the_database():
    for p in (PKG / "measures").rglob("*.py"):
        src = p.read_text()
        assert "import duckdb" not in src, p
        assert not any(t.startswith(("tethers.atlas", "tethers.analysis", "tethers.dimensions"))
                       and not t.startswith("tethers.atlas.schema")  # column definitions only, no connection
                       for t in _imports(p)), p


# ---------------------------------------------------------------------------------------------- the rule


def test_the_coverage_rule():
    assert assess(96.0, 100.0, source="x").status == "ok"
    partial = assess(12.0, 100.0, source="eurostat")
    assert partial.status == "partial" and "covers 12.0 % of eurostat's world total" in partial.text
    assert assess(50.0, None, source="eurostat").status == "coverage unknown"
    assert assess(None, 100.0, source="x").status == "no data"


def _raw_coverage(atlas, reporter: str, year: int) -> dict[str, float | None]:
    """Listed partners / world row of the reporter's first-precedence source that has any row, by flow."""
    rows = atlas.sql("SELECT source, flow, partner, value_usd FROM trade WHERE reporter = ? AND year = ? "
                     "AND classification = 'TOTAL'", [reporter, year])
    out = {}
    for flow in ("import", "export"):
        best = None
        for src in rows.filter(pl.col("flow") == flow)["source"].unique().sort().to_list():
            r = rows.filter((pl.col("flow") == flow) & (pl.col("source") == src))
            world = r.filter(pl.col("partner") == "WLD")["value_usd"].sum()
            listed = r.filter(pl.col("partner") != "WLD")["value_usd"].sum()
            cov = listed / world if world > 0 else None
            if cov is not None and cov >= 0.95:
                best = cov
        out[flow] = best
    return out


def _reporters(atlas) -> list[str]:
    return atlas.sql("SELECT DISTINCT reporter FROM trade WHERE classification = 'TOTAL' AND reporter <> 'EUU' "
                     "ORDER BY 1")["reporter"].to_list()


def test_no_share_anywhere_below_the_coverage_rule(atlas):
    """Every reporter × year 2019–2022 of the atlas: the profile's trade table (``dimensions.trade.overview``) and
    the dependence trade section show shares only where an independent world row confirms the partner list
    (recomputed here from the raw rows), and the same shares."""
    from tethers.dimensions import trade

    for iso3 in _reporters(atlas):
        for year in YEARS:
            raw = _raw_coverage(atlas, iso3, year)
            o = trade.overview(atlas, iso3, year)
            for on in ("RUS", "CHN"):
                if on == iso3:
                    continue
                ctx = Context(atlas, iso3, on, year, pole_members(on, year, country=iso3))
                sec = trade.DIMENSION.section(ctx)
                for flow in ("import", "export"):
                    ok = raw[flow] is not None
                    shares = o["poles"].filter(pl.col("flow") == flow)
                    assert (shares["share"].null_count() == 0 if ok else shares["share"].null_count() == shares.height), \
                        (iso3, year, flow)
                    assert o["partners"].filter(pl.col("flow") == flow)["share"].null_count() == (
                        0 if ok else o["partners"].filter(pl.col("flow") == flow).height), (iso3, year, flow)
                    got = sec.value(f"{flow}_share")
                    if ok:
                        want = shares.filter(pl.col("pole") == on)["share"]
                        assert got == pytest.approx(want[0], abs=EXACT), (iso3, year, flow, on)
                    else:
                        assert got is None, (iso3, year, flow, on)


def _sample(atlas) -> list[str]:
    """Reporters covering every coverage status of 2020–2021 (ok, partial, coverage unknown), plus the worked case."""
    from tethers.dimensions import trade

    seen: dict[str, str] = {}
    for iso3 in _reporters(atlas):
        for year in (2020, 2021):
            for c in trade.overview(atlas, iso3, year)["coverage"].values():
                seen.setdefault(c["status"], iso3)
    return sorted({"KAZ", "DEU", *seen.values()})


def test_every_output_gives_the_same_status_and_shares(atlas, atlas_path):
    """profile, dependence, balance, compare, the report's view and /api/view agree per reporter sampled over every
    coverage status: same status per (part, year), same pole shares."""
    from tethers.analysis.dependence import compare
    from tethers.dashboard.app import Dashboard
    from tethers.report.views import collect

    from .report.test_dashboard_app import call

    app = Dashboard(atlas_path)
    sample = _sample(atlas)
    assert len(sample) >= 3
    for iso3 in sample:
        bal = balance_over_time(iso3, min(YEARS), max(YEARS), atlas=atlas)
        view = collect(iso3, atlas=atlas, year=max(YEARS), start=min(YEARS), end=max(YEARS)).tidy()["pole_shares"]
        status, api, _ = call(app, "/api/view", f"country={iso3}&start={min(YEARS)}&end={max(YEARS)}&year={max(YEARS)}")
        assert status == 200, api
        api_shares = pl.DataFrame(api["data"]["pole_shares"]) if api["data"]["pole_shares"] else view.head(0)
        for year in YEARS:
            prof = profile(iso3, year, atlas=atlas)
            on = "RUS" if iso3 != "RUS" else "CHN"
            dep = dependence(iso3, on, year, atlas=atlas)
            for flow, part in (("import", "imports"), ("export", "exports")):
                p_status = prof.coverage.get(f"trade_{flow}", {}).get("status", "no data")
                cell = bal.by_dimension.filter((pl.col("dimension") == part) & (pl.col("year") == year))
                assert cell["status"][0] == p_status, (iso3, year, flow)
                dims = prof.dimensions.filter(pl.col("part") == part)
                assert set(dims["status"].to_list()) <= {p_status}, (iso3, year, flow)
                pshares = prof.poles.filter(pl.col("flow") == flow).select("pole", "share").sort("pole")
                for frame in (view, api_shares):
                    f = frame.filter((pl.col("year") == year) & (pl.col("flow") == flow)) if frame.height else frame
                    if p_status == "ok":
                        got = f.select("pole", "share").sort("pole")
                        assert got["pole"].to_list() == pshares["pole"].to_list(), (iso3, year, flow)
                        for x, y in zip(got["share"].to_list(), pshares["share"].to_list(), strict=True):
                            assert x == pytest.approx(y, abs=EXACT), (iso3, year, flow)
                    else:
                        assert f.height == 0 or f["share"].null_count() == f.height, (iso3, year, flow)
                dep_share = dep.section("trade").value(f"{flow}_share")
                want = pshares.filter(pl.col("pole") == on)["share"]
                assert (dep_share is None) == (p_status != "ok")
                if p_status == "ok":
                    assert dep_share == pytest.approx(want[0], abs=EXACT)
    comp = compare(sample[:3], max(YEARS) - 1, atlas=atlas)
    for d in comp.dependences:
        rows = comp.table.filter((pl.col("country") == d.country) & (pl.col("dimension") == "trade"))
        assert set(rows["status"].to_list()) == {d.section("trade").status}


def test_germany_never_shows_russia_above_ten_percent_of_exports(atlas):
    prof = profile("DEU", 2021, atlas=atlas)
    shares = prof.poles.filter(pl.col("share").is_not_null() & (pl.col("pole") == "RUS"))
    assert all(s <= 0.10 for s in shares["share"].to_list())
    assert prof.partners["share"].drop_nulls().filter(prof.partners.drop_nulls("share")["partner"] == "RUS") \
        .le(0.10).all()
    dims = prof.dimensions.filter((pl.col("dimension") == "trade") & pl.col("share").is_not_null()
                                  & (pl.col("pole") == "RUS"))
    assert dims.filter(pl.col("share") > 0.10).height == 0


def test_kazakhstan_figures_unchanged(atlas):
    """BNS: Russia 17,605,534 of 41,415,435 thousand USD of Kazakhstan's 2021 imports (42.51 %)."""
    prof = profile("KAZ", 2021, atlas=atlas)
    rus = prof.poles.filter((pl.col("flow") == "import") & (pl.col("pole") == "RUS"))["share"][0]
    assert rus == pytest.approx(17_605_534 / 41_415_435, abs=5e-6)
    assert prof.coverage["trade_import"]["status"] == "ok"
    assert prof.totals["import"] == pytest.approx(41_415_435.4697e3, rel=1e-9)  # the bureau's own total


def test_composite_needs_the_core_dimensions(atlas):
    bal = balance_over_time("DEU", 2019, 2022, atlas=atlas)
    core = bal.by_dimension.filter(pl.col("dimension").is_in(["imports", "exports"]))
    for year in range(2019, 2023):
        both = core.filter((pl.col("year") == year) & pl.col("balance").is_not_null()).height == 2
        comp = bal.composite.filter(pl.col("year") == year).row(0, named=True)
        assert comp["status"] == ("ok" if both else "insufficient"), year
        assert (comp["balance"] is None) == (not both), year
    # Eurostat's six-partner extract is all the atlas holds of Germany after the IMF DOTS years: no composite
    assert bal.composite.filter(pl.col("year") == 2022)["status"][0] == "insufficient"
    assert any("not computed" in n for n in bal.notes)


# ---------------------------------------------------------------------------------------------- toy dimension


EI_SAMPLE = SAMPLES / "energy_institute" / "gas_trade_movements_long_excerpt.csv"


class PipelineGasImports(Dimension):
    """A toy dimension read straight from a real excerpt of the Energy Institute's gas trade table (tests only):
    pipeline gas imports by origin pole, bcm; the publisher's 'Total imports' row is the independent total."""

    id = "toy_pipeline_gas"
    label = "Pipeline gas imports (toy)"
    definition = "pipeline natural-gas imports by origin pole, bcm (Energy Institute excerpt)"
    parts = (Part("toy_pipeline_gas_imports", "bcm", "pipeline gas imports by origin pole", "energy_flows"),)

    def read(self, atlas, country, years, poles) -> Reading:
        from tethers.measures.trade import pole_shares

        rows, totals = [], {}
        with EI_SAMPLE.open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["mode"] != "pipeline" or countries.try_resolve(r["importer"]) != country:
                    continue
                year = int(r["data_year"])
                if r["exporter"] == "Total imports":
                    totals[year] = float(r["bcm"])
                elif (iso := countries.try_resolve(r["exporter"])) and float(r["bcm"]) > 0:
                    rows.append({"reporter": country, "partner": iso, "flow": "import", "year": year,
                                 "value_usd": float(r["bcm"]), "classification": "TOTAL", "product": "TOTAL"})
        part = self.parts[0].id
        if not rows:
            return Reading(self.id, pl.DataFrame(schema={"part": pl.Utf8, "year": pl.Int32, "pole": pl.Utf8,
                                                         "value": pl.Float64}),
                           coverage_rows([part], years, status="no data", reason="not in the excerpt"))
        df = pl.DataFrame(rows).with_columns(pl.col("year").cast(pl.Int32))
        s = pole_shares(df, poles=[*poles, "ROW"], reporter=country)
        values = s.select(pl.lit(part).alias("part"), "year", "pole", pl.col("value_usd").alias("value"))
        cov = []
        for y in sorted(set(df["year"].to_list())):
            c = assess(df.filter(pl.col("year") == y)["value_usd"].sum(), totals.get(y), source="energy_institute",
                       reference_label="'Total imports' row")
            cov.append({"part": part, "year": y, "status": c.status, "coverage": c.share,
                        "basis": "energy_institute excerpt", "reason": "" if c.status == "ok" else c.text})
        return Reading(self.id, values.filter(pl.col("year").is_between(*years)),
                       fill_coverage(pl.DataFrame(cov), [part], years, "not in the excerpt"))


@pytest.fixture
def toy():
    dim = registry.register(PipelineGasImports())
    yield dim
    registry.unregister(dim.id)


def test_a_registered_dimension_appears_in_profile_balance_and_report(atlas, toy, tmp_path):
    from tethers.report.html import write_report
    from tethers.report.views import collect

    prof = profile("KAZ", 2021, atlas=atlas)
    mine = prof.dimensions.filter(pl.col("dimension") == toy.id)
    assert mine.height and mine["status"][0] == "ok"
    rus = mine.filter(pl.col("pole") == "RUS")
    # the excerpt: Kazakhstan's 2021 pipeline imports from Russia over its 'Total imports' row, by hand
    with EI_SAMPLE.open(encoding="utf-8") as fh:
        kz = [r for r in csv.DictReader(fh) if r["data_year"] == "2021" and r["mode"] == "pipeline"
              and r["importer"] == "Kazakhstan"]
    total = next(float(r["bcm"]) for r in kz if r["exporter"] == "Total imports")
    from_rus = sum(float(r["bcm"]) for r in kz if r["exporter"] == "Russian Federation")
    assert rus["share"][0] == pytest.approx(from_rus / total, rel=1e-6)
    bal = balance_over_time("KAZ", 2020, 2021, atlas=atlas)
    assert toy.parts[0].id in bal.by_dimension["dimension"].to_list()
    assert toy.parts[0].id in bal.weights
    views = collect("KAZ", atlas=atlas, year=2021, start=2020, end=2021)
    out = write_report(views, tmp_path / "kaz.html")
    assert toy.parts[0].id in Path(out).read_text(encoding="utf-8")


def test_profile_prints_the_three_readings_of_china_gas(atlas):
    """China's 2021 gas imports from / via / from or via Kazakhstan, in the profile as in the dependence section
    (issue 17, under the gas coverage rule: ≈ 3.6 %, 22.0 %, 25.7 % of the publisher's total imports, 162.71 bcm —
    3.7 / 22.4 / 26 % of the partner countries' 160.28 bcm before; cell by cell in
    tests/test_energy_readings_coverage.py)."""
    prof = profile("KAZ", 2021, atlas=atlas)
    chn = prof.energy.filter(pl.col("pole") == "CHN").row(0, named=True)
    sec = dependence("KAZ", "CHN", 2021, atlas=atlas).section("energy")
    for col, metric in (("pole_gas_from_share", "gas_imports_from_share"), ("pole_gas_via_share", "gas_imports_via_share"),
                        ("pole_gas_from_or_via_share", "gas_imports_from_or_via_share")):
        assert chn[col] == pytest.approx(sec.value(metric), abs=EXACT)
    assert chn["pole_gas_from_share"] == pytest.approx(0.0364, abs=0.0005)
    assert chn["pole_gas_via_share"] == pytest.approx(0.2202, abs=0.0005)
    assert chn["pole_gas_from_or_via_share"] == pytest.approx(chn["pole_gas_from_share"] + chn["pole_gas_via_share"],
                                                              abs=EXACT)
