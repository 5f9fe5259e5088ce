"""One copy of each UN roll call when several vote sources hold it.

The vote sources overlap by date but not by roll call: in 2022 the UN Digital Library extract
(``undl``) holds the six ES-11 votes and the Voeten-derived wide file (``voeten_wide``) some eighty
other roll calls, and neither holds all. Picking one source per year would drop one or the other, so
:func:`one_copy_per_roll_call` keeps every roll call once instead:

* sources are taken in precedence order (:data:`tethers.atlas.queries.VOTE_PRECEDENCE`);
* a roll call of a later source is dropped when an earlier source already has a roll call with the
  same resolution symbol, or one on the same day with the same yes / no / abstain counts (the sources
  number roll calls differently: Voeten's ``rcid`` against the Digital Library record number);
* every roll call of the first source is kept, even two with one symbol (amendment and final vote).

Absences are not compared (``unvotes`` records none).
"""

from __future__ import annotations

import polars as pl


def one_copy_per_roll_call(df: pl.DataFrame, order: tuple[str, ...]) -> pl.DataFrame:
    """``votes`` rows with each roll call taken from the first source in ``order`` that holds it."""
    if df.height == 0 or df["source"].n_unique() == 1:
        return df
    rank = {s: i for i, s in enumerate(order)}
    calls = df.group_by("source", "rcid").agg(
        pl.col("date").first(), pl.col("resolution").drop_nulls().first(),
        *[(pl.col("vote") == v).sum().alias(v) for v in ("yes", "no", "abstain")],
    )
    sources = sorted(calls["source"].unique().to_list(), key=lambda s: (rank.get(s, len(order)), s))
    symbols: set[str] = set()
    tallies: set[tuple] = set()
    keep = []
    for s in sources:
        part = calls.filter(pl.col("source") == s)
        sig = list(zip(part["date"], part["yes"], part["no"], part["abstain"], strict=True))
        fresh = [(sym is None or sym not in symbols) and t not in tallies
                 for sym, t in zip(part["resolution"], sig, strict=True)]
        part = part.filter(pl.Series(fresh, dtype=pl.Boolean))
        keep.append(part.select("source", "rcid"))
        symbols |= set(part["resolution"].drop_nulls())
        tallies |= set(zip(part["date"], part["yes"], part["no"], part["abstain"], strict=True))
    return df.join(pl.concat(keep), on=["source", "rcid"], how="semi")
