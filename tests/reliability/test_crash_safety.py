"""Crash safety of an ingest: ``kill -9`` of ``tethers atlas add`` mid-write leaves the previous atlas.

A real subprocess (the installed CLI) adds a generated BACI release file of 235,200 rows to a copy of the
session atlas; it is SIGKILLed at several points while its temporary copy-on-write file exists (provably
mid-ingest: after the lock, during the copy, the insert, the checkpoint or the fsync). Afterwards the atlas
is readable, its checksum is identical to before, and the next ingest of the same file succeeds.
(The same for a build is tests/test_store.py::test_kill_9_during_build_leaves_previous_atlas_complete.)
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest

from tethers.atlas.store import Atlas, checksum

KILL_DELAYS = [0.0, 0.01, 0.04, 0.1, 0.2]  # seconds after the temporary file appears
ROWS_PER_PAIR = 800


def tethers_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("tethers")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tethers.cli"]


@pytest.fixture(scope="module")
def big_baci(tmp_path_factory) -> tuple[Path, int]:
    """A BACI release file (the publisher's ``t,i,j,k,v,q`` layout) of 6 × 49 partner pairs × 800 products."""
    table = resources.files("tethers.sources").joinpath("data", "baci_country_codes.csv").read_text(encoding="utf-8")
    seen, codes = set(), []
    for r in csv.DictReader(table.splitlines()):
        if r["iso3"] and r["iso3"] not in seen:
            seen.add(r["iso3"])
            codes.append(r["baci_code"])
    codes = codes[:50]
    out = tmp_path_factory.mktemp("big") / "BACI_HS02_Y2019_V202301.csv"
    n = 0
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("t,i,j,k,v,q\n")
        for i in codes[:6]:
            for j in codes:
                if i == j:
                    continue
                for k in range(100000, 100000 + ROWS_PER_PAIR):
                    fh.write(f"2019,{i},{j},{k},{n % 997 + 1.5:.3f},{n % 13 + 1.0:.3f}\n")
                    n += 1
    return out, n


def _add(atlas: Path, file: Path) -> subprocess.Popen:
    return subprocess.Popen([*tethers_cmd(), "--atlas", str(atlas), "atlas", "add", "baci", str(file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _trade_rows(atlas: Path) -> int:
    with Atlas(atlas) as a:
        return a.sql("SELECT count(*) AS n FROM trade")["n"][0]


@pytest.mark.parametrize("delay", KILL_DELAYS)
def test_kill_9_during_ingest_leaves_previous_atlas(atlas_path, big_baci, tmp_path, delay):
    big, nrows = big_baci
    atlas = tmp_path / "atlas.duckdb"
    shutil.copyfile(atlas_path, atlas)
    before = checksum(atlas)
    rows_before = _trade_rows(atlas)

    proc = _add(atlas, big)
    tmp = atlas.parent / f".{atlas.name}.{proc.pid}.tmp"
    deadline = time.monotonic() + 60
    while not tmp.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert tmp.exists(), f"the ingest should be writing its temporary file: {proc.communicate()}"
    time.sleep(delay)
    assert tmp.exists(), "the kill must land mid-ingest (the temporary file still exists)"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    assert checksum(atlas) == before  # identical, every table, meta and provenance included
    with Atlas(atlas) as a:  # readable and complete
        assert a.info()["rows"].sum() > 0
        assert a.sql("SELECT count(*) AS n FROM provenance WHERE file = ?", [big.name])["n"][0] == 0

    again = _add(atlas, big)  # the stale temporary file of the killed writer does not block the next ingest
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert f"added {nrows:,} rows to trade" in out
    assert _trade_rows(atlas) == rows_before + nrows
    with Atlas(atlas) as a:
        assert a.sql("SELECT count(*) AS n FROM provenance WHERE file = ?", [big.name])["n"][0] == 1
    tmp.unlink(missing_ok=True)


def test_ingest_error_in_subprocess_is_one_line_and_changes_nothing(atlas_path, big_baci, tmp_path):
    """A second add of the same rows (key clash, no --replace) fails with one line and exit 1; atlas unchanged."""
    big, _ = big_baci
    atlas = tmp_path / "atlas.duckdb"
    shutil.copyfile(atlas_path, atlas)
    assert _add(atlas, big).wait(timeout=120) == 0
    before = checksum(atlas)
    proc = _add(atlas, big)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.count("\n") == 1 and err.startswith("tethers: error: trade: rows with key")
    assert checksum(atlas) == before
    assert not list(tmp_path.glob(f".{atlas.name}.{proc.pid}.tmp"))
