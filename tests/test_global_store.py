"""The global store (BACI years as partitioned Parquet) and the set-based global measures.

Fast paths are checked against the simple implementations on real rows:

* ingest (DuckDB, one pass) against the BACI loader (Polars) on the same release-layout file;
* :func:`tethers.atlas.global_sql.all_measures` against the pure Polars measures
  (``partner_shares``, ``concentration``, ``critical_products`` with ``world_export_hhi``) on two real
  data sets: CEPII BACI rows of Kazakhstan's 2021 exports (``tests/samples/baci``, the release excerpt
  plus the crude-oil extract rendered in the release layout) and the WTO's bilateral imports excerpt
  (``tests/samples/wto``: Kazakhstan's 2021 imports of minerals and metals from 31 suppliers, Albania's
  2015 arms imports from 12).

Also: atomicity (a bad row → an error naming file, row and column, and nothing written), and the
schemas of the benchmark generator's output and of ``benchmarks/results.json`` (never timings; the
generator's synthetic rows are checked for shape only and enter no figure here).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import math
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tethers.atlas.global_sql import all_measures
from tethers.atlas.global_store import country_table, global_dir, global_years, ingest_baci, open_global
from tethers.errors import DataNotAvailableError, SourceFormatError
from tethers.measures.critical import critical_products, world_export_hhi
from tethers.measures.trade import concentration, partner_shares
from tethers.sources import get_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = Path(__file__).parent / "samples"
RELEASE = SAMPLES / "baci" / "BACI_HS02_Y2021_V202301_CONVERTED_kaz_top5_excerpt.csv"
CRUDE = SAMPLES / "baci" / "baci_hs02_v202301_kaz_crude_oil_270900_exports_by_destination_2021.csv"
WTO = SAMPLES / "wto" / "wto_bilateral_imports_mtn12_hs93_excerpt.csv"

# Sums and ratios of the same doubles in another order (DuckDB hash aggregates vs Polars): 1e-12 relative.
REL = 1e-12
# HHI as Σv²/(Σv)² (SQL fast path) vs Σ(v/Σv)² (Polars textbook form): 1e-12 absolute on a 0–1 index.
HHI_ABS = 1e-12
# Thresholds that switch every criterion on, so that each flag column is compared (defaults otherwise).
CRITERIA = {"hhi_threshold": 0.4, "ratio_threshold": 1.0, "top_share_threshold": 0.5, "world_hhi_threshold": 0.4}


# --------------------------------------------------------------------------------------------
# Real data in the layouts the fast paths read
# --------------------------------------------------------------------------------------------


def _release_rows() -> list[list[str]]:
    """The BACI release excerpt plus the crude-oil extract as t,i,j,k,v,q (text as published)."""
    with open(RELEASE, encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh)][1:]
    seen = {(r[1], r[2], r[3]) for r in rows}
    with open(CRUDE, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            key = (r["i"], r["j"], "270900")
            if key not in seen:  # the two extracts repeat some KAZ→partner crude flows (same values)
                rows.append([r["t"], r["i"], r["j"], "270900", r["v"], r["q"]])
                seen.add(key)
    return rows


def write_release(folder: Path, rows: list[list[str]], *, name: str = "BACI_HS02_Y2021_V202301_kaz.csv") -> Path:
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("t,i,j,k,v,q\n")
        for r in rows:
            fh.write(",".join(r) + "\n")
    return path


@pytest.fixture(scope="module")
def baci_file(tmp_path_factory) -> Path:
    return write_release(tmp_path_factory.mktemp("baci_in"), _release_rows())


@pytest.fixture(scope="module")
def baci_home(tmp_path_factory, baci_file) -> Path:
    home = tmp_path_factory.mktemp("home")
    ingest_baci([baci_file], home=home)
    return home


def _loader_exports(path: Path) -> pl.DataFrame:
    return pl.from_arrow(get_source("baci").read(path).tables["trade"])


def _with_imports(exports: pl.DataFrame) -> pl.DataFrame:
    """Canonical trade rows for a reconciled matrix: each export also as the partner's import."""
    imports = exports.with_columns(
        reporter=pl.col("partner"), partner=pl.col("reporter"), flow=pl.lit("import")
    )
    return pl.concat([exports, imports.select(exports.columns)])


