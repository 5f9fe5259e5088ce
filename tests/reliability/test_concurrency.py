"""Concurrency with real processes: readers during back-to-back builds, and two builds at once.

* Two reader processes query the row count of every table in a loop while this process rebuilds the atlas
  back to back, alternating between two data packs (the full pack and a small one), so every observation
  can be told apart: each must equal exactly the complete "full" or the complete "small" atlas — never a
  mix, never a partial table — and the only error allowed is a one-line ``AtlasBusyError``.
* Two ``tethers atlas build`` processes started together: each succeeds or exits 1 with the one-line
  "being rebuilt" error; at least one succeeds; afterwards the atlas equals a reference build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tethers.atlas.store import build_atlas, checksum, default_pack_dir

from .test_crash_safety import tethers_cmd

READERS = 2
BUILDS = 4
BUILD_RACES = 2

READER = textwrap.dedent("""
    import json, sys, os
    from tethers.errors import AtlasBusyError, TethersError
    from tethers.atlas.store import Atlas
    from tethers.atlas.schema import TABLES
    path, stop = sys.argv[1], sys.argv[2]
    names = [*TABLES, "provenance"]
    while not os.path.exists(stop):
        try:
            with Atlas(path) as a:
                q = " UNION ALL ".join(f"SELECT '{n}' AS t, count(*) AS n FROM \\"{n}\\"" for n in names)
                counts = dict(a.sql(q).rows())
            print(json.dumps({"ok": counts}), flush=True)
        except AtlasBusyError as exc:
            print(json.dumps({"busy": str(exc)}), flush=True)
        except TethersError as exc:
            print(json.dumps({"tethers_error": f"{type(exc).__name__}: {exc}"}), flush=True)
        except Exception as exc:
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
""")


def small_pack(dest: Path) -> Path:
    """A pack with only the kz_bns and hand-kept entries (symlinks into the shipped pack)."""
    pack = default_pack_dir()
    manifest = json.loads((pack / "MANIFEST.json").read_text())
    keep = [e for e in manifest["entries"] if e["source"] in ("kz_bns", "handkept")]
    for e in keep:
        (dest / e["file"]).parent.mkdir(parents=True, exist_ok=True)
        (dest / e["file"]).symlink_to(pack / e["file"])
    (dest / "MANIFEST.json").write_text(json.dumps({"format": 1, "entries": keep}))
    return dest


def _counts(path: Path) -> dict[str, int]:
    return {k: int(v.split(":")[0]) for k, v in checksum(path).items() if k != "meta"}


def _content(sums: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in sums.items() if k not in ("meta", "provenance")}


def test_readers_see_a_complete_version_during_back_to_back_builds(tmp_path, atlas_path):
    small = small_pack(tmp_path / "small_pack")
    full_ref = atlas_path  # the session's atlas, built from the shipped pack
    small_ref = build_atlas(tmp_path / "small_ref.duckdb", pack_dir=small)
    states = {"full": _counts(full_ref), "small": _counts(small_ref)}
    assert states["full"] != states["small"]

    atlas = tmp_path / "atlas.duckdb"
    build_atlas(atlas, pack_dir=small)
    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER)
    readers = [subprocess.Popen([sys.executable, str(script), str(atlas), str(stop)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(READERS)]
    try:
        for i in range(BUILDS):
            build_atlas(atlas, pack_dir=None if i % 2 == 0 else small)
    finally:
        stop.touch()
        outs = [r.communicate(timeout=120) for r in readers]
    for r, (_, err) in zip(readers, outs, strict=True):
        assert r.returncode == 0, err

    seen = {"full": 0, "small": 0}
    busy = 0
    for out, _ in outs:
        for line in out.splitlines():
            obs = json.loads(line)
            assert "error" not in obs and "tethers_error" not in obs, obs
            if "busy" in obs:
                assert "\n" not in obs["busy"]
                busy += 1
                continue
            got = obs["ok"]
            match = [name for name, want in states.items() if got == want]
            assert match, f"a reader saw neither complete version: {got}"
            seen[match[0]] += 1
    assert seen["full"] and seen["small"], seen  # the readers really ran across the builds
    total = sum(seen.values()) + busy
    (tmp_path / "figures.json").write_text(json.dumps({"reads": total, "busy": busy, **seen}))
    print(f"\nconcurrent reads: {total} ({seen['full']} full, {seen['small']} small, {busy} busy) during {BUILDS} builds")
    assert _counts(atlas) == states["small"]


@pytest.mark.parametrize("race", range(BUILD_RACES))
def test_two_concurrent_builds_one_wins_the_other_is_told(tmp_path, atlas_path, race):
    ref = atlas_path
    atlas = tmp_path / "atlas.duckdb"
    env = {**os.environ, "TETHERS_HOME": str(tmp_path / "home")}
    cmd = [*tethers_cmd(), "--atlas", str(atlas), "atlas", "build", "--format", "json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    ok = 0
    for p, _out, err in results:
        if p.returncode == 0:
            ok += 1
        else:
            assert p.returncode == 1, err
            lines = err.strip().splitlines()
            assert len(lines) == 1 and "being rebuilt or updated by another process" in lines[0], err
    assert ok >= 1
    assert _content(checksum(atlas)) == _content(checksum(ref))
    assert not list(tmp_path.glob(".atlas.duckdb.*.tmp"))
