"""The schema of ``benchmarks/results.json`` (written by ``benchmarks/run.py``, rendered in BENCHMARKS.md).

``results.json`` is ``{"meta": {...}, "results": [record, ...]}``. One record per (benchmark, case,
implementation): the median and minimum wall time over ``repeats`` runs (each in a fresh subprocess),
the median CPU time (user + system, all threads) and the peak resident memory of that subprocess
(``ru_maxrss``, including the Python interpreter and imported libraries), the ratio of the median to the
reference implementation's median in the same run, and what a profile says dominates the figure.
``tests/test_global_store.py`` validates the committed file against this schema; timings are never
asserted by tests.
"""

from __future__ import annotations

RECORD = {
    "benchmark": str,  # ingest | measures | scenario | ensemble | leontief | check
    "case": str,  # e.g. "11,000,000 rows", "n = 5000"
    "implementation": str,  # e.g. tethers, pandas, duckdb COPY
    "repeats": int,
    "median_s": float,  # wall seconds
    "min_s": float,
    "cpu_s": float,  # median CPU seconds (user + system)
    "peak_rss_mb": float,  # median peak RSS of the measuring subprocess, MiB
    "ratio": float,  # median_s / median_s of the reference in the same case (1.0 for the reference)
    "reference": str,  # the implementation the ratio is taken against
    "dominated_by": str,  # from a profile (DuckDB operator timings or cProfile)
    "note": str,
}
META = {
    "date": str,
    "machine": str,
    "python": str,
    "duckdb": str,
    "rows": int,
    "quick": bool,
    "repeats": int,
    "load_average": list,
    "total_s": float,
}


def validate_record(rec: dict) -> None:
    """Raise ``ValueError`` naming the first field that is missing or of the wrong type."""
    for name, typ in RECORD.items():
        if name not in rec:
            raise ValueError(f"results record lacks {name!r}: {rec}")
        value = rec[name]
        ok = isinstance(value, int | float) and not isinstance(value, bool) if typ is float else isinstance(value, typ)
        if not ok:
            raise ValueError(f"results record field {name!r} should be {typ.__name__}, got {value!r}")
    extra = set(rec) - set(RECORD)
    if extra:
        raise ValueError(f"results record has unknown fields {sorted(extra)}")


def validate_results(doc: dict) -> None:
    """Validate a whole ``results.json`` document."""
    for name, typ in META.items():
        if not isinstance(doc.get("meta", {}).get(name), typ):
            raise ValueError(f"results meta field {name!r} should be {typ.__name__}")
    if not doc.get("results"):
        raise ValueError("results.json has no results")
    for rec in doc["results"]:
        validate_record(rec)
