"""`tethers options` and `tethers optimise`: evaluate and optimise a country's options file (registers on `app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import Format, FormatOpt, _console, _open, app, show

OptionsArg = Annotated[Path, typer.Argument(help="options file (.yaml), e.g. options/kaz-2022.yaml")]
OnOpt = Annotated[str | None, typer.Option("--on", help="country (default: the file's)")]
BaseOpt = Annotated[int | None, typer.Option("--base", help="base (counterfactual) year (default: the file's)")]
ScenarioOpt = Annotated[Path | None, typer.Option("--scenario", help="sanctions scenario for the spillover, e.g. "
                                                                     "scenarios/kaz-cpc-closure.yaml")]
DrawsOpt = Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws per option set (fixed seed)")]
SeedOpt = Annotated[int, typer.Option("--seed", help="seed of the draws")]
_BARS = "▁▂▃▄▅▆▇█"


def _evaluator(path: Path, on: str | None, base: int | None, scenario: Path | None, draws: int, seed: int, a):
    from ..options.evaluate import build_evaluator
    from ..options.spec import load_options
    from ..scenario.spec import load_spec

    opts = load_options(path)
    spec = load_spec(scenario) if scenario is not None else None
    return build_evaluator(opts, atlas=a, country=on, base_year=base, scenario=spec, draws=draws, seed=seed)


def _usd(v: float | None) -> str:
    if v is None or v != v:
        return "–"
    a = abs(v)
    for div, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if a >= div:
            return f"{v / div:,.2f} {unit}"
    return f"{v:,.0f}"


def _spark(values: list[float]) -> str:
    finite = [v for v in values if v == v]
    if not finite:
        return ""
    lo, hi = min(finite), max(finite)
    return "".join(_BARS[0 if hi == lo else round((v - lo) / (hi - lo) * (len(_BARS) - 1))] if v == v else "·"
                   for v in values)


@app.command("options")
def options_cmd(
    options_file: OptionsArg,
    on: OnOpt = None,
    base: BaseOpt = None,
    scenario: ScenarioOpt = None,
    combos: Annotated[str, typer.Option("--combos", help="none, pairs (every pair and all together) or all")] = "pairs",
    draws: DrawsOpt = 20,
    seed: SeedOpt = 20220224,
    fmt: FormatOpt = Format.table,
) -> None:
    """Per option and combination: change in the balance index (per dimension and composite), spillover, cost."""
    from rich.table import Table

    from ..options.evaluate import evaluate_options

    with _open() as a:
        ev = _evaluator(options_file, on, base, scenario, draws, seed, a)
        res = evaluate_options(ev, combos=combos, scenario=ev.spill.spec.name if ev.spill else None)
    if fmt is not Format.table:
        show(res, fmt, None)
        return
    c = _console()
    dims = [d for d in ("imports", "exports", "minerals_imports", "institutions") if d in res.balance["dimension"]]
    t = Table(title=f"{res.name}: {res.country}, base {res.base_year} — composite balance "
                    f"{res.sets['composite_base'][0]:.3f}" if res.sets.height else res.name)
    for col in ("set", "cost (USD)", "range", *[f"ΔB {d}" for d in dims], "ΔB composite",
                *(["ΔS (USD)"] if res.scenario else [])):
        t.add_column(col, justify="left" if col == "set" else "right", overflow="fold")
    bal = res.balance
    for r in res.sets.iter_rows(named=True):
        b = {x["dimension"]: x["delta"] for x in bal.filter(bal["set"] == r["set"]).iter_rows(named=True)}
        row = [r["set"], _usd(r["cost_usd"]), f"{_usd(r['cost_low'])}–{_usd(r['cost_high'])}",
               *[f"{b.get(d) or 0:+.4f}" for d in dims], f"{r['delta_composite']:+.4f}"]
        if res.scenario:
            row.append(_usd(r["delta_spillover"]))
        t.add_row(*row)
    c.print(t)
    if res.scenario:
        c.print(f"spillover of {res.scenario!r}: S = {_usd(res.sets['spillover_base'][0])} USD with no option")
    for n in res.notes:
        c.print(f"[dim]note: {n}[/]")


@app.command("optimise")
def optimise_cmd(
    options_file: OptionsArg,
    budget: Annotated[float, typer.Option("--budget", help="budget in USD (e.g. 5e8)")],
    on: OnOpt = None,
    base: BaseOpt = None,
    objective: Annotated[str, typer.Option("--objective", help="balance (maximise) or spillover (minimise)")] = "balance",
    scenario: ScenarioOpt = None,
    points: Annotated[int, typer.Option("--points", help="budgets on the frontier grid (plus --budget)")] = 9,
    draws: DrawsOpt = 20,
    seed: SeedOpt = 20220224,
    fmt: FormatOpt = Format.table,
) -> None:
    """The mix of options that maximises the balance index (or minimises the spillover) within a budget, and the
    frontier against cost (MIP with HiGHS; the chosen mix re-evaluated exactly)."""
    from rich.table import Table

    from ..errors import OptionError
    from ..options.optimise import optimise

    if objective not in ("balance", "spillover"):
        raise OptionError(f"--objective {objective!r} is not allowed; choose one of: balance, spillover")
    if objective == "spillover" and scenario is None:
        raise OptionError("--objective spillover needs --scenario FILE")
    with _open() as a:
        ev = _evaluator(options_file, on, base, scenario, draws, seed, a)
        res = optimise(ev, budget=budget, objective=objective, points=points)
    if fmt is not Format.table:
        show(res, fmt, None)
        return
    c = _console()
    unit = "composite balance (0–1, higher is better)" if objective == "balance" else "spillover S, USD (lower is better)"
    fmt_v = (lambda v: f"{v:.4f}") if objective == "balance" else _usd
    p = res.plan
    c.print(f"[bold]{res.country} {res.base_year}[/] — objective: {unit}; base {fmt_v(res.base)}")
    c.print(f"budget {_usd(budget)} USD → chosen: [bold]{p.name}[/] (cost {_usd(p.cost_usd)} USD); "
            f"predicted {fmt_v(p.predicted)}, exact {fmt_v(p.exact)}")
    t = Table(title="frontier: best mix per budget (exact value of the mix the MIP chose)")
    for col in ("budget (USD)", "cost (USD)", "options", "predicted", "exact", "Δ exact"):
        t.add_column(col, justify="left" if col == "options" else "right", overflow="fold")
    for r in res.frontier.iter_rows(named=True):
        t.add_row(_usd(r["budget"]), _usd(r["cost_usd"]), r["options"], fmt_v(r["predicted"]), fmt_v(r["exact"]),
                  f"{r['delta_exact']:+.4f}" if objective == "balance" else _usd(r["delta_exact"]))
    c.print(t)
    c.print(f"frontier (exact, by budget): {_spark(res.frontier['exact'].to_list())}")
    for n in res.notes:
        c.print(f"[dim]note: {n}[/]")
