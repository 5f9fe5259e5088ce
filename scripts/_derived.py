"""Shared steps of the ``scripts/derive_*.py`` scripts: check that the input is the recorded origin file, write a
derived CSV as deterministic gzip (mtime 0, no file name in the header: the same rows always give the same bytes).

The scripts run as ``python scripts/derive_<id>.py …``, so this folder is on ``sys.path`` and they import
``from _derived import …``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
from pathlib import Path


def origin_matches(path: Path, sha256: str, script: str) -> bool:
    """Whether ``path`` is the recorded origin file (its sha256); if not, say so on stderr naming both digests."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != sha256:
        print(f"{script}: {path} has sha256 {digest}, not the recorded {sha256}", file=sys.stderr)
        return False
    return True


def write_gzip(data: bytes, out: Path) -> Path:
    """``data`` gzip-compressed (level 9, mtime 0, empty file name) to ``out``, its folder made if needed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return out


def origin_args(argv: list[str] | None, *, doc: str, script: str, flag: str, sha256: str,
                default_out: str) -> tuple[Path, Path] | None:
    """The command line every single-origin derive script takes — ``--<flag> PATH`` (the origin file) and
    ``--out PATH`` (default ``default_out``) — parsed, and the origin checked (:func:`origin_matches`):
    ``(origin, out)``, or None after saying why on stderr."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument(f"--{flag}", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path(default_out))
    args = ap.parse_args(argv)
    origin = getattr(args, flag)
    return (origin, args.out) if origin_matches(origin, sha256, script) else None

