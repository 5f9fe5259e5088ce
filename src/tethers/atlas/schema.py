"""Canonical atlas tables: columns, types, units, keys and value checks.

This module is the single place that names the atlas's columns (what ``IDX_NAMES`` is to pymrio).
Loaders produce tables in these shapes; :func:`tethers.sources._common.validate` enforces them at the
boundary, and nothing downstream re-checks.

Conventions
-----------
* Countries are ISO 3166-1 alpha-3 codes (``KAZ``); historical entities use ISO 3166-3 codes
  (``SUN`` USSR, ``YUG`` Yugoslavia, ``CSK`` Czechoslovakia, ``DDR`` German Democratic Republic,
  ``SCG`` Serbia and Montenegro, ``YMD`` South Yemen, ``ANT`` Netherlands Antilles); aggregates
  a publisher reports (``World``, ``Areas n.e.s.``) use the codes in :data:`AGGREGATE_CODES`.
* Money is in current US dollars (``value_usd``), never thousands.
* Shares are in 0–1.
* ``source`` is the loader id that produced the row (``kz_bns``, ``unvotes`` …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SCHEMA_VERSION = 3  # 2: memberships.participation*, security_ties.personnel*; 3: trade.estimated (older atlases are rebuilt)

AGGREGATE_CODES = {
    "WLD": "World",
    "XXX": "Areas not elsewhere specified / unallocated",
    "EUU": "European Union, EU27_2020 composition (as a reporter of Eurostat aggregates)",
    "AUU": "African Union (as a member of other organisations, e.g. the G20 from 2023; tethers' own code)",
}

Flow = Literal["import", "export"]
FLOWS: tuple[str, ...] = ("import", "export")
VOTES: tuple[str, ...] = ("yes", "no", "abstain", "absent")
MEMBERSHIP_KINDS: tuple[str, ...] = ("security", "economic", "political", "forum", "other")
ROUTE_KINDS: tuple[str, ...] = ("pipeline", "port", "rail", "road", "sea_lane", "terminal")
SECURITY_KINDS: tuple[str, ...] = ("facility", "lease", "deployment", "exercise", "agreement")
PARTICIPATION: tuple[str, ...] = ("frozen", "suspended")
PERSONNEL_BASES: tuple[str, ...] = ("deployed", "stationed", "announced")
PERSONNEL_SCOPES: tuple[str, ...] = ("contingent", "operation", "facility")
ENERGY_MODES: tuple[str, ...] = ("pipeline", "lng", "sea", "rail")


@dataclass(frozen=True)
class Column:
    """One column: name, DuckDB type, nullability, unit and an optional value check.

    ``check`` is one of ``None``, ``"nonneg"`` (≥ 0), ``"positive"`` (> 0), ``"share"`` (0–1),
    ``"iso3"`` (three upper-case letters), ``"year"`` (1800–2100) or ``"in:<a>|<b>|…"``.
    ``optional``: a loader may leave the (nullable) column out; :func:`tethers.sources._common.validate`
    then fills it with NULL ("the source says nothing").
    """

    name: str
    type: str
    nullable: bool = False
    unit: str = ""
    check: str | None = None
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Table:
    """A canonical atlas table."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ddl(self) -> str:
        cols = ",\n  ".join(
            f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in self.columns
        )
        return f'CREATE TABLE "{self.name}" (\n  {cols}\n)'


def _in(values: tuple[str, ...]) -> str:
    return "in:" + "|".join(values)


