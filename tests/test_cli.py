"""The command line: commands, JSON output, one-line errors with non-zero exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(args: list[str], atlas_path, **env) -> subprocess.CompletedProcess:
    e = {**os.environ, "COLUMNS": "150", **env}
    return subprocess.run([sys.executable, "-m", "tethers.cli", "--atlas", str(atlas_path), *args],
                          capture_output=True, text=True, env=e, timeout=120)


def test_profile_json(atlas_path):
    r = run(["profile", "KZ", "--year", "2021", "--format", "json"], atlas_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["country"] == "KAZ"
    rus = next(p for p in out["partners"] if p["flow"] == "import" and p["partner"] == "RUS")
    assert rus["share"] == pytest.approx(0.4251, abs=5e-5)


def test_profile_table(atlas_path):
    r = run(["profile", "398", "--year", "2021"], atlas_path)
    assert r.returncode == 0, r.stderr
    assert "Kazakhstan (KAZ) — dependency profile 2021" in r.stdout
    assert "Russia (RUS)" in r.stdout and "42.5 %" in r.stdout
    assert "Collective Security Treaty Organization" in r.stdout


def test_votes_command(atlas_path):
    r = run(["votes", "KAZ", "--resolution", "ES-11/1"], atlas_path)
    assert r.returncode == 0, r.stderr
    assert "ABSTAIN" in r.stdout and "yes 141 · no 5 · abstain 35" in r.stdout


def test_atlas_info_json(atlas_path):
    r = run(["atlas", "info", "--format", "json"], atlas_path)
    assert r.returncode == 0, r.stderr
    tables = {t["table"]: t for t in json.loads(r.stdout)["tables"]}
    assert tables["trade"]["rows"] > 0 and "kz_bns" in tables["trade"]["sources"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["profile", "Atlantis"], "unknown country 'Atlantis'"),
        (["votes", "KAZ", "--resolution", "99/999"], "no roll call for resolution"),
        (["atlas", "add", "nosuch", "x.csv"], "unknown source 'nosuch'"),
    ],
)
def test_errors_are_one_line_and_exit_nonzero(atlas_path, args, message):
    r = run(args, atlas_path)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and message in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args, message", [
    (["atlas", "add", "wb_inflation"], "Missing argument 'path'"),      # raised by typer's vendored click
    (["profile"], "Missing argument"),
    (["profile", "KAZ", "--year", "soon"], "Invalid value"),
])
def test_usage_errors_are_usage_errors_not_internal_errors(atlas_path, args, message):
    r = run(args, atlas_path)
    assert r.returncode == 2 and message in r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr


def test_bad_file_names_file_row_column(atlas_path, tmp_path):
    bad = tmp_path / "kz.csv"
    bad.write_text("year,vintage,partner_iso3,exports_kusd,imports_kusd,row_type\n2021,latest,RUS,abc,1,country\n")
    mine = tmp_path / "atlas.duckdb"
    mine.write_bytes(atlas_path.read_bytes())
    r = run(["atlas", "add", "kz_bns", str(bad)], mine)
    assert r.returncode == 1
    assert "kz.csv row 2 column 'exports_kusd': 'abc' is not a number" in r.stderr


def test_missing_atlas_is_built_on_first_use(tmp_path):
    r = run(["atlas", "info", "--format", "json"], tmp_path / "new" / "atlas.duckdb")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tables"]
