"""Reading user-written data files (scenarios, strategic options): safe parsing, one-line errors.

YAML through ``yaml.safe_load`` (no tags that build Python objects), TOML through :mod:`tomllib`. Every
failure — not UTF-8, a parser error, nesting deeper than the parser's recursion, an integer of more than
4,300 digits, a control character — becomes one line naming the file (and, for YAML, line and column).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import TethersError

MAX_BYTES = 1_000_000


def one_line(msg: str) -> str:
    """Keys and values from a file may hold line breaks; error messages are one line."""
    return msg.replace("\r", "\\r").replace("\n", "\\n")


def read_document(path: str | Path, *, what: str, error: type[TethersError],
                  suffixes: tuple[str, ...] = (".yaml", ".yml", ".toml")) -> object:
    """The parsed content of a ``what`` file (e.g. "scenario"); raises ``error`` with a one-line message."""
    import yaml

    p = Path(path)
    if not p.exists():
        from ..atlas.shipped import shipped_file

        p = shipped_file(p, what) or p  # `scenarios/eu-2022.yaml` from any folder, or from an installed wheel
    if not p.exists():
        raise error(f"{p}: no such {what} file")
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        raise error(f"{p}: {what} files are {', '.join(suffixes[:-1])} or {suffixes[-1]}")
    raw = p.read_bytes()
    if len(raw) > MAX_BYTES:
        raise error(f"{p}: {what} file larger than 1 MB")
    try:
        text = raw.decode("utf-8")
        return tomllib.loads(text) if suffix == ".toml" else yaml.safe_load(text)
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not UTF-8 text (byte {exc.start})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(one_line(f"{p}{where}: invalid YAML ({problem})")) from None
    except tomllib.TOMLDecodeError as exc:
        raise error(one_line(f"{p}: invalid TOML ({exc})")) from None
    except RecursionError:  # nesting deeper than the parsers' recursion allows
        raise error(f"{p}: nested too deeply to be a {what} file") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise error(one_line(f"{p}: unreadable value ({str(exc).splitlines()[0][:120]})")) from None
