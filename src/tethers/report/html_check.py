"""The ``check`` section of the HTML report (``tethers report … --check FILE``): rendered from
:meth:`tethers.check.CheckResult.to_dict` with the ``_check.html.j2`` template part."""

from __future__ import annotations

from .html import _env, insert_section

TOC_LINK = '<a href="#check">Claims checked</a>'


def render_check_section(result) -> str:
    """An HTML ``<section id="check">`` fragment: one row per claim, its words highlighted in the sentence."""
    return _env().get_template("_check.html.j2").render(c=result.to_dict())


def insert_check_section(html: str, result) -> str:
    """The report document ``html`` with the check section appended to ``<main>`` and a link to it in the table of
    contents (before "Sources" when there is one). The report's other sections are unchanged."""
    return insert_section(html, render_check_section(result), TOC_LINK)
