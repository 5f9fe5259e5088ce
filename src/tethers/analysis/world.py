"""The world view: one measure for every country in a year — ``tethers compare --world``, the dashboard's map.

Measures
--------
``import_share:POLE`` / ``export_share:POLE``
    the pole's share of the country's total goods imports / exports (POLE = RUS, CHN, EU27, USA, TUR, CASIA or
    any country), read through the ``trade`` dimension of the registry
    (:meth:`tethers.dimensions.base.Dimension.read` then :meth:`~tethers.dimensions.base.Reading.shares`), so the
    one coverage rule applies: a share only where the listed partners cover ≥ 95 % of the source's world total.
    Elsewhere the row keeps the pole's *level* (USD) with status ``partial`` / ``coverage unknown`` and a null
    value — levels are not shares.
``balance``
    the composite multi-vector balance index of the year
    (:func:`tethers.analysis.balance.balance_over_time`), ``insufficient`` (null) where the core dimensions
    (imports and exports) are not both covered.

Rows: every country the atlas's ``countries`` table lists for the year (aggregates excluded) and every trade
reporter, with ``[iso3, name, value, level, coverage, status, basis, reason]``, sorted by value (largest first,
gaps last). The reporters are found by SQL on the ``trade`` table (whatever sources the atlas holds); countries
that report nothing that year are ``no data`` without a read.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .. import countries
from ..atlas.schema import AGGREGATE_CODES
from ..atlas.store import Atlas
from ..dimensions.base import json_safe, pole_label, resolve_pole, sources_frame, standard_poles
from ..errors import OptionError

ROW_SCHEMA = {"iso3": pl.Utf8, "name": pl.Utf8, "value": pl.Float64, "level": pl.Float64, "coverage": pl.Float64,
              "status": pl.Utf8, "basis": pl.Utf8, "reason": pl.Utf8}
SHARE_KINDS = {"import_share": ("imports", "imports from"), "export_share": ("exports", "exports to")}
MEASURE_HELP = "import_share:POLE, export_share:POLE (POLE = RUS, CHN, EU27, USA, TUR, CASIA or a country) or balance"
# the statuses a world table counts, in display order ("coverage unknown" shown as "unknown")
COUNT_ORDER = ("ok", "partial", "coverage unknown", "insufficient", "n/a", "no data")


@dataclass(frozen=True)
class Measure:
    """A parsed measure: ``kind`` (``import_share``, ``export_share``, ``balance``), the pole (None for balance)."""

    id: str
    kind: str
    pole: str | None
    label: str
    unit: str
    definition: str


def parse_measure(text: str) -> Measure:
    """``"import_share:RUS"`` → :class:`Measure` (raises :class:`~tethers.errors.OptionError` with the choices)."""
    raw = str(text or "").strip()
    kind, sep, pole = raw.partition(":")
    kind = kind.strip().lower()
    if kind == "balance" and not sep:
        from ..analysis.balance import CORE_PARTS

        return Measure("balance", "balance", None, "multi-vector balance index (composite)", "index 0–1",
                       "Composite of the balance index B = 1 − HHI* over the poles RUS, CHN, EU27, USA, TUR, CASIA "
                       "(ROW excluded), weighted mean over the dimensions present in the year; not computed "
                       f"('insufficient') unless the core dimensions ({' and '.join(CORE_PARTS)}) are both covered.")
    if kind in SHARE_KINDS and sep and pole.strip():
        pid = resolve_pole(pole)
        part, words = SHARE_KINDS[kind]
        return Measure(f"{kind}:{pid}", kind, pid, f"share of {words} {pole_label(pid)}", "share",
                       f"{pole_label(pid)}'s share s_P = Σ_(p∈P) X_p / Σ_q X_q of the country's total goods {part} "
                       "(current USD, pole membership as of the year), only where the listed partners cover ≥ 95 % "
                       "of the source's world total (the coverage rule); elsewhere the level only.")
    raise OptionError(f"unknown measure {raw!r}: choose {MEASURE_HELP}")


@dataclass(frozen=True)
class WorldView:
    """One measure for every country in a year.

    Attributes
    ----------
    measure : the measure id (``import_share:RUS``, ``export_share:EU27``, ``balance``).
    label, unit, definition : what the value is.
    year : the year.
    rows : ``[iso3, name, value, level, coverage, status, basis, reason]`` sorted by value (largest first, gaps
        last). ``value`` is the share (0–1) or index, **null unless status is ok**; ``level`` is the pole's
        trade in USD where the data has it (also when shares are not allowed; null, not 0, where a partial source
        lists no partner of the pole); ``coverage`` the listed partners' share of the source's world total (for
        ``balance``: the share of the composite's weight covered); ``basis`` the source and definition; ``reason`` why a value is null.
    counts : status → number of countries.
    sources : ``[table, source, file, licence]``.
    notes : caveats.
    """

    measure: str
    label: str
    unit: str
    definition: str
    year: int
    rows: pl.DataFrame
    sources: pl.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        c = dict(self.rows.group_by("status").len().iter_rows())
        return {s: int(c[s]) for s in (*COUNT_ORDER, *sorted(set(c) - set(COUNT_ORDER))) if s in c}

    def value(self, iso3: str) -> float | None:
        hit = self.rows.filter(pl.col("iso3") == iso3)
        return hit["value"][0] if hit.height else None

    def row(self, iso3: str) -> dict | None:
        hit = self.rows.filter(pl.col("iso3") == iso3)
        return hit.row(0, named=True) if hit.height else None

    def tidy(self) -> dict[str, pl.DataFrame]:
        counts = pl.DataFrame({"status": list(self.counts), "n": list(self.counts.values())},
                              schema={"status": pl.Utf8, "n": pl.Int64})
        return {"rows": self.rows, "counts": counts, "sources": self.sources}

    def to_dict(self) -> dict:
        """JSON-ready (NaN becomes null)."""
        return json_safe({
            "measure": self.measure, "label": self.label, "unit": self.unit, "definition": self.definition,
            "year": self.year, "counts": self.counts, "rows": self.rows.to_dicts(),
            "sources": self.sources.to_dicts(), "notes": list(self.notes),
        })


# ---------------------------------------------------------------------------------------------- entry point


def world_view(measure: str, year: int, *, atlas: Atlas | None = None) -> WorldView:
    """``measure`` (see the module docstring) for every country in ``year``, sorted by value."""
    from ..atlas.store import open_atlas

    m = parse_measure(measure)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise OptionError(f"year {year!r} is not a year") from None
    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        universe = _universe(atlas, year)
        reporters = _reporters(atlas, year)
        if m.kind == "balance":
            rows, srcs = _balance_rows(atlas, year, reporters)
        else:
            rows, srcs = _share_rows(atlas, m, year, reporters)
        frame = _finish(universe, rows, year)
        notes = _notes(m, frame, year)
        return WorldView(m.id, m.label, m.unit, m.definition, year, frame, sources_frame(atlas, srcs), notes)
    finally:
        if own:
            atlas.close()


def _universe(atlas: Atlas, year: int) -> list[str]:
    """The countries of the atlas in ``year`` (aggregates excluded)."""
    df = atlas.sql("SELECT iso3 FROM countries WHERE (valid_from IS NULL OR valid_from <= ?) "
                   "AND (valid_to IS NULL OR valid_to >= ?) ORDER BY iso3", [year, year])
    return [c for c in df["iso3"].to_list() if c not in AGGREGATE_CODES]


def _reporters(atlas: Atlas, year: int) -> list[str]:
    """Every reporter of total trade in ``year``, whatever the source (one SQL query on the trade table)."""
    df = atlas.sql("SELECT DISTINCT reporter FROM trade WHERE classification = 'TOTAL' AND year = ? ORDER BY 1",
                   [year])
    return [c for c in df["reporter"].to_list() if c not in AGGREGATE_CODES]


def _share_rows(atlas: Atlas, m: Measure, year: int, reporters: list[str]) -> tuple[list[dict], list]:
    from .. import dimensions as registry

    dim = registry.get("trade")
    part = SHARE_KINDS[m.kind][0]
    parts = [p for p in dim.parts if p.id == part]
    poles = standard_poles(m.pole)
    rows, srcs = [], []
    for iso3 in reporters:
        if iso3 == m.pole:
            rows.append(_row(iso3, status="n/a", reason=f"{iso3} is itself the pole: its share with itself is "
                                                        "undefined"))
            continue
        reading = dim.read(atlas, iso3, (year, year), poles)
        srcs += [(t, s) for t, s in reading.sources if s]
        sh = reading.shares(parts).filter((pl.col("year") == year) & (pl.col("part") == part))
        hit = sh.filter(pl.col("pole") == m.pole)
        cov = reading.coverage.filter((pl.col("year") == year) & (pl.col("part") == part))
        c = cov.row(0, named=True) if cov.height else {"status": "no data", "coverage": None, "basis": "",
                                                       "reason": "no data"}
        r = hit.row(0, named=True) if hit.height else {}
        status = c["status"]
        value = r.get("share") if status == "ok" else None
        if status == "ok" and value is None:
            status, reason = "no data", c["reason"] or "no share: the total is zero"
        else:
            reason = c["reason"] or ""
        level = r.get("value")
        if status != "ok" and not (level and level > 0):  # no listed partner of the pole: unknown, not 0
            level = None
        rows.append(_row(iso3, value=value, level=level, coverage=c["coverage"], status=status,
                         basis=c["basis"] or "", reason=reason))
    return rows, _merge_sources(srcs)


def _balance_rows(atlas: Atlas, year: int, reporters: list[str]) -> tuple[list[dict], list]:
    from .. import dimensions as registry
    from .balance import balance_over_time

    trade = registry.get("trade")
    poles = standard_poles("RUS")
    rows, srcs = [], []
    for iso3 in reporters:
        reading = trade.read(atlas, iso3, (year, year), poles)
        if reading.status(year) != "ok":  # the core (imports and exports) is not covered: no composite
            why = reading.reason(year) or "trade not covered"
            rows.append(_row(iso3, status="insufficient", basis=_basis(reading, year),
                             reason="not computed: the core dimensions (imports and exports) are not both covered "
                                    f"this year — {why}"))
            continue
        bal = balance_over_time(iso3, year, year, atlas=atlas)
        srcs += [(t, (s,)) for t, s in bal.sources.select("table", "source").unique().iter_rows()]
        comp = bal.composite.filter(pl.col("year") == year).row(0, named=True)
        present = bal.by_dimension.filter((pl.col("year") == year) & pl.col("balance").is_not_null())["dimension"]
        ok = comp["status"] == "ok" and comp["balance"] is not None
        rows.append(_row(
            iso3, value=comp["balance"] if ok else None, coverage=comp["weight_covered"],
            status="ok" if ok else "insufficient",
            basis=f"composite of {comp['n_dimensions']} dimension(s): {', '.join(present.to_list())}",
            reason="" if ok else (comp["reason"] or "not computed")))
    return rows, _merge_sources(srcs)


def _basis(reading, year: int) -> str:
    c = reading.coverage.filter(pl.col("year") == year)
    return "; ".join(dict.fromkeys(b for b in c["basis"].to_list() if b))


def _merge_sources(srcs: list) -> list[tuple[str, tuple[str, ...]]]:
    by: dict[str, set[str]] = {}
    for table, ids in srcs:
        by.setdefault(table, set()).update(ids)
    return [(t, tuple(sorted(s))) for t, s in sorted(by.items())]


def _row(iso3: str, *, value=None, level=None, coverage=None, status: str = "no data", basis: str = "",
         reason: str = "") -> dict:
    def f(x):
        return None if x is None or x != x else float(x)

    return {"iso3": iso3, "name": countries.name(iso3), "value": f(value) if status == "ok" else None,
            "level": f(level), "coverage": f(coverage), "status": status, "basis": basis, "reason": reason}


def _finish(universe: list[str], rows: list[dict], year: int) -> pl.DataFrame:
    have = {r["iso3"] for r in rows}
    rows = rows + [_row(c, reason=f"no total trade reported by {c} for {year} in the atlas")
                   for c in universe if c not in have]
    df = pl.DataFrame(rows, schema=ROW_SCHEMA)
    return df.sort(pl.col("value").is_null(), pl.col("value"), "name", descending=[False, True, False])


def _notes(m: Measure, rows: pl.DataFrame, year: int) -> tuple[str, ...]:
    n_ok = rows.filter(pl.col("status") == "ok").height
    notes = [f"{n_ok} of {rows.height} countries have a value for {year}; the others show why not (status, reason)."]
    if m.kind != "balance":
        notes.append("partial / coverage unknown: the partners the source lists do not add up to ≥ 95 % of a known "
                     "world total, so the level (USD) is shown and no share.")
    return tuple(notes)


__all__ = ["Measure", "WorldView", "parse_measure", "world_view", "MEASURE_HELP"]