def _totals(trade: pl.DataFrame) -> pl.DataFrame:
    """All-goods rows (``product == "TOTAL"``) summed from the product rows."""
    return (
        trade.group_by("year", "reporter", "partner", "flow", "source")
        .agg(pl.col("value_usd").sum())
        .with_columns(classification=pl.lit("TOTAL"), product=pl.lit("TOTAL"), level=pl.lit(0, pl.Int32))
    )


def _wto_connection() -> tuple[duckdb.DuckDBPyConnection, pl.DataFrame]:
    """The WTO excerpt (importer-reported imports) as the views ``all_measures`` reads, plus its trade rows."""
    imports = pl.from_arrow(get_source("wto").read(WTO).tables["trade"])
    code = {iso: c for c, iso, _r in country_table()}
    assert set(imports["reporter"]) | set(imports["partner"]) <= set(code), "an ISO3 code outside BACI's list"
    # the global store keys products by integer HS6; the WTO groups (MTN 12, HS 93) keep their code as number
    imports = imports.with_columns(product=pl.col("product").str.zfill(6))
    raw = imports.select(
        "year",
        pl.col("partner").replace_strict(code, return_dtype=pl.Int16).alias("exporter"),
        pl.col("reporter").replace_strict(code, return_dtype=pl.Int16).alias("importer"),
        pl.col("product").cast(pl.Int32).alias("hs6"),
        "value_usd",
    )
    con = duckdb.connect()
    con.register("_raw", raw.to_arrow())
    con.execute("CREATE TABLE baci_raw AS SELECT * FROM _raw")
    con.execute("CREATE TABLE baci_countries (code SMALLINT, iso3 VARCHAR, rank SMALLINT)")
    con.executemany("INSERT INTO baci_countries VALUES (?, ?, ?)", country_table())
    years = imports.group_by("year").agg(pl.col("classification").first()).rows()
    con.execute("CREATE TABLE baci_years (year INTEGER, classification VARCHAR)")
    con.executemany("INSERT INTO baci_years VALUES (?, ?)", years)
    exports = imports.with_columns(reporter=pl.col("partner"), partner=pl.col("reporter"), flow=pl.lit("export"))
    return con, pl.concat([imports, exports.select(imports.columns)])


# --------------------------------------------------------------------------------------------
# Ingest
# --------------------------------------------------------------------------------------------


def test_ingest_writes_a_year_partition_with_provenance(baci_home, baci_file):
    root = global_dir(baci_home)
    assert global_years(baci_home) == [2021]
    assert (root / "year=2021" / "part-0.parquet").is_file()
    prov = json.loads((root / "year=2021" / "provenance.json").read_text())
    assert prov["file"] == baci_file.name and prov["classification"] == "HS02" and prov["source"] == "baci"
    assert prov["rows"] == len(_release_rows())
    assert prov["sha256"] == hashlib.sha256(baci_file.read_bytes()).hexdigest()


def test_ingest_equals_the_loader(baci_home, baci_file):
    """DuckDB one-pass ingest and the Polars loader give the same canonical export rows."""
    con = open_global(baci_home)
    cols = ["year", "reporter", "partner", "classification", "product", "level", "flow", "value_usd", "quantity",
            "quantity_unit", "source"]
    got = pl.from_arrow(con.sql("SELECT * FROM baci_trade WHERE flow = 'export'").to_arrow_table()).select(cols)
    want = _loader_exports(baci_file).select(cols)
    key = ["reporter", "partner", "product"]
    got = got.with_columns(pl.col("year", "level").cast(pl.Int32)).sort(key)
    assert got.equals(want.sort(key))
    # the import rows mirror the exports
    n_imp = con.sql("SELECT count(*) FROM baci_trade WHERE flow = 'import'").fetchall()[0][0]
    assert n_imp == want.height


