"""The scenario file: who sanctions whom, with which measures, from when, and which third countries to study.

Scenario files are **data only**: YAML is read with ``yaml.safe_load`` (no tags, no code), TOML with
``tomllib``; the content is validated by pydantic and every problem is reported with its file and field
path (``scenarios/x.yaml: measures[2].products[0]: 'ab' is not an HS code``).

Example (YAML)::

    name: EU/US/UK sanctions on Russia, 2022
    coalition: [EU27, USA, GBR]
    targets: [RUS]
    start_year: 2022
    third_countries: [KAZ]
    measures:
      - type: import_ban          # coalition stops importing these goods from the targets
        products: ["27", "72"]    # HS chapters (2 digits), headings (4) or subheadings (6)
        coverage: 0.9             # share of the coalition's imports of those goods covered
      - type: export_ban          # coalition stops exporting these goods to the targets
        products: ["84", "85", "88"]
      - type: financial           # cut-off of the targets' banks (SWIFT, correspondent accounts)
        intensity: 0.7
      - type: route_closure       # transit routes no longer usable
        routes: ["CPC"]           # route ids or names in the atlas's routes table
        through: []               # or: every route crossing these countries
      - type: price_cap
        products: ["2709"]
        cap_usd_per_unit: 60
        unit: bbl
    excluded_hubs:                # countries that cannot re-export to the targets (diversion channel)
      - countries: [BLR]
        status: restricted        # the coalition's bans cover exports to them too
        legal_basis: "Reg (EU) 2022/355; 87 FR 13048"
    hypothetical: false           # true: it did not happen, so there is nothing to backtest against
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import TethersError
from .specfile import one_line, read_document

_HS = re.compile(r"^\d{2}(\d{2}(\d{2})?)?$")

# Groups a scenario may name instead of listing states; expanded by year through tethers.countries.
GROUPS = ("EU27", "G7", "CASIA")


class ScenarioSpecError(TethersError):
    """A scenario file is malformed; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hs_list(v: list[str]) -> list[str]:
    out = []
    for code in v:
        c = str(code).strip().replace(".", "")
        if not _HS.match(c):
            raise ValueError(f"{code!r} is not an HS code (2, 4 or 6 digits)")
        out.append(c)
    return out


class _ProductMeasure(_Model):
    """A measure on a list of HS products (chapters, headings or subheadings)."""

    products: list[str] = Field(min_length=1)
    legal_basis: str | None = None

    @field_validator("products")
    @classmethod
    def _products(cls, v: list[str]) -> list[str]:
        return _hs_list(v)


class ImportBan(_ProductMeasure):
    """The coalition stops importing ``products`` from the targets (share ``coverage`` of that trade)."""

    type: Literal["import_ban"]
    coverage: float = Field(1.0, ge=0, le=1)


class ExportBan(_ProductMeasure):
    """The coalition stops exporting ``products`` to the targets (share ``coverage`` of that trade)."""

    type: Literal["export_ban"]
    coverage: float = Field(1.0, ge=0, le=1)


class Financial(_Model):
    """Financial cut-off of the targets (0 = none, 1 = complete: SWIFT disconnection, reserves frozen)."""

    type: Literal["financial"]
    intensity: float = Field(ge=0, le=1)
    legal_basis: str | None = None


class RouteClosure(_Model):
    """Transit routes that can no longer be used: by id/name, or every route crossing ``through``."""

    type: Literal["route_closure"]
    routes: list[str] = Field(default_factory=list)
    through: list[str] = Field(default_factory=list)
    legal_basis: str | None = None


class PriceCap(_ProductMeasure):
    """A price cap on the targets' exports of ``products`` (USD per ``unit``)."""

    type: Literal["price_cap"]
    cap_usd_per_unit: float = Field(gt=0)
    unit: str = "bbl"


Measure = Annotated[ImportBan | ExportBan | Financial | RouteClosure | PriceCap, Field(discriminator="type")]

# Why a country is no re-export hub for the targets (the diversion channel's route choice leaves it out):
HUB_STATUS = {
    "restricted": "the coalition's export bans cover exports to it as well",
    "aligned": "it applies substantially similar export controls on the targets itself",
    "closed": "it does not trade with the targets (its own embargo, or war)",
}


