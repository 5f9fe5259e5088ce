"""Source loaders: one module per publisher, one contract.

Each publisher is an entry in ``catalogue.toml`` plus a module ``sources/<id>.py`` defining a subclass
of :class:`Source` named ``SOURCE`` (an instance). A loader

* ``handles(path)`` — sniffs suffix and header without reading the whole file;
* ``parse(path)`` — reads the publisher's own format into tidy Polars frames, one per atlas table,
  each with a ``_row`` column (1-based line of the file, header = line 1; or spreadsheet row) so that
  validation errors can name the row; raw-value problems (non-numeric, unknown country) raise
  :class:`~tethers.errors.SourceFormatError` right there;
* ``read(path)`` (inherited) — runs ``parse`` then :func:`~tethers.sources._common.validate` against the
  canonical schema and returns a :class:`Loaded` (Arrow tables + provenance). ``read`` never opens a socket.

Network access lives only in :mod:`tethers.sources._fetch`.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import pkgutil
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import ClassVar

import polars as pl
import pyarrow as pa

from ..errors import SourceFormatError, UnknownSourceError


@dataclass(frozen=True)
class Provenance:
    """Where one loaded table came from."""

    table_name: str
    source: str
    file: str
    sha256: str
    licence: str
    rows: int
    citation: str | None = None
    kind: str = "load"


@dataclass(frozen=True)
class Loaded:
    """The result of reading one file: canonical Arrow tables keyed by atlas table name, plus provenance."""

    tables: dict[str, pa.Table]
    provenance: list[Provenance] = field(default_factory=list)

    def table(self, name: str) -> pa.Table:
        return self.tables[name]


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file (or of the sorted files of a folder)."""
    h = hashlib.sha256()
    p = Path(path)
    files = sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p]
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


class Source:
    """Base class for a publisher's loader. Subclasses set the class attributes and implement ``parse``.

    Attributes
    ----------
    id : loader id (``kz_bns``), also the ``source`` value of every row it produces.
    tables : atlas tables this loader produces.
    pack_inputs : paths relative to ``shared/data`` that ``scripts/build_pack.py`` reads into the
        shipped data pack (empty when the licence forbids redistribution).
    redistributable : whether derived rows may ship in the pack.
    columns : canonical column → the publisher's own column name, used in error messages.
    """

    id: ClassVar[str] = ""
    tables: ClassVar[tuple[str, ...]] = ()
    pack_inputs: ClassVar[tuple[str, ...]] = ()
    redistributable: ClassVar[bool] = True
    columns: ClassVar[dict[str, str]] = {}
    folders: ClassVar[bool] = False  # whether ``read`` also takes a folder of the publisher's files

    # catalogue metadata, filled from catalogue.toml
    @property
    def meta(self) -> dict:
        return catalogue().get(self.id, {})

    @property
    def licence(self) -> str:
        return self.meta.get("licence", "unknown")

    @property
    def citation(self) -> str | None:
        return self.meta.get("citation")

    @property
    def name(self) -> str:
        return self.meta.get("name", self.id)

    def handles(self, path: Path) -> bool:  # pragma: no cover - overridden
        return False

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:  # pragma: no cover - overridden
        raise NotImplementedError

    def combine_for_pack(self, table_name: str, parts: list[tuple[str, pa.Table]]) -> pa.Table:
        """Combine the tables read from each pack input (default: concatenate; the key must stay unique)."""
        from ._common import check_unique

        tbl = pa.concat_tables([t for _, t in parts])
        check_unique(table_name, tbl, source=self.id, files=[f for f, _ in parts])
        return tbl

    def reduce_for_pack(self, table_name: str, tbl: pa.Table) -> pa.Table:
        """Keep only the rows tethers needs in the shipped pack (default: all)."""
        return tbl

    def fail(self, path: Path | str, reason: str, *, row: int | None = None, column: str | None = None):
        """Build a :class:`SourceFormatError` for this source (``raise self.fail(...)``)."""
        return SourceFormatError(self.id, str(path), reason, row=row, column=column)

    def _takes_folder(self, path: Path) -> bool:
        """Whether ``path`` is a folder this loader recognises (its ``handles`` looks inside folders)."""
        if not path.is_dir():
            return False
        try:
            return bool(self.handles(path))
        except OSError:
            return False

    def read(self, path: str | Path) -> Loaded:
        """Read ``path`` in this publisher's format → validated canonical tables + provenance."""
        from ._common import require_regular_file, validate

        p = Path(path)
        require_regular_file(p, source=self.id, folder_ok=self.folders or self._takes_folder(p))
        try:
            frames = self.parse(p)
        except csv.Error as exc:  # e.g. a lone carriage return inside a header (fuzzing found it)
            raise self.fail(p, f"malformed CSV ({str(exc).splitlines()[0]})") from None
        digest = sha256_of(p)
        tables: dict[str, pa.Table] = {}
        prov: list[Provenance] = []
        for tname, frame in frames.items():
            tbl = validate(tname, frame, source=self.id, file=str(p), columns=self.columns)
            tables[tname] = tbl
            prov.append(Provenance(tname, self.id, p.name, digest, self.licence, tbl.num_rows, self.citation))
        return Loaded(tables, prov)


@cache
def catalogue() -> dict[str, dict]:
    """The publisher catalogue (``catalogue.toml``): id → metadata."""
    with resources.files(__package__).joinpath("catalogue.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def _registry() -> dict[str, Source]:
    out: dict[str, Source] = {}
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        src = getattr(module, "SOURCE", None)
        if isinstance(src, Source):
            out[src.id] = src
    return out


def list_sources() -> list[str]:
    """Ids of all registered loaders, sorted."""
    return sorted(_registry())


def get_source(source_id: str) -> Source:
    """The loader registered as ``source_id`` (case-insensitive)."""
    reg = _registry()
    key = source_id.strip().lower().replace("-", "_")
    if key not in reg:
        raise UnknownSourceError(f"unknown source {source_id!r}; sources: {', '.join(sorted(reg))}")
    return reg[key]


def detect_source(path: str | Path) -> Source:
    """The first loader whose ``handles`` accepts ``path``."""
    from ._common import require_regular_file

    p = Path(path)
    require_regular_file(p, source="auto", folder_ok=True)
    for src in _registry().values():
        try:
            if src.handles(p):
                return src
        except OSError:
            continue
    raise UnknownSourceError(f"{p}: no loader recognises this file; name the source (tethers atlas add <source> <path>)")