def test_open_global_on_an_empty_store_says_what_to_do(tmp_path):
    with pytest.raises(DataNotAvailableError, match=r"global store is empty; ingest BACI"):
        open_global(tmp_path)


def test_progress_callable_sees_each_file(tmp_path, baci_file):
    seen: list[tuple[str, float, float]] = []
    ingest_baci([baci_file], home=tmp_path, progress=lambda label, done, total: seen.append((label, done, total)))
    assert seen[0][0].startswith(baci_file.name) and seen[-1][1:] == (100.0, 100.0)


def _set(rows: list[list[str]], line: int, col: str, value: str) -> list[list[str]]:
    """A copy of ``rows`` with one field changed; ``line`` counts the header as line 1."""
    out = [list(r) for r in rows]
    out[line - 2]["tijkvq".index(col)] = value
    return out


def _truncate(rows: list[list[str]], line: int) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[line - 2] = out[line - 2][:3]
    return out


BAD = [
    ("negative", lambda r: _set(r, 5, "v", "-5"), r"row 5 column 'v': '-5' is negative"),
    ("unknown_country", lambda r: _set(r, 6, "j", "999"), r"row 6 column 'j': '999' is not a BACI country code"),
    ("unknown_exporter", lambda r: _set(r, 12, "i", "1"), r"row 12 column 'i': '1' is not a BACI country code"),
    ("non_numeric", lambda r: _set(r, 4, "v", "12.5O"), r"row 4 column 'v': '12.5O' is not a number"),
    ("not_hs6", lambda r: _set(r, 8, "k", "2709"), r"row 8 column 'k': '2709' is not an HS6 code of HS02"),
    ("letters_in_k", lambda r: _set(r, 9, "k", "27AB00"), r"row 9 column 'k': '27AB00' is not an HS6 code"),
    ("year_mismatch", lambda r: _set(r, 9, "t", "2020"), r"row 9 column 't': '2020' does not match the year 2021"),
    ("quantity_text", lambda r: _set(r, 7, "q", "abc"), r"row 7 column 'q': 'abc' is not a number"),
    ("quantity_negative", lambda r: _set(r, 7, "q", "  -3.0"), r"row 7 column 'q': '-3.0' is negative"),
    ("nan_value", lambda r: _set(r, 10, "v", "nan"), r"row 10 column 'v': 'nan' is not a finite number"),
    ("truncated", lambda r: _truncate(r, 6), r"row 6 column 'v': missing value"),
    ("first_of_two", lambda r: _set(_set(r, 30, "v", "-1"), 20, "j", "999"), r"row 20 column 'j'"),
]


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file() and q.name != ".lock"):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize(("case", "mutate", "match"), BAD, ids=[b[0] for b in BAD])
def test_bad_row_names_file_row_column_and_writes_nothing(tmp_path, baci_file, case, mutate, match):
    home = tmp_path / "home"
    ingest_baci([baci_file], home=home)  # an existing 2021 partition that a bad file must not replace
    before = _tree_digest(global_dir(home))
    bad = write_release(tmp_path / "in", mutate(_release_rows()))
    with pytest.raises(SourceFormatError, match=match) as err:
        ingest_baci([bad], home=home)
    assert err.value.file == str(bad) and err.value.row is not None
    assert _tree_digest(global_dir(home)) == before
    assert not [p for p in global_dir(home).iterdir() if p.name.startswith(".ingest")]


def test_a_bad_second_file_leaves_the_first_unwritten(tmp_path, baci_file):
    """All files of one call or none: a good 2021 file and a 2022 file whose rows say 2021."""
    home = tmp_path / "home"
    wrong_year = write_release(tmp_path / "in", _release_rows(), name="BACI_HS02_Y2022_V202301_kaz.csv")
    with pytest.raises(SourceFormatError, match=r"Y2022_V202301_kaz.csv row 2 column 't': '2021' does not match"):
        ingest_baci([baci_file, wrong_year], home=home)
    assert global_years(home) == []


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda d, f: d / "trade_2021.csv", r"not a BACI release file name"),
        (lambda d, f: d / "BACI_HS02_Y2021_V202301_missing.csv", r"file not found"),
    ],
    ids=["unnamed", "missing"],
)
def test_files_are_checked_before_reading(tmp_path, baci_file, make, match):
    path = make(tmp_path, baci_file)
    if "missing" not in path.name:
        path.write_bytes(baci_file.read_bytes())
    with pytest.raises(SourceFormatError, match=match):
        ingest_baci([path], home=tmp_path / "home")


