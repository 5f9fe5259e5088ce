"""The `tethers` command line: thin — parse arguments, call the API, render with Rich or JSON.

Errors caused by input or data (:class:`~tethers.errors.TethersError`) print one line on stderr and
exit with status 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..errors import TethersError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="tethers: measure a country's strategic dependencies and simulate sanctions spillovers.")
atlas_app = typer.Typer(no_args_is_help=True, help="Build and inspect the atlas (the DuckDB file of tidy tables).")
data_app = typer.Typer(no_args_is_help=True, help="Download publishers' files into the local cache.")
app.add_typer(atlas_app, name="atlas")
app.add_typer(data_app, name="data")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"  # csv, xlsx, parquet: the tidy frames as files (-o/--output; tethers.report.export)
    xlsx = "xlsx"
    parquet = "parquet"


FILE_FORMATS = (Format.csv, Format.xlsx, Format.parquet)


class _State:
    atlas: Path | None = None
    debug: bool = False
    output: Path | None = None  # -o/--output of the running command (added to every command with --format)


state = _State()

AtlasOpt = Annotated[Path | None, typer.Option("--atlas", help="atlas file (default $TETHERS_HOME/atlas.duckdb)")]
FormatOpt = Annotated[Format, typer.Option(
    "--format", "-f", help="table (Rich), json, or the tidy frames as files: csv or parquet (one per frame in the "
    "-o folder), xlsx (one sheet per frame in the -o file)")]


@app.callback()
def _main(
    atlas: AtlasOpt = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False,
) -> None:
    state.atlas = atlas
    state.debug = debug


def _console():
    from rich.console import Console

    return Console()


def _emit_json(obj) -> None:
    import datetime as dt

    def default(o):
        if isinstance(o, dt.date | dt.datetime):
            return o.isoformat()
        if hasattr(o, "item"):
            return o.item()
        raise TypeError(type(o).__name__)

    sys.stdout.write(json.dumps(obj, default=default, ensure_ascii=False, indent=1) + "\n")


def show(result, fmt: Format, render) -> None:
    """Print a result: its ``to_dict()`` as JSON, ``render(result, console)`` as Rich tables, or write its tidy
    frames as csv/xlsx/parquet files to ``-o/--output`` (:mod:`tethers.report.export`)."""
    if fmt is Format.json:
        _emit_json(result.to_dict())
        return
    if fmt in FILE_FORMATS:
        from ..report.export import export_result

        for f in export_result(result, fmt.value, state.output):
            print(f)
        return
    render(result, _console())


def _frames(frames: dict):
    from ..report.export import Frames

    return Frames(frames)


OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="with --format csv/parquet: folder for one file per table; with xlsx: the .xlsx file")]


def _add_output_option(t: typer.Typer) -> None:
    """Give every command that takes ``--format`` (a parameter ``fmt``) an ``-o/--output`` option for the file
    formats, unless it has an ``output`` of its own (``report``): commands registered later, in any module, get it
    too. The value goes to ``state.output``, read by :func:`show`."""
    import functools
    import inspect

    for info in t.registered_commands:
        cb = info.callback
        if cb is None or getattr(cb, "_tethers_output", False):
            continue
        sig = inspect.signature(cb, eval_str=True)
        if "fmt" not in sig.parameters or "output" in sig.parameters:
            continue

        def run(*args, _cb=cb, output=None, **kwargs):
            state.output = output
            return _cb(*args, **kwargs)

        functools.update_wrapper(run, cb)
        del run.__wrapped__
        out = inspect.Parameter("output", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=OutputOpt)
        run.__signature__ = sig.replace(parameters=[*sig.parameters.values(), out])
        run.__annotations__ = {**{n: p.annotation for n, p in sig.parameters.items()}, "output": OutputOpt}
        run._tethers_output = True
        info.callback = run
    for group in t.registered_groups:
        _add_output_option(group.typer_instance)


def _progress_bar():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=_console_err(), transient=True)


def _console_err():
    from rich.console import Console

    return Console(stderr=True)


def _open():
    from ..atlas.store import open_atlas

    return open_atlas(state.atlas)


# ---------------------------------------------------------------------------------------------- atlas


@atlas_app.command("build")
def atlas_build(
    pack: Annotated[Path | None, typer.Option(help="data pack folder (default: the shipped data/pack)")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """(Re)build the atlas from the data pack. The previous atlas stays readable until the new one is complete."""
    from ..atlas.store import Atlas, build_atlas

    with _progress_bar() as bar:
        task = bar.add_task("building atlas", total=None)

        def progress(what: str, i: int, n: int) -> None:
            bar.update(task, description=f"loading {what}", completed=i, total=n)

        path = build_atlas(state.atlas, pack_dir=pack, progress=progress)
    with Atlas(path) as a:
        info = a.info()
    if fmt in FILE_FORMATS:
        return show(_frames({"tables": info}), fmt, None)
    if fmt is Format.json:
        _emit_json({"atlas": str(path), "tables": info.to_dicts()})
        return
    _console().print(f"[bold]atlas built[/]: {path} — {info['rows'].sum():,} rows in {info.height} tables")


@atlas_app.command("info")
def atlas_info(fmt: FormatOpt = Format.table) -> None:
    """List the atlas's tables with rows, years covered, sources and licences."""
    from rich.table import Table

    with _open() as a:
        info, meta = a.info(), a.meta()
        path = a.path
    if fmt in FILE_FORMATS:
        return show(_frames({"tables": info}), fmt, None)
    if fmt is Format.json:
        _emit_json({"atlas": str(path), "meta": meta, "tables": info.to_dicts()})
        return
    t = Table(title=f"atlas {path}  (schema v{meta.get('schema_version')}, built {meta.get('built_at')})")
    for col in ("table", "rows", "years", "sources", "licences"):
        t.add_column(col, justify="right" if col == "rows" else "left", overflow="fold")
    for r in info.iter_rows(named=True):
        years = f"{r['first_year']}–{r['last_year']}" if r["first_year"] is not None else ""
        t.add_row(r["table"], f"{r['rows']:,}", years, r["sources"], r["licences"])
    _console().print(t)


