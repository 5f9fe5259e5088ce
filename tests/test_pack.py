"""The shipped data pack: small, complete, and reproducible byte for byte from ../shared/data."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tethers.atlas.pack import build_pack
from tethers.atlas.schema import TABLES
from tethers.sources import get_source

from .conftest import ROOT

PACK = ROOT / "data" / "pack"
BUDGET_BYTES = 40_000_000  # issue 12: the pack, with the global trade backbone, stays under 40 MB


def manifest() -> dict:
    return json.loads((PACK / "MANIFEST.json").read_text())


def test_pack_is_well_under_budget():
    total = sum(p.stat().st_size for p in PACK.rglob("*.parquet"))
    assert total < BUDGET_BYTES, f"pack is {total / 1e6:.1f} MB"


def test_every_entry_matches_its_file_and_schema():
    for e in manifest()["entries"]:
        tbl = pq.read_table(PACK / e["file"])
        assert tbl.num_rows == e["rows"], e["file"]
        assert tbl.column_names == TABLES[e["table"]].column_names, e["file"]
        assert e["licence"] and e["inputs"], e["file"]


def test_only_redistributable_sources_ship():
    for e in manifest()["entries"]:
        assert get_source(e["source"]).redistributable, e["source"]
    shipped = {e["source"] for e in manifest()["entries"]}
    assert "market" not in shipped  # Investing/Yahoo exports are research-use only


@pytest.mark.shared
def test_rebuilding_from_shared_is_byte_identical(shared, tmp_path):
    build_pack(shared, tmp_path)
    for e in manifest()["entries"]:
        assert (tmp_path / e["file"]).read_bytes() == (PACK / e["file"]).read_bytes(), e["file"]
    assert json.loads((tmp_path / "MANIFEST.json").read_text()) == manifest()
