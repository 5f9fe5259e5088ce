"""The atlas: an embedded DuckDB file of canonical tables with provenance.

Writes are copy-on-write: a build or an ingest writes a new database file next to the current one
and atomically renames it into place (``os.replace``) only after every table and its provenance rows
are in and checkpointed. A reader therefore always sees a complete atlas (the previous one until the
rename), a crash or ``kill -9`` mid-write leaves the previous atlas untouched, and a failed load
writes nothing. Writers are serialised by an exclusive lock file; a second writer gets
:class:`~tethers.errors.AtlasBusyError` at once instead of waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl
import pyarrow as pa

from .. import __version__
from ..errors import AtlasBusyError, AtlasMissingError, SchemaError
from ..sources import Loaded, Provenance
from .pack import entry_files
from .schema import PROVENANCE, SCHEMA_VERSION, TABLES

ProgressFn = Callable[[str, int, int], None]
T = TypeVar("T")


def default_home() -> Path:
    """``$TETHERS_HOME`` if set, else the user data dir (e.g. ``~/.local/share/tethers``)."""
    env = os.environ.get("TETHERS_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("tethers", appauthor=False))


def default_path() -> Path:
    return default_home() / "atlas.duckdb"


def default_pack_dir() -> Path:
    """``$TETHERS_PACK``, else the shipped data pack: package data in an installed wheel, the repository's
    ``data/pack`` in a checkout (:func:`tethers.atlas.shipped.shipped_dir`)."""
    env = os.environ.get("TETHERS_PACK")
    if env:
        return Path(env)
    from .shipped import shipped_dir

    found = shipped_dir("pack")
    if found is not None:
        return found
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "data" / "pack"
        if (cand / "MANIFEST.json").exists():
            return cand
    return here.parents[3] / "data" / "pack"


@contextlib.contextmanager
def _writer_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    with open(lock, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AtlasBusyError(f"{path}: the atlas is being rebuilt or updated by another process; try again") from None
        # Holding the lock, no other writer is running: temp files left by a killed writer are garbage.
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        yield


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    for t in TABLES.values():
        con.execute(t.ddl())
    con.execute(PROVENANCE.ddl())
    con.execute(
        "INSERT INTO meta VALUES ('schema_version', ?), ('tethers_version', ?), ('built_at', ?)",
        [str(SCHEMA_VERSION), __version__, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")],
    )


def _create_indexes(con: duckdb.DuckDBPyConnection) -> None:
    for t in TABLES.values():
        for i, cols in enumerate(t.indexes):
            collist = ", ".join(f'"{c}"' for c in cols)
            con.execute(f'CREATE INDEX IF NOT EXISTS "{t.name}_ix{i}" ON "{t.name}" ({collist})')


def _insert_provenance(con: duckdb.DuckDBPyConnection, prov: list[Provenance], note: str = "") -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        (p.table_name, p.source, p.file, p.sha256, p.licence, p.citation, p.rows, p.kind, __version__, now)
        for p in prov
    ]
    if rows:
        con.executemany("INSERT INTO provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _insert_arrow(con: duckdb.DuckDBPyConnection, table_name: str, data: pa.Table, *, replace: bool) -> None:
    spec = TABLES[table_name]
    con.register("__incoming", data)
    try:
        if spec.key:
            keycols = ", ".join(f'"{k}"' for k in spec.key)
            hits = con.execute(
                f'SELECT {keycols} FROM "{table_name}" WHERE ({keycols}) IN (SELECT {keycols} FROM __incoming) LIMIT 1'
            ).fetchall()
            clash = hits[0] if hits else None
            if clash is not None and not replace:
                key = dict(zip(spec.key, clash, strict=True))
                raise SchemaError(
                    f"{table_name}: rows with key {key} are already in the atlas; use --replace to overwrite them"
                )
            if clash is not None:
                con.execute(f'DELETE FROM "{table_name}" WHERE ({keycols}) IN (SELECT {keycols} FROM __incoming)')
        cols = ", ".join(f'"{c}"' for c in spec.column_names)
        con.execute(f'INSERT INTO "{table_name}" ({cols}) SELECT {cols} FROM __incoming')
    finally:
        con.unregister("__incoming")


def _commit_file(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def build_atlas(
    path: str | Path | None = None,
    *,
    pack_dir: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """(Re)build the atlas at ``path`` from the data pack; returns the path.

    Loads the ``countries`` table (country_converter + historical entities) and every Parquet table
    listed in the pack's ``MANIFEST.json`` (all parts of a split table), with one provenance row per
    original input file.
    """
    from ..countries import countries_rows

    path = Path(path) if path else default_path()
    pack = Path(pack_dir) if pack_dir else default_pack_dir()
    manifest_file = pack / "MANIFEST.json"
    if not manifest_file.exists():
        raise AtlasMissingError(f"{manifest_file}: no data pack here (run scripts/build_pack.py or set TETHERS_PACK)")
    manifest = json.loads(manifest_file.read_text())
    with _writer_lock(path):
        tmp = _tmp_path(path)
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        try:
            _create_schema(con)
            crow = pa.Table.from_pylist(countries_rows())
            _insert_arrow(con, "countries", crow, replace=False)
            _insert_provenance(
                con,
                [Provenance("countries", "country_converter", "country_converter 1.3.2 + tethers.countries.HISTORICAL",
                            "", "GPL-3.0 (country_converter)", crow.num_rows, None, "derive")],
            )
            entries = manifest["entries"]
            for i, entry in enumerate(entries, start=1):
                if progress:
                    progress(f"{entry['source']}:{entry['table']}", i, len(entries))
                data = pa.concat_tables([_read_parquet(pack / f) for f in entry_files(entry)])
                _insert_arrow(con, entry["table"], data, replace=False)
                prov = [
                    Provenance(entry["table"], entry["source"], inp["file"], inp["sha256"], entry["licence"],
                               inp["rows"], entry.get("citation"), "load")
                    for inp in entry["inputs"]
                ]
                _insert_provenance(con, prov)
            _create_indexes(con)
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            tmp.unlink(missing_ok=True)
            raise
        con.close()
        _commit_file(tmp, path)
    return path


def _read_parquet(file: Path) -> pa.Table:
    import pyarrow.parquet as pq

    return pq.read_table(file)


def ingest(
    loaded: Loaded,
    path: str | Path | None = None,
    *,
    replace: bool = False,
) -> dict[str, int]:
    """Add already-validated tables to the atlas, all or nothing; returns rows added per table.

    Copy-on-write: the current atlas is copied, the rows and their provenance are inserted in one
    transaction, and the copy replaces the atlas only if every step succeeded.
    """
    path = Path(path) if path else default_path()
    if not path.exists():
        raise AtlasMissingError(f"{path}: no atlas here; run `tethers atlas build` first")
    with _writer_lock(path):
        tmp = _tmp_path(path)
        shutil.copyfile(path, tmp)
        try:
            con = duckdb.connect(str(tmp))
            try:
                _check_version(con, path)
                con.execute("BEGIN TRANSACTION")
                for tname, data in loaded.tables.items():
                    _insert_arrow(con, tname, data, replace=replace)
                _insert_provenance(con, loaded.provenance)
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _commit_file(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return {t: d.num_rows for t, d in loaded.tables.items()}


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
        row = rows[0] if rows else None
    except duckdb.Error:
        row = None
    if row is None or int(row[0]) != SCHEMA_VERSION:
        found = row[0] if row else "none"
        raise SchemaError(
            f"{path}: atlas schema version {found}, this tethers needs {SCHEMA_VERSION}; run `tethers atlas build`"
        )


class Atlas:
    """A read-only view of an atlas file. Query results are Polars frames (``.to_arrow()``/``.to_pandas()``).

    All SQL that carries user input uses bound parameters.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        if not self.path.exists():
            raise AtlasMissingError(f"{self.path}: no atlas here; run `tethers atlas build` first")
        try:
            self._con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.IOException as exc:
            raise AtlasBusyError(f"{self.path}: cannot open the atlas ({str(exc).splitlines()[0]})") from None
        _check_version(self._con, self.path)
        self._memo: dict | None = None

    def close(self) -> None:
        self._con.close()

    @contextlib.contextmanager
    def memo(self) -> Iterator[Atlas]:
        """Within the block, a query asked again with the same parameters returns the frame read the first time.

        The connection is read-only, so the answer cannot change; a command that reads the same rows for several
        poles or dimensions (``profile``, ``dependence``) reads them once. Nested blocks share the outer memo.
        """
        outer = self._memo
        if outer is None:
            self._memo = {}
        try:
            yield self
        finally:
            if outer is None:
                self._memo = None

    def memoised(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` once per :meth:`memo` block for ``key`` (any hashable tuple naming the computation and its
        arguments); outside a block it is computed every time. For results derived from several queries that a
        command asks for again with the same arguments (the energy dimension's reading, once per pole)."""
        if self._memo is None:
            return compute()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __enter__(self) -> Atlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, query: str, params: list | dict | None = None) -> pl.DataFrame:
        """Run a read-only query with bound parameters; returns a Polars frame (memoised inside :meth:`memo`)."""
        if self._memo is not None:
            key = (query, _frozen(params))
            hit = self._memo.get(key)
            if hit is None:
                hit = self._memo[key] = self._run(query, params)
            return hit
        return self._run(query, params)

    def _run(self, query: str, params: list | dict | None) -> pl.DataFrame:
        return pl.from_arrow(self._con.sql(query, params=params or None).to_arrow_table())  # type: ignore[return-value]

    def table(self, name: str, **equals: object) -> pl.DataFrame:
        """Rows of a canonical table, filtered by column equality (``atlas.table("trade", reporter="KAZ")``)."""
        spec = TABLES.get(name) or (PROVENANCE if name == "provenance" else None)
        if spec is None:
            raise SchemaError(f"unknown atlas table {name!r}; tables: {', '.join([*TABLES, 'provenance'])}")
        where, params = [], []
        for col, val in equals.items():
            if col not in spec.column_names:
                raise SchemaError(f"table {name} has no column {col!r}; columns: {spec.column_names}")
            where.append(f'"{col}" = ?')
            params.append(val)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        return self.sql(f'SELECT * FROM "{name}"{clause}', params)

    def meta(self) -> dict[str, str]:
        return dict(self._con.execute("SELECT key, value FROM meta").fetchall())

    def info(self) -> pl.DataFrame:
        """Per table: rows, years covered, sources and licences (a query over the data and ``provenance``)."""
        out = []
        for name, spec in TABLES.items():
            rows = self._con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
            years = (None, None)
            ycol = "year" if "year" in spec.column_names else ("date" if "date" in spec.column_names else None)
            if ycol and rows:
                expr = f'"{ycol}"' if ycol == "year" else f'year("{ycol}")'
                years = self._con.execute(f'SELECT min({expr}), max({expr}) FROM "{name}"').fetchall()[0]
            srcs = self._con.execute(
                "SELECT string_agg(DISTINCT source, ', ' ORDER BY source), string_agg(DISTINCT licence, '; ' ORDER BY licence)"
                " FROM provenance WHERE table_name = ?",
                [name],
            ).fetchall()[0]
            out.append({"table": name, "rows": rows, "first_year": years[0], "last_year": years[1],
                        "sources": srcs[0] or "", "licences": srcs[1] or ""})
        return pl.DataFrame(out, schema_overrides={"first_year": pl.Int64, "last_year": pl.Int64})

    def provenance(self, table_name: str | None = None) -> pl.DataFrame:
        if table_name:
            return self.sql("SELECT * FROM provenance WHERE table_name = ? ORDER BY source, file", [table_name])
        return self.sql("SELECT * FROM provenance ORDER BY table_name, source, file")


def _frozen(value):
    """A hashable copy of query parameters (lists → tuples, dicts → sorted item tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def open_atlas(path: str | Path | None = None, *, build_if_missing: bool = True) -> Atlas:
    """Open the atlas read-only; build it from the shipped data pack first if none exists yet."""
    p = Path(path) if path else default_path()
    if not p.exists() and build_if_missing:
        build_atlas(p)
    return Atlas(p)


def add_file(source_id: str, file: str | Path, path: str | Path | None = None, *, replace: bool = False) -> dict[str, int]:
    """Read a user's file in a publisher's format and add it to the atlas (all or nothing).

    ``source_id`` may be ``"auto"`` to let the loaders' ``handles`` sniff the format.
    """
    from ..sources import detect_source, get_source

    src = detect_source(file) if source_id == "auto" else get_source(source_id)
    return ingest(src.read(file), path, replace=replace)


def checksum(path: str | Path) -> dict[str, str]:
    """Content hash of every table (order-independent), for 'the atlas is unchanged' checks."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
            n, h = con.execute(f'SELECT count(*), coalesce(sum(hash(t::VARCHAR)), 0) FROM "{name}" AS t').fetchall()[0]
            out[name] = f"{n}:{h}"
        return out
    finally:
        con.close()
