"""The dashboard's World page and /api/world: JSON with the coverage rule, bad parameters refused in one line."""

from __future__ import annotations

import pytest

from .test_dashboard_app import app, call  # noqa: F401  (the module-scoped Dashboard fixture)

KAZ_RUS_IMPORTS_2021 = 17_605_534 / 41_415_435  # BNS 2021, thousand USD (published)


def test_world_api_returns_the_view(app):  # noqa: F811
    status, body, headers = call(app, "/api/world", "measure=import_share:RUS&year=2021")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert body["measure"] == "import_share:RUS" and body["year"] == 2021 and body["unit"] == "share"
    kaz = next(r for r in body["rows"] if r["iso3"] == "KAZ")
    assert kaz["status"] == "ok" and kaz["value"] == pytest.approx(KAZ_RUS_IMPORTS_2021, abs=5e-7)
    assert all(r["value"] is None for r in body["rows"] if r["status"] != "ok")
    assert sum(body["counts"].values()) == len(body["rows"])


def test_world_api_defaults_and_spellings(app):  # noqa: F811
    status, body, _ = call(app, "/api/world", "")
    assert status == 200 and body["measure"] == "import_share:RUS"
    status, body, _ = call(app, "/api/world", "measure=export_share:EU&year=2019")
    assert status == 200 and body["measure"] == "export_share:EU27"


@pytest.mark.parametrize("query, param", [
    ("measure=nonsense", "measure"),
    ("measure=import_share:XYZ", "measure"),
    ("measure=import_share:RUS&year=21x", "year"),
    ("measure=import_share:RUS&year=1800", "year"),
    ("measure=import_share:RUS&measure=balance", "measure"),
    ("measure=balance&country=KAZ", "country"),
    ("measure=" + "x" * 100, "measure"),
])
def test_world_api_refuses_bad_parameters(app, query, param):  # noqa: F811
    status, body, _ = call(app, "/api/world", query)
    assert status == 422 and body["param"] == param
    assert body["error"] and "\n" not in body["error"] and "Traceback" not in body["error"]


def test_world_page_and_geometry_are_served_locally(app):  # noqa: F811
    status, body, headers = call(app, "/world")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<script src="static/world.js">' in body and b'<script src="static/plotly.min.js">' in body
    assert b"http://" not in body and b"https://" not in body
    status, body, headers = call(app, "/static/world110.geojson")
    assert status == 200 and headers["Content-Type"] == "application/geo+json"
    assert body.startswith(b'{"type":"FeatureCollection"')
    status, body, _ = call(app, "/static/world.js")
    assert status == 200 and b"https://" not in body and b"http://" not in body
