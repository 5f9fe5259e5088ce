"""Shared reading and validation for all loaders (CSV handling, numbers, countries, schema checks).

Row numbers in errors: for delimited text, ``row`` is the 1-based record number counting the header
as row 1 (equal to the line number unless a quoted field spans lines); for spreadsheets, the
1-based sheet row.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re
import stat
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from .. import countries
from ..atlas.schema import table as schema_table
from ..errors import SourceFormatError

ROW = "_row"

_PL_TYPES = {
    "VARCHAR": pl.Utf8,
    "INTEGER": pl.Int32,
    "BIGINT": pl.Int64,
    "DOUBLE": pl.Float64,
    "BOOLEAN": pl.Boolean,
    "DATE": pl.Date,
    "TIMESTAMP": pl.Datetime("us"),
}
_PA_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


def arrow_schema(table_name: str) -> pa.Schema:
    """The Arrow schema of a canonical table."""
    t = schema_table(table_name)
    return pa.schema([pa.field(c.name, _PA_TYPES[c.type], nullable=c.nullable) for c in t.columns])


# --------------------------------------------------------------------------------------------
# The path itself: a regular file (or, for loaders that read a folder of files, a folder)
# --------------------------------------------------------------------------------------------


def require_regular_file(path: Path, *, source: str, folder_ok: bool = False) -> None:
    """Refuse, before anything opens it, a path that is not a regular file: a folder (unless the loader reads
    folders), a named pipe (opening it would wait for a writer forever), a device or a socket."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise SourceFormatError(source, str(path), "file not found") from None
    except OSError as exc:
        raise SourceFormatError(source, str(path), f"cannot read this path ({exc.strerror})") from None
    if stat.S_ISREG(mode) or (folder_ok and stat.S_ISDIR(mode)):
        return
    what = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a special file")
    raise SourceFormatError(source, str(path), f"{what}, not a regular file: give the path of a data file")


# --------------------------------------------------------------------------------------------
# Reading text
# --------------------------------------------------------------------------------------------


def read_bytes(path: Path) -> bytes:
    """File bytes, transparently gunzipped for ``.gz``."""
    raw = path.read_bytes()
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise SourceFormatError("file", str(path), f"corrupt or truncated gzip data ({exc})") from None
    return raw


def decode_text(raw: bytes, *, source: str, path: Path, encoding: str = "utf-8", separator: str = ",") -> str:
    """Decode file bytes; a UTF-8 BOM is dropped; undecodable bytes and NUL bytes raise naming the line (and,
    for delimited text split by ``separator``, the column)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = " (looks like cp1251/latin-1: re-save the file as UTF-8)" if encoding == "utf-8" else ""
        raise SourceFormatError(
            source, str(path), f"byte 0x{raw[exc.start]:02x} is not valid {encoding}{hint}", row=line
        ) from None
    _refuse_nul(text, source=source, path=path, separator=separator)
    return text


def xlsx_rows(
    source: str,
    path: Path,
    *,
    sheets: Iterable[str] | None = None,
    max_row: int | None = None,
    max_col: int | None = None,
    data_only: bool = True,
    first_only: bool = False,
) -> dict[str, list[tuple]]:
    """Cell values of an .xlsx workbook, sheet name → rows (tuples), read completely before returning.

    openpyxl's read-only mode decompresses and parses each sheet lazily, so a corrupt workbook can fail
    while rows are iterated (``zlib.error``, ``ParseError``, ``TypeError`` from a mangled attribute — all
    found by fuzzing). Everything openpyxl does happens here, inside one guard, and any failure becomes a
    one-line :class:`SourceFormatError` naming the file. ``sheets`` (default: all, or only the first with
    ``first_only``) keeps the workbook order.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
        try:
            names = list(sheets) if sheets is not None else wb.sheetnames[:1] if first_only else wb.sheetnames
            return {n: list(wb[n].iter_rows(max_row=max_row, max_col=max_col, values_only=True)) for n in names}
        finally:
            wb.close()
    except Exception as exc:  # openpyxl, zipfile, zlib and xml raise many types for corrupt files
        reason = (str(exc).splitlines() or [""])[0][:80]
        raise SourceFormatError(source, str(path), f"not a readable Excel workbook ({type(exc).__name__}: {reason})") from None


