"""Rich rendering of :class:`tethers.analysis.world.WorldView` (``tethers compare --world``)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

GAP = "–"
STATUS_STYLE = {"ok": "green", "partial": "yellow", "coverage unknown": "yellow", "insufficient": "yellow",
                "no data": "dim", "n/a": "dim"}
COUNT_LABEL = {"coverage unknown": "unknown"}


def _value(v: float | None, unit: str) -> str:
    if v is None or v != v:
        return GAP
    return f"{100 * v:.1f} %" if unit == "share" else f"{v:.3f}"


def _usd(v: float | None) -> str:
    if v is None or v != v:
        return GAP
    for div, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if abs(v) >= div:
            return f"{v / div:.2f} {suffix}"
    return f"{v:,.0f}"


def render_world(view, console: Console, *, limit: int | None = None) -> None:
    """A table sorted by value (largest first, gaps last) with the status, level, basis and reason columns, and
    the counts per status. ``limit``: print only the first rows (all by default)."""
    console.rule(f"[bold]World view — {view.label} ({view.measure}), {view.year}")
    counts = view.counts
    console.print("  ".join(f"[{STATUS_STYLE.get(s, 'white')}]{COUNT_LABEL.get(s, s)}[/]: {n}"
                            for s, n in counts.items()) + f"   (countries: {view.rows.height})")
    share = view.unit == "share"
    t = Table(title_justify="left")
    for col, kw in (("#", {"justify": "right"}), ("country", {"max_width": 30}), ("value", {"justify": "right"}),
                    ("status", {}), ("level (USD)" if share else "weight covered", {"justify": "right"}),
                    ("basis / reason", {"overflow": "fold", "max_width": 70})):
        t.add_column(col, **kw)
    every = view.rows.to_dicts()
    rows = [r for r in every if r["status"] != "no data"]  # the no-data rows are listed in one line below
    nodata = [r["iso3"] for r in every if r["status"] == "no data"]
    for i, r in enumerate(rows[:limit] if limit else rows, 1):
        style = STATUS_STYLE.get(r["status"], "white")
        level = _usd(r["level"]) if share else (GAP if r["coverage"] is None else f"{100 * r['coverage']:.0f} %")
        t.add_row(str(i) if r["value"] is not None else "", f"{r['name']} ({r['iso3']})",
                  _value(r["value"], view.unit), f"[{style}]{r['status']}[/]", level,
                  r["reason"] if r["status"] != "ok" else r["basis"].split(",")[0])
    console.print(t)
    if nodata:
        console.print(f"[dim]no data ({len(nodata)}): {', '.join(nodata)}[/]")
    if limit and len(rows) > limit:
        console.print(f"[dim]… {len(rows) - limit} more rows (--format json gives all)[/]")
    console.print(f"[dim]{view.definition}[/]")
    for n in view.notes:
        console.print(f"[dim]{n}[/]")
