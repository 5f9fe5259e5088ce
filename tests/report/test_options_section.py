"""The report's "Strategic options" section (`tethers report … --options FILE --budget USD`).

The frontier embedded in the page (data and figure) must equal :func:`tethers.options.optimise.optimise` run
directly on an evaluator built here from the same options file; the section must stay offline; a bad options
file must stop the command with one line before anything is computed.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from .conftest import ROOT, SCENARIOS, YEAR, embedded, trace

OPTIONS_FILE = ROOT / "options" / "kaz-2022.yaml"
SPILL_SCENARIO = SCENARIOS / "kaz-cpc-closure.yaml"
BUDGET = 5e8
EXACT = 1e-12


def run(capsys, atlas_path, *args: str) -> tuple[int, str, str]:
    from tethers.cli import main

    try:
        main(["--atlas", str(atlas_path), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def _report(atlas_path, **kw):
    from tethers.atlas.store import Atlas
    from tethers.report.html import render_report
    from tethers.report.views import collect

    with Atlas(atlas_path) as a:
        view = collect("KAZ", atlas=a, year=YEAR, options=OPTIONS_FILE, budget=BUDGET, **kw)
    return view, render_report(view)


def _optimum(atlas, objective: str = "balance", scenario=None):
    """The optimum computed directly (same file, country, seed and draws as the report)."""
    from tethers.options.evaluate import build_evaluator
    from tethers.options.optimise import optimise
    from tethers.options.spec import load_options
    from tethers.report.views import OPTIONS_DRAWS, SCENARIO_SEED
    from tethers.scenario.spec import load_spec

    spec = load_spec(scenario) if scenario else None
    ev = build_evaluator(load_options(OPTIONS_FILE), atlas=atlas, country="KAZ", scenario=spec, draws=OPTIONS_DRAWS,
                         seed=SCENARIO_SEED)
    return ev, optimise(ev, budget=BUDGET, objective=objective)


@pytest.fixture(scope="module")
def balance_report(atlas_path):
    return _report(atlas_path)


def section(html: str) -> str:
    start = html.index('<section id="options"')
    return html[start:html.index("</section>", start)]


def _assert_frontier(data: dict, res) -> None:
    """Embedded frontier (data frame, figure traces, plan) == the Optimum computed directly."""
    want = res.frontier.to_dicts()
    got = data["data"]["options_frontier"]
    assert len(got) == len(want) == 11  # 9 + 1 grid budgets plus --budget
    for g, w in zip(got, want, strict=True):
        assert g["options"] == w["options"]
        for gk, wk in (("budget_usd", "budget"), ("cost_usd", "cost_usd"), ("value", "exact"),
                       ("delta", "delta_exact"), ("predicted", "predicted")):
            assert g[gk] == pytest.approx(w[wk], rel=EXACT, abs=EXACT), (gk, w["budget"])
        assert g["chosen"] == (w["budget"] == BUDGET)
    fig = data["figures"]["options_frontier"]
    front = trace(fig, kind="frontier")
    assert front["x"] == pytest.approx(res.frontier["cost_usd"].to_list(), rel=EXACT, abs=EXACT)
    assert front["y"] == pytest.approx(res.frontier["exact"].to_list(), rel=EXACT, abs=EXACT)
    star = trace(fig, kind="chosen")
    assert star["x"] == pytest.approx([res.plan.cost_usd], rel=EXACT)
    assert star["y"] == pytest.approx([res.plan.exact], rel=EXACT)
    plan = data["data"]["options_plan"][0]
    assert plan["options"] == res.plan.name
    assert plan["base"] == pytest.approx(res.base, rel=EXACT)
    assert plan["exact"] == pytest.approx(res.plan.exact, rel=EXACT)
    assert plan["predicted"] == pytest.approx(res.plan.predicted, rel=EXACT)
    chosen = {r["option"]: r["level"] for r in data["data"]["options"] if r["level"]}
    assert chosen == pytest.approx(res.plan.levels, rel=EXACT)


# --------------------------------------------------------------------------------------------- structure


def test_section_renders_for_kaz(balance_report):
    view, html = balance_report
    sec = section(html)
    assert '<a href="#options">Strategic options</a>' in html
    assert "Strategic options: composite balance B_c against cost, 2021 base" in sec
    assert 'data-figure="options_frontier"' in sec
    # one row per option of the file, with its kind, cost basis and source / note
    ids = [o["option"] for o in view.frames["options"].to_dicts()]
    assert sorted(ids) == ["cpc_debottleneck", "imports_off_rus", "kcp_feeder", "leave_csto", "leave_eaeu",
                           "minerals_off_rus", "sarzha_liquid", "uzbekistan_trade"]
    for oid in ids:
        assert f'data-option="{oid}"' in sec
    assert 'data-basis="sourced">sourced: [2] CPC GD Gorban via kt.kz' in sec
    assert 'data-basis="assumption">assumption: ASSUMPTION RANGE' in sec
    assert 'data-basis="none">none: no money cost' in sec
    # the caption: definition, method (MIP via HiGHS, the approximation), limits and the file's sources
    cap = sec[sec.index("<figcaption>"):sec.index("</figcaption>")]
    for part in ("Definition.", "Method.", "Limits.", "Sources."):
        assert part in cap
    assert "HiGHS" in cap and "pairwise" in cap and "three or more options are ignored" in cap
    assert "not modelled" in cap
    assert "Options file kaz-2022.yaml" in cap and "[2] kt.kz, CPC GD N. Gorban" in cap and "[kz_bns]" in cap
    assert any("assumption ranges" in n for n in view.notes["options"])
    assert any("No scenario for the spillover" in n for n in view.notes["options"])
    assert "options" in set(view.frames["sources"]["section"].to_list())


def test_figure_is_valid_plotly(balance_report):
    go = pytest.importorskip("plotly.graph_objects")
    go.Figure(embedded(balance_report[1])["figures"]["options_frontier"])


def test_without_options_the_section_is_omitted(report_html):
    html = report_html("KAZ")
    assert '<section id="options"' not in html and 'href="#options"' not in html
    data = embedded(html)
    assert "options_frontier" not in data["figures"] and "options" not in data["data"]


# --------------------------------------------------------------------------------------------- numbers


def test_frontier_equals_optimise(balance_report, atlas):
    ev, res = _optimum(atlas)
    data = embedded(balance_report[1])
    _assert_frontier(data, res)
    base = ev.objective({})
    for r in data["data"]["options"]:  # each option alone: the exact change in the composite balance
        assert r["delta_composite"] == pytest.approx(ev.objective({r["option"]: 1.0}) - base, rel=EXACT, abs=EXACT)
        assert r["cost_usd"] == pytest.approx(ev.full_cost[r["option"]][0], rel=EXACT)


def test_spillover_frontier_equals_optimise(atlas_path, atlas):
    view, html = _report(atlas_path, objective="spillover", options_scenario=SPILL_SCENARIO)
    ev, res = _optimum(atlas, "spillover", SPILL_SCENARIO)
    data = embedded(html)
    _assert_frontier(data, res)
    assert res.plan.name == "kcp_feeder+sarzha_liquid"  # docs/options.md
    base = ev.state({}).spillover
    rows = {r["option"]: r for r in data["data"]["options"]}
    assert rows["kcp_feeder"]["delta_spillover"] == pytest.approx(ev.state({"kcp_feeder": 1.0}).spillover - base,
                                                                  rel=EXACT)
    assert "spillover S against cost" in section(html)


# --------------------------------------------------------------------------------------------- offline


class _Attrs(HTMLParser):
    URL_ATTRS = ("src", "href", "action", "formaction", "data", "poster", "srcset", "background", "xlink:href")

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.script_src = 0

    def handle_starttag(self, tag, attrs):
        self.urls += [v for n, v in attrs if n in self.URL_ATTRS and v is not None]
        self.script_src += tag == "script" and any(n == "src" for n, _ in attrs)


def test_no_external_urls(balance_report):
    html = balance_report[1]
    p = _Attrs()
    p.feed(html)
    assert all(u.startswith(("#", "data:")) for u in p.urls), [u for u in p.urls if not u.startswith("#")][:5]
    assert p.script_src == 0
    data = embedded(html)
    own = [section(html), str(data["data"]["options"]), str(data["data"]["options_frontier"]),
           str(data["captions"]["options"]), str(data["figures"]["options_frontier"])]
    for text in own:
        assert "http:" not in text and "https:" not in text and "//" not in text.replace("</", "")


# --------------------------------------------------------------------------------------------- CLI


def test_cli_writes_the_section(tmp_path, capsys, atlas_path):
    out = tmp_path / "kaz.html"
    code, stdout, err = run(capsys, atlas_path, "report", "KAZ", "--year", "2021", "-o", str(out),
                            "--options", str(OPTIONS_FILE), "--budget", "5e8")
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert '<section id="options"' in html
    assert embedded(html)["data"]["options_plan"][0]["budget_usd"] == BUDGET


BAD_FILE = """name: bad
country: KAZ
base_year: 2021
options:
  - id: leave_csto
    type: membership
    organisation: csto
    action: stay
    cost: {usd: 0, basis: none, note: "x"}
"""


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (BAD_FILE, [], "bad.yaml: options[0].action"),
        ("name: [unclosed\n", [], "bad.yaml line"),
        (None, [], "no such options file"),
        (BAD_FILE.replace("stay", "leave"), ["--objective", "spillover"], "--objective spillover needs a scenario"),
        (BAD_FILE.replace("stay", "leave"), ["--objective", "cheap"], "--objective 'cheap' is not allowed"),
        (BAD_FILE.replace("stay", "leave"), ["--no-budget"], "--options needs --budget"),
        ("", ["--no-options"], "need --options FILE"),
    ],
)
def test_cli_bad_options_is_one_line(tmp_path, capsys, atlas_path, content, extra, message):
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out.html"
    args = ["report", "KAZ", "-o", str(out)]
    if "--no-options" not in extra:
        args += ["--options", str(bad)]
    if "--no-budget" not in extra:
        args += ["--budget", "5e8"]
    args += [a for a in extra if a not in ("--no-options", "--no-budget")]
    code, _, err = run(capsys, atlas_path, *args)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tethers: error:"), err
    assert message in lines[0], lines[0]
    assert not out.exists()
