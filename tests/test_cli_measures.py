"""``tethers dependence | balance | critical | compare``: JSON parses, tables show the figures, bad input is one line.

Figures are pinned to the published BNS 2021 sheet (Russia 42.51 % of Kazakhstan's imports; see
tests/test_dependence.py for the references) or checked against the atlas rows with plain SQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# `python -m tethers.cli` would run cli.py as __main__, a second copy of the module on which the command
# modules (cli_<area>.py) do not register; the console-script entry point is `tethers.cli:main`.
ENTRY = "import sys; from tethers.cli import main; main(sys.argv[1:])"
PUBLISHED_PCT = 5e-7  # BNS prints shares in % with up to 5 decimals


def run(args: list[str], atlas_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-c", ENTRY, "--atlas", str(atlas_path), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def run_json(args: list[str], atlas_path) -> dict:
    r = run([*args, "--format", "json"], atlas_path)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def metric(out: dict, dimension: str, name: str) -> dict:
    sec = next(s for s in out["sections"] if s["dimension"] == dimension)
    return next(m for m in sec["metrics"] if m["metric"] == name)


def test_dependence_json(atlas_path):
    out = run_json(["dependence", "KZ", "--on", "RUS", "--year", "2021"], atlas_path)
    assert (out["country"], out["on"], out["year"]) == ("KAZ", "RUS", 2021)
    assert [s["dimension"] for s in out["sections"]] == ["trade", "critical", "energy", "institutions", "security",
                                                         "votes", "fx"]
    assert metric(out, "trade", "import_share")["value"] == pytest.approx(0.425096, abs=PUBLISHED_PCT)
    assert all(s["definition"] for s in out["sections"])
    assert all(s["sources"] for s in out["sections"] if s["status"] in ("ok", "partial"))


def test_dependence_table(atlas_path):
    r = run(["dependence", "Kazakhstan", "--on", "RUS", "--year", "2021"], atlas_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Kazakhstan (KAZ) — dependence on Russia (RUS), 2021" in out
    assert "share of imports from RUS" in out and "42.5 %" in out
    assert "Baikonur Cosmodrome lease" in out and "csto" in out
    assert "no HS 93 arms imports reported by KAZ" in out
    assert "kz_bns" in out and "Sources" in out


def test_balance_json_and_sparklines(atlas_path):
    out = run_json(["balance", "KAZ", "--from", "2000", "--to", "2022"], atlas_path)
    rows = out["by_dimension"]
    assert len(rows) == 9 * 23
    assert all(r["balance"] is None or 0 <= r["balance"] <= 1 for r in rows)
    imports = {r["year"]: r["balance"] for r in rows if r["dimension"] == "imports"}
    arms = {r["year"]: r["balance"] for r in rows if r["dimension"] == "arms_imports"}
    assert imports[2005] is not None and imports[2021] is not None  # IMF DOTS to 2020, BNS from 2018
    assert set(arms.values()) == {None}  # no arms imports with a world row: a gap is null, never 0
    r = run(["balance", "KAZ", "--from", "2000", "--to", "2022"], atlas_path)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("│ imports "))
    spark = line.split("│")[2].strip()
    assert len(spark) == 23 and set(spark) <= set("▁▂▃▄▅▆▇█")
    line = next(x for x in r.stdout.splitlines() if x.startswith("│ arms"))
    assert line.split("│")[2].strip() == "·" * 23
    assert "composite" in r.stdout and "gained most" in r.stdout


def test_balance_poles_and_weights(atlas_path):
    out = run_json(["balance", "KAZ", "--from", "2021", "--to", "2021", "--poles", "RUS,CHN", "--weight", "imports=2"],
                   atlas_path)
    assert out["poles"] == ["RUS", "CHN"] and out["weights"]["imports"] == 2
    assert all(r["k"] in (None, 2) for r in out["by_dimension"])


def test_critical_json_and_table(atlas_path):
    out = run_json(["critical", "KAZ", "--year", "2021"], atlas_path)
    assert "no Kazakhstan (KAZ) imports by detailed product (HS6)" in out["coverage"]
    assert [(p["classification"], p["product"], p["top_supplier"]) for p in out["products"]] == [("MTN", "12", "RUS")]
    r = run(["critical", "KAZ", "--year", "2021"], atlas_path)
    assert r.returncode == 0, r.stderr
    assert "minerals and metals (MTN 12)" in r.stdout and "RUS 67.4 %" in r.stdout and "(mirror)" in r.stdout


def test_critical_with_nothing_to_assess(atlas_path):
    out = run_json(["critical", "UZB", "--year", "2021"], atlas_path)
    assert out["products"] == [] and out["suppliers"] == []
    r = run(["critical", "UZB", "--year", "2021"], atlas_path)
    assert "nothing is listed" in r.stdout


def test_compare_json_and_table(atlas_path):
    out = run_json(["compare", "KAZ", "UZB", "KGZ", "--year", "2021"], atlas_path)
    assert out["countries"] == ["KAZ", "UZB", "KGZ"]
    uzb = [r for r in out["table"] if r["country"] == "UZB" and r["dimension"] == "trade"]
    assert uzb and all(r["value"] is None for r in uzb) and "mirror" in uzb[0]["reason"]
    r = run(["compare", "KAZ", "UZB", "KGZ", "--year", "2021"], atlas_path)
    assert r.returncode == 0, r.stderr
    assert "no data" in r.stdout and "UZB trade: UZB reports no total trade" in r.stdout
    assert "42.5 %" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dependence", "Atlantis"], "unknown country 'Atlantis'"),
        (["dependence", "KAZ", "--on", "XYZ"], "unknown pole 'XYZ'"),
        (["balance", "KAZ", "--from", "2022", "--to", "2000"], "--from 2022 is after --to 2000"),
        (["balance", "KAZ", "--poles", "RUS,ATLANTIS"], "unknown pole 'ATLANTIS'"),
        (["balance", "KAZ", "--weight", "tarde=2"], "unknown dimension 'tarde'"),
        (["critical", "Atlantis"], "unknown country 'Atlantis'"),
        (["critical", "KAZ", "--hhi", "4"], "--hhi and --top-share must be in [0, 1]"),
        (["compare", "KAZ", "Atlantis"], "unknown country 'Atlantis'"),
        (["compare", "KAZ", "UZB", "--on", "XYZ"], "unknown pole 'XYZ'"),
    ],
)
def test_bad_input_is_one_line_exit_1(atlas_path, args, message):
    r = run(args, atlas_path)
    assert r.returncode == 1, r.stdout
    assert r.stderr.count("\n") == 1 and message in r.stderr
    assert "Traceback" not in r.stderr
