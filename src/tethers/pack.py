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

from .schema import TABLES
from .sources import get_source, list_sources, sha256_of

ProgressFn = Callable[[str, int, int], None]


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
            path = shared_data / rel
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
