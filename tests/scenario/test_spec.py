"""Scenario files: the shipped ones load, every bad field is reported with file and field, YAML is data only."""

from __future__ import annotations

import re
import textwrap

import pytest

from tethers.scenario.spec import ScenarioSpecError, load_spec

from .conftest import SCENARIOS

GOOD = """\
name: t
coalition: [EU27, USA]
targets: [RUS]
start_year: 2022
measures:
  - type: import_ban
    products: ["72", "2701"]
    coverage: 0.5
  - type: financial
    intensity: 0.7
"""


@pytest.mark.parametrize("name", ["eu-2022.yaml", "russia-2014.yaml", "kaz-cpc-closure.yaml"])
def test_shipped_scenarios_load(name):
    spec = load_spec(SCENARIOS / name)
    assert spec.targets == ["RUS"]
    assert spec.third_countries == ["KAZ"]


def test_eu2022_content(eu2022):
    assert eu2022.coalition == ["EU27", "USA", "GBR"]
    oil = [m for m in eu2022.measures_of("import_ban") if "2709" in m.products]
    assert oil and oil[0].coverage == 0.9
    assert eu2022.measures_of("price_cap")[0].cap_usd_per_unit == 60
    assert eu2022.measures_of("financial")[0].intensity == 1.0


def _write(tmp_path, text: str, name: str = "bad.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


# (case id, YAML text, field path expected in the message, reason expected in the message)
BAD = [
    ("missing-name", GOOD.replace("name: t\n", ""), "name", "Field required"),
    ("empty-coalition", _replace("coalition: [EU27, USA]", "coalition: []"), "coalition", "at least 1 item"),
    ("unknown-target", _replace("targets: [RUS]", "targets: [Atlantis]"), "targets", "unknown country 'Atlantis'"),
    ("year-too-early", _replace("start_year: 2022", "start_year: 1800"), "start_year", "greater than or equal to 1946"),
    ("year-not-int", _replace("start_year: 2022", "start_year: soon"), "start_year", "valid integer"),
    ("no-measures", GOOD.split("measures:")[0] + "measures: []\n", "measures", "at least 1 item"),
    ("unknown-type", _replace("type: import_ban", "type: embargo"), "measures[0]", "does not match"),
    ("bad-hs", _replace('products: ["72", "2701"]', 'products: ["72", "ab"]'), "measures[0].products", "'ab' is not an HS code"),
    ("hs-5-digits", _replace('products: ["72", "2701"]', 'products: ["27011"]'), "measures[0].products", "not an HS code"),
    ("coverage>1", _replace("coverage: 0.5", "coverage: 1.5"), "measures[0].coverage", "less than or equal to 1"),
    ("intensity-missing", _replace("    intensity: 0.7\n", ""), "measures[1].intensity", "Field required"),
    ("extra-field", GOOD + "colour: red\n", "colour", "Extra inputs are not permitted"),
    ("extra-measure-field", _replace("coverage: 0.5", "coverage: 0.5\n    until: 2030"), "measures[0].until",
     "Extra inputs"),
    ("parameter-not-number", GOOD + "parameters:\n  trade.disruption: high\n", "parameters.trade.disruption",
     "valid number"),
    ("price-cap-negative", GOOD + "  - type: price_cap\n    products: ['2709']\n    cap_usd_per_unit: -5\n",
     "measures[2].cap_usd_per_unit", "greater than 0"),
]


@pytest.mark.parametrize(("text", "field", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_field_names_file_and_field(tmp_path, text, field, reason):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioSpecError, match=re.escape(f"{p}: ")) as ei:
        load_spec(p)
    msg = str(ei.value)
    assert f"{field}: " in msg, msg
    assert reason in msg, msg


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        ("- just\n- a list\n", "list.yaml", "a scenario is a mapping of fields, got list"),
        ("name: [unclosed\n", "syntax.yaml", r"syntax\.yaml line \d+ column \d+: invalid YAML"),
        ("{}", "x.json", r"x\.json: scenario files are \.yaml, \.yml or \.toml"),
        ('name = "t"\ncoalition = [\n', "broken.toml", r"broken\.toml: invalid TOML"),
    ],
)
def test_bad_files(tmp_path, content, name, match):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(ScenarioSpecError, match=match):
        load_spec(p)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioSpecError, match=r"nope\.yaml: no such scenario file"):
        load_spec(tmp_path / "nope.yaml")


def test_not_utf8(tmp_path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes("name: Société\n".encode("latin-1"))
    with pytest.raises(ScenarioSpecError, match=r"latin1\.yaml: not UTF-8 text"):
        load_spec(p)


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system",
    ],
)
def test_python_tags_are_refused_and_never_run(tmp_path, tag):
    marker = tmp_path / "executed"
    p = _write(tmp_path, GOOD.replace("name: t", "name: " + tag.format(marker=marker)))
    with pytest.raises(ScenarioSpecError, match=r"invalid YAML"):
        load_spec(p)
    assert not marker.exists()


