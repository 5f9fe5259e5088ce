"""Benchmarks of the global store and the set-based measures; writes BENCHMARKS.md and results.json.

One run measures, side by side on this machine:

1. **ingest** of one BACI-scale year (CSV → year-partitioned Parquet): ``tethers.atlas.global_store.ingest_baci``
   vs bare DuckDB ``COPY (SELECT * FROM read_csv(…)) TO … (FORMAT parquet, PARTITION_BY t)`` vs pandas
   ``read_csv`` + ``to_parquet``;
2. **measures** for every country of the year (partner shares, HHI, critical-product flags):
   ``tethers.atlas.global_sql.all_measures`` vs a hand-written DuckDB SQL query vs an idiomatic pandas
   ``groupby`` implementation; the three outputs are asserted equal (1e-9 relative);
3. **scenario**: ``scenarios/eu-2022.yaml`` through the trade channel's model for every third country
   (``global_sql.scenario_trade_loss``), and a 1,000-draw **ensemble** in this process vs a Dask
   ``LocalCluster`` of 2 worker processes;
4. **leontief**: ``tethers.scenario.channels.io.solve_leontief`` (sparse LU and GMRES) vs the dense
   inverse ``np.linalg.inv(I − A) @ y`` (what pymrio's ``calc_L`` does) for 1,000–5,000 sectors, with the
   relative error against the dense answer.

Every measurement runs in a fresh subprocess (``--child``) that times only the operation and reports
wall time, CPU time (user + system of all its threads; Dask workers are reaped into it) and peak
resident memory (``ru_maxrss``, interpreter and libraries included). Figures are medians over
``--repeats`` runs; the repeats of the implementations of one case are interleaved (A B C A B C …) so
that background load hits them alike. A separate profiling run of each implementation says what
dominates its figure (DuckDB's operator profiler for SQL, cProfile for Python).

Data: real BACI release files are not on this machine, so ``benchmarks/generate_baci.py`` writes a
synthetic year with BACI's shape under ``--data`` (default ``$TMPDIR/tethers-bench``; never inside the
repository). Synthetic data stay in the benchmarks.

Usage::

    python benchmarks/run.py                 # full: 11 M rows (≈ 10 min on 2 cores)
    python benchmarks/run.py --quick         # 1 M rows, smaller Leontief systems
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
YEAR = 2021
SCENARIO = ROOT / "scenarios" / "eu-2022.yaml"
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # see .library/env README: unset for the BLAS benchmark


# ============================================================================================
# Children: one measurement each (setup untimed → timed operation → untimed checks)
# ============================================================================================


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _timed(fn):
    c0, t0 = _cpu(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, _cpu() - c0


def _hwm_mb() -> float:
    """This process's peak RSS (``VmHWM``: per address space, so not inherited across fork + exec the way
    ``ru_maxrss`` is on Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _TreeRSS:
    """Peak of (this process + all its descendants) RSS, sampled every 20 ms (Dask workers are descendants)."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._th = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.02):
            total = me.memory_info().rss
            for ch in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += ch.memory_info().rss
            self.peak = max(self.peak, total / 2**20)

    def __enter__(self):
        self._th.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._th.join()


# -- 1. ingest ------------------------------------------------------------------------------


def ingest_tethers(a: dict):
    from tethers.atlas.global_store import ingest_baci

    return lambda: ingest_baci([a["csv"]], home=a["out"])


def ingest_duckdb(a: dict):
    import duckdb

    Path(a["out"]).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    sql = f"COPY (SELECT * FROM read_csv('{a['csv']}')) TO '{a['out']}' (FORMAT parquet, PARTITION_BY t)"
    return lambda: con.execute(sql)


def ingest_pandas(a: dict):
    import pandas as pd

    def run():
        df = pd.read_csv(a["csv"])
        Path(a["out"], f"t={YEAR}").mkdir(parents=True, exist_ok=True)
        df.to_parquet(Path(a["out"], f"t={YEAR}", "part-0.parquet"), index=False)

    return run


# -- 2. measures ------------------------------------------------------------------------------


def measures_tethers(a: dict):
    from tethers.atlas.global_sql import all_measures
    from tethers.atlas.global_store import open_global

    def run():
        m = all_measures(open_global(a["home"]), year=YEAR)
        return {"shares": m.shares, "concentration": m.concentration, "critical": m.critical}

    return run


HAND_SQL = {
    "shares": """
        WITH d AS (
            SELECT importer AS reporter, 'import' AS flow, exporter AS partner, sum(value_usd) AS value_usd
            FROM baci WHERE year = $year GROUP BY ALL
            UNION ALL
            SELECT exporter, 'export', importer, sum(value_usd) FROM baci WHERE year = $year GROUP BY ALL
        )
        SELECT reporter, $year::INTEGER AS year, flow, partner, value_usd,
               value_usd / sum(value_usd) OVER (PARTITION BY reporter, flow) AS share
        FROM d ORDER BY reporter, flow, value_usd DESC, partner""",
    "concentration": """
        WITH d AS (
            SELECT importer AS reporter, 'import' AS flow, exporter AS partner, sum(value_usd) AS value_usd
            FROM baci WHERE year = $year GROUP BY ALL
            UNION ALL
            SELECT exporter, 'export', importer, sum(value_usd) FROM baci WHERE year = $year GROUP BY ALL
        ),
        s AS (SELECT *, value_usd / sum(value_usd) OVER (PARTITION BY reporter, flow) AS share FROM d)
        SELECT reporter, $year::INTEGER AS year, flow, sum(value_usd) AS value_usd,
               count(*) FILTER (WHERE value_usd > 0)::UINTEGER AS n_partners, sum(share * share) AS hhi,
               CASE WHEN count(*) FILTER (WHERE value_usd > 0) = 1 THEN 1.0
                    ELSE (sum(share * share) - 1.0 / count(*) FILTER (WHERE value_usd > 0))
                         / (1.0 - 1.0 / count(*) FILTER (WHERE value_usd > 0)) END AS hhi_norm,
               first(partner ORDER BY value_usd DESC, partner) AS top_partner, max(share) AS top_share
        FROM s GROUP BY reporter, flow ORDER BY reporter, year, flow""",
    "critical": """
        WITH s AS (
            SELECT importer AS reporter, classification, product, exporter AS supplier, value_usd,
                   value_usd / sum(value_usd) OVER (PARTITION BY importer, product) AS share
            FROM baci WHERE year = $year
        ),
        m AS (
            SELECT reporter, classification, product, sum(value_usd) AS imports,
                   count(*) FILTER (WHERE value_usd > 0) AS n, sum(share * share) AS hhi, max(share) AS top_share,
                   first(supplier ORDER BY value_usd DESC, supplier) AS top_supplier
            FROM s GROUP BY ALL
        ),
        x AS (SELECT exporter AS reporter, product, sum(value_usd) AS exports FROM baci WHERE year = $year GROUP BY ALL)
        SELECT m.reporter, $year::INTEGER AS year, m.classification, m.product, m.imports,
               coalesce(x.exports, 0.0) AS exports,
               CASE WHEN coalesce(x.exports, 0) > 0 THEN m.imports / x.exports ELSE 'inf'::DOUBLE END AS ratio,
               m.n::UINTEGER AS n_suppliers, m.hhi, m.top_supplier, m.top_share, NULL::DOUBLE AS world_hhi,
               m.hhi > 0.4 AS concentrated, m.imports > 1.0 * coalesce(x.exports, 0.0) AS net_importer,
               NULL::BOOLEAN AS dominated, NULL::BOOLEAN AS world_concentrated,
               m.hhi > 0.4 AND m.imports > 1.0 * coalesce(x.exports, 0.0) AS critical
        FROM m LEFT JOIN x USING (reporter, product)
        ORDER BY m.reporter, year, m.imports DESC, m.product""",
}


def measures_duckdb(a: dict):
    import polars as pl

    from tethers.atlas.global_store import open_global

    def run():
        con = open_global(a["home"])
        return {k: pl.from_arrow(con.sql(q, params={"year": YEAR}).to_arrow_table()) for k, q in HAND_SQL.items()}

    return run


def measures_pandas(a: dict):
    import numpy as np
    import pandas as pd

    from tethers.atlas.global_store import country_table

    def run():
        iso = {c: i for c, i, _r in country_table()}
        df = pd.read_parquet(Path(a["home"], "global", "baci", f"year={YEAR}", "part-0.parquet"),
                             columns=["exporter", "importer", "hs6", "value_usd"])
        df["exporter"] = df["exporter"].map(iso)
        df["importer"] = df["importer"].map(iso)
        # partner shares and concentration, both flows
        dy = df.groupby(["exporter", "importer"], as_index=False)["value_usd"].sum()
        sh = pd.concat([
            dy.rename(columns={"importer": "reporter", "exporter": "partner"}).assign(flow="import"),
            dy.rename(columns={"exporter": "reporter", "importer": "partner"}).assign(flow="export"),
        ], ignore_index=True)
        sh["share"] = sh["value_usd"] / sh.groupby(["reporter", "flow"])["value_usd"].transform("sum")
        sh["year"] = YEAR
        sh = sh.sort_values(["reporter", "flow", "value_usd", "partner"], ascending=[True, True, False, True])
        sh["sq"] = sh["share"] ** 2
        sh["pos"] = sh["value_usd"] > 0
        g = sh.groupby(["reporter", "flow"], sort=True)
        conc = g.agg(value_usd=("value_usd", "sum"), n_partners=("pos", "sum"), hhi=("sq", "sum"),
                     top_partner=("partner", "first"), top_share=("share", "max")).reset_index()
        n = conc["n_partners"]
        conc["hhi_norm"] = np.where(n == 1, 1.0, (conc["hhi"] - 1 / n) / (1 - 1 / n))
        conc["year"] = YEAR
        # critical products: import concentration by product, exports, flags
        df["share"] = df["value_usd"] / df.groupby(["importer", "hs6"])["value_usd"].transform("sum")
        df["sq"] = df["share"] ** 2
        df["pos"] = df["value_usd"] > 0
        top = (df.sort_values(["value_usd", "exporter"], ascending=[False, True])
               .drop_duplicates(["importer", "hs6"])[["importer", "hs6", "exporter"]])
        m = df.groupby(["importer", "hs6"], as_index=False).agg(
            imports=("value_usd", "sum"), n_suppliers=("pos", "sum"), hhi=("sq", "sum"), top_share=("share", "max"))
        m = m.merge(top.rename(columns={"exporter": "top_supplier"}), on=["importer", "hs6"])
        x = df.groupby(["exporter", "hs6"], as_index=False)["value_usd"].sum().rename(
            columns={"exporter": "importer", "value_usd": "exports"})
        c = m.merge(x, on=["importer", "hs6"], how="left").rename(columns={"importer": "reporter"})
        c["exports"] = c["exports"].fillna(0.0)
        c["ratio"] = np.where(c["exports"] > 0, c["imports"] / c["exports"].where(c["exports"] > 0, 1.0), np.inf)
        c["concentrated"] = c["hhi"] > 0.4
        c["net_importer"] = (c["imports"] > 0) & (c["imports"] > 1.0 * c["exports"])
        c["critical"] = c["concentrated"] & c["net_importer"]
        c["product"] = c["hs6"].astype(str).str.zfill(6)
        c["year"] = YEAR
        c = c.sort_values(["reporter", "imports", "product"], ascending=[True, False, True])
        return {"shares": sh, "concentration": conc, "critical": c}

    return run


# -- 3. scenario and ensemble ------------------------------------------------------------------


def scenario_tethers(a: dict):
    from tethers.atlas.global_sql import scenario_trade_loss
    from tethers.atlas.global_store import open_global
    from tethers.scenario.spec import load_spec

    spec = load_spec(SCENARIO)
    return lambda: scenario_trade_loss(open_global(a["home"]), spec, year=YEAR)


def _arrays(a: dict):
    from tethers.atlas.global_sql import prepare_scenario
    from tethers.atlas.global_store import open_global
    from tethers.scenario.spec import load_spec

    return prepare_scenario(open_global(a["home"]), load_spec(SCENARIO), year=YEAR)


def ensemble_local(a: dict):
    from tethers.atlas.global_sql import scenario_ensemble

    arr = _arrays(a)
    return lambda: scenario_ensemble(arr, draws=a["draws"], seed=1)


def ensemble_dask(a: dict):
    from tethers.atlas.global_sql import scenario_ensemble

    arr = _arrays(a)
    return lambda: scenario_ensemble(arr, draws=a["draws"], seed=1, workers=2)


# -- 4. Leontief ------------------------------------------------------------------------------


def mrio_like(n: int, *, seed: int = 7, sectors: int = 35, partners: int = 6, per_partner: int = 10):
    """A synthetic MRIO-shaped A (n × n, CSR): dense domestic 35 × 35 blocks (column sums ≈ 0.35), and per
    column 6 partner regions × 10 sectors of small import coefficients (≈ 0.15 in all); y ≥ 0."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    regions = max(1, n // sectors)
    rows, cols, vals = [], [], []
    for c in range(n):
        r = min(c // sectors, regions - 1)
        lo, hi = r * sectors, min(n, (r + 1) * sectors) if r < regions - 1 else n
        dom = rng.random(hi - lo)
        rows.extend(range(lo, hi))
        vals.extend((0.35 * dom / dom.sum()).tolist())
        cols.extend([c] * (hi - lo))
        others = [p for p in rng.choice(regions, size=min(partners + 1, regions), replace=False) if p != r][:partners]
        for p in others:
            idx = p * sectors + rng.choice(sectors, size=per_partner, replace=False)
            idx = idx[idx < n]
            w = rng.random(idx.size)
            rows.extend(idx.tolist())
            cols.extend([c] * idx.size)
            vals.extend((0.15 / max(1, len(others)) * w / w.sum()).tolist())
    A = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    y = rng.lognormal(0.0, 1.0, n)
    return A, y


def leontief_dense_inv(a: dict):
    import numpy as np

    A, y = mrio_like(a["n"])
    Ad = A.toarray()

    def run():
        L = np.linalg.inv(np.eye(a["n"]) - Ad)
        return L @ y

    return run


def leontief_tethers(a: dict):
    from tethers.scenario.channels.io import solve_leontief

    A, y = mrio_like(a["n"])
    return lambda: solve_leontief(A, y, method=a["method"])


def check_text_op(a: dict):
    from check_text import check_text  # benchmarks/check_text.py: `tethers check` on a 1 MB real text

    return check_text(a)


def diversion_op(which: str):
    def make(a: dict):
        import diversion_bench  # benchmarks/diversion_bench.py: gravity fit and backtest on the shipped pack

        return getattr(diversion_bench, which)(a)

    return make


def bench_diversion(scratch: Path, repeats: int, log=print) -> list[dict]:
    """Issue 13: the gravity estimation (< 30 s) and one backtest with the diversion channel, 1,000 draws (< 10 s)."""
    from tethers.atlas.store import build_atlas

    path = scratch / "diversion-atlas.duckdb"
    if not path.exists():
        build_atlas(path)
    impls = [("pyfixest fepois, both models", "diversion/gravity", {"atlas": str(path)})]
    recs = measure_case("diversion", "gravity estimation, panel up to 2021", impls, repeats=repeats,
                        reference="pyfixest fepois, both models", log=log)
    _profile_into(recs, impls)
    recs[0]["note"] = "target < 30 s; panel from the atlas + PPML with exporter-year, importer-year (and pair) effects"
    impls = [("tethers backtest (diversion)", "diversion/backtest", {"atlas": str(path), "draws": 1000})]
    recs2 = measure_case("diversion", "backtest eu-2022 KAZ 2021→2022, 1,000 draws", impls, repeats=repeats,
                         reference="tethers backtest (diversion)", log=log)
    _profile_into(recs2, impls)
    recs2[0]["note"] = ("target < 10 s; KAZ and every observed third country (5 simulations), gravity fit cached "
                        "(timed above)")
    return recs + recs2


def atlas_op(which: str):
    def make(a: dict):
        import atlas_queries  # benchmarks/atlas_queries.py: profile and balance on the shipped pack

        return getattr(atlas_queries, which)(a)

    return make


CHILDREN = {
    "ingest/tethers": ingest_tethers, "ingest/duckdb": ingest_duckdb, "ingest/pandas": ingest_pandas,
    "measures/tethers": measures_tethers, "measures/duckdb": measures_duckdb, "measures/pandas": measures_pandas,
    "scenario/tethers": scenario_tethers, "ensemble/local": ensemble_local, "ensemble/dask": ensemble_dask,
    "leontief/dense": leontief_dense_inv, "leontief/tethers": leontief_tethers,
    "check/text": check_text_op,
    "atlas/profile_warm": atlas_op("profile_warm"), "atlas/profile_cold": atlas_op("profile_cold"),
    "atlas/balance_all": atlas_op("balance_all"),
    "diversion/gravity": diversion_op("gravity"), "diversion/backtest": diversion_op("backtest"),
}


def child(name: str, args: dict) -> None:
    """Run one measurement and print one JSON line (the last line of stdout)."""
    op = CHILDREN[name](args)
    if args.get("profile"):
        print(json.dumps({"dominated_by": profile(name, op, args)}))
        return
    if name == "ensemble/dask":
        with _TreeRSS() as tree:
            out, wall, cpu = _timed(op)
        rss = max(_hwm_mb(), tree.peak)
    else:
        out, wall, cpu = _timed(op)
        rss = _hwm_mb()
    rec = {"seconds": wall, "cpu": cpu, "rss_mb": rss}
    save = args.get("save")
    if save:
        _save(out, Path(save))
    print(json.dumps(rec))


def _save(out, path: Path) -> None:
    import numpy as np
    import pandas as pd
    import polars as pl

    path.mkdir(parents=True, exist_ok=True)
    if isinstance(out, dict):
        for k, v in out.items():
            (pl.from_pandas(v) if isinstance(v, pd.DataFrame) else v).write_parquet(path / f"{k}.parquet")
    elif isinstance(out, np.ndarray):
        np.save(path / "x.npy", out)


# ============================================================================================
# Profiles: what dominates each figure
# ============================================================================================


def profile(name: str, op, args: dict) -> str:
    if name in ("ingest/tethers", "ingest/duckdb"):
        return _duck_ops(name, args)
    if name == "measures/tethers":
        return _tethers_measures_profile(args)
    if name == "measures/duckdb":
        return _hand_sql_profile(args)
    if name == "ensemble/dask":
        t0 = time.perf_counter()
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=40) as cluster, Client(cluster):
            startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        op()
        total = time.perf_counter() - t1
        return (f"start + stop of a bare 2-worker LocalCluster alone: {startup:.1f} s (the profiled run: "
                f"{total:.1f} s); the draws themselves are the single-process figure")
    return _cprofile(op)


