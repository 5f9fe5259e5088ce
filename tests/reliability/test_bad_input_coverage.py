"""Meta-test: every CSV-format loader is tried with at least 10 kinds of bad input.

A "loader" here is one publisher format, identified by its contract class's ``(source_id, sample)``; the
kinds declared for it in tests/sources/ and in tests/reliability/test_more_bad_inputs.py are pooled.
"""

from __future__ import annotations

import pytest

from tethers.sources import list_sources

from ._contracts import MIN_KINDS, contract_classes, is_csv, kinds_per_loader

KINDS = kinds_per_loader()


@pytest.mark.parametrize("loader", sorted(k for k in KINDS if is_csv(k[1])), ids=lambda k: f"{k[0]}:{k[1]}")
def test_each_csv_loader_has_ten_kinds_of_bad_input(loader):
    kinds = KINDS[loader]
    assert len(kinds) >= MIN_KINDS, f"{loader}: only {len(kinds)} bad-input kinds: {sorted(kinds)}"


def test_every_registered_loader_has_a_contract_class():
    assert {cls.source_id for cls in contract_classes()} >= set(list_sources())


def test_bad_case_names_are_unique_within_a_class():
    for cls in contract_classes():
        names = [c.name for c in cls.bad_cases]
        assert len(names) == len(set(names)), cls.__name__



def test_every_registered_loader_meets_the_input_holes():
    """tests/reliability/test_input_holes.py plants a NUL byte, 1e308, a 40-digit integer and an SQL-like country
    code in every contract class's sample and gives every loader a folder, a FIFO and a device: generic over the
    contract classes, so a new loader with its contract class is covered without editing that file."""
    from .test_input_holes import KINDS as HOLE_KINDS
    from .test_input_holes import LOADERS

    assert {s for s, _ in LOADERS} >= set(list_sources())
    assert set(HOLE_KINDS) == {"nul_byte", "huge_1e308", "int_40_digits", "sql_country"}