class ExcludedHubs(_Model):
    """Third countries that cannot serve as re-export hubs for the targets, each group with its legal basis.

    They are neither targets of the measured channels (the trade and fx channels do not shock them) nor
    coalition members (their exports do not count in the coalition's lost supply); the diversion channel
    only removes them from the route choice.
    """

    countries: list[str] = Field(min_length=1)
    status: Literal["restricted", "aligned", "closed"]
    legal_basis: str = Field(min_length=3)

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        from ..countries import resolve

        out = []
        for i, c in enumerate(v):
            try:
                out.append(resolve(c))
            except TethersError as exc:
                raise ValueError(f"item {i}: {exc}") from None
        return out

    @field_validator("legal_basis")
    @classmethod
    def _basis(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a legal basis is required (the act or rule that makes the country no hub)")
        return v.strip()


class ScenarioSpec(_Model):
    """A validated sanctions scenario (immutable)."""

    name: str
    description: str | None = None
    coalition: list[str] = Field(min_length=1)
    targets: list[str] = Field(min_length=1)
    start_year: int = Field(ge=1946, le=2100)
    measures: list[Measure] = Field(min_length=1)
    third_countries: list[str] = Field(default_factory=list)
    parameters: dict[str, float] = Field(default_factory=dict)
    references: list[str] = Field(default_factory=list)
    excluded_hubs: list[ExcludedHubs] = Field(default_factory=list)
    # a scenario that did not happen (e.g. a pipeline closure to study): nothing observed to backtest against
    hypothetical: bool = False

    @field_validator("coalition", "targets", "third_countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        from ..countries import resolve

        out = []
        for i, g in enumerate(v):
            try:
                out.append(g if g in GROUPS else resolve(g))
            except TethersError as exc:  # a ValueError lets pydantic name the field and the item
                raise ValueError(f"item {i}: {exc}") from None
        return out

    def measures_of(self, kind: str) -> list:
        return [m for m in self.measures if m.type == kind]

    def excluded_hub_codes(self) -> dict[str, ExcludedHubs]:
        """ISO3 → the ``excluded_hubs`` entry that names it."""
        return {c: e for e in self.excluded_hubs for c in e.countries}


def _group_members(name: str, year: int) -> frozenset[str]:
    """Members of a scenario group in ``year`` (as engine.expand_group, without importing the engine)."""
    from ..countries import CENTRAL_ASIA, eu_members

    if name == "EU27":
        return eu_members(year)
    if name == "CASIA":
        return frozenset(CENTRAL_ASIA)
    if name == "G7":
        return frozenset({"DEU", "FRA", "GBR", "ITA", "JPN", "USA"} | ({"CAN"} if year >= 1976 else set()))
    return frozenset({name})


def _check_excluded_hubs(spec: ScenarioSpec, origin: str) -> None:
    """An excluded hub is neither a coalition member nor a target (in the start year), and is named once."""
    roles = {}
    for role, names in (("coalition", spec.coalition), ("targets", spec.targets)):
        for n in names:
            for c in _group_members(n, spec.start_year):
                roles.setdefault(c, f"in {role}" + (f" ({n})" if n != c else ""))
    seen: dict[str, str] = {}
    for i, e in enumerate(spec.excluded_hubs):
        for j, c in enumerate(e.countries):
            where = f"excluded_hubs[{i}].countries[{j}]"
            if c in roles:
                raise ScenarioSpecError(one_line(f"{origin}: {where}: {c} is {roles[c]}; an excluded hub is a third "
                                                 "country"))
            if c in seen:
                raise ScenarioSpecError(one_line(f"{origin}: {where}: {c} is already listed at {seen[c]}"))
            seen[c] = where


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("import_ban", "export_ban", "financial", "route_closure", "price_cap"):
            continue  # the discriminated-union tag pydantic adds to the path
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_spec(data: object, *, origin: str = "<scenario>") -> ScenarioSpec:
    """Validate already-parsed scenario data; errors name ``origin`` and the field path."""
    if not isinstance(data, dict):
        raise ScenarioSpecError(f"{origin}: a scenario is a mapping of fields, got {type(data).__name__}")
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_loc(e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ScenarioSpecError(one_line(f"{origin}: {problems}{more}")) from None
    except TethersError as exc:  # unknown country raised inside a validator
        raise ScenarioSpecError(one_line(f"{origin}: {exc}")) from None
    _check_excluded_hubs(spec, origin)
    return spec


def load_spec(path: str | Path) -> ScenarioSpec:
    """Read and validate a scenario file (``.yaml``/``.yml`` or ``.toml``)."""
    p = Path(path)
    data = read_document(p, what="scenario", error=ScenarioSpecError)
    return parse_spec(data, origin=str(p))
