"""Plotly figure specifications (plain JSON-able dicts) built from the tidy frames of a report view.

Every function takes tidy Polars frames (from :meth:`tethers.report.views.ReportView.tidy`) and returns a
figure dict ``{"data": [...], "layout": {...}}`` that Plotly.js draws as is, or ``None`` when the frame
is empty (the page then shows the section's note instead). Values are passed through unrounded, so the
numbers in the page are the measures' own; every trace carries ``meta`` with the ids it plots (pole,
dimension, currency) for tests and scripts. Figures are dicts, not ``plotly.graph_objects``, so building
them needs no plotly import; ``tests/report`` validates them against plotly's schema.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import polars as pl

from .. import countries

# Okabe–Ito colour-blind-safe palette, one colour per pole.
POLE_COLORS: dict[str, str] = {
    "RUS": "#D55E00", "CHN": "#E69F00", "EU27": "#0072B2", "USA": "#56B4E9", "TUR": "#009E73",
    "CASIA": "#CC79A7", "ROW": "#999999",
}
# Series without a pole (balance dimensions, scenario units): Okabe–Ito without black (black = composite).
SERIES_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C510A", "#999999", "#6A3D9A")
CARRIER_COLORS = {"gas": "#0072B2", "oil": "#D55E00", "general": "#009E73", "containers": "#CC79A7"}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _clean(values: Iterable) -> list:
    """JSON-safe numbers: NaN and ±inf become ``None`` (a gap in the chart)."""
    return [None if isinstance(v, float) and not math.isfinite(v) else v for v in values]


def _layout(**extra) -> dict:
    base = {
        "font": {"family": FONT, "size": 13, "color": "#222"},
        "margin": {"l": 60, "r": 20, "t": 20, "b": 30},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "y": -0.1, "x": 0, "yanchor": "top"},
        "hovermode": "x unified",
        "height": 380,
        "xaxis": {"showgrid": False, "linecolor": "#888", "ticks": "outside"},
        "yaxis": {"gridcolor": "#e5e5e5", "zeroline": False},
    }
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = {**base[k], **v}
        else:
            base[k] = v
    return base


def _year_axis(years: list[int]) -> dict:
    """Every year as a tick for short spans; Plotly's automatic ticks otherwise."""
    return {"dtick": 1} if years and max(years) - min(years) <= 12 else {}


def _year_marker(year: int | None, years: list[int]) -> list[dict]:
    """A dashed vertical line at the focal year, when it lies inside the plotted years."""
    if year is None or not years or not (min(years) <= year <= max(years)):
        return []
    return [{"type": "line", "xref": "x", "yref": "paper", "x0": year, "x1": year, "y0": 0, "y1": 1,
             "line": {"color": "#444", "width": 1, "dash": "dot"}}]


def pole_area(shares: pl.DataFrame, *, flow: str, year: int | None = None) -> dict | None:
    """Stacked area of pole shares over years for one flow (``pole_shares`` frame)."""
    df = shares.filter(pl.col("flow") == flow).sort("year")
    if df.height == 0:
        return None
    traces = []
    for pole in df["pole"].unique(maintain_order=True).to_list():
        p = df.filter(pl.col("pole") == pole)
        color = POLE_COLORS.get(pole, "#444")
        traces.append({
            "type": "scatter", "mode": "lines", "stackgroup": "one", "name": p["label"][0],
            "x": p["year"].to_list(), "y": _clean(p["share"].to_list()),
            "customdata": _clean(p["value_usd"].to_list()),
            "line": {"width": 0.5, "color": color}, "fillcolor": color,
            "hovertemplate": "%{y:.1%} (%{customdata:$.3s})<extra>%{fullData.name}</extra>",
            "meta": {"pole": pole, "flow": flow},
        })
    years = df["year"].unique().to_list()
    return {"data": traces, "layout": _layout(
        yaxis={"tickformat": ".0%", "range": [0, 1], "title": {"text": f"share of {flow}s"}},
        xaxis=_year_axis(years),
        shapes=_year_marker(year, years),
    )}


