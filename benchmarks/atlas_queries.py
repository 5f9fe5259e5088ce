"""Benchmarks of the per-country commands on the shipped pack (real data): issue 12's targets.

* ``profile``: any country's profile warm (< 300 ms): the 30 countries of issue 12 profiled once to warm the
  caches and the connection, then timed again; the op is the second pass (seconds / 30 = per profile).
* ``balance_all``: the balance index of every country the atlas has total trade for, every year 2000–2022
  (< 60 s, peak memory < 2 GiB), on one open atlas.

Called by ``benchmarks/run.py`` (children ``atlas/…``), never by the tests.
"""

from __future__ import annotations

THIRTY = ["DEU", "FRA", "POL", "TUR", "UKR", "BLR", "ARM", "GEO", "AZE", "UZB", "KGZ", "TJK", "TKM", "MNG", "CHN", "IND", "PAK", "IRN", "SAU", "EGY", "NGA", "ZAF", "BRA", "ARG", "MEX", "USA", "CAN", "JPN", "KOR", "IDN"]


def _atlas(a: dict):
    from tethers.atlas.store import Atlas

    return Atlas(a["atlas"])


def profile_warm(a: dict):
    from tethers.analysis.profile import profile

    atlas = _atlas(a)
    year = int(a.get("year", 2020))
    for c in THIRTY:  # warm: connection, country tables, memoised reads
        profile(c, year, atlas=atlas)
    return lambda: [profile(c, year, atlas=atlas) for c in THIRTY]


def profile_cold(a: dict):
    from tethers.analysis.profile import profile

    atlas = _atlas(a)
    year = int(a.get("year", 2020))
    return lambda: [profile(c, year, atlas=atlas) for c in THIRTY]


def balance_all(a: dict):
    from tethers.analysis.balance import balance_over_time

    atlas = _atlas(a)
    countries = atlas.sql("SELECT DISTINCT reporter FROM trade WHERE classification = 'TOTAL' AND partner = 'WLD' "
                          "ORDER BY 1")["reporter"].to_list()
    return lambda: [balance_over_time(c, 2000, 2022, atlas=atlas).composite for c in countries]
