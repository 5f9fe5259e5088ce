"""I–O channel: Miller & Blair's two-sector example, sparse vs dense solves, Ghosh, pymrio compatibility."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp

from tethers.scenario.channels import io as IO
from tethers.scenario.channels.base import EFFECT_COLUMNS, Context
from tethers.scenario.spec import parse_spec

# The book prints coefficients of L to three decimals and outputs to one: half a unit in the last place.
BOOK_L = 5e-4
BOOK_X = 0.05
# Closed-form values from the table's integers: only float rounding remains.
EXACT = 1e-12
# Sparse LU / GMRES against the dense inverse (task requirement; GMRES runs at rtol 1e-12).
SOLVE = 1e-9

# Miller & Blair, Input–Output Analysis: Foundations and Extensions, 2nd ed. (Cambridge UP, 2009),
# chapter 2. Table 2.3: flows z_ij, final demand f and total output x of the two-sector example.
Z_MB = np.array([[150.0, 500.0], [200.0, 100.0]])
F_MB = np.array([350.0, 1700.0])
X_MB = np.array([1000.0, 2000.0])
# Table 2.4: technical coefficients a_ij = z_ij / x_j.
A_MB = np.array([[0.15, 0.25], [0.20, 0.05]])
# The worked example after Table 2.4: L = (I − A)⁻¹ printed as [[1.254, .330], [.264, 1.122]], and the new
# final demand f = (600, 1500) needs x = (1247.5, 1841.6). (Same figures as pymrio's tests/test_math.py
# fixture td_IO_Data_Miller, which cites Tables 2.3 and 2.4 of this edition.)
L_MB_PRINTED = np.array([[1.254, 0.330], [0.264, 1.122]])
F_NEW, X_NEW_PRINTED = np.array([600.0, 1500.0]), np.array([1247.5, 1841.6])
# By hand: det(I − A) = 0.85·0.95 − 0.25·0.20 = 0.7575; L = adj(I − A) / det.
DET = 0.85 * 0.95 - 0.25 * 0.20
L_EXACT = np.array([[0.95, 0.25], [0.20, 0.85]]) / DET


def test_textbook_leontief():
    x = IO.calc_x(Z_MB, F_MB.reshape(-1, 1))
    assert x.ravel() == pytest.approx(X_MB, abs=EXACT)
    a = IO.calc_A(Z_MB, x)
    assert a == pytest.approx(A_MB, abs=EXACT)
    leontief = IO.calc_L(a)
    assert leontief == pytest.approx(L_MB_PRINTED, abs=BOOK_L)
    assert leontief == pytest.approx(L_EXACT, abs=EXACT)
    for method in ("dense", "splu", "gmres"):
        assert IO.solve_leontief(a, F_MB, method=method) == pytest.approx(X_MB, rel=SOLVE)
        assert IO.solve_leontief(a, F_NEW, method=method) == pytest.approx(X_NEW_PRINTED, abs=BOOK_X)


def test_textbook_ghosh():
    # b_ij = z_ij / x_i from Table 2.3, by hand: [[150/1000, 500/1000], [200/2000, 100/2000]]
    b = IO.calc_B(Z_MB, X_MB)
    assert b == pytest.approx(np.array([[0.15, 0.50], [0.10, 0.05]]), abs=EXACT)
    g = IO.calc_G(b)
    # det(I − B) = 0.85·0.95 − 0.5·0.1 = 0.7575 again; G = adj(I − B) / det
    assert g == pytest.approx(np.array([[0.95, 0.50], [0.10, 0.85]]) / DET, abs=EXACT)
    # Miller & Blair (2009) ch. 12: G = x̂⁻¹ L x̂
    assert g == pytest.approx(np.diag(1 / X_MB) @ L_EXACT @ np.diag(X_MB), abs=EXACT)
    # primary inputs v' = x' − 1'Z = (1000 − 350, 2000 − 600) (the table's payments-sector row); x' = v'G
    v = IO.calc_v(Z_MB, X_MB).ravel()
    assert v == pytest.approx(np.array([650.0, 1400.0]), abs=EXACT)
    for method in ("dense", "splu", "gmres"):
        assert IO.ghosh_output(b, v, method=method) == pytest.approx(X_MB, rel=SOLVE)


def test_textbook_with_labelled_frames():
    idx = pd.MultiIndex.from_product([["reg1"], ["sec1", "sec2"]], names=["region", "sector"])
    Z = pd.DataFrame(Z_MB, index=idx, columns=idx)
    Y = pd.DataFrame(F_MB, index=idx, columns=pd.MultiIndex.from_tuples([("reg1", "fd")], names=["region", "category"]))
    x = IO.calc_x(Z, Y)
    assert list(x.columns) == ["indout"] and x.index.equals(idx)
    A = IO.calc_A(Z, x)
    assert isinstance(A, pd.DataFrame) and A.index.equals(idx) and A.columns.equals(idx)
    xs = IO.solve_leontief(A, Y)
    assert isinstance(xs, pd.DataFrame) and xs.index.equals(idx)
    assert xs.to_numpy().ravel() == pytest.approx(X_MB, rel=SOLVE)


def random_system(n: int, k: int, seed: int, density: float = 0.05):
    """A sparse non-negative A with column sums ≤ 0.9 (so I − A is strictly diagonally dominant by columns)."""
    rng = np.random.default_rng(seed)
    A = sp.random(n, n, density=density, random_state=rng, format="csc")
    colsum = np.asarray(A.sum(axis=0)).ravel()
    scale = 0.9 * rng.uniform(0.1, 1.0, n) / np.where(colsum > 0, colsum, 1.0)
    A = (A @ sp.diags(scale)).tocsc()
    y = rng.uniform(0.0, 100.0, (n, k)) if k > 1 else rng.uniform(0.0, 100.0, n)
    return A, y


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize(("n", "k", "seed"), [(5, 1, 0), (60, 1, 1), (60, 3, 2), (400, 1, 3), (400, 4, 4)])
@pytest.mark.parametrize("method", ["splu", "gmres", "auto"])
def test_sparse_solve_equals_dense_inverse(n, k, seed, method):
    A, y = random_system(n, k, seed)
    x_ref = np.linalg.inv(np.eye(n) - A.toarray()) @ y
    assert rel_err(IO.solve_leontief(A, y, method=method), x_ref) <= SOLVE
    assert rel_err(IO.solve_leontief(A.toarray(), y, method=method), x_ref) <= SOLVE
    # Ghosh on the same matrix read as B: x' = v'(I − B)⁻¹
    x_ref_g = (y.T @ np.linalg.inv(np.eye(n) - A.toarray())).T
    assert rel_err(IO.ghosh_output(A, y, method=method), x_ref_g) <= SOLVE


@pytest.mark.parametrize(("k", "expected"), [(1, "gmres"), (20, "splu")])
def test_auto_above_the_threshold_iterates_or_factorises(monkeypatch, k, expected):
    """Above DENSE_MAX: GMRES for a few right-hand sides, one sparse LU for many; same answer either way."""
    A, y = random_system(50, k, 7)
    calls = []
    real_splu, real_gmres = IO.spla.splu, IO.spla.gmres
    monkeypatch.setattr(IO, "DENSE_MAX", 10)
    monkeypatch.setattr(IO.spla, "splu", lambda M: calls.append("splu") or real_splu(M))
    monkeypatch.setattr(IO.spla, "gmres", lambda *a, **kw: calls.append("gmres") or real_gmres(*a, **kw))
    x = IO.solve_leontief(A, y)
    assert set(calls) == {expected}
    assert rel_err(x, np.linalg.inv(np.eye(50) - A.toarray()) @ y) <= SOLVE


def test_auto_falls_back_to_sparse_lu_when_gmres_does_not_converge(monkeypatch):
    A, y = random_system(50, 1, 7)
    monkeypatch.setattr(IO, "DENSE_MAX", 10)
    monkeypatch.setattr(IO.spla, "gmres", lambda *a, **kw: (np.zeros(50), 1))  # info=1: no convergence
    x = IO.solve_leontief(A, y)
    assert rel_err(x, np.linalg.inv(np.eye(50) - A.toarray()) @ y) <= SOLVE


def test_bad_method_is_rejected():
    with pytest.raises(ValueError, match="method='qr' is not allowed"):
        IO.solve_leontief(A_MB, F_MB, method="qr")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method='qr' is not allowed"):
        IO.IOChannel(method="qr")  # type: ignore[arg-type]


def test_mrio_needs_z_and_y():
    with pytest.raises(ValueError, match="an MRIO needs Z and Y"):
        IO.mrio_frames({"Z": pd.DataFrame(Z_MB)})


# ---------------------------------------------------------------------------------------------------
# pymrio compatibility (pymrio is optional: pip install pymrio)
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pymrio_test_system():
    pymrio = pytest.importorskip("pymrio", reason="pymrio not installed: pip install pymrio to run these")
    io = pymrio.load_test()  # pymrio's bundled 6-region × 8-sector test MRIO
    io.calc_all()
    return io


def test_pymrio_same_matrices(pymrio_test_system):
    from pymrio.tools import iomath

    io = pymrio_test_system
    A = IO.calc_A(io.Z, io.x)
    pd.testing.assert_frame_equal(A, io.A, rtol=EXACT, check_names=True)
    pd.testing.assert_frame_equal(IO.calc_L(io.A), io.L, rtol=1e-9)
    B = IO.calc_B(io.Z, io.x)
    pd.testing.assert_frame_equal(B, iomath.calc_B(io.Z, io.x), rtol=EXACT)
    pd.testing.assert_frame_equal(IO.calc_G(B), iomath.calc_G(B), rtol=1e-9)
    pd.testing.assert_frame_equal(IO.calc_x(io.Z, io.Y), io.x, rtol=EXACT)
    for method in ("splu", "gmres"):
        x = IO.solve_leontief(io.A, io.Y.sum(axis=1), method=method)
        assert rel_err(x.to_numpy(), io.x["indout"].to_numpy()) <= SOLVE


def test_pymrio_iosystem_is_accepted(pymrio_test_system):
    io = pymrio_test_system
    Z, Y, x, unit = IO.mrio_frames(io)
    assert Z is io.Z and Y is io.Y and unit == str(io.unit.iloc[0, 0])
    assert x.to_numpy() == pytest.approx(io.x["indout"].to_numpy(), rel=EXACT)


# ---------------------------------------------------------------------------------------------------
# The channel
# ---------------------------------------------------------------------------------------------------


def _ctx(extra: dict | None = None, country: str = "KAZ") -> Context:
    empty = pl.DataFrame()
    return Context(country=country, base_year=2021, coalition=frozenset({"USA"}), targets=frozenset({"RUS"}),
                   trade=empty, energy_flows=empty, routes=empty, fx=empty, prices=empty, io_summary=empty,
                   extra=extra or {})


SPEC = parse_spec({"name": "t", "coalition": ["USA"], "targets": ["RUS"], "start_year": 2022,
                   "measures": [{"type": "import_ban", "products": ["27"], "coverage": 0.8},
                                {"type": "export_ban", "products": ["84"], "coverage": 0.5}]})


def test_channel_skips_without_an_mrio():
    out = IO.IOChannel().run(SPEC, _ctx(), {})
    assert out.schema == pl.Schema(EFFECT_COLUMNS)
    assert out.height == 1
    row = out.row(0, named=True)
    assert row["metric"] == "note" and row["detail"] == IO.SKIP_NOTE and math.isnan(row["value"])


# A hand 3-region × 1-sector MRIO (KAZ, RUS, USA), one final-demand column per region.
REG = ["KAZ", "RUS", "USA"]
IDX = pd.MultiIndex.from_product([REG, ["all"]], names=["region", "sector"])
FD = pd.MultiIndex.from_product([REG, ["fd"]], names=["region", "category"])
Z3 = pd.DataFrame([[10.0, 30.0, 5.0], [20.0, 40.0, 10.0], [5.0, 15.0, 60.0]], index=IDX, columns=IDX)
Y3 = pd.DataFrame([[50.0, 10.0, 20.0], [30.0, 100.0, 40.0], [10.0, 20.0, 200.0]], index=IDX, columns=FD)


def test_channel_leontief_and_ghosh_by_hand():
    s = 0.6
    out = IO.IOChannel().run(SPEC, _ctx({"mrio": {"Z": Z3, "Y": Y3, "unit": "USD million"}}), {"io_sector_share": s})
    val = {(m, d): v for m, d, v in out.select("metric", "detail", "value").iter_rows()}
    z, y = Z3.to_numpy(), Y3.to_numpy()
    x = z.sum(1) + y.sum(1)
    L = np.linalg.inv(np.eye(3) - z / x[None, :])
    # import ban: the USA's final demand for Russian goods falls by 0.8 · s
    dy = np.array([0.0, -0.8 * s * y[1, 2], 0.0])
    assert val[("output_change", "leontief")] == pytest.approx((L @ dy)[0], rel=SOLVE)
    assert val[("output_change", "leontief|all")] == pytest.approx((L @ dy)[0], rel=SOLVE)
    va_kaz = 1.0 - (z / x[None, :])[:, 0].sum()
    assert val[("value_added_change", "leontief")] == pytest.approx(va_kaz * (L @ dy)[0], rel=SOLVE)
    # export ban: Russia's primary inputs shrink by 0.5 · s · (its inputs bought from the USA / all its inputs)
    v = x - z.sum(0)
    dv = np.array([0.0, -0.5 * s * v[1] * z[2, 1] / z[:, 1].sum(), 0.0])
    G = np.linalg.inv(np.eye(3) - z / x[:, None])
    assert val[("output_change", "ghosh")] == pytest.approx((dv @ G)[0], rel=SOLVE)
    assert val[("output_change_share", "ghosh")] == pytest.approx((dv @ G)[0] / x[0], rel=SOLVE)
    assert out.filter(pl.col("metric") == "output_change")["unit"].unique().to_list() == ["USD million"]


def test_channel_country_not_in_the_mrio():
    out = IO.IOChannel().run(SPEC, _ctx({"mrio": {"Z": Z3, "Y": Y3}}, country="UZB"), {})
    assert out["detail"].to_list() == ["skipped: UZB is not a region of the MRIO"]


def test_channel_on_a_pymrio_iosystem(pymrio_test_system):
    io = pymrio_test_system.copy()
    io.rename_regions({"reg1": "KAZ", "reg2": "RUS", "reg3": "USA"})
    out = IO.IOChannel().run(SPEC, _ctx({"mrio": io}), {})
    val = {(m, d): v for m, d, v in out.select("metric", "detail", "value").iter_rows()}
    assert val[("output_change", "leontief")] < 0 and val[("output_change", "ghosh")] < 0
    by_sector = out.filter((pl.col("metric") == "output_change") & pl.col("detail").str.starts_with("leontief|"))
    assert by_sector.height == 8
    assert by_sector["value"].sum() == pytest.approx(val[("output_change", "leontief")], rel=1e-12)
