"""Spillover channels. Each module defines one :class:`~.base.Channel`; the engine discovers them in
:data:`CHANNELS` (add a new channel by writing one module and listing it here)."""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("trade", "transit", "fx", "markets", "io", "diversion", "prices")
