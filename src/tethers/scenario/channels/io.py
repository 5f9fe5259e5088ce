r"""Input–output channel: demand-driven (Leontief) and supply-driven (Ghosh) propagation over an MRIO.

Notation of Miller & Blair, *Input–Output Analysis: Foundations and Extensions*, 2nd ed. (Cambridge
University Press, 2009), chapters 2 and 12, as in pymrio:

* :math:`Z` (n × n) inter-industry flows, :math:`z_{ij}` sales of sector *i* to sector *j*;
  :math:`Y` (n × k) final demand by category; :math:`y = Y\mathbf 1`.
* Gross output :math:`x = Z\mathbf 1 + y`; primary inputs (value added, plus imports in a single-region
  table) :math:`v' = x' - \mathbf 1'Z`.
* **Leontief (demand side).** Technical coefficients :math:`A = Z\hat x^{-1}`, Leontief inverse
  :math:`L = (I - A)^{-1}`, quantity model :math:`x = Ly`, i.e. the solution of :math:`(I - A)x = y`.
* **Ghosh (supply side).** Allocation coefficients :math:`B = \hat x^{-1} Z`, Ghosh inverse
  :math:`G = (I - B)^{-1} = \hat x^{-1} L \hat x`, supply model :math:`x' = v'G`, i.e. the solution of
  :math:`(I - B)'x = v`.

Large systems are solved, never inverted: :func:`solve_leontief` and :func:`ghosh_output` factor the
sparse matrix once (``scipy.sparse.linalg.splu``) or iterate (``gmres``). :func:`calc_L` / :func:`calc_G`
form the dense inverses for small tables and tests only.

Inputs are NumPy arrays or pandas DataFrames with pymrio's layout (rows and columns a
``MultiIndex(region, sector)``; ``x`` a one-column frame ``indout``); a pymrio ``IOSystem`` is accepted by
:func:`mrio_frames`. DataFrames in → DataFrames out, with the same labels.

**The channel** runs only when an MRIO is present in ``ctx.extra["mrio"]`` (a pymrio ``IOSystem`` or a
mapping with ``Z``, ``Y`` and optionally ``x``, ``unit``). The shipped atlas has none — it holds ADB MRIO
*summaries* (``io_summary``: x, va, intermediate use, final demand by country and sector), not the
inter-country ``Z`` — so the channel returns one ``note`` row saying it was skipped. The summaries are not
used to fake multipliers: without ``Z`` there is no way to know who buys whose inputs.

With an MRIO, for the third country *c*:

* Import bans (coalition *K* stops buying from targets *T*, ``coverage`` κ): the coalition's final demand
  for the targets' products falls, :math:`\Delta y_i = -\kappa\, s \sum_{k \in K} Y_{i,k}` for *i* in
  *T*'s sectors (*s* = ``io_sector_share``, the share of the targets' sector sales the banned products
  cover; the MRIO has sectors, not HS codes). :math:`\Delta x = L\,\Delta y` (solved, not inverted);
  reported: :math:`\sum_{j \in c} \Delta x_j` and value added :math:`\sum_{j\in c} (1 - \mathbf 1'A)_j
  \Delta x_j`, total and by sector. Intermediate sales to the coalition are not cut (that would change
  *A*, a hypothetical-extraction exercise).
* Export bans (the coalition stops selling to *T*): the targets' primary supply shrinks in proportion to
  the share of their inputs bought from the coalition, :math:`\Delta v_j = -\kappa\, s\, v_j
  \sum_{i \in K} z_{ij} / \sum_i z_{ij}` for *j* in *T*; the Ghosh model carries it forward to the
  users of the targets' output, :math:`\Delta x' = \Delta v' G`. The Ghosh model is a measure of
  forward exposure, not a forecast: it holds allocation shares fixed, so a buyer's output falls with its
  suppliers' whatever its substitutes (Oosterhaven 1988, *J. Regional Science* 28(2), 203–217;
  Dietzenbacher 1997, *J. Regional Science* 37(4), 629–651).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import polars as pl
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ...measures.exact import fsum
from .. import spec as _spec
from .base import Context, Param, effects

__all__ = [
    "IOChannel", "CHANNEL", "calc_x", "calc_A", "calc_L", "calc_B", "calc_G", "calc_v", "solve_leontief",
    "ghosh_output", "mrio_frames", "SKIP_NOTE",
]

Method = Literal["auto", "dense", "splu", "gmres"]
# Above this many sectors "auto" iterates (GMRES) instead of solving densely: I − A of an input–output
# table (A ≥ 0, column sums < 1) is a nonsingular M-matrix and GMRES converges in a few iterations, while a
# sparse LU fills in on an MRIO's dense within-country blocks (BENCHMARKS.md: 5,000 sectors, GMRES 0.015 s,
# dense solve 4.1 s, sparse LU 7.6 s). Many right-hand sides amortise one factorisation: sparse LU then.
DENSE_MAX = 2_000
GMRES_MAX_COLUMNS = 8
SKIP_NOTE = "skipped: no MRIO in the atlas (load one, e.g. ADB MRIO / OECD ICIO via pymrio)"


def _arr(m: Any) -> np.ndarray:
    return m.to_numpy(dtype=float) if isinstance(m, pd.DataFrame | pd.Series) else np.asarray(m, dtype=float)


def _col(x: Any) -> np.ndarray:
    """An output vector as a flat array (a one-column frame, a Series or an array)."""
    return _arr(x).reshape(-1)


def _recip(x: np.ndarray) -> np.ndarray:
    """1/x where x ≠ 0, and 0 where x = 0 (a sector with no output has no coefficients)."""
    out = np.zeros_like(x, dtype=float)
    np.divide(1.0, x, out=out, where=x != 0)
    return out


def _like(values: np.ndarray, template: Any) -> Any:
    if isinstance(template, pd.DataFrame):
        return pd.DataFrame(values, index=template.index, columns=template.columns)
    return values


def calc_x(Z: Any, Y: Any) -> Any:
    r"""Gross output :math:`x = Z\mathbf 1 + Y\mathbf 1` (column vector; DataFrame ``indout`` for frames)."""
    if isinstance(Z, pd.DataFrame) and isinstance(Y, pd.DataFrame):
        Y = Y.reindex(Z.index)
    x = _arr(Z).sum(axis=1) + _arr(Y).reshape(_arr(Z).shape[0], -1).sum(axis=1)
    if isinstance(Z, pd.DataFrame):
        return pd.DataFrame({"indout": x}, index=Z.index)
    return x.reshape(-1, 1)


def calc_A(Z: Any, x: Any) -> Any:
    r"""Technical coefficients :math:`A = Z\hat x^{-1}` (:math:`a_{ij} = z_{ij}/x_j`; 0 where :math:`x_j = 0`).

    Textbook form: ``Z @ np.diag(1 / x)``; computed by broadcasting (no diagonal matrix).
    """
    return _like(_arr(Z) * _recip(_col(x))[None, :], Z)


def calc_B(Z: Any, x: Any) -> Any:
    r"""Allocation coefficients :math:`B = \hat x^{-1} Z` (:math:`b_{ij} = z_{ij}/x_i`; 0 where :math:`x_i = 0`).

    Textbook form: ``np.diag(1 / x) @ Z``; computed by broadcasting.
    """
    return _like(_arr(Z) * _recip(_col(x))[:, None], Z)


def calc_v(Z: Any, x: Any) -> Any:
    r"""Primary inputs :math:`v' = x' - \mathbf 1'Z` (value added, plus imports in a single-region table)."""
    v = _col(x) - _arr(Z).sum(axis=0)
    if isinstance(Z, pd.DataFrame):
        return pd.DataFrame({"v": v}, index=Z.columns)
    return v.reshape(-1, 1)


def calc_L(A: Any) -> Any:
    r"""Leontief inverse :math:`L = (I - A)^{-1}` (dense: small tables; use :func:`solve_leontief` otherwise)."""
    a = _arr(A)
    return _like(np.linalg.inv(np.eye(a.shape[0]) - a), A)


def calc_G(B: Any) -> Any:
    r"""Ghosh inverse :math:`G = (I - B)^{-1}` (dense: small tables; use :func:`ghosh_output` otherwise)."""
    b = _arr(B)
    return _like(np.linalg.inv(np.eye(b.shape[0]) - b), B)


def _solve(M: np.ndarray | sp.spmatrix, rhs: np.ndarray, *, method: Method, rtol: float) -> np.ndarray:
    """Solve M u = rhs (rhs n or n × k) without forming M⁻¹."""
    n = M.shape[0]
    if method == "auto":
        k = 1 if rhs.ndim == 1 else rhs.shape[1]
        if n <= DENSE_MAX:
            method = "dense"
        elif k <= GMRES_MAX_COLUMNS:
            try:
                return _solve(M, rhs, method="gmres", rtol=rtol)
            except ArithmeticError:  # did not converge: fall back to the direct sparse solve
                method = "splu"
        else:
            method = "splu"
    if method == "dense":
        return np.linalg.solve(M.toarray() if sp.issparse(M) else M, rhs)
    S = sp.csc_matrix(M)
    if method == "splu":
        return spla.splu(S).solve(rhs)
    if method == "gmres":
        cols = rhs.reshape(n, -1)
        out = np.empty_like(cols, dtype=float)
        for j in range(cols.shape[1]):
            kw = {"atol": 0.0, "restart": min(n, 200), "maxiter": 10 * n}
            try:
                sol, info = spla.gmres(S, cols[:, j], rtol=rtol, **kw)
            except TypeError:  # SciPy < 1.12 names the relative tolerance `tol`
                sol, info = spla.gmres(S, cols[:, j], tol=rtol, **kw)
            if info != 0:
                raise ArithmeticError(f"gmres did not converge (info={info}) on column {j}")
            out[:, j] = sol
        return out.reshape(rhs.shape)
    raise ValueError(f"method={method!r} is not allowed; choose one of: 'auto', 'dense', 'splu', 'gmres'")


def solve_leontief(A: Any, y: Any, *, method: Method = "auto", rtol: float = 1e-12) -> Any:
    r"""Gross output :math:`x = (I - A)^{-1} y`, by solving :math:`(I - A)x = y` (never forming the inverse).

    Parameters
    ----------
    A : technical coefficients (n × n array, DataFrame or SciPy sparse matrix).
    y : final demand, n or n × k (array or DataFrame; several columns → several solutions).
    method : ``"dense"`` (LAPACK), ``"splu"`` (sparse LU, one factorisation for all columns),
        ``"gmres"`` (iterative, relative tolerance ``rtol``), ``"auto"`` (dense up to ``DENSE_MAX`` sectors;
        above, GMRES for up to ``GMRES_MAX_COLUMNS`` right-hand sides with sparse LU as fallback, else
        sparse LU).

    Returns
    -------
    x with the shape of ``y``; a DataFrame with ``y``'s labels when ``y`` is one.
    """
    n = A.shape[0]
    M = sp.identity(n, format="csc") - sp.csc_matrix(A) if sp.issparse(A) else np.eye(n) - _arr(A)
    x = _solve(M, _arr(y), method=method, rtol=rtol)
    if isinstance(y, pd.DataFrame):
        return pd.DataFrame(x.reshape(y.shape), index=y.index, columns=y.columns)
    if isinstance(y, pd.Series):
        return pd.Series(x, index=y.index, name=y.name)
    return x


def ghosh_output(B: Any, v: Any, *, method: Method = "auto", rtol: float = 1e-12) -> Any:
    r"""Supply-driven output :math:`x' = v'(I - B)^{-1}`, by solving :math:`(I - B)'x = v`.

    ``v`` n or n × k primary inputs (one column per scenario); same ``method`` choices as
    :func:`solve_leontief`. Returns x with the shape (and labels) of ``v``.
    """
    n = B.shape[0]
    M = sp.identity(n, format="csc") - sp.csc_matrix(B).T if sp.issparse(B) else np.eye(n) - _arr(B).T
    x = _solve(M, _arr(v), method=method, rtol=rtol)
    if isinstance(v, pd.DataFrame):
        return pd.DataFrame(x.reshape(v.shape), index=v.index, columns=v.columns)
    if isinstance(v, pd.Series):
        return pd.Series(x, index=v.index, name=v.name)
    return x


def mrio_frames(mrio: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, str]:
    """``(Z, Y, x, unit)`` from a pymrio ``IOSystem`` or a mapping ``{"Z", "Y", ["x"], ["unit"]}``.

    ``Z`` and ``Y`` are DataFrames whose rows (and ``Z``'s columns) are pymrio's ``MultiIndex(region,
    sector)``; ``x`` is taken from the system when present (``indout``) and computed as
    :math:`Z\\mathbf 1 + Y\\mathbf 1` otherwise; ``unit`` is the system's unit label (pymrio: the first
    entry of ``unit``), or ``"MRIO unit"``.
    """
    get = mrio.get if isinstance(mrio, Mapping) else (lambda k, d=None: getattr(mrio, k, d))
    Z, Y = get("Z"), get("Y")
    if Z is None or Y is None:
        raise ValueError("an MRIO needs Z and Y (pymrio IOSystem, or a mapping with 'Z' and 'Y' DataFrames)")
    x = get("x")
    x = calc_x(Z, Y)["indout"] if x is None else (x.iloc[:, 0] if isinstance(x, pd.DataFrame) else pd.Series(x))
    unit = get("unit")
    if isinstance(unit, pd.DataFrame) and not unit.empty:
        unit = str(unit.iloc[0, 0])
    return Z, Y, x.reindex(Z.index), unit if isinstance(unit, str) and unit else "MRIO unit"


# --------------------------------------------------------------------------------------------------
# The channel
# --------------------------------------------------------------------------------------------------


def _region_iso3(labels: pd.Index) -> dict[str, str | None]:
    from ...countries import try_resolve

    return {r: (r if isinstance(r, str) and len(r) == 3 and r.isupper() else try_resolve(r)) for r in labels.unique()}


def _iso_of(regions: pd.Index) -> np.ndarray:
    """ISO3 code (or None) of each region label, in order."""
    iso = _region_iso3(regions)
    return np.array([iso[r] for r in regions], dtype=object)


def _regions(index: pd.MultiIndex) -> pd.Index:
    return index.get_level_values(0)


def _note(country: str, text: str) -> dict:
    return {"channel": "io", "country": country, "metric": "note", "value": math.nan, "unit": "", "detail": text}


class IOChannel:
    """Leontief / Ghosh propagation of the scenario's bans to the third country (see the module docstring)."""

    name = "io"

    def __init__(self, *, method: Method = "auto") -> None:
        if method not in ("auto", "dense", "splu", "gmres"):
            raise ValueError(f"method={method!r} is not allowed; choose one of: 'auto', 'dense', 'splu', 'gmres'")
        self.method = method

    def parameters(self) -> dict[str, Param]:
        return {
            "io_sector_share": Param(
                1.0, "triangular", 0.3, 1.0,
                "assumption: share of the targets' sector sales (or input purchases) that the banned HS "
                "products cover; the MRIO has sectors, not products, so 1 bans whole sectors",
            ),
        }

    def run(self, spec: _spec.ScenarioSpec, ctx: Context, params: dict[str, float]) -> pl.DataFrame:
        mrio = ctx.extra.get("mrio") if ctx.extra else None
        if mrio is None:
            return effects([_note(ctx.country, SKIP_NOTE)])
        s = float(params.get("io_sector_share", self.parameters()["io_sector_share"].central))
        Z, Y, x, unit = mrio_frames(mrio)
        Y = Y.reindex(Z.index)
        row_iso, col_iso = _iso_of(_regions(Z.index)), _iso_of(_regions(Y.columns))
        mine = row_iso == ctx.country
        if not mine.any():
            return effects([_note(ctx.country, f"skipped: {ctx.country} is not a region of the MRIO")])
        target = np.isin(row_iso, list(ctx.targets))
        coalition_rows = np.isin(row_iso, list(ctx.coalition))
        coalition_cols = np.isin(col_iso, list(ctx.coalition))
        kappa_imp = sum(m.coverage for m in spec.measures_of("import_ban"))
        kappa_exp = sum(m.coverage for m in spec.measures_of("export_ban"))
        rows = [_note(ctx.country, f"MRIO: {Z.shape[0]} region-sectors, unit {unit}; io_sector_share={s:g}")]
        sectors = Z.index.get_level_values(1)[mine]
        x_c = fsum(x.to_numpy()[mine])
        if kappa_imp > 0:
            dy = -min(kappa_imp, 1.0) * s * Y.to_numpy()[:, coalition_cols].sum(axis=1) * target
            A = calc_A(Z, x)
            dx = solve_leontief(_arr(A), dy, method=self.method)
            va_coef = 1.0 - _arr(A).sum(axis=0)
            rows += self._rows(ctx.country, "leontief", dx[mine], sectors, unit, x_c, va=(va_coef * dx)[mine])
        if kappa_exp > 0:
            zz = Z.to_numpy()
            inputs = zz.sum(axis=0)
            share_k = np.divide(zz[coalition_rows].sum(axis=0), inputs, out=np.zeros_like(inputs), where=inputs != 0)
            v = _col(calc_v(Z, x))
            dv = -min(kappa_exp, 1.0) * s * v * share_k * target
            dx = ghosh_output(_arr(calc_B(Z, x)), dv, method=self.method)
            rows += self._rows(ctx.country, "ghosh", dx[mine], sectors, unit, x_c)
        if kappa_imp == 0 and kappa_exp == 0:
            rows.append(_note(ctx.country, "no import_ban or export_ban measures: nothing to propagate"))
        return effects(rows)

    @staticmethod
    def _rows(country: str, model: str, dx: np.ndarray, sectors: pd.Index, unit: str, x_c: float,
              va: np.ndarray | None = None) -> list[dict]:
        base = {"channel": "io", "country": country}
        out = [
            {**base, "metric": "output_change", "value": fsum(dx), "unit": unit, "detail": model},
            {**base, "metric": "output_change_share", "value": fsum(dx) / x_c if x_c else math.nan,
             "unit": "share", "detail": model},
        ]
        out += [{**base, "metric": "output_change", "value": float(d), "unit": unit, "detail": f"{model}|{sec}"}
                for sec, d in zip(sectors, dx, strict=True)]
        if va is not None:
            out.append({**base, "metric": "value_added_change", "value": fsum(va), "unit": unit, "detail": model})
        return out


CHANNEL = IOChannel()
