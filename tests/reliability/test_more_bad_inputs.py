"""Bad-input kinds the sources suite lacks, with the contract helpers (type, ``match=`` on file/row/column,
one-line message, unchanged atlas checksum).

* Four CSV formats had fewer than 10 kinds (GEM GOIT map data, GEM oil subset, the monthly Investing.com
  exports raw and cleaned): their missing kinds are added as contract classes below.
* Across every CSV loader: non-finite numbers (``NaN``, ``inf``, ``1e999``) — before issue 7 they loaded
  as NaN/inf (fixed in ``sources._common.validate``); a UTF-8 BOM and CRLF line ends load the same
  rows as the plain file; an extra column either loads the same rows or is refused with a one-line error.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from tests.sources.contract import (
    SAMPLES,
    BadCase,
    SourceContract,
    _text,
    _write,
    binary_garbage,
    cp1251,
    duplicate_row,
    empty,
    extra_column,
    header_only,
    rename_column,
    set_cell,
    truncated,
    utf8_bom,
    wrong_delimiter,
)
from tests.sources.text_mutations import replace_text
from tethers.errors import SourceFormatError, TethersError
from tethers.sources import get_source

from ._contracts import contract_classes, is_csv


def cp1251_lossy(sample: Path, tmp: Path) -> Path:
    """Re-saved in cp1251 (characters it lacks become '?'), with a Cyrillic 'Ж' forced into line 2."""
    lines = _text(sample)
    lines[1] = "Ж" + lines[1]
    out = tmp / sample.name
    out.write_bytes(("\n".join(lines) + "\n").encode("cp1251", errors="replace"))
    return out


# ---- the four CSV formats below 10 kinds ----------------------------------------------------------


class TestGemGoitMapDataMore(SourceContract):
    source_id = "gem"
    sample = "gem/goit_mapdata_2024-06_excerpt.csv"
    tables = {"routes"}
    bad_cases = [
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header's 11"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter: expected ',', the header uses ';'"),
        BadCase("cp1251", cp1251_lossy, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"row 2: byte 0x80 is not valid utf-8"),
        BadCase("header_renamed", rename_column("countries", "country"), r"row 1: missing column\(s\) 'countries'"),
        BadCase("non_numeric", set_cell("capacity", "2 kb/d", line=2), r"row 2 column 'capacity': '2 kb/d' is not a number"),
        BadCase("negative", set_cell("capacity", "-5", line=2), r"row 2 column 'capacity': -5.0 is negative"),
        BadCase("nonfinite", set_cell("capacity", "nan", line=3), r"(?i)row 3 column 'capacity': '?nan'? is not a finite number"),
        BadCase("unknown_country", set_cell("countries", "Narnia", line=3), r"row 3 column 'countries': unknown country 'Narnia'"),
        BadCase("duplicate_key", duplicate_row(3), r"row 3: duplicate key \{'route_id': 'GOIT:Baku Supsa Oil Pipeline'\} \(also at row 14\)"),
        BadCase("year_out_of_range", set_cell("start_year", "2201", line=3), r"row 3 column 'start_year': '2201' is not a plausible year"),
        BadCase("unknown_type", set_cell("type", "gas_pipelines", line=3), r"row 3 column 'type': unknown pipeline type 'gas_pipelines'"),
        BadCase("missing_project", set_cell("project", "", line=4), r"row 4 column 'project': missing value"),
    ]


class TestGemOilSubsetCsvMore(SourceContract):
    source_id = "gem"
    sample = "gem/gem_central_asia_oil_pipelines_subset.csv"
    tables = {"routes"}
    bad_cases = [
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header's 10"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter: expected ',', the header uses ';'"),
        BadCase("cp1251", cp1251_lossy, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"row 2: byte 0x80 is not valid utf-8"),
        BadCase("negative", set_cell("capacity", "-5", line=3), r"row 3 column 'capacity': -5.0 is negative"),
        BadCase("nonfinite_nan", set_cell("capacity", "NaN", line=3), r"(?i)row 3 column 'capacity': '?nan'? is not a finite number"),
        BadCase("nonfinite_inf", set_cell("capacity", "inf", line=3), r"(?i)row 3 column 'capacity': '?inf'? is not a finite number"),
    ]


class TestInvestingCleanMonthlyMore(SourceContract):
    source_id = "market"
    sample = "market/investing_USD_KZT_monthly_2021-01_2022-09_excerpt.csv"
    tables = {"fx"}
    min_rows = 21
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
        BadCase("truncated", truncated, r"row 6: row has fewer fields than the header's 6"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter: expected ',', the header uses ';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"row 2: byte 0x80 is not valid utf-8"),
        BadCase("header_renamed", rename_column("close", "price"), r"row 1: unknown header: expected Investing.com"),
        BadCase("non_numeric", set_cell("close", "42O.1", line=3), r"row 3 column 'close': '42O.1' is not a number"),
        BadCase("negative", set_cell("close", "-5", line=4), r"row 4 column 'close': -5.0 is not a positive rate"),
        BadCase("zero", set_cell("close", "0", line=5), r"row 5 column 'close': 0.0 is not a positive rate"),
        BadCase("missing_value", set_cell("close", "", line=6), r"row 6 column 'close': missing value"),
        BadCase("nonfinite", set_cell("close", "inf", line=3), r"(?i)row 3 column 'close': '?inf'? is not a finite number"),
        BadCase("not_a_month", set_cell("date", "2021-13", line=3), r"row 3 column 'date': '2021-13' is not a date"),
        BadCase("too_early", set_cell("date", "1800-01", line=3), r"row 3 column 'date': '1800-01' is outside 1970-01-01"),
        BadCase("future", set_cell("date", "2999-01", line=3), r"row 3 column 'date': '2999-01' is outside"),
    ]


class TestInvestingRawMonthlyMore(SourceContract):
    source_id = "market"
    sample = "market/investing_USD_KZT_monthly_2021-01_2022-09_raw_excerpt.csv"
    tables = {"fx"}
    min_rows = 21
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("header_only", header_only, r"row 2: no data rows after the header"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter: expected ',', the header uses ';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("garbage", binary_garbage, r"row 2: byte 0x80 is not valid utf-8"),
        BadCase("header_renamed", replace_text('"Price"', '"Close"'), r"row 1: unknown header: expected Investing.com"),
        BadCase("negative", replace_text('"476.000"', '"-476.000"'), r"row 2 column 'Price': -476.0 is not a positive rate"),
        BadCase("zero", replace_text('"476.000"', '"0"'), r"row 2 column 'Price': 0.0 is not a positive rate"),
        BadCase("nonfinite", replace_text('"476.000"', '"NaN"'), r"(?i)row 2 column 'Price': '?nan'? is not a finite number"),
        BadCase("duplicate_key", duplicate_row(2), r"row 2: duplicate key \{'date': datetime.date\(2022, 9, 1\).*also at row 23"),
        BadCase("future", replace_text('"09/01/2022"', '"09/01/2999"'), r"row 2 column 'Date': '09/01/2999' is outside"),
        BadCase("too_early", replace_text('"09/01/2022"', '"09/01/1800"'), r"row 2 column 'Date': '09/01/1800' is outside"),
    ]


# ---- across every CSV loader ----------------------------------------------------------------------

CSV_CLASSES = sorted({(c.source_id, c.sample) for c in contract_classes() if is_csv(c.sample)})
IDS = [f"{s}:{Path(p).name}" for s, p in CSV_CLASSES]


def _rows(loaded) -> dict[str, list]:
    return {name: sorted(map(repr, tbl.to_pylist())) for name, tbl in loaded.tables.items()}


def _numeric_cells(sample: Path, line: int = 2, limit: int = 3) -> list[str]:
    lines = _text(sample)
    header = next(csv.reader([lines[0]]))
    rec = next(csv.reader([lines[line - 1]]))
    out = []
    for name, value in zip(header, rec, strict=False):
        try:
            float(value.replace(",", ""))
        except ValueError:
            continue
        if "." in value and name:  # a measured value, not a code or a year
            out.append(name)
    return out[:limit]


def _set_raw(sample: Path, tmp: Path, column: str, value: str, line: int = 2) -> Path:
    lines = _text(sample)
    header = next(csv.reader([lines[0]]))
    rec = next(csv.reader([lines[line - 1]]))
    rec[header.index(column)] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(rec)
    lines[line - 1] = buf.getvalue()
    return _write(tmp, sample, lines)


def _with_companions(sample: Path, folder: Path) -> Path:
    """A folder holding copies of the sample's sibling files (some formats read companion files)."""
    folder.mkdir()
    for f in sample.parent.iterdir():
        if f.is_file() and f != sample:
            shutil.copyfile(f, folder / f.name)
    return folder


