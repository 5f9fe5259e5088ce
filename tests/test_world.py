"""The world view (``tethers.analysis.world``, ``tethers compare --world``): one measure for every country.

Pinned to the published BNS 2021 sheet (Kazakhstan's imports from Russia 17,605,534 of 41,415,435 thousand USD,
tests/test_profile.py), to plain SQL over the atlas's trade rows, and to the coverage rule: no row carries a
value unless its status is ``ok``.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.test_cli_measures import run, run_json

KAZ_RUS_IMPORTS_2021 = 17_605_534 / 41_415_435  # BNS 2021, thousand USD (published)
GEOMETRY = Path(__file__).resolve().parents[1] / "src/tethers/dashboard/static/world110.geojson"


@pytest.fixture(scope="module")
def rus_2021(atlas_path):
    from tethers.analysis.world import world_view
    from tethers.atlas.store import Atlas

    with Atlas(atlas_path) as a:
        return world_view("import_share:RUS", 2021, atlas=a)


@pytest.fixture(scope="module")
def chn_2019(atlas_path):
    from tethers.analysis.world import world_view
    from tethers.atlas.store import Atlas

    with Atlas(atlas_path) as a:
        return world_view("import_share:CHN", 2019, atlas=a)


def test_kazakhstan_import_share_of_russia_is_the_published_figure(rus_2021):
    row = rus_2021.row("KAZ")
    assert row["status"] == "ok"
    assert row["value"] == pytest.approx(KAZ_RUS_IMPORTS_2021, abs=5e-7)
    assert row["level"] == pytest.approx(17_605_534e3, rel=1e-6)
    assert row["basis"].startswith("kz_bns")


def test_germany_2021_has_no_share_below_the_coverage_rule(rus_2021, atlas):
    row = rus_2021.row("DEU")
    assert row is not None
    if row["status"] == "ok":  # only with a complete source (partners ≥ 95 % of its own world total)
        assert row["coverage"] >= 0.95 and row["value"] is not None
    else:
        assert row["value"] is None and row["reason"]
        has_world = atlas.sql("SELECT count(*) FROM trade WHERE reporter = 'DEU' AND year = 2021 AND partner = 'WLD' "
                              "AND classification = 'TOTAL'").item()
        if has_world == 0:
            assert row["status"] in ("coverage unknown", "no data")


@pytest.mark.parametrize("fixture", ["rus_2021", "chn_2019"])
def test_no_value_without_status_ok_and_sorted(fixture, request):
    view = request.getfixturevalue(fixture)
    rows = view.rows
    assert rows.filter((pl.col("status") != "ok") & pl.col("value").is_not_null()).height == 0
    assert rows.filter((pl.col("status") == "ok") & pl.col("value").is_null()).height == 0
    ok = rows.filter(pl.col("status") == "ok")
    assert (ok["coverage"] >= 0.95).all()
    vals = rows["value"].to_list()
    n = ok.height
    assert vals[:n] == sorted(vals[:n], reverse=True) and all(v is None for v in vals[n:])
    assert rows["iso3"].n_unique() == rows.height
    assert sum(view.counts.values()) == rows.height
    assert not rows["iso3"].is_in(["WLD", "EUU", "XXX"]).any()


def test_share_is_the_partner_rows_of_the_chosen_source(chn_2019, atlas):
    """Germany's 2019 import share of China = CHN / Σ listed partners of the source named in the basis (SQL)."""
    row = chn_2019.row("DEU")
    assert row["status"] == "ok"
    source = row["basis"].split(":")[0]
    chn, listed = atlas.sql(
        "SELECT sum(value_usd) FILTER (WHERE partner = 'CHN'), sum(value_usd) FILTER (WHERE partner <> 'WLD') "
        "FROM trade WHERE reporter = 'DEU' AND year = 2019 AND flow = 'import' AND classification = 'TOTAL' "
        "AND source = ?", [source]).row(0)
    assert row["value"] == pytest.approx(chn / listed, rel=1e-9)
    assert row["level"] == pytest.approx(chn, rel=1e-9)
    assert chn_2019.row("CHN")["status"] == "n/a" and chn_2019.value("CHN") is None


def test_every_reporter_is_in_the_view(chn_2019, atlas):
    reporters = set(atlas.sql("SELECT DISTINCT reporter FROM trade WHERE classification = 'TOTAL' AND year = 2019")
                    ["reporter"].to_list()) - {"WLD", "EUU", "XXX", "AUU"}
    have = set(chn_2019.rows.filter(pl.col("status") != "no data")["iso3"].to_list())
    assert reporters == have


