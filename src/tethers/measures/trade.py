"""Trade measures: partner shares, pole shares and concentration (HHI) over the canonical ``trade`` table.

Every function takes the ``trade`` table (a Polars frame or an Arrow table with the columns of
``tethers.atlas.schema.TABLES["trade"]``) and returns a tidy Polars frame. All reporters, years and flows are
computed at once with ``group_by`` / window expressions; ``reporter=`` and ``year=`` only narrow the rows.

Conventions shared by every function here
-----------------------------------------
* Values are current US dollars (``value_usd``); shares are in 0–1.
* A group whose total is zero gets ``NaN`` shares and ``NaN`` concentration, never 0.
* Rows whose partner is the aggregate ``WLD`` (world) are totals, not partners, and are dropped;
  ``XXX`` (areas not elsewhere specified) is kept as a partner and falls in ``ROW`` for poles.
* ``product="TOTAL"`` (the default) uses the all-goods rows; ``product=None`` computes every product
  separately (``classification`` and ``product`` become keys). Give the rows of one ``source`` per
  reporter-year, or pass ``by=("source",)`` to keep sources apart (otherwise they are summed).

The small helpers at the bottom (:func:`as_frame`, :func:`choose`, :func:`pole_membership`,
:func:`normalised_hhi`) are shared by the other measure modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import polars as pl
import pyarrow as pa

from ..atlas.schema import FLOWS
from ..countries import POLE_ORDER, pole_map, resolve
from ..errors import OptionError
from .exact import fsum_agg

FrameLike = pl.DataFrame | pl.LazyFrame | pa.Table
FlowArg = Literal["import", "export"] | None
ConcentrationBy = Literal["total", "product"]

__all__ = [
    "partner_shares",
    "pole_shares",
    "hhi",
    "concentration",
    "pole_membership",
    "normalised_hhi",
]


# --------------------------------------------------------------------------------------------
# Shares
# --------------------------------------------------------------------------------------------


def partner_shares(
    trade: FrameLike,
    *,
    reporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    flow: FlowArg = None,
    product: str | None = "TOTAL",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    r"""Share of each partner in a reporter's trade.

    .. math:: s_{rp} = \frac{X_{rp}}{\sum_{q} X_{rq}}

    where :math:`X_{rp}` is the value (current USD) of reporter *r*'s ``flow`` with partner *p* in a year.
    Computed per key ``[reporter, year, flow, *by]`` (plus ``classification, product`` when
    ``product=None``), for all keys at once.

    Parameters
    ----------
    trade : the canonical ``trade`` table.
    reporter, year : optional filters (one value or several).
    flow : ``"import"``, ``"export"`` or ``None`` (default: both flows, each with its own shares).
    product : product code to use (default ``"TOTAL"``, all goods); ``None`` = every product separately.
    by : further key columns, e.g. ``("source",)``.

    Returns
    -------
    pl.DataFrame
        ``[reporter, year, flow, *by, (classification, product), partner, value_usd, share]``, sorted by
        key then by value (largest first). ``share`` is in 0–1 and sums to 1 within a key; a key whose
        total is zero has ``NaN`` shares (never 0).

    References
    ----------
    Standard definition; e.g. WITS/UNCTAD "partner share" indicators.
    """
    keys = _keys(by, product)
    df = _trade_rows(trade, reporter=reporter, year=year, flow=flow, product=product)
    return (
        df.group_by([*keys, "partner"])
        .agg(fsum_agg("value_usd"))  # exact sums: the same bits whatever the row order or thread count
        .sort([*keys, "partner"])
        .with_columns(share=pl.col("value_usd") / (fsum_agg("value_usd").over(keys) if keys else fsum_agg("value_usd")))
        .sort([*keys, "value_usd", "partner"], descending=[*([False] * len(keys)), True, False])
        .select(*keys, "partner", "value_usd", "share")
    )


def pole_shares(
    trade: FrameLike,
    *,
    poles: Sequence[str] = POLE_ORDER,
    reporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    flow: FlowArg = None,
    product: str | None = "TOTAL",
    by: Sequence[str] = (),
) -> pl.DataFrame:
    r"""Share of each pole in a reporter's trade, with pole membership as of the trade year.

    .. math:: S_{rP} = \sum_{p \in P(t)} s_{rp}, \qquad S_{r,\mathrm{ROW}} = 1 - \sum_{P} S_{rP}

    Membership ``P(t)`` is :func:`tethers.countries.pole_map` ``(t, country=reporter)``: ``EU27`` is the EU
    members of year *t* (so the United Kingdom is in it through 2019), ``CASIA`` the Central Asian states
    other than the reporter. Every partner in no pole (and the reporter itself, e.g. re-imports) is ``ROW``.

    Parameters
    ----------
    poles : pole ids (default :data:`tethers.countries.POLE_ORDER`); ``ROW`` is always added as the
        residual. Single-state poles may be given as any spelling :func:`~tethers.countries.resolve` takes.
    Other parameters as :func:`partner_shares`.

    Returns
    -------
    pl.DataFrame
        ``[reporter, year, flow, *by, (classification, product), pole, value_usd, share]`` with one row for
        every pole (a pole without trade has value 0 and share 0), in the order of ``poles``. Shares sum
        to 1 within a key; a zero total gives ``NaN``.
    """
    ids = pole_ids(poles)
    keys = _keys(by, product)
    partners = partner_shares(trade, reporter=reporter, year=year, flow=flow, product=product, by=by)
    member = pole_membership(partners["year"].unique().to_list(), poles=ids, dtype=partners.schema["year"])
    tagged = partners.join(member, on=["year", "partner"], how="left").with_columns(
        pole=pl.when(pl.col("partner") == pl.col("reporter")).then(pl.lit("ROW")).otherwise(
            pl.col("pole").fill_null("ROW")
        )
    )
    summed = tagged.group_by([*keys, "pole"]).agg(fsum_agg("value_usd"))  # exact: the same bits in every process
    grid = partners.select(keys).unique().join(pl.DataFrame({"pole": ids}), how="cross")
    order = {p: i for i, p in enumerate(ids)}
    total = tagged.filter(pl.col("pole").is_in(ids)).group_by(keys).agg(_total=fsum_agg("value_usd"))
    return (
        grid.join(summed, on=[*keys, "pole"], how="left")
        .with_columns(pl.col("value_usd").fill_null(0.0))
        .join(total, on=keys, how="left")
        .with_columns(share=pl.col("value_usd") / pl.col("_total").fill_null(0.0))
        .drop("_total")
        .with_columns(_order=pl.col("pole").replace_strict(order, return_dtype=pl.Int32))
        .sort([*keys, "_order"])
        .select(*keys, "pole", "value_usd", "share")
    )


# --------------------------------------------------------------------------------------------
# Concentration
# --------------------------------------------------------------------------------------------


def hhi(
    shares: FrameLike,
    *,
    unit: str = "partner",
    share: str = "share",
    by: Sequence[str] | None = None,
    n: int | None = None,
) -> pl.DataFrame:
    r"""Herfindahl–Hirschman index of a share distribution, raw and normalised.

    .. math::
        HHI = \sum_{i=1}^{N} s_i^2 \in [1/N, 1], \qquad
        HHI^{*} = \frac{HHI - 1/N}{1 - 1/N} \in [0, 1]

    Parameters
    ----------
    shares : a tidy frame with one row per ``unit`` (partner, pole, supplier) and a ``share`` column,
        e.g. the output of :func:`partner_shares` or :func:`pole_shares`.
    unit : the column naming the units whose shares are given.
    share : the share column (shares in 0–1 summing to 1 within a key).
    by : key columns; default = every column except ``unit``, ``share`` and ``value_usd``.
    n : the number of units *N* for the normalisation. Default: the units with a positive share in the
        key (active partners). Pass the number of possible units (e.g. *K* poles) for a fixed *N*.

    Returns
    -------
    pl.DataFrame
        ``[*by, n, hhi, hhi_norm]``. Edge cases: a key whose shares are ``NaN`` (zero total) gives
        ``NaN``; *N* = 1 gives ``hhi_norm = 1`` (full concentration; the formula is 0/0 there).

    References
    ----------
    Hirschman, A. O. (1964), "The paternity of an index", *American Economic Review* 54(5): 761;
    the normalised form as in WITS/UNCTAD concentration indices.
    """
    df = as_frame(shares)
    keys = list(by) if by is not None else [c for c in df.columns if c not in (unit, share, "value_usd")]
    s = pl.col(share)
    out = df.group_by(keys).agg(
        n=pl.lit(n, pl.UInt32) if n is not None else (s.fill_nan(None) > 0).fill_null(False).sum(),
        hhi=(s**2).sum(),
    )
    return out.with_columns(hhi_norm=normalised_hhi(pl.col("hhi"), pl.col("n"))).sort(keys).select(
        *keys, "n", "hhi", "hhi_norm"
    )


def concentration(
    trade: FrameLike,
    *,
    by: ConcentrationBy = "total",
    reporter: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    flow: FlowArg = None,
) -> pl.DataFrame:
    r"""Partner concentration of each reporter's trade: HHI, normalised HHI and the largest partner.

    .. math:: HHI_{r} = \sum_{p} s_{rp}^2,\qquad HHI^{*}_{r} = \frac{HHI_r - 1/N_r}{1 - 1/N_r}

    with :math:`s_{rp}` from :func:`partner_shares` and :math:`N_r` the number of partners with positive
    trade. Per ``[reporter, year, flow]`` (``by="total"``, all-goods rows) or per
    ``[reporter, year, flow, classification, product]`` (``by="product"``, every product row except
    ``TOTAL``).

    Returns
    -------
    pl.DataFrame
        ``[reporter, year, flow, (classification, product), value_usd, n_partners, hhi, hhi_norm,
        top_partner, top_share]``. A zero total gives ``NaN`` indices and a null ``top_partner``;
        one partner gives ``hhi = hhi_norm = 1``. Ties for the top partner go to the first ISO3 code.

    References
    ----------
    As :func:`hhi`.
    """
    kind = choose("by", by, ("total", "product"))
    product = "TOTAL" if kind == "total" else None
    shares = partner_shares(trade, reporter=reporter, year=year, flow=flow, product=product)
    if kind == "product":
        shares = shares.filter(pl.col("product") != "TOTAL")
    keys = _keys((), product)
    positive = pl.col("value_usd") > 0
    out = shares.group_by(keys).agg(
        value_usd=pl.col("value_usd").sum(),
        n_partners=positive.sum(),
        hhi=(pl.col("share") ** 2).sum(),
        top_partner=pl.col("partner").sort_by(["value_usd", "partner"], descending=[True, False]).first(),
        top_share=pl.col("share").max(),
    )
    total_zero = pl.col("value_usd") == 0
    return (
        out.with_columns(
            hhi_norm=normalised_hhi(pl.col("hhi"), pl.col("n_partners")),
            top_partner=pl.when(total_zero).then(None).otherwise(pl.col("top_partner")),
        )
        .sort(keys)
        .select(*keys, "value_usd", "n_partners", "hhi", "hhi_norm", "top_partner", "top_share")
    )


# --------------------------------------------------------------------------------------------
# Shared helpers (used by the other measure modules)
# --------------------------------------------------------------------------------------------


def normalised_hhi(h: pl.Expr, n: pl.Expr) -> pl.Expr:
    """``(HHI − 1/N) / (1 − 1/N)`` as an expression; 1 when N = 1, NaN when N = 0 or HHI is NaN."""
    nf = n.cast(pl.Float64)
    return (
        pl.when(n == 0)
        .then(float("nan"))
        .when(n == 1)
        .then(pl.when(h.is_nan()).then(float("nan")).otherwise(1.0))
        .otherwise((h - 1.0 / nf) / (1.0 - 1.0 / nf))
    )


def pole_ids(poles: Sequence[str]) -> list[str]:
    """Pole ids as :func:`~tethers.countries.pole_map` writes them (single states resolved), ``ROW`` last."""
    ids = [p if p in ("EU27", "CASIA", "ROW") else resolve(p) for p in poles]
    ids = list(dict.fromkeys(i for i in ids if i != "ROW"))
    return [*ids, "ROW"]


def pole_membership(
    years: Iterable[int], *, poles: Sequence[str] = POLE_ORDER, dtype: pl.DataType = pl.Int32
) -> pl.DataFrame:
    """Pole membership as a frame ``[year, partner, pole]`` from :func:`tethers.countries.pole_map`.

    One row per (year, member state); states in no pole are absent (they are ``ROW``). The map is built
    without a focal country: callers drop the focal country itself (``partner == reporter`` → ``ROW``),
    which is exactly what ``pole_map(year, country=reporter)`` does.
    """
    rows = [
        (y, iso3, pole)
        for y in sorted({int(y) for y in years})
        for iso3, pole in pole_map(y, poles=[p for p in poles if p != "ROW"]).items()
    ]
    return pl.DataFrame(
        rows, schema={"year": dtype, "partner": pl.Utf8, "pole": pl.Utf8}, orient="row"
    )


def as_frame(data: FrameLike) -> pl.DataFrame:
    """A Polars DataFrame from a Polars frame (eager or lazy) or an Arrow table."""
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    out = pl.from_arrow(data)
    return out if isinstance(out, pl.DataFrame) else out.to_frame()


def choose(name: str, value: object, allowed: Sequence[object]) -> object:
    """Return ``value`` if it is one of ``allowed``; otherwise raise ``ValueError`` listing them."""
    if value not in allowed:
        raise OptionError(f"{name}={value!r} is not allowed; choose one of: {', '.join(map(repr, allowed))}")
    return value


def where(df: pl.DataFrame, **filters: object) -> pl.DataFrame:
    """Keep rows whose column equals the value (or is in the values); ``None`` means no filter."""
    for col, value in filters.items():
        if value is None:
            continue
        if isinstance(value, str | int | float):
            df = df.filter(pl.col(col) == value)
        else:
            df = df.filter(pl.col(col).is_in(list(value)))  # type: ignore[call-overload]
    return df


def _keys(by: Sequence[str], product: str | None) -> list[str]:
    extra = ["classification", "product"] if product is None else []
    return list(dict.fromkeys(["reporter", "year", "flow", *by, *extra]))


def _trade_rows(
    trade: FrameLike,
    *,
    reporter: str | Iterable[str] | None,
    year: int | Iterable[int] | None,
    flow: FlowArg,
    product: str | None,
) -> pl.DataFrame:
    if flow is not None:
        choose("flow", flow, FLOWS)
    df = where(as_frame(trade), reporter=reporter, year=year, flow=flow, product=product)
    # Rows in a fixed order, so that float sums (not associative) are the same whatever order the
    # atlas query or an upstream join returned them in.
    order = [c for c in ("reporter", "year", "flow", "classification", "product", "partner", "source", "value_usd")
             if c in df.columns]
    return df.filter(pl.col("partner") != "WLD").sort(order)
