"""The engine: context building, channel discovery, reproducible draws, Dask == local, scenario overrides."""

from __future__ import annotations

import sys

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.figures import assert_same_figures
from tethers.errors import OptionError
from tethers.scenario.channels.trade import CHANNEL as TRADE
from tethers.scenario.engine import build_context, expand_group, load_channels, simulate
from tethers.scenario.spec import parse_spec

FAST = ["trade", "fx"]  # the two channels of this package that do not depend on the transit/io work


def test_groups_expand_by_year():
    assert len(expand_group("EU27", 2021)) == 27 and "GBR" not in expand_group("EU27", 2021)
    assert "GBR" in expand_group("EU27", 2019) and "HRV" not in expand_group("EU27", 2012)
    assert expand_group("G7", 2022) == {"CAN", "DEU", "FRA", "GBR", "ITA", "JPN", "USA"}
    assert expand_group("Russia", 2022) == {"RUS"}


def test_context(atlas, eu2022):
    ctx = build_context(atlas, eu2022, "Kazakhstan", 2021)
    assert ctx.country == "KAZ" and ctx.targets == {"RUS"}
    assert len(ctx.coalition) == 29 and {"USA", "GBR", "DEU"} <= ctx.coalition  # EU27 of 2021 + USA + GBR
    assert ctx.trade.filter(pl.col("reporter") == "KAZ").height > 0
    # one CPI source per country: the country's own (BNS), the target's (Russia, OECD MEI: the prices channel's
    # imported inflation) before the World Bank compilation, which covers the coalition members
    src = dict(ctx.prices.group_by("country").agg(pl.col("source").unique()).select(
        "country", pl.col("source").list.join(",")).iter_rows())
    assert src["KAZ"] == "kz_cpi" and src["RUS"] == "oecd_mei_cpi"
    assert set(src) <= {"KAZ", "RUS"} | set(ctx.coalition)
    assert all(v == "wb_inflation" for k, v in src.items() if k not in ("KAZ", "RUS"))


def test_target_cannot_be_the_third_country(atlas, eu2022):
    with pytest.raises(OptionError, match="RUS is a target"):
        build_context(atlas, eu2022, "RUS", 2021)


def test_missing_channel_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setitem(sys.modules, "tethers.scenario.channels.io", None)  # import now raises ImportError
    chans, notes = load_channels(["trade", "io"])
    assert [c.name for c in chans] == ["trade"]
    assert any("channel 'io' skipped" in n for n in notes)


def test_unknown_channel_is_an_error():
    with pytest.raises(OptionError, match="unknown channel.*nosuch"):
        load_channels(["trade", "nosuch"])


def test_same_seed_same_draws_other_seed_other_draws(atlas, eu2022):
    a = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=12, seed=7, channels=FAST)
    b = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=12, seed=7, channels=FAST)
    c = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=12, seed=8, channels=FAST)
    assert_frame_equal(a.draws, b.draws)
    assert_frame_equal(a.summary, b.summary)
    loss = pl.col("metric") == "trade_loss_usd"
    assert not a.draws.filter(loss)["value"].equals(c.draws.filter(loss)["value"])
    assert a.seed == 7 and a.n_draws == 12


def test_draws_do_not_depend_on_the_channel_set(atlas, eu2022):
    both = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=8, seed=3, channels=FAST)
    alone = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=8, seed=3, channels=["trade"])
    assert_frame_equal(both.draws.filter(pl.col("channel") == "trade"), alone.draws)


def test_summary_percentiles_match_numpy(atlas, eu2022):
    import numpy as np

    r = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=40, seed=11, channels=["fx"])
    v = r.draws.filter(pl.col("metric") == "cpi_impact_pp")["value"].to_numpy()
    s = r.summary.filter(pl.col("metric") == "cpi_impact_pp").row(0, named=True)
    assert (s["p5"], s["p50"], s["p95"]) == pytest.approx(tuple(np.percentile(v, [5, 50, 95])), abs=1e-12)
    assert r.tidy().filter(pl.col("metric") == "cpi_impact_pp")["n"][0] == 40


