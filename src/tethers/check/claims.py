"""From sentences to claims a measure can decide (rule-based).

Each rule looks at one sentence (its quantities, the entities named and a few trigger words in German and
English) and, where the sentence names no country (``stammen von dort``, ``beide Länder``, ``from there``),
at the sentence before. The country a text is about (the one it names most often) is the reporter of trade
claims whose sentence names no other. A sentence with a quantity that no rule maps is kept as an
``unknown`` claim, so nothing is dropped silently.

Claim kinds
-----------
``trade_share``  partner share of the reporter's imports or exports (``über 40 Prozent des Gesamtimportvolumens``)
``trade_rank``   partner rank among the reporter's import/export/trade partners (``größter Importpartner``)
``gas_share``    share of the importer's gas imports *from* and/or *via* a country (``aus oder über Kasachstan``)
``un_vote``      how a country voted in the UN General Assembly on the occasion named (``enthielt sich``)
``membership``   countries belonging to an organisation (``gehören … der OVKS … an``)
``currency``     a currency's fall against the US dollar (``Tenge (KZT) fiel``)
``troops``       personnel of a foreign deployment (``rund 2 500 Soldaten``)
``share_price``  a listed company's fall in value (``Halyk … verlor etwa 40 Prozent``)
``turnover``     goods trade (exports + imports) between two countries, or a country and the EU, in US dollars,
                 or its growth over the year before (``Handelsumsatz … 39,9 Milliarden US-Dollar, ein Plus von 38
                 Prozent``; ``turnover … reached $39.9 billion, up 38 %``)
``trade_flow``   a country's exports to or imports from a partner (or the EU's with a country), as an amount or as
                 its growth (``Kazakhstan's exports to Russia rose by 29.5 % to $9.1 billion``); a growth rate is never
                 read as a share
``unknown``      a quantity no rule maps (``200 Menschen starben``)
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from . import entities as ent
from .extract import MONEY, Lang, Quantity, Sentence, find_quantities, find_years

KINDS = ("trade_share", "trade_rank", "gas_share", "un_vote", "membership", "currency", "troops", "share_price",
         "turnover", "trade_flow", "unknown")


@dataclass(frozen=True)
class Claim:
    """One checkable statement.

    Attributes
    ----------
    id : 1-based, in text order.
    sentence : the :class:`~tethers.check.extract.Sentence` it was read from.
    kind : one of :data:`KINDS`.
    params : what the measure needs (``reporter``, ``partner``, ``flow``, ``readings``, ``organisation``,
        ``countries``, ``vote``, ``event``, ``currency``, ``company`` …), all plain values.
    quantity : the stated figure, when there is one.
    years : years the sentence itself names (empty: the year comes from ``--year`` or the data).
    highlight : (start, end) offsets in the sentence of the words that carry the claim.
    """

    id: int
    sentence: Sentence
    kind: str
    params: dict = field(default_factory=dict)
    quantity: Quantity | None = None
    years: tuple[int, ...] = ()
    highlight: tuple[int, int] = (0, 0)

    def describe(self) -> str:
        """The claim in one line of English (what is checked)."""
        p, q = self.params, self.quantity
        stated = q.stated() if q else ""
        match self.kind:
            case "trade_share":
                return f"{p['partner']} share of {p['reporter']}'s {p['flow']}s {stated}"
            case "trade_rank":
                return f"{p['partner']} is {p['reporter']}'s {_ordinal(p['rank'])} {p['flow']} partner"
            case "gas_share":
                return f"share of {p['importer']}'s gas imports {'/'.join(p['readings'])} {p['source']} {stated}"
            case "un_vote":
                occ = p.get("event_label") or (f"in {p['year']}" if p.get("year") else "the vote named")
                return f"{p['country']} voted '{p['vote']}' in the UN General Assembly ({occ})"
            case "membership":
                return f"{' and '.join(p['countries'])} {'is' if len(p['countries']) == 1 else 'are'} members of " \
                       f"{p['organisation'].upper()}"
            case "currency":
                return f"{p['currency']} fell against the US dollar" + (f" {stated}" if q else "") + \
                    (f" (compared with {p['compare']})" if p.get("compare") else "")
            case "troops":
                return f"{stated} foreign personnel deployed in {p['host']}"
            case "share_price":
                return f"{p['company']} lost {stated} of its value"
            case "turnover" | "trade_flow":
                what = (f"goods trade between {p['country']} and {p['partner']}" if self.kind == "turnover" else
                        f"{p['exporter']}'s exports to {p['importer']}")
                return (f"{what}: {stated}" if p["measure"] == "level" else
                        f"{what} {'rose' if q and q.value >= 0 else 'fell'} by {stated.replace('-', '')} on the year before")
        return f"{q.text if q else 'quantity'}: no measure maps this claim"


def _ordinal(n: int) -> str:
    return {1: "largest", 2: "second-largest", 3: "third-largest"}.get(n, f"number {n}")


# --------------------------------------------------------------------------------------------- trigger words

_W = {
    "de": {
        "import": r"import|einfuhr", "export": r"export|ausfuhr",
        "rank": r"(?P<adj>größte[rns]?|wichtigste[rns]?|bedeutendste[rns]?|zweitgrößte[rns]?|drittgrößte[rns]?)\s+"
                r"(?P<flow>Import|Export|Handels|Einfuhr|Ausfuhr)(?:partner|land|lieferant)",
        "gas": r"\bGas|Erdgas", "from": r"aus|von", "via": r"über|durch",
        "vote_abstain": r"enthielt sich|enthalten|Enthaltung|Stimme enthielt",
        "vote_no": r"stimmte\w*\s+(?:\w+\s+){0,3}(?:dagegen|mit Nein|gegen)",
        "vote_yes": r"stimmte\w*\s+(?:\w+\s+){0,3}(?:dafür|mit Ja|für)",
        "like": r"genau wie|wie (?:schon|bereits|auch)|ebenso wie",
        "member": r"\bangehör|\bgehör\w*\b.*\ban\b|Mitglied|beigetreten",
        "both": r"beide(?:n)? (?:Länder|Staaten)",
        "currency": r"Währung|Tenge|Rubel|Wechselkurs",
        "fall": r"\bfiel|verlor|sank|stürzte|abgewertet|Abwertung|Verfall|nachgegeben",
        "troops": r"Soldat\w*|Truppen\w*|Militär\w*|Friedenstruppe\w*|Streitkräfte",
        "loss": r"verlor|büßte|einbüßte|Rückgang|Kursverlust|fiel|sank|brach",
        "value": r"Wert|Börse|Aktie|Kurs",
        "turnover": r"Handelsumsatz|Warenumsatz|Außenhandelsumsatz|Handelsvolumen|Warenverkehr|Warenaustausch|"
                    r"Handel zwischen|bilaterale\w* Handel|Handelsbeziehungen",
        "rise": r"Plus|Anstieg|stieg|gestiegen|wuchs|gewachsen|Zuwachs|zugelegt|legte\w* zu|mehr als im Vorjahr|höher",
        "drop": r"Minus|Rückgang|sank|gesunken|fiel|gefallen|schrumpfte|geschrumpft|weniger als im Vorjahr",
        "eu": r"\bEU\b|Europäische\w* Union",
    },
    "en": {
        "import": r"import", "export": r"export",
        "rank": r"(?P<adj>largest|biggest|main|most important|leading|top|second[- ]largest|third[- ]largest)\s+"
                r"(?P<flow>import|export|trade|trading)\s+partner",
        "gas": r"\bgas\b", "from": r"from", "via": r"via|through|across",
        "vote_abstain": r"abstain\w*|abstention",
        "vote_no": r"voted\s+(?:\w+\s+){0,2}(?:against|no)",
        "vote_yes": r"voted\s+(?:\w+\s+){0,2}(?:for|in favou?r|yes)",
        "like": r"just as|as it (?:had )?did|like (?:it did )?in|as (?:it had )?in|as in",
        "member": r"\bmember|\bbelong|\bpart of|joined",
        "both": r"both (?:countries|states)",
        "currency": r"currency|tenge|rouble|ruble|exchange rate",
        "fall": r"\bfell|\bfall|lost|dropped|plunged|slumped|depreciat\w*|devalu\w*|weaken\w*",
        "troops": r"troops|soldiers|servicemen|personnel|peacekeepers",
        "loss": r"lost|fell|dropped|declin\w*|slump\w*|plunged|drop",
        "value": r"value|share price|shares|stock|market",
        "turnover": r"turnover|trade between|bilateral trade|trade volume|volume of trade|two-way trade|"
                    r"trade with",
        "rise": r"\bup\b|\brose|\brising|\bgrew|\bgrow\w*|increas\w*|higher|\bgain\w*|jump\w*|surg\w*",
        "drop": r"\bdown\b|\bfell|\bfall\w*|declin\w*|decreas\w*|dropped|lower|shr[au]nk|contract\w*",
        "eu": r"\bEU\b|European Union",
    },
}
CURRENCY_WORDS = {"tenge": "KZT", "rubel": "RUB", "rouble": "RUB", "ruble": "RUB", "yuan": "CNY", "renminbi": "CNY",
                  "dollar": "USD", "euro": "EUR", "som": "KGS", "sum": "UZS", "lira": "TRY"}
_ISO4217 = re.compile(r"\(([A-Z]{3})\)")


def _rx(lang: Lang, key: str) -> re.Pattern:
    return _COMPILED[(lang, key)]


_COMPILED = {(lang, k): re.compile(v, re.IGNORECASE if k not in ("rank",) else 0) for lang, d in _W.items()
             for k, v in d.items()}
_COMPILED.update({(lang, "rank_i"): re.compile(d["rank"], re.IGNORECASE) for lang, d in _W.items()})


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Ctx:
    lang: Lang
    focus: str | None
    events: list[ent.Event]
    prev_countries: list[str]
    prev_orgs: list[str]
    prev_genitive: str | None = None


def focus_country(mentions_by_sentence: list[list[ent.Mention]]) -> str | None:
    """The country the text names most often (ties: the first named)."""
    counts = Counter(m.id for ms in mentions_by_sentence for m in ms if m.kind == "country")
    if not counts:
        return None
    best = max(counts.values())
    for ms in mentions_by_sentence:
        for m in ms:
            if m.kind == "country" and counts[m.id] == best:
                return m.id
    return None


def read_claims(sentences: list[Sentence], lang: Lang | list[Lang], text: str) -> list[Claim]:
    """Every claim in ``sentences`` (text order). ``lang``: one language, or one per sentence. ``text`` is the
    whole document (events, focus country)."""
    langs = lang if isinstance(lang, list) else [lang] * len(sentences)
    mentions = [ent.find_mentions(s.text) for s in sentences]
    ctx = _Ctx(langs[0] if langs else "de", focus_country(mentions), ent.find_events(text), [], [])
    out: list[Claim] = []
    for s, ms, sl in zip(sentences, mentions, langs, strict=True):
        ctx.lang = sl
        quantities = find_quantities(s.text, sl)
        claims = _sentence_claims(s, ms, quantities, ctx)
        for c in claims:
            out.append(Claim(len(out) + 1, c.sentence, c.kind, c.params, c.quantity, c.years, c.highlight))
        cs = _unique([m.id for m in ms if m.kind == "country"])
        if cs:
            ctx.prev_countries = cs
            ctx.prev_genitive = next((m.id for m in ms if m.kind == "country" and m.form == "genitive"), None)
        orgs = _unique([m.id for m in ms if m.kind == "organisation"])
        if orgs:
            ctx.prev_orgs = orgs
    return out


def _unique(xs: list[str]) -> list[str]:
    return list(dict.fromkeys(xs))


def _sentence_claims(s: Sentence, ms: list[ent.Mention], qs: list[Quantity], ctx: _Ctx) -> list[Claim]:
    years = tuple(find_years(s.text))
    out: list[Claim] = []
    used: set[int] = set()  # quantities (by start) consumed by a rule
    rules = (_turnover, _trade_flow, _gas, _trade_share, _share_price, _troops, _currency) if qs else (_currency,)
    for rule in rules:
        for c in rule(s, ms, qs, ctx, years):
            out.append(c)
            if c.quantity is not None:
                used.add(c.quantity.start)
    out += _rank(s, ms, ctx, years)
    out += _votes(s, ms, ctx, years)
    out += _memberships(s, ms, ctx, years)
    for q in qs:
        if q.start not in used and not out:
            out.append(Claim(0, s, "unknown", {}, q, years, (q.start, q.end)))
    return out


def _countries(ms: list[ent.Mention]) -> list[str]:
    return _unique([m.id for m in ms if m.kind == "country"])


def _flow(t: str, lang: Lang) -> str | None:
    imp, exp = _rx(lang, "import").search(t), _rx(lang, "export").search(t)
    if imp and not exp:
        return "import"
    if exp and not imp:
        return "export"
    return None


def _reporter_partner(ms: list[ent.Mention], ctx: _Ctx, anchor: int | None = None) -> tuple[str | None, str | None]:
    """Reporter: the country named in the genitive (``Kasachstans``, ``Kazakhstan's``) — of several, the one
    nearest to ``anchor`` (the flow word: "Russia's share of *Kazakhstan's imports*") — else the one the sentence
    before named so when this sentence names no country, else the text's focus country. Partner: another country
    of the sentence, else of the sentence before (``von dort``)."""
    cs = _countries(ms)
    gen = [m for m in ms if m.kind == "country" and m.form == "genitive"]
    if gen and anchor is not None:
        gen.sort(key=lambda m: min(abs(m.start - anchor), abs(m.end - anchor)))
    reporter = gen[0].id if gen else (ctx.prev_genitive if not cs and ctx.prev_genitive else ctx.focus)
    partners = [c for c in cs if c != reporter] or [c for c in ctx.prev_countries if c != reporter]
    return reporter, partners[0] if partners else None


def _turnover(s, ms, qs, ctx, years):
    """A turnover sentence: its first US-dollar amount is the level; a percentage with a rise or fall word is the
    growth over the year before (negative for a fall). Country: the one named in the genitive, else the text's
    focus or the first named; partner: the EU where the sentence names it, else another country."""
    t, lang = s.text, ctx.lang
    trig = _rx(lang, "turnover").search(t)
    if not trig or _flow(t, lang) is not None:  # "exports to …" sentences are trade shares or unknown
        return []
    cs = _countries(ms)
    eu = _rx(lang, "eu").search(t)
    if eu:
        gen = [m.id for m in ms if m.kind == "country" and m.form == "genitive"]
        country = gen[0] if gen else (ctx.focus if ctx.focus in cs or not cs else cs[0])
        partner = "EU27"
    else:
        country, partner = _reporter_partner(ms, ctx, trig.start())
    if not (country and partner) or country == partner:
        return []
    years = _figure_year(t, years)
    params = {"country": country, "partner": partner}
    return _amount_and_growth(s, qs, ctx, years, "turnover", params, trig.start())


def _amount_and_growth(s, qs, ctx, years, kind: str, params: dict, anchor: int) -> list[Claim]:
    """The first money amount (USD or EUR) as a ``level`` claim, and the first growth percentage (a rise or fall
    word in the sentence; a fall negative) as a ``growth`` claim, stated in the amount's currency."""
    out = []
    money = [q for q in qs if q.unit in MONEY]
    cur = money[0].unit if money else "USD"
    if money:
        q = money[0]
        out.append(Claim(0, s, kind, {**params, "measure": "level", "currency": cur}, q, years, (anchor, q.end)))
    growth = [q for q in qs if q.unit == "%" and _is_growth(s.text, q, ctx.lang)]
    if growth:
        q = growth[0]
        if _rx(ctx.lang, "drop").search(s.text):
            q = Quantity(-q.value, q.unit, {">=": "<=", "<=": ">="}.get(q.comparator, q.comparator), q.text, q.start,
                         q.end, q.noun)
        out.append(Claim(0, s, kind, {**params, "measure": "growth", "currency": cur}, q, years, (anchor, q.end)))
    return out


_GROWTH_LEAD = {"en": re.compile(r"(?:\bby|\bup|\bdown|\+|−|-)\s*(?:about |around |roughly |some |nearly |almost |over |"
                                 r"more than |less than )?$", re.IGNORECASE),
                "de": re.compile(r"(?:\bum|\bPlus von|\bMinus von|\+|−|-)\s*(?:rund |etwa |ca\. |fast |knapp |über |"
                                 r"mehr als |weniger als )?$", re.IGNORECASE)}


def _is_growth(text: str, q: Quantity, lang: Lang) -> bool:
    """A percentage that is a change, not a share: "rose by 29.5 %", "up 38 %", "um 25 Prozent gesunken",
    "ein Plus von 38 Prozent" — led by by/up/down/um/Plus von/Minus von/± and with one direction word."""
    rise, drop = _rx(lang, "rise").search(text), _rx(lang, "drop").search(text)
    return bool(_GROWTH_LEAD[lang].search(text[:q.start])) and bool(rise) != bool(drop)


_TO = {"en": r"\bto\b|\binto\b", "de": r"\bnach\b|\bin die\b|\bin den\b|\bin\b"}
_FROM = {"en": r"\bfrom\b", "de": r"\baus\b|\bvon\b"}


def _sides(t: str, ms: list[ent.Mention], lang: Lang, flow: str, word: re.Match) -> tuple[str | None, str | None]:
    """``(own, other)`` of a flow sentence: the side whose exports or imports they are (named in the genitive, after
    the flow word, or before it) and the side after "to/nach" (exports) or "from/aus" (imports); the EU counts
    as a side (``EU27``)."""
    sides = [(m.start, m.id, m.form) for m in ms if m.kind == "country"]
    sides += [(m.start(), "EU27", "name") for m in _rx(lang, "eu").finditer(t)]
    sides.sort()
    if len(sides) < 2:
        return None, None
    mk = re.compile(_TO[lang] if flow == "export" else _FROM[lang], re.IGNORECASE).search(t, word.end())
    if mk is None:
        return None, None
    after = [x for x in sides if x[0] >= mk.end()]
    other = after[0][1] if after else None
    # own side: named in the genitive, else between the flow word and the marker ("Ausfuhren der EU nach …",
    # "exports of the EU to …"), else before the flow word ("EU exports to …")
    own = next((x[1] for x in sides if x[2] == "genitive" and x[1] != other), None) or \
        next((x[1] for x in sides if word.end() <= x[0] < mk.start() and x[1] != other), None) or \
        next((x[1] for x in reversed(sides) if x[0] < word.start() and x[1] != other), None)
    if not own or not other or own == other:
        return None, None
    return own, other


def _trade_flow(s, ms, qs, ctx, years):
    """Exports or imports between two sides, as an amount or a growth (not a share): the sentence names both
    sides and a money amount or a growth percentage."""
    t, lang = s.text, ctx.lang
    flow = _flow(t, lang)
    if flow is None or _rx(lang, "gas").search(t):
        return []
    if not any(q.unit in MONEY or (q.unit == "%" and _is_growth(t, q, lang)) for q in qs):
        return []
    word = _rx(lang, flow).search(t)
    own, other = _sides(t, ms, lang, flow, word)
    if own is None:
        return []
    exporter, importer = (own, other) if flow == "export" else (other, own)
    # the country whose statistics are the reporter basis: the side the sentence is about, unless it is the EU
    country, partner, side = (own, other, flow) if own != "EU27" else \
        (other, own, "import" if flow == "export" else "export")
    params = {"country": country, "partner": partner, "flow": side, "exporter": exporter, "importer": importer}
    return _amount_and_growth(s, qs, ctx, _figure_year(t, years), "trade_flow", params, word.start())


_BASE_YEAR = re.compile(r"(?:\bon|\bover|\bfrom|compared (?:with|to)|than(?: in)?|gegenüber|im Vergleich zu|"
                        r"\bvon|\bals(?: im Jahr)?)\s+(?:the year |dem Jahr |)$", re.IGNORECASE)
_MONTH = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
                    r"Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember|Jan\.|Feb\.|Mar\.|Apr\.|Aug\.|Sept?\.|"
                    r"Oct\.|Okt\.|Nov\.|Dec\.|Dez\.)\s+$")


