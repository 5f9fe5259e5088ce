"""The self-contained HTML report: sections for several countries, no external fetch, the measures' numbers.

References
----------
* Russia 42.51 % of Kazakhstan's 2021 imports: BNS, "Main indicators of foreign trade by country" 2022
  release, sheet 2021 (17,605,534 of 41,415,435 thousand USD); see tests/test_profile.py.
The other values are cross-checks: the number embedded in the page must equal the measure computed
directly from the atlas (same code path or an independent call of the pure function).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import polars as pl
import pytest

from tests.figures import assert_same_figures

from .conftest import COUNTRIES, YEAR, at, embedded, trace

SHARE_TOL = 5e-5  # BNS publishes shares to 3 decimals of a percent
EXACT = 1e-12     # the page carries the measure's float unrounded

SECTION_IDS = ("summary", "pole-shares", "balance", "routes", "critical", "alignment", "fx", "scenario", "sources")


# --------------------------------------------------------------------------------------------- structure


@pytest.mark.parametrize("country", COUNTRIES)
def test_report_renders_every_section(report_html, views, country):
    html = report_html(country)
    assert html.startswith("<!DOCTYPE html>")
    for sid in SECTION_IDS:
        assert f'<section id="{sid}"' in html, sid
    view = views(country)
    assert f"{view.name} <span class=\"iso\">{country}</span>" in html
    # every chart present sits in a figure whose caption gives a definition and its sources
    data = embedded(html)
    for key in data["figures"]:
        block = html[html.index(f'data-figure="{key}"'):]
        cap = block[block.index("<figcaption>"):block.index("</figcaption>")]
        assert "Definition." in cap and "Source" in cap, key


@pytest.mark.parametrize("country", COUNTRIES)
def test_sections_without_data_say_so(report_html, views, country):
    """A section with an empty frame shows a 'no data' paragraph and a note naming what is missing."""
    view, html = views(country), report_html(country)
    figures = embedded(html)["figures"]
    for key, frame in (("pole_shares", "pole_import"), ("fx", "fx"), ("alignment", "alignment")):
        if view.frames[key].height == 0:
            assert frame not in figures
            assert f'data-nodata="{frame}"' in html
            assert view.notes[key], f"{country}: {key} is empty without a note"
    if view.frames["critical"].height == 0:
        assert 'data-nodata="critical"' in html and "No product-level imports" in html


def test_a_country_without_trade_statistics_says_so(views, report_html):
    """Liechtenstein (in a customs union with Switzerland) votes at the UN but reports no trade in the atlas."""
    view = views("LIE")
    assert view.frames["pole_shares"].height == 0
    assert any("No goods trade by partner for LIE" in n for n in view.notes["pole_shares"])
    assert "No goods trade by partner for LIE" in report_html("LIE")
    assert view.frames["alignment"].height > 0  # votes exist for every UN member


# --------------------------------------------------------------------------------------------- offline


class _Refs(HTMLParser):
    """Collect every URL-bearing attribute and the text of inline scripts and styles."""

    URL_ATTRS = ("src", "href", "action", "formaction", "data", "poster", "srcset", "background", "xlink:href")

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.external_scripts = 0
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.urls.append((tag, name, value))
        if tag == "script" and any(n == "src" for n, _ in attrs):
            self.external_scripts += 1
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)


REMOTE = re.compile(r"""^\s*(?:https?:)?//""", re.I)
# a network call with a literal remote URL: fetch("https://…"), import("//…"), xhr.open("GET", "http://…"),
# new Worker / EventSource / WebSocket on a remote URL, CSS @import url(https://…) / url(//…)
REMOTE_CALL = re.compile(
    r"""(?:\bfetch|\bimport|\bimportScripts|new\s+(?:Worker|SharedWorker|EventSource|WebSocket))\s*\(\s*['"`](?:(?:https?|wss?):)?//"""
    r"""|\.open\s*\(\s*['"`][A-Z]+['"`]\s*,\s*['"`](?:https?:)?//"""
    r"""|\bimport\s+[^;'"`]*?from\s*['"`](?:https?:)?//""",
    re.I,
)
CSS_REMOTE = re.compile(r"""(?:@import\s+|url\(\s*)['"]?(?:https?:)?//""", re.I)


@pytest.mark.parametrize("country", ["KAZ", "UZB"])
def test_report_makes_no_external_fetch(report_html, country):
    html = report_html(country)
    refs = _Refs()
    refs.feed(html)
    remote = [u for u in refs.urls if REMOTE.match(u[2])]
    assert not remote, f"remote references: {remote[:5]}"
    assert all(v.startswith(("#", "data:")) for _, _, v in refs.urls), refs.urls
    assert refs.external_scripts == 0  # everything is inline, Plotly.js included
    assert any("Plotly" in s and len(s) > 1_000_000 for s in refs.scripts), "plotly.min.js is not inlined"
    hits = [m.group(0) for s in refs.scripts for m in REMOTE_CALL.finditer(s)]
    assert not hits, f"remote calls in inline scripts: {hits[:5]}"
    assert not any(CSS_REMOTE.search(s) for s in refs.styles)
    # no map trace (the only Plotly traces that fetch tiles or topojson)
    figs = embedded(html)["figures"]
    kinds = {t.get("type") for f in figs.values() for t in f["data"]}
    assert kinds <= {"scatter", "bar"}, kinds