@atlas_app.command("add")
def atlas_add(
    source: Annotated[str, typer.Argument(help="loader id (see `tethers atlas sources`) or 'auto'")],
    path: Annotated[Path, typer.Argument(help="a file in that publisher's own format")],
    replace: Annotated[bool, typer.Option(help="overwrite rows with the same key")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Load a file you downloaded (e.g. a Comtrade CSV) into the atlas — all of it, or nothing."""
    from ..atlas.store import add_file, default_path

    added = add_file(source, path, state.atlas or default_path(), replace=replace)
    if fmt in FILE_FORMATS:
        import polars as pl

        return show(_frames({"added": pl.DataFrame({"table": list(added), "rows": list(added.values())})}), fmt, None)
    if fmt is Format.json:
        _emit_json({"file": str(path), "source": source, "rows": added})
        return
    _console().print(f"added {', '.join(f'{n:,} rows to {t}' for t, n in added.items())} from {path}")


@atlas_app.command("sources")
def atlas_sources(fmt: FormatOpt = Format.table) -> None:
    """List the loaders: id, publisher, licence, tables, and whether they ship in the pack."""
    from rich.table import Table

    from ..sources import get_source, list_sources

    rows = []
    for sid in list_sources():
        s = get_source(sid)
        rows.append({"id": sid, "name": s.name, "licence": s.licence, "tables": list(s.tables),
                     "in_pack": bool(s.redistributable and s.pack_inputs)})
    if fmt in FILE_FORMATS:
        import polars as pl

        return show(_frames({"sources": pl.DataFrame(rows)}), fmt, None)
    if fmt is Format.json:
        _emit_json(rows)
        return
    t = Table(title="sources")
    for col in ("id", "name", "tables", "licence", "in pack"):
        t.add_column(col, overflow="fold")
    for r in rows:
        t.add_row(r["id"], r["name"], ", ".join(r["tables"]), r["licence"], "yes" if r["in_pack"] else "no")
    _console().print(t)


# ---------------------------------------------------------------------------------------------- profile


@app.command("profile")
def profile_cmd(
    country: Annotated[str, typer.Argument(help="ISO3, ISO2, UN number or name (KAZ, KZ, 398, Kazakhstan)")],
    year: Annotated[int, typer.Option("--year", "-y", help="calendar year")] = 2021,
    top: Annotated[int, typer.Option(help="partners to list per flow")] = 10,
    fmt: FormatOpt = Format.table,
) -> None:
    """A country's dependency profile for one year: trade by partner and pole, memberships, UN votes."""
    from ..analysis.profile import profile
    from ..report.console import render_profile

    with _open() as a:
        prof = profile(country, year, atlas=a, top=top)
    show(prof, fmt, render_profile)


@app.command("votes")
def votes_cmd(
    country: Annotated[str, typer.Argument(help="country (ISO3, ISO2, UN number or name)")],
    resolution: Annotated[str, typer.Option("--resolution", "-r", help="e.g. ES-11/1, A/RES/68/262, 68/262")],
    fmt: FormatOpt = Format.table,
) -> None:
    """How a country voted on a UN General Assembly resolution, with the full tally."""
    from ..analysis.profile import vote_record

    with _open() as a:
        rec = vote_record(country, resolution, atlas=a)
    if fmt in FILE_FORMATS:
        import polars as pl

        one = {k: v for k, v in rec.items() if k != "tally"}
        return show(_frames({"vote": pl.DataFrame([one]), "tally": pl.DataFrame([rec["tally"]])}), fmt, None)
    if fmt is Format.json:
        _emit_json(rec)
        return
    c = _console()
    c.print(f"[bold]{rec['resolution']}[/] ({rec['date']}) {rec['title'] or ''}")
    c.print(f"{rec['country_name']} ({rec['country']}) voted: [bold]{rec['vote'].upper()}[/]")
    tally = rec["tally"]
    absent = "not recorded" if tally["absent"] is None else tally["absent"]
    c.print(f"tally: yes {tally['yes']} · no {tally['no']} · abstain {tally['abstain']} · absent {absent}")
    c.print(f"[dim]source: {rec['source']} — {rec['licence']}[/]")


# ---------------------------------------------------------------------------------------------- data


@data_app.command("fetch")
def data_fetch(
    source: Annotated[str, typer.Argument(help="comtrade, baci, unvotes, cbr, nbk, gem or cepii_geodist")],
    reporter: Annotated[str | None, typer.Option(help="comtrade: reporting country")] = None,
    year: Annotated[list[int] | None, typer.Option(help="comtrade/baci: year (repeatable)")] = None,
    partner: Annotated[str | None, typer.Option(help="comtrade: partner country (default all)")] = None,
    cmd: Annotated[str | None, typer.Option(help="comtrade: commodity code (default TOTAL)")] = None,
    revision: Annotated[str | None, typer.Option(help="baci: HS revision, e.g. HS17")] = None,
    date: Annotated[list[str] | None, typer.Option(help="cbr/nbk: YYYY-MM-DD (repeatable)")] = None,
    start: Annotated[str | None, typer.Option(help="cbr/nbk: first date")] = None,
    end: Annotated[str | None, typer.Option(help="cbr/nbk: last date")] = None,
    every: Annotated[str | None, typer.Option(help="cbr/nbk: day or month")] = None,
    tracker: Annotated[str | None, typer.Option(help="gem: gas, oil or all")] = None,
    cache: Annotated[Path | None, typer.Option(help="cache root (default $TETHERS_HOME/cache)")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Download a publisher's files into the local cache (resumable, checksummed); then `tethers atlas add`."""
    from ..sources._fetch import fetch_source

    params: dict = {"reporter": reporter, "partner": partner, "cmd": cmd, "revision": revision, "start": start,
                    "end": end, "every": every, "tracker": tracker}
    if year:
        params["years" if len(year) > 1 else "year"] = year if len(year) > 1 else year[0]
    if date:
        params["dates" if len(date) > 1 else "date"] = date if len(date) > 1 else date[0]
    params = {k: v for k, v in params.items() if v is not None}
    with _progress_bar() as bar:
        tasks: dict[str, int] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total or None)
            bar.update(tasks[name], completed=done, total=total or None)

        files = fetch_source(source, cache_dir=cache, progress=progress, **params)
    if fmt in FILE_FORMATS:
        import polars as pl

        return show(_frames({"files": pl.DataFrame({"source": [source] * len(files), "file": [str(f) for f in files]},
                                                   schema={"source": pl.Utf8, "file": pl.Utf8})}), fmt, None)
    if fmt is Format.json:
        _emit_json({"source": source, "files": [str(f) for f in files]})
        return
    for f in files:
        _console().print(f"{f}  →  tethers atlas add {source} {f}")


# ---------------------------------------------------------------------------------------------- more commands

# Command groups live in their own modules (cli/<area>.py) and register themselves on `app` when imported.
COMMAND_MODULES = ("measures", "scenario", "report", "options", "check")


def _register_command_modules() -> None:
    import importlib

    for mod in COMMAND_MODULES:
        try:
            importlib.import_module(f"{__package__}.{mod}")
        except ModuleNotFoundError as exc:  # an area not installed in this build
            if exc.name != f"{__package__}.{mod}":
                raise


_register_command_modules()
_add_output_option(app)


# ---------------------------------------------------------------------------------------------- entry


def _usage_errors() -> tuple[type[Exception], ...]:
    """Click's usage errors: click's own and, from typer 0.2x on, the copy of click typer vendors
    (``typer._click``: a missing argument raised there is no ``click.ClickException``)."""
    import click

    out: tuple[type[Exception], ...] = (click.ClickException,)
    try:
        from typer._click.exceptions import ClickException as VendoredClickException
    except ImportError:  # an older typer on plain click
        return out
    return (*out, VendoredClickException)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: one-line errors, non-zero exit codes."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        app(args=argv, standalone_mode=False)
    except TethersError as exc:
        if debug:
            raise
        print(f"tethers: error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        print("tethers: aborted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and bugs
        if isinstance(exc, _usage_errors()):
            exc.show()
            sys.exit(exc.exit_code)
        if debug:
            raise
        print(f"tethers: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        sys.exit(2)
