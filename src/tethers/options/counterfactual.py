r"""Counterfactual tables: (tables, option, level) → new tables. Pure: inputs are never modified.

Each option kind is one transformation of the canonical tidy tables (``trade``, ``memberships``,
``routes``) for the counterfactual year *t* (the base year):

``supplier_shift``  For every product *p* listed (``TOTAL``, an HS code or ``CLASS:CODE``), every source,
    and imports :math:`X_{j}` of the reporter from supplier *j* in *t*: the supplier *s* loses
    :math:`m = \lambda\,\sigma\,X_s` (level :math:`\lambda`, share :math:`\sigma`), and each recipient *j*
    gains :math:`m\,w_j / \sum_k w_k` with :math:`w_j = X_j` (``to: proportional``: every other supplier with
    positive imports; a named list: those suppliers, equally when none of them supplied *p*). The
    product's total is unchanged. A shift of a product other than ``TOTAL`` adds the same partner deltas
    (those of the first source in :data:`tethers.atlas.queries.TRADE_PRECEDENCE`) to the ``TOTAL`` rows, so total
    imports by partner move with it. Product groups in another classification (e.g. WTO MTN 12 when HS 26
    is shifted) are not remapped.
``neighbour_trade``  Adds :math:`\lambda A` (``flow: both``: :math:`\lambda A/2` to imports and to exports) to
    the ``TOTAL`` rows of the partners, split in proportion to existing trade with them (equally when
    none); the ``WLD`` total row, where there is one, grows by the same amount. Nothing is displaced.
``route_capacity``  :math:`K_r \leftarrow K_r + \lambda\,\Delta K` in the route's own unit (the option's unit
    must match).
``membership``  ``leave``: spells of the pair (organisation, country) running in *t* end in *t − 1* (a
    spell starting in *t* is dropped); the hand-kept spells when the pair has any (their precedence, as
    :func:`tethers.measures.institutions.memberships_in_year`), else the other sources'. ``join``: a full
    hand-kept spell from *t* on. All-or-nothing: the level must be 0 or 1.

Options are applied in the order of their ids (:func:`apply_levels`), never in the order they are listed,
so a combination's result does not depend on the file's order. Quantities on changed trade rows are scaled
with the value (null on rows created).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import polars as pl

from ..errors import OptionError
from ..measures.exact import fsum, fsum_agg
from .spec import Membership, NeighbourTrade, RouteCapacity, SupplierShift, product_key

__all__ = ["Tables", "shift_supplier", "add_neighbour_trade", "add_route_capacity", "change_membership", "apply",
           "apply_levels", "shifted_usd", "TOUCHES"]

# which table each option kind changes
TOUCHES = {"supplier_shift": "trade", "neighbour_trade": "trade", "route_capacity": "routes",
           "membership": "memberships"}
_AGG = ("WLD",)


@dataclass(frozen=True)
class Tables:
    """The tidy tables an option can change, for ``country`` in the counterfactual ``year``.

    Attributes
    ----------
    country : ISO3 of the reporter whose options these are.
    year : the counterfactual (base) year.
    trade : canonical ``trade`` rows (any reporters, years, sources; only the reporter's rows of ``year`` change).
    memberships : canonical ``memberships`` spells (all countries and sources).
    routes : canonical ``routes`` table.
    """

    country: str
    year: int
    trade: pl.DataFrame
    memberships: pl.DataFrame
    routes: pl.DataFrame


# ---------------------------------------------------------------------------------------------- trade


def _sel(reporter: str, year: int, flow: str, cls: str, prod: str, source: str | None = None) -> pl.Expr:
    e = ((pl.col("reporter") == reporter) & (pl.col("year") == year) & (pl.col("flow") == flow)
         & (pl.col("classification") == cls) & (pl.col("product") == prod))
    return e & (pl.col("source") == source) if source is not None else e


def _add_deltas(trade: pl.DataFrame, sel: pl.Expr, deltas: Mapping[str, float]) -> pl.DataFrame:
    """Add ``deltas`` (partner → USD) to the rows picked by ``sel`` (one key), creating missing partner rows."""
    part, rest = trade.filter(sel), trade.filter(~sel)
    if part.height == 0 or not deltas:
        return trade
    missing = sorted(set(deltas) - set(part["partner"].to_list()))
    if missing:
        tmpl = part.head(1)
        new = pl.concat([tmpl.with_columns(partner=pl.lit(p), value_usd=pl.lit(0.0), quantity=pl.lit(None))
                         for p in missing]).cast(part.schema)
        part = pl.concat([part, new])
    d = pl.col("partner").replace_strict(dict(deltas), default=0.0, return_dtype=pl.Float64)
    old = pl.col("value_usd")
    new_v = pl.max_horizontal(old + d, pl.lit(0.0))
    part = part.with_columns(
        quantity=pl.when(old > 0).then(pl.col("quantity") * new_v / old).otherwise(pl.col("quantity")),
        value_usd=new_v,
    ).cast(part.schema)
    return pl.concat([rest, part])


def _split(amount: float, weights: Mapping[str, float]) -> dict[str, float]:
    total = fsum(weights.values())  # exact: the same bits whatever order the partners come in
    if total > 0:
        return {k: amount * w / total for k, w in weights.items() if w > 0}
    return {k: amount / len(weights) for k in weights} if weights else {}


def _shift_deltas(rows: pl.DataFrame, *, supplier: str, share: float, to, reporter: str) -> dict[str, float]:
    by = dict(rows.filter(~pl.col("partner").is_in([*_AGG, reporter])).group_by("partner")
              .agg(fsum_agg("value_usd")).iter_rows())
    moved = share * by.get(supplier, 0.0)
    if moved <= 0:
        return {}
    if to == "proportional":
        weights = {p: v for p, v in by.items() if p != supplier and v > 0}
    else:
        weights = {p: by.get(p, 0.0) for p in to}
    gains = _split(moved, weights)
    if not gains:
        return {}
    return {supplier: -moved, **gains}


def _sources(trade: pl.DataFrame, sel: pl.Expr) -> list[str]:
    from ..atlas.queries import TRADE_PRECEDENCE

    srcs = trade.filter(sel)["source"].unique().to_list()
    return sorted(srcs, key=lambda s: (TRADE_PRECEDENCE.index(s) if s in TRADE_PRECEDENCE else 99, s))


def shift_supplier(trade: pl.DataFrame, *, reporter: str, year: int, products: Iterable[str], supplier: str,
                   share: float, to="proportional", flow: str = "import") -> pl.DataFrame:
    """Move ``share`` of ``reporter``'s ``flow`` of ``products`` from ``supplier`` to others (module docstring)."""
    out = trade
    for code in products:
        cls, prod = product_key(code)
        base = _sel(reporter, year, flow, cls, prod)
        first: dict[str, float] | None = None
        for src in _sources(out, base):
            sel = _sel(reporter, year, flow, cls, prod, src)
            deltas = _shift_deltas(out.filter(sel), supplier=supplier, share=share, to=to, reporter=reporter)
            first = deltas if first is None else first
            out = _add_deltas(out, sel, deltas)
        if cls != "TOTAL" and first:
            total = _sel(reporter, year, flow, "TOTAL", "TOTAL")
            for src in _sources(out, total):
                out = _add_deltas(out, _sel(reporter, year, flow, "TOTAL", "TOTAL", src), first)
    return out


def shifted_usd(trade: pl.DataFrame, *, reporter: str, year: int, products: Iterable[str], supplier: str,
                share: float, flow: str = "import") -> float:
    """USD moved by :func:`shift_supplier` at level 1: :math:`\\sigma \\sum_p X_{s,p}` (first source per product)."""
    total = 0.0
    for code in products:
        cls, prod = product_key(code)
        srcs = _sources(trade, _sel(reporter, year, flow, cls, prod))
        if srcs:
            rows = trade.filter(_sel(reporter, year, flow, cls, prod, srcs[0]) & (pl.col("partner") == supplier))
            total += share * fsum(rows["value_usd"])
    return total


def add_neighbour_trade(trade: pl.DataFrame, *, reporter: str, year: int, partners: Iterable[str], amount_usd: float,
                        flow: str = "both") -> pl.DataFrame:
    """Raise ``reporter``'s total trade with ``partners`` by ``amount_usd`` (split as in the module docstring)."""
    partners = [p for p in partners if p != reporter]
    flows = {"import": amount_usd} if flow == "import" else {"export": amount_usd} if flow == "export" else \
        {"import": amount_usd / 2, "export": amount_usd / 2}
    out = trade
    for f, amount in flows.items():
        base = _sel(reporter, year, f, "TOTAL", "TOTAL")
        for src in _sources(out, base):
            sel = _sel(reporter, year, f, "TOTAL", "TOTAL", src)
            rows = out.filter(sel)
            by = dict(rows.group_by("partner").agg(fsum_agg("value_usd")).iter_rows())
            deltas = _split(amount, {p: by.get(p, 0.0) for p in partners})
            if "WLD" in by:
                deltas["WLD"] = amount
            out = _add_deltas(out, sel, deltas)
    return out


# ---------------------------------------------------------------------------------------------- routes


def add_route_capacity(routes: pl.DataFrame, *, route: str, add: float, unit: str) -> pl.DataFrame:
    """``capacity += add`` on ``route`` (every row of that id); ``unit`` must be the route's unit."""
    hit = routes.filter(pl.col("route_id") == route)
    if hit.height == 0:
        raise OptionError(f"route {route!r} is not in the routes table")
    units = {str(u) for u in hit["unit"].to_list()}
    if {u.lower() for u in units} != {unit.lower()}:
        raise OptionError(f"route {route!r} has capacity in {', '.join(sorted(units))}; the option gives {unit}")
    if hit["capacity"].is_null().any():
        raise OptionError(f"route {route!r} has no known capacity to add to")
    return routes.with_columns(
        capacity=pl.when(pl.col("route_id") == route).then(pl.col("capacity") + add).otherwise(pl.col("capacity")))


# ---------------------------------------------------------------------------------------------- memberships


def change_membership(memberships: pl.DataFrame, *, country: str, organisation: str, year: int,
                      action: str) -> pl.DataFrame:
    """Leave or join ``organisation`` from ``year`` on (see the module docstring)."""
    from ..measures.institutions import AUTHORITATIVE, memberships_in_year

    org = memberships.filter(pl.col("organisation") == organisation)
    if org.height == 0:
        raise OptionError(f"organisation {organisation!r} is not in the memberships table")
    member = organisation in memberships_in_year(memberships, country, year)["organisation"].to_list()
    pair = (pl.col("organisation") == organisation) & (pl.col("country") == country)
    if action == "leave":
        if not member:
            raise OptionError(f"{country} is not a member of {organisation} in {year}: it cannot leave")
        hand = memberships.filter(pair & (pl.col("source") == AUTHORITATIVE)).height > 0
        mine = pair & (pl.col("source") == AUTHORITATIVE) if hand else pair
        running = mine & (pl.col("joined") <= year) & (pl.col("left").is_null() | (pl.col("left") >= year))
        kept = memberships.filter(~(running & (pl.col("joined") == year)))
        still = running & (pl.col("joined") < year)
        return kept.with_columns(
            left=pl.when(still).then(pl.lit(year - 1)).otherwise(pl.col("left")).cast(memberships.schema["left"]),
            left_date=pl.when(still).then(pl.lit(None)).otherwise(pl.col("left_date")),
        )
    if member:
        raise OptionError(f"{country} is already a member of {organisation} in {year}: it cannot join")
    hand = org.filter(pl.col("source") == AUTHORITATIVE)
    if hand.height == 0:
        raise OptionError(f"{organisation!r} is not in the hand-kept table; only those organisations count in the "
                          "institutions dimension")
    tmpl = hand.head(1)
    new = tmpl.with_columns(country=pl.lit(country), status=pl.lit("full"), joined=pl.lit(year), left=pl.lit(None),
                            joined_date=pl.lit(None), left_date=pl.lit(None),
                            citation=pl.lit("counterfactual (tethers options): joins in the base year"),
                            **{c: pl.lit(None) for c in ("participation", "participation_from") if c in tmpl.columns},
                            ).cast(tmpl.schema)
    return pl.concat([memberships, new])


# ---------------------------------------------------------------------------------------------- dispatch


def apply(tables: Tables, option, level: float) -> Tables:
    """``tables`` after ``option`` at ``level`` (0 = not taken, 1 = in full; all-or-nothing options take 0 or 1)."""
    if not 0.0 <= level <= 1.0:
        raise OptionError(f"option {option.id}: level {level} is outside 0–1")
    if not option.divisible and level not in (0.0, 1.0):
        raise OptionError(f"option {option.id} is all-or-nothing: level must be 0 or 1, got {level}")
    if level == 0.0:
        return tables
    c, y = tables.country, tables.year
    if isinstance(option, SupplierShift):
        return replace(tables, trade=shift_supplier(tables.trade, reporter=c, year=y, products=option.products,
                                                    supplier=option.supplier, share=option.share * level,
                                                    to=option.to))
    if isinstance(option, NeighbourTrade):
        return replace(tables, trade=add_neighbour_trade(tables.trade, reporter=c, year=y, partners=option.partners,
                                                         amount_usd=option.amount_usd * level, flow=option.flow))
    if isinstance(option, RouteCapacity):
        return replace(tables, routes=add_route_capacity(tables.routes, route=option.route, add=option.add * level,
                                                         unit=option.unit))
    if isinstance(option, Membership):
        return replace(tables, memberships=change_membership(tables.memberships, country=c,
                                                             organisation=option.organisation, year=y,
                                                             action=option.action))
    raise OptionError(f"unknown option kind {getattr(option, 'type', option)!r}")


def apply_levels(tables: Tables, options: Iterable, levels: Mapping[str, float], *,
                 kinds: Iterable[str] | None = None) -> Tables:
    """Apply every option with a positive level, in the order of option ids; ``kinds`` narrows the kinds applied."""
    wanted = set(kinds) if kinds is not None else set(TOUCHES)
    by_id = {o.id: o for o in options}
    unknown = sorted(set(levels) - set(by_id))
    if unknown:
        raise OptionError(f"unknown option id(s) {', '.join(unknown)}; options: {', '.join(sorted(by_id))}")
    out = tables
    for oid in sorted(levels):
        if levels[oid] > 0 and by_id[oid].type in wanted:
            out = apply(out, by_id[oid], float(levels[oid]))
    return out
