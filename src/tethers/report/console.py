"""Rich rendering of results for the terminal. Reads only the results' public fields / tidy frames."""

from __future__ import annotations

from rich.columns import Columns
from rich.console import Console
from rich.panel import Panel
from rich.table import Table


def usd(x: float | None) -> str:
    """Human USD: 41.42 bn, 870.3 m."""
    if x is None:
        return "–"
    for div, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.2f} {unit}"
    return f"{x:,.0f}"


def pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None or x != x else f"{100 * x:.{digits}f} %"


def render_profile(prof, console: Console) -> None:
    """Print a :class:`~tethers.analysis.profile.Profile` as Rich tables."""
    console.rule(f"[bold]{prof.name} ({prof.country}) — dependency profile {prof.year}")
    if prof.totals:
        _trade(prof, console)
    _memberships(prof, console)
    _votes(prof, console)
    if prof.energy.height:
        _energy(prof, console)
    st = Table(title="Sources", title_justify="left")
    for col in ("section", "source", "file", "licence"):
        st.add_column(col, overflow="fold")
    for r in prof.sources.iter_rows(named=True):
        st.add_row(r["section"], r["source"], r["file"], r["licence"])
    console.print(st)
    for note in prof.notes:
        console.print(Panel(note, style="yellow", expand=False))


def _coverage_word(c: dict | None) -> str:
    if not c:
        return ""
    if c.get("status") == "ok":
        return f" [dim]({c.get('basis', '')}; {c.get('total_basis', '')})[/]"
    return f" [yellow]({c.get('reason') or c.get('status')}: levels only)[/]"


def _trade(prof, console: Console) -> None:
    cov = prof.coverage
    console.print(
        f"Total goods trade: imports [bold]{usd(prof.totals.get('import'))}[/] USD"
        f"{_coverage_word(cov.get('trade_import'))}, "
        f"exports [bold]{usd(prof.totals.get('export'))}[/] USD{_coverage_word(cov.get('trade_export'))}"
    )
    tables = []
    for flow, title in (("import", "Top import partners"), ("export", "Top export partners")):
        t = Table(title=title, title_justify="left")
        for col, just in (("#", "right"), ("partner", "left"), ("pole", "left"), ("USD", "right"), ("share", "right")):
            t.add_column(col, justify=just)
        for r in prof.partners.filter(prof.partners["flow"] == flow).iter_rows(named=True):
            mark = " e" if r.get("estimated") else ""
            t.add_row(str(r["rank"]), f"{r['name']} ({r['partner']})", r["pole"], usd(r["value_usd"]) + mark,
                      pct(r["share"]))
        tables.append(t)
    console.print(Columns(tables))
    if prof.partners.height and "estimated" in prof.partners.columns and prof.partners["estimated"].any():
        console.print("[dim]e: an estimate of the publisher (IMF DOTS: the country did not report the figure; the IMF "
                      "estimated it from partner data)[/]")
    pt = Table(title="Trade by pole (shares only where the partners cover ≥ 95 % of the world total; else USD levels)",
               title_justify="left")
    for col, just in (("pole", "left"), ("imports", "right"), ("exports", "right")):
        pt.add_column(col, justify=just)
    by_flow = {f: {r["pole"]: r for r in prof.poles.filter(prof.poles["flow"] == f).iter_rows(named=True)}
               for f in ("import", "export")}
    for pole in dict.fromkeys([*by_flow["import"], *by_flow["export"]]):
        label = (by_flow["import"].get(pole) or by_flow["export"].get(pole))["label"]
        pt.add_row(label, *(_share_or_level(by_flow[f].get(pole, {})) for f in ("import", "export")))
    console.print(pt)


def _share_or_level(r: dict) -> str:
    if not r:
        return "–"
    if r.get("status") == "ok":
        return pct(r.get("share"))
    return f"{usd(r.get('value_usd'))} USD [dim]({r.get('status')})[/]"


