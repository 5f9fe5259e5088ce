"""Build the compact data pack (Parquet) that ships in the repository, from ``shared/data``.

For every registered, redistributable loader, each file in its ``pack_inputs`` is read with the
loader's own ``read`` (so the pack passes the same validation as a user's file), the parts are
combined (``Source.combine_for_pack``: concatenation, or a publisher-specific rule such as "latest
release wins"), reduced to what tethers needs (``Source.reduce_for_pack``), sorted by primary key and
written with fixed Parquet settings. Same inputs → byte-identical files. ``MANIFEST.json`` records each
table's inputs with their SHA-256, rows, licence and citation; the atlas build turns it into
provenance rows.
"""

from __future__ import annotations

import json
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
    tbl = tbl.replace_schema_metadata(None)
    pq.write_table(
        tbl,
        file,
        compression="zstd",
        compression_level=9,
        row_group_size=1_000_000,
        use_dictionary=True,
        write_statistics=True,
        store_schema=False,
    )


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
            rel_out = f"{sid}/{tname}.parquet"
            write_parquet(tbl, out_dir / rel_out)
            entries.append(
                {
                    "source": sid,
                    "table": tname,
                    "file": rel_out,
                    "rows": tbl.num_rows,
                    "licence": src.licence,
                    "citation": src.citation,
                    "inputs": inputs[tname],
                }
            )
    entries.sort(key=lambda e: (e["source"], e["table"]))
    manifest = {"format": 1, "entries": entries}
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
            lines.append(f"- Table `{e['table']}`: {e['rows']:,} rows in `data/pack/{e['file']}`, derived from:")
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
