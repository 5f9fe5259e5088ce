"""Build the compact data pack (Parquet) that ships in the repository, from ``shared/data``.

For every registered, redistributable loader, each file in its ``pack_inputs`` is read with the
loader's own ``read`` (so the pack passes the same validation as a user's file), the parts are
combined (``Source.combine_for_pack``: concatenation, or a publisher-specific rule such as "latest
release wins"), reduced to what tethers needs (``Source.reduce_for_pack``), sorted by primary key and
written with fixed Parquet settings. Same inputs → byte-identical files. A table whose Parquet file
would exceed :data:`PART_BYTES` is written as several parts (``trade-part1.parquet``, ``trade-part2.parquet``
…: consecutive, equal row ranges of the sorted table), so no shipped file passes the project's 8 MiB-per-file
guideline. ``MANIFEST.json`` (format 2) records each table's ``parts`` (file, rows, SHA-256; ``file`` too
when there is one part), its inputs with their SHA-256, rows, licence and citation; the atlas build reads
every part (:func:`entry_files`) and turns the inputs into provenance rows.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..sources import get_source, list_sources, sha256_of
from .schema import TABLES

ProgressFn = Callable[[str, int, int], None]
PACKAGE_PREFIX = "tethers:"
REPO_PREFIX = "repo:"
REPO_ROOT = Path(__file__).resolve().parents[3]  # src/tethers/atlas/pack.py → the repository
MANIFEST_FORMAT = 2  # 2: entries list their parts (file, rows, sha256)
PART_BYTES = 6 * 1024 * 1024  # a table's Parquet above this is split into parts (each ≤ this, < the 8 MiB guideline)


def input_path(shared_data: Path, entry: str) -> Path:
    """Where a ``Source.pack_inputs`` entry lives: a path relative to ``shared/data`` or, prefixed
    ``tethers:`` (``tethers:data/memberships.csv``), a file shipped inside the tethers package — the
    hand-kept tables; or, prefixed ``repo:`` (``repo:data/derived/x.csv.gz``), a compact derived file
    committed in the repository. The manifest records the entry as written, so it stays machine-independent."""
    if entry.startswith(PACKAGE_PREFIX):
        from importlib import resources

        return Path(str(resources.files("tethers").joinpath(entry[len(PACKAGE_PREFIX):])))
    if entry.startswith(REPO_PREFIX):  # committed derived files (data/derived/…), see scripts/derive_*.py
        return REPO_ROOT / entry[len(REPO_PREFIX):]
    return shared_data / entry


def _sorted(table_name: str, tbl: pa.Table) -> pa.Table:
    spec = TABLES[table_name]
    keys = list(spec.key) or spec.column_names
    return tbl.sort_by([(k, "ascending") for k in keys])


def write_parquet(tbl: pa.Table, file: Path) -> None:
    """Deterministic Parquet: zstd, fixed row groups, dictionary encoding, no pandas metadata."""
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(parquet_bytes(tbl))


def parquet_bytes(tbl: pa.Table) -> bytes:
    """The bytes :func:`write_parquet` writes for ``tbl``."""
    sink = pa.BufferOutputStream()
    pq.write_table(
        tbl.replace_schema_metadata(None),
        sink,
        compression="zstd",
        compression_level=9,
        row_group_size=1_000_000,
        use_dictionary=True,
        write_statistics=True,
        store_schema=False,
    )
    return sink.getvalue().to_pybytes()


def split_parquet(tbl: pa.Table, limit: int = PART_BYTES) -> list[tuple[pa.Table, bytes]]:
    """``tbl`` as Parquet: one file if it fits in ``limit`` bytes, else n consecutive row ranges of equal
    length (the smallest n ≥ size/limit whose parts all fit). Deterministic: same table → same parts."""
    whole = parquet_bytes(tbl)
    if len(whole) <= limit or tbl.num_rows < 2:
        return [(tbl, whole)]
    n = math.ceil(len(whole) / limit)
    while True:
        size = math.ceil(tbl.num_rows / n)
        chunks = [tbl.slice(i, size) for i in range(0, tbl.num_rows, size)]
        parts = [(c, parquet_bytes(c)) for c in chunks]
        if all(len(b) <= limit for _, b in parts) or size == 1:
            return parts
        n += 1


def entry_files(entry: dict) -> list[str]:
    """The Parquet files (relative to the pack folder) holding a manifest entry's rows, in order."""
    if "parts" in entry:
        return [p["file"] for p in entry["parts"]]
    return [entry["file"]]  # format 1: one file per table


def _write_table(tbl: pa.Table, out_dir: Path, sid: str, tname: str) -> list[dict]:
    """Write one pack table (one file or parts), removing the files an earlier build left for it."""
    folder = out_dir / sid
    for old in [folder / f"{tname}.parquet", *folder.glob(f"{tname}-part*.parquet")]:
        old.unlink(missing_ok=True)
    parts = split_parquet(tbl)
    out = []
    for i, (chunk, blob) in enumerate(parts, start=1):
        rel = f"{sid}/{tname}.parquet" if len(parts) == 1 else f"{sid}/{tname}-part{i}.parquet"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_bytes(blob)
        out.append({"file": rel, "rows": chunk.num_rows, "sha256": hashlib.sha256(blob).hexdigest()})
    return out