def _memberships(prof, console: Console) -> None:
    """Current (hand-kept) memberships one per row; COW memberships carried forward grouped by kind."""
    m = prof.memberships
    kind_order = {"security": 0, "economic": 1, "political": 2, "forum": 3, "other": 4}
    rows = sorted(m.iter_rows(named=True), key=lambda r: (kind_order.get(r["kind"], 9), r["organisation"]))
    current = [r for r in rows if not r.get("carried_forward")]
    carried = [r for r in rows if r.get("carried_forward")]
    mt = Table(title=f"Organisations ({m.height}) and the poles that share them", title_justify="left")
    for col in ("organisation", "kind", "status", "shared with", "source"):
        mt.add_column(col, overflow="fold")
    for r in current:
        status = r["status"] + (f" [dim](participation {r['participation']})[/]" if r.get("participation") else "")
        mt.add_row(f"{r['organisation_name']} [dim]({r['organisation']})[/]", r["kind"], status,
                   (r["poles"] or "").replace(";", ", "), r["source"])
    console.print(mt)
    if carried:
        names = {"cow_igo": "COW IGO", "handkept": "hand-kept table"}
        seen = sorted({(r["as_of"], names.get(r["source"], r["source"])) for r in carried})
        where = "; ".join(f"{src} in {y}" for y, src in seen)
        ct = Table(title=f"… and {len(carried)} more carried forward, last observed: {where}; by kind",
                   title_justify="left")
        ct.add_column("kind")
        ct.add_column("organisations (short ids)", overflow="fold")
        for kind in sorted({r["kind"] for r in carried}, key=lambda k: kind_order.get(k, 9)):
            ct.add_row(kind, ", ".join(r["organisation"] for r in carried if r["kind"] == kind))
        console.print(ct)


def _num(x: float | None, fmt: str) -> str:
    return "–" if x is None or x != x else format(x, fmt)


def _votes(prof, console: Console) -> None:
    v = prof.votes
    vt = Table(title=f"UN General Assembly {prof.year}: {v['roll_calls']} roll calls", title_justify="left")
    for col in ("yes", "no", "abstain", "absent"):
        vt.add_column(col, justify="right")
    vt.add_row(*("n/r" if v[k] is None else str(v[k]) for k in ("yes", "no", "abstain", "absent")))
    at = Table(title="Voting agreement with each pole", title_justify="left")
    for col, just in (("pole", "left"), ("agreement", "right"), ("kappa", "right"), ("roll calls", "right")):
        at.add_column(col, justify=just)
    for r in prof.alignment.iter_rows(named=True):
        at.add_row(r["label"], _num(r["agreement"], ".3f"), _num(r["kappa"], ".2f"), str(r["n"]))
    console.print(Columns([vt, at]))


def _energy(prof, console: Console) -> None:
    e = prof.energy
    et = Table(title="Energy by pole: gas trade (Energy Institute) and transit (routes)", title_justify="left",
               caption="transit: share of exports whose routes cross the pole; provided: the pole's gas imports "
                       "from third countries crossing this country (bcm, and share of its pipeline gas imports)",
               caption_justify="left")
    cols = [("pole", "left"), ("gas imports from", "right"), ("gas exports to", "right"),
            ("gas exports crossing", "right"), ("oil exports crossing", "right"), ("transit provided", "right")]
    for col, just in cols:
        et.add_column(col, justify=just)
    for r in e.iter_rows(named=True):
        given = r["transit_provided_bcm"]
        provided = "–" if given is None else (f"{given:.1f} bcm ({pct(r['transit_provided_share'], 0)})" if given
                                               else "0")
        exports = pct(r["gas_export_share"])
        if r["gas_exports_bcm"]:
            exports += f" ({r['gas_exports_bcm']:.1f} bcm)"
        et.add_row(r["label"], pct(r["gas_import_share"]), exports, pct(r["gas_transit_share"]),
                   pct(r["oil_transit_share"]), provided)
    console.print(et)
    read = e.filter(e["pole_gas_from_or_via_share"].is_not_null()) if "pole_gas_from_or_via_share" in e.columns \
        else e.head(0)
    if read.height:
        rt = Table(title="The pole's gas imports: from this country, via it, from or via it (three readings)",
                   title_justify="left")
        for col in ("pole", "from (origin)", "via (transit)", "from or via"):
            rt.add_column(col, justify="left" if col == "pole" else "right")
        for r in read.iter_rows(named=True):
            rt.add_row(r["label"], pct(r["pole_gas_from_share"]), pct(r["pole_gas_via_share"]),
                       pct(r["pole_gas_from_or_via_share"]))
        console.print(rt)
