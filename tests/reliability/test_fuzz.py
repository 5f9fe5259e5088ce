"""Bounded fuzzing (hypothesis) of the loaders and the scenario parser.

Every input must either load or raise a ``TethersError`` subclass whose message is one line — never
another exception type, never a hang (each example has a hypothesis ``deadline``; the module runs in well
under 60 s). Example counts are in ``FUZZ_EXAMPLES`` and docs/reliability.md.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sources.contract import SAMPLES
from tethers.errors import TethersError
from tethers.scenario.spec import load_spec
from tethers.sources import get_source

from ._contracts import contract_classes

FORMATS = sorted({(c.source_id, c.sample) for c in contract_classes()})
IDS = [f"{s}:{Path(p).name}" for s, p in FORMATS]
# CI: a fixed, derandomised budget. A longer random soak: TETHERS_FUZZ_EXAMPLES=300 pytest tests/reliability/test_fuzz.py
SOAK = int(os.environ.get("TETHERS_FUZZ_EXAMPLES", "0"))
LOADER_EXAMPLES = SOAK or 12      # per format and strategy
SCENARIO_EXAMPLES = SOAK or 150   # per scenario strategy
FUZZ = settings(max_examples=LOADER_EXAMPLES, deadline=dt.timedelta(seconds=10), derandomize=not SOAK,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FUZZ_SCENARIO = settings(max_examples=SCENARIO_EXAMPLES, deadline=dt.timedelta(seconds=5), derandomize=not SOAK,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check_load(source_id: str, path: Path) -> None:
    try:
        get_source(source_id).read(path)
    except TethersError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, f"not one line: {msg!r}"


def _folder(sample: Path, tmp: Path) -> Path:
    """A scratch folder with the sample's siblings (some formats read companion files)."""
    folder = tmp / "fuzz"
    if not folder.exists():
        shutil.copytree(sample.parent, folder)
    return folder


# ---- loaders --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source_id", "sample"), FORMATS, ids=IDS)
@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_load_or_raise_one_line(source_id, sample, tmp_path, data):
    path = _folder(SAMPLES / sample, tmp_path) / Path(sample).name  # the publisher's file name
    path.write_bytes(data)
    _check_load(source_id, path)


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=32)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("dup_line"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("swap_lines"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("token"), st.integers(0, 10**6),
              st.sampled_from([b"", b",", b";", b"\t", b'"', b"\r\n", b"\x00", b"-1", b"NaN", b"inf", b"1e999",
                               b"9" * 40, b"\xef\xbb\xbf", b"\xff\xfe", "Ж".encode(), b"<", b"</x>", b"&amp;"])),
)


def _mutate(raw: bytes, ops) -> bytes:
    b = bytearray(raw)
    for op, pos, arg in ops:
        i = pos % (len(b) + 1)
        if op == "flip" and b:
            b[i % len(b)] = arg
        elif op == "delete":
            del b[i:i + arg]
        elif op == "insert" or op == "token":
            b[i:i] = arg
        elif op == "truncate":
            del b[i:]
        elif op in ("dup_line", "swap_lines"):
            lines = bytes(b).split(b"\n")
            j = pos % len(lines)
            if op == "dup_line":
                lines.insert(j, lines[j])
            else:
                k = arg % len(lines)
                lines[j], lines[k] = lines[k], lines[j]
            b = bytearray(b"\n".join(lines))
    return bytes(b)


