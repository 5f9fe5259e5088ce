"""`tethers sanction` and `tethers backtest`: simulate a scenario file on a third country (registers on `app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import Format, FormatOpt, _console, _open, _progress_bar, app, show

SpecArg = Annotated[Path, typer.Argument(help="scenario file (.yaml/.yml/.toml), e.g. scenarios/eu-2022.yaml")]
OnOpt = Annotated[str, typer.Option("--on", help="third country (ISO3, ISO2, UN number or name)")]
DrawsOpt = Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws (0 = central estimates only)")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="root seed of the draws (printed when omitted)")]
WorkersOpt = Annotated[int | None, typer.Option("--workers", help="run the draws on a local Dask cluster of N processes")]
SchedOpt = Annotated[str | None, typer.Option("--scheduler", help="an existing Dask scheduler, tcp://host:port")]
ChannelsOpt = Annotated[str | None, typer.Option("--channels", help="comma-separated subset, e.g. trade,fx")]


class _LazyBar:
    """A Rich progress bar that appears with the first finished block of draws (so that an error raised before
    any draw, e.g. a bad country, stays a single line on stderr)."""

    def __init__(self, label: str) -> None:
        self.label, self.bar, self.task = label, None, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = _progress_bar()
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _run_draws(draws: int, run):
    """``run(atlas, progress)`` on the open atlas with a draws progress bar, closed however ``run`` ends."""
    bar = _LazyBar(f"{draws} draws")
    with _open() as a:
        try:
            return run(a, bar)
        finally:
            bar.close()


def _channels(value: str | None) -> list[str] | None:
    return [c.strip() for c in value.split(",") if c.strip()] if value else None


def _extra(holdings: Path | None) -> dict | None:
    if holdings is None:
        return None
    from ..scenario.channels.markets import read_holdings

    return {"holdings": read_holdings(holdings)}


@app.command("sanction")
def sanction_cmd(
    spec_file: SpecArg,
    on: OnOpt,
    year: Annotated[int, typer.Option("--year", "-y", help="base year whose data the shock is applied to")] = 2021,
    draws: DrawsOpt = 1000,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedOpt = None,
    channels: ChannelsOpt = None,
    holdings: Annotated[Path | None, typer.Option("--holdings", help="CSV company,weight,partner,revenue_share")] = None,
    details: Annotated[bool, typer.Option("--details", help="also list the per-HS-chapter rows")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Simulate a sanctions scenario's spillovers on a third country, with p5–p95 uncertainty bands."""
    from ..report.console_scenario import heading, render_result
    from ..scenario.engine import simulate
    from ..scenario.spec import load_spec

    spec = load_spec(spec_file)
    res = _run_draws(draws, lambda a, bar: simulate(
        spec, country=on, base_year=year, atlas=a, draws=draws, seed=seed, workers=workers, scheduler=scheduler,
        channels=_channels(channels), extra=_extra(holdings), progress=bar))
    if fmt is not Format.table:
        show(res, fmt, None)
        return
    render_result(res.tidy(), _console(), title=heading(res.scenario, res.country, res.base_year), notes=res.notes,
                  details=details, n_draws=res.n_draws, seed=res.seed)


@app.command("backtest")
def backtest_cmd(
    spec_file: SpecArg,
    on: OnOpt,
    base: Annotated[int, typer.Option("--base", help="base year (data the simulation uses)")] = 2021,
    outcome: Annotated[int, typer.Option("--outcome", help="year whose observations the simulation is compared with")] = 2022,
    draws: DrawsOpt = 200,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    scheduler: SchedOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Compare a scenario simulated on base-year data with what the atlas shows in the outcome year."""
    from ..report.console_scenario import render_backtest
    from ..scenario.engine import backtest
    from ..scenario.spec import load_spec

    spec = load_spec(spec_file)
    bt = _run_draws(draws, lambda a, bar: backtest(
        spec, country=on, base_year=base, outcome_year=outcome, atlas=a, draws=draws, seed=seed, workers=workers,
        scheduler=scheduler, progress=bar))
    if fmt is not Format.table:
        show(bt, fmt, None)
        return
    title = (f"backtest: {bt.result.scenario} on {bt.result.country}, simulated on {base} data vs observed {outcome} "
             f"({bt.result.n_draws} draws, seed {bt.result.seed})")
    render_backtest(bt.tidy(), _console(), title=title, notes=[*bt.notes, *bt.result.notes])
