"""Rich rendering of a :class:`~tethers.scenario.engine.SpilloverResult` and a backtest (reads ``tidy()`` only)."""

from __future__ import annotations

import math

import polars as pl
from rich.console import Console
from rich.table import Table

from ..countries import name as country_name

__all__ = ["render_result", "render_backtest", "fmt_value", "band_bar"]


def fmt_value(v: float | None, unit: str) -> str:
    """A value in its unit: USD in bn/mn, shares as %, pp with 2 decimals."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if unit == "USD":
        a = abs(v)
        return f"{v / 1e9:,.2f} bn" if a >= 1e9 else f"{v / 1e6:,.1f} mn" if a >= 1e6 else f"{v:,.0f}"
    if unit == "share":
        return f"{v * 100:+.1f} %" if abs(v) < 10 else f"{v * 100:+,.0f} %"
    if unit == "pp":
        return f"{v:+.2f} pp"
    if unit == "flag":
        return "yes" if v >= 0.5 else "no"
    return f"{v:,.3g}"


def band_bar(lo: float | None, mid: float | None, hi: float | None, *, scale: float, width: int = 20) -> str:
    """A one-line picture of the p5–p95 band (─) and the central value (●) on ``[0, scale]`` (or ±scale)."""
    if None in (lo, mid, hi) or scale <= 0 or any(math.isnan(x) for x in (lo, mid, hi)):  # type: ignore[arg-type]
        return ""
    lo_s = min(lo, 0.0)  # type: ignore[type-var]
    span = max(hi, 0.0) - lo_s if max(hi, 0.0) > lo_s else 1.0  # type: ignore[type-var]

    def pos(x: float) -> int:
        return max(0, min(width - 1, int(round((x - lo_s) / span * (width - 1)))))

    cells = [" "] * width
    for i in range(pos(lo), pos(hi) + 1):  # type: ignore[arg-type]
        cells[i] = "─"
    cells[pos(mid)] = "●"  # type: ignore[arg-type]
    return "".join(cells)


def render_result(tidy: pl.DataFrame, console: Console, *, title: str, notes: list[str] | tuple[str, ...] = (),
                  details: bool = False, n_draws: int = 0, seed: int | None = None) -> None:
    """One table per channel: metric, central value, p5–p95 band (from the draws) and the detail key.

    Without ``details`` the per-HS-chapter (``hs=``) and per-route (``carrier|route``) rows are left out.
    Rows whose metric is ``note`` (a channel's remark) are printed as notes under the tables.
    """
    channel_notes = [f"{r['channel']}: {r['detail']}" for r in tidy.filter(pl.col("metric") == "note").iter_rows(named=True)]
    rows = tidy if details else tidy.filter(~pl.col("detail").str.contains("hs=") & ~pl.col("detail").str.contains("|", literal=True))
    rows = rows.filter(pl.col("metric") != "note")
    console.print(f"[bold]{title}[/]")
    if n_draws:
        console.print(f"[dim]{n_draws} draws, seed {seed}; bands are the 5th–95th percentiles of the draws[/]")
    for channel in rows["channel"].unique(maintain_order=True).to_list():
        part = rows.filter(pl.col("channel") == channel)
        t = Table(title=f"channel: {channel}", title_justify="left", show_lines=False)
        for col, just in (("metric", "left"), ("central", "right"), ("p5 – p95", "right"), ("band", "left"),
                          ("detail", "left")):
            t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
        for r in part.iter_rows(named=True):
            p5, p95 = r.get("p5"), r.get("p95")
            band = f"{fmt_value(p5, r['unit'])} – {fmt_value(p95, r['unit'])}" if p5 is not None and p95 is not None \
                and p5 != p95 else ""
            bar = band_bar(p5, r["value"], p95, scale=1.0) if band else ""
            t.add_row(r["metric"], fmt_value(r["value"], r["unit"]), band, bar, r["detail"])
        console.print(t)
    for n in [*notes, *channel_notes]:
        console.print(f"[dim]note: {n}[/]")


def render_backtest(rows: pl.DataFrame, console: Console, *, title: str, notes: list[str] | tuple[str, ...] = ()) -> None:
    """The backtest table: the channels' effect, the counterfactual (control group) where the row has one, the
    simulated figure (counterfactual ⊕ effect, with p5–p95), observed and the error, in the indicator's unit."""
    console.print(f"[bold]{title}[/]")
    t = Table(show_lines=False)
    cf = "counterfactual" in rows.columns
    cols = [("indicator", "left")] + ([("effect", "right"), ("counter-factual", "right")] if cf else []) + [
        ("simulated", "right"), ("p5 – p95", "right"), ("observed", "right"), ("error (sim − obs)", "right"),
        ("basis", "left")]
    for col, just in cols:
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    signs = "sign_right" in rows.columns
    if signs:
        t.add_column("sign right?", justify="center")
    for r in rows.iter_rows(named=True):
        u = r["unit"]
        band = f"{fmt_value(r['p5'], u)} – {fmt_value(r['p95'], u)}" if r["p5"] is not None else ""
        err = r["error"]
        err_s = fmt_value(err, u) if err is not None else "—"
        extra = [fmt_value(r["effect"], u), fmt_value(r["counterfactual"], u) if r["counterfactual"] is not None
                 else "—"] if cf else []
        cells = [r["indicator"], *extra, fmt_value(r["simulated"], u), band, fmt_value(r["observed"], u), err_s,
                 r["basis"]]
        if signs:
            cells.append({True: "yes", False: "[red]no[/]"}.get(r["sign_right"], "—"))
        t.add_row(*cells)
    console.print(t)
    for n in notes:
        console.print(f"[dim]note: {n}[/]")


def heading(scenario: str, country: str, year: int) -> str:
    return f"{scenario} — spillovers on {country_name(country)} ({country}), base year {year}"
