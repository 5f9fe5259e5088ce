"""Options files: the shipped file loads; every bad input names the file and the field path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tethers.options.spec import OptionsSpecError, load_options

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"id": "a", "type": "route_capacity", "route": "r1", "add": 1, "unit": "Mt/y",
        "cost": {"usd": 1, "basis": "sourced", "source": "s"}}


def test_shipped_file_loads_with_sourced_or_labelled_costs():
    spec = load_options(ROOT / "options" / "kaz-2022.yaml")
    assert spec.country == "KAZ" and len(spec.options) >= 6
    for o in spec.options:
        assert o.cost.basis in ("sourced", "assumption", "none")
        assert o.cost.source or o.cost.note  # every cost says where it comes from or what it leaves out


CASES = [
    ("duplicate", {"options": [GOOD, GOOD]}, r"options\[1\]\.id: duplicate option id 'a'"),
    ("no source", {"options": [dict(GOOD, cost={"usd": 1, "basis": "sourced"})]},
     r"options\[0\]\.cost: .*sourced costs need a source"),
    ("no range", {"options": [dict(GOOD, cost={"usd": 1, "basis": "assumption"})]},
     r"options\[0\]\.cost: .*needs its range"),
    ("divisible membership", {"options": [{"id": "m", "type": "membership", "organisation": "csto", "action": "leave",
                                           "divisible": True, "cost": {"usd": 0, "basis": "none", "note": "n"}}]},
     r"options\[0\]: .*all-or-nothing"),
    ("bad product", {"options": [{"id": "s", "type": "supplier_shift", "products": ["ab"], "supplier": "RUS",
                                  "share": 0.5, "cost": {"usd_per_usd": 0.1, "basis": "sourced", "source": "s"}}]},
     r"options\[0\]\.products: .*'ab' is not a product"),
    ("unknown country", {"options": [{"id": "s", "type": "supplier_shift", "supplier": "Atlantis", "share": 0.5,
                                      "cost": {"usd_per_usd": 0.1, "basis": "sourced", "source": "s"}}]},
     r"options\[0\]\.supplier: .*Atlantis"),
    ("unknown kind", {"options": [dict(GOOD, type="bribe")]}, r"options\[0\]: .*bribe"),
    ("share > 1", {"options": [{"id": "s", "type": "supplier_shift", "supplier": "RUS", "share": 2,
                                "cost": {"usd_per_usd": 0.1, "basis": "sourced", "source": "s"}}]},
     r"options\[0\]\.share: .*less than or equal to 1"),
]


@pytest.mark.parametrize(("case", "patch", "match"), CASES, ids=[c[0] for c in CASES])
def test_bad_fields_are_reported_with_file_and_path(tmp_path, case, patch, match):
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump({"name": "t", "country": "KAZ", "base_year": 2021, **patch}))
    with pytest.raises(OptionsSpecError, match=rf"bad\.yaml: .*{match}"):
        load_options(f)


@pytest.mark.parametrize(("text", "match"), [("name: [unclosed", r"bad\.yaml line \d+ column \d+: invalid YAML"),
                                             ("- a list", r"bad\.yaml: an options file is a mapping")])
def test_bad_files(tmp_path, text, match):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(OptionsSpecError, match=match):
        load_options(f)