def _label(file: str, func: str) -> str:
    if "duckdb" in file:
        return "DuckDB query execution"
    where = Path(file).parent.name + "/" + Path(file).name if file.startswith("/") else file
    return func if where.startswith("~") else f"{func} ({where})"


def _cprofile(op) -> str:
    pr = cProfile.Profile()
    pr.enable()
    op()
    pr.disable()
    st = pstats.Stats(pr)
    total = st.total_tt or 1e-9  # type: ignore[attr-defined]
    rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:3]  # type: ignore[attr-defined]
    parts = []
    for (file, _line, func), (_cc, _nc, tt, _ct, _callers) in rows:
        parts.append(f"{_label(file, func)} {100 * tt / total:.0f}%")
    return "; ".join(parts)


def _duck_profile(con, sql: str, params: dict | None = None) -> tuple[float, list[tuple[str, float]]]:
    """Run ``sql`` with DuckDB's JSON profiler: (total seconds, [(operator, seconds)] summed by type)."""
    prof = Path(tempfile.mkdtemp()) / "p.json"
    con.execute("SET enable_profiling = 'json'")
    con.execute(f"SET profiling_output = '{prof}'")
    con.execute(sql, params or {})
    con.execute("SET enable_profiling = 'no_output'")
    doc = json.loads(prof.read_text())
    by: dict[str, float] = {}

    def walk(node):
        by[node["name"]] = by.get(node["name"], 0.0) + float(node.get("timing", 0.0))
        for c in node.get("children", []):
            walk(c)

    for node in doc.get("operator", []):
        walk(node)
    shutil.rmtree(prof.parent, ignore_errors=True)
    return float(doc["query"]["total_time"]), sorted(by.items(), key=lambda kv: -kv[1])