def test_balance_measure_is_the_composite(atlas):
    from tethers.analysis.balance import balance_over_time
    from tethers.analysis.world import world_view

    view = world_view("balance", 2019, atlas=atlas)
    kaz = view.row("KAZ")
    comp = balance_over_time("KAZ", 2019, 2019, atlas=atlas).composite.row(0, named=True)
    assert kaz["status"] == "ok" and kaz["value"] == pytest.approx(comp["balance"], abs=1e-12)
    bad = view.rows.filter(pl.col("status") == "insufficient")
    assert bad.height and bad["value"].is_null().all() and (bad["reason"].str.len_chars() > 0).all()
    assert view.rows.filter((pl.col("status") != "ok") & pl.col("value").is_not_null()).height == 0


@pytest.mark.parametrize("measure", ["import_share", "export_share:", "share:RUS", "import_share:XYZ", "balance:RUS"])
def test_bad_measure_is_an_option_error(measure, atlas):
    from tethers.analysis.world import world_view
    from tethers.errors import OptionError

    with pytest.raises(OptionError):
        world_view(measure, 2021, atlas=atlas)


def test_pole_spellings(atlas):
    from tethers.analysis.world import parse_measure

    assert parse_measure("export_share:EU").id == "export_share:EU27"
    assert parse_measure("import_share:Kazakhstan").id == "import_share:KAZ"
    assert parse_measure(" BALANCE ").id == "balance"


def test_to_dict_is_json(rus_2021):
    d = json.loads(json.dumps(rus_2021.to_dict(), allow_nan=False))
    assert d["measure"] == "import_share:RUS" and d["year"] == 2021
    assert {"iso3", "name", "value", "status", "basis", "reason"} <= set(d["rows"][0])
    assert set(rus_2021.tidy()) == {"rows", "counts", "sources"}


# ---------------------------------------------------------------------------------------------- CLI


def test_compare_world_json(atlas_path):
    out = run_json(["compare", "--world", "--measure", "import_share:RUS", "--year", "2021"], atlas_path)
    kaz = next(r for r in out["rows"] if r["iso3"] == "KAZ")
    assert kaz["value"] == pytest.approx(KAZ_RUS_IMPORTS_2021, abs=5e-7)
    assert all(r["value"] is None for r in out["rows"] if r["status"] != "ok")
    assert sum(out["counts"].values()) == len(out["rows"])


def test_compare_world_table(atlas_path):
    r = run(["compare", "--world", "--measure", "import_share:RUS", "--year", "2021"], atlas_path)
    assert r.returncode == 0, r.stderr
    assert "Kazakhstan (KAZ)" in r.stdout and "42.5 %" in r.stdout
    assert "ok: " in r.stdout and "no data" in r.stdout and "status" in r.stdout


def test_compare_world_bad_input_is_one_line(atlas_path):
    for args in (["--measure", "nonsense"], ["--measure", "import_share:XYZ"]):
        r = run(["compare", "--world", *args], atlas_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and ("measure" in r.stderr or "pole" in r.stderr)
    r = run(["compare", "--world", "KAZ"], atlas_path)
    assert r.returncode == 1 and "--world" in r.stderr
    r = run(["compare"], atlas_path)
    assert r.returncode == 1 and "two or more countries" in r.stderr and "--world" in r.stderr
    r = run(["compare", "KAZ"], atlas_path)
    assert r.returncode == 1 and "at least two" in r.stderr


# ---------------------------------------------------------------------------------------------- geometry


def test_shipped_geometry():
    """Natural Earth 110m (scripts/derive_world_geometry.py): 177 countries, ISO3 codes, 2-decimal coordinates."""
    from tethers import countries

    geo = json.loads(GEOMETRY.read_text(encoding="utf-8"))
    feats = geo["features"]
    codes = [f["properties"]["iso3"] for f in feats]
    assert len(feats) == 177 and len(set(codes)) == 177 and codes == sorted(codes)
    assert {"FRA", "NOR", "XKX", "SSD", "PSE", "ESH", "KAZ", "RUS", "USA"} <= set(codes)
    assert all(set(f["properties"]) == {"iso3", "name"} for f in feats)
    known = [c for c in codes if countries.try_resolve(c) == c]
    assert len(known) >= 170  # all but N. Cyprus and Somaliland (not states in the atlas)
    pts = [p for f in feats for p in _points(f["geometry"]["coordinates"])]
    assert all(round(x, 2) == x and -180 <= x <= 180 and -90 <= y <= 90 for x, y in pts)


def _points(c):
    if isinstance(c[0], int | float):
        yield c
    else:
        for x in c:
            yield from _points(x)
