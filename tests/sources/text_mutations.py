"""Extra mutations of real samples for formats the line/CSV mutations in ``contract.py`` do not reach.

XML answers, nested-quoted CSV and file names that carry meaning (market exports name their currency pair
only in the file name) need edits of the raw text or the name. Each returns a ``Mutation`` as in
``contract.py``: ``(sample, tmp_dir) -> broken copy``.
"""

from __future__ import annotations

from pathlib import Path

from .contract import Mutation


def replace_text(old: str, new: str, *, count: int = 1) -> Mutation:
    """Replace the first ``count`` occurrences of ``old`` (which must occur) in the sample's text."""

    def m(sample: Path, tmp: Path) -> Path:
        text = sample.read_bytes().decode("utf-8")
        assert old in text, f"{old!r} not in {sample.name}"
        out = tmp / sample.name
        out.write_bytes(text.replace(old, new, count).encode("utf-8"))
        return out

    m.__name__ = "replace_text"
    return m


def renamed(name: str) -> Mutation:
    """The sample unchanged under another file name."""

    def m(sample: Path, tmp: Path) -> Path:
        out = tmp / name
        out.write_bytes(sample.read_bytes())
        return out

    return m


def other_sample(relative: str) -> Mutation:
    """Another real file from ``tests/samples`` (a real answer that must be rejected)."""

    def m(sample: Path, tmp: Path) -> Path:
        src = sample.parents[1] / relative
        out = tmp / src.name
        out.write_bytes(src.read_bytes())
        return out

    return m


def reencoded(encoding: str, *, declare: bool) -> Mutation:
    """An XML sample re-encoded in ``encoding``, with or without an XML declaration naming it."""

    def m(sample: Path, tmp: Path) -> Path:
        text = sample.read_bytes().decode("utf-8")
        if text.startswith("<?xml"):
            text = text.split("?>", 1)[1].lstrip("\r\n")
        if declare:
            text = f'<?xml version="1.0" encoding="{encoding}"?>\n' + text
        out = tmp / sample.name
        out.write_bytes(text.encode(encoding))
        return out

    return m