def header_line(path: Path, *, max_bytes: int = 65536) -> str:
    """The first line of a (possibly gzipped) text file, for ``handles`` sniffing."""
    with open(path, "rb") as fh:
        head = fh.read(max_bytes)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(max_bytes)
        except (OSError, EOFError):
            return ""
    head = head.removeprefix(b"\xef\xbb\xbf")
    return head.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r")


def first_unbalanced_quote_line(path: Path) -> int | None:
    """1-based number of the first line with an odd number of ``"`` (an opened, unclosed quote), or None.

    Streams the file (gzip too); a CSV with quoted fields spanning lines would be reported at its first
    line, which is where a reader should look anyway.
    """
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as fh:
        for n, line in enumerate(fh, start=1):
            if line.count(b'"') % 2:
                return n
    return None


def read_csv_strings(
    path: Path,
    *,
    source: str,
    required: Iterable[str],
    separator: str = ",",
    encoding: str = "utf-8",
    trailing_separator: bool = False,
) -> pl.DataFrame:
    """Read a delimited file with every column as text, plus ``_row`` (header = row 1).

    Raises :class:`SourceFormatError` for an empty file, bad encoding, a wrong delimiter, missing
    required columns, or rows with more fields than the header. ``trailing_separator``: every line
    may end with one extra separator (UN Comtrade Plus exports do), which is dropped.
    """
    text = decode_text(read_bytes(path), source=source, path=path, encoding=encoding, separator=separator)
    if not text.strip():
        raise SourceFormatError(source, str(path), "file is empty")
    if trailing_separator:
        text = re.sub(rf"{re.escape(separator)}(?=\r?$)", "", text, flags=re.M)
    first = text.split("\n", 1)[0]
    required = list(required)
    header = _split_header(first, separator)
    missing = [c for c in required if c not in header]
    if missing:
        other = next((d for d in (";", "\t", ",", "|") if d != separator and d in first), None)
        if len(header) == 1 and other:
            raise SourceFormatError(
                source, str(path), f"wrong delimiter: expected {separator!r}, the header uses {other!r}", row=1
            )
        raise SourceFormatError(
            source, str(path), f"missing column(s) {', '.join(map(repr, missing))}; header has {header[:12]}", row=1
        )
    raw_header = _split_header(first, separator, strip=False)  # ' CHILE' and 'CHILE' are two columns
    if len(set(raw_header)) != len(raw_header):
        dup = next(h for h in raw_header if raw_header.count(h) > 1)
        raise SourceFormatError(source, str(path), "duplicate column in header", row=1, column=dup)
    try:
        df = pl.read_csv(
            io.StringIO(text),
            separator=separator,
            infer_schema=False,
            has_header=True,
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError) as exc:
        line = _first_ragged_line(text, separator, len(header))
        raise SourceFormatError(
            source, str(path), f"malformed row: {str(exc).splitlines()[0][:120]}", row=line
        ) from None
    if df.height == 0:
        raise SourceFormatError(source, str(path), "no data rows after the header", row=2)
    # name the required columns as the header check saw them (blanks stripped), unless that would merge two
    # columns; other names stay raw (in the UN Digital Library scrape ' CHILE' and 'CHILE' are two columns)
    taken = set(df.columns)
    df = df.rename({c: c.strip() for c in df.columns
                    if c != c.strip() and c.strip() in required and c.strip() not in taken})
    unread = [c for c in required if c not in df.columns]
    if unread:  # the text check saw them, the CSV reader did not (e.g. stray quotes around a name)
        raise SourceFormatError(
            source, str(path), f"column(s) {', '.join(map(repr, unread))} not readable as CSV header fields; "
            f"the reader found {df.columns[:12]}", row=1)
    last = df.columns[-1]
    if df.get_column(last).null_count():
        line = _first_ragged_line(text, separator, len(header))
        if line is not None:
            raise SourceFormatError(
                source, str(path), f"row has fewer fields than the header's {len(header)} (truncated file?)", row=line
            )
    return df.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def _refuse_nul(text: str, *, source: str, path: Path, separator: str) -> None:
    """A NUL byte is never data (a disk or transfer fault): refuse it naming its line and field."""
    at = text.find("\x00")
    if at < 0:
        return
    import csv

    lines = text.split("\n")
    line = text.count("\n", 0, at) + 1
    column = None
    try:
        header = next(csv.reader([lines[0].strip("\r")], delimiter=separator))
        rec = next(csv.reader([lines[line - 1].strip("\r")], delimiter=separator))
        if len(header) == len(rec) == 1 and separator in header[0]:  # nested: one quoted field per line
            header = next(csv.reader([header[0]], delimiter=separator))
            rec = next(csv.reader([rec[0]], delimiter=separator))
        field = next(i for i, v in enumerate(rec) if "\x00" in v)
        column = header[field].strip() if field < len(header) and line > 1 else None
    except (csv.Error, StopIteration):
        pass
    raise SourceFormatError(source, str(path), "contains a NUL byte (a damaged file?)", row=line, column=column)


