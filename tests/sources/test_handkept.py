"""tethers' hand-kept tables: memberships after 2014, routes and security ties, each row cited."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tethers import countries
from tethers.atlas.pack import build_pack, input_path
from tethers.atlas.schema import TABLES
from tethers.errors import SourceFormatError
from tethers.sources import get_source
from tethers.sources.handkept import FILES, columns_of, data_dir

from .contract import (
    BadCase,
    SourceContract,
    cp1251,
    duplicate_row,
    empty,
    rename_column,
    set_cell,
    wrong_delimiter,
)

SAMPLE = "handkept/memberships_excerpt.csv"


class TestHandkept(SourceContract):
    source_id = "handkept"
    sample = SAMPLE
    tables = {"memberships"}
    bad_cases = [
        BadCase("empty", empty, r"file is empty"),
        BadCase("wrong_delimiter", wrong_delimiter, r"row 1: header matches no hand-kept table"),
        BadCase("cp1251", cp1251, r"row 2: byte 0x.. is not valid utf-8"),
        BadCase("header_renamed", rename_column("citation", "source_note"), r"row 1: header matches no hand-kept"),
        BadCase("missing_citation", set_cell("citation", "", line=3),
                r"row 3 column 'citation': every hand-kept row needs a public citation \(organisation=eaeu, "
                r"country=BLR"),
        BadCase("blank_citation", set_cell("citation", "   ", line=7), r"row 7 column 'citation': every hand-kept"),
        BadCase("unknown_country", set_cell("country", "QQQ", line=4),
                r"row 4 column 'country': 'QQQ' is not a known ISO3 country code"),
        BadCase("bad_date", set_cell("joined_date", "2015-13-01", line=2),
                r"row 2 column 'joined_date': '2015-13-01' is not a date \(YYYY-MM-DD\)"),
        BadCase("joined_not_year_of_date", set_cell("joined", "2016", line=2),
                r"row 2 column 'joined': joined 2016 is not the year of joined_date 2015-01-01"),
        BadCase("left_before_joined", set_cell("left", "1990", line=2), r"row 2 column 'left': left 1990"),
        BadCase("non_numeric_year", set_cell("joined", "2O15", line=5), r"row 5 column 'joined': '2O15' is not a number"),
        BadCase("bad_status", set_cell("status", "member", line=6), r"row 6 column 'status': 'member' is not one of"),
        BadCase("bad_kind", set_cell("kind", "military", line=6), r"row 6 column 'kind': 'military' is not one of"),
        BadCase("duplicate_key", duplicate_row(2), r"row 2: duplicate key .*'organisation': 'eaeu'.*also at row 29"),
    ]


@pytest.fixture(scope="module")
def shipped() -> dict[str, pl.DataFrame]:
    loaded = get_source("handkept").read(data_dir())
    return {name: pl.from_arrow(t) for name, t in loaded.tables.items()}


def test_folder_read_loads_every_shipped_table(shipped):
    assert set(shipped) == set(FILES)
    assert shipped["memberships"].height > 150 and shipped["security_ties"].height >= 10
    for name, df in shipped.items():
        assert df.columns == TABLES[name].column_names
        assert df["citation"].str.strip_chars().str.len_chars().min() > 20, name


def test_each_file_is_recognised_by_its_header(tmp_path):
    src = get_source("handkept")
    for name, file in FILES.items():
        copy = tmp_path / f"renamed_{name}.csv"  # the file name does not decide the table
        copy.write_bytes((data_dir() / file).read_bytes())
        assert src.handles(copy)
        assert set(src.read(copy).tables) == {name}


def test_header_only_file_loads_as_empty_table(tmp_path):
    f = tmp_path / "routes.csv"
    f.write_text(",".join(columns_of("routes")) + "\n", encoding="utf-8")
    t = get_source("handkept").read(f).tables["routes"]
    assert t.num_rows == 0 and t.column_names == TABLES["routes"].column_names


def test_route_countries_must_be_known_codes(tmp_path):
    f = tmp_path / "routes.csv"
    cols = columns_of("routes")
    row = dict.fromkeys(cols, "")
    row.update(route_id="x", name="test", kind="rail", carrier="general", countries="KAZ;QQQ", citation="a citation here")
    f.write_text(",".join(cols) + "\n" + ",".join(row[c] for c in cols) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'countries': 'QQQ' is not a known ISO3"):
        get_source("handkept").read(f)


def test_security_tie_cannot_end_before_it_starts(tmp_path):
    text = (data_dir() / "security_ties.csv").read_text(encoding="utf-8").splitlines()
    f = tmp_path / "security_ties.csv"
    bad = text[5].replace("2022-01-19", "2021-01-19")
    assert bad != text[5]
    f.write_text("\n".join([text[0], bad]) + "\n", encoding="utf-8")
    with pytest.raises(SourceFormatError, match=r"row 2 column 'end_date': ends \(2021-01-19\) before it starts"):
        get_source("handkept").read(f)


# ---- the shipped facts -------------------------------------------------------------------------

def _spells(df, org, country):
    return df.filter((pl.col("organisation") == org) & (pl.col("country") == country)).sort("joined")


@pytest.mark.parametrize(
    ("org", "country", "status", "joined_date", "left_date"),
    [
        ("eaeu", "KAZ", "full", "2015-01-01", None),     # Treaty on the EAEU in force 1 Jan 2015
        ("eaeu", "ARM", "full", "2015-01-02", None),     # accession treaty in force 2 Jan 2015
        ("eaeu", "KGZ", "full", "2015-08-06", None),     # EEC: accession treaty in force 6 Aug 2015
        ("wto", "KAZ", "full", "2015-11-30", None),      # WTO: 162nd member on 30 Nov 2015
        ("wto", "RUS", "full", "2012-08-22", None),      # WTO press release 668
        ("wto", "CHN", "full", "2001-12-11", None),
        ("nato", "FIN", "full", "2023-04-04", None),
        ("nato", "SWE", "full", "2024-03-07", None),
        ("sco", "IRN", "full", "2023-07-04", None),
        ("sco", "BLR", "full", "2024-07-04", None),
        ("cis", "GEO", "full", None, "2009-08-18"),      # withdrawal effective 12 months after notice
        ("csto", "ARM", "full", "1994-04-20", None),     # 2024 'freeze' is not a withdrawal
    ],
)
def test_shipped_membership_dates(shipped, org, country, status, joined_date, left_date):
    s = _spells(shipped["memberships"], org, country).filter(pl.col("status") == status).row(-1, named=True)
    assert (str(s["joined_date"]) if s["joined_date"] else None) == joined_date
    assert (str(s["left_date"]) if s["left_date"] else None) == left_date


def test_uzbekistan_csto_has_two_spells(shipped):
    s = _spells(shipped["memberships"], "csto", "UZB")
    assert s.select("joined", "left").rows() == [(1994, 1999), (2006, 2012)]


def test_non_members_are_absent(shipped):
    m = shipped["memberships"]
    for org, country in (("wto", "UZB"), ("wto", "TKM"), ("nato", "KAZ"), ("eaeu", "TJK"), ("eu", "KAZ")):
        assert _spells(m, org, country).height == 0, (org, country)


def test_eu_rows_still_drive_the_eu_pole():
    """countries.eu_members reads the same file: adding organisations must not disturb it."""
    assert len(countries.eu_members(2021)) == 27
    assert "GBR" in countries.eu_members(2019) and "GBR" not in countries.eu_members(2020)


def test_kinds_agree_with_cow_for_shared_organisations(shipped):
    from tethers.sources.cow_igo import organisations

    cow = organisations()
    for org, kind in shipped["memberships"].select("organisation", "kind").unique().iter_rows():
        if org in cow:
            assert cow[org][1] == kind, org


def test_security_ties_cover_the_brief(shipped):
    t = shipped["security_ties"]
    names = set(t["name"])
    assert {"Baikonur Cosmodrome lease", "Kant air base (999th air base)", "201st Russian military base",
            "CSTO Collective Peacekeeping Forces in Kazakhstan"} <= names
    cpkf = t.filter(pl.col("name") == "CSTO Collective Peacekeeping Forces in Kazakhstan")
    assert set(cpkf["partner"]) == {"RUS", "BLR", "ARM", "TJK", "KGZ"}
    assert set(cpkf["start_date"].cast(pl.Utf8)) == {"2022-01-06"}
    assert cpkf["end_date"].max().isoformat() == "2022-01-19"


# ---- the pack takes the package files -----------------------------------------------------------

def test_pack_inputs_resolve_inside_the_package(tmp_path):
    for entry in get_source("handkept").pack_inputs:
        assert entry.startswith("tethers:")
        assert input_path(tmp_path, entry).is_file()
    assert input_path(tmp_path, "igo/x.csv") == tmp_path / "igo/x.csv"


def test_pack_builds_handkept_without_shared_data(tmp_path):
    manifest = build_pack(tmp_path / "no-shared", tmp_path / "pack", only=["handkept"])
    entries = {e["table"]: e for e in manifest["entries"]}
    assert set(entries) == set(FILES)
    assert entries["memberships"]["inputs"][0]["file"] == "tethers:data/memberships.csv"
    assert (tmp_path / "pack" / entries["memberships"]["file"]).is_file()
    assert json.loads((tmp_path / "pack" / "MANIFEST.json").read_text())["entries"]
