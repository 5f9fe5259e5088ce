r"""Structural gravity by PPML with high-dimensional fixed effects (pyfixest ``fepois``).

The specification of Yotov, Piermartini, Monteiro & Larch (2016), *An Advanced Guide to Trade Policy
Analysis: The Structural Gravity Model*, WTO/UNCTAD, ch. 1–2, on a panel of bilateral flows
:math:`X_{ijt}` (exporter *i*, importer *j*, year *t*):

.. math::
    X_{ijt} = \exp\big(\pi_{it} + \chi_{jt} + \mu_{ij} + \beta_{CU}\,CU_{ijt}\big)\,\varepsilon_{ijt}
    \qquad\text{(model ``pair``)}

    X_{ijt} = \exp\big(\pi_{it} + \chi_{jt} + \beta_d \ln d_{ij} + \beta_c\,contig_{ij} + \beta_l\,lang_{ij}
        + \beta_{ll}\,LL_{ij} + \beta_{CU}\,CU_{ijt}\big)\,\varepsilon_{ijt} \qquad\text{(model ``cov``)}

:math:`\pi_{it}` and :math:`\chi_{jt}` are exporter-year and importer-year fixed effects (they absorb the
multilateral resistances and every country-level term, including a country's own landlockedness),
:math:`\mu_{ij}` pair fixed effects (every time-invariant bilateral cost). With pair effects only the
time-varying customs-union term is identified (model ``pair``, the Advanced Guide's preferred estimate of
a policy effect); the time-invariant gravity terms are identified in model ``cov`` (no pair effects). The
landlocked term is the pair variable :math:`LL_{ij}` = both partners landlocked (a country's own
landlockedness is collinear with its fixed effects). Standard errors are clustered by pair.

Data: ``trade`` rows of the atlas with ``year ≤ base_year`` only (:func:`panel` filters; the caller
passes nothing later), ``distances`` (CEPII GeoDist: population-weighted distance, falling back on the
main-city distance; contiguity; common official language), the landlocked flags of GeoDist's
``geo_cepii`` (``scenario/data/landlocked.csv``) and the customs-union membership of
``scenario/data/customs_unions.csv``. Flows are importer-reported where the atlas has both sides.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

from ..measures.exact import fsum

__all__ = ["GravityEstimates", "panel", "estimate", "customs_unions", "landlocked", "FORMULAS", "fepois"]

_AGGREGATES = {"WLD", "EUU", "EU27", "EUN", "OTH"}

FORMULAS = {
    "pair": "value ~ cu | exp_year + imp_year + pair",
    "cov": "value ~ ln_dist + contig + lang + both_ll + cu | exp_year + imp_year",
}
TERMS = ("ln_dist", "contig", "lang", "both_ll", "cu")


def _data_csv(name: str) -> list[dict]:
    with resources.files("tethers.scenario.data").joinpath(name).open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def customs_unions() -> pl.DataFrame:
    """``[union, country, first_year]``: customs-union members from their first full year without border checks."""
    rows = _data_csv("customs_unions.csv")
    return pl.DataFrame({"union": [r["union"] for r in rows], "country": [r["country"] for r in rows],
                         "first_year": [int(r["first_year"]) for r in rows]})


def landlocked() -> frozenset[str]:
    """ISO3 codes flagged ``landlocked = 1`` in CEPII GeoDist ``geo_cepii`` (Mayer & Zignago 2011)."""
    return frozenset(r["iso3"] for r in _data_csv("landlocked.csv"))


def cu_flag(a: str, b: str, year: int, cu: pl.DataFrame | None = None) -> bool:
    """True when ``a`` and ``b`` are members of the same customs union in ``year``."""
    cu = customs_unions() if cu is None else cu
    ua = {u for u, c, y in cu.iter_rows() if c == a and y <= year}
    ub = {u for u, c, y in cu.iter_rows() if c == b and y <= year}
    return bool(ua & ub)


def pair_terms(distances: pl.DataFrame) -> pl.DataFrame:
    """``[exporter, importer, ln_dist, contig, lang, both_ll]`` from the ``distances`` table (no self pairs)."""
    ll = list(landlocked())
    return (
        distances.filter(pl.col("origin") != pl.col("destination"))
        .select(
            exporter=pl.col("origin"), importer=pl.col("destination"),
            ln_dist=pl.coalesce("distance_weighted_km", "distance_km").log(),
            contig=pl.col("contiguous").cast(pl.Float64), lang=pl.col("common_language").cast(pl.Float64),
            both_ll=(pl.col("origin").is_in(ll) & pl.col("destination").is_in(ll)).cast(pl.Float64),
        )
        .drop_nulls("ln_dist")
        .unique(["exporter", "importer"], keep="first")
    )


def _choose(trade: pl.DataFrame) -> tuple[str, str, str] | None:
    """The (source, classification, product) with the most exporter–importer pairs: the widest panel.

    Total-goods rows (``classification == 'TOTAL'``) of a source that covers many reporters win over any
    product group when they cover at least as many pairs.
    """
    t = trade.filter(~pl.col("reporter").is_in(list(_AGGREGATES)) & ~pl.col("partner").is_in(list(_AGGREGATES)))
    if t.height == 0:
        return None
    g = (t.group_by("source", "classification", "product")
         .agg(pairs=pl.struct("reporter", "partner").n_unique(), reporters=pl.col("reporter").n_unique())
         .filter(pl.col("reporters") >= 10)
         .with_columns(total=(pl.col("classification") == "TOTAL").cast(pl.Int8))
         .sort(["pairs", "total", "source", "classification", "product"], descending=[True, True, False, False, False]))
    if g.height == 0:
        return None
    r = g.row(0)
    return r[0], r[1], r[2]


INTERVAL = 4   # years between panel years (Yotov et al. 2016 ch. 1: interval data let trade adjust; Cheng & Wall 2005)
POINTS = 4     # panel years: the latest year ≤ the base year with data, and every INTERVAL years before it
WINDOW = INTERVAL * (POINTS - 1)


def panel_years(available: list[int], base_year: int) -> list[int]:
    """The panel years: the latest available year ≤ ``base_year`` and every ``INTERVAL`` years before it
    (``POINTS`` at most, those present in ``available``)."""
    have = sorted({y for y in available if y <= base_year})
    if not have:
        return []
    last = have[-1]
    return [y for y in range(last - WINDOW, last + 1, INTERVAL) if y in have]


def panel(trade: pl.DataFrame, distances: pl.DataFrame, *, base_year: int,
          selection: tuple[str, str, str] | None = None) -> tuple[pl.DataFrame, str]:
    """The estimation panel ``[exporter, importer, year, value, ln_dist, contig, lang, both_ll, cu, exp_year,
    imp_year, pair]`` from ``trade`` rows with ``year ≤ base_year`` (:func:`panel_years` of the widest
    source), and a one-line description of it."""
    trade = trade.filter(pl.col("year") <= base_year)
    sel = selection or _choose(trade)
    if sel is None:
        raise ValueError("no multi-reporter bilateral trade panel in the atlas up to the base year")
    src, cls, prod = sel
    t = trade.filter((pl.col("source") == src) & (pl.col("classification") == cls) & (pl.col("product") == prod)
                     & ~pl.col("reporter").is_in(list(_AGGREGATES)) & ~pl.col("partner").is_in(list(_AGGREGATES)))
    t = t.filter(pl.col("year").is_in(panel_years(t["year"].unique().to_list(), base_year)))
    imp = t.filter(pl.col("flow") == "import").select(exporter="partner", importer="reporter", year="year",
                                                      value="value_usd", side=pl.lit(0))
    exp = t.filter(pl.col("flow") == "export").select(exporter="reporter", importer="partner", year="year",
                                                      value="value_usd", side=pl.lit(1))
    flows = (pl.concat([imp, exp]).filter(pl.col("exporter") != pl.col("importer"))
             .sort("exporter", "importer", "year", "side").unique(["exporter", "importer", "year"], keep="first")
             .drop("side").filter(pl.col("value").is_not_null() & (pl.col("value") >= 0)))
    cu = customs_unions()
    members = cu.select("country", "first_year", "union")
    df = (
        flows.join(pair_terms(distances), on=["exporter", "importer"], how="inner")
        .join(members.rename({"country": "exporter", "first_year": "fy_e"}), on="exporter", how="left")
        .join(members.rename({"country": "importer", "first_year": "fy_i", "union": "union_i"}), on="importer",
              how="left")
        .with_columns(cu=((pl.col("union") == pl.col("union_i")) & (pl.col("fy_e") <= pl.col("year"))
                          & (pl.col("fy_i") <= pl.col("year"))).fill_null(False).cast(pl.Float64))
        .drop("fy_e", "fy_i", "union", "union_i")
        .with_columns(
            exp_year=pl.col("exporter") + "_" + pl.col("year").cast(pl.Utf8),
            imp_year=pl.col("importer") + "_" + pl.col("year").cast(pl.Utf8),
            pair=pl.col("exporter") + "_" + pl.col("importer"),
        )
        .sort("exporter", "importer", "year")
    )
    yrs = ", ".join(str(y) for y in sorted(df["year"].unique().to_list()))
    what = (f"{src} {cls} {prod}: {df.height:,} flows, {df['exporter'].n_unique()} exporters × "
            f"{df['importer'].n_unique()} importers, years {yrs} (importer-reported where both exist)")
    return df, what


def fepois(df: pl.DataFrame, formula: str, *, cluster: str = "pair"):
    """pyfixest ``fepois`` on ``df`` with standard errors clustered by ``cluster`` (the fitted model).

    pyfixest's Rust demeaner runs on rayon's global thread pool, whose parallel sums come out in a different
    order from run to run (last digits of the covariance); one thread makes the fit the same in every process, so
    seeded simulations stay byte-identical. Set before pyfixest first runs; a caller's own setting is kept.
    """
    os.environ.setdefault("RAYON_NUM_THREADS", "1")
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.fepois(formula, data=df.to_pandas(), vcov={"CRV1": cluster})


@dataclass(frozen=True)
class GravityEstimates:
    """Point estimates and clustered standard errors of both models.

    ``coef`` / ``se``: ``{"cu": …}`` from model ``pair`` and ``{"ln_dist", "contig", "lang", "both_ll"}`` from
    model ``cov`` (whose own ``cu`` estimate is in ``coef_cov``). ``n_obs`` per model, ``panel`` describes the
    data, ``max_year`` is the latest year that entered the estimation.
    """

    coef: dict[str, float]
    se: dict[str, float]
    coef_cov: dict[str, float]
    se_cov: dict[str, float]
    n_obs: dict[str, int]
    panel: str
    max_year: int
    vcov_cov: np.ndarray  # pair-clustered covariance of model ``cov`` (rows/columns in TERMS order)


SIGNIFICANT = 10  # digits kept of every estimate: the IRLS fit converges to ~1e-8, the rest is thread-order noise


def _r(x) -> float:
    """``x`` to :data:`SIGNIFICANT` significant digits: a fresh fit and a cached one (or two processes fitting at
    once, with multi-threaded linear algebra summing in another order) give the same bits to the simulator."""
    return float(f"{float(x):.{SIGNIFICANT}g}")


def estimate(df: pl.DataFrame, what: str = "") -> GravityEstimates:
    """Fit both models on the panel from :func:`panel` (estimates rounded to :data:`SIGNIFICANT` digits)."""
    m_pair = fepois(df, FORMULAS["pair"])
    m_cov = fepois(df, FORMULAS["cov"])
    cp, sp = m_pair.coef(), m_pair.se()
    cc, sc = m_cov.coef(), m_cov.se()
    names = list(m_cov._coefnames)
    idx = [names.index(t) for t in TERMS]
    vcov = np.vectorize(_r)(np.asarray(m_cov._vcov, dtype=float)[np.ix_(idx, idx)])
    coef = {k: _r(cc[k]) for k in TERMS if k != "cu"}
    se = {k: _r(sc[k]) for k in TERMS if k != "cu"}
    coef["cu"], se["cu"] = _r(cp["cu"]), _r(sp["cu"])
    return GravityEstimates(
        coef=coef, se=se, coef_cov={k: _r(cc[k]) for k in TERMS}, se_cov={k: _r(sc[k]) for k in TERMS},
        n_obs={"pair": int(m_pair._N), "cov": int(m_cov._N)}, panel=what, max_year=int(df["year"].max()),
        vcov_cov=vcov,
    )


_CACHE: dict[str, GravityEstimates] = {}
_QUICK: dict[tuple, GravityEstimates] = {}   # (base year, sizes and sums of the input frames) → estimates


def _to_json(e: GravityEstimates) -> dict:
    return {"coef": e.coef, "se": e.se, "coef_cov": e.coef_cov, "se_cov": e.se_cov, "n_obs": e.n_obs,
            "panel": e.panel, "max_year": e.max_year, "vcov_cov": e.vcov_cov.tolist()}


def _from_json(d: dict) -> GravityEstimates:
    return GravityEstimates(coef=d["coef"], se=d["se"], coef_cov=d["coef_cov"], se_cov=d["se_cov"], n_obs=d["n_obs"],
                            panel=d["panel"], max_year=int(d["max_year"]), vcov_cov=np.asarray(d["vcov_cov"], dtype=float))


def panel_key(df: pl.DataFrame, what: str) -> str:
    """Content hash of the estimation panel, the formulas and the pyfixest version (the cache key)."""
    from importlib.metadata import version

    h = hashlib.sha256(f"{what}|{FORMULAS}|pyfixest {version('pyfixest')}".encode())
    for col in ("exporter", "importer"):
        h.update("\x1f".join(df[col].to_list()).encode())
    for col in ("year", "value", "ln_dist", "contig", "lang", "both_ll", "cu"):
        h.update(np.ascontiguousarray(df[col].cast(pl.Float64).to_numpy()).tobytes())
    return h.hexdigest()[:24]


def default_cache_dir() -> Path:
    """``$TETHERS_HOME/cache`` when ``TETHERS_HOME`` is set, else the user cache dir (``~/.cache/tethers``)."""
    env = os.environ.get("TETHERS_HOME")
    if env:
        return Path(env).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tethers", appauthor=False))


def estimate_cached(trade: pl.DataFrame, distances: pl.DataFrame, *, base_year: int,
                    cache_dir: Path | None | bool = None) -> GravityEstimates:
    """:func:`estimate` on :func:`panel`, memoised on the panel's content: in memory, and as JSON under
    ``cache_dir`` (default :func:`default_cache_dir`; ``False`` = memory only). A cached fit is a pure function of
    the panel's content, the formulas and the pyfixest version, all in the key."""
    quick = (base_year, trade.height, fsum(trade["value_usd"]), trade["year"].max(), distances.height,
             fsum(distances["distance_km"]))
    if quick in _QUICK:  # the same input frames again (one context per third country): skip building the panel
        return _QUICK[quick]
    df, what = panel(trade, distances, base_year=base_year)
    key = panel_key(df, what)
    if key in _CACHE:
        _QUICK[quick] = _CACHE[key]
        return _CACHE[key]
    path = None
    if cache_dir is not False:
        if cache_dir is None or cache_dir is True:
            cache_dir = default_cache_dir()
        path = Path(cache_dir) / f"gravity-{key}.json"
        if path.exists():
            try:
                _CACHE[key] = _QUICK[quick] = _from_json(json.loads(path.read_text(encoding="utf-8")))
                return _CACHE[key]
            except (ValueError, KeyError, TypeError):
                pass  # a damaged cache file is refitted and overwritten
    est = estimate(df, what)
    _CACHE[key] = _QUICK[quick] = est
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(_to_json(est)), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # read-only home: memory cache only
    return est
