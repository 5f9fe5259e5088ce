"""Hand-sized tables for the options tests (canonical columns of trade, memberships, routes)."""

from __future__ import annotations

import polars as pl

from tethers.options.counterfactual import Tables

TRADE_SCHEMA = {"year": pl.Int32, "reporter": pl.Utf8, "partner": pl.Utf8, "classification": pl.Utf8,
                "product": pl.Utf8, "level": pl.Int32, "flow": pl.Utf8, "value_usd": pl.Float64,
                "quantity": pl.Float64, "quantity_unit": pl.Utf8, "source": pl.Utf8}
MEMBER_SCHEMA = {"organisation": pl.Utf8, "organisation_name": pl.Utf8, "kind": pl.Utf8, "country": pl.Utf8,
                 "status": pl.Utf8, "joined": pl.Int32, "left": pl.Int32, "joined_date": pl.Date,
                 "left_date": pl.Date, "observed_to": pl.Int32, "citation": pl.Utf8, "source": pl.Utf8}
ROUTE_SCHEMA = {"route_id": pl.Utf8, "name": pl.Utf8, "capacity": pl.Float64, "unit": pl.Utf8}


def trade(rows: list[tuple]) -> pl.DataFrame:
    """(partner, classification, product, flow, value_usd[, source]) rows of KAZ in 2021."""
    out = []
    for r in rows:
        partner, cls, prod, flow, v = r[:5]
        src = r[5] if len(r) > 5 else ("kz_bns" if cls == "TOTAL" else "wto")
        out.append({"year": 2021, "reporter": "KAZ", "partner": partner, "classification": cls, "product": prod,
                    "level": 0, "flow": flow, "value_usd": float(v), "quantity": None, "quantity_unit": None,
                    "source": src})
    return pl.DataFrame(out, schema=TRADE_SCHEMA)


def memberships(rows: list[tuple]) -> pl.DataFrame:
    """(organisation, country, joined, left) hand-kept full-member spells."""
    return pl.DataFrame([{"organisation": o, "organisation_name": o.upper(), "kind": "security", "country": c,
                          "status": "full", "joined": j, "left": left, "joined_date": None, "left_date": None,
                          "observed_to": 2026, "citation": "test", "source": "handkept"} for o, c, j, left in rows],
                        schema=MEMBER_SCHEMA)


def routes() -> pl.DataFrame:
    return pl.DataFrame([{"route_id": "r1", "name": "R1", "capacity": 10.0, "unit": "Mt/y"},
                         {"route_id": "r2", "name": "R2", "capacity": 1.0e5, "unit": "bbl/d"}], schema=ROUTE_SCHEMA)


# CSTO: KAZ, RUS, KGZ; SCO: KAZ, RUS, CHN, KGZ; OTS (not joined by KAZ here): TUR, KGZ
MEMBERS = memberships([("csto", c, 1994, None) for c in ("KAZ", "RUS", "KGZ")]
                      + [("sco", c, 2001, None) for c in ("KAZ", "RUS", "CHN", "KGZ")]
                      + [("ots", c, 2009, None) for c in ("TUR", "KGZ")])

TRADE = trade([
    # total imports and exports (own statistics)
    ("RUS", "TOTAL", "TOTAL", "import", 1000), ("CHN", "TOTAL", "TOTAL", "import", 500),
    ("DEU", "TOTAL", "TOTAL", "import", 300), ("TUR", "TOTAL", "TOTAL", "import", 100),
    ("UZB", "TOTAL", "TOTAL", "import", 100), ("KGZ", "TOTAL", "TOTAL", "import", 0),
    ("RUS", "TOTAL", "TOTAL", "export", 400), ("CHN", "TOTAL", "TOTAL", "export", 600),
    ("ITA", "TOTAL", "TOTAL", "export", 800), ("UZB", "TOTAL", "TOTAL", "export", 200),
    # minerals and metals (WTO MTN 12): RUS 60, CHN 30, TUR 10
    ("RUS", "MTN", "12", "import", 60), ("CHN", "MTN", "12", "import", 30), ("TUR", "MTN", "12", "import", 10),
])


def tables(trade_=TRADE, members=MEMBERS) -> Tables:
    return Tables("KAZ", 2021, trade_, members, routes())
