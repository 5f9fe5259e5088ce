"""The loader contract every source's tests subclass, plus bad-input mutations of real sample files.

A source's test module defines::

    class TestMySource(SourceContract):
        source_id = "my_source"
        sample = "my_source/real_excerpt.csv"           # under tests/samples/
        tables = {"trade"}
        bad_cases = [BadCase("empty", empty, "file is empty"), ...]   # ≥ 10 kinds for CSV loaders

and inherits: registration, ``handles`` on the sample, a validated read with provenance, and for each
bad case: the error type, ``match=`` on file/row/column, and an unchanged atlas checksum.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from tethers.atlas.schema import TABLES
from tethers.atlas.store import add_file, checksum
from tethers.errors import SourceFormatError, TethersError
from tethers.sources import get_source, list_sources

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

Mutation = Callable[[Path, Path], Path]  # (sample, tmp_dir) -> broken copy


@dataclass(frozen=True)
class BadCase:
    """One kind of bad input: a mutation of the real sample and the regex the error must match."""

    name: str
    mutate: Mutation
    match: str
    error: type[Exception] = SourceFormatError

    def __str__(self) -> str:  # pytest id
        return self.name


# ---- text mutations (operate on the sample's lines) -------------------------------------------


def _text(sample: Path) -> list[str]:
    return sample.read_text(encoding="utf-8-sig").splitlines()


def _write(tmp: Path, sample: Path, lines: list[str] | str, encoding: str = "utf-8", suffix: str | None = None) -> Path:
    out = tmp / (sample.stem + (suffix or sample.suffix))
    text = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
    out.write_bytes(text.encode(encoding))
    return out


def empty(sample: Path, tmp: Path) -> Path:
    return _write(tmp, sample, "")


def header_only(sample: Path, tmp: Path) -> Path:
    return _write(tmp, sample, _text(sample)[:1])


def truncated(sample: Path, tmp: Path) -> Path:
    """The file cut in the middle of its 6th line (a download that stopped)."""
    lines = _text(sample)
    cut = "\n".join(lines[:5]) + "\n" + lines[5][: max(1, len(lines[5]) // 3)]
    return _write(tmp, sample, cut)


def wrong_delimiter(sample: Path, tmp: Path) -> Path:
    return _write(tmp, sample, [ln.replace(",", ";") for ln in _text(sample)])


def cp1251(sample: Path, tmp: Path) -> Path:
    """Re-encoded in cp1251 (with a Cyrillic character forced in if the sample has none)."""
    lines = _text(sample)
    if all(ord(c) < 128 for c in "".join(lines)):
        lines[1] = "Ж" + lines[1]
    return _write(tmp, sample, lines, encoding="cp1251")


def utf8_bom(sample: Path, tmp: Path) -> Path:
    return _write(tmp, sample, "\ufeff" + "\n".join(_text(sample)) + "\n")


def rename_column(old: str, new: str) -> Mutation:
    def m(sample: Path, tmp: Path) -> Path:
        lines = _text(sample)
        lines[0] = re.sub(rf"(^|,){re.escape(old)}(,|$)", rf"\g<1>{new}\g<2>", lines[0], count=1)
        return _write(tmp, sample, lines)

    m.__name__ = f"rename_{old}"
    return m


def set_cell(column: str, value: str, line: int = 2) -> Mutation:
    """Set ``column`` of data line ``line`` (header = 1) to ``value``."""

    def m(sample: Path, tmp: Path) -> Path:
        import csv
        import io

        lines = _text(sample)
        header = next(csv.reader([lines[0]]))
        rec = next(csv.reader([lines[line - 1]]))
        rec[header.index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(rec)
        lines[line - 1] = buf.getvalue()
        return _write(tmp, sample, lines)

    m.__name__ = f"set_{column}"
    return m


def duplicate_row(line: int = 2) -> Mutation:
    def m(sample: Path, tmp: Path) -> Path:
        lines = _text(sample)
        return _write(tmp, sample, [*lines, lines[line - 1]])

    return m


def extra_column(sample: Path, tmp: Path) -> Path:
    lines = _text(sample)
    return _write(tmp, sample, [lines[0] + ",extra"] + [ln + ",x" for ln in lines[1:]])


def binary_garbage(sample: Path, tmp: Path) -> Path:
    out = tmp / sample.name
    out.write_bytes(bytes(range(256)) * 8)
    return out


# ---- the contract ------------------------------------------------------------------------------


class SourceContract:
    source_id: str = ""
    sample: str = ""
    tables: set[str] = set()
    bad_cases: list[BadCase] = []
    min_rows: int = 1

    @pytest.fixture()
    def sample_path(self) -> Path:
        return SAMPLES / self.sample

    def test_registered(self):
        assert self.source_id in list_sources()
        assert get_source(self.source_id.upper()).id == self.source_id

    def test_handles_sample(self, sample_path):
        assert get_source(self.source_id).handles(sample_path)

    def test_reads_sample_into_canonical_tables(self, sample_path):
        loaded = get_source(self.source_id).read(sample_path)
        assert set(loaded.tables) == self.tables
        for name, tbl in loaded.tables.items():
            assert isinstance(tbl, pa.Table)
            assert tbl.column_names == TABLES[name].column_names
            assert tbl.num_rows >= self.min_rows
            assert set(tbl.column("source").to_pylist()) == {self.source_id}
        assert {p.table_name for p in loaded.provenance} == self.tables
        assert all(len(p.sha256) == 64 and p.licence for p in loaded.provenance)

    def test_bad_input_is_rejected_and_atlas_unchanged(self, bad_case, sample_path, tmp_path, small_atlas):
        if bad_case is None:
            pytest.skip("no bad cases declared")
        broken = bad_case.mutate(sample_path, tmp_path)
        mine = tmp_path / "atlas.duckdb"
        shutil.copyfile(small_atlas.path, mine)
        before = small_atlas.checksum
        with pytest.raises(bad_case.error, match=bad_case.match) as info:
            add_file(self.source_id, broken, mine)
        assert isinstance(info.value, TethersError)
        msg = str(info.value)
        assert "\n" not in msg, "errors are one line"
        if isinstance(info.value, SourceFormatError):
            assert broken.name in msg, "the error names the file"
        assert checksum(mine) == before


def pytest_generate_tests(metafunc):  # noqa: D103 - pytest hook used via conftest import
    if "bad_case" in metafunc.fixturenames:
        cases = getattr(metafunc.cls, "bad_cases", None) or [None]
        metafunc.parametrize("bad_case", cases, ids=[str(c) for c in cases])


def csv_format_cases() -> list[BadCase]:
    """The six kinds every delimited-text loader must refuse the same way (shared by the loaders' tables)."""
    return [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"not valid utf-8"),
    ]
