"""``tethers dependence | balance | critical | compare``: the measures, from the command line.

Thin, as :mod:`tethers.cli`: parse, call :mod:`tethers.analysis.dependence` / :mod:`tethers.analysis.balance`,
render with :mod:`tethers.report.console_measures` or print JSON (``--format json``). Bad input raises a
:class:`~tethers.errors.TethersError`, which :func:`tethers.cli.main` prints as one line (exit 1).
"""

from __future__ import annotations

from typing import Annotated

import typer

from . import Format, FormatOpt, _open, app, show

CountryArg = Annotated[str, typer.Argument(help="ISO3, ISO2, UN number or name (KAZ, KZ, 398, Kazakhstan)")]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="calendar year")]
OnOpt = Annotated[str, typer.Option("--on", help="the pole: RUS, CHN, EU27, USA, TUR, CASIA or any country")]


@app.command("dependence")
def dependence_cmd(
    country: CountryArg,
    on: OnOpt = "RUS",
    year: YearOpt = 2021,
    fx_window: Annotated[int, typer.Option("--fx-window", help="returns in the FX co-movement window")] = 36,
    fmt: FormatOpt = Format.table,
) -> None:
    """Every dimension of one country's dependence on one pole: trade, critical products, energy and transit,
    institutions, security, UN votes, FX — each with its definition and sources."""
    from ..analysis.dependence import dependence
    from ..report.console_measures import render_dependence

    with _open() as a:
        dep = dependence(country, on, year, atlas=a, fx_window=fx_window)
    show(dep, fmt, render_dependence)


@app.command("balance")
def balance_cmd(
    country: CountryArg,
    start: Annotated[int, typer.Option("--from", help="first year")] = 2000,
    end: Annotated[int, typer.Option("--to", help="last year")] = 2022,
    poles: Annotated[str, typer.Option("--poles", help="comma-separated poles (ROW is always the residual)")] =
    "RUS,CHN,EU27,USA,TUR,CASIA",
    weight: Annotated[list[str] | None, typer.Option("--weight", help="composite weight DIMENSION=W (repeatable)")] =
    None,
    fmt: FormatOpt = Format.table,
) -> None:
    """The multi-vector balance index per dimension and year, the composite, and which pole gained or lost most."""
    from ..analysis.balance import balance_over_time
    from ..report.console_measures import render_balance

    with _open() as a:
        bal = balance_over_time(country, start, end, atlas=a, poles=poles, weights=weight)
    show(bal, fmt, render_balance)


@app.command("critical")
def critical_cmd(
    country: CountryArg,
    year: YearOpt = 2021,
    hhi: Annotated[float, typer.Option("--hhi", help="supplier HHI threshold")] = 0.4,
    ratio: Annotated[float, typer.Option("--ratio", help="critical when imports > RATIO × exports")] = 1.0,
    top_share: Annotated[float | None, typer.Option("--top-share", help="also require a top supplier share ≥ this")] =
    None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Critical import dependencies (supplier HHI > 0.4, imports > exports) with the dominant supplier and share."""
    from ..analysis.dependence import critical_dependencies
    from ..errors import OptionError
    from ..report.console_measures import render_critical

    if not 0 <= hhi <= 1 or ratio < 0 or (top_share is not None and not 0 <= top_share <= 1):
        raise OptionError("--hhi and --top-share must be in [0, 1] and --ratio ≥ 0")
    with _open() as a:
        cp = critical_dependencies(country, year, atlas=a, hhi_threshold=hhi, ratio_threshold=ratio,
                                   top_share_threshold=top_share)
    show(cp, fmt, render_critical)


@app.command("compare")
def compare_cmd(
    countries: Annotated[list[str] | None, typer.Argument(help="two or more countries (KAZ UZB KGZ)")] = None,
    year: YearOpt = 2021,
    on: OnOpt = "RUS",
    world: Annotated[bool, typer.Option("--world", help="one measure for every country (a table sorted by value)")] =
    False,
    measure: Annotated[str, typer.Option("--measure", help="with --world: import_share:POLE, export_share:POLE or "
                                         "balance")] = "import_share:RUS",
    fmt: FormatOpt = Format.table,
) -> None:
    """Several countries' dependence on one pole side by side; a missing dimension shows 'no data' and why.
    With --world: one measure for every country in a year, sorted, with each row's coverage status."""
    from ..errors import OptionError

    if world:
        from ..analysis.world import world_view
        from ..report.console_world import render_world

        if countries:
            raise OptionError("--world takes no countries: it lists every country (drop the country arguments)")
        with _open() as a:
            view = world_view(measure, year, atlas=a)
        show(view, fmt, render_world)
        return
    if not countries:
        raise OptionError("compare needs two or more countries (tethers compare KAZ UZB), or --world")
    from ..analysis.dependence import compare
    from ..report.console_measures import render_comparison

    with _open() as a:
        cmp = compare(countries, year, on=on, atlas=a)
    show(cmp, fmt, render_comparison)
