"""Input holes closed for every loader (issue 16), generic over the loader contract classes.

Every ``(source id, sample)`` declared by a contract class in tests/sources/ or tests/reliability/ is tried —
a loader added later with its contract class is covered without editing this file — with:

* paths that are not regular files: a folder, a named pipe (FIFO; in a child process with a 10 s timeout, so
  a loader that opens it cannot hang the suite) and a character device (``/dev/null``): refused before they are
  opened, one line naming the path, the atlas unchanged;
* values planted in the cells of one data row of the real sample (CSV/TSV by field, XML by element text and
  attribute, xlsx by cell, Parquet by column): a NUL byte, ``1e308``, a 40-digit integer and an SQL-like
  country code (``KAZ'; DROP TABLE trade;--``). Each planted file is either refused with a one-line error
  naming the file, or loads exactly the rows of the unmutated sample (the cell is one the loader ignores). For
  every kind, at least one cell per loader is refused naming row and column, and one refusal goes through
  ``add_file`` and leaves the atlas checksum unchanged.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tethers.atlas.store import add_file, checksum
from tethers.errors import TethersError
from tethers.sources import get_source

from ._contracts import contract_classes

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
LOADERS = sorted({(c.source_id, c.sample) for c in contract_classes()})
IDS = [f"{s}:{Path(p).name}" for s, p in LOADERS]

SQL = "KAZ'; DROP TABLE trade;--"
KINDS: dict[str, str] = {  # kind → the value planted (a NUL is appended to the cell's text, the others replace it)
    "nul_byte": "\x00",
    "huge_1e308": "1e308",
    "int_40_digits": "1" + "0" * 39,
    "sql_country": SQL,
}
MAX_SLOTS = 24  # cells tried per sample and kind (wide files: the first ones)

Plant = Callable[[Path, str], Path]  # (out dir, new value) -> mutated copy


# ---- where a value can be planted, by format ----------------------------------------------------------


def _kind_of(sample: Path) -> str:
    name = sample.name.lower()
    for suffix, kind in ((".xlsx", "xlsx"), (".parquet", "parquet"), (".xml", "xml")):
        if name.endswith(suffix):
            return kind
    return "text"


def _delimiter(header: str) -> str:
    return max((",", ";", "\t", "|"), key=header.count)


def _text_slots(sample: Path) -> list[Plant]:
    lines = sample.read_bytes().decode("utf-8-sig").splitlines()
    sep = _delimiter(lines[0])
    data = [i for i, ln in enumerate(lines) if i and ln.count(sep) == lines[0].count(sep) and ln.strip()]
    line = data[len(data) // 2] if data else len(lines) // 2
    rec = next(csv.reader([lines[line]], delimiter=sep))
    nested = len(rec) == 1 and sep in rec[0]  # Investing.com raw: each line one quoted CSV record
    if nested:
        rec = next(csv.reader([rec[0]], delimiter=sep))

    def slot(col: int) -> Plant:
        def plant(out: Path, value: str) -> Path:
            new = list(rec)
            new[col] = KIND_VALUE(new[col], value)
            buf = io.StringIO()
            csv.writer(buf, delimiter=sep, lineterminator="", quoting=csv.QUOTE_ALL if nested else csv.QUOTE_MINIMAL).writerow(new)
            if nested:
                inner = buf.getvalue()
                buf = io.StringIO()
                csv.writer(buf, delimiter=sep, lineterminator="", quoting=csv.QUOTE_ALL).writerow([inner])
            copy = list(lines)
            copy[line] = buf.getvalue()
            dest = out / sample.name
            dest.write_bytes(("\n".join(copy) + "\n").encode("utf-8"))
            return dest

        return plant

    return [slot(i) for i, v in enumerate(rec) if v.strip()][:MAX_SLOTS]


def _xml_slots(sample: Path) -> list[Plant]:
    text = sample.read_bytes().decode("utf-8")
    spots = [m.span(1) for m in re.finditer(r'>([^<>\s][^<>]*)<', text)]
    spots += [m.span(1) for m in re.finditer(r'="([^"]+)"', text)]
    spots = sorted(s for s in spots if s[0] > len(text) // 3)  # past the declaration and the header

    def slot(a: int, b: int) -> Plant:
        def plant(out: Path, value: str) -> Path:
            dest = out / sample.name
            new = KIND_VALUE(text[a:b], value)
            dest.write_bytes((text[:a] + new + text[b:]).encode("utf-8"))
            return dest

        return plant

    return [slot(a, b) for a, b in spots[:MAX_SLOTS]]


def _xlsx_slots(sample: Path) -> list[Plant]:
    import openpyxl

    wb = openpyxl.load_workbook(sample)
    cells = []
    for ws in wb.worksheets:
        rows = [r for r in ws.iter_rows() if sum(c.value is not None for c in r) >= 2]
        if not rows:
            continue
        mid = rows[len(rows) // 2]
        cells += [(ws.title, c.coordinate) for c in mid if c.value is not None][:8]
    wb.close()

    def slot(sheet: str, coord: str) -> Plant:
        def plant(out: Path, value: str) -> Path:
            wb = openpyxl.load_workbook(sample)
            cell = wb[sheet][coord]
            new = KIND_VALUE("" if cell.value is None else str(cell.value), value)
            if new in ("1e308", "1" + "0" * 39):
                cell.value = float(new) if new == "1e308" else int(new)
            else:
                cell.value = new.replace("\x00", "__NUL__")
            dest = out / sample.name
            wb.save(dest)
            if "__NUL__" in str(cell.value):  # openpyxl refuses control characters: write the byte into the XML
                _zip_replace(dest, b"__NUL__", b"\x00")
            return dest

        return plant

    return [slot(s, c) for s, c in cells[:MAX_SLOTS]]


def _zip_replace(path: Path, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info, data.replace(old, new))


def _parquet_slots(sample: Path) -> list[Plant]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    tbl = pq.read_table(sample)
    row = tbl.num_rows // 2

    def slot(name: str) -> Plant:
        def plant(out: Path, value: str) -> Path:
            col = tbl.column(name).to_pylist()
            old = col[row]
            new = KIND_VALUE("" if old is None else str(old), value)
            typ = tbl.schema.field(name).type
            if pa.types.is_floating(typ) or pa.types.is_integer(typ):
                try:
                    num = float(new)
                except ValueError:
                    typ = pa.string()
                    col = [None if v is None else str(v) for v in col]
                    col[row] = new
                else:
                    if pa.types.is_integer(typ) and num >= 2**63:
                        typ = pa.float64()
                    col[row] = num
            else:
                col[row] = new
            dest = out / sample.name
            pq.write_table(tbl.set_column(tbl.schema.get_field_index(name), name, pa.array(col, type=typ)), dest)
            return dest

        return plant

    return [slot(n) for n in tbl.column_names][:MAX_SLOTS]


def KIND_VALUE(old: str, value: str) -> str:  # noqa: N802 - the planted text for one kind
    return old + value if value == "\x00" else value


def slots(sample: Path) -> list[Plant]:
    return {"text": _text_slots, "xml": _xml_slots, "xlsx": _xlsx_slots, "parquet": _parquet_slots}[_kind_of(sample)](sample)


def _companions(sample: Path, folder: Path) -> Path:
    folder.mkdir(parents=True)
    for f in sample.parent.iterdir():
        if f.is_file() and f != sample:
            shutil.copyfile(f, folder / f.name)
    return folder


def _rows(loaded) -> dict[str, dict[str, dict]]:
    return {name: {repr(r): r for r in tbl.to_pylist()} for name, tbl in loaded.tables.items()}


def _changed_rows_hold_text(got: dict, want: dict, value: str) -> bool:
    """Whether the load differs from the unmutated one only by rows holding the planted value as text (a name,
    an identifier: stored as typed — blanks dropped, a number spelt out — never read as a number or a country)."""
    if set(got) != set(want):
        return False
    trace = re.compile(r"1(?:e\+?\d+|0{15,})|\d{30,}") if value[0].isdigit() else re.compile(re.escape(re.sub(r"\s", "", value)))
    for name, rows in got.items():
        for key in set(rows) - set(want[name]):
            if not any(isinstance(v, str) and trace.search(re.sub(r"\s", "", v)) for v in rows[key].values()):
                return False
    return True


# ---- the tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source_id", "sample"), LOADERS, ids=IDS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_planted_value_is_refused_or_ignored(source_id, sample, kind, tmp_path, small_atlas):
    path = SAMPLES / sample
    src = get_source(source_id)
    want = _rows(src.read(path))
    value = KINDS[kind]
    refused = []
    for n, plant in enumerate(slots(path)):
        broken = plant(_companions(path, tmp_path / f"{kind}{n}"), value)
        try:
            got = src.read(broken)
        except TethersError as exc:
            msg = str(exc)
            assert "\n" not in msg and broken.name in msg, f"cell {n}: {msg!r}"
            refused.append((broken, msg))
            continue
        assert _changed_rows_hold_text(_rows(got), want, value), f"cell {n}: a planted {kind} changed the data"
    assert refused, f"no cell of {sample} with a {kind} was refused"
    named = [(b, m) for b, m in refused if re.search(r"\brow \d+", m) and "column" in m]
    fmt = _kind_of(path)
    if kind == "nul_byte" and fmt == "xlsx":  # a NUL makes the workbook's XML unreadable: the file is named
        pass
    elif kind == "nul_byte" and fmt == "xml":  # the XML parser refuses the document at the NUL's line
        assert any(re.search(r"\brow \d+", m) for _, m in refused), refused[0][1]
    else:
        assert named, f"no refusal names row and column: {refused[0][1]!r}"
    broken, _ = (named or refused)[0]
    mine = tmp_path / "atlas.duckdb"
    shutil.copyfile(small_atlas.path, mine)
    with pytest.raises(TethersError):
        add_file(source_id, broken, mine)
    assert checksum(mine) == small_atlas.checksum


@pytest.mark.parametrize(("source_id", "sample"), LOADERS, ids=IDS)
def test_a_folder_is_refused(source_id, sample, tmp_path, small_atlas):
    folder = tmp_path / Path(sample).name
    folder.mkdir()
    mine = tmp_path / "atlas.duckdb"
    shutil.copyfile(small_atlas.path, mine)
    with pytest.raises(TethersError) as info:
        add_file(source_id, folder, mine)
    assert "\n" not in str(info.value) and str(folder) in str(info.value)
    assert checksum(mine) == small_atlas.checksum


@pytest.mark.parametrize("source_id", sorted({s for s, _ in LOADERS} | {"auto"}))
def test_a_device_is_refused(source_id, tmp_path, small_atlas):
    mine = tmp_path / "atlas.duckdb"
    shutil.copyfile(small_atlas.path, mine)
    with pytest.raises(TethersError, match=r"/dev/null: .*not a regular file"):
        add_file(source_id, "/dev/null", mine)
    assert checksum(mine) == small_atlas.checksum


_FIFO_CHILD = """
import os, sys
from pathlib import Path
from tethers.errors import TethersError
from tethers.atlas.store import add_file
tmp, atlas = Path(sys.argv[1]), sys.argv[2]
for n, (sid, name) in enumerate(a.split(":", 1) for a in sys.argv[3:]):
    fifo = tmp / str(n) / name
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    try:
        add_file(sid, fifo, atlas)
    except TethersError as exc:
        msg = str(exc)
        assert "\\n" not in msg and "named pipe" in msg and str(fifo) in msg, msg
    else:
        raise SystemExit(f"{sid}: a FIFO was read")
print("ok", n + 1)
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_fifo_is_refused_without_hanging(tmp_path, small_atlas):
    """One child process tries a FIFO named like each sample with every loader (and with auto-detection)."""
    mine = tmp_path / "atlas.duckdb"
    shutil.copyfile(small_atlas.path, mine)
    args = [f"{s}:{Path(p).name}" for s, p in LOADERS] + [f"auto:{Path(p).name}" for _, p in LOADERS[:3]]
    work = tmp_path / "fifos"
    work.mkdir()
    try:
        out = subprocess.run([sys.executable, "-c", _FIFO_CHILD, str(work), str(mine), *args],
                             capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("a loader opened a FIFO and hung (10 s)")
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["ok", str(len(args))]
    assert checksum(mine) == small_atlas.checksum
