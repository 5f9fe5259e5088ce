"""Files shipped with tethers: the data pack, the example scenario files and the strategic-options files.

One source of truth: the repository's ``data/pack/``, ``scenarios/`` and ``options/`` (``make pack`` writes the
pack there). A wheel carries copies made at build time by ``setup.py`` (its ``build_py`` copies the three folders
into ``tethers/data/{pack,scenarios,options}``), so an installed tethers finds them without a checkout:

* installed from a wheel: ``<site-packages>/tethers/data/<name>`` (package data);
* in a checkout (editable install, ``make run``): the repository's folder, found beside ``pyproject.toml``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# name → the folder in the repository (relative to its root); in a wheel: tethers/data/<name>
FOLDERS: dict[str, str] = {"pack": "data/pack", "scenarios": "scenarios", "options": "options"}
# the kind of file ``tethers.scenario.specfile.read_document`` reads → the folder holding the shipped ones
KIND_FOLDER: dict[str, str] = {"scenario": "scenarios", "options": "options"}


def _usable(name: str, folder: Path) -> bool:
    if name == "pack":
        return (folder / "MANIFEST.json").is_file()
    return folder.is_dir() and any(folder.glob("*.yaml"))


def shipped_dir(name: str) -> Path | None:
    """The shipped ``name`` folder (``pack``, ``scenarios`` or ``options``), or None when there is none."""
    packaged = Path(str(resources.files("tethers"))) / "data" / name
    if _usable(name, packaged):
        return packaged
    for parent in Path(__file__).resolve().parents:
        cand = parent / FOLDERS[name]
        if (parent / "pyproject.toml").is_file() and _usable(name, cand):
            return cand
    return None


def shipped_file(path: str | Path, kind: str) -> Path | None:
    """A shipped scenario or options file standing in for ``path`` when ``path`` does not exist: matched by file
    name (``scenarios/eu-2022.yaml`` or ``eu-2022.yaml`` → the shipped ``eu-2022.yaml``), else None."""
    folder = shipped_dir(KIND_FOLDER[kind]) if kind in KIND_FOLDER else None
    if folder is None:
        return None
    cand = folder / Path(path).name
    return cand if cand.is_file() else None
