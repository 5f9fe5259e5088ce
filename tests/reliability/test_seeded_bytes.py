"""Seeded runs are byte-identical across processes (issue 16): ``sanction``, ``backtest`` and ``optimise`` each run
twice, in two processes started together, and their JSON outputs are compared byte for byte.

Before the fix, per-chapter trade losses were summed by a multi-threaded Polars ``group_by`` (pola-rs/polars#25163),
and the draws' mean and sd likewise, so p5/p50/mean differed in the 16th–17th digit between runs. Every sum that
feeds output now goes through :mod:`tethers.measures.exact` (``math.fsum``: correctly rounded, independent of order).
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tethers.measures.exact import fsum, fsum_agg, mean_agg, mean_sd, sd_agg

ROOT = Path(__file__).resolve().parents[2]

COMMANDS = {
    "sanction": ["sanction", "scenarios/eu-2022.yaml", "--on", "KAZ", "--draws", "100", "--seed", "7"],
    "backtest": ["backtest", "scenarios/eu-2022.yaml", "--on", "KAZ", "--base", "2021", "--outcome", "2022",
                 "--draws", "30", "--seed", "7"],
    "optimise": ["optimise", "options/kaz-2022.yaml", "--on", "KAZ", "--base", "2021", "--budget", "2e9"],
}


def _start(args: list[str], atlas_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tethers.cli", "--atlas", str(atlas_path), *args, "--format", "json"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_two_processes_print_the_same_bytes(command, atlas_path):
    # The structural-gravity fit (pyfixest PPML, the diversion channel) is not bit-reproducible from one fit to
    # the next (its iterative solver: covariance differs in the 7th–9th digit); it is cached by the panel's content
    # under $TETHERS_HOME/cache, and every later run uses that fit. One run first, as a user's first run would.
    warm = _start(COMMANDS[command], atlas_path)
    _, err = warm.communicate(timeout=300)  # read the pipes: a JSON over 64 KiB would block a bare wait()
    assert warm.returncode == 0, err.decode()[-2000:]
    procs = [_start(COMMANDS[command], atlas_path) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        assert out.strip(), "no output"
    a, b = outs[0][0], outs[1][0]
    if a != b:
        at = next(i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
        pytest.fail(f"{command}: outputs differ at byte {at}: {a[max(0, at - 80):at + 40]!r} vs {b[max(0, at - 80):at + 40]!r}")


# ---- the helpers themselves ---------------------------------------------------------------------------------


def test_fsum_does_not_depend_on_order():
    rng = random.Random(16)
    values = [rng.uniform(-1, 1) * 10 ** rng.randint(-3, 12) for _ in range(500)]
    sums = set()
    for _ in range(20):
        rng.shuffle(values)
        sums.add(fsum(values))
        sums.add(fsum(np.array(values)))
        sums.add(fsum(pl.Series(values)))
    assert sums == {math.fsum(values)}
    assert len({sum(p) for p in itertools.islice(itertools.permutations([1e16, 1.0, -1e16, 3.0, 0.1]), 120)}) > 1


def test_fsum_agg_is_the_exact_sum_per_group():
    rng = random.Random(7)
    df = pl.DataFrame({"k": [rng.choice("abcd") for _ in range(2000)],
                       "v": [rng.uniform(0, 1) * 10 ** rng.randint(0, 12) for _ in range(2000)]})
    got = dict(df.group_by("k").agg(fsum_agg("v")).iter_rows())
    want = {k: math.fsum(g["v"].to_list()) for (k,), g in df.group_by("k")}
    assert got == want
    assert dict(df.group_by("k").agg(mean_agg("v")).iter_rows()) == {k: w / df.filter(pl.col("k") == k).height
                                                                        for k, w in want.items()}
    sd = dict(df.group_by("k").agg(sd_agg("v")).iter_rows())
    for k in want:
        assert sd[k] == pytest.approx(statistics.stdev(df.filter(pl.col("k") == k)["v"].to_list()), rel=1e-12)


def test_mean_sd_edge_cases():
    assert mean_sd([]) == (None, None)
    assert mean_sd([2.0]) == (2.0, None)
    assert mean_sd([1.0, 3.0]) == (2.0, math.sqrt(2.0))