def _figure_year(text: str, years: tuple[int, ...]) -> tuple[int, ...]:
    """The year a trade figure refers to, of the years a sentence names: not a comparison base ("up 38 % on
    2021", "gegenüber 2021"), not the date of a statement ("said in March 2023"); of those left, the latest."""
    if len(years) < 2:
        return years
    keep = []
    for y in years:
        pos = [m.start() for m in re.finditer(str(y), text)]
        if not any(_BASE_YEAR.search(text[:p]) or _MONTH.search(text[:p]) for p in pos):
            keep.append(y)
    return (max(keep or years),)


def _trade_share(s, ms, qs, ctx, years):
    flow = _flow(s.text, ctx.lang)
    if flow is None or _rx(ctx.lang, "gas").search(s.text):
        return []
    word = _rx(ctx.lang, flow).search(s.text)
    reporter, partner = _reporter_partner(ms, ctx, word.start() if word else None)
    out = []
    for q in qs:
        if q.unit == "%" and reporter and partner and not _is_growth(s.text, q, ctx.lang):
            out.append(Claim(0, s, "trade_share", {"reporter": reporter, "partner": partner, "flow": flow}, q, years,
                             (q.start, q.end)))
    return out


def _rank(s, ms, ctx, years):
    m = _rx(ctx.lang, "rank_i").search(s.text)
    if not m:
        return []
    reporter, partner = _reporter_partner(ms, ctx, m.start())
    if not (reporter and partner):
        return []
    adj, fl = m.group("adj").lower(), m.group("flow").lower()
    rank = 2 if adj.startswith(("zweit", "second")) else 3 if adj.startswith(("dritt", "third")) else 1
    flow = "import" if fl in ("import", "einfuhr") else "export" if fl in ("export", "ausfuhr") else "trade"
    return [Claim(0, s, "trade_rank", {"reporter": reporter, "partner": partner, "flow": flow, "rank": rank},
                  None, years, m.span())]


