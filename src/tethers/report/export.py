"""Write a result's tidy frames to files analysts open in Excel, Stata, R or pandas.

``tethers <command> … --format csv|parquet -o FOLDER`` writes one file per tidy frame (``FOLDER/<frame>.csv``);
``--format xlsx -o FILE.xlsx`` writes one workbook with one sheet per frame. The frames are exactly the
result's ``tidy()`` (a dict of frames, or one frame named ``effects``/``table``): the same column names, whose
units are part of the names (``value_usd``, ``share``) or given by a ``unit`` column, and the same basis
columns (source, status, coverage, reason). A figure the data cannot support stays missing (empty cell / null),
never 0. Columns holding lists or structs are written as JSON text in CSV and Excel (Parquet keeps them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

from ..errors import OptionError

FORMATS = ("csv", "xlsx", "parquet")


class Frames:
    """Named frames standing in for a result (commands whose output is a plain table: ``atlas info``, …)."""

    def __init__(self, frames: dict[str, pl.DataFrame]):
        self.frames = frames

    def tidy(self) -> dict[str, pl.DataFrame]:
        return self.frames


def tidy_frames(result) -> dict[str, pl.DataFrame]:
    """The result's tidy frames by name (``tidy()`` returning one frame → ``{"table": frame}``)."""
    tidy = getattr(result, "tidy", None)
    if tidy is None:
        raise OptionError(f"this command's result ({type(result).__name__}) has no tables to export; use --format json")
    frames = tidy()
    if isinstance(frames, pl.DataFrame):
        frames = {_SINGLE.get(type(result).__name__) or _snake(type(result).__name__): frames}
    out = {}
    for name, frame in frames.items():
        if isinstance(frame, pl.DataFrame):
            out[_safe(name)] = frame
    if not out:
        raise OptionError("the result has no tables to export; use --format json")
    return out


_SINGLE = {"SpilloverResult": "effects", "Backtest": "backtest"}  # names of results whose tidy() is one frame


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "table"


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns (lists, structs) as JSON text, for CSV and Excel."""
    nested = [c for c, t in frame.schema.items() if isinstance(t, pl.List | pl.Array | pl.Struct)]
    if not nested:
        return frame
    def text(v) -> str:
        return json.dumps(v.to_list() if isinstance(v, pl.Series) else v, ensure_ascii=False, default=str)

    return frame.with_columns(pl.col(c).map_elements(text, return_dtype=pl.Utf8) for c in nested)


def export_frames(frames: dict[str, pl.DataFrame], fmt: str, output: str | Path) -> list[Path]:
    """Write ``frames`` as ``fmt`` to ``output`` (a folder for csv/parquet, an .xlsx file for xlsx); returns the
    files written."""
    if fmt not in FORMATS:
        raise OptionError(f"--format {fmt!r}: files are written as one of {', '.join(FORMATS)}")
    out = Path(output)
    if fmt == "xlsx":
        return [_xlsx(frames, out if out.suffix.lower() == ".xlsx" else out / "tables.xlsx")]
    if out.exists() and not out.is_dir():
        raise OptionError(f"{out}: --format {fmt} writes one file per table into a folder; this is a file")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        f = out / f"{name}.{fmt}"
        if fmt == "csv":
            _flat(frame).write_csv(f, null_value="")
        else:
            frame.write_parquet(f, compression="zstd", statistics=True)
        written.append(f)
    return written


def _xlsx(frames: dict[str, pl.DataFrame], file: Path) -> Path:
    import pandas as pd

    file.parent.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    with pd.ExcelWriter(file, engine="openpyxl") as xw:
        for name, frame in frames.items():
            sheet = name[:31]  # Excel's limit; keep sheet names unique
            n = 1
            while sheet.lower() in used:
                n += 1
                sheet = f"{name[:28]}_{n}"
            used.add(sheet.lower())
            flat = _flat(frame)
            tz = [c for c, t in flat.schema.items() if isinstance(t, pl.Datetime) and t.time_zone]
            if tz:  # Excel has no time zones
                flat = flat.with_columns(pl.col(c).dt.replace_time_zone(None) for c in tz)
            flat.to_pandas().to_excel(xw, sheet_name=sheet, index=False)
    return file


def export_result(result, fmt: str, output: str | Path | None) -> list[Path]:
    """``tidy_frames(result)`` written by :func:`export_frames`; ``output`` is required."""
    if output is None:
        where = "FILE.xlsx" if fmt == "xlsx" else "FOLDER"
        raise OptionError(f"--format {fmt} writes files: give -o/--output {where}")
    return export_frames(tidy_frames(result), fmt, output)