def balance_lines(balance: pl.DataFrame, composite: pl.DataFrame | None = None, *,
                  year: int | None = None) -> dict | None:
    """One line per dimension: the balance index B over years (``balance`` frame), plus the composite."""
    if balance.height == 0:
        return None
    traces = []
    for i, dim in enumerate(balance["dimension"].unique(maintain_order=True).to_list()):
        d = balance.filter(pl.col("dimension") == dim).sort("year")
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": dim.replace("_", " "), "connectgaps": False,
            "x": d["year"].to_list(), "y": _clean(d["balance"].to_list()),
            "customdata": [list(r) for r in zip(_clean(d["row_share"].to_list()), _clean(d["entropy"].to_list()),
                                                strict=True)],
            "line": {"color": SERIES_COLORS[i % len(SERIES_COLORS)], "width": 1.5}, "marker": {"size": 4},
            "hovertemplate": "B = %{y:.3f} · entropy form %{customdata[1]:.3f} · ROW %{customdata[0]:.1%}"
                             "<extra>%{fullData.name}</extra>",
            "meta": {"dimension": dim},
        })
    if composite is not None and composite.height:
        c = composite.sort("year")
        traces.append({
            "type": "scatter", "mode": "lines", "name": "composite (mean)", "x": c["year"].to_list(),
            "y": _clean(c["balance"].to_list()), "customdata": c["n_dimensions"].to_list(),
            "line": {"color": "#000", "width": 3.5, "dash": "dash"},
            "hovertemplate": "B = %{y:.3f} over %{customdata} dimension(s)<extra>composite</extra>",
            "meta": {"dimension": "composite"},
        })
    years = balance["year"].unique().to_list()
    return {"data": traces, "layout": _layout(
        yaxis={"range": [-0.02, 1.02], "title": {"text": "balance index B (0–1)"}},
        xaxis=_year_axis(years), height=420,
        shapes=_year_marker(year, years),
    )}


def alignment_lines(alignment: pl.DataFrame, *, year: int | None = None) -> dict | None:
    """One line per pole: UN voting agreement over years (``alignment`` frame)."""
    if alignment.height == 0:
        return None
    traces = []
    for pole in alignment["pole"].unique(maintain_order=True).to_list():
        a = alignment.filter(pl.col("pole") == pole).sort("year")
        traces.append({
            "type": "scatter", "mode": "lines", "name": a["label"][0],
            "x": a["year"].to_list(), "y": _clean(a["agreement"].to_list()),
            "customdata": [list(r) for r in zip(_clean(a["kappa"].to_list()), a["n_roll_calls"].to_list(),
                                                strict=True)],
            "line": {"color": POLE_COLORS.get(pole, "#444"), "width": 2},
            "hovertemplate": "A = %{y:.3f} · κ %{customdata[0]:.2f} · %{customdata[1]} roll calls"
                             "<extra>%{fullData.name}</extra>",
            "meta": {"pole": pole},
        })
    years = alignment["year"].unique().to_list()
    return {"data": traces, "layout": _layout(
        yaxis={"range": [0, 1.02], "title": {"text": "agreement A (0–1)"}},
        shapes=_year_marker(year, years),
    )}


