"""UN Comtrade: the Comtrade Plus bulk/API CSV and the legacy comtrade.un.org CSV."""

from __future__ import annotations

import csv
import io
import re

import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    binary_garbage,
    cp1251,
    duplicate_row,
    empty,
    header_only,
    rename_column,
    set_cell,
    truncated,
    wrong_delimiter,
)

PLUS = "comtrade/comtrade_plus_CHN_imports_2022_H6_total_by_partner_excerpt.csv"
LEGACY = "comtrade/comtrade_legacy_H5_871200_2017_world_excerpt.csv"


def _common(value: str, partner_iso: str, year: str, flow: str) -> list[BadCase]:
    v = re.escape(value)
    return [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: (row has fewer fields|malformed row)"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("non_numeric", set_cell(value, "12,5O", line=4), rf"row 4 column '{v}': '12,5O' is not a number"),
        BadCase("negative", set_cell(value, "-5", line=5), rf"row 5 column '{v}': -5.0 is negative"),
        BadCase("unknown_country", set_cell(partner_iso, "QQQ", line=6), rf"row 6 column '{partner_iso}': unknown country 'QQQ'"),
        BadCase("year_out_of_range", set_cell(year, "1700", line=9), rf"row 9 column '{year}': 1700 is not a plausible year"),
        BadCase("unknown_flow", set_cell(flow, "Transit", line=11), rf"row 11 column '{flow}': trade flow 'Transit' is not"),
        BadCase("garbage", binary_garbage, r"not valid utf-8|wrong delimiter|missing column"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
    ]


class TestComtradePlus(SourceContract):
    source_id = "comtrade"
    sample = PLUS
    tables = {"trade"}
    bad_cases = [
        *_common("primaryValue", "partnerISO", "refYear", "flowCode"),
        BadCase("header_renamed", rename_column("primaryValue", "PrimaryValue_USD"), r"row 1: missing column.*'primaryValue'"),
        BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate key .*'partner': 'AGO'.*also at row 32"),
        BadCase("mixed_classification", set_cell("classificationCode", "XX", line=8),
                r"row 8 column 'classificationCode': classification 'XX' is not one of"),
        BadCase("monthly", set_cell("freqCode", "M", line=10), r"row 10 column 'freqCode': frequency 'M': only annual"),
    ]


class TestComtradeLegacy(SourceContract):
    source_id = "comtrade"
    sample = LEGACY
    tables = {"trade"}
    bad_cases = [
        *_common("Trade Value (US$)", "Partner ISO", "Year", "Trade Flow"),
        BadCase("header_renamed", rename_column("Trade Value (US$)", "Value"),
                r"row 1: missing column.*'Trade Value \(US\$\)'"),
        BadCase("duplicate_key", duplicate_row(3), r"row 3: duplicate key .*'reporter': 'DZA'.*also at row 32"),
        BadCase("mixed_classification", set_cell("Classification", "H4", line=9),
                r"row 10 column 'Classification': AUT 2017 mixes classifications HS12, HS17"),
        BadCase("monthly", set_cell("Period", "201701", line=10), r"row 10 column 'Period': period '201701': only annual"),
    ]


def _rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_plus_sample_identity_and_units(samples):
    t = pl.from_arrow(get_source("comtrade").read(samples / PLUS).tables["trade"])
    assert set(t["reporter"]) == {"CHN"} and set(t["flow"]) == {"import"}
    assert t.filter(pl.col("partner") == "WLD")["value_usd"].item() == 2715997517261.0  # primaryValue, US$
    assert set(t["classification"]) == {"TOTAL"} and set(t["level"]) == {0}
    assert t["quantity"].null_count() == t.height  # a net weight of "all commodities" is not kept


def test_legacy_sample_skips_re_exports_and_maps_classification(samples):
    t = pl.from_arrow(get_source("comtrade").read(samples / LEGACY).tables["trade"])
    raw = _rows(samples / LEGACY)
    assert t.height == sum(r["Trade Flow"] in ("Import", "Export") for r in raw) == 28
    assert set(t["classification"]) == {"HS17"} and set(t["product"]) == {"871200"} and set(t["level"]) == {6}
    aus = t.filter((pl.col("reporter") == "AUS") & (pl.col("flow") == "import"))
    assert aus["value_usd"].item() == 202847879.0 and aus["quantity"].item() == 15113446.0
    assert set(t["quantity_unit"].drop_nulls()) == {"kg"}


def test_nes_areas_other_asia_and_world(samples, tmp_path):
    """Partner 490 'Other Asia, nes' → TWN; other '… nes' areas → one summed XXX row; 0/W00 → WLD."""
    lines = (samples / PLUS).read_text(encoding="utf-8").splitlines()
    edit = [lines[0], lines[1],
            lines[2].replace('"4","AFG","Afghanistan"', '"490","S19","Other Asia, nes"'),
            lines[3].replace('"8","ALB","Albania"', '"473","A79","LAIA, nes"'),
            lines[4].replace('"12","DZA","Algeria"', '"568","E19","Other Europe, nes"')]
    f = tmp_path / "plus.csv"
    f.write_text("\n".join(edit) + "\n", encoding="utf-8")
    t = pl.from_arrow(get_source("comtrade").read(f).tables["trade"]).sort("partner")
    assert t["partner"].to_list() == ["TWN", "WLD", "XXX"]
    assert t.filter(pl.col("partner") == "XXX")["value_usd"].item() == 186300870.0 + 1143560635.0


def test_legacy_bulk_variant_flow_codes_and_w00(samples, tmp_path):
    """The bulk download writes flows as M/X/RX and the world as W00 (e.g. Ntacyica/cement comtrade.csv)."""
    lines = (samples / LEGACY).read_text(encoding="utf-8").splitlines()
    edit = [lines[0]] + [ln.replace(",Import,", ",M,").replace(",Export,", ",X,").replace(",Re-Import,", ",RM,")
                         .replace(",World,WLD,", ",World,W00,") for ln in lines[1:8]]
    f = tmp_path / "bulk.csv"
    f.write_text("\n".join(edit) + "\n", encoding="utf-8")
    t = pl.from_arrow(get_source("comtrade").read(f).tables["trade"])
    assert t.height == 6 and set(t["partner"]) == {"WLD"} and set(t["flow"]) == {"import", "export"}


def test_both_layouts_give_the_same_tidy_rows(samples, tmp_path):
    """Cross-check: the legacy rows rendered in the Comtrade Plus layout load identically."""
    raw = _rows(samples / LEGACY)
    plus_header = (samples / PLUS).read_text(encoding="utf-8").splitlines()[0].split(",")
    f = tmp_path / "plus_from_legacy.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=plus_header)
        w.writeheader()
        for r in raw:
            flow = {"Import": "M", "Export": "X", "Re-Import": "RM", "Re-Export": "RX"}[r["Trade Flow"]]
            w.writerow({"typeCode": "C", "freqCode": "A", "refYear": r["Year"], "period": r["Period"], "reporterCode": r["Reporter Code"],
                        "reporterISO": r["Reporter ISO"], "flowCode": flow, "partnerCode": r["Partner Code"],
                        "partnerISO": r["Partner ISO"], "partner2Code": "0", "classificationCode": r["Classification"],
                        "cmdCode": r["Commodity Code"], "customsCode": "C00", "motCode": "0",
                        "netWgt": r["Netweight (kg)"], "primaryValue": r["Trade Value (US$)"]})
    a = pl.from_arrow(get_source("comtrade").read(samples / LEGACY).tables["trade"]).sort("reporter", "flow")
    b = pl.from_arrow(get_source("comtrade").read(f).tables["trade"]).sort("reporter", "flow")
    assert a.equals(b)


def test_breakdown_rows_are_not_double_counted(samples, tmp_path):
    lines = (samples / PLUS).read_text(encoding="utf-8").splitlines()
    by_mode = lines[2].replace('"0","0","TOTAL MOT"', '"0","2100","Sea"')
    f = tmp_path / "plus.csv"
    f.write_text("\n".join([lines[0], lines[2], by_mode]) + "\n", encoding="utf-8")
    assert get_source("comtrade").read(f).tables["trade"].num_rows == 1


def test_re_exports_only_file_loads_nothing_but_raises_nothing(samples, tmp_path):
    lines = (samples / LEGACY).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "rx.csv"
    f.write_text("\n".join([lines[0], lines[12]]) + "\n", encoding="utf-8")  # BHR Re-Export
    assert get_source("comtrade").read(f).tables["trade"].num_rows == 0


def test_unknown_classification_is_named(samples, tmp_path):
    lines = (samples / LEGACY).read_text(encoding="utf-8").splitlines()
    f = tmp_path / "x.csv"
    f.write_text("\n".join([lines[0], "Z9" + lines[1][2:]]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'Classification': classification 'Z9'"):
        get_source("comtrade").read(f)
