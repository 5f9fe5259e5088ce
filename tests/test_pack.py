"""The shipped data pack: small, complete, and reproducible byte for byte from ../shared/data."""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tethers.atlas.pack import PART_BYTES, build_pack, entry_files, split_parquet
from tethers.atlas.schema import TABLES
from tethers.sources import get_source

from .conftest import ROOT

PACK = ROOT / "data" / "pack"
BUDGET_BYTES = 40_000_000  # issue 12: the pack, with the global trade backbone, stays under 40 MB
FILE_GUIDELINE = 8 * 1024 * 1024  # no committed file over 8 MiB (the before-stop hook's check)


def manifest() -> dict:
    return json.loads((PACK / "MANIFEST.json").read_text())


def test_pack_is_well_under_budget():
    total = sum(p.stat().st_size for p in PACK.rglob("*.parquet"))
    assert total < BUDGET_BYTES, f"pack is {total / 1e6:.1f} MB"


def test_every_entry_matches_its_files_and_schema():
    listed = set()
    for e in manifest()["entries"]:
        files = entry_files(e)
        listed |= set(files)
        tbl = pa.concat_tables([pq.read_table(PACK / f) for f in files])
        assert tbl.num_rows == e["rows"], files
        assert tbl.column_names == TABLES[e["table"]].column_names, files
        assert e["licence"] and e["inputs"], files
        for part in e["parts"]:
            blob = (PACK / part["file"]).read_bytes()
            assert hashlib.sha256(blob).hexdigest() == part["sha256"], part["file"]
            assert pq.read_metadata(PACK / part["file"]).num_rows == part["rows"], part["file"]
            assert len(blob) <= PART_BYTES < FILE_GUIDELINE, part["file"]
    assert {str(p.relative_to(PACK)) for p in PACK.rglob("*.parquet")} == listed  # no stray (stale) file


def test_a_large_table_ships_in_parts_read_back_whole():
    """The DOTS backbone (8.9 MB as one file) ships as parts; together they are the sorted table."""
    (e,) = [e for e in manifest()["entries"] if e["source"] == "imf_dots_xlsx"]
    assert len(e["parts"]) >= 2 and "file" not in e
    assert [p["file"] for p in e["parts"]] == [f"imf_dots_xlsx/trade-part{i}.parquet" for i in range(1, len(e["parts"]) + 1)]
    keys = ["source", "year", "reporter", "partner", "flow"]
    last = None
    for f in entry_files(e):  # consecutive key ranges: each part starts after the previous one ends
        t = pq.read_table(PACK / f, columns=keys)
        first = tuple(t.slice(0, 1).to_pylist()[0].values())
        assert last is None or first > last, f
        last = tuple(t.slice(t.num_rows - 1, 1).to_pylist()[0].values())


def test_split_is_deterministic_and_lossless():
    """split_parquet on a real shipped table (kz_bns trade) with a small limit: every part fits, the parts
    concatenate to the table, and a second split gives the same bytes."""
    (e,) = [e for e in manifest()["entries"] if e["source"] == "kz_bns" and e["table"] == "trade"]
    tbl = pa.concat_tables([pq.read_table(PACK / f) for f in entry_files(e)])
    limit = (PACK / entry_files(e)[0]).stat().st_size // 3
    parts = split_parquet(tbl, limit)
    assert len(parts) >= 3 and all(len(b) <= limit for _, b in parts)
    assert pa.concat_tables([pq.read_table(pa.BufferReader(b)) for _, b in parts]).equals(tbl)
    assert [b for _, b in split_parquet(tbl, limit)] == [b for _, b in parts]
    assert split_parquet(tbl)[0][1] == (PACK / entry_files(e)[0]).read_bytes()  # small: one file, as shipped


def test_only_redistributable_sources_ship():
    for e in manifest()["entries"]:
        assert get_source(e["source"]).redistributable, e["source"]
    shipped = {e["source"] for e in manifest()["entries"]}
    assert "market" not in shipped  # Investing/Yahoo exports are research-use only


@pytest.mark.shared
def test_rebuilding_from_shared_is_byte_identical(shared, tmp_path):
    build_pack(shared, tmp_path)
    for e in manifest()["entries"]:
        for f in entry_files(e):
            assert (tmp_path / f).read_bytes() == (PACK / f).read_bytes(), f
    assert json.loads((tmp_path / "MANIFEST.json").read_text()) == manifest()
