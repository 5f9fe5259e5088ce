"""`tethers report`: the file it writes, its formats, the scenario section, the PDF route and its errors."""

from __future__ import annotations

import json
import sys

import polars as pl
import pytest

from tests.figures import assert_same_figures

from .conftest import SCENARIOS, embedded


def run(capsys, atlas_path, *args: str) -> tuple[int, str, str]:
    from tethers.cli import main

    try:
        main(["--atlas", str(atlas_path), *args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_writes_one_self_contained_file(tmp_path, capsys, atlas_path):
    out = tmp_path / "kaz.html"
    code, stdout, _ = run(capsys, atlas_path, "report", "KAZ", "--year", "2021", "-o", str(out))
    assert code == 0, stdout
    flat = "".join(stdout.split())  # Rich wraps long paths at the terminal width
    assert "reportwritten" in flat and str(out.name) in flat
    html = out.read_text(encoding="utf-8")
    assert len(list(tmp_path.iterdir())) == 1  # nothing beside it: no asset folder
    assert "<script src=" not in html and "<link rel=\"stylesheet\"" not in html
    data = embedded(html)
    assert data["meta"]["country"] == "KAZ" and data["meta"]["year"] == 2021


def test_report_default_name_and_any_spelling(tmp_path, capsys, atlas_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, atlas_path, "report", "Kyrgyzstan", "--year", "2021")
    assert code == 0
    assert (tmp_path / "KGZ_2021.html").exists()


def test_report_json_format_is_the_data(tmp_path, capsys, atlas_path):
    out = tmp_path / "kaz.json"
    code, _, _ = run(capsys, atlas_path, "report", "KAZ", "-f", "json", "-o", str(out), "--from", "2018", "--to", "2021")
    assert code == 0
    data = json.loads(out.read_text())
    assert set(data) >= {"meta", "figures", "data", "captions", "notes"}
    assert (data["meta"]["start"], data["meta"]["end"]) == (2018, 2021)
    years = {r["year"] for r in data["data"]["pole_shares"]}
    assert years == {2018, 2019, 2020, 2021}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "XYZ"], "unknown country 'XYZ'"),
        (["report", "KAZ", "--poles", "RUS,MARS"], "unknown: MARS"),
        (["report", "KAZ", "--poles", "RUS"], "at least two"),
        (["report", "KAZ", "--from", "2020", "--to", "2010"], "--from 2020 is after --to 2010"),
        (["report", "KAZ", "--scenario", "no/such/file.yaml"], "no such scenario file"),
    ],
)
def test_report_bad_input_is_one_line(tmp_path, capsys, atlas_path, args, message):
    code, _, err = run(capsys, atlas_path, *args, "-o", str(tmp_path / "x.html"))
    assert code == 1
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_scenario_section_is_the_simulator_result(views, atlas, tmp_path):
    engine = pytest.importorskip("tethers.scenario.engine")
    from tethers.report.html import render_report
    from tethers.report.views import SCENARIO_SEED, collect
    from tethers.scenario.spec import load_spec

    spec_file = SCENARIOS / "kaz-cpc-closure.yaml"
    view = collect("KAZ", atlas=atlas, year=2021, scenario=spec_file, draws=20, start=2018, end=2021)
    assert view.scenario == "Closure of the CPC pipeline (hypothetical)"
    got = view.frames["scenario"]
    want = engine.simulate(load_spec(spec_file), country="KAZ", base_year=2021, atlas=atlas, draws=20,
                           seed=SCENARIO_SEED).tidy().filter(pl.col("metric") != "note")
    assert_same_figures(got, want)
    stranded = got.filter((pl.col("metric") == "stranded_volume") & (pl.col("detail") == "oil"))["value"][0]
    assert stranded > 0  # closing CPC strands Kazakh oil
    html = render_report(view)
    fig = embedded(html)["figures"]["scenario"]
    assert any(t["meta"]["unit"] == "USD" for t in fig["data"])
    assert "Applied to 2021 data, 20 Monte Carlo draws" in html


def test_scenario_without_simulator_says_not_available(atlas, monkeypatch):
    from tethers.report.views import collect

    monkeypatch.setitem(sys.modules, "tethers.scenario.engine", None)  # import now raises ImportError
    view = collect("KAZ", atlas=atlas, year=2021, scenario=SCENARIOS / "kaz-cpc-closure.yaml", start=2020, end=2021)
    assert view.frames["scenario"].height == 0
    assert any("not available in this build" in n for n in view.notes["scenario"])