def _split_header(first: str, separator: str, *, strip: bool = True) -> list[str]:
    import csv

    return [h.strip() if strip else h for h in next(csv.reader([first.strip("\r")], delimiter=separator))]


def _first_ragged_line(text: str, separator: str, width: int) -> int | None:
    import csv

    for i, rec in enumerate(csv.reader(io.StringIO(text), delimiter=separator), start=1):
        if len(rec) != width and any(rec):
            return i
    return None


# --------------------------------------------------------------------------------------------
# Converting columns, with the row of the first bad value
# --------------------------------------------------------------------------------------------


def _first_bad(df: pl.DataFrame, mask: pl.Expr, col: str) -> tuple[int | None, str]:
    bad = df.filter(mask).select(ROW, pl.col(col).cast(pl.Utf8)).head(1)
    if bad.height == 0:
        return None, ""
    return bad[ROW][0], bad[col][0]


def to_number(
    df: pl.DataFrame,
    col: str,
    *,
    source: str,
    path: Path,
    label: str | None = None,
    dtype: pl.DataType = pl.Float64,
    scale: float = 1.0,
    decimal_comma: bool = False,
) -> pl.DataFrame:
    """Cast text column ``col`` to numbers (× ``scale``); empty stays null; anything else raises."""
    s = pl.col(col).str.strip_chars()
    if decimal_comma:
        s = s.str.replace_all(r"\s", "").str.replace(",", ".", literal=True)
    parsed = s.cast(pl.Float64, strict=False)
    tmp = df.with_columns(parsed.alias("__num"))
    row, val = _first_bad(tmp, pl.col("__num").is_null() & (s.fill_null("") != ""), col)
    if row is not None:
        raise SourceFormatError(source, str(path), f"{val!r} is not a number", row=row, column=label or col)
    row, val = _first_bad(tmp, pl.col("__num").is_not_null() & ~pl.col("__num").is_finite(), col)
    if row is not None:  # 'NaN', 'inf', '1e999' parse as floats; they are never data
        raise SourceFormatError(source, str(path), f"{val!r} is not a finite number", row=row, column=label or col)
    out = pl.col("__num") * scale if scale != 1.0 else pl.col("__num")
    if dtype == pl.Float64:  # (whole numbers: the type's range below)
        row, val = _first_bad(tmp, (out.abs() >= MAX_ABS).fill_null(False), col)
        if row is not None:
            raise SourceFormatError(source, str(path), f"{val!r} is implausibly large (|x| ≥ {MAX_ABS:.0e})",
                                    row=row, column=label or col)
    if dtype != pl.Float64:
        frac = tmp.filter(pl.col("__num").is_not_null() & (pl.col("__num") != pl.col("__num").round(0)))
        if frac.height:
            raise SourceFormatError(
                source, str(path), f"{frac[col][0]!r} is not a whole number", row=frac[ROW][0], column=label or col
            )
        if dtype.is_integer():  # a whole number beyond the integer type (e.g. 1e41 for an Int64 id)
            info = np.iinfo(str(dtype).lower())
            big = tmp.filter(pl.col("__num").is_not_null() & ((out < float(info.min)) | (out >= float(info.max) + 1.0)))
            if big.height:
                raise SourceFormatError(source, str(path), f"{big[col][0]!r} is out of range for a whole number",
                                        row=big[ROW][0], column=label or col)
        out = out.cast(dtype)
    return tmp.with_columns(out.alias(col)).drop("__num")


