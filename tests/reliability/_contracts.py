"""Discovery of every loader contract class (the sources suite plus this package's additions)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

from tests.sources.contract import SourceContract

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".txt")
MIN_KINDS = 10


def contract_classes() -> list[type[SourceContract]]:
    """Every concrete ``SourceContract`` subclass in tests/sources/test_*.py and tests/reliability/test_*.py."""
    import tests.reliability as rel
    import tests.sources as src

    out = []
    for pkg in (src, rel):
        for mod in pkgutil.iter_modules(pkg.__path__):
            if not mod.name.startswith("test_"):
                continue
            module = importlib.import_module(f"{pkg.__name__}.{mod.name}")
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, SourceContract) and cls is not SourceContract and cls.__module__ == module.__name__:
                    out.append(cls)
    return out


def is_csv(sample: str) -> bool:
    return sample.lower().endswith(CSV_SUFFIXES)


def kinds_per_loader() -> dict[tuple[str, str], set[str]]:
    """(source id, sample) → the distinct bad-input kinds declared for it across all contract classes."""
    kinds: dict[tuple[str, str], set[str]] = defaultdict(set)
    for cls in contract_classes():
        kinds[(cls.source_id, cls.sample)] |= {c.name for c in cls.bad_cases}
    return dict(kinds)
