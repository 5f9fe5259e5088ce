"""Build the shipped data pack (data/pack/*.parquet + MANIFEST.json) from ../shared/data.

    python scripts/build_pack.py --shared ../shared/data --out data/pack [--only kz_bns unvotes]

Running it twice on the same inputs gives byte-identical Parquet files (checked by
tests/test_pack.py when ../shared/data is present).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tethers.atlas.pack import attribution_markdown, build_pack, entry_files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="../shared/data", type=Path)
    ap.add_argument("--out", default="data/pack", type=Path)
    ap.add_argument("--only", nargs="*", help="rebuild only these source ids (others keep their entries)")
    args = ap.parse_args(argv)
    if not args.shared.is_dir():
        print(f"build_pack: {args.shared} is not a folder (it should be shared/data)", file=sys.stderr)
        return 2
    manifest = build_pack(
        args.shared, args.out, only=args.only,
        progress=lambda sid, i, n: print(f"[{i}/{n}] {sid}", file=sys.stderr),
    )
    Path("DATA_SOURCES.md").write_text(attribution_markdown(manifest), encoding="utf-8")
    total = sum((args.out / f).stat().st_size for e in manifest["entries"] for f in entry_files(e))
    for e in manifest["entries"]:
        n = len(entry_files(e))
        print(f"{e['source']:>16} {e['table']:<14} {e['rows']:>9,} rows" + (f" in {n} parts" if n > 1 else ""))
    print(f"pack: {len(manifest['entries'])} tables, {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