@pytest.mark.parametrize(("source_id", "sample"), FORMATS, ids=IDS)
@FUZZ
@given(ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_real_samples_load_or_raise_one_line(source_id, sample, tmp_path, ops):
    src = SAMPLES / sample
    path = _folder(src, tmp_path) / src.name
    path.write_bytes(_mutate(src.read_bytes(), ops))
    _check_load(source_id, path)


# Mutations that once leaked a raw exception (found by the fuzzer above; kept as fixed regressions).
FOUND = [
    ("energy_institute", "energy_institute/EI-stats-review-2024-gas-trade-sheets.xlsx", [("flip", 4704, 47)],
     "not a readable Excel workbook"),  # zlib.error while openpyxl streamed a sheet
    ("baci", "baci/BACI_HS02_Y2021_V202301_CONVERTED_kaz_top5_excerpt.csv", [("token", 12, b'"')],
     "malformed CSV"),  # an unclosed quote: polars.ComputeError
    ("unvotes", "unvotes/unvotes_pkg_un_votes.csv", [("truncate", 168, 0), ("truncate", 2694, 0),
                                                     ("token", 3647, b"9" * 40)],
     "out of range for a whole number"),  # polars.InvalidOperationError casting 1e41 to Int64
    ("eurostat", "eurostat/eurostat_member_trade_KZ_monthly_excerpt.csv", [("token", 0, b'""')],
     "not readable as CSV header fields"),  # ColumnNotFoundError: the reader saw '""REPORTER' differently
    ("nbk", "nbk/nbk_get_rates_2026-08-01_excerpt.xml", [("token", 30, b"NaN")],
     "not well-formed XML: unknown encoding"),  # LookupError from expat
]
# A tab before a header name: the header check strips it, the reader kept it (ColumnNotFoundError). The
# mutated files now load with the rows of the untouched sample.
TAB_IN_HEADER = [
    ("baci", "baci/BACI_HS02_Y2021_V202301_CONVERTED_kaz_top5_excerpt.csv", 0),
    ("energy_institute", "energy_institute/gas_trade_movements_long_excerpt.csv", 0),
    ("eurostat", "eurostat/eurostat_eu27_exports_by_partner_annual_excerpt.csv", 0),
    ("eurostat", "eurostat/eurostat_member_trade_KZ_monthly_excerpt.csv", 0),
    ("gem", "gem/goit_mapdata_2024-06_excerpt.csv", 35),
]


@pytest.mark.parametrize(("source_id", "sample", "ops", "message"), FOUND, ids=[f"{s}:{o}" for s, _, o, _ in FOUND])
def test_mutations_found_by_fuzzing(source_id, sample, ops, message, tmp_path):
    src = SAMPLES / sample
    path = _folder(src, tmp_path) / src.name
    path.write_bytes(_mutate(src.read_bytes(), ops))
    with pytest.raises(TethersError, match=message) as exc:
        get_source(source_id).read(path)
    assert "\n" not in str(exc.value) and path.name in str(exc.value)


@pytest.mark.parametrize(("source_id", "sample", "pos"), TAB_IN_HEADER, ids=[s for _, s, _ in TAB_IN_HEADER])
def test_tab_before_a_header_name_loads_the_same_rows(source_id, sample, pos, tmp_path):
    src = SAMPLES / sample
    path = _folder(src, tmp_path) / src.name
    path.write_bytes(_mutate(src.read_bytes(), [("token", pos, b"\t")]))
    got, want = get_source(source_id).read(path).tables, get_source(source_id).read(src).tables
    assert {k: t.to_pylist() for k, t in got.items()} == {k: t.to_pylist() for k, t in want.items()}


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999"])
def test_non_finite_start_year_in_gem_is_one_line(value, tmp_path):
    """'inf' parsed as a float start year, then int(inf) raised OverflowError (found by the soak)."""
    src = SAMPLES / "gem" / "goit_mapdata_2024-06_excerpt.csv"
    path = _folder(src, tmp_path) / src.name
    path.write_text(src.read_text(encoding="utf-8").replace(",operating,2005,", f",operating,{value},", 1),
                    encoding="utf-8")
    with pytest.raises(TethersError, match="not a plausible year") as exc:
        get_source("gem").read(path)
    assert "row 2" in str(exc.value) and "start_year" in str(exc.value)


def test_every_byte_flip_of_a_parquet_sample_is_one_line():
    """Polars' Parquet reader panicked (pyo3 PanicException, not an Exception) on a corrupt page."""
    src = SAMPLES / "adb_mrio" / "adb_mrio72_country_sector_summary_2021_kaz_excerpt.parquet"
    raw = src.read_bytes()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = _folder(src, Path(tmp)) / src.name
        for pos in range(0, len(raw), max(1, len(raw) // 400)):
            path.write_bytes(_mutate(raw, [("flip", pos, raw[pos] ^ 0x5A)]))
            _check_load("adb_mrio", path)


# ---- scenario parser ------------------------------------------------------------------------------

KEYS = ["name", "description", "coalition", "targets", "start_year", "measures", "third_countries", "parameters",
        "references", "type", "products", "coverage", "intensity", "routes", "through", "cap_usd_per_unit", "unit"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(["RUS", "KAZ", "EU27", "import_ban", "financial", "27",
                                                           "2709", "route_closure", "CPC"]))
values = st.recursive(
    scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=5),
                           st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), kids, max_size=6)),
    max_leaves=30,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=9)


def _check_spec(path: Path, loader=load_spec) -> None:
    """``loader(path)`` succeeds or raises a TethersError whose message is one line."""
    try:
        loader(path)
    except TethersError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, f"not one line: {msg!r}"


