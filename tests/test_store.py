"""The atlas store: build from the pack, provenance, transactional ingest, locking, schema version, crash safety."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from tethers.atlas.schema import SCHEMA_VERSION, TABLES
from tethers.atlas.store import Atlas, _writer_lock, add_file, build_atlas, checksum
from tethers.errors import AtlasBusyError, AtlasMissingError, SchemaError, SourceFormatError

from .conftest import SAMPLES


def test_build_creates_every_canonical_table(atlas):
    names = set(atlas.sql("SELECT table_name FROM information_schema.tables")["table_name"])
    assert set(TABLES) | {"provenance", "meta"} <= names
    assert atlas.meta()["schema_version"] == str(SCHEMA_VERSION)


def test_every_loaded_table_has_provenance(atlas):
    info = atlas.info()
    prov = atlas.provenance()
    for r in info.iter_rows(named=True):
        if r["rows"]:
            p = prov.filter(prov["table_name"] == r["table"])
            assert p.height, r["table"]
            assert p["licence"].str.len_chars().min() > 0
    kz = prov.filter(prov["source"] == "kz_bns")
    assert set(kz["file"]) == {f"trade/bns_raw/kz_trade_by_country_{y}.xls" for y in range(2019, 2024)}
    assert kz["sha256"].str.len_chars().unique().to_list() == [64]


def test_open_missing_atlas_is_a_clear_error(tmp_path):
    with pytest.raises(AtlasMissingError, match="run `tethers atlas build`"):
        Atlas(tmp_path / "nothing.duckdb")


def test_schema_version_mismatch_is_detected(fresh_atlas):
    con = duckdb.connect(str(fresh_atlas))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaError, match="schema version 999"):
        Atlas(fresh_atlas)


def test_add_rejects_rows_already_present_unless_replace(fresh_atlas):
    sample = SAMPLES / "kz_bns/kz_bns_trade_by_partner_2021_excerpt.csv"
    before = checksum(fresh_atlas)
    with pytest.raises(SchemaError, match="already in the atlas; use --replace"):
        add_file("kz_bns", sample, fresh_atlas)
    assert checksum(fresh_atlas) == before
    added = add_file("kz_bns", sample, fresh_atlas, replace=True)
    assert added["trade"] > 0
    with Atlas(fresh_atlas) as a:
        assert a.sql("SELECT count(*) AS n FROM provenance WHERE file = ?", [sample.name])["n"][0] == 1
        # replacing identical rows keeps the figures
        rus = a.sql("SELECT value_usd FROM trade WHERE source='kz_bns' AND year=2021 AND partner='RUS' AND flow='import'")
        assert rus["value_usd"].to_list() == [pytest.approx(17_605_534.20124e3)]


def test_failed_add_leaves_atlas_unchanged(fresh_atlas, tmp_path):
    bad = tmp_path / "broken.csv"
    lines = (SAMPLES / "kz_bns/kz_bns_trade_by_partner_2021_excerpt.csv").read_text().splitlines()
    bad.write_text("\n".join(lines[:10] + [lines[10].replace("2021,latest", "2021x,latest")]) + "\n")
    before = checksum(fresh_atlas)
    with pytest.raises(SourceFormatError, match=r"broken.csv row 11 column 'year'"):
        add_file("kz_bns", bad, fresh_atlas)
    assert checksum(fresh_atlas) == before
    assert not list(tmp_path.glob(".atlas.duckdb.*.tmp"))


def test_a_second_writer_is_refused_not_blocked(fresh_atlas):
    with _writer_lock(fresh_atlas), pytest.raises(AtlasBusyError, match="being rebuilt or updated"):
        build_atlas(fresh_atlas)


def test_readers_keep_the_previous_version_during_a_rebuild(fresh_atlas):
    reader = Atlas(fresh_atlas)
    n = reader.sql("SELECT count(*) AS n FROM trade")["n"][0]
    build_atlas(fresh_atlas)  # replaces the file while the reader holds the old one
    assert reader.sql("SELECT count(*) AS n FROM trade")["n"][0] == n
    reader.close()
    with Atlas(fresh_atlas) as again:
        assert again.sql("SELECT count(*) AS n FROM trade")["n"][0] == n


def _content(sums: dict[str, str]) -> dict[str, str]:
    """Checksums of the data tables (``meta`` and ``provenance`` carry build timestamps)."""
    return {k: v for k, v in sums.items() if k not in ("meta", "provenance")}


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_kill_9_during_build_leaves_previous_atlas_complete(fresh_atlas, delay):
    """A real SIGKILL of a build in progress: the old atlas stays readable and identical; the next build works.

    The kill lands while the writer's temporary file exists, i.e. provably mid-build.
    """
    before = checksum(fresh_atlas)
    code = f"from tethers.atlas.store import build_atlas; build_atlas({str(fresh_atlas)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code])
    tmp = fresh_atlas.parent / f".{fresh_atlas.name}.{proc.pid}.tmp"
    deadline = time.monotonic() + 30
    while not tmp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert tmp.exists(), "the build should be writing its temporary file"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert checksum(fresh_atlas) == before
    with Atlas(fresh_atlas) as a:  # readable and complete
        assert a.info()["rows"].sum() > 0
    build_atlas(fresh_atlas)  # a stale temp file from the killed writer does not block the next build
    assert _content(checksum(fresh_atlas)) == _content(before)
    assert not tmp.exists(), "the next writer removes the killed writer's temp file"


def test_build_is_deterministic_in_content(fresh_atlas, tmp_path):
    other = build_atlas(tmp_path / "other.duckdb")
    assert _content(checksum(fresh_atlas)) == _content(checksum(other))


def test_table_filters_use_bound_parameters(atlas):
    evil = "KAZ' OR '1'='1"
    assert atlas.table("trade", reporter=evil).height == 0
    with pytest.raises(SchemaError, match="no column"):
        atlas.table("trade", **{"reporter = reporter OR 1=1 --": "x"})


def test_copy_of_atlas_is_an_atlas(atlas_path, tmp_path):
    dst = tmp_path / "copy.duckdb"
    shutil.copyfile(atlas_path, dst)
    with Atlas(dst) as a:
        assert a.info().height == len(TABLES)
