"""Check the numbers of a policy text against the atlas — ``tethers check FILE`` and :func:`check`.

Pipeline (rule-based, reproducible; see docs/check.md):

1. :mod:`.extract` splits the text into sentences and finds quantities and years;
2. :mod:`.entities` finds countries (CLDR names and adjectives, German and English), organisations, companies
   and datable events;
3. :mod:`.claims` maps sentences to claims (partner share, rank, gas from/via, UN vote, membership, currency,
   troops, share price; ``unknown`` for a quantity no rule maps);
4. :mod:`.verdict` computes each claim's figures with tethers' public functions and decides it.

Read results through :meth:`CheckResult.tidy` (Polars frames) or :meth:`CheckResult.to_dict` (JSON).
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from ..errors import OptionError, SourceFormatError

LangOption = Literal["de", "en", "auto"]
LANG_OPTIONS: tuple[str, ...] = ("de", "en", "auto")

__all__ = ["CheckResult", "check", "check_file", "read_text"]

CLAIM_SCHEMA = {
    "claim": pl.Int64, "sentence": pl.Int64, "kind": pl.Utf8, "claim_text": pl.Utf8, "stated": pl.Utf8,
    "years": pl.Utf8, "verdict": pl.Utf8, "figures": pl.Utf8, "tolerance": pl.Utf8, "reason": pl.Utf8,
    "needs": pl.Utf8, "definition": pl.Utf8, "sources": pl.Utf8, "text": pl.Utf8, "start": pl.Int64, "end": pl.Int64,
}
FIGURE_SCHEMA = {"claim": pl.Int64, "year": pl.Int64, "reading": pl.Utf8, "value": pl.Float64, "unit": pl.Utf8,
                 "holds": pl.Boolean, "basis": pl.Utf8, "note": pl.Utf8}
SENTENCE_SCHEMA = {"sentence": pl.Int64, "start": pl.Int64, "end": pl.Int64, "text": pl.Utf8, "claims": pl.Utf8}


@dataclass(frozen=True)
class CheckResult:
    """The claims of one text and their verdicts.

    Attributes
    ----------
    lang : ``de`` or ``en`` (as given or detected).
    year : the ``--year`` asked for (None: the text's years, else every year the data has).
    claims : one row per claim: [claim, sentence, kind, claim_text, stated, years, verdict, figures (one line),
        tolerance, reason, needs (what data would decide a claim that cannot be checked), definition, sources,
        text (the sentence), start, end (offsets of the claim's words in the sentence)].
    figures : the computed figures, long: [claim, year, reading, value, unit, holds, basis, note]; ``value`` is a
        percentage for shares, a rank, a count; null (with ``note``) where the atlas has no figure.
    sentences : every sentence with a claim, and which: [sentence, start, end, text, claims].
    text : the text checked.
    notes : caveats (language detected, years used …).
    """

    lang: str
    year: int | None
    claims: pl.DataFrame
    figures: pl.DataFrame
    sentences: pl.DataFrame
    text: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def tidy(self) -> dict[str, pl.DataFrame]:
        return {"claims": self.claims, "figures": self.figures, "sentences": self.sentences}

    def verdicts(self) -> dict[str, int]:
        """Count of claims per verdict."""
        return {r["verdict"]: r["len"] for r in self.claims.group_by("verdict").len().sort("verdict").iter_rows(named=True)}

    def to_dict(self) -> dict:
        from ..analysis.dependence import json_safe

        return json_safe({
            "lang": self.lang, "year": self.year, "verdicts": self.verdicts(),
            "claims": self.claims.to_dicts(), "figures": self.figures.to_dicts(),
            "sentences": self.sentences.to_dicts(), "notes": list(self.notes),
        })


def read_text(path: str | Path) -> str:
    """The text of ``path`` (UTF-8, BOM dropped). Empty, binary or non-UTF-8 files raise a one-line error."""
    from ..sources._common import decode_text

    p = Path(path)
    if not p.is_file():
        raise SourceFormatError("check", str(p), "no such file" if not p.exists() else "not a regular file")
    raw = p.read_bytes()
    if not raw.strip():
        raise SourceFormatError("check", str(p), "file is empty: expected a plain-text article")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise SourceFormatError("check", str(p), "UTF-16 text: re-save the file as UTF-8", row=1)
    if b"\x00" in raw[:65536] or raw[:4] in (b"%PDF", b"PK\x03\x04") or raw[:2] == b"\x1f\x8b":
        nul = raw.find(b"\x00")
        line = raw[:nul].count(b"\n") + 1 if nul >= 0 else 1
        raise SourceFormatError("check", str(p), "binary file, not plain text (convert it to a UTF-8 .txt first)",
                                row=line)
    text = decode_text(raw, source="check", path=p)
    if not any(ch.isalpha() for ch in text[:100000]):
        raise SourceFormatError("check", str(p), "no words in the file: expected a plain-text article")
    return text


def check(text: str, year: int | None = None, lang: LangOption = "auto", atlas=None,
          prices: dict[str, str | Path | pl.DataFrame] | None = None) -> CheckResult:
    """Check the figures stated in ``text`` against the atlas.

    Parameters
    ----------
    text : the article (German or English).
    year : the year figures without a year in their sentence refer to; None = every year the data has (a claim
        true in some and false in others is "depends on the year").
    lang : ``de``, ``en`` or ``auto`` (detected from function words).
    atlas : an open :class:`~tethers.atlas.store.Atlas` (default: the user's atlas, opened and closed here).
    prices : share prices per ticker (``{"HSBK": "HSBK.csv"}``) for share-price claims, as files or frames
        ``[date, close, file]`` (:func:`tethers.check.prices.read_prices`).
    """
    from . import claims as cl
    from . import entities as ent
    from . import verdict as vd
    from .extract import detect_language, sentence_languages, split_sentences
    from .prices import read_prices

    if lang not in LANG_OPTIONS:
        raise OptionError(f"--lang must be one of {', '.join(LANG_OPTIONS)}, got {lang!r}")
    if not text.strip():
        raise OptionError("the text is empty")
    notes = []
    sentences = split_sentences(text)
    langs: list[str] | str = lang
    if lang == "auto":
        langs = sentence_languages(text, sentences)
        counts = {k: langs.count(k) for k in sorted(set(langs))}
        lang = max(counts, key=lambda k: counts[k]) if counts else detect_language(text)
        notes.append("language detected per paragraph: " + ", ".join(f"{k} ({n} sentences)" for k, n in counts.items()))
    own = atlas is None
    if own:
        from ..atlas.store import open_atlas

        atlas = open_atlas()
    try:
        found = cl.read_claims(sentences, langs, text)
        ctx = vd.Context(atlas, year, ent.find_events(text))
        ctx.cache["__prices__"] = {k: (v if isinstance(v, pl.DataFrame) else read_prices(v))
                                   for k, v in (prices or {}).items()}
        if ctx.events:
            notes.append("events named: " + "; ".join(f"{e.label} ({e.date})" for e in ctx.events))
        rows, figs = [], []
        for c in found:
            d = vd.decide(c, ctx)
            rows.append(_claim_row(c, d))
            figs += [{"claim": c.id, **f.__dict__} for f in d.figures]
    finally:
        if own:
            atlas.close()
    claims = pl.DataFrame(rows, schema=CLAIM_SCHEMA)
    by_sentence: dict[int, list[str]] = {}
    for r in rows:
        by_sentence.setdefault(r["sentence"], []).append(str(r["claim"]))
    sents = pl.DataFrame([{"sentence": s.id, "start": s.start, "end": s.end, "text": s.text,
                           "claims": ",".join(by_sentence[s.id])} for s in sentences if s.id in by_sentence],
                         schema=SENTENCE_SCHEMA)
    return CheckResult(lang, year, claims, pl.DataFrame(figs, schema=FIGURE_SCHEMA), sents, text, tuple(notes))


def check_file(path: str | Path, year: int | None = None, lang: LangOption = "auto", atlas=None,
               prices: dict[str, str | Path | pl.DataFrame] | None = None) -> CheckResult:
    """:func:`check` on the text of a file (see :func:`read_text` for what is refused)."""
    return check(read_text(path), year=year, lang=lang, atlas=atlas, prices=prices)


def _fmt(f) -> str:
    if f.value is None:
        v = f.note or "no data"
    elif f.unit == "%" or f.unit.startswith("%"):
        v = f"{f.value:.1f} %"
    elif f.unit == "rank":
        v = f"rank {f.value:.0f}"
    elif f.unit == "persons":
        v = f"{f.value:,.0f}".replace(",", " ")
    elif f.unit in ("USD", "EUR"):
        from .extract import usd_text

        v = usd_text(f.value, f.unit)
    else:
        v = f.note or ("yes" if f.holds else "no")
    lead = ", ".join(str(x) for x in (f.year, f.reading) if x not in (None, ""))
    mark = {True: "✓", False: "✗", None: "?"}[f.holds]
    return f"{lead + ': ' if lead else ''}{v} {mark}"


def _claim_row(c, d) -> dict:
    return {
        "claim": c.id, "sentence": c.sentence.id, "kind": c.kind, "claim_text": c.describe(),
        "stated": c.quantity.stated() if c.quantity else "", "years": ", ".join(map(str, c.years)),
        "verdict": d.verdict, "figures": "; ".join(_fmt(f) for f in d.figures), "tolerance": d.tolerance,
        "reason": d.reason, "needs": d.needs, "definition": d.definition, "sources": "; ".join(d.sources),
        "text": c.sentence.text, "start": c.highlight[0], "end": c.highlight[1],
    }


class _CallableModule(types.ModuleType):
    """``tethers.check(text, …)`` is :func:`check` (the package stays importable as ``tethers.check``)."""

    def __call__(self, text: str, year: int | None = None, lang: LangOption = "auto", atlas=None,
                 prices: dict | None = None) -> CheckResult:
        return check(text, year=year, lang=lang, atlas=atlas, prices=prices)


sys.modules[__name__].__class__ = _CallableModule