def test_remote_call_pattern_catches_the_usual_forms():
    """Guard for the guard: the regex above recognises the calls it is meant to forbid."""
    bad = ['fetch("https://cdn.example/x.json")', "import('//cdn.example/m.js')",
           'xhr.open("GET", "http://example.org/a")', "new WebSocket('wss://example.org')",
           'import x from "https://esm.sh/x"']
    good = ['fetch("api/view?country=KAZ")', 'fetch(url)', '"http://www.w3.org/2000/svg"']
    assert all(REMOTE_CALL.search(s) for s in bad)
    assert not any(REMOTE_CALL.search(s) for s in good)


# --------------------------------------------------------------------------------------------- numbers


def test_russia_share_of_kazakh_imports_2021(report_html):
    """The stacked-area chart and the summary table carry the published 42.51 % (BNS)."""
    html = report_html("KAZ")
    fig = embedded(html)["figures"]["pole_import"]
    rus = trace(fig, pole="RUS", flow="import")
    assert at(rus, YEAR) == pytest.approx(0.4251, abs=SHARE_TOL)
    cell = re.search(r'data-metric="import_share:RUS" data-value="([^"]+)"', html)
    assert cell and float(cell.group(1)) == pytest.approx(0.4251, abs=SHARE_TOL)
    # every year's pole shares sum to one
    for i, _ in enumerate(rus["x"]):
        assert sum(t["y"][i] for t in fig["data"]) == pytest.approx(1.0, abs=1e-9)


def test_pole_shares_equal_the_measure(report_html, views, atlas):
    """Chart values = tethers.measures.trade.pole_shares on the atlas's trade rows, every year and pole: the
    bureau's own rows (kz_bns) where it has the year, IMF DOTS before (both pass the coverage rule for KAZ)."""
    from tethers.measures.trade import pole_shares

    bns = atlas.sql("SELECT * FROM trade WHERE reporter = 'KAZ' AND classification = 'TOTAL' AND source = 'kz_bns'")
    dots = atlas.sql("SELECT * FROM trade WHERE reporter = 'KAZ' AND classification = 'TOTAL' "
                     "AND source = 'imf_dots_xlsx' AND year < 2018")
    rows = pl.concat([bns, dots])
    want = pole_shares(rows, reporter="KAZ")
    # the coverage rule, recomputed: listed partners against the world row, per year and flow
    cov = rows.group_by("year", "flow").agg(
        listed=pl.col("value_usd").filter(pl.col("partner") != "WLD").sum(),
        world=pl.col("value_usd").filter(pl.col("partner") == "WLD").sum())
    want = want.join(cov, on=["year", "flow"]).with_columns(
        share=pl.when(pl.col("listed") >= 0.95 * pl.col("world")).then(pl.col("share")))
    view = views("KAZ")
    figs = embedded(report_html("KAZ"))["figures"]
    lo, hi = view.start, view.end
    want = want.filter(pl.col("year").is_between(lo, hi))
    assert {2018, 2019, 2020, 2021, 2022, 2023} <= set(want["year"].to_list())
    for r in want.iter_rows(named=True):
        tr = trace(figs[f"pole_{r['flow']}"], pole=r["pole"], flow=r["flow"])
        got = at(tr, r["year"]) if r["year"] in tr["x"] else None
        if r["share"] is None:
            assert got is None, r  # below the coverage rule: no share drawn
        else:
            assert got == pytest.approx(r["share"], abs=EXACT), r


def test_alignment_equals_pole_agreement(report_html, atlas):
    from tethers.atlas import queries
    from tethers.measures.alignment import pole_agreement

    got = embedded(report_html("KAZ"))["figures"]["alignment"]
    want = pole_agreement(queries.votes(atlas, year=YEAR), country="KAZ", year=YEAR)
    assert want.height == 6
    for r in want.iter_rows(named=True):
        assert at(trace(got, pole=r["pole"]), YEAR) == pytest.approx(r["agreement"], abs=EXACT), r["pole"]
    first = trace(got, pole="RUS")["x"][0]
    assert first == 1992  # Kazakhstan's first UN session as a member


def test_fx_equals_rolling_beta(report_html, atlas):
    from tethers.measures.fx import rolling_beta
    from tethers.report.views import FX_WINDOW

    got = trace(embedded(report_html("KAZ"))["figures"]["fx"], currency="KZT", on="RUB")
    fx = atlas.table("fx", source="cbr")
    want = rolling_beta(fx, currency="KZT", on="RUB", window=FX_WINDOW["monthly"]).drop_nulls("corr")
    assert got["x"] == [d.isoformat() for d in want["date"].to_list()]
    assert got["y"] == pytest.approx(want["corr"].to_list(), abs=EXACT)
    assert [c[0] for c in got["customdata"]] == pytest.approx(want["beta"].to_list(), abs=EXACT, nan_ok=True)


