"""Benchmark of ``tethers check`` on a 1 MB text (called by ``benchmarks/run.py``; also runs alone).

The text is real: the German excerpt and its English translation in ``tests/samples/check/`` repeated, in turn,
until the text reaches the size asked for (1 MB ≈ 250 copies of each, ≈ 4,000 claims). The timed operation is
:func:`tethers.check.check` on an open atlas (sentence splitting, entity and claim extraction, every verdict);
imports and opening the atlas are outside the timing. The target of issue 15 is < 5 s for 1 MB.

Usage::

    python benchmarks/check_text.py [--mb 1] [--atlas PATH] [--year 2021]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "samples" / "check"
TEXTS = ("kazakhstan-2022-de-excerpt.txt", "kazakhstan-2022-en.txt")


def big_text(mb: float) -> str:
    """The sample texts repeated in turn until the text has at least ``mb`` MiB of UTF-8."""
    parts = [(SAMPLES / t).read_text(encoding="utf-8") for t in TEXTS]
    out, size, i = [], 0, 0
    while size < mb * 2**20:
        out.append(parts[i % len(parts)])
        size += len(parts[i % len(parts)].encode("utf-8")) + 2
        i += 1
    return "\n\n".join(out)


def check_text(a: dict):
    """The benchmark runner's child op: returns a zero-argument callable that checks the text."""
    from tethers.atlas.store import Atlas, open_atlas
    from tethers.check import check

    text = big_text(a.get("mb", 1.0))
    atlas = Atlas(Path(a["atlas"])) if a.get("atlas") else open_atlas()
    return lambda: check(text, year=a.get("year"), atlas=atlas)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--atlas", type=str, default=None)
    ap.add_argument("--year", type=int, default=None)
    args = ap.parse_args()
    op = check_text({"mb": args.mb, "atlas": args.atlas, "year": args.year})
    t0, c0 = time.perf_counter(), time.process_time()
    res = op()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"mb": args.mb, "bytes": len(big_text(args.mb).encode()), "claims": res.claims.height,
                      "seconds": round(wall, 3), "cpu_s": round(cpu, 3), "verdicts": res.verdicts()}))


if __name__ == "__main__":
    main()
