"""Derive the compact IMF DOTS backbone (data/derived/imf_dots_xlsx_<from>_<to>.csv.gz) from the DOTS workbooks.

    python scripts/derive_imf_dots_xlsx.py --repo /path/to/SamLeBlanc+Direction-of-Trade-Map/repo \
        [--commit a0b40afbac7cefc59a4b35c1ebe541ac546aafad] [--out-dir data/derived]
    python scripts/derive_imf_dots_xlsx.py --from-csv imf_dots_xlsx_1960_2020.csv.gz [--out-dir data/derived]

The rows are written as one file per period of :data:`PERIODS` (1960–1989, 1990–2004, 2005–2020), each
under the project's 8 MiB-per-file guideline (checked here; the derivation stops if a part grows past it).
The loader's ``pack_inputs`` lists the same parts. ``--from-csv`` re-splits an earlier single derived file
(the 13.9 MB ``imf_dots_xlsx_1960_2020.csv.gz`` of commit c01a743, sha256 ``5fb77193…``) text for text,
without the workbooks; from the workbooks and from that file the parts come out byte-identical.

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
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
from _derived import write_gzip

COMMIT = "a0b40afbac7cefc59a4b35c1ebe541ac546aafad"
KEY = ["reporter", "partner", "year", "flow"]
HEADER = ["reporter", "partner", "year", "flow", "value_musd", "basis"]
# one file per period (first, last year), each < MAX_PART_BYTES; the loader's pack_inputs name the same files
PERIODS = ((1960, 1989), (1990, 2004), (2005, 2020))
MAX_PART_BYTES = 8 * 1024 * 1024


def part_name(first: int, last: int) -> str:
    return f"imf_dots_xlsx_{first}_{last}.csv.gz"


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
    """One gzip CSV (mtime 0): value_musd as shortest round-trip float text, or verbatim when already text."""
    buf = io.StringIO()
    buf.write(",".join(HEADER) + "\n")
    for r, p, y, fl, v, b in df.select(HEADER).iter_rows():
        buf.write(f"{r},{p},{y},{fl},{v if isinstance(v, str) else repr(v)},{b}\n")
    write_gzip(buf.getvalue().encode("utf-8"), out)


def write_parts(df: pl.DataFrame, out_dir: Path) -> list[Path]:
    """The rows (sorted by KEY) as one file per period of PERIODS; every row must fall in one, every file < 8 MiB."""
    year = pl.col("year").cast(pl.Int32)
    outside = df.filter(~pl.any_horizontal([year.is_between(a, b) for a, b in PERIODS]))
    if outside.height:
        raise SystemExit(f"{outside.height} rows outside the periods {PERIODS}, e.g. {outside.row(0, named=True)}")
    paths = []
    for a, b in PERIODS:
        out = out_dir / part_name(a, b)
        write(df.filter(year.is_between(a, b)), out)
        if out.stat().st_size >= MAX_PART_BYTES:
            raise SystemExit(f"{out}: {out.stat().st_size:,} bytes, over the 8 MiB per file guideline: "
                             "split PERIODS further (and the loader's pack_inputs)")
        paths.append(out)
    return paths


def from_csv(path: Path) -> pl.DataFrame:
    """An earlier derived file, every column as text (values written back verbatim), in KEY order."""
    df = pl.read_csv(path, infer_schema_length=0)
    if df.columns != HEADER:
        raise SystemExit(f"{path}: header {df.columns}, expected {HEADER}")
    return df.sort(pl.col("reporter"), pl.col("partner"), pl.col("year").cast(pl.Int32), pl.col("flow"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--repo", type=Path, help="git directory of SamLeBlanc/Direction-of-Trade-Map")
    src.add_argument("--from-csv", type=Path, help="re-split an earlier single derived file (no workbooks needed)")
    ap.add_argument("--commit", default=COMMIT)
    ap.add_argument("--out-dir", default=Path("data/derived"), type=Path)
    args = ap.parse_args(argv)
    df = from_csv(args.from_csv) if args.from_csv else derive(args.repo, args.commit)
    for out in write_parts(df, args.out_dir):
        print(f"{out}: {out.stat().st_size / 1e6:.2f} MB", file=sys.stderr)
    print(f"{df.height:,} rows, {df['reporter'].n_unique()} reporters, "
          f"years {df['year'].cast(pl.Int32).min()}–{df['year'].cast(pl.Int32).max()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
