"""On the atlas built from the shipped pack: the base state is `tethers balance`, and the CLI runs on KAZ."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tethers.analysis.balance import balance_over_time
from tethers.options.evaluate import build_evaluator
from tethers.options.spec import load_options

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-12  # the same functions on the same rows


@pytest.fixture()
def evaluator(atlas):
    return build_evaluator(load_options(ROOT / "options" / "kaz-2022.yaml"), atlas=atlas)


def test_base_state_equals_tethers_balance(atlas, evaluator):
    bot = balance_over_time("KAZ", 2021, 2021, atlas=atlas)
    base = evaluator.state({})
    ref = bot.by_dimension.filter(pl.col("balance").is_not_null()).select("dimension", "balance")
    got = base.balance.join(ref, on="dimension", suffix="_ref")
    assert got.height == ref.height
    assert (got["balance"] - got["balance_ref"]).abs().max() < TOL
    assert base.composite == pytest.approx(bot.composite["balance"][0], abs=TOL)


def test_leaving_the_csto_moves_only_the_institutions_dimension(evaluator):
    base, new = evaluator.state({}), evaluator.state({"leave_csto": 1.0})
    d = base.balance.join(new.balance, on="dimension", suffix="_new").with_columns(
        delta=pl.col("balance_new") - pl.col("balance"))
    moved = d.filter(pl.col("delta").abs() > TOL)["dimension"].to_list()
    assert moved == ["institutions"]
    n = base.balance.filter(pl.col("balance").is_not_null()).height  # equal weights over the dimensions present
    assert new.composite - base.composite == pytest.approx(d.filter(pl.col("dimension") == "institutions")
                                                           ["delta"][0] / n, abs=TOL)


def test_cli_options_and_optimise_json(atlas_path, capsys):
    from tethers.cli import main

    main(["--atlas", str(atlas_path), "optimise", str(ROOT / "options" / "kaz-2022.yaml"), "--on", "KAZ",
          "--base", "2021", "--budget", "5e8", "--format", "json", "--points", "3"])
    out = json.loads(capsys.readouterr().out)
    assert out["cost_usd"] <= 5e8 and out["exact"] >= out["base"]
    assert len(out["frontier"]) == 5


def test_cli_one_line_error(atlas_path, capsys, tmp_path):
    from tethers.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncountry: KAZ\nbase_year: 2021\noptions: []\n")
    with pytest.raises(SystemExit) as exc:
        main(["--atlas", str(atlas_path), "options", str(bad)])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 1 and len(err.splitlines()) == 1
    assert "bad.yaml: options: " in err