def fx_lines(fx: pl.DataFrame, *, year: int | None = None) -> dict | None:
    """Rolling correlation of the country's currency with each pole currency (``fx`` frame)."""
    if fx.height == 0:
        return None
    traces = []
    for i, on in enumerate(fx["on"].unique(maintain_order=True).to_list()):
        f = fx.filter(pl.col("on") == on).sort("date")
        cur = f["currency"][0]
        traces.append({
            "type": "scatter", "mode": "lines", "name": f"{cur} vs {on}",
            "x": [d.isoformat() for d in f["date"].to_list()], "y": _clean(f["corr"].to_list()),
            "customdata": [list(r) for r in zip(_clean(f["beta"].to_list()), f["n"].to_list(), strict=True)],
            "line": {"color": {"RUB": POLE_COLORS["RUS"], "EUR": POLE_COLORS["EU27"], "CNY": POLE_COLORS["CHN"],
                               "TRY": POLE_COLORS["TUR"]}.get(on, SERIES_COLORS[i % len(SERIES_COLORS)]),
                     "width": 2},
            "hovertemplate": "ρ = %{y:.2f} · β = %{customdata[0]:.2f} (n = %{customdata[1]})"
                             "<extra>%{fullData.name}</extra>",
            "meta": {"currency": cur, "on": on},
        })
    shapes = [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
               "line": {"color": "#888", "width": 1}}]
    if year is not None:
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": f"{year}-01-01", "x1": f"{year}-12-31",
                       "y0": 0, "y1": 1, "fillcolor": "#000", "opacity": 0.05, "line": {"width": 0}})
    return {"data": traces, "layout": _layout(
        yaxis={"range": [-1, 1], "title": {"text": "rolling correlation ρ"}},
        xaxis={"type": "date"},
        shapes=shapes,
    )}


def route_network(routes: pl.DataFrame, *, country: str, year: int) -> dict | None:
    """Schematic network: countries as nodes, consecutive countries of each route's path as edges.

    Edges shared by several routes are drawn once, wider; hovering the edge's midpoint lists the routes
    with their capacities. Node colour = the node's pole in ``year``.
    """
    import networkx as nx

    if routes.height == 0:
        return None
    edges: dict[tuple[str, str], list[dict]] = {}
    nodes: set[str] = {country}
    for r in routes.iter_rows(named=True):
        path = [c.strip() for c in r["countries"].split(";") if c.strip()]
        nodes.update(path)
        for a, b in zip(path, path[1:], strict=False):
            if a != b:
                edges.setdefault(tuple(sorted((a, b))), []).append(r)
    g = nx.Graph()
    g.add_nodes_from(sorted(nodes))
    g.add_edges_from(edges)
    pos = nx.kamada_kawai_layout(g) if len(nodes) > 2 else nx.circular_layout(g)
    cx, cy = pos[country]
    pos = {n: (float(x - cx), float(y - cy)) for n, (x, y) in pos.items()}  # the country at the centre
    pm = countries.pole_map(year, country=country)
    traces = []
    for (a, b), rs in sorted(edges.items()):
        carriers = sorted({r["carrier"] for r in rs})
        color = CARRIER_COLORS.get(carriers[0], "#666") if len(carriers) == 1 else "#666"
        traces.append({
            "type": "scatter", "mode": "lines", "x": [pos[a][0], pos[b][0]], "y": [pos[a][1], pos[b][1]],
            "line": {"color": color, "width": min(1.5 + 1.2 * len(rs), 10),
                     "dash": "solid" if any(r["status"] == "operating" for r in rs) else "dot"},
            "hoverinfo": "skip",
            "showlegend": False, "meta": {"edge": [a, b], "routes": len(rs)},
        })
    mids = sorted(edges.items())
    traces.append({
        "type": "scatter", "mode": "markers", "name": "routes",
        "x": [(pos[a][0] + pos[b][0]) / 2 for (a, b), _ in mids],
        "y": [(pos[a][1] + pos[b][1]) / 2 for (a, b), _ in mids],
        "marker": {"size": 9, "color": "white", "line": {"color": "#444", "width": 1}},
        "text": ["<br>".join([f"<b>{a}–{b}</b>"] + [_route_line(r) for r in rs[:30]] +
                             ([f"… and {len(rs) - 30} more"] if len(rs) > 30 else [])) for (a, b), rs in mids],
        "hovertemplate": "%{text}<extra></extra>", "showlegend": False, "meta": {"kind": "edge-midpoints"},
    })
    ordered = sorted(nodes)
    traces.append({
        "type": "scatter", "mode": "markers+text", "name": "countries",
        "x": [pos[n][0] for n in ordered], "y": [pos[n][1] for n in ordered],
        "text": ordered, "textposition": "top center",
        "marker": {"size": [26 if n == country else 16 for n in ordered],
                   "color": [POLE_COLORS.get(pm.get(n, "ROW"), "#999") if n != country else "#222" for n in ordered],
                   "line": {"color": "white", "width": 1}},
        "customdata": [countries.name(n) for n in ordered],
        "hovertemplate": "%{customdata} (%{text})<extra></extra>", "showlegend": False,
        "meta": {"kind": "nodes"},
    })
    for carrier, color in CARRIER_COLORS.items():  # legend entries for the edge colours in use
        if carrier in set(routes["carrier"].to_list()):
            traces.append({"type": "scatter", "mode": "lines", "x": [None], "y": [None], "name": carrier,
                           "line": {"color": color, "width": 4}, "hoverinfo": "skip"})
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    return {"data": traces, "layout": _layout(
        xaxis=hidden, yaxis={**hidden, "scaleanchor": "x"}, hovermode="closest", height=460,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
    )}