def test_wrong_header_is_row_1(tmp_path):
    path = tmp_path / "BACI_HS02_Y2021_V202301_x.csv"
    path.write_text(RELEASE.read_text().replace("t,i,j,k,v,q", "t,i,j,k,value,q", 1))
    with pytest.raises(SourceFormatError, match=r"row 1: missing column\(s\) \['v'\]"):
        ingest_baci([path], home=tmp_path / "home")


def test_two_files_for_one_year_are_refused(tmp_path, baci_file):
    other = write_release(tmp_path / "in", _release_rows(), name="BACI_HS17_Y2021_V202401_kaz.csv")
    with pytest.raises(SourceFormatError, match=r"a second file for 2021"):
        ingest_baci([baci_file, other], home=tmp_path / "home")


def test_reingest_replaces_the_year(tmp_path, baci_file):
    home = tmp_path / "home"
    ingest_baci([baci_file], home=home)
    fewer = write_release(tmp_path / "in", _release_rows()[:10])
    assert ingest_baci([fewer], home=home)["years"][2021]["rows"] == 10
    con = open_global(home)
    assert con.sql("SELECT count(*) FROM baci").fetchall()[0][0] == 10


# --------------------------------------------------------------------------------------------
# Global measures = pure Polars measures
# --------------------------------------------------------------------------------------------


def _assert_same(got: pl.DataFrame, want: pl.DataFrame, key: list[str]) -> None:
    got, want = got.sort(key), want.select(got.columns).sort(key)
    assert got.height == want.height and got.height > 0
    for col in got.columns:
        g, w = got[col], want[col]
        if g.dtype.is_float():
            for a, b in zip(g.to_list(), w.to_list(), strict=True):
                assert (a is None) == (b is None), col
                if a is None:
                    continue
                if math.isnan(a) or math.isinf(a):
                    assert (math.isnan(a) and math.isnan(b)) or a == b, col
                else:
                    tol = HHI_ABS if col in ("hhi", "hhi_norm", "world_hhi", "share", "top_share") else REL * abs(b)
                    assert abs(a - b) <= tol, (col, a, b)
        else:
            assert g.cast(w.dtype).to_list() == w.to_list(), col


def _reference(trade: pl.DataFrame, year: int) -> dict[str, pl.DataFrame]:
    trade = trade.filter(pl.col("year") == year)
    totals = _totals(trade)
    world = world_export_hhi(trade)
    crit = critical_products(trade, world=world, hhi_threshold=CRITERIA["hhi_threshold"],
                             ratio_threshold=CRITERIA["ratio_threshold"],
                             top_share_threshold=CRITERIA["top_share_threshold"],
                             world_hhi_threshold=CRITERIA["world_hhi_threshold"]).drop("persistent")
    return {"shares": partner_shares(totals), "concentration": concentration(totals), "critical": crit}


def _datasets(baci_home, baci_file):
    con = open_global(baci_home)
    yield "baci_kaz_2021", con, _with_imports(_loader_exports(baci_file)), 2021
    wto_con, wto_trade = _wto_connection()
    for year in (2015, 2021):
        yield f"wto_{year}", wto_con, wto_trade, year


@pytest.mark.parametrize("part", ["shares", "concentration", "critical"])
def test_all_measures_equal_the_polars_measures(baci_home, baci_file, part):
    keys = {"shares": ["reporter", "flow", "partner"], "concentration": ["reporter", "flow"],
            "critical": ["reporter", "product"]}[part]
    for name, con, trade, year in _datasets(baci_home, baci_file):
        got = getattr(all_measures(con, year=year, **CRITERIA), part)
        want = _reference(trade, year)[part]
        try:
            _assert_same(got, want, keys)
        except AssertionError as exc:  # name the data set in the failure
            raise AssertionError(f"{name}: {exc}") from exc


