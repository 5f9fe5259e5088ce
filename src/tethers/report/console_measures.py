"""Rich rendering of ``dependence``, ``balance``, ``critical`` and ``compare``. Reads only the results' tidy frames
and public fields; computes nothing but display formats."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from rich.console import Console
from rich.table import Table

from .console import pct, usd

SPARKS = "▁▂▃▄▅▆▇█"
GAP = "·"
STATUS_STYLE = {"ok": "green", "partial": "yellow", "no data": "red", "n/a": "dim"}


def sparkline(values: Sequence[float | None], *, lo: float = 0.0, hi: float = 1.0) -> str:
    """One character per value on a fixed [lo, hi] scale (so rows are comparable); ``·`` for a gap (None/NaN)."""
    out = []
    for v in values:
        if v is None or v != v:
            out.append(GAP)
            continue
        x = min(max((v - lo) / (hi - lo), 0.0), 1.0)
        out.append(SPARKS[round(x * (len(SPARKS) - 1))])
    return "".join(out)


def fmt_value(value: float | None, unit: str, text: str | None = None) -> str:
    """A metric as text, by its unit; ``text`` (a code or a list) is appended."""
    if value is None or value != value:
        base = "–" if text is None else ""
    elif unit == "share":
        base = pct(value)
    elif unit == "USD":
        base = f"{usd(value)} USD"
    elif unit in ("count", "rank"):
        base = f"{value:,.0f}" if unit == "count" else f"#{value:.0f}"
    elif unit in ("bcm",):
        base = f"{value:,.2f} {unit}"
    elif unit.startswith("index") or unit in ("−1–1", "slope"):
        base = f"{value:.3f}"
    else:
        base = f"{value:,.4g} {unit}".strip()
    if text:
        return f"{text} ({base})" if unit == "share" and base not in ("", "–") else (f"{base} — {text}" if base else text)
    return base


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _sources_table(sources: pl.DataFrame, title: str = "Sources") -> Table:
    """Provenance grouped by (dimension,) table and source: the first file and how many more."""
    key = ["dimension"] if "dimension" in sources.columns else []
    t = Table(title=title, title_justify="left")
    for col in (["used for"] if key else []) + ["table", "source", "files", "licence"]:
        t.add_column(col, overflow="fold")
    if sources.height == 0:
        return t
    g = sources.group_by([*key, "table", "source", "licence"], maintain_order=True).agg(pl.col("file").sort())
    for r in g.sort([*key, "table", "source"]).iter_rows(named=True):
        files = r["file"]
        shown = files[0] if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more)"
        t.add_row(*([r["dimension"]] if key else []), r["table"], r["source"], shown, r["licence"])
    return t


# ---------------------------------------------------------------------------------------------- dependence


def render_dependence(dep, console: Console) -> None:
    """Print a :class:`~tethers.analysis.dependence.Dependence`: one table per dimension, definitions, reasons, sources."""
    tidy = dep.tidy()
    console.rule(f"[bold]{dep.name} ({dep.country}) — dependence on {dep.on_label} ({dep.on}), {dep.year}")
    if dep.on in ("EU27", "CASIA"):
        console.print(f"[dim]{dep.on} in {dep.year}: {', '.join(dep.members)}[/]")
    metrics = tidy["metrics"]
    width = min(console.width, 120)
    for s in tidy["sections"].iter_rows(named=True):
        dim = s["dimension"]
        t = Table(title=f"[bold]{dim}[/] · {_status(s['status'])}", title_justify="left", show_header=False,
                  caption=f"[dim]{s['definition']}[/]", caption_justify="left", width=width)
        t.add_column("measure", ratio=1)
        t.add_column("value", ratio=1, overflow="fold")
        for r in metrics.filter(pl.col("dimension") == dim).iter_rows(named=True):
            label = f"[bold]{r['label']}[/]" if r["headline"] else r["label"]
            t.add_row(label, fmt_value(r["value"], r["unit"], r["text"]))
        if s["reason"]:
            word = "gaps" if s["status"] == "partial" else s["status"]
            t.add_row(f"[yellow]{word}[/]", f"[yellow]{s['reason']}[/]")
        console.print(t)
    for note in dep.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(_sources_table(tidy["sources"]))


# ---------------------------------------------------------------------------------------------- balance


def render_balance(bal, console: Console) -> None:
    """Print a :class:`~tethers.analysis.balance.BalanceOverTime`: one sparkline row per dimension + composite."""
    tidy = bal.tidy()
    years = list(range(bal.start, bal.end + 1))
    console.rule(f"[bold]{bal.name} ({bal.country}) — multi-vector balance {bal.start}–{bal.end}")
    console.print(f"[dim]B = 1 − HHI* over the poles {', '.join(bal.poles)} (ROW excluded; 1 = evenly spread, "
                  f"0 = one pole has all). Sparklines on a fixed 0–1 scale, one character per year, "
                  f"{GAP} = no data (a gap, not 0).[/]")
    movers = {r["dimension"]: r for r in tidy["movers"].iter_rows(named=True)}
    t = Table(title_justify="left")
    t.add_column("dimension")
    t.add_column(f"{bal.start}{' ' * max(len(years) - 9, 1)}{bal.end}", no_wrap=True, min_width=len(years))
    for col in ("first→last", "Δ", "years", "gained (pp)", "lost (pp)"):
        t.add_column(col, justify="left" if col[0] in "gl" else "right")
    by = tidy["by_dimension"]
    for dim in dict.fromkeys(by["dimension"].to_list()):
        series = by.filter(pl.col("dimension") == dim).sort("year")["balance"].to_list()
        t.add_row(dim, *_balance_cells(series, years, movers.get(dim)))
    comp = tidy["composite"].sort("year")["balance"].to_list()
    t.add_row("[bold]composite[/]", *_balance_cells(comp, years, None))
    console.print(t)
    cov = tidy["composite"]
    console.print(f"[dim]composite: weighted mean of the dimensions present each year (weights "
                  f"{', '.join(f'{k}={v:g}' for k, v in bal.weights.items())}); dimensions present per year: "
                  f"{sparkline([n / len(bal.weights) for n in cov.sort('year')['n_dimensions'].to_list()])} "
                  f"({cov['n_dimensions'].min()}–{cov['n_dimensions'].max()} of {len(bal.weights)})[/]")
    ov = movers.get("overall")
    if ov:
        console.print(f"Across dimensions (weighted mean change of each pole's share, each dimension over its own "
                      f"first→last year): [bold]{ov['gained']}[/] gained most ({ov['gained_delta'] * 100:+.1f} pp), "
                      f"[bold]{ov['lost']}[/] lost most ({ov['lost_delta'] * 100:+.1f} pp).")
    for note in bal.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(_sources_table(tidy["sources"]))


def _balance_cells(series: list[float | None], years: list[int], mover: dict | None) -> list[str]:
    have = [(y, v) for y, v in zip(years, series, strict=True) if v is not None and v == v]
    if not have:
        return [sparkline(series), "–", "–", "none", "", ""]  # no year with data
    (y0, v0), (y1, v1) = have[0], have[-1]
    gained = lost = ""
    if mover:
        gained = f"{mover['gained']} {mover['gained_delta'] * 100:+.1f}" if mover["gained"] else "none"
        lost = f"{mover['lost']} {mover['lost_delta'] * 100:+.1f}" if mover["lost"] else "none"
    delta = f"{v1 - v0:+.3f}" if y1 > y0 else "–"
    span = f"{y0}–{str(y1)[2:]}" if y1 > y0 else str(y0)
    return [sparkline(series), f"{v0:.3f}→{v1:.3f}", delta, span, gained, lost]


# ---------------------------------------------------------------------------------------------- critical


def render_critical(cp, console: Console) -> None:
    """Print a :class:`~tethers.analysis.dependence.CriticalProducts`."""
    tidy = cp.tidy()
    console.rule(f"[bold]{cp.name} ({cp.country}) — critical import dependencies {cp.year}")
    th = cp.thresholds
    crit = [f"supplier HHI > {th['hhi']:g}", f"imports > {th['ratio']:g} × exports"]
    if th.get("top_share") is not None:
        crit.append(f"top supplier ≥ {th['top_share']:.0%}")
    console.print(f"[dim]critical when {' and '.join(crit)} (EU SWD(2021) 352; CEPII GeoDep)[/]")
    console.print(f"[yellow]{cp.coverage}[/]")
    products = tidy["products"]
    if products.height == 0:
        console.print("[red]no product-level imports to assess — nothing is listed[/]")
        return
    t = Table(title="Products", title_justify="left")
    for col, just in (("product", "left"), ("imports", "right"), ("exports", "right"), ("M/X", "right"),
                      ("suppliers", "right"), ("HHI", "right"), ("top supplier", "left"), ("HHI > t", "center"),
                      ("M > X", "center"), ("critical", "center")):
        t.add_column(col, justify=just, overflow="fold")
    for r in products.iter_rows(named=True):
        exports = "unknown" if r["exports"] is None else f"{usd(r['exports'])} ({r['exports_basis']})"
        t.add_row(f"{r['label']} [dim]({r['source']})[/]", usd(r["imports"]), exports, _num(r["ratio"], ".2f"),
                  str(r["n_suppliers"]), _num(r["hhi"], ".3f"), f"{r['top_supplier']} {pct(r['top_share'])}",
                  _flag(r["concentrated"]), _flag(r["net_importer"]), _flag(r["critical"], strong=True))
    console.print(t)
    s = Table(title="Largest suppliers", title_justify="left")
    for col, just in (("product", "left"), ("#", "right"), ("supplier", "left"), ("pole", "left"), ("imports", "right"),
                      ("share", "right")):
        s.add_column(col, justify=just)
    for r in tidy["suppliers"].iter_rows(named=True):
        s.add_row(f"{r['classification']} {r['product']}", str(r["rank"]), r["partner"], r["pole"], usd(r["value_usd"]),
                  pct(r["share"]))
    console.print(s)
    for note in cp.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(_sources_table(tidy["sources"]))


def _num(x: float | None, f: str) -> str:
    return "–" if x is None or x != x else ("∞" if x == float("inf") else format(x, f))


def _flag(x: bool | None, *, strong: bool = False) -> str:
    if x is None:
        return "[dim]unknown[/]"
    if x:
        return "[bold red]yes[/]" if strong else "yes"
    return "no"


# ---------------------------------------------------------------------------------------------- compare


def render_comparison(cmp, console: Console) -> None:
    """Print a :class:`~tethers.analysis.dependence.Comparison`: headline metrics side by side, footnoted gaps."""
    tidy = cmp.tidy()
    table = tidy["table"]
    console.rule(f"[bold]{', '.join(cmp.countries)} — dependence on {cmp.on_label} ({cmp.on}), {cmp.year}")
    t = Table(title_justify="left")
    t.add_column("dimension")
    t.add_column("measure")
    for c in cmp.countries:
        t.add_column(c, justify="right", overflow="fold")
    notes: dict[tuple[str, str], int] = {}
    reasons: list[str] = []
    head = table.filter(pl.col("headline") | (pl.col("metric") == "—"))
    for dim in dict.fromkeys(head["dimension"].to_list()):
        rows = head.filter((pl.col("dimension") == dim) & (pl.col("metric") != "—"))
        metrics = list(dict.fromkeys(rows["metric"].to_list())) or ["—"]
        for i, metric in enumerate(metrics):
            label = rows.filter(pl.col("metric") == metric)["label"][0] if rows.height else "—"
            cells = [_cell(table, dim, metric, c, notes, reasons) for c in cmp.countries]
            t.add_row(dim if i == 0 else "", label, *cells, end_section=i == len(metrics) - 1)
    console.print(t)
    b = Table(title=f"Balance index {cmp.year} (B = 1 − HHI* over the poles; · = no data)", title_justify="left")
    b.add_column("dimension")
    for c in cmp.countries:
        b.add_column(c, justify="right")
    bal = tidy["balance"]
    for dim in dict.fromkeys(bal["dimension"].to_list()):
        vals = []
        for c in cmp.countries:
            hit = bal.filter((pl.col("dimension") == dim) & (pl.col("country") == c))
            v = hit["balance"][0] if hit.height else None
            cell = GAP if v is None or v != v else f"{v:.3f}"
            if dim == "composite" and hit.height:
                cell += f" [dim]({hit['n_dimensions'][0]} dims)[/]"
            vals.append(cell)
        b.add_row(f"[bold]{dim}[/]" if dim == "composite" else dim, *vals)
    console.print(b)
    console.print("[dim]composites average different numbers of dimensions where data are missing: compare them "
                  "with care[/]")
    for i, reason in enumerate(reasons, 1):
        console.print(f"[yellow]{i}[/] {reason}")


def _cell(table: pl.DataFrame, dim: str, metric: str, country: str, notes: dict, reasons: list[str]) -> str:
    mine = table.filter((pl.col("dimension") == dim) & (pl.col("country") == country))
    hit = mine.filter(pl.col("metric") == metric)
    if hit.height and (hit["value"][0] is not None or hit["text"][0]):
        r = hit.row(0, named=True)
        return fmt_value(r["value"], r["unit"], r["text"] if r["unit"] != "count" else None)
    status = mine["status"][0] if mine.height else "no data"
    if status == "ok" or metric.startswith("mirror_"):
        return "[dim]–[/]"  # the dimension has data; this metric only exists for other countries
    reason = mine["reason"][0] if mine.height and mine["reason"][0] else "the metric is not available"
    key = (country, dim, reason)
    if key not in notes:
        reasons.append(f"{country} {dim}: {reason}")
        notes[key] = len(reasons)
    word = "n/a" if status == "n/a" else "no data"
    return f"[dim]{word}[/] [yellow]{notes[key]}[/]"