@FUZZ_SCENARIO
@given(doc=st.one_of(documents, values))
def test_random_yaml_structures(tmp_path, doc):
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check_spec(p)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v).replace("inf", "inf").replace("nan", "nan")
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    return '""'


@FUZZ_SCENARIO
@given(doc=documents)
def test_random_toml_structures(tmp_path, doc):
    p = tmp_path / "s.toml"
    p.write_text("\n".join(f"{k} = {_toml_value(v)}" for k, v in doc.items() if v is not None) + "\n", encoding="utf-8")
    _check_spec(p)


@FUZZ_SCENARIO
@given(data=st.one_of(st.binary(max_size=2048), st.text(max_size=2048).map(lambda t: t.encode("utf-8"))),
       suffix=st.sampled_from([".yaml", ".toml"]))
def test_random_text_as_scenario(tmp_path, data, suffix):
    p = tmp_path / f"s{suffix}"
    p.write_bytes(data)
    _check_spec(p)


# Options files (tethers.options.spec): random structures over their real keys, and random text.
OPTION_KEYS = ["name", "country", "base_year", "description", "options", "references", "id", "label", "divisible",
               "cost", "usd", "usd_per_usd", "low", "high", "basis", "source", "note", "type", "organisation",
               "action", "products", "supplier", "share", "to", "route", "add", "unit", "amount_usd", "partners",
               "flow", "membership", "supplier_shift", "route_capacity", "neighbour_trade", "sourced", "assumption"]
option_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True), st.text(max_size=12),
              st.sampled_from(OPTION_KEYS + ["KAZ", "RUS", "CHN", "CASIA", "eaeu", "cpc_tengiz_novorossiysk", "Mt/y"])),
    lambda kids: st.one_of(st.lists(kids, max_size=4),
                           st.dictionaries(st.one_of(st.sampled_from(OPTION_KEYS), st.text(max_size=6)), kids, max_size=6)),
    max_leaves=30,
)


def _check_options(path: Path) -> None:
    from tethers.options.spec import load_options

    _check_spec(path, load_options)


@FUZZ_SCENARIO
@given(doc=st.one_of(st.dictionaries(st.sampled_from(OPTION_KEYS), option_values, max_size=8), option_values))
def test_random_options_files(tmp_path, doc):
    p = tmp_path / "o.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check_options(p)


@FUZZ_SCENARIO
@given(ops=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_shipped_options_file(tmp_path, ops):
    src = Path(__file__).resolve().parents[2] / "options" / "kaz-2022.yaml"
    p = tmp_path / "kaz-2022.yaml"
    p.write_bytes(_mutate(src.read_bytes(), ops))
    _check_options(p)


HOSTILE = {
    "deep_yaml_list": "name: " + "[" * 50_000 + "]" * 50_000,
    "deep_yaml_map": "a: " + "{b: " * 20_000 + "1" + "}" * 20_000,
    "deep_toml_array.toml": "a = " + "[" * 50_000 + "]" * 50_000,
    "deep_toml_table.toml": "a = " + "{b = " * 20_000 + "1" + "}" * 20_000,
    "huge_int": "name: x\ncoalition: [USA]\ntargets: [RUS]\nstart_year: " + "9" * 5000 + "\n",
    "huge_int.toml": 'name = "x"\nstart_year = ' + "9" * 5000 + "\n",
    "huge_float": "name: x\ncoalition: [USA]\ntargets: [RUS]\nstart_year: 2022\n"
                  "measures: [{type: financial, intensity: 1e999}]\n",
    "billion_laughs": "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
                      + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
                      + "name: *i\ncoalition: *i\ntargets: *i\nreferences: *i\nparameters: {x: *i}\nstart_year: 2022\n"
                        "measures: *i\n",
    "newline_in_key": 'name: x\ncoalition: [USA]\ntargets: [RUS]\nstart_year: 2022\n'
                      'measures: [{type: financial, intensity: 0.5}]\nparameters: {"a\\nb": "x"}\n',
    "control_char": 'name: "\x07"\n',
    "nul_byte": "name: a\x00b\n",
    "not_utf8": "name: \udcff\n",
    "big_file": "name: " + "x" * 1_100_000 + "\n",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_scenarios_raise_one_line(tmp_path, case):
    p = tmp_path / (case if case.endswith(".toml") else case + ".yaml")
    p.write_bytes(HOSTILE[case].encode("utf-8", errors="surrogateescape"))
    with pytest.raises(TethersError) as info:
        load_spec(p)
    assert "\n" not in str(info.value) and str(p) in str(info.value)
