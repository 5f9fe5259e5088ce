"""Country identity: ISO3 resolution, historical entities, EU membership by year, and the pandas pin."""

from __future__ import annotations

import pandas as pd
import pytest

from tethers import countries
from tethers.errors import UnknownCountryError


@pytest.mark.parametrize("given", ["KAZ", "kaz", "KZ", "398", "Kazakhstan", " Republic of Kazakhstan "])
def test_kazakhstan_spellings(given):
    assert countries.resolve(given) == "KAZ"


@pytest.mark.parametrize(
    ("given", "iso3"),
    [("USSR", "SUN"), ("Soviet Union", "SUN"), ("Yugoslavia", "YUG"), ("Czechoslovakia", "CSK"),
     ("German Democratic Republic", "DDR"), ("Russian Federation", "RUS"), ("Türkiye", "TUR"),
     ("Namibia", "NAM"), ("NA", "NAM"), ("516", "NAM"), ("GB", "GBR"), ("UK", "GBR"), ("GR", "GRC"),
     ("EL", "GRC")],
)
def test_historical_and_tricky_names(given, iso3):
    assert countries.resolve(given) == iso3


@pytest.mark.parametrize("bad", ["Atlantis", "QQ", "", "999"])
def test_unknown_country_is_a_clear_error(bad):
    with pytest.raises(UnknownCountryError, match="unknown country"):
        countries.resolve(bad)


def test_pandas_pin_keeps_namibia():
    """country_converter 1.3.2 reads Namibia's ISO2 'NA' as missing under pandas 3; we pin pandas < 3."""
    assert int(pd.__version__.split(".")[0]) < 3
    table = countries._converter().data
    assert table.loc[table["ISO3"] == "NAM", "ISO2"].item() == "NA"


@pytest.mark.parametrize(
    ("year", "n", "has", "lacks"),
    [
        (1994, 12, {"DEU", "GBR"}, {"AUT"}),
        (1995, 15, {"AUT", "FIN", "SWE"}, {"POL"}),
        (2004, 25, {"POL", "CYP"}, {"ROU"}),
        (2013, 28, {"HRV", "GBR"}, set()),
        (2019, 28, {"GBR"}, set()),
        (2020, 27, {"HRV"}, {"GBR"}),
        (2021, 27, {"DEU"}, {"GBR", "TUR"}),
    ],
)
def test_eu_members_by_year(year, n, has, lacks):
    """Official enlargement dates; UK left 31 Jan 2020 (member on 1 July rule)."""
    m = countries.eu_members(year)
    assert len(m) == n
    assert has <= m
    assert not (lacks & m)


def test_pole_map_excludes_the_country_itself():
    pm = countries.pole_map(2021, country="KAZ")
    assert pm["RUS"] == "RUS" and pm["UZB"] == "CASIA" and pm["FRA"] == "EU27"
    assert "KAZ" not in pm
    assert countries.pole_map(2021, country="UZB")["KAZ"] == "CASIA"


def test_countries_rows_have_unique_iso3():
    rows = countries.countries_rows()
    codes = [r["iso3"] for r in rows]
    assert len(codes) == len(set(codes))
    assert {"KAZ", "SUN", "YUG"} <= set(codes)
