"""Build hook only (metadata and dependencies live in pyproject.toml).

``build_py`` copies the repository's data pack (``data/pack``), example scenarios (``scenarios/``) and
strategic-options files (``options/``) into the wheel as ``tethers/data/{pack,scenarios,options}``, so that
``pip install tethers-*.whl`` brings everything ``tethers atlas build`` and the examples need. The repository
folders stay the one source of truth (``make pack`` writes ``data/pack``); ``tethers.atlas.shipped`` finds the copies
in an installed wheel and the originals in a checkout. Editable installs copy nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"data/pack": "pack", "scenarios": "scenarios", "options": "options"}
KEEP = ("*.parquet", "*.json", "*.yaml", "*.yml", "*.toml", "*.md")


class BuildPyWithShippedData(build_py):
    def run(self):
        if not getattr(self, "editable_mode", False):  # no stale modules from an earlier build (build/ persists)
            shutil.rmtree(Path(self.build_lib) / "tethers", ignore_errors=True)
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for src, name in SHIPPED.items():
            origin = ROOT / src
            if not origin.is_dir():
                raise SystemExit(f"{origin}: missing; the wheel must ship it (see tethers/shipped.py)")
            dest = Path(self.build_lib) / "tethers" / "data" / name
            if dest.exists():
                shutil.rmtree(dest)
            for f in sorted(p for pattern in KEEP for p in origin.rglob(pattern) if p.is_file()):
                out = dest / f.relative_to(origin)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, out)


setup(cmdclass={"build_py": BuildPyWithShippedData})
