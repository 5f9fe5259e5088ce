"""Resolution titles as the UN Digital Library records them, without the statement of responsibility.

A Digital Library record title reads ``Territorial integrity of Ukraine : resolution / adopted by the
General Assembly``: the title proper, then ``: resolution / adopted by the General Assembly`` (the
statement of responsibility). :func:`record_title` returns the title proper, keeping a subtitle
(``Territorial integrity of Ukraine : defending the principles of the Charter of the United Nations``),
or ``None`` when the text is not in that form (then it is not a Digital Library record title, e.g. one of
Voeten's own short descriptions or a subject heading such as ``ARMED CONFLICTS PREVENTION--MEDIATION``).
"""

from __future__ import annotations

import re

import polars as pl

_PATTERN = r"(?i)\s*:\s*resolution\s*/\s*adopted by the General Assembly\s*\.?\s*$"
_RESPONSIBILITY = re.compile(_PATTERN)


def record_title(text: str | None) -> str | None:
    """``'X : resolution / adopted by the General Assembly'`` → ``'X'``; anything else → ``None``."""
    if text is None:
        return None
    t = text.strip()
    m = _RESPONSIBILITY.search(t)
    if not m or m.start() == 0:
        return None
    return t[: m.start()].strip() or None


def record_title_expr(col: str) -> pl.Expr:
    """:func:`record_title` as a Polars expression over a string column."""
    c = pl.col(col).str.strip_chars()
    title = c.str.replace(_PATTERN, "").str.strip_chars()
    return pl.when(c.str.contains(_PATTERN) & (title.str.len_chars() > 0)).then(title).otherwise(None)