TOML = """\
name = "t"
coalition = ["EU27", "USA"]
targets = ["RUS"]
start_year = 2022

[[measures]]
type = "import_ban"
products = ["72", "2701"]
coverage = 0.5

[[measures]]
type = "financial"
intensity = 0.7
"""


def test_toml_equals_yaml(tmp_path):
    y = _write(tmp_path, GOOD, "s.yaml")
    t = tmp_path / "s.toml"
    t.write_text(TOML)
    assert load_spec(t) == load_spec(y)


def test_toml_bad_field_names_file_and_field(tmp_path):
    t = tmp_path / "s.toml"
    t.write_text(TOML.replace("coverage = 0.5", "coverage = 2"))
    with pytest.raises(ScenarioSpecError, match=r"s\.toml: measures\[0\]\.coverage: .*less than or equal to 1"):
        load_spec(t)


def test_country_spellings_resolve(tmp_path):
    spec = load_spec(_write(tmp_path, GOOD.replace("targets: [RUS]", "targets: [Russia]"), "s.yaml"))
    assert spec.targets == ["RUS"]


# ---------------------------------------------------------------------------------------------- excluded hubs

HUBS = GOOD + """\
excluded_hubs:
  - countries: [Belarus]
    status: restricted
    legal_basis: "Reg (EU) 2022/355"
  - countries: [CHE, NOR]
    status: aligned
    legal_basis: "15 CFR part 746 Supplement No. 3"
"""


def test_excluded_hubs_parsed_and_resolved(tmp_path):
    spec = load_spec(_write(tmp_path, HUBS, "hubs.yaml"))
    assert [e.countries for e in spec.excluded_hubs] == [["BLR"], ["CHE", "NOR"]]
    codes = spec.excluded_hub_codes()
    assert set(codes) == {"BLR", "CHE", "NOR"} and codes["BLR"].status == "restricted"
    assert load_spec(_write(tmp_path, GOOD, "none.yaml")).excluded_hubs == []


def test_eu2022_excluded_hubs(eu2022):
    codes = eu2022.excluded_hub_codes()
    assert codes["BLR"].status == "restricted" and "2022/355" in codes["BLR"].legal_basis
    assert "87 FR 13048" in codes["BLR"].legal_basis and "2022/748" in codes["BLR"].legal_basis
    assert {c for c, e in codes.items() if e.status == "aligned"} == {"CHE", "LIE", "NOR", "ISL", "KOR"}
    assert codes["UKR"].status == "closed"


def test_russia2014_has_no_excluded_hubs():
    # the 2014 measures (Reg (EU) 833/2014, 960/2014; US EO 13660–13662) did not reach Belarus
    assert load_spec(SCENARIOS / "russia-2014.yaml").excluded_hubs == []


BAD_HUBS = [
    ("hub-unknown", HUBS.replace("[Belarus]", "[Atlantis]"), "excluded_hubs[0].countries", "unknown country 'Atlantis'"),
    ("hub-no-basis", HUBS.replace('    legal_basis: "Reg (EU) 2022/355"\n', ""), "excluded_hubs[0].legal_basis",
     "Field required"),
    ("hub-blank-basis", HUBS.replace('"Reg (EU) 2022/355"', '"   "'), "excluded_hubs[0].legal_basis",
     "a legal basis is required"),
    ("hub-bad-status", HUBS.replace("status: aligned", "status: friendly"), "excluded_hubs[1].status",
     "'restricted', 'aligned' or 'closed'"),
    ("hub-empty", HUBS.replace("[CHE, NOR]", "[]"), "excluded_hubs[1].countries", "at least 1 item"),
    ("hub-in-coalition", HUBS.replace("[CHE, NOR]", "[CHE, DEU]"), "excluded_hubs[1].countries[1]",
     "DEU is in coalition (EU27)"),
    ("hub-is-target", HUBS.replace("[CHE, NOR]", "[RUS]"), "excluded_hubs[1].countries[0]", "RUS is in targets"),
    ("hub-twice", HUBS.replace("[CHE, NOR]", "[CHE, BLR]"), "excluded_hubs[1].countries[1]",
     "BLR is already listed at excluded_hubs[0].countries[0]"),
]


@pytest.mark.parametrize(("text", "field", "reason"), [b[1:] for b in BAD_HUBS], ids=[b[0] for b in BAD_HUBS])
def test_bad_excluded_hubs_name_file_and_field(tmp_path, text, field, reason):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioSpecError, match=re.escape(f"{p}: ")) as ei:
        load_spec(p)
    msg = str(ei.value)
    assert "\n" not in msg
    assert f"{field}: " in msg, msg
    assert reason in msg, msg
