"""Generate a synthetic year of trade in CEPII BACI's release layout, for the benchmarks only.

Real BACI release files (``BACI_HS17_Y2021_V202401.csv``, ~11 M rows) are not on the benchmark
machine, so ``benchmarks/run.py`` measures on a file with the same *shape*:

* header ``t,i,j,k,v,q``; one row per (exporter ``i``, importer ``j``, HS6 product ``k``), unique and
  sorted by ``i, j, k`` as CEPII writes them;
* ``i`` and ``j`` are real BACI numeric codes taken from the mapping that the BACI loader ships
  (``src/tethers/sources/data/baci_country_codes.csv``), historical entities excluded (~225 codes);
* ``k`` is one of ~5,000 HS6-shaped codes over chapters 01–97 (no 77), written without the leading
  zero as the CEPII files are when read as integers (``10110``);
* ``v`` (thousand USD, 3 decimals) is heavy-tailed: log-normal gravity (exporter and importer masses
  drawn from a Pareto law) times a log-normal product effect and a log-normal dyad-product noise;
  ``q`` (tonnes) is ``v`` over a log-normal unit value, right-aligned in a padded field like the real
  files, with ~4 % ``NA``.

The data are **synthetic**: they exist to time ingest and queries at BACI scale. They are never
used by the tests, never enter ``data/pack`` and must never be written inside the repository
(``--out`` under ``/tmp`` or ``$TETHERS_HOME``).

Usage::

    python benchmarks/generate_baci.py --rows 11000000 --year 2021 --out /tmp/tethers-bench
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
import polars as pl

CODES_CSV = Path(__file__).resolve().parents[1] / "src" / "tethers" / "sources" / "data" / "baci_country_codes.csv"
SCHEMA = {"t": pl.Int32, "i": pl.Int32, "j": pl.Int32, "k": pl.Int32, "v": pl.Float64, "q": pl.Float64}
# BACI codes of the largest traders, largest first (CHN, USA, DEU, JPN, NLD, FRA, KOR, ITA, GBR, IND, MEX,
# CAN, RUS, SGP, ESP, CHE, BEL, TWN, ARE, SAU): they get the largest masses, so a scenario on a real
# target (e.g. RUS) touches a realistic number of lines.
LARGEST = [156, 842, 276, 392, 528, 251, 410, 380, 826, 699, 484, 124, 643, 702, 724, 757, 56, 490, 784, 682]
HISTORICAL = ("former", "belgium-luxembourg", "czechoslovakia", "ussr", "yugoslavia", "serbia and montenegro")


def country_codes() -> list[int]:
    """Current BACI numeric codes from the loader's mapping (historical entities left out)."""
    with open(CODES_CSV, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keep = [int(r["baci_code"]) for r in rows if not any(h in r["baci_name"].lower() for h in HISTORICAL)]
    return sorted(set(keep))


def hs6_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct HS6-shaped codes: chapter 01–97 (no 77), heading 01–99, subheading 00–99."""
    chapters = np.array([c for c in range(1, 98) if c != 77])
    out: set[int] = set()
    while len(out) < n:
        ch = rng.choice(chapters, size=n)
        hd = rng.integers(1, 100, size=n)
        sub = rng.choice([0, 10, 11, 19, 20, 21, 29, 30, 39, 40, 90, 91, 99], size=n)
        out.update((ch * 10000 + hd * 100 + sub).tolist())
    return np.array(sorted(out)[:n], dtype=np.int64)


def generate(rows: int, *, year: int = 2021, seed: int = 20240601, products: int = 5000) -> pl.DataFrame:
    """A BACI-shaped frame ``[t, i, j, k, v, q]`` with ``rows`` unique (i, j, k) rows, sorted.

    Dyad (i, j) trades ``n_ij ∝ mass_i^0.9 · mass_j^0.6`` products (capped at all of them, scaled to
    ``rows`` in total); its products are the first ``n_ij`` of one of 64 popularity-weighted random
    permutations of the product list (Efraimidis–Spirakis keys), so (i, j, k) is unique by construction.
    """
    rng = np.random.default_rng(seed)
    codes = np.array(country_codes(), dtype=np.int64)
    hs = hs6_codes(rng, products)
    nc, nk = len(codes), len(hs)
    draws = np.sort(rng.lognormal(0.0, 1.6, nc))[::-1]  # economic masses, heavy-tailed, largest first
    big = [c for c in LARGEST if c in set(codes.tolist())]  # the largest masses go to the largest traders
    rest = [c for c in codes.tolist() if c not in big]
    order = big + [rest[n] for n in rng.permutation(len(rest))]
    by_code = dict(zip(order, draws.tolist(), strict=True))
    mass = np.array([by_code[c] for c in codes.tolist()])
    pop = rng.pareto(1.3, nk) + 1.0  # how widely a product is traded
    ei, ii = (a.ravel() for a in np.meshgrid(np.arange(nc), np.arange(nc), indexing="ij"))
    ok = ei != ii
    ei, ii = ei[ok], ii[ok]
    w = mass[ei] ** 0.9 * mass[ii] ** 0.6
    lo, hi = 0.0, float(nk * rows) / w.sum() * 1e4
    for _ in range(60):  # scale so that sum(min(nk, s·w)) = rows
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.minimum(nk, mid * w).sum() < rows else (lo, mid)
    expect = np.minimum(nk, hi * w)
    n = np.floor(expect + rng.random(expect.size)).astype(np.int64)
    n = np.minimum(n, nk)
    excess = int(n.sum()) - rows  # trim or pad the largest dyads to hit `rows` exactly
    order = np.argsort(-n)
    step = np.sign(excess)
    pos = 0
    while excess != 0:
        d = order[pos % order.size]
        if 0 < n[d] - step <= nk:
            n[d] -= step
            excess -= step
        pos += 1
    perms = np.argsort(-np.log(rng.random((64, nk))) / pop, axis=1)  # weighted permutations
    which = rng.integers(0, 64, size=n.size)
    starts = np.repeat(np.cumsum(n) - n, n)
    rank = np.arange(rows) - starts
    ki = perms[np.repeat(which, n), rank]
    ei, ii = np.repeat(ei, n), np.repeat(ii, n)
    order = np.lexsort((hs[ki], codes[ii], codes[ei]))
    ei, ii, ki = ei[order], ii[order], ki[order]
    log_v = (
        0.0
        + 0.8 * np.log(mass[ei])
        + 0.6 * np.log(mass[ii])
        + rng.normal(0.0, 1.0, nk)[ki]
        + rng.normal(0.0, 2.2, rows)
    )
    v = np.maximum(np.round(np.exp(log_v), 3), 0.001)
    unit_value = np.exp(rng.normal(0.5, 1.5, nk))[ki] * np.exp(rng.normal(0.0, 0.5, rows))
    q = np.round(v / unit_value, 3)
    q_null = rng.random(rows) < 0.04
    return pl.DataFrame(
        {
            "t": np.full(rows, year, dtype=np.int32),
            "i": codes[ei].astype(np.int32),
            "j": codes[ii].astype(np.int32),
            "k": hs[ki].astype(np.int32),
            "v": v,
            "q": np.where(q_null, np.nan, q),
        }
    ).with_columns(pl.when(pl.col("q").is_nan()).then(None).otherwise(pl.col("q")).alias("q"))


def write_release_csv(df: pl.DataFrame, path: Path) -> Path:
    """Write ``df`` as a BACI release CSV: ``v`` with 3 decimals, ``q`` right-aligned in 15 chars or ``NA``."""
    q = (
        pl.when(pl.col("q").is_null())
        .then(pl.lit("NA"))
        .otherwise(pl.col("q").round(3).cast(pl.Decimal(18, 3)).cast(pl.Utf8))
        .str.pad_start(15)
    )
    out = df.select(
        pl.col("t"), pl.col("i"), pl.col("j"), pl.col("k"),
        pl.col("v").round(3).cast(pl.Decimal(18, 3)).cast(pl.Utf8).alias("v"),
        q.alias("q"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.write_csv(path, quote_style="never")
    return path


def release_name(year: int) -> str:
    """The release file name CEPII uses (HS17 revision, V202401 vintage)."""
    return f"BACI_HS17_Y{year}_V202401.csv"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=11_000_000)
    ap.add_argument("--year", type=int, default=2021)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--out", type=Path, required=True, help="folder outside the repository (/tmp/…)")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    df = generate(args.rows, year=args.year, seed=args.seed)
    path = write_release_csv(df, args.out / release_name(args.year))
    print(f"{path}: {df.height:,} rows, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
