"""Country identity (ISO3 through country_converter), historical entities, and poles by year.

Every country a user or a file names goes through :func:`resolve` (one) or :func:`resolve_many`
(a column). Historical entities that country_converter does not know, or maps to a successor
(``Czechoslovakia`` → ``CZE``), are handled explicitly with ISO 3166-3 codes, so that a 1985 vote
by the USSR is never counted as Russia's.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .errors import UnknownCountryError

# ISO 3166-3 codes for entities that no longer exist, with the names publishers use for them.
# (code, name, first year, last year, continuing state or None, spellings)
HISTORICAL: tuple[tuple[str, str, int, int, str | None, tuple[str, ...]], ...] = (
    ("SUN", "Soviet Union", 1922, 1991, "RUS", ("ussr", "soviet union", "u.s.s.r.", "union of soviet socialist republics")),
    ("YUG", "Yugoslavia (SFR)", 1945, 1992, None, ("yugoslavia", "socialist federal republic of yugoslavia", "sfr yugoslavia")),
    ("SCG", "Serbia and Montenegro", 1992, 2006, "SRB", ("serbia and montenegro", "federal republic of yugoslavia")),
    ("CSK", "Czechoslovakia", 1918, 1992, None, ("czechoslovakia", "czechoslovak socialist republic", "czech and slovak federal republic")),
    ("DDR", "German Democratic Republic", 1949, 1990, None, ("german democratic republic", "east germany", "germany, east", "gdr")),
    ("YMD", "Yemen, Democratic (South Yemen)", 1967, 1990, None, ("democratic yemen", "south yemen", "yemen people's republic", "yemen, democratic")),
    ("ANT", "Netherlands Antilles", 1954, 2010, None, ("netherlands antilles",)),
)
_HIST_BY_NAME = {s: code for code, _n, _a, _b, _s, names in HISTORICAL for s in names}
_HIST_CODES = {h[0] for h in HISTORICAL}
# Spellings country_converter gets wrong or does not know (checked against its 1.3.2 regexes).
_EXTRA = {
    "byelorussian ssr": "BLR",
    "ukrainian ssr": "UKR",
    "federal republic of germany": "DEU",
    "germany, west": "DEU",
    "west germany": "DEU",
    "turkiye": "TUR",
    "türkiye": "TUR",
    "kosovo": "XKX",
}

_MISS = "\x00not-found"

POLE_ORDER: tuple[str, ...] = ("RUS", "CHN", "EU27", "USA", "TUR", "CASIA", "ROW")
POLE_LABELS = {
    "RUS": "Russia",
    "CHN": "China",
    "EU27": "European Union",
    "USA": "United States",
    "TUR": "Turkey",
    "CASIA": "Central Asia",
    "ROW": "Rest of world",
}
CENTRAL_ASIA: tuple[str, ...] = ("KAZ", "KGZ", "TJK", "TKM", "UZB")

logging.getLogger("country_converter").setLevel(logging.CRITICAL)


@cache
def _converter():
    import country_converter as coco

    return coco.CountryConverter()


@cache
def un_members(year: int) -> frozenset[str]:
    """ISO3 codes of the UN member states in ``year`` (admission year ≤ ``year``; country_converter's
    ``UNmember`` column, the UN's list of member states with their dates of admission)."""
    d = _converter().data
    rows = d[d["UNmember"].notna()]
    return frozenset(str(c) for c, y in zip(rows["ISO3"], rows["UNmember"], strict=True) if int(y) <= year)


@cache
def _iso2_table() -> dict[str, str]:
    """ISO2 → ISO3. country_converter stores a few ISO2 cells as regexes (``^GB$|^UK$``, ``^GR$|^EL$``)."""
    out: dict[str, str] = {}
    for iso2, iso3 in _converter().data[["ISO2", "ISO3"]].itertuples(index=False):
        for code in re.findall(r"[A-Z]{2}", str(iso2)):
            out.setdefault(code, iso3)
    return out


def _clean(value: object) -> str:
    return re.sub(r"\s+", " ", str(value)).strip()


# Characters a country name or code may hold (letters of any script, digits, blanks, . , ' ’ ( ) & / -). Anything
# else — ``;``, ``=``, quotes, NUL and other controls — is never a country: ``KAZ'; DROP TABLE trade;--`` must not
# reach country_converter, whose regexes would find "KAZ" in it.
_NAME_CHARS = re.compile(r"[^\W_]+(?:[ .,'’()&/-]+[^\W_]+)*[ .,'’()&/-]*")


@cache
def _lookup(value: str) -> str | None:
    """Resolve one cleaned spelling to ISO3, or None."""
    low = value.lower()
    if low in _HIST_BY_NAME:
        return _HIST_BY_NAME[low]
    if low in _EXTRA:
        return _EXTRA[low]
    if not _NAME_CHARS.fullmatch(value) or "--" in value:
        return None
    up = value.upper()
    if up in _HIST_CODES or up in ("XKX",):
        return up
    cc = _converter()
    if re.fullmatch(r"[A-Za-z]{3}", value):
        hit = cc.data.loc[cc.data["ISO3"] == up, "ISO3"]
        if len(hit):
            return str(hit.iloc[0])
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return _iso2_table().get(up)
    if re.fullmatch(r"\d{1,3}", value):
        hit = cc.data.loc[cc.data["ISOnumeric"] == int(value), "ISO3"]
        return str(hit.iloc[0]) if len(hit) else None
    if len(value) < 3:
        return None
    # country_converter returns the input itself for not_found=None, hence a sentinel
    out = cc.convert(value, to="ISO3", not_found=_MISS)
    if isinstance(out, list) or out == _MISS:  # a list means an ambiguous spelling
        return None
    return str(out)


def resolve(value: object) -> str:
    """Return the ISO3 code of a country given as ISO3, ISO2, ISO numeric or a name.

    ``resolve("Kazakhstan") == resolve("KZ") == resolve("398") == resolve("kaz") == "KAZ"``.
    Historical entities resolve to their ISO 3166-3 code (``"USSR"`` → ``"SUN"``).

    Raises
    ------
    UnknownCountryError
        naming the input, when no country matches.
    """
    cleaned = _clean(value)
    iso3 = _lookup(cleaned) if cleaned else None
    if iso3 is None:
        raise UnknownCountryError(
            f"unknown country {value!r}: give an ISO3 code (KAZ), ISO2 (KZ), UN number (398) or an English name"
        )
    return iso3


def try_resolve(value: object) -> str | None:
    """Like :func:`resolve` but returns None on a miss."""
    cleaned = _clean(value)
    return _lookup(cleaned) if cleaned else None


def resolve_many(values: Iterable[object]) -> dict[str, str | None]:
    """Map each distinct input spelling to ISO3 (or None when unknown)."""
    return {str(v): try_resolve(v) for v in set(values)}


def name(iso3: str) -> str:
    """Short English name of an ISO3 code (historical codes included)."""
    for code, nm, *_ in HISTORICAL:
        if code == iso3:
            return nm
    cc = _converter()
    hit = cc.data.loc[cc.data["ISO3"] == iso3, "name_short"]
    return str(hit.iloc[0]) if len(hit) else iso3


def countries_rows() -> list[dict]:
    """Rows for the atlas ``countries`` table: every ISO3 country_converter knows, plus historical entities."""
    cc = _converter()
    rows = []
    for rec in cc.data[["ISO3", "ISO2", "ISOnumeric", "name_short", "GWcode"]].to_dict("records"):
        iso2 = re.findall(r"[A-Z]{2}", rec["ISO2"])[0] if isinstance(rec["ISO2"], str) else None
        num = rec["ISOnumeric"]
        rows.append(
            {
                "iso3": rec["ISO3"],
                "iso2": iso2,
                "un_code": int(num) if num == num and num is not None else None,
                "gw_code": _int_or_none(rec["GWcode"]),
                "name": rec["name_short"],
                "valid_from": None,
                "valid_to": None,
                "successor": None,
                "source": "country_converter",
            }
        )
    for code, nm, start, end, successor, _names in HISTORICAL:
        rows.append(
            {"iso3": code, "iso2": None, "un_code": None, "gw_code": None, "name": nm, "valid_from": start,
             "valid_to": end, "successor": successor, "source": "tethers.countries.HISTORICAL"}
        )
    return sorted(rows, key=lambda r: r["iso3"])


def _int_or_none(x: object) -> int | None:
    try:
        v = int(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v


# --------------------------------------------------------------------------------------------
# Poles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EUSpell:
    iso3: str
    joined: int  # first calendar year as a member (counted as a member in its accession year)
    left: int | None  # last calendar year as a member


@cache
def eu_spells() -> tuple[EUSpell, ...]:
    """EU membership spells from the hand-kept membership table shipped with tethers."""
    spells = []
    with resources.files("tethers.data").joinpath("memberships.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["organisation"] == "eu" and row["status"] == "full":
                spells.append(EUSpell(row["country"], int(row["joined"]), int(row["left"]) if row["left"] else None))
    return tuple(spells)


def eu_members(year: int) -> frozenset[str]:
    """EU member states in ``year``.

    Rule (applied when the hand-kept table is written): a state counts as a member in a calendar year
    when it was a member on 1 July of that year. So Croatia (acceded 1 July 2013) counts from 2013,
    the 2004 enlargement (1 May) from 2004, and the United Kingdom (left 31 January 2020) through 2019.
    Before 1993 the pole is the EEC/EC.
    """
    return frozenset(s.iso3 for s in eu_spells() if s.joined <= year and (s.left is None or year <= s.left))


def pole_map(year: int, *, country: str | None = None, poles: Iterable[str] = POLE_ORDER) -> dict[str, str]:
    """Map ISO3 → pole id for ``year``. Countries not in a pole are not in the map (they are ``ROW``).

    Poles: ``RUS``, ``CHN``, ``USA``, ``TUR`` (single states), ``EU27`` (EU members that year),
    ``CASIA`` (Kazakhstan, Kyrgyzstan, Tajikistan, Turkmenistan, Uzbekistan, minus ``country``
    itself). A pole id that is an ISO3 code of any state makes that state a pole.
    """
    out: dict[str, str] = {}
    for pole in poles:
        if pole == "ROW":
            continue
        if pole == "EU27":
            out.update({m: "EU27" for m in eu_members(year)})
        elif pole == "CASIA":
            out.update({m: "CASIA" for m in CENTRAL_ASIA if m != country})
        else:
            out[resolve(pole)] = resolve(pole)
    if country is not None:
        out.pop(country, None)
    return out
