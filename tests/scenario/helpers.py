"""Hand-made contexts for the channel tests (canonical column names, tiny numbers computed by hand)."""

from __future__ import annotations

import polars as pl

from tethers.atlas.schema import TABLES
from tethers.scenario.channels.base import Context


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    spec = TABLES[table]
    types = {"VARCHAR": pl.Utf8, "INTEGER": pl.Int32, "DOUBLE": pl.Float64, "DATE": pl.Date, "BOOLEAN": pl.Boolean}
    schema = {c.name: types[c.type] for c in spec.columns}
    full = [{c: r.get(c) for c in schema} for r in rows]
    return pl.DataFrame(full, schema=schema)


def trade_row(year, reporter, partner, flow, value, *, product="TOTAL", source="kz_bns") -> dict:
    level = 0 if product == "TOTAL" else len(product)
    cls = "TOTAL" if product == "TOTAL" else "HS02"
    return {"year": year, "reporter": reporter, "partner": partner, "classification": cls, "product": product,
            "level": level, "flow": flow, "value_usd": float(value), "source": source}


def context(trade_rows: list[dict], *, fx_rows=(), price_rows=(), io_rows=(), base_year=2021,
            coalition=frozenset({"DEU", "USA"}), targets=frozenset({"RUS"}), extra=None) -> Context:
    return Context(
        country="KAZ", base_year=base_year, coalition=frozenset(coalition), targets=frozenset(targets),
        trade=frame("trade", trade_rows), energy_flows=frame("energy_flows", []), routes=frame("routes", []),
        fx=frame("fx", list(fx_rows)), prices=frame("prices", list(price_rows)),
        io_summary=frame("io_summary", list(io_rows)), extra=dict(extra or {}),
    )
