"""Countries, organisations, companies and events named in a German or English text.

Countries come from the Unicode CLDR through Babel, not from a hand list:

* names: ``Locale(lang).territories`` (``Kasachstan``/``Kazakhstan``), with the genitive (``Kasachstans``,
  ``Kazakhstan's``);
* adjectives: CLDR has no demonyms, but the German and English *language* names are the nominalised adjectives
  (``Russisch``/``Russian``, ``Kasachisch``/``Kazakh``). A language is tied to the territory of its CLDR
  likely-subtags entry (``ru → ru_Cyrl_RU``, ``kk → kk_Cyrl_KZ``) when the language name and the country name
  share their first three letters in that language (so ``Englisch`` is not read as the United States, ``Persisch``
  not as Iran). German adjectives are matched with their inflections (``russische``, ``russischen``, …).

Organisations, listed companies and datable events are small tables below, each entry with its names and
abbreviations in both languages; they are what a claim can be mapped to, not a vocabulary of the world.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from .. import countries

LANGS = ("de", "en")
_GERMAN_ENDINGS = ("", "e", "en", "er", "es", "em")


@dataclass(frozen=True)
class Mention:
    """One entity named in a sentence: ``kind`` (country, organisation, company, event), its ``id`` (ISO3,
    organisation code, ticker, event id), the text matched, its span in the sentence and its ``form``
    (``name``, ``genitive``, ``adjective``, ``abbreviation``)."""

    kind: str
    id: str
    text: str
    start: int
    end: int
    form: str = "name"


@dataclass(frozen=True)
class Organisation:
    code: str  # the atlas ``memberships.organisation`` code
    name_en: str
    names: tuple[str, ...]  # full names and abbreviations, German and English (case-sensitive)


ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation("sco", "Shanghai Cooperation Organisation", (
        "SOZ", "SCO", "Shanghaier Organisation für Zusammenarbeit", "Schanghaier Organisation für Zusammenarbeit",
        "Shanghai Cooperation Organisation", "Shanghai Cooperation Organization")),
    Organisation("csto", "Collective Security Treaty Organization", (
        "OVKS", "CSTO", "Organisation des Vertrags über kollektive Sicherheit",
        "Organisation des Vertrages über kollektive Sicherheit", "Collective Security Treaty Organization",
        "Collective Security Treaty Organisation")),
    Organisation("cis", "Commonwealth of Independent States", (
        "GUS", "CIS", "Gemeinschaft Unabhängiger Staaten", "Commonwealth of Independent States")),
    Organisation("eaeu", "Eurasian Economic Union", (
        "EAWU", "EAEU", "EAEU", "EEU", "Eurasische Wirtschaftsunion", "Eurasischen Wirtschaftsunion",
        "Eurasian Economic Union")),
    Organisation("wto", "World Trade Organization", (
        "WTO", "Welthandelsorganisation", "World Trade Organization", "World Trade Organisation")),
    Organisation("osce", "Organization for Security and Co-operation in Europe", (
        "OSZE", "OSCE", "Organisation für Sicherheit und Zusammenarbeit in Europa",
        "Organization for Security and Co-operation in Europe")),
    Organisation("ots", "Organization of Turkic States", (
        "Organisation der Turkstaaten", "Organization of Turkic States", "Türkischer Rat", "Turkic Council")),
)


@dataclass(frozen=True)
class Company:
    ticker: str  # listing the text's figure refers to (exchange:symbol)
    name: str
    names: tuple[str, ...]
    listing: str


COMPANIES: tuple[Company, ...] = (
    Company("LSE:HSBK", "Halyk Bank", ("Halyk", "Halyk Bank", "Halyk-Bank"), "GDR, London Stock Exchange"),
    Company("LSE:KSPI", "Kaspi.kz", ("Kaspi", "Kaspi-Bank", "Kaspi Bank", "Kaspi.kz"), "GDR, London Stock Exchange"),
    Company("LSE:KAP", "Kazatomprom", ("Kazatomprom", "Kasatomprom"), "GDR, London Stock Exchange"),
)


@dataclass(frozen=True)
class Event:
    """A datable event a text can refer to instead of giving a year, with the UN General Assembly roll call
    that answered it (the first plenary vote on it)."""

    id: str
    label: str
    date: date
    patterns: tuple[str, ...]  # regexes, German and English
    resolution: str | None
    resolution_title: str = ""


EVENTS: tuple[Event, ...] = (
    Event("crimea-2014", "annexation of Crimea by Russia", date(2014, 3, 18), (
        r"Krim-?Annexion", r"Annexion der Krim", r"annexation of (?:the )?Crimea", r"Crimea(?:n)? annexation"),
        "A/RES/68/262", "Territorial integrity of Ukraine (27 March 2014)"),
    Event("ukraine-2022", "Russian invasion of Ukraine", date(2022, 2, 24), (
        r"(?:Einmarsch|Angriff|Invasion|Überfall)\w* (?:Russlands )?(?:in|auf|gegen) die Ukraine",
        r"Krieg (?:in|gegen) der Ukraine|Krieg in der Ukraine|Ukraine-Krieg|Krieg gegen die Ukraine",
        r"(?:invasion|attack|war) (?:of|on|in|against) (?:the )?Ukraine", r"Ukraine war"),
        "A/RES/ES-11/1", "Aggression against Ukraine (2 March 2022)"),
)


# ---------------------------------------------------------------------------------------------- countries


def _iso3(alpha2: str) -> str | None:
    iso3 = countries.try_resolve(alpha2)
    return iso3 if iso3 and len(iso3) == 3 else None


@cache
def country_lexicon() -> dict[str, tuple[str, str]]:
    """Spelling → (ISO3, form) for German and English country names, genitives and adjectives (from CLDR)."""
    from babel import Locale
    from babel.core import get_global

    lex: dict[str, tuple[str, str]] = {}
    likely = get_global("likely_subtags")
    for lang in LANGS:
        loc = Locale(lang)
        names = {code: nm for code, nm in loc.territories.items() if len(code) == 2 and code.isalpha()}
        for code, nm in names.items():
            iso3 = _iso3(code)
            if iso3 is None or code in ("EU", "EZ", "UN", "XK", "QO", "ZZ"):
                continue
            lex.setdefault(nm, (iso3, "name"))
            gen = f"{nm}s" if lang == "de" and not nm.endswith(("s", "z", "x")) else f"{nm}'s" if lang == "en" else None
            if gen:
                lex.setdefault(gen, (iso3, "genitive"))
                if lang == "en":
                    lex.setdefault(f"{nm}’s", (iso3, "genitive"))
        for code_lang, lname in loc.languages.items():
            if "_" in code_lang or not lname:
                continue
            terr = likely.get(code_lang, "").split("_")[-1]
            if terr not in names or lname[:3].lower() != names[terr][:3].lower():
                continue
            iso3 = _iso3(terr)
            if iso3 is None:
                continue
            if lang == "de":
                stem = lname.lower()
                for end in _GERMAN_ENDINGS:
                    lex.setdefault(stem + end, (iso3, "adjective"))
            else:
                lex.setdefault(lname, (iso3, "adjective"))
    return lex


_TOKEN = re.compile(r"[^\W\d_][\w’'.\-]*", re.UNICODE)
_MAX_WORDS = 4


@cache
def _org_lookup() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for org in ORGANISATIONS:
        for n in org.names:
            out[n] = (org.code, "abbreviation" if n.isupper() else "name")
    for co in COMPANIES:
        for n in co.names:
            out[n] = (co.ticker, "name")
    return out


@cache
def _first_words() -> frozenset[str]:
    """First words of every name (and lower-cased adjectives): a token not in here starts no mention."""
    words = {k.split(" ")[0] for k in country_lexicon()} | {k.split(" ")[0] for k in _org_lookup()}
    return frozenset(words | {w.lower() for w in words})


def find_mentions(sentence: str) -> list[Mention]:
    """Countries, organisations and companies named in ``sentence``, longest match first, in text order.

    Country names match case-sensitively (``China``); German adjectives in lower case (``chinesischen``)."""
    lex = country_lexicon()
    orgs = _org_lookup()
    first = _first_words()
    companies = {c.ticker for c in COMPANIES}
    tokens = [(m.start(), m.group().rstrip(".-")) for m in _TOKEN.finditer(sentence)]
    out: list[Mention] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i][1]
        if tok not in first and tok.lower() not in first and tok.split("-")[0] not in first:
            i += 1
            continue
        hit = None
        start = tokens[i][0]
        for n in range(min(_MAX_WORDS, len(tokens) - i), 0, -1):
            last_start, last = tokens[i + n - 1]
            text = " ".join(sentence[start:last_start + len(last)].split())
            for key in (text, text.split("-")[0] if n == 1 and "-" in text else None):
                if key is None:
                    continue
                if key in orgs:
                    code, form = orgs[key]
                    kind = "company" if code in companies else "organisation"
                    hit = (Mention(kind, code, key, start, start + len(key), form), n)
                elif key in lex or (key.lower() in lex and lex[key.lower()][1] == "adjective"):
                    iso3, form = lex.get(key) or lex[key.lower()]
                    hit = (Mention("country", iso3, key, start, start + len(key), form), n)
                if hit:
                    break
            if hit:
                break
        if hit:
            out.append(hit[0])
            i += hit[1]
        else:
            i += 1
    return out


@cache
def _event_regexes() -> tuple[tuple[Event, re.Pattern], ...]:
    return tuple((e, re.compile("|".join(e.patterns), re.IGNORECASE)) for e in EVENTS)


def find_events(text: str) -> list[Event]:
    """The datable events :data:`EVENTS` that ``text`` refers to, in order of first mention."""
    found = [(m.start(), e) for e, rx in _event_regexes() if (m := rx.search(text))]
    return [e for _, e in sorted(found, key=lambda x: x[0])]


def organisation(code: str) -> Organisation:
    return next(o for o in ORGANISATIONS if o.code == code)


def company(ticker: str) -> Company:
    return next(c for c in COMPANIES if c.ticker == ticker)
