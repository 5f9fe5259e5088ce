"""The README's "Using it" commands run as written (on the shipped pack), so the README stays true.

Each ``$T …`` line of the block is run through the CLI in-process. Optional parts in brackets are dropped,
``article.txt`` is the real English translation of the seed brief's excerpt (tests/samples/check), output files go
to a temporary folder. Three lines are not run here, each with the test that covers it: ``serve`` (a server:
tests/report/test_dashboard_app.py and the browser tests), ``atlas build | add`` (they rewrite the atlas:
tests/test_store.py) and ``data fetch`` (online only: tests/test_fetch.py replays recorded responses).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.report.test_cli_report import run

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "tests" / "samples" / "check" / "kazakhstan-2022-en.txt"
NOT_RUN = {"serve": "a server (tests/report/test_dashboard_app.py)", "data": "online only (tests/test_fetch.py)"}


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Using it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    out = []
    for line in block.splitlines():
        line = line.strip()
        if not line.startswith("$T "):
            continue
        cmd = re.sub(r"\s+#.*$", "", line[3:]).strip()
        cmd = re.sub(r"\[[^\]]*\]", "", cmd).strip()  # optional parts
        if " | " in cmd:  # "atlas info | build | sources | add <source> <file>": the read-only verbs
            head, *alts = cmd.split(" | ")
            group = head.split()[0]
            out += [head] + [f"{group} {a.split()[0]}" for a in alts if a.split()[0] in ("info", "sources")]
            continue
        out.append(cmd)
    return out


COMMANDS = readme_commands()


def test_the_readme_lists_the_commands():
    assert len(COMMANDS) >= 15
    verbs = {c.split()[0] for c in COMMANDS}
    assert {"profile", "dependence", "balance", "sanction", "backtest", "report", "check", "compare"} <= verbs


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, atlas_path, tmp_path, monkeypatch, capsys):
    verb = command.split()[0]
    if verb in NOT_RUN:
        pytest.skip(f"not run here: {NOT_RUN[verb]}")
    args = [ARTICLE.as_posix() if a == "article.txt" else a for a in shlex.split(command)]
    monkeypatch.chdir(tmp_path)  # files the command writes (kaz.html, KAZ_2021.html) land here
    code, out, err = run(capsys, atlas_path, *args)
    assert code == 0, f"{command}: exit {code}\n{err[-2000:]}"
    assert out.strip(), command
    if verb == "report":
        written = list(tmp_path.glob("*.html"))
        assert written and written[0].stat().st_size > 100_000, command
