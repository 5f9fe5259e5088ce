"""Rich rendering of ``tethers check``: one row per claim, the claim's words highlighted in its sentence.
Reads only :meth:`tethers.check.CheckResult.tidy` frames and public fields; computes nothing."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

VERDICT_STYLE = {"supported": "bold green", "not supported": "bold red", "depends on the reading": "bold yellow",
                 "depends on the year": "bold yellow", "cannot check": "dim"}
CONTEXT = 70  # characters of the sentence shown either side of the claim's words


def excerpt(text: str, start: int, end: int, *, context: int = CONTEXT) -> Text:
    """The sentence around ``text[start:end]``, those words highlighted."""
    a, b = max(0, start - context), min(len(text), end + context)
    out = Text("…" if a else "")
    out.append(text[a:start])
    out.append(text[start:end], style="bold reverse")
    out.append(text[end:b])
    out.append("…" if b < len(text) else "")
    return out


def render_check(result, console: Console) -> None:
    claims = result.tidy()["claims"]
    year = f", year {result.year}" if result.year else ", years: the text's present (docs/check.md)"
    t = Table(title=f"Claims checked against the atlas ({result.lang}{year})", show_lines=True)
    for col, kw in (("#", {"justify": "right"}), ("sentence", {"ratio": 3}), ("claim", {"ratio": 2}),
                    ("verdict", {}), ("figures", {"ratio": 3}), ("tolerance / needs", {"ratio": 2})):
        t.add_column(col, **kw)
    for r in claims.iter_rows(named=True):
        needs = r["tolerance"] + (f"\nneeds: {r['needs']}" if r["needs"] else "") + \
            (f"\n{r['reason']}" if r["reason"] and r["verdict"] == "cannot check" else "")
        t.add_row(str(r["claim"]), excerpt(r["text"], r["start"], r["end"]), r["claim_text"],
                  Text(r["verdict"], style=VERDICT_STYLE.get(r["verdict"], "")), r["figures"] or "–", needs)
    console.print(t)
    counts = ", ".join(f"{k}: {v}" for k, v in result.verdicts().items())
    console.print(f"[bold]{claims.height} claims[/bold] — {counts}")
    for n in result.notes:
        console.print(f"[dim]note: {n}[/dim]")
