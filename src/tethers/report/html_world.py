"""The ``world`` section of the HTML report (``tethers report COUNTRY --world MEASURE``): one measure for every
country in a year (:func:`tethers.analysis.world.world_view`), the report's country placed among them.

The section shows the country's value and rank among the countries with a value (status ``ok`` only: a share is
ranked only where the coverage rule allows it), the counts per status, a choropleth drawn offline from the shipped
Natural Earth 1:110m geometry (the dashboard's World page uses the same file) and the sorted table. The map's
figure travels in the section itself (``<script type="application/json" data-figures>``); the report's
``render.js`` draws it with the others.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from .html import _env, _script_json, insert_section

TOC_LINK = '<a href="#world">In the world</a>'
FIGURE = "world_map"
NO_VALUE_COLOUR = "#c4c8cc"   # listed but no value (partial, coverage unknown, no data …)
ABSENT_COLOUR = "#eeeeee"     # drawn on the map but not a country the atlas lists
FOCUS_COLOUR = "#d62728"


@lru_cache(maxsize=1)
def world_geometry() -> dict:
    """The shipped Natural Earth 1:110m admin-0 polygons (public domain; ``properties.iso3``, ``properties.name``);
    see docs/sources/natural_earth.md."""
    raw = resources.files("tethers.dashboard").joinpath("static", "world110.geojson").read_text(encoding="utf-8")
    return json.loads(raw)


def rank(rows: list[dict], iso3: str) -> tuple[int | None, int]:
    """``(rank, n)``: the country's position (1 = largest value) among the ``n`` rows that have a value, ties sharing
    the better rank; ``rank`` is None where the country has no value."""
    values = [r["value"] for r in rows if r.get("value") is not None]
    mine = next((r["value"] for r in rows if r["iso3"] == iso3), None)
    if mine is None:
        return None, len(values)
    return 1 + sum(v > mine for v in values), len(values)


def _fmt(value, unit: str) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f} %" if unit == "share" else f"{value:.3f}"


def world_figure(world: dict, focus: str, geometry: dict | None = None) -> dict:
    """The choropleth as a Plotly figure (``{"data", "layout"}``): the countries with a value coloured by it, those
    listed without one grey (hover gives status and reason), the rest of the map light grey, ``focus`` outlined."""
    geometry = geometry or world_geometry()
    rows = world["rows"]
    share = world["unit"] == "share"
    listed = {r["iso3"] for r in rows}
    ok = [r for r in rows if r["value"] is not None]
    other = [r for r in rows if r["value"] is None]
    absent = [f["properties"]["iso3"] for f in geometry["features"] if f["properties"]["iso3"] not in listed]
    names = {f["properties"]["iso3"]: f["properties"].get("name", f["properties"]["iso3"]) for f in geometry["features"]}
    base = {"type": "choropleth", "geojson": geometry, "featureidkey": "properties.iso3",
            "locationmode": "geojson-id", "marker": {"line": {"color": "#ffffff", "width": 0.4}}, "hoverinfo": "text"}

    def flat(colour: str) -> list:
        return [[0, colour], [1, colour]]

    data = [
        {**base, "name": "not in the atlas", "locations": absent, "z": [0] * len(absent),
         "text": [f"{names[i]}: not in the atlas" for i in absent], "colorscale": flat(ABSENT_COLOUR),
         "showscale": False},
        {**base, "name": "no value", "locations": [r["iso3"] for r in other], "z": [0] * len(other),
         "text": [f"{r['name']}: {r['status']}" + (f" — {r['reason']}" if r.get("reason") else "") for r in other],
         "colorscale": flat(NO_VALUE_COLOUR), "showscale": False},
        {**base, "name": world["label"], "locations": [r["iso3"] for r in ok],
         "z": [100 * r["value"] if share else r["value"] for r in ok],
         "text": [f"{r['name']}: {_fmt(r['value'], world['unit'])} ({(r.get('basis') or '').split(',')[0]})" for r in ok],
         "colorscale": "Viridis", "reversescale": True, **({"zmin": 0} if share else {}),
         "colorbar": {"title": {"text": "%" if share else "index"}, "thickness": 14}},
    ]
    if focus in names:
        data.append({**base, "name": focus, "locations": [focus], "z": [0], "colorscale": flat("rgba(0,0,0,0)"),
                     "showscale": False, "marker": {"line": {"color": FOCUS_COLOUR, "width": 1.6}},
                     "hoverinfo": "skip"})
    layout = {
        "margin": {"l": 0, "r": 0, "t": 4, "b": 0}, "height": 460, "showlegend": False,
        "geo": {"projection": {"type": "natural earth"}, "showframe": False, "showcoastlines": False,
                "showcountries": False, "showland": False, "showocean": False, "showlakes": False,
                "showrivers": False, "showsubunits": False, "lataxis": {"range": [-58, 84]},
                "bgcolor": "rgba(0,0,0,0)"},
    }
    return {"data": data, "layout": layout}


def render_world_section(world: dict, focus: str, focus_name: str) -> str:
    """An HTML ``<section id="world">`` fragment from :meth:`~tethers.analysis.world.WorldView.to_dict`."""
    r, n = rank(world["rows"], focus)
    mine = next((row for row in world["rows"] if row["iso3"] == focus), None)
    figure = _script_json({FIGURE: world_figure(world, focus)})
    sources = list(dict.fromkeys(s["source"] + (f" ({s['licence']})" if s.get("licence") else "")
                                 for s in world.get("sources", [])))
    return _env().get_template("_world.html.j2").render(
        w=world, sources=sources, focus=focus, focus_name=focus_name, mine=mine, rank=r, n_ranked=n, figure_json=figure,
        figure_key=FIGURE, value_text=_fmt(mine["value"] if mine else None, world["unit"]))


def insert_world_section(html: str, world: dict, focus: str, focus_name: str) -> str:
    """The report document with the world section appended to ``<main>`` and a link in the table of contents."""
    return insert_section(html, render_world_section(world, focus, focus_name), TOC_LINK)
