"""The options file: changes to the atlas tables a country could make, each with a cost.

Options files are **data only** (``yaml.safe_load``), validated by pydantic like scenario files
(:mod:`tethers.scenario.spec`); every problem names the file and the field path
(``options/x.yaml: options[2].cost.source: sourced costs need a source``).

Example (YAML)::

    name: Kazakhstan, 2022 options
    country: KAZ
    base_year: 2021
    options:
      - id: leave_csto
        type: membership            # leave or join an organisation of the memberships table
        organisation: csto
        action: leave
        cost: {usd: 0, basis: none, note: "political cost not modelled"}
      - id: kcp_feeder
        type: route_capacity        # add capacity (in the route's unit) to a route of the routes table
        route: kcp_atasu_alashankou
        add: 5
        unit: Mt/y
        divisible: true             # any mix 0–1 of the expansion
        cost: {usd: 2.0e8, basis: sourced, source: "KMG CEO, oilprice.com 2023-05-29"}
      - id: minerals_off_rus
        type: supplier_shift        # move a share of imports of products from one supplier to others
        products: ["MTN:12"]        # CLASSIFICATION:CODE, an HS code, or TOTAL
        supplier: RUS
        share: 0.5
        to: proportional            # or a list of suppliers, e.g. [CHN, TUR]
        cost: {usd_per_usd: 0.05, low: 0.02, high: 0.10, basis: assumption}
      - id: uzb_trade
        type: neighbour_trade       # raise trade with Central Asian neighbours by an amount
        amount_usd: 5.0e9
        partners: [UZB]
        flow: both                  # import, export or both (half each)
        cost: {usd: 5.0e8, low: 1.0e8, high: 1.0e9, basis: assumption}

Costs
-----
``usd`` is the cost of the whole option (level 1; a divisible option at level *x* costs *x* times it);
``usd_per_usd`` (supplier shifts only) is the cost per US dollar of imports shifted. ``basis`` is
``sourced`` (``source`` required), ``assumption`` (``low`` and ``high`` required, the central value inside
them: a stated assumption range, labelled as such in every output) or ``none`` (no money cost: ``usd`` must
be 0 and ``note`` says what is not modelled, e.g. the political cost of leaving an organisation).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import TethersError
from ..scenario.specfile import read_document

__all__ = ["OptionsSpecError", "OptionSet", "Cost", "Membership", "SupplierShift", "RouteCapacity",
           "NeighbourTrade", "Option", "parse_options", "load_options", "product_key", "KINDS"]

KINDS = ("membership", "supplier_shift", "route_capacity", "neighbour_trade")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_PRODUCT = re.compile(r"^(TOTAL|\d{2}(\d{2}(\d{2})?)?|[A-Z]{2,5}:[0-9A-Za-z.]{1,12})$")


class OptionsSpecError(TethersError):
    """An options file is malformed; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def product_key(code: str) -> tuple[str, str]:
    """``"MTN:12"`` → ``("MTN", "12")``; ``"93"`` → ``("HS", "93")``; ``"TOTAL"`` → ``("TOTAL", "TOTAL")``."""
    if code == "TOTAL":
        return "TOTAL", "TOTAL"
    if ":" in code:
        cls, _, prod = code.partition(":")
        return cls, prod
    return "HS", code


class Cost(_Model):
    """Money cost of an option at level 1 (see the module docstring)."""

    usd: float | None = Field(None, ge=0)
    usd_per_usd: float | None = Field(None, ge=0)
    low: float | None = Field(None, ge=0)
    high: float | None = Field(None, ge=0)
    basis: Literal["sourced", "assumption", "none"]
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Cost:
        if (self.usd is None) == (self.usd_per_usd is None):
            raise ValueError("give exactly one of usd (whole option) or usd_per_usd (per USD shifted)")
        central = self.usd if self.usd is not None else self.usd_per_usd
        if self.basis == "sourced" and not (self.source or "").strip():
            raise ValueError("sourced costs need a source")
        if self.basis == "assumption":
            if self.low is None or self.high is None:
                raise ValueError("an assumption cost needs its range: low and high")
            if not self.low <= central <= self.high:
                raise ValueError(f"central cost {central} is outside its range [{self.low}, {self.high}]")
        if self.basis == "none":
            if central != 0:
                raise ValueError("basis 'none' means no money cost: usd must be 0")
            if not (self.note or "").strip():
                raise ValueError("basis 'none' needs a note saying which cost is not modelled")
        return self

    @property
    def central(self) -> float:
        return float(self.usd if self.usd is not None else self.usd_per_usd)  # type: ignore[arg-type]


class _Option(_Model):
    id: str
    label: str | None = None
    divisible: bool = False
    cost: Cost
    sources: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"{v!r} is not an option id (lower case letters, digits, _; starts with a letter)")
        return v


