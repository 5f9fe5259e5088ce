"""Sanctions spillover simulator: a scenario spec → per-channel effects on third countries, with uncertainty.

* :mod:`.spec` — the scenario file (YAML/TOML), validated field by field (data only, no code).
* :mod:`.channels` — one module per channel, all with the :class:`~.channels.base.Channel` contract.
* :mod:`.engine` — builds the :class:`~.channels.base.Context` from the atlas, draws parameters, runs the
  channels (locally or on Dask) and returns a :class:`~.engine.SpilloverResult`.
"""