def _route_line(r: dict) -> str:
    cap = r.get("capacity")
    cap_s = f"{cap:,.4g} {r.get('unit') or ''}".strip() if cap is not None and cap == cap else "capacity n/a"
    return f"{r['name']} — {cap_s}, {r.get('status') or 'status n/a'}"


def scenario_bars(effects: pl.DataFrame) -> dict | None:
    """Headline effects (rows with an empty ``detail``) as horizontal bars, one panel per unit.

    Bars are the central estimates (``value``); whiskers span the 5th–95th percentiles of the Monte Carlo
    draws when the frame has them (``p5``/``p95``).
    """
    need = {"channel", "metric", "value", "unit"}
    if effects.height == 0 or not need <= set(effects.columns):
        return None
    df = effects.filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    if "detail" in df.columns:
        df = df.filter(pl.col("detail").fill_null("") == "")
    if df.height == 0:
        return None
    lo = next((c for c in ("p5", "p05", "q05") if c in df.columns), None)
    hi = next((c for c in ("p95", "q95") if c in df.columns), None)
    units = df["unit"].unique(maintain_order=True).to_list()
    sizes = [df.filter(pl.col("unit") == u).height for u in units]
    total, gap = sum(sizes), 0.08
    traces, axes, top = [], {}, 1.0
    for i, (unit, n) in enumerate(zip(units, sizes, strict=True)):
        u = df.filter(pl.col("unit") == unit)
        h = (1.0 - gap * (len(units) - 1)) * n / total
        sfx = "" if i == 0 else str(i + 1)
        t = {
            "type": "bar", "orientation": "h", "name": unit or "(no unit)", "xaxis": f"x{sfx}", "yaxis": f"y{sfx}",
            "y": [f"{c}: {m}" for c, m in zip(u["channel"], u["metric"], strict=True)],
            "x": _clean(u["value"].to_list()), "marker": {"color": SERIES_COLORS[i % len(SERIES_COLORS)]},
            "hovertemplate": "%{y}: %{x:.4g} " + unit + "<extra></extra>", "showlegend": False,
            "meta": {"unit": unit},
        }
        if lo and hi:
            t["error_x"] = {"type": "data", "symmetric": False, "color": "#333",
                            "array": _clean((u[hi] - u["value"]).to_list()),
                            "arrayminus": _clean((u["value"] - u[lo]).to_list())}
        traces.append(t)
        axes[f"xaxis{sfx}"] = {"anchor": f"y{sfx}", "title": {"text": unit, "standoff": 2}, "gridcolor": "#e5e5e5",
                               "zeroline": True, "zerolinecolor": "#888"}
        axes[f"yaxis{sfx}"] = {"anchor": f"x{sfx}", "domain": [max(top - h, 0.0), top], "automargin": True,
                               "autorange": "reversed"}
        top -= h + gap
    layout = _layout(hovermode="closest", margin={"l": 10, "r": 20, "t": 10, "b": 40},
                     height=max(260, 90 * len(units) + 28 * total))
    layout.update(axes)
    return {"data": traces, "layout": layout}


