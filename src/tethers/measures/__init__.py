"""Pure measures over tidy atlas tables, one module per dimension.

Each module takes canonical tables (Polars frames or Arrow tables with the column names of
:mod:`tethers.atlas.schema`) and returns tidy Polars frames. Measures never receive a database connection
and never touch the network. Formulas and references are collected in ``docs/methods.md``.

Modules: ``trade`` (partner and pole shares, HHI), ``critical`` (product-level critical dependencies),
``alignment`` (UN voting agreement, Cohen's kappa), ``fx`` (log returns, rolling beta, pass-through),
``balance`` (multi-vector balance index and its decomposition), ``security`` (arms imports, alliances,
security ties), ``transit`` (exports leaving through a pole's territory), ``institutions``.
Import the module you need (``from tethers.measures import trade``); nothing is imported eagerly here.
"""
