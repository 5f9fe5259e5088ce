"""IMF Direction of Trade Statistics (DOTS) bulk CSV, wide time-series and long forms.

No real DOTS file could be found in a public repository (see tests/samples/imf_dots/README.md):
the sample is **converted** — Kazakhstan's official BNS trade by partner (tests/samples/kz_bns'
source, shared/data/trade) written in the DOTS time-series layout with IMF country codes.
"""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from tethers.errors import SourceFormatError
from tethers.sources import get_source

from .contract import (
    BadCase,
    SourceContract,
    _text,
    _write,
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

SAMPLE = "imf_dots/CONVERTED_bns_kaz_2018_2023_in_dots_timeseries_layout.csv"
EXACT = 1e-9


def set_cells(values: dict[str, str], line: int):
    def m(sample, tmp):
        lines = _text(sample)
        header = next(csv.reader([lines[0]]))
        rec = next(csv.reader([lines[line - 1]]))
        for col, val in values.items():
            rec[header.index(col)] = val
        buf = io.StringIO()
        csv.writer(buf, lineterminator="", quoting=csv.QUOTE_ALL).writerow(rec)
        lines[line - 1] = buf.getvalue()
        return _write(tmp, sample, lines)

    return m


class TestImfDots(SourceContract):
    source_id = "imf_dots"
    sample = SAMPLE
    tables = {"trade"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("truncated", truncated, r"row 6: (row has fewer fields|malformed row)"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: wrong delimiter.*';'"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column('"Counterpart Country Code"', '"Partner Code"'),
                r"row 1: missing column.*'Counterpart Country Code'"),
        BadCase("non_numeric", set_cell("2021", "12,5O", line=4), r"row 4 column 'Value': '12,5O' is not a number"),
        BadCase("negative", set_cell("2021", "-5", line=5), r"row 5 column 'Value': -5.0 is negative"),
        BadCase("unknown_country", set_cells({"Counterpart Country Code": "999", "Counterpart Country Name": "Atlantis"},
                                             line=6), r"row 6 column 'Counterpart Country Code': unknown country '999'"),
        BadCase("code_name_mismatch", set_cell("Counterpart Country Code", "922", line=4),
                r"row 4 column 'Counterpart Country Code': IMF code '922' is RUS but the name 'United States' is USA"),
        BadCase("duplicate_key", duplicate_row(7), r"row 7: duplicate key .*'partner': 'GBR'.*also at row 52"),
        BadCase("unknown_indicator", set_cell("Indicator Code", "TXG_FOB_EUR", line=8),
                r"row 8 column 'Indicator Code': indicator 'TXG_FOB_EUR' is not one of"),
        BadCase("no_annual_columns", lambda s, t: _write(t, s, [ln.replace('"2018"', '"2018Q1"').replace('"2019"', '"2019Q1"')
                                                               .replace('"2020"', '"2020Q1"').replace('"2021"', '"2021Q1"')
                                                               .replace('"2022"', '"2022Q1"').replace('"2023"', '"2023Q1"')
                                                               for ln in _text(s)]), r"row 1: no annual data"),
        BadCase("garbage", binary_garbage, r"not valid utf-8|wrong delimiter|missing column"),
        BadCase("header_only", header_only, r"row 2: no data rows"),
    ]


def _trade(path) -> pl.DataFrame:
    return pl.from_arrow(get_source("imf_dots").read(path).tables["trade"])


def test_wide_sample_reads_as_exports_and_imports_of_kazakhstan(samples):
    t = _trade(samples / SAMPLE)
    assert set(t["reporter"]) == {"KAZ"} and set(t["flow"]) == {"export", "import"}
    assert sorted(t["year"].unique()) == list(range(2018, 2024))
    assert "WLD" in set(t["partner"]) and set(t["classification"]) == {"TOTAL"}


def test_values_are_the_bns_figures_it_was_converted_from(samples):
    """Conversion check: KAZ imports 2021 from Russia / world = 17,605,534 / 41,415,435 thousand USD (BNS)."""
    t = _trade(samples / SAMPLE).filter((pl.col("year") == 2021) & (pl.col("flow") == "import"))
    rus = t.filter(pl.col("partner") == "RUS")["value_usd"].item()
    wld = t.filter(pl.col("partner") == "WLD")["value_usd"].item()
    assert rus == pytest.approx(17_605_534.20124e3, rel=1e-7)
    assert rus / wld == pytest.approx(0.4251, abs=5e-5)


def test_long_form_gives_the_same_rows(samples, tmp_path):
    """Cross-check: the wide time-series file melted to the long 'Time Period, Value' form loads identically."""
    rows = list(csv.DictReader(io.StringIO((samples / SAMPLE).read_text(encoding="utf-8"))))
    ids = ["Country Name", "Country Code", "Indicator Name", "Indicator Code", "Counterpart Country Name",
           "Counterpart Country Code"]
    f = tmp_path / "dots_long.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([*ids, "Time Period", "Value"])
        for r in rows:
            for y in map(str, range(2018, 2024)):
                if r[y]:
                    w.writerow([*(r[c] for c in ids), y, r[y]])
    key = ["year", "partner", "flow"]
    assert _trade(samples / SAMPLE).drop("_row", strict=False).sort(key).equals(_trade(f).sort(key))


def test_long_form_refuses_non_annual_periods(samples, tmp_path):
    f = tmp_path / "dots_long.csv"
    f.write_text('"Country Name","Country Code","Indicator Code","Counterpart Country Name","Counterpart Country Code",'
                 '"Time Period","Value"\n"Kazakhstan, Rep. of","916","TXG_FOB_USD","World","1","2021M01","100"\n',
                 encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'Time Period': period '2021M01' is not a year"):
        get_source("imf_dots").read(f)


def test_status_rows_skipped_indicators_aggregates_and_scale(samples, tmp_path):
    lines = (samples / SAMPLE).read_text(encoding="utf-8").splitlines()
    header = lines[0] + ',"Unit Multiplier"'
    world = lines[1] + ',"3"'
    status = lines[1].replace('"Value"', '"Status"') + ',"0"'
    balance = lines[1].replace('"TXG_FOB_USD"', '"TBG_USD"') + ',"0"'
    eu = lines[1].replace('"World","1"', '"European Union","998"') + ',"0"'
    f = tmp_path / "dots.csv"
    f.write_text("\n".join([header, world, status, balance, eu]) + "\n", encoding="utf-8")
    t = _trade(f)
    base = _trade(samples / SAMPLE).filter((pl.col("partner") == "WLD") & (pl.col("flow") == "export")).sort("year")
    assert t["partner"].unique().to_list() == ["WLD"] and t.height == 6
    assert (t.sort("year")["value_usd"] / base["value_usd"]).round(9).unique().to_list() == [1e3]


def test_imf_codes_are_not_iso(samples):
    """IMF codes (916 Kazakhstan, 922 Russia, 924 China, 111 USA) resolve through the shipped mapping."""
    t = _trade(samples / SAMPLE)
    assert {"RUS", "CHN", "USA", "KGZ", "UZB"} <= set(t["partner"])
