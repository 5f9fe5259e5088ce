"""Comparing two computations of the same figures.

Polars' multi-threaded ``group_by(...).agg(sum)`` does not add a group's doubles in a fixed order (since
Polars 1.35; pola-rs/polars#25163, open), so one computation run twice can differ in the last bits of a
sum even on identical input. Two computations of the same figures are therefore compared to a relative
1e-12 — a thousand times the double epsilon, far below any digit a user reads — never bit for bit.
"""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

# relative tolerance for "the same figures": float summation order only
SAME_FIGURES_REL = 1e-12


def assert_same_figures(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Same columns, dtypes, row order and strings/flags; floats equal to :data:`SAME_FIGURES_REL` relative."""
    assert_frame_equal(got, want, rel_tol=SAME_FIGURES_REL, abs_tol=0.0)