def test_all_measures_defaults_leave_optional_criteria_null(baci_home):
    m = all_measures(open_global(baci_home), year=2021)
    assert m.critical["dominated"].null_count() == m.critical.height
    assert m.critical["world_concentrated"].null_count() == m.critical.height
    # every importer of Kazakh crude has one supplier in these rows: HHI 1, not an exporter → critical
    oil = m.critical.filter(pl.col("product") == "270900")
    assert oil.height > 20 and oil["critical"].all() and (oil["hhi"] == 1.0).all()
    tidy = m.tidy()
    assert set(tidy.columns) >= {"reporter", "flow", "hhi", "n_critical"}
    assert tidy.filter(pl.col("flow") == "export")["n_critical"].null_count() == tidy.filter(pl.col("flow") == "export").height


def test_all_measures_orders_like_the_polars_measures(baci_home, baci_file):
    """Same row order, not only the same rows: shares by value within a reporter, critical by imports."""
    m = all_measures(open_global(baci_home), year=2021)
    ref = _reference(_with_imports(_loader_exports(baci_file)), 2021)
    assert m.shares.select("reporter", "flow", "partner").equals(ref["shares"].select("reporter", "flow", "partner"))
    assert m.critical.select("reporter", "product").equals(ref["critical"].select("reporter", "product"))


# --------------------------------------------------------------------------------------------
# Benchmark generator and results schema (shape only; the benchmarks are not run here)
# --------------------------------------------------------------------------------------------


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_generator_has_baci_shape(tmp_path):
    gen = _load("generate_baci")
    df = gen.generate(20_000, year=2021, products=300)
    assert df.columns == ["t", "i", "j", "k", "v", "q"]
    assert df.height == 20_000 and df.select("i", "j", "k").is_unique().all()
    codes = {int(c) for c, _iso, _r in country_table()} | {int(c) for c in _all_baci_codes()}
    assert set(df["i"]) <= codes and set(df["j"]) <= codes and (df["i"] != df["j"]).all()
    assert df["k"].is_between(10000, 979999).all() and df["v"].min() > 0 and 0 < df["q"].null_count() < df.height
    path = gen.write_release_csv(df, tmp_path / gen.release_name(2021))
    assert path.read_text().splitlines()[0] == "t,i,j,k,v,q"
    assert ingest_baci([path], home=tmp_path / "home")["rows"] == 20_000  # the ingest accepts its layout


def _all_baci_codes() -> list[str]:
    from tethers.sources.baci import country_codes

    return list(country_codes())


def test_results_schema_accepts_a_record_and_the_committed_results():
    schema = _load("schema")
    record = {
        "benchmark": "ingest", "case": "11M rows", "implementation": "tethers", "repeats": 3,
        "median_s": 1.0, "min_s": 0.9, "cpu_s": 1.5, "peak_rss_mb": 400.0, "ratio": 1.0, "reference": "duckdb COPY",
        "dominated_by": "READ_CSV", "note": "",
    }
    schema.validate_record(record)
    with pytest.raises(ValueError, match=r"median_s"):
        schema.validate_record({**record, "median_s": "fast"})
    results = ROOT / "benchmarks" / "results.json"
    if results.exists():
        schema.validate_results(json.loads(results.read_text()))


def test_a_killed_ingest_leaves_nothing_visible_and_is_cleaned_up(tmp_path, baci_file):
    """A crash mid-ingest leaves only a hidden ``.ingest-*`` folder: no year appears, the next ingest removes it."""
    root = global_dir(tmp_path)
    stale = root / ".ingest-99999" / "file0" / "year=2021"
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"half-written")
    assert global_years(tmp_path) == []
    ingest_baci([baci_file], home=tmp_path)
    assert global_years(tmp_path) == [2021] and not list(root.glob(".ingest-*"))