def test_balance_and_critical_fall_back_to_the_measures(atlas, monkeypatch):
    """Without the dependence/balance orchestrators the sections still compute, with a visible note."""
    from tethers.report.views import collect

    monkeypatch.setitem(sys.modules, "tethers.analysis.balance", None)
    monkeypatch.setitem(sys.modules, "tethers.analysis.dependence", None)
    view = collect("KAZ", atlas=atlas, year=2021, start=2018, end=2021)
    assert set(view.frames["balance"]["dimension"].to_list()) >= {"imports", "exports"}
    assert any("not available in this build" in n for n in view.notes["balance"])
    assert view.frames["critical"].height == 1  # WTO MTN 12, the one product group with suppliers
    assert any("not available in this build" in n for n in view.notes["critical"])


def test_pdf_without_chromium_names_the_route(views, tmp_path, monkeypatch):
    import shutil

    from tethers.report import html as rh

    monkeypatch.delenv("TETHERS_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(rh.ReportError, match=r"--print-to-pdf.*apt-get install chromium.*--format html"):
        rh.write_report(views("KGZ"), tmp_path / "kgz.pdf", fmt="pdf")
    assert not (tmp_path / "kgz.pdf").exists()


@pytest.mark.browser
def test_pdf_through_headless_chromium(tmp_path, capsys, atlas_path):
    from .conftest import _need_browser

    _need_browser()
    out = tmp_path / "kaz.pdf"
    code, stdout, err = run(capsys, atlas_path, "report", "KAZ", "--year", "2021", "-f", "pdf", "-o", str(out))
    assert code == 0, err
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 50_000
    assert pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") >= 4  # pages (the /Pages node is counted too)


def test_scenario_that_happened_is_shown_next_to_what_was_observed(atlas):
    """eu-2022 in a 2021 report: the same simulation backtested against 2022 — effect, counterfactual,
    simulated, observed — in the frame, the HTML table and the JSON; a hypothetical scenario gets none."""
    pytest.importorskip("tethers.scenario.engine")
    from tethers.report.html import payload, render_report
    from tethers.report.views import collect

    view = collect("KAZ", atlas=atlas, year=2021, scenario=SCENARIOS / "eu-2022.yaml", draws=20, start=2020, end=2021)
    bt = {r["indicator"]: r for r in view.frames["scenario_backtest"].to_dicts()}
    eu = bt["EU27 exports to KAZ, 2021→2022"]
    # Eurostat: 5.49 → 10.35 bn EUR; in USD at the ECB's annual rates 1.1827 / 1.0530 (within the vintages' 3 %)
    assert 1 + eu["observed"] == pytest.approx(10.35 * 1.0530 / (5.49 * 1.1827), rel=0.03)
    assert eu["simulated"] == pytest.approx((1 + eu["counterfactual"]) * (1 + eu["effect"]) - 1, rel=1e-12)
    assert bt["CPI Dec/Dec 2022, level of inflation (%)"]["observed"] == pytest.approx(20.3, abs=0.1)
    assert all(r["observed"] is not None and r["simulated"] is not None for r in bt.values())
    html = render_report(view)
    assert "Simulated next to observed" in html and 'data-metric="backtest:observed:EU27 exports to KAZ' in html
    assert f">{100 * eu['observed']:+.1f} %<" in html  # changes carry their sign
    assert any(r["indicator"] == "EU27 exports to KAZ, 2021→2022" for r in payload(view)["data"]["scenario_backtest"])
    assert any(n.startswith("Backtest 2021→2022") for n in view.notes["scenario"])

    cpc = collect("KAZ", atlas=atlas, year=2021, scenario=SCENARIOS / "kaz-cpc-closure.yaml", draws=5, start=2020,
                  end=2021)
    assert "scenario_backtest" not in cpc.frames and "Simulated next to observed" not in render_report(cpc)


def test_backtest_refuses_a_hypothetical_scenario(atlas):
    from tethers.errors import OptionError
    from tethers.scenario.engine import backtest
    from tethers.scenario.spec import load_spec

    with pytest.raises(OptionError, match="hypothetical"):
        backtest(load_spec(SCENARIOS / "kaz-cpc-closure.yaml"), country="KAZ", base_year=2021, outcome_year=2022,
                 atlas=atlas, draws=5)
