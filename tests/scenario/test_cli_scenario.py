"""`tethers sanction` and `tethers backtest`: JSON output, numbers from the atlas, one-line errors."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from .conftest import SCENARIOS

EU = str(SCENARIOS / "eu-2022.yaml")


def run(args: list[str], atlas_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "150"}
    # not `python -m tethers.cli`: run as __main__, cli.py registers the command modules on the app of the
    # module `tethers.cli`, a second copy (reported to the CLI's owner); the console script uses that one
    code = "import sys; from tethers.cli import main; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, "--atlas", str(atlas_path), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_sanction_json(atlas_path):
    r = run(["sanction", EU, "--on", "KAZ", "--draws", "20", "--seed", "7", "--channels", "trade,fx",
             "--format", "json"], atlas_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["seed"] == 7 and out["n_draws"] == 20 and out["channels"] == ["trade", "fx"]
    loss = next(e for e in out["effects"] if e["metric"] == "trade_loss_usd" and e["detail"] == "")
    assert loss["p5"] <= loss["p50"] <= loss["p95"] and loss["n"] == 20
    assert any("proxy" in n for n in out["notes"])


def test_sanction_table_shows_bands(atlas_path):
    r = run(["sanction", EU, "--on", "Kazakhstan", "--draws", "10", "--seed", "1", "--channels", "fx"], atlas_path)
    assert r.returncode == 0, r.stderr
    assert "spillovers on Kazakhstan (KAZ), base year 2021" in r.stdout
    assert "cpi_impact_pp" in r.stdout and "p5 – p95" in r.stdout


def test_backtest_returns_numbers(atlas_path):
    r = run(["backtest", EU, "--on", "KAZ", "--base", "2021", "--outcome", "2022", "--draws", "20", "--seed", "3",
             "--format", "json"], atlas_path)
    assert r.returncode == 0, r.stderr
    rows = {row["indicator"]: row for row in json.loads(r.stdout)["rows"]}
    assert len(rows) >= 10  # 2 trade rows + 8 currency and price rows (+ other channels' rows)
    # observed: KAZ imports from Russia 17,605,534.2 (2021) → 17,880,630.5 (2022) thousand USD (BNS workbooks)
    imp = rows["imports from targets, 2021→2022"]
    assert imp["observed"] == pytest.approx(17_880_630.5 / 17_605_534.2 - 1, abs=1e-6)
    # KZT per USD over the CBR month 2022-02-01 → 2022-03-01; the CBR quotes RUB per USD 77.4702 → 93.5589 and
    # RUB per KZT 0.178379 → 0.188393, so KZT per USD = USD / KZT
    kzt = rows["KZT per USD, month of the largest RUB fall (2022-03)"]
    assert kzt["observed"] == pytest.approx((93.5589 / 0.188393) / (77.4702 / 0.178379) - 1, abs=1e-9)
    # CPI m/m March 2022 = 103.7 (BNS) minus the mean m/m of 2021: (0.6+0.7+0.6+0.9+0.7+1.1+0.7+0.5+0.4+0.7+0.7+0.6)/12
    cpi = rows["CPI m/m 2022-03 minus mean m/m 2021"]
    assert cpi["observed"] == pytest.approx(3.7 - 8.2 / 12, abs=1e-9)
    for row in rows.values():
        assert math.isfinite(row["simulated"])
        if row["observed"] is None:  # a part of a figure (the CPI's fx and imported-inflation parts): no own observation
            assert row["error"] is None and row["sign_right"] is None and "part" in row["indicator"]
            continue
        assert math.isfinite(row["error"])
        assert row["error"] == pytest.approx(row["simulated"] - row["observed"], abs=1e-12)
    parts = [rows[f"CPI Dec/Dec 2022 minus 2021: {p} part"]["simulated"] for p in ("fx", "imported-inflation")]
    cpi = rows["CPI Dec/Dec 2022 minus 2021"]  # simulated = the control group's change (counterfactual) + the effect
    assert cpi["effect"] == pytest.approx(sum(parts), abs=1e-9)
    assert cpi["simulated"] == pytest.approx((cpi["counterfactual"] or 0.0) + cpi["effect"], abs=1e-9)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("name: t\ncoalition: [EU27]\ntargets: [RUS]\nstart_year: 2022\nmeasures:\n  - type: import_ban\n"
         "    products: ['ab']\n", "bad.yaml: measures[0].products: Value error, 'ab' is not an HS code"),
        ("name: t\ncoalition: [EU27]\ntargets: [Atlantis]\nstart_year: 2022\nmeasures:\n  - type: financial\n"
         "    intensity: 0.5\n", "bad.yaml: targets: Value error, item 0: unknown country 'Atlantis'"),
        ("name: !!python/object/apply:os.getcwd []\n", "bad.yaml line 1 column 7: invalid YAML"),
    ],
)
def test_bad_scenario_file_is_one_line_with_file_and_field(atlas_path, tmp_path, content, match):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    r = run(["sanction", str(bad), "--on", "KAZ", "--draws", "1"], atlas_path)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and match in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["sanction", EU, "--on", "RUS", "--draws", "1"], "RUS is a target of the scenario"),
        (["sanction", EU, "--on", "Atlantis", "--draws", "1"], "unknown country 'Atlantis'"),
        (["sanction", EU, "--on", "KAZ", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "either workers"),
        (["sanction", EU, "--on", "KAZ", "--channels", "trade,weather"], "unknown channel(s) weather"),
        (["backtest", EU, "--on", "KAZ", "--base", "2022", "--outcome", "2021"], "must come after the base year"),
    ],
)
def test_option_errors_are_one_line(atlas_path, args, match):
    r = run(args, atlas_path)
    assert r.returncode == 1, r.stdout
    assert r.stderr.count("\n") == 1 and match in r.stderr, r.stderr