def _gas(s, ms, qs, ctx, years):
    t, lang = s.text, ctx.lang
    if not _rx(lang, "gas").search(t) or not _rx(lang, "import").search(t):
        return []
    words = f"(?:{_W[lang]['from']}|{_W[lang]['via']})"
    out = []
    for m in [m for m in ms if m.kind == "country"]:
        before = re.search(rf"((?:{words})(?:\s+(?:oder|und|or|and)\s+{words})*)\s+$", t[:m.start], re.IGNORECASE)
        if not before:
            continue
        preps = before.group(1).lower()
        readings = []
        if re.search(rf"\b(?:{_W[lang]['from']})\b", preps):
            readings.append("from")
        if re.search(rf"\b(?:{_W[lang]['via']})\b", preps):
            readings.append("via")
        others = [c for c in _countries(ms) if c != m.id] or [c for c in ctx.prev_countries if c != m.id]
        pct = [q for q in qs if q.unit == "%"]
        if others and pct:
            out.append(Claim(0, s, "gas_share", {"importer": others[0], "source": m.id, "readings": readings},
                             pct[0], years, (pct[0].start, m.end)))
            break
    return out


def _votes(s, ms, ctx, years):
    t, lang = s.text, ctx.lang
    vote = None
    for key, label in (("vote_abstain", "abstain"), ("vote_no", "no"), ("vote_yes", "yes")):
        if (m := _rx(lang, key).search(t)):
            vote, span = label, m.span()
            break
    if vote is None:
        return []
    cs = [c for c in _countries(ms) if c != "UKR"] or [ctx.focus]
    country = cs[0]
    if country is None:
        return []
    claims = []
    own_events = ent.find_events(t)
    for y in years:  # "genau wie 2014 anlässlich der Krim-Annexion"
        ev = next((e for e in own_events + ctx.events if e.date.year == y), None)
        claims.append(_vote_claim(s, country, vote, y, ev, span))
    if not years or _rx(lang, "like").search(t):  # the vote the text is about: its latest event
        ev = max(ctx.events, key=lambda e: e.date) if ctx.events else None
        if ev is None or ev.date.year not in years:
            claims.insert(0, _vote_claim(s, country, vote, ev.date.year if ev else None, ev, span))
    return claims


