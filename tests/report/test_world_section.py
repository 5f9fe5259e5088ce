"""`tethers report COUNTRY --world MEASURE`: the 'In the world' section — the country's value and rank among every
country, the offline map, the sorted table, the JSON — checked against the atlas's raw rows."""

from __future__ import annotations

import json
import re

import pytest

from .conftest import embedded
from .test_cli_report import run

YEAR = 2020  # the last year of the IMF DOTS backbone: most countries have a share


@pytest.fixture(scope="module")
def world_2020(atlas_path):
    from tethers.analysis.world import world_view
    from tethers.atlas.store import Atlas

    with Atlas(atlas_path) as a:
        return world_view("import_share:RUS", YEAR, atlas=a).to_dict()


def _kaz_share_from_raw_rows(atlas) -> float:
    """Kazakhstan's imports from Russia ÷ its imports from the world, 2020, straight from the BNS rows (the
    country's own statistics come first in the trade precedence)."""
    t = atlas.sql(f"""SELECT partner, sum(value_usd) AS v FROM trade WHERE source = 'kz_bns' AND reporter = 'KAZ'
                      AND year = {YEAR} AND flow = 'import' AND classification = 'TOTAL' AND partner IN ('RUS', 'WLD')
                      GROUP BY partner""")
    v = dict(t.iter_rows())
    return v["RUS"] / v["WLD"]


def test_rank_counts_larger_values_and_shares_ties():
    from tethers.report.html_world import rank

    rows = [{"iso3": "A", "value": 0.5}, {"iso3": "B", "value": 0.3}, {"iso3": "C", "value": 0.3},
            {"iso3": "D", "value": 0.1}, {"iso3": "E", "value": None}]
    assert rank(rows, "A") == (1, 4)
    assert rank(rows, "C") == (2, 4) and rank(rows, "B") == (2, 4)
    assert rank(rows, "D") == (4, 4)
    assert rank(rows, "E") == (None, 4) and rank(rows, "ZZZ") == (None, 4)


def test_section_places_the_country_among_all(world_2020, atlas):
    from tethers.report.html_world import FIGURE, insert_world_section

    doc = ('<html><body><nav class="toc"><a href="#summary">Summary</a> <a href="#sources">Sources</a></nav>'
           '<main><section id="summary"></section></main></body></html>')
    html = insert_world_section(doc, world_2020, "KAZ", "Kazakhstan")
    assert html.index('<section id="world"') < html.index("</main>")
    assert '<a href="#world">In the world</a> <a href="#sources">' in html
    lead = re.search(r'data-focus="KAZ" data-value="([^"]*)"\s+data-rank="(\d+)" data-ranked="(\d+)"', html)
    value, rank, ranked = float(lead.group(1)), int(lead.group(2)), int(lead.group(3))
    want = _kaz_share_from_raw_rows(atlas)
    assert value == pytest.approx(want, rel=1e-12)
    assert 0.30 < want < 0.40  # BNS 2020: Russia about a third of Kazakhstan's imports
    # independent rank: the countries whose import share from Russia is larger, from the rows of the view
    values = [r["value"] for r in world_2020["rows"] if r["value"] is not None]
    assert ranked == len(values) > 150
    assert rank == 1 + sum(v > want for v in values)
    # Belarus ranks above Kazakhstan (DOTS 2020: about half of its imports from Russia)
    blr = next(r for r in world_2020["rows"] if r["iso3"] == "BLR")
    assert blr["value"] > want
    # the table: valued rows sorted, no value without status ok, Kazakhstan's row marked
    rows = re.findall(r'<tr data-iso3="(\w+)" data-status="([^"]+)" data-value="([^"]*)"', html)
    vals = [float(v) for _, _, v in rows if v]
    assert vals == sorted(vals, reverse=True) and len(vals) == ranked
    assert all(s == "ok" for _, s, v in rows if v)
    assert 'data-iso3="KAZ" data-status="ok"' in html and 'class="focus"' in html
    # the map: the figure travels in the section, drawn from the embedded geometry, every valued country coloured
    fig = json.loads(re.search(r'<script type="application/json" data-figures>(.*?)</script>', html, re.S).group(1))[FIGURE]
    coloured = next(t for t in fig["data"] if t["name"] == world_2020["label"])
    assert dict(zip(coloured["locations"], coloured["z"], strict=True))["KAZ"] == pytest.approx(100 * want)
    assert coloured["geojson"]["type"] == "FeatureCollection" and len(coloured["geojson"]["features"]) > 150
    assert "http" not in json.dumps(fig["layout"])


def test_report_cli_world_html_and_json(tmp_path, capsys, atlas_path, atlas):
    out = tmp_path / "kaz.html"
    code, stdout, _ = run(capsys, atlas_path, "report", "KAZ", "--year", "2021", "--world", "import_share:RUS",
                          "--world-year", str(YEAR), "-o", str(out))
    assert code == 0, stdout
    html = out.read_text(encoding="utf-8")
    assert 'id="world"' in html and 'data-year="2020"' in html
    assert "In the world" in html.split("</nav>")[0]  # linked from the table of contents
    assert embedded(html)["meta"]["year"] == 2021  # the rest of the report is unchanged
    js = tmp_path / "kaz.json"
    code, _, _ = run(capsys, atlas_path, "report", "KAZ", "--world", "import_share:RUS", "--world-year", str(YEAR),
                     "-f", "json", "-o", str(js))
    assert code == 0
    data = json.loads(js.read_text())
    kaz = next(r for r in data["world"]["rows"] if r["iso3"] == "KAZ")
    assert kaz["value"] == pytest.approx(_kaz_share_from_raw_rows(atlas), rel=1e-12)
    assert kaz["status"] == "ok" and "kz_bns" in kaz["basis"]


@pytest.mark.parametrize(("args", "needle"), [
    (("--world", "share_of_nothing"), "unknown measure"),
    (("--world-year", "2020"), "--world-year needs --world"),
])
def test_report_cli_world_bad_options(tmp_path, capsys, atlas_path, args, needle):
    code, out, err = run(capsys, atlas_path, "report", "KAZ", *args, "-o", str(tmp_path / "x.html"))
    assert code != 0
    assert needle in (out + err) and "Traceback" not in (out + err)
    assert not (tmp_path / "x.html").exists()