class Membership(_Option):
    """Leave or join ``organisation`` (an id of the memberships table) from the counterfactual year on."""

    type: Literal["membership"]
    organisation: str
    action: Literal["leave", "join"]

    @model_validator(mode="after")
    def _all_or_nothing(self) -> Membership:
        if self.divisible:
            raise ValueError("a membership is all-or-nothing: divisible must be false")
        if self.cost.usd_per_usd is not None:
            raise ValueError("a membership's cost is in usd, not usd_per_usd")
        return self


class SupplierShift(_Option):
    """Move ``share`` of the imports of ``products`` from ``supplier`` to other suppliers."""

    type: Literal["supplier_shift"]
    products: list[str] = Field(default_factory=lambda: ["TOTAL"], min_length=1)
    supplier: str
    share: float = Field(gt=0, le=1)
    to: Literal["proportional"] | list[str] = "proportional"

    @field_validator("products")
    @classmethod
    def _products(cls, v: list[str]) -> list[str]:
        out = []
        for i, p in enumerate(v):
            c = str(p).strip().replace(".", "")
            if not _PRODUCT.match(c):
                raise ValueError(f"item {i}: {p!r} is not a product (TOTAL, an HS code, or CLASS:CODE e.g. MTN:12)")
            out.append(c)
        return out

    @field_validator("supplier")
    @classmethod
    def _supplier(cls, v: str) -> str:
        return _country(v)

    @field_validator("to")
    @classmethod
    def _to(cls, v):
        if v == "proportional":
            return v
        if not v:
            raise ValueError("name at least one supplier, or write 'proportional'")
        return [_country(x, i) for i, x in enumerate(v)]

    @model_validator(mode="after")
    def _check(self) -> SupplierShift:
        if isinstance(self.to, list) and self.supplier in self.to:
            raise ValueError(f"the supplier {self.supplier} cannot also receive the shifted imports")
        return self


class RouteCapacity(_Option):
    """Add ``add`` (in ``unit``, which must be the route's unit in the routes table) to ``route``'s capacity."""

    type: Literal["route_capacity"]
    route: str
    add: float = Field(gt=0)
    unit: str


class NeighbourTrade(_Option):
    """Raise trade with ``partners`` (default the Central Asian neighbours) by ``amount_usd`` a year."""

    type: Literal["neighbour_trade"]
    amount_usd: float = Field(gt=0)
    partners: list[str] = Field(default_factory=lambda: ["CASIA"])
    flow: Literal["import", "export", "both"] = "both"

    @field_validator("partners")
    @classmethod
    def _partners(cls, v: list[str]) -> list[str]:
        from ..countries import CENTRAL_ASIA

        out: list[str] = []
        for i, x in enumerate(v):
            out += sorted(CENTRAL_ASIA) if str(x).upper() == "CASIA" else [_country(x, i)]
        return list(dict.fromkeys(out))


Option = Annotated[Membership | SupplierShift | RouteCapacity | NeighbourTrade, Field(discriminator="type")]


class OptionSet(_Model):
    """A validated options file (immutable)."""

    name: str
    country: str
    base_year: int = Field(ge=1990, le=2100)
    description: str | None = None
    options: list[Option] = Field(min_length=1)
    references: list[str] = Field(default_factory=list)

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return _country(v)

    @model_validator(mode="after")
    def _unique(self) -> OptionSet:
        seen: set[str] = set()
        for i, o in enumerate(self.options):
            if o.id in seen:
                raise ValueError(f"options[{i}].id: duplicate option id {o.id!r}")
            seen.add(o.id)
        return self

    def option(self, option_id: str):
        for o in self.options:
            if o.id == option_id:
                return o
        raise KeyError(option_id)


def _country(v: str, i: int | None = None) -> str:
    from ..countries import resolve

    try:
        return resolve(v)
    except TethersError as exc:  # a ValueError lets pydantic name the field
        raise ValueError(f"item {i}: {exc}" if i is not None else str(exc)) from None


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in KINDS or part in ("list[str]", "literal['proportional']"):
            continue  # the discriminated-union tag / union branch pydantic adds to the path
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def parse_options(data: object, *, origin: str = "<options>") -> OptionSet:
    """Validate already-parsed options data; errors name ``origin`` and the field path."""
    if not isinstance(data, dict):
        raise OptionsSpecError(f"{origin}: an options file is a mapping of fields, got {type(data).__name__}")
    try:
        return OptionSet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_loc(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()[:5])
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise OptionsSpecError(f"{origin}: {problems}{more}") from None


def load_options(path: str | Path) -> OptionSet:
    """Read and validate an options file (``.yaml``/``.yml``)."""
    p = Path(path)
    data = read_document(p, what="options", error=OptionsSpecError, suffixes=(".yaml", ".yml"))
    return parse_options(data, origin=str(p))
