"""Sentences, quantities and years in a German or English text (rule-based, reproducible).

A sentence ends at ``.``, ``!`` or ``?`` followed by white space and an upper-case letter, a digit or an
opening quote, unless the word before the mark is an abbreviation (``z. B.``, ``ca.``, ``e.g.``) or a German
ordinal (``2. März``); a blank line always ends one. Quantities are percentages (``40 Prozent``, ``40 %``,
``40 percent``), fractions in words (``ein Viertel``, ``a quarter``), US-dollar amounts (``$39.9 billion``,
``USD 40 bn``, ``39,9 Milliarden US-Dollar``, ``40 Mrd. Dollar``), euro amounts (``€10.35 billion``,
``10,35 Milliarden Euro``) and counts (``2 500 Soldaten``),
each with its qualifier (``über``/``over`` → at least, ``rund``/``about`` → approximately, ``unter``/``below`` →
at most).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Lang = str  # "de" | "en"
Comparator = str  # ">=" | "<=" | "~" | "="

_ABBREV = {"z", "b", "ca", "bzw", "vgl", "etc", "usw", "u", "a", "d", "h", "e", "g", "i", "nr", "mio", "mrd",
           "dr", "prof", "st", "mr", "mrs", "ms", "vs", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
           "sept", "oct", "okt", "nov", "dec", "dez", "inc", "ltd", "co", "corp", "jh", "tsd", "rd", "s"}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”“»)]?\s+(?=[\"„“»(]?[A-ZÄÖÜ0-9])|\n\s*\n")

_NUM = r"\d{1,3}(?:[  \u202f.,]\d{3})+(?![\d])|\d+(?:[.,]\d+)?"
_QUAL_DE = {
    ">=": r"über|mehr als|mindestens|gut|über die Hälfte von",
    "<=": r"unter|weniger als|höchstens|maximal|bis zu",
    "~": r"rund|etwa|ca\.|circa|zirka|ungefähr|annähernd|nahezu|fast|knapp|beinahe|gut",
}
_QUAL_EN = {
    ">=": r"over|more than|above|at least|upwards of",
    "<=": r"under|less than|below|at most|up to",
    "~": r"about|around|roughly|some|approximately|nearly|almost|close to|just under|circa|c\.",
}
_PCT_UNIT = r"(?:Prozent|prozent|%|v\.\s?H\.|percent|per cent|pct\.?)"
_FRACTIONS = {
    "de": [(r"(?:eine[sm]?|ein)\s+Viertel[s]?", 25.0), (r"(?:eine[sm]?|ein)\s+Drittel[s]?", 100 / 3),
           (r"(?:der|die)\s+Hälfte", 50.0), (r"drei\s+Viertel", 75.0), (r"zwei\s+Drittel", 200 / 3)],
    "en": [(r"(?:a|one)\s+quarter", 25.0), (r"(?:a|one)\s+third", 100 / 3), (r"(?:a\s+)?half", 50.0),
           (r"three\s+quarters", 75.0), (r"two\s+thirds", 200 / 3)],
}
# US-dollar amounts: the currency before (``$``, ``US$``, ``USD``) or after (``US-Dollar``, ``dollars``) the number
_MAGNITUDE = {
    "trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "bln": 1e9, "million": 1e6, "mn": 1e6, "mln": 1e6,
    "billionen": 1e12, "milliarden": 1e9, "milliarde": 1e9, "mrd": 1e9, "millionen": 1e6, "million_de": 1e6,
    "mio": 1e6,
}
_MAG = r"(?P<mag>trillion|tn|billion|bn|bln|million|mn|mln|Billionen|Milliarden?|Mrd\.?|Millionen|Million|Mio\.?)"
_USD_AFTER = r"(?:US-Dollar|US-\$|US\$|USD|US dollars?|U\.S\. dollars?|dollars?|Dollar|\$)"
_EUR_AFTER = r"(?:Euro|euros?|EUR|€)"
_EUR_BEFORE = re.compile(rf"(?<![\w])(?:€|EUR\s?)\s?(?P<n>{_NUM})(?:\s?{_MAG}(?!\w))?")
_EUR_NUM_FIRST = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})\s?{_MAG}\s?{_EUR_AFTER}(?![\w-])")
_USD_BEFORE = re.compile(rf"(?<![\w])(?:US\$|\$|USD\s?)\s?(?P<n>{_NUM})(?:\s?{_MAG}(?!\w))?")
_USD_NUM_FIRST = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})\s?{_MAG}\s?{_USD_AFTER}(?![\w-])")

YEAR = re.compile(r"(?<!\d[  \u202f.,])(?<![\d.,])(19[5-9]\d|20[0-4]\d)(?![\d]|[  \u202f]\d{3})")


@dataclass(frozen=True)
class Quantity:
    """A stated quantity: ``value`` (percent for ``unit == '%'``), ``comparator`` (``>=``, ``<=``, ``~``, ``=``),
    its ``text`` and span in the sentence, and the word after a count (``Soldaten``)."""

    value: float
    unit: str  # "%", "count", "USD" or "EUR"
    comparator: Comparator
    text: str
    start: int
    end: int
    noun: str = ""

    def stated(self) -> str:
        sym = {">=": "≥", "<=": "≤", "~": "≈", "=": ""}[self.comparator]
        if self.unit in MONEY:
            v = usd_text(self.value, self.unit)
        else:
            v = f"{self.value:,.0f}".replace(",", " ") if self.unit == "count" else f"{self.value:g} %"
        return f"{sym} {v}".strip()


MONEY = ("USD", "EUR")


def usd_text(v: float, currency: str = "USD") -> str:
    """An amount the way texts write it: ``39.9 bn USD``, ``450 m USD``, ``10.35 bn EUR``."""
    for k, word in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if abs(v) >= k:
            return f"{v / k:,.4g} {word} {currency}"
    return f"{v:,.0f} {currency}"


@dataclass(frozen=True)
class Sentence:
    id: int
    start: int  # offsets in the text
    end: int
    text: str


def detect_language(text: str) -> Lang:
    """``de`` or ``en``: whichever set of frequent function words occurs more often."""
    sample = text[:20000].lower()
    de = len(re.findall(r"\b(?:der|die|das|und|ist|nicht|mit|von|den|dem|des|sich|auch|über|war|waren|sind|ein|eine|"
                        r"einer|für|im|zu|wurde|hat|aus|nach)\b", sample))
    en = len(re.findall(r"\b(?:the|and|is|not|with|of|from|its|also|that|which|has|was|were|are|by|for|to|this|"
                        r"on|as|had|been|it|an)\b", sample))
    return "de" if de >= en else "en"


def sentence_languages(text: str, sentences: list[Sentence]) -> list[Lang]:
    """The language of each sentence: that of its paragraph (text between blank lines), by
    :func:`detect_language`, so that a German article quoting an English passage reads each in its own rules."""
    paras = [(m.start(), m.end()) for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text)]
    langs, out, j = [detect_language(text[a:b]) for a, b in paras], [], 0
    for s in sentences:
        while j + 1 < len(paras) and paras[j][1] <= s.start:
            j += 1
        out.append(langs[j] if paras else "de")
    return out


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their offsets (see the module docstring for the rule)."""
    out: list[Sentence] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        tail = text[max(start, m.start() - 12):m.start()].rstrip()
        last = re.split(r"[\s(]", tail)[-1].rstrip(".\"”“»)").split(".")[-1].lower() if tail.endswith(".") else ""
        if m.group().count("\n") < 2 and last and (last in _ABBREV or (last.isdigit() and len(last) <= 2)):
            continue
        _add(out, text, start, m.start())
        start = m.end()
    _add(out, text, start, len(text))
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    seg = seg.strip()
    if seg:
        out.append(Sentence(len(out) + 1, start + lead, start + lead + len(seg), seg))


