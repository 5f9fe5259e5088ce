r"""Trade turnover between a country and a group of partners, and its growth, on each **basis**.

.. math::
    TO_t = X_t + M_t, \qquad g = TO_{t_1} / TO_{t_0} - 1

* **reporter** basis — the country's own statistics (e.g. Kazakhstan's BNS): its exports to and imports
  from the partners (``trade`` rows with ``reporter == country``). The Kazakh foreign ministry quotes this
  basis: EU–Kazakhstan turnover 2022 $39.9 bn, +38 % (The Astana Times, 2023-05-16).
* **mirror** basis — the partners' statistics (e.g. Eurostat for the EU27): the partners' imports from the
  country stand for its exports and their exports to it for its imports (``reporter`` in the partners or
  their aggregate code, ``partner == country``). Mirror figures differ from the reporter's by c.i.f./f.o.b.
  valuation, timing, country attribution (origin vs consignment) and currency conversion.

A direction missing on a basis leaves that basis's turnover null with the reason (never 0); the directions
the atlas does hold are still given with their own growth. Values in USD as the atlas stores them.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .trade import FrameLike, as_frame

__all__ = ["turnover_by_basis", "BASES"]

BASES: tuple[str, ...] = ("reporter", "mirror")


def _sum(df: pl.DataFrame, year: int, flow: str) -> float | None:
    d = df.filter((pl.col("year") == year) & (pl.col("flow") == flow))
    return float(d["value_usd"].sum()) if d.height else None


def turnover_by_basis(trade: FrameLike, country: str, partners: Iterable[str], *, years: tuple[int, int],
                      aggregate: str | None = None) -> pl.DataFrame:
    """Turnover of ``country`` with ``partners`` in ``years = (t0, t1)`` on the reporter and mirror bases.

    ``trade``: canonical ``trade`` rows, ``classification == 'TOTAL'`` (others are ignored). ``aggregate``:
    the partners' aggregate reporter code (``EUU`` for Eurostat's EU27), used on the mirror basis when the
    members themselves do not report. Returns one row per basis: ``[basis, sources, year0, year1, exports0,
    imports0, turnover0, exports1, imports1, turnover1, growth, exports_growth, imports_growth, reason]``
    (exports/imports from the country's side; null + ``reason`` where a direction is not in the trade rows).
    """
    t = as_frame(trade).filter(pl.col("classification") == "TOTAL")
    ps = sorted(set(partners))
    y0, y1 = years
    own = t.filter((pl.col("reporter") == country) & pl.col("partner").is_in(ps) & pl.col("year").is_in([y0, y1]))
    mirror_rep = [*ps, *([aggregate] if aggregate else [])]
    mir = t.filter(pl.col("reporter").is_in(mirror_rep) & (pl.col("partner") == country) & pl.col("year").is_in([y0, y1]))
    if aggregate and mir.filter(pl.col("reporter") == aggregate).height:
        mir = mir.filter(pl.col("reporter") == aggregate)  # the aggregate, not aggregate + members twice
    # on the mirror basis the partners' exports are the country's imports and vice versa
    mir = mir.with_columns(flow=pl.when(pl.col("flow") == "export").then(pl.lit("import")).otherwise(pl.lit("export")))
    rows = []
    for basis, df in (("reporter", own), ("mirror", mir)):
        r: dict = {"basis": basis, "sources": ", ".join(sorted(df["source"].unique().to_list())), "year0": y0, "year1": y1}
        missing = []
        for y, k in ((y0, "0"), (y1, "1")):
            for flow, name in (("export", "exports"), ("import", "imports")):
                v = _sum(df, y, flow)
                r[f"{name}{k}"] = v
                if v is None:
                    missing.append(f"{name} {y}")
            e, m = r[f"exports{k}"], r[f"imports{k}"]
            r[f"turnover{k}"] = e + m if e is not None and m is not None else None
        g = lambda a, b: b / a - 1.0 if a and b is not None else None  # noqa: E731
        r["growth"] = g(r["turnover0"], r["turnover1"])
        r["exports_growth"] = g(r["exports0"], r["exports1"])
        r["imports_growth"] = g(r["imports0"], r["imports1"])
        r["reason"] = ("" if not missing else
                       f"not in the trade rows on the {basis} basis: {', '.join(missing)} (from {country}'s side)")
        rows.append(r)
    f64 = pl.Float64
    schema = {"basis": pl.Utf8, "sources": pl.Utf8, "year0": pl.Int64, "year1": pl.Int64, "exports0": f64,
              "imports0": f64, "turnover0": f64, "exports1": f64, "imports1": f64, "turnover1": f64, "growth": f64,
              "exports_growth": f64, "imports_growth": f64, "reason": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)
