"""``--format csv|xlsx|parquet -o …`` writes a result's tidy frames (issue 16): read back with pandas (csv, xlsx)
or Polars (parquet), every file equals the frame of the same name from ``tidy()``, with the same columns."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import polars as pl
import pytest

from tethers.analysis.profile import profile
from tethers.atlas.store import Atlas
from tethers.report.export import export_frames, tidy_frames


def _cli(atlas_path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tethers.cli", "--atlas", str(atlas_path), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def frames(atlas_path) -> dict[str, pl.DataFrame]:
    with Atlas(atlas_path) as a:
        return profile("KAZ", 2021, atlas=a).tidy()


def _expected(frame: pl.DataFrame) -> pd.DataFrame:
    """The frame as pandas reads a file back: empty text and null both missing."""
    df = frame.to_pandas()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].where(df[c].notna() & (df[c] != ""), None)
    return df


def _same(got: pd.DataFrame, frame: pl.DataFrame, name: str) -> None:
    want = _expected(frame)
    assert list(got.columns) == frame.columns, name
    got = got.astype(object).where(got.notna(), None)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.astype(object).where(want.notna(), None),
                                  check_dtype=False, obj=name)


def test_profile_csv_folder_reads_back_as_tidy(atlas_path, frames, tmp_path):
    out = tmp_path / "out"
    res = _cli(atlas_path, "profile", "KAZ", "--year", "2021", "--format", "csv", "-o", f"{out}/")
    assert res.returncode == 0, res.stderr
    assert sorted(p.stem for p in out.glob("*.csv")) == sorted(frames)
    for name, frame in frames.items():
        _same(pd.read_csv(out / f"{name}.csv"), frame, name)


def test_profile_xlsx_one_sheet_per_frame(atlas_path, frames, tmp_path):
    file = tmp_path / "kaz.xlsx"
    res = _cli(atlas_path, "profile", "KAZ", "--year", "2021", "--format", "xlsx", "-o", str(file))
    assert res.returncode == 0, res.stderr
    sheets = pd.read_excel(file, sheet_name=None)
    assert list(sheets) == list(frames)
    for name, frame in frames.items():
        _same(sheets[name], frame, name)


def test_profile_parquet_keeps_types(atlas_path, frames, tmp_path):
    out = tmp_path / "pq"
    res = _cli(atlas_path, "profile", "KAZ", "--year", "2021", "--format", "parquet", "--output", str(out))
    assert res.returncode == 0, res.stderr
    for name, frame in frames.items():
        got = pl.read_parquet(out / f"{name}.parquet")
        assert got.schema == frame.schema and got.equals(frame), name
        assert pd.read_parquet(out / f"{name}.parquet").shape == frame.shape


def test_a_file_format_without_output_is_a_one_line_error(atlas_path):
    res = _cli(atlas_path, "profile", "KAZ", "--format", "csv")
    assert res.returncode == 1 and res.stderr.strip() == "tethers: error: --format csv writes files: give -o/--output FOLDER"


def test_single_frame_results_are_named_and_nested_columns_become_json(tmp_path):
    class SpilloverResult:
        def tidy(self):
            return pl.DataFrame({"metric": ["a"], "value": [1.5], "parts": [[1, 2]]})

    frames = tidy_frames(SpilloverResult())
    assert list(frames) == ["effects"]
    (f,) = export_frames(frames, "csv", tmp_path)
    assert f.read_text().splitlines() == ["metric,value,parts", "a,1.5,\"[1, 2]\""]
