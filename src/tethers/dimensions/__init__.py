"""The dimensions of dependence — one module each, one registry, one coverage rule (:mod:`.base`).

``profile``, ``dependence``, ``balance``, ``compare``, the report, the dashboard and the options evaluator
iterate over :func:`registered`; a dimension added with :func:`register` appears in all of them.

Built in (in this order): ``trade``, ``critical``, ``energy``, ``institutions``, ``security``, ``votes``,
``fx``.
"""

from __future__ import annotations

import importlib

from .base import Dimension, Part

BUILTIN: tuple[str, ...] = ("trade", "critical", "energy", "institutions", "security", "votes", "fx")
_REGISTRY: dict[str, Dimension] = {}
_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in BUILTIN:
        dim = importlib.import_module(f"{__name__}.{mod}").DIMENSION
        _REGISTRY.setdefault(dim.id, dim)
    order = {d: i for i, d in enumerate(BUILTIN)}
    items = sorted(_REGISTRY.items(), key=lambda kv: order.get(kv[0], len(order)))
    _REGISTRY.clear()
    _REGISTRY.update(items)


def register(dimension: Dimension) -> Dimension:
    """Add ``dimension`` to the registry (after the built-in ones); returns it, so it can decorate an instance."""
    _load_builtin()
    if not dimension.id or dimension.id in _REGISTRY and _REGISTRY[dimension.id] is not dimension:
        raise ValueError(f"a dimension with id {dimension.id!r} is already registered (or the id is empty)")
    _REGISTRY[dimension.id] = dimension
    return dimension


def unregister(dimension_id: str) -> None:
    """Remove a registered dimension (the built-in ones cannot be removed)."""
    if dimension_id in BUILTIN:
        raise ValueError(f"{dimension_id!r} is built in")
    _REGISTRY.pop(dimension_id, None)


def registered() -> tuple[Dimension, ...]:
    """Every dimension, built-in first, in registration order."""
    _load_builtin()
    return tuple(_REGISTRY.values())


def get(dimension_id: str) -> Dimension:
    _load_builtin()
    try:
        return _REGISTRY[dimension_id]
    except KeyError:
        raise KeyError(f"no dimension {dimension_id!r}; registered: {', '.join(_REGISTRY)}") from None


def parts() -> tuple[tuple[Dimension, Part], ...]:
    """Every pole-split series of every dimension (what the balance index is computed on), in order."""
    return tuple((d, p) for d in registered() for p in d.parts)


__all__ = ["BUILTIN", "Dimension", "Part", "register", "unregister", "registered", "get", "parts"]
