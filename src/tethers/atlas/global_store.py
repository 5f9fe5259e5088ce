"""The global store: whole BACI HS6 years as year-partitioned Parquet, queried out of core with DuckDB.

A BACI release year (``BACI_HS17_Y2021_V202401.csv``, ~11 M rows, ~0.5 GB of text) is too large for the
atlas's in-memory path (``sources.baci`` → Polars → ``atlas.duckdb``). :func:`ingest_baci` streams it
instead, in one DuckDB statement per file, into ::

    $TETHERS_HOME/global/baci/year=2021/part-0.parquet      exporter, importer (SMALLINT BACI codes),
                                                           hs6 (INTEGER), value_usd, quantity
    $TETHERS_HOME/global/baci/year=2021/provenance.json    file, sha256, rows, HS revision, licence, …

and :func:`open_global` returns a DuckDB connection with views over those files (ISO3 codes and product
text appear there; nothing is loaded into memory until a query asks for it). See ``docs/scale.md``.

How one file is ingested
------------------------
* **One pass, bounded memory.** ``COPY (SELECT … FROM read_csv(…)) TO tmp (FORMAT parquet,
  PARTITION_BY (year))`` with ``memory_limit``, ``threads`` and ``preserve_insertion_order = false`` (rows
  stream through; nothing is buffered for ordering). Country codes are checked against the BACI loader's
  mapping (:func:`tethers.sources.baci.country_codes`) through a 1,000-entry lookup list and stored as
  the canonical BACI code of their ISO3 (:func:`canonical_codes`); values become USD (× 1000); padded
  ``NA`` quantities become NULL; the HS6 code stays an integer. Numbers rather than strings: writing
  two ISO3 string columns cost 1.3 s CPU more than two SMALLINT columns on 11 M rows.
* **Validation inside the same pass.** One conjunction per row in the ``SELECT`` (year as in the file
  name, both country codes known, HS6 code of 5–6 digits, value present, finite and ≥ 0, quantity ≥ 0);
  a failing row makes DuckDB's ``error()`` abort the statement, and a non-numeric field aborts it in the
  typed CSV reader. Only then a second, diagnostic pass (``read_csv … WITH ORDINALITY``, every column as
  text, one ``min(row) FILTER (WHERE check)`` per check) finds the *first* bad row and raises
  :class:`~tethers.errors.SourceFormatError` naming file, row (header = row 1) and column, with the
  in-memory loader's wording. A clean file is therefore read once.
* **Atomic.** Everything is written under ``global/baci/.ingest-<pid>/``; only when every file of the
  call has passed are the ``year=`` folders renamed into place (``os.replace``; an existing year is
  swapped out and then deleted). A bad row anywhere leaves the store exactly as it was. Writers take an
  exclusive lock (``global/baci/.lock``).
* **Not checked** (cost): that (exporter, importer, hs6) is unique. CEPII guarantees it; the global
  measures assume it (see :mod:`tethers.atlas.global_sql`).

The SHA-256 of each input file is computed in a thread while DuckDB reads it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from ..errors import DataNotAvailableError, SourceFormatError

__all__ = ["ingest_baci", "open_global", "global_dir", "global_years", "STORE_COLUMNS"]

ProgressFn = Callable[[str, float, float], None]
"""``progress(label, done, total)``: ``done``/``total`` in percent of the current file, or files."""

SOURCE = "baci"
RELEASE_COLUMNS = ("t", "i", "j", "k", "v", "q")
_RELEASE_NAME = re.compile(r"BACI_HS(\d{2})_Y(\d{4})_V(\d{6}[a-z]?)", re.IGNORECASE)
_HS = {"92": "HS92", "96": "HS96", "02": "HS02", "07": "HS07", "12": "HS12", "17": "HS17", "22": "HS22"}
STORE_COLUMNS = {
    "exporter": "SMALLINT",  # BACI's i, canonical code of its ISO3 (see canonical_codes)
    "importer": "SMALLINT",  # BACI's j, likewise
    "hs6": "INTEGER",  # BACI's k as a number (render: lpad(hs6::VARCHAR, 6, '0'))
    "value_usd": "DOUBLE",  # v × 1000, current USD
    "quantity": "DOUBLE",  # q, tonnes; NULL where BACI has NA
}
_INVALID = "tethers: invalid BACI row"


def global_dir(home: str | Path | None = None) -> Path:
    """``<home>/global/baci`` (``home`` defaults to :func:`tethers.atlas.store.default_home`)."""
    from .store import default_home

    base = Path(home).expanduser() if home else default_home()
    return base / "global" / SOURCE


def global_years(home: str | Path | None = None) -> list[int]:
    """Years present in the global store, sorted."""
    root = global_dir(home)
    if not root.is_dir():
        return []
    return sorted(int(p.name[5:]) for p in root.glob("year=*") if (p / "part-0.parquet").exists())


# --------------------------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------------------------


def ingest_baci(
    files: str | Path | Iterable[str | Path],
    *,
    home: str | Path | None = None,
    progress: bool | ProgressFn | None = None,
    memory_limit: str = "1GB",
    threads: int | None = None,
) -> dict:
    """Ingest BACI release files (one per year) into the global store, all or nothing.

    Parameters
    ----------
    files : release files named as CEPII names them (``BACI_HS17_Y2021_V202401.csv``, optionally
        ``.gz``); the name gives the HS revision and the year. At most one file per year.
    home : the tethers home (default ``$TETHERS_HOME`` or the user data dir).
    progress : ``True`` for a Rich progress bar on stderr, a callable ``(label, done, total)``, or
        ``None`` for silence.
    memory_limit, threads : DuckDB settings for the ingest (``threads=None`` = all cores).

    Returns
    -------
    dict
        ``{"path": str, "rows": int, "seconds": float, "years": {year: {"file", "classification",
        "rows", "sha256", "seconds"}}}``.

    Raises
    ------
    SourceFormatError
        A file is not a BACI release (name, header) or has a bad row; the message names the file, the
        row (header = row 1) and the column. Nothing is written.
    """
    paths = [Path(files)] if isinstance(files, str | Path) else [Path(f) for f in files]
    plan = _plan(paths)
    root = global_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    with _lock(root), _progress(progress, len(plan)) as report:
        for stale in root.glob(".ingest-*"):  # left by a killed ingest: we hold the lock, nobody uses them
            shutil.rmtree(stale, ignore_errors=True)
        tmp = root / f".ingest-{os.getpid()}"
        tmp.mkdir()
        try:
            con = _connect(memory_limit=memory_limit, threads=threads, spill=tmp / "spill")
            try:
                years = {}
                for n, (year, cls, path) in enumerate(plan):
                    years[year] = _ingest_one(con, path, year, cls, tmp / f"file{n}", report, n, len(plan))
            finally:
                con.close()
            _commit(tmp, root, years)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    total = sum(y["rows"] for y in years.values())
    return {"path": str(root), "rows": total, "seconds": time.perf_counter() - t_all, "years": years}


def _plan(paths: list[Path]) -> list[tuple[int, str, Path]]:
    """(year, classification, path) per file; rejects unnamed files, missing files, repeated years."""
    out: list[tuple[int, str, Path]] = []
    seen: dict[int, Path] = {}
    for p in paths:
        m = _RELEASE_NAME.search(p.name)
        if not m or m.group(1) not in _HS:
            raise SourceFormatError(SOURCE, str(p), "not a BACI release file name: name it like "
                                    "BACI_HS17_Y2021_V202401.csv (HS revision and year are read from it)")
        if not p.is_file():
            raise SourceFormatError(SOURCE, str(p), "file not found")
        if p.stat().st_size == 0:
            raise SourceFormatError(SOURCE, str(p), "file is empty")
        year = int(m.group(2))
        if year in seen:
            raise SourceFormatError(SOURCE, str(p), f"a second file for {year} (first: {seen[year].name}); "
                                    "ingest one file per year")
        seen[year] = p
        _check_header(p)
        out.append((year, _HS[m.group(1)], p))
    return out


def _check_header(path: Path) -> None:
    from ..sources._common import header_line

    head = [h.strip().strip('"') for h in header_line(path).split(",")]
    if head != list(RELEASE_COLUMNS):
        missing = [c for c in RELEASE_COLUMNS if c not in head]
        why = (f"missing column(s) {missing}" if missing else f"columns {head}") + \
            f"; a BACI release has the header {','.join(RELEASE_COLUMNS)}"
        raise SourceFormatError(SOURCE, str(path), why, row=1)


def _connect(*, memory_limit: str, threads: int | None, spill: Path | None = None) -> duckdb.DuckDBPyConnection:
    from ..sources.baci import country_codes

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{_setting(memory_limit)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    if spill is not None:
        con.execute(f"SET temp_directory = '{_quote(spill)}'")
    cc = country_codes()
    _table(con, "codes", {"code": [int(c) for c in cc], "code_text": list(cc), "iso3": list(cc.values())},
           {"code": pa.int32(), "code_text": pa.string(), "iso3": pa.string()})
    canon = canonical_codes()
    lookup = ", ".join("NULL" if canon.get(n) is None else str(canon[n]) for n in range(1000))
    con.execute(f"CREATE TEMP MACRO canonical(x) AS CASE WHEN x BETWEEN 0 AND 999 THEN "
                f"([{lookup}]::SMALLINT[])[x + 1] END")
    return con


def _table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list], types: dict) -> None:
    """A small temp table from Python lists, via Arrow (one statement; ``executemany`` is row by row)."""
    data = pa.table({k: pa.array(v, type=types[k]) for k, v in columns.items()})
    con.register("__tethers_tmp", data)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM __tethers_tmp")
    finally:
        con.unregister("__tethers_tmp")


def canonical_codes() -> dict[int, int]:
    """BACI code → the code stored for its ISO3: the smallest BACI code of that ISO3.

    Four ISO3 codes have two BACI codes (BEL 56/58 Belgium-Luxembourg, DEU 276/280, ZAF 710/711
    SACU, SDN 729/736 former Sudan); the historical one is stored as the current one, as the loader
    maps both to the same ISO3. Every other code is stored as published.
    """
    from ..sources.baci import country_codes

    first: dict[str, int] = {}
    for code, iso in country_codes().items():
        first[iso] = min(first.get(iso, 10**6), int(code))
    return {int(code): first[iso] for code, iso in country_codes().items()}


def country_table() -> list[tuple[int, str, int]]:
    """``(code, iso3, rank)`` for every stored (canonical) code; ``rank`` orders the ISO3 codes (ties)."""
    from ..sources.baci import country_codes

    iso = {int(c): i for c, i in country_codes().items()}
    codes = sorted(set(canonical_codes().values()), key=lambda c: (iso[c], c))
    return [(c, iso[c], r) for r, c in enumerate(codes)]


def _setting(value: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", value.strip(), re.IGNORECASE):
        raise ValueError(f"memory_limit={value!r}: give a size such as '1GB' or '512MB'")
    return value.strip()


def _quote(path: Path | str) -> str:
    return str(path).replace("'", "''")


# The sniffer stays on (it reads a sample only): with ``auto_detect = false`` DuckDB 2.0 parsed the file
# ~1.6× slower and buffered ~2 GB (measured on an 11 M-row file), quoting unknown.
_CSV_OPTIONS = (
    "header = true, delim = ',', "
    "columns = {'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'INTEGER', 'v': 'DOUBLE', 'q': 'VARCHAR'}"
)


def copy_sql(path: Path, year: int, out: Path) -> str:
    """The one-pass ingest statement for one release file (conversion + validation + Parquet).

    The row is good when the conjunction holds; NULL anywhere in it (a missing field) counts as bad.
    ``v <= 1.8e308`` rejects NaN and infinity (DuckDB orders NaN above every number).
    """
    good = " AND ".join([
        f"t = {int(year)}", "e IS NOT NULL", "m IS NOT NULL", "k BETWEEN 10000 AND 999999",
        "v >= 0", "v <= 1.7976931348623157e308", "(qd IS NULL OR qd >= 0)",
    ])
    return f"""
    COPY (
        SELECT CASE WHEN coalesce({good}, false) THEN t ELSE error('{_INVALID}') END AS year,
               e AS exporter, m AS importer, k AS hs6, v * 1000.0 AS value_usd, qd AS quantity
        FROM (
            SELECT t, canonical(i) AS e, canonical(j) AS m, k, v,
                   CASE WHEN q IS NULL OR ends_with(q, 'NA') THEN NULL ELSE q::DOUBLE END AS qd
            FROM read_csv('{_quote(path)}', {_CSV_OPTIONS})
        )
    ) TO '{_quote(out)}' (FORMAT parquet, PARTITION_BY (year), FILENAME_PATTERN 'part-{{i}}')
    """


def _ingest_one(con, path: Path, year: int, cls: str, out: Path, report, n: int, total: int) -> dict:
    t0 = time.perf_counter()
    digest: dict[str, str] = {}
    hasher = threading.Thread(target=lambda: digest.setdefault("sha256", _sha256(path)), daemon=True)
    hasher.start()
    label = f"{path.name} ({n + 1}/{total})"
    try:
        with _poll(con, report, label):
            rows = con.execute(copy_sql(path, year, out)).fetchall()[0][0]
    except duckdb.Error as exc:
        hasher.join()
        raise _diagnose(path, year, cls, exc) from None
    hasher.join()
    if rows == 0:
        raise SourceFormatError(SOURCE, str(path), "no data rows after the header", row=2)
    return {"file": path.name, "classification": cls, "rows": int(rows), "sha256": digest["sha256"],
            "seconds": time.perf_counter() - t0}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _commit(tmp: Path, root: Path, years: dict[int, dict]) -> None:
    """Move every ``year=`` folder of this ingest into place (swap out an existing one first)."""
    from .. import __version__
    from ..sources import catalogue

    meta = catalogue().get(SOURCE, {})
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    staged: list[tuple[Path, Path]] = []
    for n, (year, info) in enumerate(years.items()):
        part = tmp / f"file{n}" / f"year={year}"
        (part / "provenance.json").write_text(json.dumps({
            "table": "global.baci", "source": SOURCE, "year": year, **info, "licence": meta.get("licence", "unknown"),
            "citation": meta.get("citation"), "tethers_version": __version__, "ingested_at": now, "kind": "load",
        }, indent=2, default=str))
        staged.append((part, root / f"year={year}"))
    for part, dest in staged:
        old = tmp / f"old-{dest.name}"
        if dest.exists():
            os.replace(dest, old)
        os.replace(part, dest)
    _fsync_dir(root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[None]:
    from ..errors import AtlasBusyError

    with open(root / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AtlasBusyError(f"{root}: another ingest is writing the global store; try again") from None
        yield


# --------------------------------------------------------------------------------------------
# Diagnosis: the first bad row, set-based (runs only when the one-pass ingest failed)
# --------------------------------------------------------------------------------------------


def _checks(year: int, classification: str) -> list[tuple[str, str, str]]:
    """(column, SQL condition on the text columns, reason) in the order ties are reported."""
    num = "TRY_CAST(trim({c}) AS DOUBLE)"
    code = "NOT coalesce(regexp_replace(trim({c}), '^0+(\\d)', '\\1') IN (SELECT code_text FROM codes), false)"
    q_missing = "(q IS NULL OR trim(q) IN ('', 'NA'))"
    return [
        ("v", "v IS NULL", "missing value: the row has fewer fields than the header (truncated file?)"),
        ("t", "TRY_CAST(trim(t) AS INTEGER) IS NULL", "is not a year"),
        ("t", f"TRY_CAST(trim(t) AS INTEGER) <> {int(year)}", f"does not match the year {int(year)} in the file name"),
        ("i", code.format(c="i"), "is not a BACI country code"),
        ("j", code.format(c="j"), "is not a BACI country code"),
        ("k", "NOT coalesce(regexp_full_match(trim(k), '\\d{5,6}') AND TRY_CAST(trim(k) AS INTEGER) >= 10000, false)",
         f"is not an HS6 code of {classification}"),
        ("v", f"{num.format(c='v')} IS NULL", "is not a number"),
        ("v", f"NOT isfinite({num.format(c='v')})", "is not a finite number"),
        ("v", f"{num.format(c='v')} < 0", "is negative"),
        ("q", f"NOT {q_missing} AND {num.format(c='q')} IS NULL", "is not a number"),
        ("q", f"NOT {q_missing} AND {num.format(c='q')} < 0", "is negative"),
    ]


def first_bad_row(con: duckdb.DuckDBPyConnection, path: Path, year: int, classification: str) -> tuple[int, str, str, str] | None:
    """``(row, column, value, reason)`` of the first row failing a check, or None; header = row 1."""
    checks = _checks(year, classification)
    cols = ", ".join(f"min(_row) FILTER (WHERE {cond}) AS c{n}" for n, (_c, cond, _w) in enumerate(checks))
    src = (f"(SELECT *, ordinality + 1 AS _row FROM read_csv('{_quote(path)}', header = true, auto_detect = false, "
           f"delim = ',', quote = '\"', escape = '\"', null_padding = true, "
           "columns = {'t': 'VARCHAR', 'i': 'VARCHAR', 'j': 'VARCHAR', 'k': 'VARCHAR', 'v': 'VARCHAR', "
           "'q': 'VARCHAR'}) WITH ORDINALITY)")
    firsts = con.execute(f"SELECT {cols} FROM {src}").fetchall()[0]
    hits = [(r, n) for n, r in enumerate(firsts) if r is not None]
    if not hits:
        return None
    row, n = min(hits)
    col, _cond, why = checks[n]
    value = con.execute(f"SELECT {col} FROM {src} WHERE _row = ?", [row]).fetchall()[0][0]
    return int(row), col, value, why


def _diagnose(path: Path, year: int, cls: str, exc: duckdb.Error) -> SourceFormatError:
    """Turn a failed ingest into a SourceFormatError naming the first bad row."""
    msg = str(exc)
    con = _connect(memory_limit="1GB", threads=None)
    try:
        found = first_bad_row(con, path, year, cls)
    except duckdb.Error as exc2:  # the file cannot even be read as text: DuckDB's own line number
        found = None
        msg = str(exc2)
    finally:
        con.close()
    if found is not None:
        row, col, value, why = found
        shown = "" if why.startswith("missing value") else f"{(value or '').strip()!r} "
        return SourceFormatError(SOURCE, str(path), f"{shown}{why}", row=row, column=col)
    m = re.search(r"Line:\s*(\d+)", msg)
    reason = msg.splitlines()[0] if msg else "unreadable"
    if "Expected Number of Columns" in msg or "columns" in msg.lower() and m:
        reason = "malformed row: the number of fields differs from the header"
    elif "utf-8" in msg.lower() or "unicode" in msg.lower():
        reason = "bytes that are not valid utf-8 (re-save the file as UTF-8)"
    return SourceFormatError(SOURCE, str(path), reason, row=int(m.group(1)) if m else None)


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _progress(progress: bool | ProgressFn | None, n_files: int) -> Iterator[ProgressFn | None]:
    if not progress:
        yield None
        return
    if callable(progress):
        yield progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=False) as bar:
        tasks: dict[str, int] = {}

        def report(label: str, done: float, total: float) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done)

        yield report


@contextlib.contextmanager
def _poll(con: duckdb.DuckDBPyConnection, report: ProgressFn | None, label: str) -> Iterator[None]:
    """Report ``con.query_progress()`` (percent of the running statement) every 0.2 s from a thread."""
    if report is None:
        yield
        return
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.2):
            with contextlib.suppress(Exception):
                pct = con.query_progress()
                if pct >= 0:
                    report(label, float(pct), 100.0)

    report(label, 0.0, 100.0)
    th = threading.Thread(target=loop, daemon=True)
    th.start()
    try:
        yield
    finally:
        stop.set()
        th.join()
    report(label, 100.0, 100.0)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def open_global(
    home: str | Path | None = None, *, memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with views over the global store (nothing is read until queried).

    Views
    -----
    ``baci_raw``
        ``[year, exporter, importer, hs6, value_usd, quantity]`` as stored: country codes are BACI's
        (SMALLINT, canonical per ISO3), ``hs6`` an integer. The fast path of
        :mod:`tethers.atlas.global_sql` reads this; filter on ``year`` and DuckDB opens only that
        year's file.
    ``baci``
        The same rows for people: ``exporter``/``importer`` as ISO3, ``product`` as six-digit text, and
        ``classification`` (HS revision of the year's file).
    ``baci_trade``
        The rows as canonical ``trade`` rows (:mod:`tethers.atlas.schema`): each flow once as the exporter's
        ``export`` and once, mirrored, as the importer's ``import`` (BACI reconciles both declarations
        into one value), ``source = 'baci'``.
    ``baci_countries``
        ``[code, iso3, rank]`` (``rank``: position of the ISO3 code in alphabetical order).
    ``baci_years``
        ``[year, classification, file, sha256, rows, ingested_at]`` from each partition's provenance.

    Raises
    ------
    DataNotAvailableError
        The store has no year yet (run :func:`ingest_baci`).
    """
    root = global_dir(home)
    years = global_years(home)
    if not years:
        raise DataNotAvailableError(f"{root}: the global store is empty; ingest BACI release files first "
                                    "(tethers.atlas.global_store.ingest_baci)")
    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{_setting(memory_limit)}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET enable_progress_bar = false")
    prov = [json.loads((root / f"year={y}" / "provenance.json").read_text()) for y in years]
    cols = {"year": pa.int32(), "classification": pa.string(), "file": pa.string(), "sha256": pa.string(),
            "rows": pa.int64(), "ingested_at": pa.string()}
    _table(con, "baci_years", {c: [p[c] for p in prov] for c in cols}, cols)
    ct = country_table()
    _table(con, "baci_countries", {"code": [c for c, _i, _r in ct], "iso3": [i for _c, i, _r in ct],
                                   "rank": [r for _c, _i, r in ct]},
           {"code": pa.int16(), "iso3": pa.string(), "rank": pa.int16()})
    glob = _quote(root / "year=*" / "*.parquet")
    con.execute(f"""CREATE VIEW baci_raw AS
        SELECT year, exporter, importer, hs6, value_usd, quantity
        FROM read_parquet('{glob}', hive_partitioning = true, hive_types = {{'year': INTEGER}})""")
    con.execute("""CREATE VIEW baci AS
        SELECT r.year, y.classification, e.iso3 AS exporter, i.iso3 AS importer, lpad(r.hs6::VARCHAR, 6, '0') AS product,
               r.value_usd, r.quantity
        FROM baci_raw r JOIN baci_years y USING (year)
        JOIN baci_countries e ON r.exporter = e.code JOIN baci_countries i ON r.importer = i.code""")
    con.execute("""CREATE VIEW baci_trade AS
        SELECT year, exporter AS reporter, importer AS partner, classification, product, 6 AS level, 'export' AS flow,
               value_usd, quantity, CASE WHEN quantity IS NULL THEN NULL ELSE 't' END AS quantity_unit,
               NULL::BOOLEAN AS estimated, 'baci' AS source FROM baci
        UNION ALL
        SELECT year, importer, exporter, classification, product, 6, 'import', value_usd, quantity,
               CASE WHEN quantity IS NULL THEN NULL ELSE 't' END, NULL::BOOLEAN, 'baci' FROM baci""")
    return con
