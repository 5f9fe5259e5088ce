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
from tethers.dimensions.base import Dimension, Part, Reading, assess, coverage_rows, fill_coverage

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
    """Every reporter × year of the atlas: profile, dependence and balance show trade shares only where an
    independent world row confirms the partner list (recomputed here from the raw rows), and agree."""
    for iso3 in _reporters(atlas):
        bal = balance_over_time(iso3, min(YEARS), max(YEARS), atlas=atlas)
        for year in YEARS:
            raw = _raw_coverage(atlas, iso3, year)
            prof = profile(iso3, year, atlas=atlas)
            dep = dependence(iso3, "RUS" if iso3 != "RUS" else "CHN", year, atlas=atlas)
            trade = dep.section("trade")
            for flow, part in (("import", "imports"), ("export", "exports")):
                shares = prof.poles.filter(pl.col("flow") == flow)
                ok = raw[flow] is not None
                assert (shares["share"].null_count() == 0 if shares.height and ok
                        else shares["share"].null_count() == shares.height), (iso3, year, flow)
                cell = bal.by_dimension.filter((pl.col("dimension") == part) & (pl.col("year") == year))
                assert (cell["balance"][0] is not None) == ok, (iso3, year, flow)
                assert (cell["status"][0] == "ok") == ok
                dep_share = trade.value(f"{flow}_share")
                if ok:
                    on = dep.on
                    p = shares.filter(pl.col("pole") == on)["share"]
                    if p.len():
                        assert dep_share == pytest.approx(p[0], abs=EXACT), (iso3, year, flow)
                else:
                    assert dep_share is None, (iso3, year, flow)
                    assert prof.coverage[f"trade_{flow}"]["status"] != "ok" if f"trade_{flow}" in prof.coverage \
                        else True


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
    bal = balance_over_time("DEU", 2019, 2021, atlas=atlas)
    assert bal.composite["status"].to_list() == ["insufficient"] * 3
    assert bal.composite["balance"].null_count() == 3
    assert any("not computed" in n for n in bal.notes)
    assert bal.to_dict()["composite"][0]["status"] == "insufficient"


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