def test_scenario_parameter_fixes_a_parameter(atlas):
    base = {"name": "t", "coalition": ["EU27", "USA", "GBR"], "targets": ["RUS"], "start_year": 2022,
            "measures": [{"type": "import_ban", "products": ["72"]}]}
    spec = parse_spec({**base, "parameters": {"trade.disruption": 0.2}})
    r = simulate(spec, country="KAZ", base_year=2021, atlas=atlas, draws=5, seed=1, channels=["trade"])
    ctx = build_context(atlas, spec, "KAZ", 2021)
    direct = TRADE.run(spec, ctx, {"disruption": 0.2, "trade_elasticity": -4.5, "upper_elasticity": 1.5})
    assert r.value("trade", "trade_loss_usd") == pytest.approx(
        direct.filter((pl.col("metric") == "trade_loss_usd") & (pl.col("detail") == ""))["value"][0], rel=1e-12)
    touched = r.draws.filter((pl.col("metric") == "disrupted_usd") & (pl.col("detail") == ""))["value"]
    tot = r.value("trade", "touched_trade_usd")
    assert (touched / tot).to_list() == pytest.approx([0.2] * 5, abs=1e-12)  # δ fixed in every draw
    par = r.parameters.filter(pl.col("parameter") == "disruption").row(0, named=True)
    assert par["fixed_by_scenario"] and par["central"] == 0.2


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"trade.nosuch": 1.0}, r"channel trade has parameters .*disruption"),
        ({"disruption": 1.0}, r"write '<channel>\.<parameter>'"),
        ({"weather.rain": 1.0}, r"write '<channel>\.<parameter>'"),
    ],
)
def test_bad_scenario_parameters(atlas, params, match):
    spec = parse_spec({"name": "t", "coalition": ["USA"], "targets": ["RUS"], "start_year": 2022,
                       "measures": [{"type": "financial", "intensity": 0.5}], "parameters": params})
    with pytest.raises(OptionError, match=match):
        simulate(spec, country="KAZ", base_year=2021, atlas=atlas, draws=0, channels=FAST)


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"draws": -1}, "draws must be"), ({"workers": 2, "scheduler": "tcp://x:1"}, "either workers"),
     ({"workers": 0}, "workers must be")],
)
def test_bad_options(atlas, eu2022, kw, match):
    with pytest.raises(OptionError, match=match):
        simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, channels=FAST, **kw)


def test_dask_local_cluster_equals_local(atlas, eu2022):
    pytest.importorskip("distributed")
    local = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=16, seed=5, channels=FAST)
    dask = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=16, seed=5, channels=FAST, workers=2)
    assert_frame_equal(local.draws, dask.draws)
    assert_frame_equal(local.summary, dask.summary)
    assert_frame_equal(local.by_channel, dask.by_channel)


def test_dask_existing_scheduler_equals_local(atlas, eu2022):
    distributed = pytest.importorskip("distributed")
    local = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=6, seed=9, channels=["fx"])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None) as cl:
        remote = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=6, seed=9, channels=["fx"],
                          scheduler=cl.scheduler_address)
    assert_frame_equal(local.draws, remote.draws)


def test_to_dict_is_json_ready(atlas, eu2022):
    import json

    r = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=3, seed=2, channels=FAST)
    out = json.loads(json.dumps(r.to_dict(include_draws=True), default=str))
    assert out["country"] == "KAZ" and out["seed"] == 2 and len(out["draws"]) == r.draws.height
    assert any(e["metric"] == "trade_loss_usd" and e["detail"] == "" for e in out["effects"])


def test_all_channels_reproducible_from_run_to_run(atlas, eu2022):
    """Same seed, same atlas → the same figures from every channel (to float summation order: tests/figures.py)."""
    first = simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=8, seed=3).tidy()
    assert first.height > 0
    for _ in range(5):
        assert_same_figures(simulate(eu2022, country="KAZ", base_year=2021, atlas=atlas, draws=8, seed=3).tidy(), first)
