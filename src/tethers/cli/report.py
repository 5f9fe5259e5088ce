"""`tethers report` (one self-contained HTML/PDF file) and `tethers serve` (the local dashboard)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import OptionError
from . import _console, _emit_json, _open, _progress_bar, app, state


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"


def _poles(text: str | None) -> tuple[str, ...]:
    from ..countries import POLE_ORDER

    if not text:
        return POLE_ORDER
    allowed = [p for p in POLE_ORDER if p != "ROW"]
    asked = [p.strip().upper() for p in text.split(",") if p.strip()]
    bad = [p for p in asked if p not in allowed]
    if bad or len(asked) < 2:
        raise OptionError(f"--poles {text!r}: give at least two of {', '.join(allowed)} (comma-separated)"
                          + (f"; unknown: {', '.join(bad)}" if bad else ""))
    return (*dict.fromkeys(asked), "ROW")


def _options_args(options: Path | None, budget: float | None, objective: str, scenario: Path | None) -> dict:
    """The options section's arguments of :func:`~tethers.report.views.collect`, files read and checked before
    anything is computed (a bad file is a one-line error at once)."""
    if options is None:
        if budget is not None or scenario is not None or objective != "balance":
            raise OptionError("--budget, --objective and --options-scenario need --options FILE")
        return {}
    from ..options.spec import load_options

    if budget is None:
        raise OptionError("--options needs --budget USD (e.g. --budget 5e8)")
    if objective not in ("balance", "spillover"):
        raise OptionError(f"--objective {objective!r} is not allowed; choose one of: balance, spillover")
    load_options(options)
    out: dict = {"options": options, "budget": budget, "objective": objective}
    if scenario is not None:
        from ..scenario.spec import load_spec

        load_spec(scenario)
        out["options_scenario"] = scenario
    return out


@app.command("report")
def report_cmd(
    country: Annotated[str, typer.Argument(help="ISO3, ISO2, UN number or name (KAZ, KZ, 398, Kazakhstan)")],
    year: Annotated[int, typer.Option("--year", "-y", help="focal year (summary, critical products, routes)")] = 2021,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write (default <ISO3>_<year>.<format>)")] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f", help="html (self-contained), pdf (via headless Chromium) or json (the numbers)")] = ReportFormat.html,
    scenario: Annotated[Path | None, typer.Option("--scenario", "-s", help="scenario file (YAML/TOML) to simulate")] = None,
    start: Annotated[int | None, typer.Option("--from", help="first year of the time series (default: the country's first UN roll call)")] = None,
    end: Annotated[int | None, typer.Option("--to", help="last year of the time series (default: the last the atlas has)")] = None,
    poles: Annotated[str | None, typer.Option(help="comma-separated poles (default RUS,CHN,EU27,USA,TUR,CASIA)")] = None,
    draws: Annotated[int, typer.Option(min=0, max=10_000, help="Monte Carlo draws for --scenario")] = 100,
    chromium: Annotated[str | None, typer.Option(help="Chromium executable for --format pdf (default: on PATH or $TETHERS_CHROMIUM)")] = None,
    options: Annotated[Path | None, typer.Option("--options", help="options file (.yaml, e.g. options/kaz-2022.yaml): adds the Strategic options section")] = None,
    budget: Annotated[float | None, typer.Option("--budget", help="budget in USD for --options (e.g. 5e8)")] = None,
    objective: Annotated[str, typer.Option("--objective", help="for --options: balance (maximise) or spillover (minimise; needs a scenario)")] = "balance",
    options_scenario: Annotated[Path | None, typer.Option("--options-scenario", help="scenario file for the options' spillover (default: --scenario)")] = None,
    check_file: Annotated[Path | None, typer.Option("--check", help="a policy text (UTF-8) whose figures are checked against the atlas: adds the 'Claims checked' section")] = None,
    world: Annotated[str | None, typer.Option("--world", help="adds the 'In the world' section: this measure for every country, the country ranked among them (import_share:POLE, export_share:POLE or balance)")] = None,
    world_year: Annotated[int | None, typer.Option("--world-year", help="year of the --world section (default: --year)")] = None,
) -> None:
    """Write a country's dependency report: one HTML file that opens offline (or PDF, or the JSON behind it)."""
    from ..countries import resolve
    from ..report.html import write_report
    from ..report.views import collect

    if start is not None and end is not None and start > end:
        raise OptionError(f"--from {start} is after --to {end}")
    pole_ids = _poles(poles)
    iso3 = resolve(country)
    opts = _options_args(options, budget, objective, options_scenario)
    text = None
    if check_file is not None:
        from ..check import read_text

        text = read_text(check_file)  # a bad file is a one-line error before anything is computed
    if world is not None:
        from ..analysis.world import parse_measure

        parse_measure(world)  # a bad measure is a one-line error before anything is computed
    elif world_year is not None:
        raise OptionError("--world-year needs --world MEASURE")
    out = output or Path(f"{iso3}_{year}.{fmt.value}")
    with _progress_bar() as bar, _open() as atlas:
        task = bar.add_task("report", total=10)

        def progress(what: str, i: int, n: int) -> None:
            bar.update(task, description=f"computing {what}", completed=i - 1, total=n + 2)

        view = collect(iso3, atlas=atlas, year=year, start=start, end=end, poles=pole_ids, scenario=scenario,
                       draws=draws, progress=progress, **opts)
        bar.update(task, description=f"rendering {fmt.value}", completed=bar.tasks[task].total - 2)
        meta = {k: v for k, v in atlas.meta().items() if k in ("built_at", "schema_version")}
        extra, steps = {}, []
        if text is not None:
            from ..check import check
            from ..report.html_check import insert_check_section

            checked = check(text, atlas=atlas)
            extra["check"] = checked.to_dict()
            steps.append(lambda html: insert_check_section(html, checked))
        if world is not None:
            from ..analysis.world import world_view
            from ..report.html_world import insert_world_section

            bar.update(task, description=f"computing {world} for every country")
            wv = world_view(world, world_year or year, atlas=atlas).to_dict()
            extra["world"] = wv
            steps.append(lambda html: insert_world_section(html, wv, iso3, view.name))

        def transform(html: str) -> str:
            for step in steps:
                html = step(html)
            return html
        path = write_report(view, out, fmt=fmt.value, meta=meta, chromium=chromium, extra=extra, transform=transform)
        bar.update(task, completed=bar.tasks[task].total)
    notes = sum(len(n) for n in view.notes.values())
    _console().print(f"[bold]report written[/]: {path} ({path.stat().st_size / 1e6:.1f} MB, {fmt.value}) — "
                     f"{view.name} {view.year}, time series {view.start}–{view.end}, {notes} note(s)")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on (default loopback only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port)")] = 8765,
    scenarios: Annotated[Path | None, typer.Option(help="folder of scenario files (YAML/TOML) the page offers (default: the shipped scenarios/)")] = None,
    options_dir: Annotated[Path | None, typer.Option("--options-dir", help="folder of strategic-options files the page offers (default: the shipped options/)")] = None,
    json_log: Annotated[bool, typer.Option("--json", help="print the address as JSON and log nothing else")] = False,
) -> None:
    """Start the local dashboard: pick country, years, poles, scenario and options; the report's views update."""
    from ..atlas.store import default_path
    from ..dashboard.app import default_options_dir, default_scenario_dir, make_server

    atlas_path = state.atlas or default_path()
    with _open():  # builds the atlas from the shipped pack if there is none yet; fails early otherwise
        pass
    server = make_server(host, port, atlas_path=atlas_path, scenario_dir=scenarios or default_scenario_dir(),
                         options_dir=options_dir or default_options_dir(), quiet=json_log)
    url = f"http://{server.url_host}:{server.server_port}/"
    if json_log:
        _emit_json({"url": url, "atlas": str(atlas_path)})
    else:
        c = _console()
        c.print(f"[bold]tethers dashboard[/] on {url}  (atlas {atlas_path}, read-only) — Ctrl-C stops")
        if not server.loopback:
            c.print("[yellow]warning: listening on a non-loopback address; the dashboard has no authentication[/]")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