def _number(s: str) -> float:
    s = re.sub(r"[  \u202f]", "", s)
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):  # thousands separators
        return float(re.sub(r"[.,]", "", s))
    return float(s.replace(",", "."))


def _qualifier(before: str, lang: Lang) -> Comparator:
    quals = _QUAL_DE if lang == "de" else _QUAL_EN
    tail = before[-30:]
    for comp in ("~", ">=", "<="):  # "gut" is read as "approximately"
        if re.search(rf"(?:^|\W)(?:{quals[comp]})\s*$", tail, re.IGNORECASE):
            return comp
    return "="


def find_quantities(sentence: str, lang: Lang) -> list[Quantity]:
    """Percentages, fractions in words, US-dollar amounts and counts in ``sentence`` (years are not counts)."""
    pct, count, fractions = _regexes(lang)
    out: list[Quantity] = []
    if not _HAS_NUMBER[lang].search(sentence):
        return out
    taken: list[tuple[int, int]] = []
    for m in pct.finditer(sentence):
        out.append(Quantity(_number(m.group("n")), "%", _qualifier(sentence[:m.start()], lang), m.group(),
                            m.start(), m.end()))
        taken.append(m.span())
    for rx, unit in ((_USD_BEFORE, "USD"), (_USD_NUM_FIRST, "USD"), (_EUR_BEFORE, "EUR"), (_EUR_NUM_FIRST, "EUR")):
        for m in rx.finditer(sentence):
            if any(a <= m.start() < b for a, b in taken) or YEAR.fullmatch(m.group("n")):
                continue
            mag = (m.group("mag") or "").lower().rstrip(".")
            factor = _MAGNITUDE.get("million_de" if mag == "million" and lang == "de" else mag, 1.0)
            out.append(Quantity(_number(m.group("n")) * factor, unit, _qualifier(sentence[:m.start()], lang),
                                m.group(), m.start(), m.end()))
            taken.append(m.span())
    for rx, value in fractions:
        for m in rx.finditer(sentence):
            out.append(Quantity(value, "%", _qualifier(sentence[:m.start()], lang), m.group(), m.start(), m.end()))
            taken.append(m.span())
    for m in count.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken) or YEAR.fullmatch(m.group("n")):
            continue
        out.append(Quantity(_number(m.group("n")), "count", _qualifier(sentence[:m.start()], lang), m.group(),
                            m.start(), m.end(), noun=m.group("noun") or ""))
    return sorted(out, key=lambda q: q.start)


_CACHE: dict[str, tuple] = {}
_HAS_NUMBER = {"de": re.compile(r"\d|Viertel|Drittel|Hälfte", re.IGNORECASE),
               "en": re.compile(r"\d|quarter|third|half", re.IGNORECASE)}


def _regexes(lang: Lang):
    if lang not in _CACHE:
        pct = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})\s?{_PCT_UNIT}(?!\w)")
        count = re.compile(rf"(?<![\w.,])(?P<n>{_NUM})(?!\s?{_PCT_UNIT})(?:\s+(?P<noun>[^\W\d_][\w\-]*))?")
        fr = [(re.compile(rf"(?<!\w){rx}(?!\w)", re.IGNORECASE), v) for rx, v in _FRACTIONS[lang]]
        _CACHE[lang] = (pct, count, fr)
    return _CACHE[lang]


def find_years(sentence: str) -> list[int]:
    """Calendar years written as four digits (1950–2049), in order, without repeats."""
    seen: list[int] = []
    for m in YEAR.finditer(sentence):
        y = int(m.group(1))
        if y not in seen:
            seen.append(y)
    return seen