def _usd(x: float) -> str:
    """5e8 → '500 m' (legend text)."""
    for div, unit in ((1e12, " tn"), (1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(x) >= div:
            return f"{x / div:,.4g}{unit}"
    return f"{x:,.0f}"


def options_frontier(frontier: pl.DataFrame) -> dict | None:
    """The frontier of the options section (``options_frontier`` frame): the exact objective of the best mix at
    each budget against its cost, the value with no option as a dashed line, the chosen mix as a star."""
    if frontier.height == 0:
        return None
    f = frontier.sort("budget_usd")
    balance = f["objective"][0] == "balance"
    yfmt = ".4f" if balance else "$.4s"
    custom = [list(r) for r in zip(_clean(f["budget_usd"].to_list()), f["options"].to_list(),
                                   _clean(f["predicted"].to_list()), _clean(f["delta"].to_list()), strict=True)]
    hover = ("cost %{x:$.4s} (budget %{customdata[0]:$.4s})<br>%{customdata[1]}<br>exact %{y:" + yfmt +
             "} · Δ %{customdata[3]:+" + yfmt.lstrip("$") + "} · predicted %{customdata[2]:" + yfmt + "}<extra></extra>")
    traces = [{
        "type": "scatter", "mode": "lines+markers", "name": "best mix per budget (exact)",
        "x": _clean(f["cost_usd"].to_list()), "y": _clean(f["value"].to_list()), "customdata": custom,
        "line": {"color": SERIES_COLORS[0], "width": 2}, "marker": {"size": 7},
        "hovertemplate": hover, "meta": {"kind": "frontier", "objective": f["objective"][0]},
    }]
    chosen = f.filter(pl.col("chosen"))
    if chosen.height:
        c = chosen.row(0, named=True)
        traces.append({
            "type": "scatter", "mode": "markers", "name": f"chosen mix (budget {_usd(c['budget_usd'])} USD)",
            "x": _clean([c["cost_usd"]]), "y": _clean([c["value"]]), "customdata": [c["options"]],
            "marker": {"size": 18, "symbol": "star", "color": SERIES_COLORS[1], "line": {"color": "#222", "width": 1}},
            "hovertemplate": "chosen: %{customdata}<br>cost %{x:$.4s} · exact %{y:" + yfmt + "}<extra></extra>",
            "meta": {"kind": "chosen", "objective": c["objective"]},
        })
    base = f["value"][0] - f["delta"][0]
    shapes = [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": base, "y1": base,
               "line": {"color": "#444", "width": 1, "dash": "dash"}}] if math.isfinite(base) else []
    ytitle = "composite balance B_c (0–1)" if balance else "spillover S (USD)"
    return {"data": traces, "layout": _layout(
        xaxis={"title": {"text": "cost of the mix (USD)"}, "tickformat": "$~s", "rangemode": "tozero"},
        yaxis={"title": {"text": ytitle}, **({} if balance else {"tickformat": "$~s"})},
        legend={"y": 1.02, "yanchor": "bottom"}, margin={"t": 40, "b": 50},
        hovermode="closest", shapes=shapes,
        annotations=[{"xref": "paper", "yref": "y", "x": 1, "y": base, "xanchor": "right", "yanchor": "bottom",
                      "showarrow": False, "text": "no option", "font": {"size": 11, "color": "#444"}}]
        if shapes else [],
    )}


def build_figures(frames: dict[str, pl.DataFrame], *, country: str, year: int) -> dict[str, dict | None]:
    """Every figure of a report from its tidy frames: key → figure dict (``None`` = no data)."""
    empty = pl.DataFrame()
    shares = frames.get("pole_shares", empty)
    return {
        "pole_import": pole_area(shares, flow="import", year=year) if shares.height else None,
        "pole_export": pole_area(shares, flow="export", year=year) if shares.height else None,
        "balance": balance_lines(frames.get("balance", empty), frames.get("balance_composite"), year=year),
        "routes": route_network(frames.get("routes", empty), country=country, year=year),
        "alignment": alignment_lines(frames.get("alignment", empty), year=year),
        "fx": fx_lines(frames.get("fx", empty), year=year),
        "scenario": scenario_bars(frames.get("scenario", empty)),
        "options_frontier": options_frontier(frames.get("options_frontier", empty)),
    }