def test_balance_equals_the_balance_orchestrator(report_html, atlas):
    bot = pytest.importorskip("tethers.analysis.balance")
    data = embedded(report_html("KAZ"))
    fig, meta = data["figures"]["balance"], data["meta"]
    res = bot.balance_over_time("KAZ", meta["start"], meta["end"], atlas=atlas)
    want = res.by_dimension.filter(pl.col("balance").is_not_null())
    assert want.height > 0
    for r in want.filter(pl.col("year") == YEAR).iter_rows(named=True):
        assert at(trace(fig, dimension=r["dimension"]), YEAR) == pytest.approx(r["balance"], abs=EXACT)
    comp = res.composite.filter(pl.col("year") == YEAR)["balance"][0]
    assert at(trace(fig, dimension="composite"), YEAR) == pytest.approx(comp, abs=EXACT)


def test_routes_network_and_table(report_html, views):
    view = views("KAZ")
    routes = view.frames["routes"]
    assert "cpc_tengiz_novorossiysk" in routes["route_id"].to_list()
    cpc = routes.filter(pl.col("route_id") == "cpc_tengiz_novorossiysk").row(0, named=True)
    assert (cpc["capacity"], cpc["unit"]) == (67.0, "Mt/y")
    assert routes["countries"].str.contains("KAZ").all()
    fig = embedded(report_html("KAZ"))["figures"]["routes"]
    nodes = trace(fig, kind="nodes")
    assert {"KAZ", "RUS", "CHN"} <= set(nodes["text"])
    assert nodes["x"][nodes["text"].index("KAZ")] == pytest.approx(0.0)  # the country sits in the centre
    mids = trace(fig, kind="edge-midpoints")
    assert any("Caspian Pipeline Consortium" in t and "67 Mt/y" in t for t in mids["text"])


def test_critical_table_is_the_dependence_result(views, atlas):
    dep = pytest.importorskip("tethers.analysis.dependence")
    got = views("KAZ").frames["critical"]
    want = dep.critical_dependencies("KAZ", YEAR, atlas=atlas).products
    assert_same_figures(got, want)
    assert any("HS6" in n for n in views("KAZ").notes["critical"])  # the honest coverage note


@pytest.mark.parametrize("country", COUNTRIES)
def test_figures_are_valid_plotly(report_html, country):
    go = pytest.importorskip("plotly.graph_objects")
    for key, fig in embedded(report_html(country))["figures"].items():
        go.Figure(fig)  # raises ValueError on any property Plotly does not know
        assert fig["data"], key


def test_captions_cite_the_provenance(views, atlas):
    """Caption sources are the atlas's provenance rows (citation and licence), not hand-written text."""
    view = views("KAZ")
    prov = atlas.provenance("trade").filter(pl.col("source") == "kz_bns").row(0, named=True)
    line = " ".join(view.captions["pole_shares"].sources)
    assert prov["citation"] in line and prov["licence"] in line and "[kz_bns]" in line
    srcs = view.frames["sources"]
    assert {"pole_shares", "alignment", "fx", "routes"} <= set(srcs["section"].to_list())


def test_json_payload_has_no_nan(views):
    """The embedded data is strict JSON (NaN → null): JSON.parse in the browser would reject NaN."""
    import json

    from tethers.report.html import _script_json, payload

    text = _script_json(payload(views("KAZ")))
    assert "NaN" not in text and "Infinity" not in text and "</" not in text
    json.loads(text)


def test_energy_table_is_the_profile_energy(report_html, views, atlas):
    """The routes section's energy table carries the profile's figures (one definition: the dependence energy
    section); China's row shows its 2021 gas imports via Kazakhstan (Turkmen + Uzbek, 31.5 + 4.3 bcm)."""
    from tethers.analysis.profile import profile

    want = {r["pole"]: r for r in profile("KAZ", YEAR, atlas=atlas).energy.iter_rows(named=True)}
    assert views("KAZ").frames["energy"].to_dicts() == list(want.values())
    html = report_html("KAZ")
    table = re.search(r'<table class="grid energy">(.*?)</table>', html, flags=re.S).group(1)
    rows = dict(re.findall(r'<tr data-pole="([A-Z0-9]+)">(.*?)</tr>', table, flags=re.S))
    assert set(rows) == set(want)
    cols = ["gas_import_share", "gas_export_share", "gas_transit_share", "oil_transit_share", "transit_provided_bcm"]
    for pole, cells in rows.items():
        values = re.findall(r'data-value="([^"]*)"', cells)
        for col, v in zip(cols, values, strict=True):
            assert (float(v) if v else None) == want[pole][col], (pole, col)
    assert round(want["CHN"]["transit_provided_bcm"], 1) == 35.8