def _vote_claim(s, country, vote, year, ev, span):
    params = {"country": country, "vote": vote, "year": year, "event": ev.id if ev else None,
              "event_label": f"{ev.label}, {ev.date.year}" if ev else None,
              "resolution": ev.resolution if ev else None}
    return Claim(0, s, "un_vote", params, None, (year,) if year else (), span)


def _memberships(s, ms, ctx, years):
    t, lang = s.text, ctx.lang
    orgs = _unique([m.id for m in ms if m.kind == "organisation"])
    if not orgs or not _rx(lang, "member").search(t):
        return []
    cs = _countries(ms)
    if not cs:  # "beide Länder", "both countries": those of the sentence before
        cs = list(ctx.prev_countries)
    if not cs:
        cs = [ctx.focus] if ctx.focus else []
    if not cs:
        return []
    out = []
    for org in orgs:
        first = next(m for m in ms if m.id == org)
        out.append(Claim(0, s, "membership", {"organisation": org, "countries": cs}, None, years,
                         (first.start, first.end)))
    return out


def _currency(s, ms, qs, ctx, years):
    t, lang = s.text, ctx.lang
    if not (_rx(lang, "currency").search(t) and (fall := _rx(lang, "fall").search(t))):
        return []
    codes = _unique(_ISO4217.findall(t))
    named = [CURRENCY_WORDS[w.lower()] for w in re.findall(r"[A-Za-zäöü]+", t) if w.lower() in CURRENCY_WORDS]
    order = _unique(codes + named)
    if not order:
        return []
    pct = [q for q in qs if q.unit == "%"]
    params = {"currency": order[0], "compare": order[1] if len(order) > 1 else None,
              "strong": bool(re.search(r"dramatisch|stark|massiv|drastisch|sharply|dramatically|steeply|heavily",
                                       t, re.IGNORECASE))}
    return [Claim(0, s, "currency", params, pct[0] if pct else None, years, fall.span())]


def _troops(s, ms, qs, ctx, years):
    lang = ctx.lang
    out = []
    for q in qs:
        if q.unit == "count" and q.noun and _rx(lang, "troops").fullmatch(q.noun):
            orgs = _unique([m.id for m in ms if m.kind == "organisation"]) or ctx.prev_orgs
            partners = [c for c in _countries(ms) if c != ctx.focus]
            out.append(Claim(0, s, "troops", {"host": ctx.focus, "organisation": orgs[0] if orgs else None,
                                              "partners": partners}, q, years, (q.start, q.end)))
    return out


def _share_price(s, ms, qs, ctx, years):
    t, lang = s.text, ctx.lang
    cos = [m for m in ms if m.kind == "company"]
    pct = [q for q in qs if q.unit == "%"]
    if not (cos and pct and _rx(lang, "loss").search(t)):
        return []
    co = ent.company(cos[0].id)
    return [Claim(0, s, "share_price", {"company": co.name, "ticker": co.ticker, "listing": co.listing}, pct[0],
                  years, (cos[0].start, pct[0].end))]