def to_date(
    df: pl.DataFrame,
    col: str,
    *,
    source: str,
    path: Path,
    formats: Iterable[str],
    label: str | None = None,
    earliest: dt.date = dt.date(1900, 1, 1),
    latest: dt.date | None = None,
) -> pl.DataFrame:
    """Cast text column ``col`` to dates, trying each ``strptime`` format in turn (first match wins).

    A format without a day (``%Y-%m``) gives the first day of the month. Empty stays null; a value no
    format parses, or a date outside ``earliest`` … ``latest`` (default: 31 days from today), raises
    naming its row.
    """
    formats = list(formats)
    latest = latest or dt.date.today() + dt.timedelta(days=31)
    s = pl.col(col).str.strip_chars()
    tries = [
        (s if "%d" in f else s + "|01").str.strptime(pl.Date, f if "%d" in f else f + "|%d", strict=False)
        for f in formats
    ]
    tmp = df.with_columns(pl.coalesce(tries).alias("__date"))
    row, val = _first_bad(tmp, pl.col("__date").is_null() & (s.fill_null("") != ""), col)
    if row is not None:
        shown = " or ".join(f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD").replace("%b", "Mon")
                            for f in formats)
        raise SourceFormatError(source, str(path), f"{val!r} is not a date ({shown})", row=row, column=label or col)
    out_of_range = (pl.col("__date") < earliest) | (pl.col("__date") > latest)
    row, val = _first_bad(tmp, out_of_range.fill_null(False), col)
    if row is not None:
        raise SourceFormatError(
            source, str(path), f"{val!r} is outside {earliest.isoformat()} … {latest.isoformat()}", row=row,
            column=label or col,
        )
    return tmp.with_columns(pl.col("__date").alias(col)).drop("__date")


def to_iso3(
    df: pl.DataFrame,
    col: str,
    *,
    source: str,
    path: Path,
    label: str | None = None,
    extra: dict[str, str] | None = None,
    skip: Iterable[str] = (),
) -> pl.DataFrame:
    """Replace country names/codes in ``col`` by ISO3 codes; an unknown one raises naming its row.

    ``extra`` maps publisher spellings that country_converter does not know to ISO3 (checked first);
    values in ``skip`` (e.g. aggregates already filtered) are left as they are.
    """
    extra = extra or {}
    skip = set(skip)
    values = df.get_column(col).drop_nulls().unique().to_list()
    mapping = {}
    for v in values:
        if v in skip:
            mapping[v] = v
            continue
        iso = extra.get(v) or extra.get(str(v).strip()) or countries.try_resolve(v)
        if iso is None:
            row = df.filter(pl.col(col) == v)[ROW][0]
            raise SourceFormatError(source, str(path), f"unknown country {v!r}", row=row, column=label or col)
        mapping[v] = iso
    return df.with_columns(pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.Utf8))


# --------------------------------------------------------------------------------------------
# Validation against the canonical schema
# --------------------------------------------------------------------------------------------

_ISO3 = re.compile(r"^[A-Z]{3}$")

# Plausibility bounds. No quantity the atlas keeps comes near 1e18 in its unit; a single flow or stock of money
# above 1e15 USD is ~40× world annual trade (about 2.5e13 USD): a unit or parsing error, never data.
MAX_ABS = 1e18
MAX_USD = 1e15


@cache
def known_codes() -> frozenset[str]:
    """ISO3 codes the atlas accepts: country_converter's, historical entities and aggregates."""
    from ..atlas.schema import AGGREGATE_CODES

    return frozenset(r["iso3"] for r in countries.countries_rows()) | frozenset(AGGREGATE_CODES)


def _check_expr(check: str, name: str) -> tuple[pl.Expr, str]:
    c = pl.col(name)
    if check == "nonneg":
        return c < 0, "is negative"
    if check == "positive":
        return c <= 0, "is not positive"
    if check == "share":
        return (c < 0) | (c > 1), "is not a share in 0–1"
    if check == "iso3":
        return ~c.is_in(sorted(known_codes())), "is not a known ISO3 country code"
    if check == "year":
        return (c < 1800) | (c > 2100), "is not a plausible year (1800–2100)"
    if check.startswith("in:"):
        allowed = check[3:].split("|")
        return ~c.is_in(allowed), f"is not one of {allowed}"
    raise ValueError(check)


