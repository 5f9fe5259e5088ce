"""Derive the compact IMF DOTS backbone (data/derived/imf_dots_xlsx_1960_2020.csv.gz) from the DOTS workbooks.

    python scripts/derive_imf_dots_xlsx.py --repo /path/to/SamLeBlanc+Direction-of-Trade-Map/repo \
        [--commit a0b40afbac7cefc59a4b35c1ebe541ac546aafad] [--out data/derived/imf_dots_xlsx_1960_2020.csv.gz]

Origin: the 235 per-reporter IMF Direction of Trade Statistics workbooks ``data/DOTS/DOTS_<n>.xlsx`` of the
public repository ``SamLeBlanc/Direction-of-Trade-Map`` (MIT-licensed code; the data are IMF DOTS,
downloaded from data.imf.org in 2022, reusable with attribution under the IMF terms). ``--repo`` is a git
directory of that repository (e.g. the snapshot the search tool's ``fetch`` brings, or a clone); the
workbooks are read with ``git show <commit>:<path>``, so nothing is copied into this repository.

Each workbook is read with the ``imf_dots_xlsx`` loader (its own validation), the rows are concatenated,
the primary key is checked unique across workbooks (a reporter in two workbooks must carry the same
values), and the result is written sorted, value in million USD as published (shortest round-trip
float text), gzip with mtime 0: the same commit always gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

COMMIT = "a0b40afbac7cefc59a4b35c1ebe541ac546aafad"
KEY = ["reporter", "partner", "year", "flow"]


def workbook_paths(repo: Path, commit: str) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "--name-only", commit, "data/DOTS/"],
                         check=True, capture_output=True, text=True).stdout.split()
    return sorted((p for p in out if p.endswith(".xlsx")), key=lambda p: int(Path(p).stem.split("_")[-1]))


def derive(repo: Path, commit: str) -> pl.DataFrame:
    from tethers.errors import SourceFormatError
    from tethers.sources import get_source
    from tethers.sources._common import validate

    src = get_source("imf_dots_xlsx")
    frames = []
    with tempfile.TemporaryDirectory() as tmp:
        for rel in workbook_paths(repo, commit):
            blob = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{rel}"], check=True,
                                  capture_output=True).stdout
            f = Path(tmp) / Path(rel).name
            f.write_bytes(blob)
            try:
                rows = src.rows(f)
            except SourceFormatError as exc:
                if "is an aggregate without an ISO3 code" in exc.reason:  # Belgium-Luxembourg (to 1998), SACCA
                    print(f"skipped {rel}: {exc.reason}", file=sys.stderr)
                    continue
                raise
            for r, y, v in src.last_negatives:
                print(f"left out {rel} row {r} year {y}: negative value {v}", file=sys.stderr)
            validate("trade", src.parse_frame(rows), source=src.id, file=rel)  # canonical checks, unique key
            frames.append(rows.select(*KEY, "value_musd", "basis").with_columns(pl.lit(rel).alias("file")))
    df = pl.concat(frames)
    # the same reporter may come in two workbooks: identical rows are one, different values an error
    dup = df.group_by(KEY).agg(pl.struct("value_musd", "basis").n_unique().alias("n"),
                               pl.col("file").unique().alias("files"))
    bad = dup.filter(pl.col("n") > 1)
    if bad.height:
        raise SystemExit(f"conflicting values for {bad.height} keys, e.g. {bad.row(0, named=True)}")
    return df.unique(subset=KEY, keep="first").drop("file").sort(KEY)


def write(df: pl.DataFrame, out: Path) -> None:
    buf = io.StringIO()
    buf.write(",".join(["reporter", "partner", "year", "flow", "value_musd", "basis"]) + "\n")
    for r, p, y, fl, v, b in df.iter_rows():
        buf.write(f"{r},{p},{y},{fl},{v!r},{b}\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(buf.getvalue().encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", required=True, type=Path, help="git directory of SamLeBlanc/Direction-of-Trade-Map")
    ap.add_argument("--commit", default=COMMIT)
    ap.add_argument("--out", default=Path("data/derived/imf_dots_xlsx_1960_2020.csv.gz"), type=Path)
    args = ap.parse_args(argv)
    df = derive(args.repo, args.commit)
    write(df, args.out)
    print(f"{args.out}: {df.height:,} rows, {df['reporter'].n_unique()} reporters, "
          f"years {df['year'].min()}–{df['year'].max()}, {args.out.stat().st_size / 1e6:.2f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