def _ops_text(ops: list[tuple[str, float]], n: int = 3) -> str:
    tot = sum(v for _k, v in ops) or 1e-9
    return ", ".join(f"{k} {100 * v / tot:.0f}%" for k, v in ops[:n] if v > 0)


def _duck_ops(name: str, a: dict) -> str:
    import duckdb

    from tethers.atlas import global_store as g
    out = Path(a["out"])
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    if name == "ingest/tethers":
        con = g._connect(memory_limit="1GB", threads=None)
        con.execute("SET enable_progress_bar = false")
        _t, ops = _duck_profile(con, g.copy_sql(Path(a["csv"]), YEAR, out))
    else:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        _t, ops = _duck_profile(con, f"COPY (SELECT * FROM read_csv('{a['csv']}')) TO '{out}' "
                                "(FORMAT parquet, PARTITION_BY t)")
    shutil.rmtree(out, ignore_errors=True)
    return "operator time: " + _ops_text(ops) + " (PROJECTION = conversion + validation)"


def _tethers_measures_profile(a: dict) -> str:
    from tethers.atlas.global_store import open_global
    from tethers.measures import global_sql as G

    con = open_global(a["home"])
    t0 = time.perf_counter()
    G.all_measures(con, year=YEAR)
    total = time.perf_counter() - t0
    t0 = time.perf_counter()
    G.dyad_aggregates(con, year=YEAR)
    t_agg = time.perf_counter() - t0
    _t, ops = _duck_profile(con, f"""
        SELECT r.importer, r.hs6, sum(r.value_usd), sum(r.value_usd * r.value_usd),
               count(*) FILTER (WHERE r.value_usd > 0), max(r.value_usd),
               arg_max(r.exporter, {{'v': r.value_usd, 'r': -c.rank}})
        FROM baci_raw r JOIN baci_countries c ON r.exporter = c.code
        WHERE r.year = {YEAR} GROUP BY r.importer, r.hs6""")
    return (f"the three aggregate scans {100 * t_agg / total:.0f}% of the time (importer × product with the "
            f"top supplier: {_ops_text(ops, 3)}); the rest: joins, sort and Arrow export of the critical rows")


