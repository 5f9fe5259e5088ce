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
    SAMPLES,
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
        # line 15 is Armenia's CSTO spell, participation frozen from 2024-02-22
        BadCase("bad_participation", set_cell("participation", "paused", line=15),
                r"row 15 column 'participation': 'paused' is not one of"),
        BadCase("participation_without_date", set_cell("participation_from", "", line=15),
                r"row 15 column 'participation_from': participation and participation_from go together"),
        BadCase("participation_outside_spell", set_cell("participation_from", "1990-01-01", line=15),
                r"row 15 column 'participation_from': participation_from 1990-01-01 is outside the spell"),
        BadCase("bad_participation_date", set_cell("participation_from", "2024-02-30", line=15),
                r"row 15 column 'participation_from': '2024-02-30' is not a date"),
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


def test_file_without_the_schema2_columns_still_reads(tmp_path):
    """A hand-kept file written before participation/personnel existed loads with those columns NULL."""
    import csv
    import io

    rows = list(csv.DictReader((SAMPLES / SAMPLE).open(encoding="utf-8")))
    keep = [c for c in rows[0] if c not in ("participation", "participation_from")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keep, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    f = tmp_path / "old_memberships.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    t = pl.from_arrow(get_source("handkept").read(f).tables["memberships"])
    assert t.height == len(rows) and t["participation"].null_count() == t.height


def _security_file(tmp_path, **changes):
    import csv
    import io

    rows = list(csv.DictReader((data_dir() / "security_ties.csv").open(encoding="utf-8")))
    row = next(r for r in rows if r["partner"] == "RUS" and r["name"].startswith("CSTO"))
    row.update(changes)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
    w.writeheader()
    w.writerow(row)
    f = tmp_path / "security_ties.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    return f


@pytest.mark.parametrize(("changes", "match"), [
    ({"personnel_citation": ""}, r"row 2 column 'personnel_citation': a personnel figure needs its own citation"),
    ({"personnel_scope": ""}, r"row 2 column 'personnel_scope': a personnel figure needs its scope"),
    ({"personnel_basis": ""}, r"row 2 column 'personnel_basis': personnel 2030 and personnel_basis None go together"),
    ({"personnel_basis": "rumoured"}, r"row 2 column 'personnel_basis': 'rumoured' is not one of"),
    ({"personnel": "-5"}, r"row 2 column 'personnel': -5 is negative"),
    ({"personnel": "about 2000"}, r"row 2 column 'personnel': 'about 2000' is not a number"),
])
def test_personnel_figures_are_checked(tmp_path, changes, match):
    with pytest.raises(SourceFormatError, match=match):
        get_source("handkept").read(_security_file(tmp_path, **changes))


def test_shipped_personnel_figures(shipped):
    """Figures pinned to their public sources (see security_ties.csv personnel_citation)."""
    t = shipped["security_ties"]

    def row(name, partner="RUS"):
        return t.filter((pl.col("name") == name) & (pl.col("partner") == partner)).row(0, named=True)

    cpkf = row("CSTO Collective Peacekeeping Forces in Kazakhstan")
    # Kazakh authorities, 10-11 Jan 2022: 2,030 servicemen deployed; CSTO Secretary General Zas, 6 Jan 2022: ~2,500.
    assert (cpkf["personnel"], cpkf["personnel_basis"], cpkf["personnel_announced"], cpkf["personnel_scope"]) == (
        2030, "deployed", 2500, "operation")
    # Only one row of the operation carries the whole-force figure (never summed with contingents).
    op = t.filter((pl.col("name") == "CSTO Collective Peacekeeping Forces in Kazakhstan")
                  & (pl.col("personnel_scope") == "operation"))
    assert op.height == 1
    arm = row("CSTO Collective Peacekeeping Forces in Kazakhstan", "ARM")
    assert (arm["personnel"], arm["personnel_basis"], arm["personnel_scope"]) == (100, "announced", "contingent")
    assert row("201st Russian military base")["personnel"] == 7000           # Asia-Plus, 28 May 2019
    assert row("Kant air base (999th air base)")["personnel"] == 250 + 150   # 250 officers + 150 soldiers, Oct 2013
    assert row("102nd Russian military base (Gyumri)")["personnel"] == 3083  # Caucasian Knot
    assert t.filter(pl.col("personnel").is_not_null())["personnel_citation"].null_count() == 0


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