C = Column

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "countries",
            (
                C("iso3", "VARCHAR", check="iso3"),
                C("iso2", "VARCHAR", nullable=True),
                C("un_code", "INTEGER", nullable=True, doc="UN M49 / ISO 3166 numeric"),
                C("gw_code", "INTEGER", nullable=True, doc="Gleditsch–Ward state code (close to, not identical with, COW ccode)"),
                C("name", "VARCHAR"),
                C("valid_from", "INTEGER", nullable=True, check="year", doc="first year as a state"),
                C("valid_to", "INTEGER", nullable=True, check="year", doc="last year (historical entities)"),
                C("successor", "VARCHAR", nullable=True, doc="ISO3 of the continuing state, if any"),
                C("source", "VARCHAR"),
            ),
            key=("iso3",),
            doc="Country identity: ISO3 plus the codes publishers use.",
        ),
        Table(
            "trade",
            (
                C("year", "INTEGER", check="year"),
                C("reporter", "VARCHAR", check="iso3"),
                C("partner", "VARCHAR", check="iso3"),
                C("classification", "VARCHAR", doc="TOTAL, HS92, HS02, HS17, MTN, …"),
                C("product", "VARCHAR", doc="product code; 'TOTAL' for all goods"),
                C("level", "INTEGER", doc="digits of the product code (0 = total, 2 = chapter, 6 = HS6)"),
                C("flow", "VARCHAR", check=_in(FLOWS)),
                C("value_usd", "DOUBLE", unit="current USD", check="nonneg"),
                C("quantity", "DOUBLE", nullable=True, check="nonneg"),
                C("quantity_unit", "VARCHAR", nullable=True),
                C("estimated", "BOOLEAN", nullable=True, optional=True,
                  doc="the publisher marks the value as its own estimate (IMF DOTS 'e': from partner data); "
                      "false = not marked; NULL = the source does not say"),
                C("source", "VARCHAR"),
            ),
            key=("source", "year", "reporter", "partner", "classification", "product", "flow"),
            doc="Merchandise trade as reported by `reporter` (imports c.i.f., exports f.o.b.).",
            indexes=(("reporter", "year"),),
        ),
        Table(
            "memberships",
            (
                C("organisation", "VARCHAR", doc="short id, lower case: csto, eaeu, eu, nato, sco, …"),
                C("organisation_name", "VARCHAR"),
                C("kind", "VARCHAR", check=_in(MEMBERSHIP_KINDS)),
                C("country", "VARCHAR", check="iso3"),
                C("status", "VARCHAR", check=_in(("full", "associate", "observer"))),
                C("joined", "INTEGER", check="year", doc="first year of membership"),
                C("left", "INTEGER", nullable=True, check="year", doc="last year of membership; NULL = ongoing"),
                C("joined_date", "DATE", nullable=True),
                C("left_date", "DATE", nullable=True),
                C("observed_to", "INTEGER", check="year",
                  doc="last year the source observed; a NULL `left` means 'member at observed_to'"),
                C("citation", "VARCHAR", nullable=True),
                C("participation", "VARCHAR", nullable=True, check=_in(PARTICIPATION),
                  doc="frozen (by the member, e.g. Armenia in the CSTO from 2024) or suspended (by the "
                      "organisation); NULL = taking part, or not recorded. Membership itself continues"),
                C("participation_from", "DATE", nullable=True, doc="first day of the frozen/suspended participation"),
                C("source", "VARCHAR"),
            ),
            key=("source", "organisation", "country", "status", "joined"),
            doc="Membership spells in intergovernmental organisations.",
        ),
        Table(
            "votes",
            (
                C("resolution", "VARCHAR", nullable=True,
                  doc="normalised symbol, e.g. A/RES/68/262, A/RES/ES-11/1; NULL when the roll call has none"),
                C("rcid", "VARCHAR", doc="roll-call id within its source (several per resolution possible)"),
                C("session", "INTEGER", nullable=True),
                C("date", "DATE"),
                C("title", "VARCHAR", nullable=True),
                C("issue", "VARCHAR", nullable=True, doc="issue tags separated by ';'"),
                C("important", "BOOLEAN", nullable=True),
                C("country", "VARCHAR", check="iso3"),
                C("vote", "VARCHAR", check=_in(VOTES)),
                C("source", "VARCHAR"),
            ),
            key=("source", "rcid", "country"),
            doc="UN General Assembly roll-call votes, one row per country and roll call.",
            indexes=(("country",), ("resolution",)),
        ),
        Table(
            "fx",
            (
                C("date", "DATE"),
                C("currency", "VARCHAR", doc="ISO 4217 code, e.g. KZT"),
                C("per_usd", "DOUBLE", unit="currency units per 1 USD", check="positive"),
                C("frequency", "VARCHAR", check=_in(("daily", "monthly"))),
                C("source", "VARCHAR"),
            ),
            key=("source", "date", "currency"),
            doc="Exchange rates, currency units per US dollar.",
        ),
        Table(
            "prices",
            (
                C("date", "DATE", doc="first day of the month"),
                C("country", "VARCHAR", check="iso3"),
                C("series", "VARCHAR", doc="all, food, nonfood, services"),
                C("measure", "VARCHAR", doc="mom_index (previous month = 100) or level"),
                C("value", "DOUBLE", check="positive"),
                C("source", "VARCHAR"),
            ),
            key=("source", "date", "country", "series", "measure"),
            doc="Consumer price series.",
        ),
        Table(
            "energy_flows",
            (
                C("year", "INTEGER", check="year"),
                C("exporter", "VARCHAR", check="iso3"),
                C("importer", "VARCHAR", check="iso3"),
                C("carrier", "VARCHAR", doc="gas, oil, coal, …"),
                C("mode", "VARCHAR", check=_in(ENERGY_MODES)),
                C("volume", "DOUBLE", check="nonneg"),
                C("unit", "VARCHAR", doc="bcm, Mt, kb/d, …"),
                C("source", "VARCHAR"),
            ),
            key=("source", "year", "exporter", "importer", "carrier", "mode"),
            doc="Bilateral energy trade by carrier and mode.",
        ),
        Table(
            "routes",
            (
                C("route_id", "VARCHAR"),
                C("name", "VARCHAR"),
                C("kind", "VARCHAR", check=_in(ROUTE_KINDS)),
                C("carrier", "VARCHAR", doc="gas, oil, containers, general"),
                C("origin", "VARCHAR", nullable=True, doc="start node (place name)"),
                C("destination", "VARCHAR", nullable=True, doc="end node (place name)"),
                C("countries", "VARCHAR", doc="ISO3 codes crossed, in order, separated by ';'"),
                C("operator", "VARCHAR", nullable=True),
                C("capacity", "DOUBLE", nullable=True, check="nonneg"),
                C("unit", "VARCHAR", nullable=True, doc="bcm/y, Mt/y, bbl/d, TEU/y"),
                C("status", "VARCHAR", nullable=True),
                C("start_year", "INTEGER", nullable=True),
                C("citation", "VARCHAR", nullable=True),
                C("source", "VARCHAR"),
            ),
            key=("source", "route_id"),
            doc="Transport infrastructure: pipelines, ports, rail links with capacities.",
        ),
        Table(
            "route_flows",
            (
                C("year", "INTEGER", check="year"),
                C("exporter", "VARCHAR", check="iso3"),
                C("carrier", "VARCHAR", doc="oil, gas, …"),
                C("route_id", "VARCHAR", doc="a routes.route_id, 'all' for the exporter's total exports of the "
                                             "carrier, or a mode with no route row (e.g. 'rail')"),
                C("volume", "DOUBLE", check="nonneg"),
                C("unit", "VARCHAR", doc="Mt, bcm, …"),
                C("destination", "VARCHAR", nullable=True, check="iso3",
                  doc="the importing country when the route delivers into it (Kazakhstan–China pipeline: CHN); "
                      "empty when the cargo is sold on from a port or pipeline end"),
                C("citation", "VARCHAR"),
                C("source", "VARCHAR"),
            ),
            key=("source", "year", "exporter", "carrier", "route_id"),
            doc="Observed export volumes by route and year (operators' reports), one citation per row.",
        ),
        Table(
            "security_ties",
            (
                C("country", "VARCHAR", check="iso3", doc="host / affected state"),
                C("partner", "VARCHAR", check="iso3", doc="state operating, leasing or deploying"),
                C("kind", "VARCHAR", check=_in(SECURITY_KINDS)),
                C("name", "VARCHAR", doc="e.g. Baikonur Cosmodrome lease, CSTO CPKF deployment"),
                C("start_date", "DATE"),
                C("end_date", "DATE", nullable=True, doc="NULL = ongoing"),
                C("description", "VARCHAR", nullable=True),
                C("citation", "VARCHAR"),
                C("personnel", "INTEGER", nullable=True, unit="persons", check="nonneg",
                  doc="troops on the ground: deployed (an operation) or stationed (a base); NULL = no cited figure"),
                C("personnel_basis", "VARCHAR", nullable=True, check=_in(PERSONNEL_BASES),
                  doc="what `personnel` counts: deployed, stationed (reported garrison) or announced (only a "
                      "figure announced before deployment is known)"),
                C("personnel_announced", "INTEGER", nullable=True, unit="persons", check="nonneg",
                  doc="the strength announced or decided before deployment, when it differs from `personnel`"),
                C("personnel_scope", "VARCHAR", nullable=True, check=_in(PERSONNEL_SCOPES),
                  doc="contingent = this partner's troops; operation = the whole multinational force (held on "
                      "one row only, never summed with contingents); facility = the garrison of the facility"),
                C("personnel_as_of", "DATE", nullable=True,
                  doc="the day the personnel figure refers to (NULL when the source gives no date)"),
                C("personnel_citation", "VARCHAR", nullable=True, doc="public source of the personnel figures"),
                C("source", "VARCHAR"),
            ),
            key=("source", "country", "partner", "kind", "name", "start_date"),
            doc="Foreign military facilities, leases and security events (hand-kept, one citation per row).",
        ),
        Table(
            "distances",
            (
                C("origin", "VARCHAR", check="iso3"),
                C("destination", "VARCHAR", check="iso3"),
                C("contiguous", "BOOLEAN"),
                C("common_language", "BOOLEAN"),
                C("colonial_link", "BOOLEAN"),
                C("distance_km", "DOUBLE", check="nonneg", unit="km, most populated cities"),
                C("distance_weighted_km", "DOUBLE", nullable=True, check="nonneg"),
                C("source", "VARCHAR"),
            ),
            key=("source", "origin", "destination"),
            doc="Bilateral gravity variables (CEPII GeoDist).",
        ),
        Table(
            "io_summary",
            (
                C("year", "INTEGER", check="year"),
                C("country", "VARCHAR", check="iso3"),
                C("sector", "VARCHAR"),
                C("indicator", "VARCHAR", doc="gross_output, value_added, exports, gvc_participation, …"),
                C("value", "DOUBLE"),
                C("unit", "VARCHAR"),
                C("source", "VARCHAR"),
            ),
            key=("source", "year", "country", "sector", "indicator"),
            doc="Input–output summaries by country and sector (ADB MRIO derived).",
        ),
    ]
}

PROVENANCE = Table(
    "provenance",
    (
        C("table_name", "VARCHAR"),
        C("source", "VARCHAR"),
        C("file", "VARCHAR"),
        C("sha256", "VARCHAR"),
        C("licence", "VARCHAR"),
        C("citation", "VARCHAR", nullable=True),
        C("rows", "BIGINT"),
        C("kind", "VARCHAR", doc="load | derive | note"),
        C("tethers_version", "VARCHAR"),
        C("loaded_at", "TIMESTAMP"),
    ),
    key=(),
    doc="Append-only history: every load writes one row per table it touched.",
)


def table(name: str) -> Table:
    """Return the canonical table ``name`` or raise ``SchemaError`` listing the valid names."""
    from ..errors import SchemaError

    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(f"unknown atlas table {name!r}; tables: {', '.join(TABLES)}") from None
