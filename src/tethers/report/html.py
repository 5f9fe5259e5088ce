"""One self-contained HTML report (all JavaScript, styles and data inline; no network), and its PDF.

:func:`render_report` turns a :class:`~tethers.report.views.ReportView` into a single HTML document:
the sections come from the Jinja templates in ``report/templates`` (shared with the dashboard, which
serves the same section fragment from :func:`render_sections`), the figures from
:mod:`tethers.report.charts`, Plotly.js is inlined from the ``plotly`` package's bundled
``plotly.min.js``, and the numbers behind every chart are embedded as JSON in
``<script type="application/json" id="tethers-data">``.

PDF goes through headless Chromium's ``--print-to-pdf`` (:func:`print_pdf`); without a Chromium the
error names that route and the alternative (open the HTML and print it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import polars as pl

from .. import __version__, countries
from ..errors import TethersError
from . import charts
from .views import SECTIONS, ReportView

ReportFormat = Literal["html", "pdf", "json"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# The flags that keep headless Chromium quiet on a machine without internet (no background requests).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
)


class ReportError(TethersError):
    """The report could not be written (no Chromium for PDF, an output path problem …)."""


# --------------------------------------------------------------------------------------------- assets


def template_text(name: str) -> str:
    """A text asset of ``report/templates`` (``style.css``, ``render.js`` …)."""
    return resources.files("tethers.report").joinpath("templates", name).read_text(encoding="utf-8")


@cache
def plotly_js() -> str:
    """The Plotly.js bundle shipped inside the ``plotly`` Python package (inlined, never fetched)."""
    try:
        ref = resources.files("plotly").joinpath("package_data", "plotly.min.js")
        return ref.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ReportError("the report needs the plotly package for its bundled plotly.min.js "
                          "(pip install plotly)") from exc


@cache
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tethers.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters.update(pct=pct, usd=usd, num=num, raw=raw, sig=sig, chg=chg)
    return env


# --------------------------------------------------------------------------------------------- formatting


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def pct(x, digits: int = 1) -> str:
    """0.42510 → '42.5 %' ('–' for missing)."""
    return "–" if _missing(x) else f"{100 * x:.{digits}f} %"


def usd(x) -> str:
    """41415435469.7 → '41.42 bn' ('–' for missing)."""
    if _missing(x):
        return "–"
    for div, unit in ((1e12, "tn"), (1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:,.2f} {unit}"
    return f"{x:,.0f}"


def num(x, digits: int = 3) -> str:
    """A number with ``digits`` decimals, '∞' for infinity and '–' for missing."""
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    if _missing(x):
        return "–"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 1000):
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def sig(x, unit: str = "") -> str:
    """A value in its unit, readable: USD as '407.19 m', shares as '%', other numbers to 4 significant digits."""
    if _missing(x):
        return "–"
    if unit == "USD":
        return usd(x)
    if unit == "share":
        return pct(x)
    if unit == "pp":
        return f"{x:+.2f} pp"
    return f"{x:,.4g}" if isinstance(x, float) else f"{x:,}"


def chg(x, unit: str = "") -> str:
    """A change with its sign: '+29.5 %' for a share of change, '+2.65 pp' for percentage points."""
    if _missing(x):
        return "–"
    if unit == "share":
        return f"{100 * x:+.1f} %"
    if unit == "pp":
        return f"{x:+.2f} pp"
    return sig(x, unit)


def raw(x) -> str:
    """The full-precision value for a ``data-value`` attribute ('' for missing)."""
    return "" if _missing(x) else repr(float(x)) if isinstance(x, float | int) else str(x)


# --------------------------------------------------------------------------------------------- payload


def jsonable(obj):
    """Plain JSON types: NaN/±inf → None, dates → ISO strings, frames → list of records."""
    if isinstance(obj, pl.DataFrame):
        return [jsonable(r) for r in obj.to_dicts()]
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dt.date | dt.datetime):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy scalars
        return jsonable(obj.item())
    return obj


def payload(view: ReportView, figures: dict | None = None, *, meta: dict | None = None) -> dict:
    """Everything the page draws: ``{"meta", "figures", "data", "captions", "notes"}`` (JSON-safe)."""
    figures = figures if figures is not None else charts.build_figures(view.tidy(), country=view.country, year=view.year)
    return jsonable({
        "meta": {
            "country": view.country, "name": view.name, "year": view.year, "start": view.start, "end": view.end,
            "poles": list(view.poles), "scenario": view.scenario, "tethers_version": __version__, **(meta or {}),
        },
        "figures": {k: v for k, v in figures.items() if v is not None},
        "data": view.tidy(),
        "captions": {k: {"title": c.title, "definition": c.definition, "sources": list(c.sources),
                         **{f: getattr(c, f) for f in ("method", "limits") if getattr(c, f, "")}}
                     for k, c in view.captions.items()},
        "notes": view.notes,
    })


def _script_json(obj) -> str:
    """JSON safe to place inside a <script> element (no '</' or '<!--' sequences)."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


