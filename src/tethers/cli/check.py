"""``tethers check FILE``: the figures of a policy text checked against the atlas.

Thin, as :mod:`tethers.cli`: read the file (:func:`tethers.check.read_text`: empty, binary or non-UTF-8 files are
a one-line error, exit 1), call :func:`tethers.check.check`, render with
:mod:`tethers.report.console_check` or print JSON (``--format json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import OptionError
from . import Format, FormatOpt, _open, app, show

PricesOpt = Annotated[list[str] | None, typer.Option(
    "--prices", help="share prices of one listing as TICKER=FILE (Investing.com or Yahoo export); repeatable")]


def parse_prices(values: list[str] | None) -> dict[str, Path]:
    """``["HSBK=halyk.csv"]`` → ``{"HSBK": Path("halyk.csv")}``; a malformed item is a one-line error."""
    out: dict[str, Path] = {}
    for v in values or []:
        ticker, sep, path = v.partition("=")
        if not sep or not ticker.strip() or not path.strip():
            raise OptionError(f"--prices takes TICKER=FILE (e.g. HSBK=halyk.csv), got {v!r}")
        out[ticker.strip().upper()] = Path(path.strip())
    return out


@app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="a plain-text article (UTF-8), German or English")],
    year: Annotated[int | None, typer.Option("--year", "-y", help="the year figures without a year refer to "
                                             "(default: every year the atlas has)")] = None,
    lang: Annotated[str, typer.Option("--lang", help="de, en or auto")] = "auto",
    prices: PricesOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Check the figures a text states (shares, ranks, gas from/via, UN votes, memberships, currency, troops,
    share prices) against the atlas: supported / not supported / depends on the reading / depends on the year /
    cannot check (with the data that would decide it)."""
    from ..check import check, read_text
    from ..report.console_check import render_check

    text = read_text(file)
    loaded = parse_prices(prices)
    with _open() as a:
        result = check(text, year=year, lang=lang, atlas=a, prices=loaded)  # type: ignore[arg-type]
    show(result, fmt, render_check)