def _assert_finite(loaded) -> None:
    for name, tbl in loaded.tables.items():
        for field in tbl.schema:
            if pa.types.is_floating(field.type):
                vals = [v for v in tbl.column(field.name).to_pylist() if v is not None]
                assert all(math.isfinite(v) for v in vals), f"{name}.{field.name} holds a non-finite value"


# samples whose line 2 holds a decimal value (the others, e.g. code lists, have no number to break)
NUMERIC_CLASSES = [(s, p) for s, p in CSV_CLASSES if _numeric_cells(SAMPLES / p)]


def test_most_csv_samples_have_numbers_to_break():
    assert len(NUMERIC_CLASSES) >= len(CSV_CLASSES) // 2


@pytest.mark.parametrize(("source_id", "sample"), NUMERIC_CLASSES, ids=[f"{s}:{Path(p).name}" for s, p in NUMERIC_CLASSES])
def test_non_finite_numbers_never_load(source_id, sample, tmp_path):
    """``NaN``/``inf``/``1e999`` in any measured column is refused (one line, row and column) or never
    reaches a float column (e.g. a column the loader ignores)."""
    path = SAMPLES / sample
    cols = _numeric_cells(path)
    folder = _with_companions(path, tmp_path / "work")
    for col in cols:
        for value in ("NaN", "inf", "-Infinity", "1e999"):
            broken = _set_raw(path, folder, col, value)
            try:
                loaded = get_source(source_id).read(broken)
            except TethersError as exc:
                assert "\n" not in str(exc) and broken.name in str(exc)
                continue
            _assert_finite(loaded)


@pytest.mark.parametrize(("source_id", "sample"), CSV_CLASSES, ids=IDS)
def test_utf8_bom_and_crlf_load_the_same_rows(source_id, sample, tmp_path):
    path = SAMPLES / sample
    src = get_source(source_id)
    want = _rows(src.read(path))
    bom = utf8_bom(path, _with_companions(path, tmp_path / "bom"))
    assert _rows(src.read(bom)) == want
    crlf = _write(_with_companions(path, tmp_path / "crlf"), path, "\r\n".join(_text(path)) + "\r\n")
    assert _rows(src.read(crlf)) == want


@pytest.mark.parametrize(("source_id", "sample"), CSV_CLASSES, ids=IDS)
def test_extra_column_loads_the_same_rows_or_is_refused(source_id, sample, tmp_path):
    path = SAMPLES / sample
    src = get_source(source_id)
    broken = extra_column(path, _with_companions(path, tmp_path / "extra"))
    try:
        got = src.read(broken)
    except SourceFormatError as exc:
        assert "\n" not in str(exc) and broken.name in str(exc)
        return
    assert _rows(got) == _rows(src.read(path))