def validate(  # noqa: C901 - one flat pass of checks, clearer than splitting
    table_name: str,
    frame: pl.DataFrame,
    *,
    source: str,
    file: str,
    columns: dict[str, str] | None = None,
) -> pa.Table:
    """Check ``frame`` against the canonical table and return it as Arrow in schema column order.

    Checks, first violation raises :class:`SourceFormatError` with file, row and (publisher's) column:
    required columns present (an ``optional`` column left out is filled with NULL); values cast to the column
    type; no nulls in non-nullable columns; value checks (non-negative, ISO3, year range, allowed values); no
    duplicate primary key.
    """
    spec = schema_table(table_name)
    columns = columns or {}
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    label = lambda n: columns.get(n, n)  # noqa: E731
    absent = [c for c in spec.columns if c.name not in frame.columns and c.optional and c.nullable]
    if absent:  # optional columns the source says nothing about: NULL
        frame = frame.with_columns(pl.lit(None, _PL_TYPES[c.type]).alias(c.name) for c in absent)
    missing = [c.name for c in spec.columns if c.name not in frame.columns]
    if missing:
        raise SourceFormatError(source, file, f"loader produced no column(s) {missing} for table {table_name}")
    casts = []
    for c in spec.columns:
        target = _PL_TYPES[c.type]
        if frame.schema[c.name] != target:
            casted = frame.select(ROW, c.name, pl.col(c.name).cast(target, strict=False).alias("__c"))
            bad = casted.filter(pl.col("__c").is_null() & pl.col(c.name).is_not_null()).head(1)
            if bad.height:
                raise SourceFormatError(
                    source, file, f"{bad[c.name][0]!r} is not a valid {c.type.lower()}", row=bad[ROW][0],
                    column=label(c.name),
                )
            casts.append(pl.col(c.name).cast(target, strict=False))
    if casts:
        frame = frame.with_columns(casts)
    for c in spec.columns:
        if not c.nullable:
            bad = frame.filter(pl.col(c.name).is_null()).head(1)
            if bad.height:
                raise SourceFormatError(source, file, "missing value", row=bad[ROW][0], column=label(c.name))
        if c.type == "DOUBLE":  # 'NaN', 'inf', '1e999' parse as floats; they are never data
            bad = frame.filter(~pl.col(c.name).is_finite()).head(1)
            if bad.height:
                raise SourceFormatError(
                    source, file, f"{bad[c.name][0]!r} is not a finite number", row=bad[ROW][0], column=label(c.name)
                )
            limit, what = (MAX_USD, " USD") if "USD" in c.unit and "per" not in c.unit else (MAX_ABS, "")
            bad = frame.filter(pl.col(c.name).abs() > limit).head(1)
            if bad.height:
                raise SourceFormatError(
                    source, file, f"{bad[c.name][0]!r} is implausibly large (above {limit:.0e}{what})",
                    row=bad[ROW][0], column=label(c.name),
                )
        if c.type == "VARCHAR":
            # a NUL is never text (other controls occur in real titles: a backspace in unvotes row 768860)
            bad = frame.filter(pl.col(c.name).str.contains("\x00", literal=True)).head(1)
            if bad.height:
                raise SourceFormatError(
                    source, file, f"{bad[c.name][0]!r} holds a NUL byte",
                    row=bad[ROW][0], column=label(c.name),
                )
        if c.check:
            mask, why = _check_expr(c.check, c.name)
            bad = frame.filter(mask.fill_null(False)).head(1)
            if bad.height:
                raise SourceFormatError(
                    source, file, f"{bad[c.name][0]!r} {why}", row=bad[ROW][0], column=label(c.name)
                )
    if spec.key:
        dup = frame.filter(pl.struct(list(spec.key)).is_duplicated()).sort(ROW)
        if dup.height:
            first = dup.row(0, named=True)
            same = dup.filter(pl.all_horizontal([pl.col(k) == first[k] for k in spec.key]))
            key = {k: first[k] for k in spec.key if k != "source"}
            raise SourceFormatError(
                source, file, f"duplicate key {key} (also at row {same[ROW][1]})", row=first[ROW]
            )
    out = frame.select(spec.column_names).to_arrow()
    return out.cast(arrow_schema(table_name))


def check_unique(table_name: str, tbl: pa.Table, *, source: str, files: list[str]) -> None:
    """Raise when rows combined from several files repeat a primary key."""
    spec = schema_table(table_name)
    if not spec.key or tbl.num_rows == 0:
        return
    df = pl.from_arrow(tbl)
    dup = df.filter(pl.struct(list(spec.key)).is_duplicated()).head(1)
    if dup.height:
        key = {k: dup[k][0] for k in spec.key}
        raise SourceFormatError(source, ", ".join(files), f"duplicate key {key} across input files")