def build_pack(
    shared_data: str | Path,
    out_dir: str | Path,
    *,
    only: list[str] | None = None,
    progress: ProgressFn | None = None,
) -> dict:
    """Build the pack into ``out_dir`` from ``shared_data`` (``../shared/data``); returns the manifest."""
    shared_data, out_dir = Path(shared_data), Path(out_dir)
    manifest_file = out_dir / "MANIFEST.json"
    old = json.loads(manifest_file.read_text()) if manifest_file.exists() else {"entries": []}
    keep = [e for e in old["entries"] if only and e["source"] not in only]
    entries = list(keep)
    ids = [s for s in list_sources() if not only or s in only]
    for n, sid in enumerate(ids, start=1):
        src = get_source(sid)
        if not src.redistributable or not src.pack_inputs:
            continue
        if progress:
            progress(sid, n, len(ids))
        parts: dict[str, list[tuple[str, pa.Table]]] = {}
        inputs: dict[str, list[dict]] = {}
        for rel in src.pack_inputs:
            path = input_path(shared_data, rel)
            loaded = src.read(path)
            digest = sha256_of(path)
            for tname, tbl in loaded.tables.items():
                parts.setdefault(tname, []).append((rel, tbl))
                inputs.setdefault(tname, []).append({"file": rel, "sha256": digest, "rows": tbl.num_rows})
        for tname, tparts in sorted(parts.items()):
            tbl = src.reduce_for_pack(tname, src.combine_for_pack(tname, tparts))
            tbl = _sorted(tname, tbl)
            parts = _write_table(tbl, out_dir, sid, tname)
            entry = {
                "source": sid,
                "table": tname,
                "parts": parts,
                "rows": tbl.num_rows,
                "licence": src.licence,
                "citation": src.citation,
                "inputs": inputs[tname],
            }
            if len(parts) == 1:
                entry["file"] = parts[0]["file"]
            entries.append(entry)
    entries.sort(key=lambda e: (e["source"], e["table"]))
    manifest = {"format": MANIFEST_FORMAT, "entries": entries}
    manifest_file.parent.mkdir(parents=True, exist_ok=True)
    manifest_file.write_text(json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return manifest


def attribution_markdown(manifest: dict) -> str:
    """DATA_SOURCES.md: what the shipped pack contains, from where, under which licence (from the manifest)."""
    from ..sources import catalogue

    cat = catalogue()
    lines = [
        "# Data sources of the shipped pack",
        "",
        "Generated by `scripts/build_pack.py` from `data/pack/MANIFEST.json`; do not edit by hand.",
        "The pack holds only derived columns and rows that tethers needs, from sources whose licence allows",
        "redistribution with attribution. Research-use-only sources (market data sites, sanctions case",
        "databases) are not in the pack: load them from your own copy with `tethers atlas add`.",
        "",
    ]
    by_source: dict[str, list[dict]] = {}
    for e in manifest["entries"]:
        by_source.setdefault(e["source"], []).append(e)
    for sid in sorted(by_source):
        meta = cat.get(sid, {})
        lines += [f"## {meta.get('name', sid)} (`{sid}`)", ""]
        lines.append(f"- Publisher: {meta.get('publisher', '')}")
        lines.append(f"- Licence: {meta.get('licence', '')}")
        if meta.get("citation"):
            lines.append(f"- Cite as: {meta['citation']}")
        if meta.get("url"):
            lines.append(f"- Where: {meta['url']}")
        if meta.get("pack_note"):
            lines.append(f"- Shipped / not shipped: {meta['pack_note']}")
        for e in by_source[sid]:
            files = ", ".join(f"`data/pack/{f}`" for f in entry_files(e))
            lines.append(f"- Table `{e['table']}`: {e['rows']:,} rows in {files}, derived from:")
            for inp in e["inputs"]:
                lines.append(f"  - `{inp['file']}` (sha256 `{inp['sha256'][:16]}…`, {inp['rows']:,} rows read)")
        lines.append("")
    lines += [
        "## Shipped outside the pack",
        "",
        "### Natural Earth 1:110m admin-0 countries (`src/tethers/dashboard/static/world110.geojson`)",
        "",
        "- Publisher: Natural Earth (naturalearthdata.com); public domain (no attribution required; given anyway).",
        "- Cite as: Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com.",
        "- Derived by `scripts/derive_world_geometry.py` (177 features, iso3 and name, 2-decimal coordinates) from",
        "  `ne_110m_admin_0_countries.geojson` as in `nvkelso/natural-earth-vector@0a11ac30`; see",
        "  `docs/sources/natural_earth.md`. Geometry only: the values drawn on it come from the atlas.",
        "",
    ]
    return "\n".join(lines)