# --------------------------------------------------------------------------------------------- render


def _context(view: ReportView, figures: dict) -> dict:
    frames = view.tidy()
    summary = {r["metric"]: r for r in frames["summary"].to_dicts()} if "summary" in frames else {}
    crit = frames.get("critical", pl.DataFrame())
    return {
        "v": view, "figures": {k for k, f in figures.items() if f is not None}, "frames": frames,
        "summary": summary, "position": frames.get("position", pl.DataFrame()).to_dicts(),
        "routes": frames.get("routes", pl.DataFrame()).to_dicts(),
        "energy": frames.get("energy", pl.DataFrame()).to_dicts(),
        "critical": crit.to_dicts(), "scenario_rows": _scenario_rows(frames.get("scenario", pl.DataFrame())),
        "backtest_rows": frames.get("scenario_backtest", pl.DataFrame()).to_dicts(),
        "composite": {r["year"]: r for r in frames.get("balance_composite", pl.DataFrame()).tail(COMPOSITE_YEARS).to_dicts()},
        "sources": frames.get("sources", pl.DataFrame()).to_dicts(),
        "sections": SECTIONS, "pole_labels": countries.POLE_LABELS,
        "headline": headline(view),
        "options_rows": frames.get("options", pl.DataFrame()).to_dicts(),
        "options_plan": frames.get("options_plan", pl.DataFrame()).to_dicts()[:1],
    }


COMPOSITE_YEARS = 8  # the composite balance table shows the last years only (the chart has them all)


def _scenario_rows(df: pl.DataFrame) -> list[dict]:
    """Effects for the table: headline rows (empty ``detail``) first, then the breakdowns."""
    if df.height == 0 or "detail" not in df.columns:
        return df.to_dicts()
    return df.with_columns(_h=pl.col("detail").fill_null("") != "").sort("_h", maintain_order=True).drop("_h").to_dicts()


def headline(view: ReportView) -> list[str]:
    """Two or three plain sentences on the country's position, from the summary frames."""
    out = []
    pos = view.frames.get("position", pl.DataFrame())
    named = pos.filter(pl.col("pole") != "ROW") if pos.height else pos
    if named.height and named["import_share"].drop_nulls().len():
        top = named.sort("import_share", descending=True, nulls_last=True).row(0, named=True)
        topx = named.sort("export_share", descending=True, nulls_last=True).row(0, named=True)
        out.append(
            f"In {view.year}, {top['label']} supplied {pct(top['import_share'])} of {view.name}'s goods imports "
            f"and {topx['label']} took the largest pole share of its exports ({pct(topx['export_share'])})."
        )
    if named.height and named["agreement"].drop_nulls().len():
        best = named.sort("agreement", descending=True, nulls_last=True).row(0, named=True)
        worst = named.sort("agreement", nulls_last=True).row(0, named=True)
        out.append(
            f"At the UN General Assembly it voted most like {best['label']} (agreement {best['agreement']:.2f}) "
            f"and least like {worst['label']} ({worst['agreement']:.2f})."
        )
    comp = view.frames.get("balance_composite", pl.DataFrame())
    c = comp.filter(pl.col("year") == view.year) if comp.height else comp
    if c.height and not _missing(c["balance"][0]):
        bal = view.frames["balance"].filter((pl.col("year") == view.year) & pl.col("balance").is_not_nan())
        dims = ", ".join(d.replace("_", " ") for d in bal["dimension"].to_list())
        out.append(f"Its balance index for {view.year} is {c['balance'][0]:.2f} on a 0–1 scale "
                   f"(1 = relations spread evenly over the {len(view.poles)} poles, 0 = all with one pole), "
                   f"from {dims}.")
    if not out:
        out.append(f"The atlas has little data on {view.name} for {view.year}: see the notes of each section.")
    return out


