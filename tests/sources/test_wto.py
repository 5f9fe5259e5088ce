"""WTO Stats bilateral imports (MTN category 12 minerals & metals, HS chapter 93 arms)."""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    duplicate_row,
    empty,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)

SAMPLE = "wto/wto_bilateral_imports_mtn12_hs93_excerpt.csv"


def latin1(sample, tmp):
    """The file as WTO's own export encodes it (latin-1; SOURCE.md: re-encoded to UTF-8 for shared/)."""
    out = tmp / sample.name
    out.write_bytes(sample.read_text(encoding="utf-8").encode("latin-1"))
    return out


# SOURCE.md quotes the KAZ-from-RUS figure as "5.37 bn US$": two decimals of a billion.
BN_2DP = 0.005e9


class TestWto(SourceContract):
    source_id = "wto"
    sample = SAMPLE
    tables = {"trade"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: (row has fewer fields|malformed row)"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("latin1", latin1, r"row \d+: byte 0xfc is not valid utf-8"),
        BadCase("header_renamed", rename_column("Partner.Economy.Code", "Partner"),
                r"row 1: missing column.*'Partner Economy Code'"),
        BadCase("non_numeric", set_cell("Value", "12,5O", line=4), r"row 4 column 'Value': '12,5O' is not a number"),
        BadCase("negative", set_cell("Value", "-5", line=5), r"row 5 column 'Value': -5.0 is negative"),
        BadCase("unknown_country", set_cell("Partner.Economy.Code", "999", line=6),
                r"row 6 column 'Partner.Economy.Code': unknown country '999'"),
        BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate key .*'reporter': 'ALB'.*also at row 45"),
        BadCase("mixed_classification", set_cell("Product.Sector.Classification.Code", "SITC", line=8),
                r"row 8 column 'Product.Sector.Classification.Code': product classification 'SITC' is not one of"),
        BadCase("year_out_of_range", set_cell("Year", "1700", line=9), r"row 9 column 'Year': 1700 is not a plausible year"),
        BadCase("unit_unknown", set_cell("Unit", "Euro", line=10), r"row 10 column 'Unit': unit 'Euro' is not one of"),
        BadCase("not_imports", set_cell("Indicator.Code", "HS_X_0010", line=11),
                r"row 11 column 'Indicator.Code': 'HS_X_0010' is not a bilateral imports indicator"),
        BadCase("garbage", binary_garbage, r"not valid utf-8|wrong delimiter"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
    ]


def test_importer_reports_imports_and_classifications(samples):
    t = pl.from_arrow(get_source("wto").read(samples / SAMPLE).tables["trade"])
    assert set(t["flow"]) == {"import"}
    assert set(zip(t["classification"], t["product"], strict=True)) == {("HS", "93"), ("MTN", "12")}
    assert t.filter(pl.col("reporter") == "KAZ")["classification"].unique().to_list() == ["MTN"]


def test_kaz_imports_of_minerals_and_metals_from_russia_2021(samples):
    """SOURCE.md §4: KZ imports of minerals/metals (MTN 12) from Russia = 5.37 bn US$ in 2021."""
    t = pl.from_arrow(get_source("wto").read(samples / SAMPLE).tables["trade"])
    v = t.filter((pl.col("reporter") == "KAZ") & (pl.col("partner") == "RUS") & (pl.col("year") == 2021))
    assert v.height == 1 and v["product"].item() == "12"
    assert v["value_usd"].item() == pytest.approx(5.37e9, abs=BN_2DP)


@pytest.mark.parametrize(("unit", "scale"), [("US$", 1.0), ("Thousand US$", 1e3)])
def test_unit_scales_the_value(samples, tmp_path, unit, scale):
    text = (samples / SAMPLE).read_text(encoding="utf-8").replace(",US$,", f",{unit},")
    f = tmp_path / "wto.csv"
    f.write_text(text, encoding="utf-8")
    a = pl.from_arrow(get_source("wto").read(samples / SAMPLE).tables["trade"])["value_usd"]
    b = pl.from_arrow(get_source("wto").read(f).tables["trade"])["value_usd"]
    assert (b / a).round(9).unique().to_list() == [scale]


def test_million_scale_on_dollar_figures_is_refused_as_implausible(samples, tmp_path):
    """The sample's US$ values read as millions put KZ's 2021 imports from Russia at 5.4e15 US$ (above the
    1e15 bound, ~200× world trade): refused naming the row and column, never loaded."""
    text = (samples / SAMPLE).read_text(encoding="utf-8").replace(",US$,", ",Million US$,")
    f = tmp_path / "wto.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"wto.csv row \d+ column 'Value': .* is implausibly large \(above 1e\+15 USD\)"):
        get_source("wto").read(f)


def test_wto_economy_codes_that_differ_from_iso(samples, tmp_path):
    """892 Serbia and 893 Montenegro are WTO codes (ISO 688, 499); 918 (EU) rows are skipped."""
    lines = (samples / SAMPLE).read_text(encoding="utf-8").splitlines()
    extra = [lines[1].replace(",040,Austria,", ",892,Serbia,"), lines[2].replace(",076,Brazil,", ",893,Montenegro,"),
             lines[3].replace(",100,Bulgaria,", ",918,European Union,")]
    f = tmp_path / "wto.csv"
    f.write_text("\n".join([lines[0], *extra]) + "\n", encoding="utf-8")
    t = pl.from_arrow(get_source("wto").read(f).tables["trade"])
    assert t["partner"].to_list() == ["SRB", "MNE"]


def test_added_iso3_columns_are_not_trusted(samples, tmp_path):
    """The shared copy has third-party ISO3 columns (Romania = 'ROM'); the WTO code decides."""
    lines = (samples / SAMPLE).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "wto.csv"
    f.write_text("\n".join([lines[0], lines[1].replace("ALB,AUT,", "ALB,ROM,", 1)]) + "\n", encoding="utf-8")
    assert pl.from_arrow(get_source("wto").read(f).tables["trade"])["partner"].to_list() == ["AUT"]


def test_spaced_header_of_the_bulk_download_reads_too(samples, tmp_path):
    lines = (samples / SAMPLE).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "WtoData_bulk.csv"
    f.write_text("\n".join([lines[0].replace(".", " ").replace("Product Sector", "Product/Sector"), *lines[1:]]) + "\n",
                 encoding="utf-8")
    assert get_source("wto").handles(f)
    assert get_source("wto").read(f).tables["trade"].num_rows == get_source("wto").read(samples / SAMPLE).tables[
        "trade"].num_rows


@pytest.mark.shared
def test_full_file_pins_kaz_russia_minerals_2021(shared):
    path = shared / "trade/wto_bilateral_imports_mtn12_minerals_metals_and_hs93_arms_2011_2022.csv.gz"
    t = pl.from_arrow(get_source("wto").read(path).tables["trade"])
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        assert t.height == sum(1 for _ in fh) - 1  # every row read, none skipped
    v = t.filter((pl.col("reporter") == "KAZ") & (pl.col("partner") == "RUS") & (pl.col("year") == 2021)
                 & (pl.col("classification") == "MTN"))
    assert v["value_usd"].item() == pytest.approx(5.37e9, abs=BN_2DP)
    assert t.filter((pl.col("reporter") == "KAZ") & (pl.col("classification") == "HS")).height == 0  # SOURCE.md §4
    assert t.filter(pl.col("reporter") == "KAZ").height == 895


def test_refuses_unknown_economy_even_with_name(samples, tmp_path):
    lines = (samples / SAMPLE).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "wto.csv"
    f.write_text("\n".join([lines[0], lines[1].replace(",040,Austria,", ",998,Atlantis,")]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'Partner.Economy.Code': unknown country '998'"):
        get_source("wto").read(f)
