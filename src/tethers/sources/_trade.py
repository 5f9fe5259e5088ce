"""Helpers shared by the trade loaders (baci, comtrade, eurostat, imf_dots, wto).

Column finding tolerant of a publisher's spelling variants, the first offending row of a check,
country-code resolution with a shipped mapping, and the canonical ``trade`` frame.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path

import polars as pl

from .. import countries
from ..errors import SourceFormatError
from ._common import ROW, header_line

TRADE_COLUMNS = ["year", "reporter", "partner", "classification", "product", "level", "flow", "value_usd",
                 "quantity", "quantity_unit", "estimated", "source"]


def norm(name: str) -> str:
    """Header spelling key: lower case, letters and digits only (``Reporting.Economy.Code`` ==
    ``Reporting Economy Code``)."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def find_columns(
    path: Path, *, source: str, wanted: dict[str, tuple[str, ...]], optional: Iterable[str] = (),
    separator: str = ",",
) -> dict[str, str]:
    """Map canonical names to the file's own column names, matching :func:`norm` of any alias.

    Raises naming row 1 for a wrong delimiter or a missing required column.
    """
    line = header_line(path)
    if not line.strip():
        raise SourceFormatError(source, str(path), "file is empty")
    header = [h.strip().strip('"') for h in next(csv.reader([line], delimiter=separator))]
    by_norm = {norm(h): h for h in header}
    found: dict[str, str] = {}
    optional = set(optional)
    missing = []
    for canon, aliases in wanted.items():
        hit = next((by_norm[norm(a)] for a in aliases if norm(a) in by_norm), None)
        if hit is not None:
            found[canon] = hit
        elif canon not in optional:
            missing.append(aliases[0])
    if missing:
        other = next((d for d in (";", "\t", "|") if d != separator and d in line), None)
        if len(header) == 1 and other:
            raise SourceFormatError(source, str(path), f"wrong delimiter: expected {separator!r}, the header uses {other!r}",
                                    row=1)
        raise SourceFormatError(source, str(path), f"missing column(s) {', '.join(map(repr, missing))}; "
                                f"header has {header[:12]}", row=1)
    return found


def raise_first(df: pl.DataFrame, mask: pl.Expr, *, source: str, path: Path | str, column: str,
                reason: str | Callable[[object], str], label: str | None = None) -> None:
    """Raise :class:`SourceFormatError` for the first row where ``mask`` holds (null counts as true)."""
    bad = df.filter(mask.fill_null(True)).select(ROW, pl.col(column)).sort(ROW).head(1)
    if bad.height:
        value = bad[column][0]
        why = reason(value) if callable(reason) else reason
        raise SourceFormatError(source, str(path), why, row=bad[ROW][0], column=label or column)


def load_mapping(filename: str, key: str, value: str) -> dict[str, str]:
    """A shipped mapping CSV in ``sources/data`` as a dict (empty values kept as '')."""
    with resources.files(__package__).joinpath(f"data/{filename}").open(encoding="utf-8") as fh:
        return {r[key]: r[value] for r in csv.DictReader(fh)}


def resolve_countries(
    df: pl.DataFrame, col: str, *, source: str, path: Path, label: str | None = None,
    codes: dict[str, str] | None = None, names: str | None = None, numeric: bool = False,
) -> pl.DataFrame:
    """Replace ``col`` (a publisher code) by ISO3, vectorised over distinct values.

    Resolution order per distinct value: ``codes`` (publisher mapping; an empty target means
    "skip this aggregate" → ``None``), then the value itself through :func:`countries.try_resolve`
    (ISO numeric only when ``numeric``), then the name in column ``names``. An unresolvable value raises naming its
    first row. Rows mapped to ``None`` (skipped aggregates) are dropped.
    """
    codes = codes or {}
    pairs = df.select(col, *([names] if names else [])).unique()
    mapping: dict[str, str | None] = {}
    for rec in pairs.iter_rows(named=True):
        v = rec[col]
        if v is None or v in mapping:
            continue
        key = v.strip()
        if numeric and key.isdigit():
            key = str(int(key))
        iso: str | None
        if key in codes or v in codes:
            iso = codes.get(key, codes.get(v)) or None
        else:
            iso = None
            if key.isdigit():
                iso = countries.try_resolve(key) if numeric else None
            else:
                iso = countries.try_resolve(key)
            if iso is None and names and rec[names]:
                iso = countries.try_resolve(rec[names])
            if iso is None:
                row = df.filter(pl.col(col) == v)[ROW].min()
                shown = f"{v!r} ({rec[names]!r})" if names and rec[names] else repr(v)
                raise SourceFormatError(source, str(path), f"unknown country {shown}", row=row, column=label or col)
        mapping[v] = iso
    raise_first(df, pl.col(col).is_null(), source=source, path=path, column=col, label=label, reason="missing value")
    out = df.with_columns(pl.col(col).replace_strict(mapping, default=None, return_dtype=pl.Utf8))
    return out.filter(pl.col(col).is_not_null())


def trade_frame(df: pl.DataFrame, *, source: str, quantity_unit: str | None = None) -> pl.DataFrame:
    """Select the canonical ``trade`` columns (plus ``_row``), filling optional ones with nulls."""
    add = []
    if "quantity" not in df.columns:
        add.append(pl.lit(None, pl.Float64).alias("quantity"))
    if "quantity_unit" not in df.columns:
        unit = pl.lit(quantity_unit, pl.Utf8)
        add.append((pl.when(pl.col("quantity").is_not_null()).then(unit).otherwise(None) if "quantity" in df.columns
                    else pl.lit(None, pl.Utf8)).alias("quantity_unit"))
    if "estimated" not in df.columns:  # the publisher's estimate flag; NULL = the source does not say
        add.append(pl.lit(None, pl.Boolean).alias("estimated"))
    df = df.with_columns(add) if add else df
    return df.with_columns(pl.lit(source).alias("source")).select(ROW, *TRADE_COLUMNS)


def pad_hs(code: pl.Expr) -> pl.Expr:
    """HS codes that lost their leading zero (``1`` → ``01``, ``10110`` → ``010110``)."""
    c = code.str.strip_chars()
    return pl.when(c.str.contains(r"^\d+$") & (c.str.len_chars() % 2 == 1)).then(pl.lit("0") + c).otherwise(c)