def _hand_sql_profile(a: dict) -> str:
    from tethers.atlas.global_store import open_global

    con = open_global(a["home"])
    parts = {k: _duck_profile(con, q, {"year": YEAR}) for k, q in HAND_SQL.items()}
    total = sum(t for t, _ops in parts.values()) or 1e-9
    big = max(parts, key=lambda k: parts[k][0])
    share = ", ".join(f"{k} {100 * t / total:.0f}%" for k, (t, _o) in parts.items())
    return f"queries: {share}; in {big}: {_ops_text(parts[big][1], 3)}"


# ============================================================================================
# Parent: orchestration, checks, report
# ============================================================================================


def run_child(name: str, args: dict, *, env: dict | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, json.dumps(args)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure_case(bench: str, case: str, impls: list[tuple[str, str, dict]], *, repeats: int, reference: str,
                 env: dict | None = None, cleanup: list[Path] | None = None, log=print) -> list[dict]:
    """Interleaved repeats of each implementation → one record per implementation."""
    runs: dict[str, list[dict]] = {label: [] for label, _n, _a in impls}
    for rep in range(repeats):
        for label, name, args in impls:
            for p in cleanup or []:
                shutil.rmtree(p, ignore_errors=True)
            a = dict(args)
            if rep > 0:
                a.pop("save", None)
            r = run_child(name, a, env=env)
            runs[label].append(r)
            log(f"  {bench} {case} {label}: {r['seconds']:.2f} s, {r['cpu']:.2f} s CPU, {r['rss_mb']:.0f} MiB")
    ref = statistics.median(r["seconds"] for r in runs[reference])
    recs = []
    for label, _name, _args in impls:
        secs = [r["seconds"] for r in runs[label]]
        med = statistics.median(secs)
        recs.append({
            "benchmark": bench, "case": case, "implementation": label, "repeats": repeats,
            "median_s": round(med, 4), "min_s": round(min(secs), 4),
            "cpu_s": round(statistics.median(r["cpu"] for r in runs[label]), 3),
            "peak_rss_mb": round(statistics.median(r["rss_mb"] for r in runs[label]), 1),
            "ratio": round(med / ref, 3) if ref > 0 else 0.0, "reference": reference, "dominated_by": "", "note": "",
        })
    return recs


def _profile_into(recs: list[dict], impls: list[tuple[str, str, dict]], *, env=None, cleanup=None) -> None:
    for rec, (_label, name, args) in zip(recs, impls, strict=True):
        for p in cleanup or []:
            shutil.rmtree(p, ignore_errors=True)
        a = {k: v for k, v in args.items() if k != "save"}
        try:
            rec["dominated_by"] = run_child(name, {**a, "profile": True}, env=env)["dominated_by"]
        except RuntimeError as exc:  # a profile must not sink the run
            rec["dominated_by"] = f"(profile failed: {str(exc).splitlines()[0]})"


def _compare_frames(dirs: dict[str, Path], reference: str) -> str:
    """Assert every implementation's outputs equal the reference's (1e-9 relative); return a note."""
    import polars as pl
    from polars.testing import assert_frame_equal

    keys = {"shares": ["reporter", "flow", "partner"], "concentration": ["reporter", "flow"],
            "critical": ["reporter", "product"]}
    cols = {"shares": ["reporter", "flow", "partner", "value_usd", "share"],
            "concentration": ["reporter", "flow", "value_usd", "n_partners", "hhi", "hhi_norm", "top_partner",
                              "top_share"],
            "critical": ["reporter", "product", "imports", "exports", "ratio", "n_suppliers", "hhi", "top_supplier",
                         "top_share", "concentrated", "net_importer", "critical"]}
    ref = dirs[reference]
    for label, d in dirs.items():
        if label == reference:
            continue
        for part, k in keys.items():
            a = pl.read_parquet(ref / f"{part}.parquet").select(cols[part]).sort(k)
            b = pl.read_parquet(d / f"{part}.parquet").select(cols[part]).sort(k)
            b = b.with_columns([pl.col(c).cast(a.schema[c]) for c in cols[part]])
            assert_frame_equal(a, b, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
    return f"outputs asserted equal to {reference} (shares, concentration, critical; 1e-9 relative)"


def blas_info(env: dict) -> str:
    code = ("import numpy as np, json;"
            "c=np.show_config(mode='dicts');b=c['Build Dependencies']['blas'];"
            "import importlib.util as u;"
            "t=__import__('threadpoolctl').threadpool_info() if u.find_spec('threadpoolctl') else [];"
            "print(json.dumps({'blas': b.get('name'), 'version': b.get('version'),"
            "'kernel': [x.get('architecture') for x in t if x.get('user_api') == 'blas']}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return res.stdout.strip() or res.stderr.strip()[-200:]


def bench_atlas(scratch: Path, R: int, *, log=print, atlas: Path | None = None) -> list[dict]:
    """Profile of 30 countries (warm and first call) and the balance index of every country, 2000–2022, on an
    atlas built from the shipped pack (issue 12's targets: < 300 ms per warm profile, < 60 s, < 2 GiB)."""
    from tethers.atlas.store import build_atlas

    log("6. atlas")
    atlas = atlas or build_atlas(scratch / "atlas-bench.duckdb")
    impls = [("profile, warm (30 countries)", "atlas/profile_warm", {"atlas": str(atlas)}),
             ("profile, first call (30 countries)", "atlas/profile_cold", {"atlas": str(atlas)})]
    recs = measure_case("atlas", "profile of 30 countries, 2020", impls, repeats=R,
                        reference="profile, first call (30 countries)", log=log)
    for r in recs:
        r["note"] = f"{1000 * r['median_s'] / 30:.0f} ms per profile (target < 300 ms warm)"
    impls = [("balance, every country 2000–2022", "atlas/balance_all", {"atlas": str(atlas)})]
    bal = measure_case("atlas", "balance index, all countries", impls, repeats=max(1, R - 2),
                       reference="balance, every country 2000–2022", log=log)
    _profile_into(bal, impls)
    bal[0]["note"] = "target < 60 s and < 2 GiB peak; one open atlas, every reporter with a world row"
    return recs + bal


def main(argv: list[str] | None = None) -> None:  # noqa: C901 - a flat script of the four benchmarks
    ap = argparse.ArgumentParser(description="tethers benchmarks → BENCHMARKS.md")
    ap.add_argument("--quick", action="store_true", help="1 M rows, Leontief up to 2,000 sectors")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tethers-bench")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--json", type=Path, default=HERE / "results.json")
    ap.add_argument("--child", nargs=2, metavar=("NAME", "ARGS"), help=argparse.SUPPRESS)
    ap.add_argument("--only", choices=["diversion", "atlas"],
                    help="run one benchmark and merge it into the existing results")
    args = ap.parse_args(argv)
    if args.child:
        child(args.child[0], json.loads(args.child[1]))
        return
    if args.only:
        scratch = args.data / "scratch-only"
        scratch.mkdir(parents=True, exist_ok=True)
        new = (bench_diversion(scratch, args.repeats) if args.only == "diversion"
               else bench_atlas(scratch, args.repeats))
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        for r in new:
            r["note"] += f" (run {when} with --only {args.only}, load average {[round(x, 2) for x in os.getloadavg()]})"
        doc = json.loads(args.json.read_text())
        doc["results"] = [r for r in doc["results"] if r["benchmark"] != args.only] + new
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        args.out.write_text(render(doc))
        shutil.rmtree(scratch, ignore_errors=True)
        print(f"merged {len(new)} {args.only} records into {args.json} and {args.out}")
        return
    if ROOT in args.data.resolve().parents or args.data.resolve() == ROOT:
        ap.error("--data must be outside the repository (synthetic data never go in the repo)")
    t_start = time.perf_counter()
    rows = 1_000_000 if args.quick else 11_000_000
    sizes = [1000, 2000] if args.quick else [1000, 2500, 5000]
    draws = 1000
    R = args.repeats
    data = args.data / f"rows{rows}"
    scratch = args.data / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    import generate_baci as gen

    csv_path = data / gen.release_name(YEAR)
    if not csv_path.exists():
        log(f"generating {rows:,} synthetic BACI rows → {csv_path}")
        subprocess.run([sys.executable, str(HERE / "generate_baci.py"), "--rows", str(rows), "--year", str(YEAR),
                        "--out", str(csv_path.parent)], check=True)
    home = data / "home"
    if not (home / "global" / "baci" / f"year={YEAR}").exists():
        subprocess.run([sys.executable, "-c", "import sys; from tethers.atlas.global_store import ingest_baci; "
                        "ingest_baci([sys.argv[1]], home=sys.argv[2])", str(csv_path), str(home)], check=True)
    results: list[dict] = []

    # 1. ingest -------------------------------------------------------------------------------
    out = scratch / "ingest"
    impls = [("tethers", "ingest/tethers", {"csv": str(csv_path), "out": str(out / "t")}),
             ("duckdb COPY", "ingest/duckdb", {"csv": str(csv_path), "out": str(out / "d")}),
             ("pandas", "ingest/pandas", {"csv": str(csv_path), "out": str(out / "p")})]
    log("1. ingest")
    recs = measure_case("ingest", f"{rows:,} rows", impls, repeats=max(R, 5), reference="duckdb COPY", cleanup=[out],
                        log=log)
    _profile_into(recs, impls, cleanup=[out])
    recs[0]["note"] = "validation (codes, HS6, values, quantities) + sha256 of the input + provenance + atomic rename included"
    recs[1]["note"] = "no validation; types as sniffed (q kept as text)"
    results += recs

    # 2. measures -----------------------------------------------------------------------------
    outs = {label: scratch / "m" / label.split()[0] for label in ("tethers", "duckdb SQL", "pandas")}
    impls = [("tethers", "measures/tethers", {"home": str(home), "save": str(outs["tethers"])}),
             ("duckdb SQL", "measures/duckdb", {"home": str(home), "save": str(outs["duckdb SQL"])}),
             ("pandas", "measures/pandas", {"home": str(home), "save": str(outs["pandas"])})]
    log("2. measures")
    recs = measure_case("measures", f"{rows:,} rows, all reporters", impls, repeats=R, reference="duckdb SQL", log=log)
    note = _compare_frames(outs, "tethers")
    _profile_into(recs, impls)
    for r in recs:
        r["note"] = note if r["implementation"] != "tethers" else "the reference of the equality assertions"
    results += recs

    # 3. scenario + ensemble ------------------------------------------------------------------
    log("3. scenario")
    impls = [("tethers", "scenario/tethers", {"home": str(home)})]
    recs = measure_case("scenario", "eu-2022.yaml, all third countries", impls, repeats=max(R, 5), reference="tethers",
                        log=log)
    _profile_into(recs, impls)
    recs[0]["note"] = "trade channel model (coverage_by_product + trade_loss) on every third country; one SQL scan"
    results += recs
    impls = [("single process", "ensemble/local", {"home": str(home), "draws": draws}),
             ("dask LocalCluster (2 workers)", "ensemble/dask", {"home": str(home), "draws": draws})]
    recs = measure_case("ensemble", f"{draws:,} draws", impls, repeats=R, reference="single process", log=log)
    _profile_into(recs, impls)
    recs[0]["note"] = "scan once (scenario row), then the draws on the touched lines in NumPy"
    recs[1]["note"] = "cluster start-up and shutdown included (a fresh LocalCluster per run)"
    results += recs

    # 4. Leontief -----------------------------------------------------------------------------
    log("4. leontief")
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    blas = blas_info(env)
    for n in sizes:
        xs = {m: scratch / "leo" / f"{n}-{m}" for m in ("dense", "splu", "gmres")}
        impls = [("np.linalg.inv (dense inverse)", "leontief/dense", {"n": n, "save": str(xs["dense"])}),
                 ("solve_leontief splu", "leontief/tethers", {"n": n, "method": "splu", "save": str(xs["splu"])}),
                 ("solve_leontief gmres", "leontief/tethers", {"n": n, "method": "gmres", "save": str(xs["gmres"])})]
        recs = measure_case("leontief", f"n = {n}", impls, repeats=R, reference="np.linalg.inv (dense inverse)",
                            env=env, log=log)
        import numpy as np

        x_ref = np.load(xs["dense"] / "x.npy")
        for rec, m in zip(recs, ("dense", "splu", "gmres"), strict=True):
            x = np.load(xs[m] / "x.npy")
            err = float(np.max(np.abs(x - x_ref)) / np.max(np.abs(x_ref)))
            rec["note"] = f"relative error vs dense {err:.1e}" + ("" if m == "dense" else f" (≤ 1e-9: {err <= 1e-9})")
        _profile_into(recs, impls, env=env)
        results += recs

    # 5. tethers check on a 1 MB text (target of issue 15: < 5 s) ---------------------------------
    log("5. check")
    from tethers.atlas.store import build_atlas

    check_atlas = build_atlas(scratch / "check-atlas.duckdb")
    impls = [("tethers check", "check/text", {"mb": 1.0, "atlas": str(check_atlas)})]
    recs = measure_case("check", "1 MiB text (German + English samples repeated)", impls, repeats=max(R, 3),
                        reference="tethers check", log=log)
    recs[0]["note"] = ("sentences, entities, claims and every verdict on an open atlas; repeated sentences reuse "
                       "their decisions (benchmarks/check_text.py)")
    results += recs

    # 6. per-country commands on the shipped pack (issue 12: profile < 300 ms warm, all-country balance < 60 s)
    results += bench_atlas(scratch, R, log=log, atlas=check_atlas)

    from schema import validate_record

    for r in results:
        validate_record(r)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": _machine(),
        "python": platform.python_version(), "duckdb": _version("duckdb"), "rows": rows, "quick": args.quick,
        "repeats": R, "load_average": [round(x, 2) for x in os.getloadavg()],
        "total_s": round(time.perf_counter() - t_start, 1), "blas": blas,
        "versions": {m: _version(m) for m in ("polars", "pandas", "numpy", "scipy", "pyarrow", "dask", "distributed")},
    }
    doc = {"meta": meta, "results": results}
    args.json.write_text(json.dumps(doc, indent=2) + "\n")
    args.out.write_text(render(doc))
    shutil.rmtree(scratch, ignore_errors=True)
    log(f"wrote {args.out} and {args.json} in {meta['total_s']:.0f} s")


def _version(mod: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(mod)
    except PackageNotFoundError:
        return "not installed"


def _machine() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, {model}, {platform.system()} {platform.release()}"


# ============================================================================================
# BENCHMARKS.md
# ============================================================================================

TARGETS = [
    ("ingest", "tethers", "duckdb COPY", "wall ≤ 1.2× bare DuckDB COPY and peak memory ≤ 1.2× COPY's",
     lambda r, ref: r["ratio"] <= 1.2 and r["peak_rss_mb"] <= 1.2 * ref["peak_rss_mb"]),
    ("measures", "tethers", "duckdb SQL", "≤ 1.3× the hand-written DuckDB SQL", lambda r, ref: r["ratio"] <= 1.3),
    ("measures", "tethers", "pandas", "≥ 2× faster than pandas", lambda r, ref: ref["median_s"] >= 2 * r["median_s"]),
    ("scenario", "tethers", "tethers", "< 1 s on the global year", lambda r, ref: r["median_s"] < 1.0),
    ("ensemble", "single process", "single process", "1,000 draws < 60 s on 2 cores", lambda r, ref: r["median_s"] < 60),
    ("leontief", "solve_leontief splu", "np.linalg.inv (dense inverse)", "splu ≥ 3× faster than the dense inverse",
     lambda r, ref: ref["median_s"] >= 3 * r["median_s"]),
    ("leontief", "solve_leontief gmres", "np.linalg.inv (dense inverse)", "gmres ≥ 3× faster than the dense inverse",
     lambda r, ref: ref["median_s"] >= 3 * r["median_s"]),
]


def render(doc: dict) -> str:
    m, res = doc["meta"], doc["results"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/run.py` (`make bench`); do not edit by hand. Machine-readable copy:",
        "`benchmarks/results.json` (schema in `benchmarks/schema.py`). Method, data and caveats: `docs/scale.md`.",
        "",
        f"- Run: {m['date']}, {'quick' if m['quick'] else 'full'} ({m['rows']:,} rows), "
        f"{m['repeats']} repeats per figure (ingest and scenario: ≥ 5), total {m['total_s']:.0f} s.",
        f"- Machine: {m['machine']}; load average at the end {m['load_average']} "
        "(the machine is shared: wall times carry that noise, CPU times less so).",
        f"- Python {m['python']}, DuckDB {m['duckdb']}, "
        + ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items()) + f"; BLAS {m.get('blas', '')}.",
        "- Data: a **synthetic** BACI-shaped year from `benchmarks/generate_baci.py` (real release files are not on",
        "  this machine); ratios are what the benchmark is for, absolute times depend on the machine.",
        "- Each figure: median wall time over fresh subprocesses, timing the operation only; CPU = user + system of",
        "  all threads; memory = peak RSS of the subprocess (`VmHWM`; interpreter and libraries included, ≈ 150 MiB);",
        "  for Dask the sampled peak of the subprocess plus its worker processes.",
        "",
        "| benchmark | case | implementation | median s | min s | CPU s | peak RSS MiB | ratio | vs | dominated by |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in res:
        lines.append(
            f"| {r['benchmark']} | {r['case']} | {r['implementation']} | {r['median_s']:.3f} | {r['min_s']:.3f} | "
            f"{r['cpu_s']:.2f} | {r['peak_rss_mb']:.0f} | {r['ratio']:.2f} | {r['reference']} | "
            f"{r['dominated_by']} |"
        )
    lines += ["", "## Notes per figure", ""]
    for r in res:
        if r["note"]:
            lines.append(f"- {r['benchmark']} / {r['case']} / {r['implementation']}: {r['note']}")
    lines += ["", "## Targets (ratios from this run)", "", "| target | case | measured | met |", "|---|---|---|---|"]
    for bench, impl, ref_impl, text, ok in TARGETS:
        for r in (x for x in res if x["benchmark"] == bench and x["implementation"] == impl):
            ref = next(x for x in res if x["benchmark"] == bench and x["case"] == r["case"]
                       and x["implementation"] == ref_impl)
            if bench in ("scenario", "ensemble"):
                got = f"{r['median_s']:.2f} s"
            elif ref_impl == "pandas" or bench == "leontief":
                got = f"{ref['median_s'] / r['median_s']:.1f}× faster" if r["median_s"] > 0 else "n/a"
            else:
                got = f"{r['ratio']:.2f}× wall"
                if r["min_s"] and ref["min_s"]:
                    got += f" (best of runs {r['min_s'] / ref['min_s']:.2f}×)"
                if bench == "ingest":
                    got += f", {r['cpu_s'] / ref['cpu_s']:.2f}× CPU, memory {r['peak_rss_mb'] / ref['peak_rss_mb']:.2f}×"
            lines.append(f"| {text} | {r['case']} | {got} | {'yes' if ok(r, ref) else '**no**'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
