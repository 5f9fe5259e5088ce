"""The ``check`` section of the HTML report (``tethers report … --check FILE``): rendered from
:meth:`tethers.check.CheckResult.to_dict` with the ``_check.html.j2`` template part."""

from __future__ import annotations

from .html import _env


def render_check_section(result) -> str:
    """An HTML ``<section id="check">`` fragment: one row per claim, its words highlighted in the sentence."""
    return _env().get_template("_check.html.j2").render(c=result.to_dict())
