r"""UN General Assembly voting alignment: agreement index, Cohen's kappa, agreement with poles.

Votes are coded as in Voeten's UNGA data and Bailey, Strezhnev & Voeten (2017): yes = 1, abstain = 0.5,
no = 0; ``absent`` (and non-membership, which has no row) is missing and excluded. For two countries
*i*, *j* and the :math:`n_{ij}` roll calls of a period on which both voted yes/abstain/no,

.. math::
    A_{ij} = 1 - \frac{1}{n_{ij}} \sum_{v} |x_{iv} - x_{jv}|, \qquad
    \kappa_{ij} = \frac{p_o - p_e}{1 - p_e}, \qquad
    \kappa^{w}_{ij} = 1 - \frac{1 - A_{ij}}{\sum_{a,b} p_{i}(a)\,p_{j}(b)\,|a-b|}

with :math:`p_o` the share of identical votes, :math:`p_e = \sum_c p_i(c)\,p_j(c)` the agreement expected
from each country's own distribution of yes/abstain/no over the same roll calls, and :math:`\kappa^w`
the linearly weighted kappa (disagreement weight :math:`|a-b|`, so its observed disagreement is exactly
:math:`1 - A_{ij}`). An abstention against a yes or no counts as half a disagreement in *A* (Voeten's
convention) and as a full disagreement in the nominal κ.

Everything is vectorised: one self-join of the vote table on the roll-call id, then one ``group_by``.

References
----------
* Voeten, E., Strezhnev, A. & Bailey, M. (2009–), *United Nations General Assembly Voting Data*,
  Harvard Dataverse, hdl:1902.1/12379 (vote codes 1 yes, 2 abstain, 3 no, 8 absent, 9 not a member;
  agreement counts an abstention as half-disagreement).
* Bailey, M. A., Strezhnev, A. & Voeten, E. (2017), "Estimating dynamic state preferences from United
  Nations voting data", *Journal of Conflict Resolution* 61(2): 430–456, doi:10.1177/0022002715595700.
* Cohen, J. (1960), "A coefficient of agreement for nominal scales", *Educational and Psychological
  Measurement* 20: 37–46; Cohen, J. (1968), "Weighted kappa", *Psychological Bulletin* 70(4): 213–220.
* Häge, F. M. (2011), "Choice or circumstance? Adjusting measures of foreign policy similarity for chance
  agreement", *Political Analysis* 19(3): 287–305 (κ for dyadic foreign-policy similarity).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import polars as pl

from ..countries import POLE_ORDER
from .exact import mean_agg
from .trade import FrameLike, as_frame, choose, pole_ids, pole_membership, where

Period = Literal["year", "session"]
VOTE_VALUE: dict[str, float] = {"yes": 1.0, "abstain": 0.5, "no": 0.0}

__all__ = ["VOTE_VALUE", "coded_votes", "agreement", "pole_agreement", "ideal_points_pca"]


def coded_votes(votes: FrameLike, *, period: Period = "year") -> pl.DataFrame:
    """Votes as numbers: ``[period, (source), rcid, country, x]`` with x = 1 yes, 0.5 abstain, 0 no.

    ``absent`` rows are dropped; ``period="year"`` is the calendar year of the vote's ``date``,
    ``"session"`` the UNGA session. The last four frames' results are kept (by identity): a loop over
    countries (``profile``, the all-country balance) codes its year's roll calls once (treat it as read-only).
    """
    choose("period", period, ("year", "session"))
    if isinstance(votes, pl.DataFrame):  # the same frame as lately: a loop over countries on the same roll calls
        for ref, per, out in _CODED:
            if ref() is votes and per == period:
                return out
    out = _coded(votes, period)
    if isinstance(votes, pl.DataFrame):
        _CODED[:] = [(weakref.ref(votes), period, out), *_CODED[:3]]
    return out


_CODED: list = []  # [(weakref to the votes frame, period, coded frame)]: the last four frames coded


def _coded(votes: FrameLike, period: Period) -> pl.DataFrame:
    df = as_frame(votes).filter(pl.col("vote").is_in(list(VOTE_VALUE)))
    p = pl.col("date").dt.year().cast(pl.Int32).alias("year") if period == "year" else pl.col("session")
    ids = ["source", "rcid"] if "source" in df.columns else ["rcid"]
    return df.select(
        p, *ids, "country", x=pl.col("vote").replace_strict(VOTE_VALUE, return_dtype=pl.Float64)
    )


def agreement(
    votes: FrameLike,
    *,
    country: str | Iterable[str] | None = None,
    year: int | Iterable[int] | None = None,
    period: Period = "year",
) -> pl.DataFrame:
    r"""Dyadic agreement index, Cohen's κ and linearly weighted κ per period (see the module docstring).

    Parameters
    ----------
    votes : the canonical ``votes`` table (``rcid, date, session, country, vote`` …), one source.
    country : focal country (or countries): its agreement with every other country. ``None`` = all
        unordered pairs (``country_a < country_b``).
    year : optional filter on the period value (a year, or a session number with ``period="session"``).
    period : ``"year"`` (calendar year of the vote) or ``"session"``.

    Returns
    -------
    pl.DataFrame
        ``[period, country_a, country_b, n_votes, agreement, kappa, kappa_w]``. ``agreement`` in [0, 1];
        κ in [−1, 1]. Edge cases: a pair with no common roll call has no row; when both countries cast
        one and the same category on every common vote, :math:`p_e = 1` and κ is undefined (``NaN``)
        although ``agreement = 1``.
    """
    x = coded_votes(votes, period=period)
    x = where(x, **{period: year})
    on = [c for c in x.columns if c not in ("country", "x")]
    a = x.rename({"country": "country_a", "x": "xa"})
    if country is not None:
        a = where(a, country_a=country)
    b = x.rename({"country": "country_b", "x": "xb"})
    pairs = a.join(b, on=on, how="inner")
    keep = pl.col("country_a") != pl.col("country_b") if country is not None else (
        pl.col("country_a") < pl.col("country_b")
    )
    pairs = pairs.filter(keep)
    xa, xb = pl.col("xa"), pl.col("xb")
    cat = {"y": 1.0, "a": 0.5, "n": 0.0}
    g = pairs.group_by([period, "country_a", "country_b"]).agg(
        n_votes=pl.len(),
        d=(xa - xb).abs().mean(),
        po=(xa == xb).mean(),
        **{f"a{c}": (xa == v).mean() for c, v in cat.items()},
        **{f"b{c}": (xb == v).mean() for c, v in cat.items()},
    )
    col = pl.col
    pe = col("ay") * col("by") + col("aa") * col("ba") + col("an") * col("bn")
    # expected linear disagreement: |1 − 0.5| = |0.5 − 0| = 0.5, |1 − 0| = 1
    de = 0.5 * (col("ay") * col("ba") + col("aa") * col("by") + col("aa") * col("bn") + col("an") * col("ba")) + (
        col("ay") * col("bn") + col("an") * col("by")
    )
    return (
        g.with_columns(
            agreement=1.0 - col("d"),
            kappa=(col("po") - pe) / (1.0 - pe),
            kappa_w=1.0 - col("d") / de,
        )
        .sort([period, "country_a", "country_b"])
        .select(period, "country_a", "country_b", "n_votes", "agreement", "kappa", "kappa_w")
    )


def pole_agreement(
    votes: FrameLike,
    *,
    country: str,
    poles: Sequence[str] = POLE_ORDER,
    year: int | Iterable[int] | None = None,
) -> pl.DataFrame:
    r"""Agreement of ``country`` with each pole, per calendar year.

    .. math:: A_{iP}(t) = \frac{1}{|P(t)|} \sum_{j \in P(t)} A_{ij}(t)

    For a single-state pole (``RUS``, ``CHN``, ``USA``, ``TUR``) this is the dyadic agreement with that
    state. For ``EU27`` it is the **mean of the dyadic indices over the EU members of that year** (not the
    agreement with a constructed "EU position"), and likewise for ``CASIA`` (Central Asian states other than
    ``country``). Membership is :func:`tethers.countries.pole_map` of the vote's year. ``ROW`` has no
    agreement and is skipped. Members without a common roll call with ``country`` are left out of the mean;
    undefined dyadic κ (``NaN``) are skipped in the κ means.

    Returns
    -------
    pl.DataFrame
        ``[year, country, pole, n_members, n_votes, n_roll_calls, agreement, kappa, kappa_w]``;
        ``n_members`` = members with common votes, ``n_votes`` = common roll calls summed over those
        members, ``n_roll_calls`` = the most common roll calls with any one member.
    """
    dyads = agreement(votes, country=country, year=year, period="year")
    ids = [p for p in pole_ids(poles) if p != "ROW"]
    member = pole_membership(dyads["year"].unique().to_list(), poles=ids, dtype=dyads.schema["year"])
    j = dyads.join(member, left_on=["year", "country_b"], right_on=["year", "partner"], how="inner")
    order = {p: i for i, p in enumerate(ids)}
    return (
        j.group_by(["year", "country_a", "pole"])
        .agg(
            n_members=pl.len(),
            n_votes=pl.col("n_votes").sum(),
            n_roll_calls=pl.col("n_votes").max(),
            # exact means (measures.exact): the same bits whatever the order of the members' rows
            agreement=mean_agg("agreement"),
            kappa=mean_agg(pl.col("kappa").fill_nan(None)),
            kappa_w=mean_agg(pl.col("kappa_w").fill_nan(None)),
        )
        .with_columns(_o=pl.col("pole").replace_strict(order))
        .sort(["year", "country_a", "_o"])
        .select("year", pl.col("country_a").alias("country"), "pole", "n_members", "n_votes", "n_roll_calls",
                "agreement", "kappa", "kappa_w")
    )


def ideal_points_pca(
    votes: FrameLike,
    *,
    year: int | Iterable[int] | None = None,
    period: Period = "year",
    anchor: str = "USA",
    min_votes: int = 10,
) -> pl.DataFrame:
    r"""One-dimensional positions from the first principal component of the vote matrix (an approximation).

    For each period, the countries × roll-calls matrix :math:`X` (1 / 0.5 / 0) is centred by roll call,
    missing votes (absent) are set to the roll-call mean (0 after centring), and the position of country
    *i* is its score on the first principal component, :math:`\theta_i = u_{i1} \sigma_1` from the SVD
    :math:`X_c = U \Sigma V^\top`. Scores are standardised within the period (mean 0, sd 1) and signed so
    that ``anchor`` is positive (when it voted).

    This is **not** the Bailey–Strezhnev–Voeten (2017) dynamic ordinal IRT model: it is a static,
    per-period approximation (in the spirit of Poole's optimal classification / W-NOMINATE first
    dimension), not comparable across periods, and sensitive to the agenda. Use it for within-period
    ordering only. Countries with fewer than ``min_votes`` yes/abstain/no votes in the period are dropped.

    Returns
    -------
    pl.DataFrame
        ``[period, country, n_votes, ideal_point, explained]``: ``explained`` is the share of the centred
        matrix's variance captured by the first component (same for all countries of a period).
    """
    x = where(coded_votes(votes, period=period), **{period: year})
    rows = []
    # one SVD per period: a loop over periods (a handful), never over countries
    for (p,), part in x.group_by([period], maintain_order=True):
        counts = part.group_by("country").len().filter(pl.col("len") >= min_votes)
        part = part.join(counts.select("country"), on="country", how="semi")
        if part.height == 0:
            continue
        wide = part.pivot(on="rcid", index="country", values="x", aggregate_function="first").sort("country")
        names = wide["country"].to_list()
        mat = wide.drop("country").to_numpy().astype(float)
        mat = mat - np.nanmean(mat, axis=0, keepdims=True)
        mat = np.nan_to_num(mat, nan=0.0)
        u, sv, _vt = np.linalg.svd(mat, full_matrices=False)
        score = u[:, 0] * sv[0]
        sd = score.std()
        score = (score - score.mean()) / sd if sd > 0 else score * 0.0
        if anchor in names and score[names.index(anchor)] < 0:
            score = -score
        explained = float(sv[0] ** 2 / (sv**2).sum()) if (sv**2).sum() > 0 else float("nan")
        n = dict(counts.iter_rows())
        rows += [(p, c, int(n[c]), float(s), explained) for c, s in zip(names, score, strict=True)]
    schema = {period: x.schema[period], "country": pl.Utf8, "n_votes": pl.Int64, "ideal_point": pl.Float64,
              "explained": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row").sort([period, "ideal_point"], descending=[False, True])