def render_sections(view: ReportView, figures: dict | None = None) -> str:
    """The sections as an HTML fragment (the report's body; the dashboard swaps it in)."""
    figures = figures if figures is not None else charts.build_figures(view.tidy(), country=view.country, year=view.year)
    return _env().get_template("_sections.html.j2").render(**_context(view, figures))


def render_report(view: ReportView, *, meta: dict | None = None) -> str:
    """The complete self-contained HTML document."""
    figures = charts.build_figures(view.tidy(), country=view.country, year=view.year)
    ctx = _context(view, figures)
    return _env().get_template("report.html.j2").render(
        **ctx,
        body=render_sections(view, figures),
        css=template_text("style.css"),
        render_js=template_text("render.js"),
        plotly_js=plotly_js(),
        data_json=_script_json(payload(view, figures, meta=meta)),
        meta=meta or {},
        version=__version__,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def write_report(view: ReportView, path: str | Path, *, fmt: ReportFormat = "html", meta: dict | None = None,
                 chromium: str | None = None, extra: dict | None = None, transform=None) -> Path:
    """Write the report as ``html`` (one self-contained file), ``pdf`` (via Chromium) or ``json`` (the data).

    ``extra``: more keys for the JSON payload; ``transform``: ``html → html`` applied to the document before it
    is written or printed (``report --check`` adds its section with both).
    """
    path = Path(path)
    if not path.parent.exists():
        raise ReportError(f"{path.parent}: no such directory")
    if fmt == "json":
        data = {**payload(view, meta=meta), **jsonable(extra or {})}
        path.write_text(json.dumps(data, ensure_ascii=False, allow_nan=False, indent=1) + "\n", encoding="utf-8")
        return path
    html = render_report(view, meta=meta)
    if transform is not None:
        html = transform(html)
    if fmt == "html":
        path.write_text(html, encoding="utf-8")
        return path
    if fmt == "pdf":
        with tempfile.TemporaryDirectory(prefix="tethers-report-") as tmp:
            src = Path(tmp) / "report.html"
            src.write_text(html, encoding="utf-8")
            return print_pdf(src, path, chromium=chromium)
    raise ReportError(f"format {fmt!r} is not one of html, pdf, json")


def insert_section(html: str, section: str, toc_link: str) -> str:
    """The report document ``html`` with ``section`` (an HTML fragment) appended to ``<main>`` and ``toc_link`` put
    in the table of contents before "Sources" (when there is one). The report's other sections are unchanged;
    ``report --check`` and ``report --world`` add theirs with it."""
    if "</main>" not in html:
        raise ValueError("not a tethers report document: no </main>")
    html = html.replace("</main>", section + "\n</main>", 1)
    anchor = '<a href="#sources">'
    return html.replace(anchor, toc_link + " " + anchor, 1) if anchor in html else html


# --------------------------------------------------------------------------------------------- pdf


def find_chromium(explicit: str | None = None) -> str | None:
    """Path of a Chromium/Chrome executable: ``explicit``, ``$TETHERS_CHROMIUM``, or one on PATH."""
    for cand in (explicit, os.environ.get("TETHERS_CHROMIUM")):
        if cand:
            found = shutil.which(cand) or (cand if Path(cand).is_file() else None)
            if found:
                return found
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def print_pdf(html: str | Path, pdf: str | Path, *, chromium: str | None = None, timeout: float = 180) -> Path:
    """Print an HTML file to PDF with headless Chromium (``--print-to-pdf``), charts drawn first."""
    exe = find_chromium(chromium)
    if exe is None:
        raise ReportError(
            "PDF output uses headless Chromium (--print-to-pdf) and none was found: install it "
            "(Debian/Ubuntu: apt-get install chromium) or point TETHERS_CHROMIUM at it; or write HTML "
            "(--format html) and print it to PDF from a browser"
        )
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    with tempfile.TemporaryDirectory(prefix="tethers-chromium-") as profile:
        # lay the page out at the printable width of A4 (190 mm ≈ 718 CSS px) so that the charts, drawn at
        # screen time, fit the printed page
        cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=710,1800",
               "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw", "--virtual-time-budget=20000",
               f"--print-to-pdf={pdf}", html.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(f"{exe} did not finish printing {html.name} within {timeout:.0f} s") from None
    if not pdf.exists() or pdf.read_bytes()[:5] != b"%PDF-":
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ReportError(f"{exe} did not write {pdf} (exit {proc.returncode}: {err[0]})")
    return pdf
