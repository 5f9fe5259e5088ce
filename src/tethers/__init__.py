"""tethers — measure a country's strategic dependencies and simulate sanctions spillovers.

Public API::

    import tethers
    atlas = tethers.open_atlas()            # DuckDB atlas (built from the shipped data pack on first use)
    prof = tethers.analysis.profile("KAZ", 2021)     # dependency profile, tidy tables via prof.tidy()
    res = tethers.check(text)               # a policy text's figures checked against the atlas (res.tidy())
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__", "open_atlas", "build_atlas", "profile", "resolve_country", "check"]


def __getattr__(name: str):  # lazy imports keep `tethers --help` fast
    if name in ("open_atlas", "build_atlas"):
        from .atlas import store

        return getattr(store, name)
    if name == "profile":
        from .analysis.profile import profile

        return profile
    if name == "check":  # the package tethers.check is callable: tethers.check(text, year=…, lang=…)
        import importlib

        return importlib.import_module(".check", __name__)
    if name == "resolve_country":
        from .countries import resolve

        return resolve
    raise AttributeError(name)
