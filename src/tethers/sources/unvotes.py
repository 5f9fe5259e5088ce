"""UN General Assembly roll calls from the ``unvotes`` R package (Voeten's data, packaged by D. Robinson).

Publisher format
----------------
Three CSV files side by side, written unchanged from the package's ``.rda`` files (in ``shared/data``
with the prefix ``unvotes_pkg_`` and the votes gzipped); ``read`` takes the votes file or the folder:

* ``un_votes.csv(.gz)``: ``rcid, country, country_code`` (ISO2), ``vote`` (yes / no / abstain);
* ``un_roll_calls.csv``: ``rcid, session, importantvote, date, unres, amend, para, short, descr``;
* ``un_roll_call_issues.csv``: ``rcid, short_name, issue`` (six issue codes).

Quirks (read 2026-11-25 from commit 7eb7034 of dgrtwo/unvotes, data of 2021-03-08)
-----------------------------------------------------------------------------------
* Absences and non-members have **no row**: the table only holds yes / no / abstain (UNDL codes ``absent``).
* One name for two states: ``Russia``/``RU`` also holds the USSR's votes (1946–1991) and
  ``Yugoslavia``/``YU`` holds SFR Yugoslavia (to 1992), FR Yugoslavia / Serbia and Montenegro
  (Nov 2000 – May 2006) and Serbia (from June 2006). :data:`SPLITS` recodes them by date, so a USSR
  vote is ``SUN`` and never ``RUS``.
* Withdrawn or missing ISO2 codes (``DD``, ``CS`` — later reused for Serbia and Montenegro —, ``YD``,
  none for West Germany and North Yemen): :data:`FIXED` maps those names explicitly.
* Zanzibar (UN member Dec 1963 – Apr 1964) has no ISO 3166 code and votes beside Tanganyika on the
  same roll calls: its 2 rows (rcid 874, 875) are left out (:data:`LEFT_OUT`).
* ``unres`` is Voeten's reference ``R/<session>/<number><part>``. From session 18 (1963) the number is
  the resolution number: sessions 18–30 become ``A/RES/<n>(<ROMAN>)[<part>]`` and from session 31
  ``A/RES/<session>/<n><part>`` (the UN's own forms, as the UN Digital Library writes them). For
  sessions 1–17 and the early special sessions (``SS/``, ``ESS/``) the number is not a resolution
  number (Uniting for Peace, A/RES/377(V), is ``R/5/347``), so ``resolution`` is NULL, as it is for
  the 159 roll calls without ``unres`` (rejected drafts, amendments, procedural votes).
* Dates before the 1990s are sometimes approximate in the source (the day is not always the day of
  the vote); the year and session are reliable.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import polars as pl

from .. import countries
from . import Loaded, Source, sha256_of
from ._common import ROW, header_line, read_csv_strings, to_date, to_number
from ._titles import record_title_expr

VOTES_FILE = re.compile(r"^(?P<prefix>.*?)un_votes\.csv(?:\.gz)?$")
VOTES_HEADER = ["rcid", "country", "country_code", "vote"]
ROLL_CALL_COLUMNS = ["rcid", "session", "importantvote", "date", "unres", "short", "descr"]
FIRST_VOTE = dt.date(1946, 1, 1)

# Names the unvotes data use for entities without a current ISO2 code (ISO 3166-3 codes, see schema.py).
FIXED: dict[str, str] = {
    "Czechoslovakia": "CSK",
    "German Democratic Republic": "DDR",
    "Federal Republic of Germany": "DEU",  # West Germany 1973–1990, continued as Germany
    "Yemen People's Republic": "YMD",  # South Yemen 1967–1990
    "Yemen Arab Republic": "YEM",  # North Yemen, continued as Yemen
    "Taiwan": "TWN",  # the Republic of China's seat, to October 1971
}
# One name, several states in turn: name → ((last day, ISO3), …) then the ISO3 after the last day.
SPLITS: dict[str, tuple[tuple[tuple[dt.date, str], ...], str]] = {
    # the USSR dissolved on 26 Dec 1991; Russia continued its seat
    "Russia": (((dt.date(1991, 12, 25), "SUN"),), "RUS"),
    # FR Yugoslavia admitted 1 Nov 2000; Serbia continued Serbia and Montenegro's seat on 3 June 2006
    "Yugoslavia": (((dt.date(2000, 10, 31), "YUG"), (dt.date(2006, 6, 2), "SCG")), "SRB"),
}
LEFT_OUT: dict[str, str] = {"Zanzibar": "no ISO 3166 code; merged with Tanganyika into Tanzania in April 1964"}

_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
_UNRES = re.compile(r"^(?:R|GOAR)/(\d+)[/ ](\d+)(.*)$")


def _roman(n: int) -> str:
    out = ""
    for value, numeral in _ROMAN:
        while n >= value:
            out, n = out + numeral, n - value
    return out


def normalise_unres(unres: str | None) -> str | None:
    """Voeten's ``unres`` → the UN symbol (see the module notes); None where it is not a resolution symbol.

    >>> normalise_unres("R/68/262"), normalise_unres("R/23/2425C"), normalise_unres("R/5/347")
    ('A/RES/68/262', 'A/RES/2425(XXIII)[C]', None)
    """
    if unres is None:
        return None
    text = unres.strip().replace(" /", "/")
    if text.startswith("A/RES/"):
        return text.replace(" ", "")
    m = _UNRES.match(text)
    if not m:
        return None  # SS/…, ESS/… (early special sessions) and malformed references
    session, number, part = int(m.group(1)), m.group(2), m.group(3).strip().lstrip("/").replace("/", "-")
    if session >= 31:
        return f"A/RES/{session}/{number}{part}"
    if session >= 18:
        return f"A/RES/{number}({_roman(session)})" + (f"[{part}]" if part else "")
    return None


class Unvotes(Source):
    id = "unvotes"
    tables = ("votes",)
    pack_inputs = ("unvotes/unvotes_pkg_un_votes.csv.gz",)
    columns = {"resolution": "unres", "title": "short", "important": "importantvote"}

    def handles(self, path: Path) -> bool:
        if path.is_dir():
            return any(VOTES_FILE.match(p.name) for p in path.iterdir())
        return bool(VOTES_FILE.match(path.name)) and header_line(path).replace(" ", "").split(",") == VOTES_HEADER

    # -- files ---------------------------------------------------------------------------------
    def files(self, path: Path) -> tuple[Path, Path, Path]:
        """The votes, roll-call and issue files for ``path`` (the votes file or its folder)."""
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if VOTES_FILE.match(p.name))
            if not found:
                raise self.fail(path, "no un_votes.csv(.gz) in this folder")
            path = found[0]
        m = VOTES_FILE.match(path.name)
        prefix = m.group("prefix") if m else ""
        out = [path]
        for stem in ("un_roll_calls", "un_roll_call_issues"):
            cands = [path.parent / f"{prefix}{stem}.csv{gz}" for gz in ("", ".gz")]
            hit = next((c for c in cands if c.exists()), None)
            if hit is None:
                raise self.fail(path, f"companion file {cands[0].name} not found next to the votes file")
            out.append(hit)
        return out[0], out[1], out[2]

    def read(self, path: str | Path) -> Loaded:
        """As :meth:`Source.read`; the provenance names and hashes all three files."""
        loaded = super().read(path)
        files = self.files(Path(path))
        digest = sha256_of_files(files)
        name = " + ".join(f.name for f in files)
        return Loaded(loaded.tables, [replace(p, file=name, sha256=digest) for p in loaded.provenance])

    # -- parsing -------------------------------------------------------------------------------
    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        votes_path, rc_path, issues_path = self.files(path)
        rc = self._roll_calls(rc_path)
        rc = rc.join(self._issues(issues_path, rc), on="rcid", how="left")
        votes = read_csv_strings(votes_path, source=self.id, required=VOTES_HEADER)
        votes = to_number(votes, "rcid", source=self.id, path=votes_path, dtype=pl.Int64)
        vote = pl.col("vote").str.strip_chars().str.to_lowercase()
        bad = votes.filter(~vote.is_in(["yes", "no", "abstain"]).fill_null(True)).head(1)
        if bad.height:
            raise self.fail(votes_path, f"{bad['vote'][0]!r} is not yes/no/abstain", row=bad[ROW][0], column="vote")
        votes = votes.with_columns(vote.alias("vote")).join(rc, on="rcid", how="left")
        orphan = votes.filter(pl.col("date").is_null()).sort(ROW).head(1)
        if orphan.height:
            raise self.fail(votes_path, f"rcid {orphan['rcid'][0]} has no roll call in {rc_path.name}",
                            row=orphan[ROW][0], column="rcid")
        votes = self._countries(votes, votes_path)
        return {
            "votes": votes.select(
                ROW, "resolution", pl.col("rcid").cast(pl.Utf8), "session", "date", "title", "issue", "important",
                "country", "vote", source=pl.lit(self.id),
            )
        }

    def _roll_calls(self, path: Path) -> pl.DataFrame:
        rc = read_csv_strings(path, source=self.id, required=ROLL_CALL_COLUMNS)
        rc = to_number(rc, "rcid", source=self.id, path=path, dtype=pl.Int64)
        rc = to_number(rc, "session", source=self.id, path=path, dtype=pl.Int32)
        rc = to_date(rc, "date", source=self.id, path=path, formats=["%Y-%m-%d"], earliest=FIRST_VOTE)
        flag = pl.col("importantvote").str.strip_chars()
        bad = rc.filter(flag.is_not_null() & ~flag.is_in(["0", "1", ""])).head(1)
        if bad.height:
            raise self.fail(path, f"{bad['importantvote'][0]!r} is not 0 or 1", row=bad[ROW][0], column="importantvote")
        dup = rc.filter(pl.col("rcid").is_duplicated()).sort(ROW)
        if dup.height:
            raise self.fail(path, f"duplicate rcid {dup['rcid'][0]} (also at row {dup[ROW][1]})", row=dup[ROW][0],
                            column="rcid")
        # Recent rows hold the Digital Library record title in `descr` and a subject heading in `short`
        # (68/262: short 'ARMED CONFLICTS PREVENTION--MEDIATION'); older rows a short title in `short`.
        title = pl.coalesce(record_title_expr("descr"), _text("short"), _text("descr"))
        return rc.select(
            "rcid", "session", "date",
            pl.col("unres").map_elements(normalise_unres, return_dtype=pl.Utf8).alias("resolution"),
            title.alias("title"),
            pl.when(flag == "1").then(True).when(flag == "0").then(False).otherwise(None).alias("important"),
        )

    def _issues(self, path: Path, rc: pl.DataFrame) -> pl.DataFrame:
        iss = read_csv_strings(path, source=self.id, required=["rcid", "short_name", "issue"])
        iss = to_number(iss, "rcid", source=self.id, path=path, dtype=pl.Int64)
        orphan = iss.join(rc.select("rcid"), on="rcid", how="anti").sort(ROW).head(1)
        if orphan.height:
            raise self.fail(path, f"rcid {orphan['rcid'][0]} has no roll call", row=orphan[ROW][0], column="rcid")
        return (
            iss.filter(pl.col("issue").is_not_null())
            .group_by("rcid")
            .agg(pl.col("issue").str.strip_chars().unique().sort().str.join(";"))
        )

    def _countries(self, votes: pl.DataFrame, path: Path) -> pl.DataFrame:
        """country + country_code (+ date for :data:`SPLITS`) → ISO3, mapping each distinct pair once."""
        votes = votes.with_columns(pl.col("country").str.strip_chars(), pl.col("country_code").fill_null(""))
        pairs = votes.group_by("country", "country_code").agg(pl.col(ROW).min()).sort(ROW)
        iso = {}
        for name, code, row in pairs.iter_rows():
            iso[(name, code)] = self._pair_iso3(name, code, row, path)
        lookup = pl.DataFrame(
            [(n, c, v) for (n, c), v in iso.items()], schema=["country", "country_code", "__iso"], orient="row"
        )
        votes = votes.join(lookup, on=["country", "country_code"], how="left")
        expr = pl.col("__iso")
        for name, (spells, after) in SPLITS.items():
            split = pl.lit(after)
            for last_day, code in reversed(spells):
                split = pl.when(pl.col("date") <= last_day).then(pl.lit(code)).otherwise(split)
            expr = pl.when(pl.col("country") == name).then(split).otherwise(expr)
        votes = votes.filter(~pl.col("country").is_in(list(LEFT_OUT)))
        return votes.with_columns(expr.alias("country")).drop("__iso")

    def _pair_iso3(self, name: str | None, code: str, row: int, path: Path) -> str | None:
        if name in FIXED:
            return FIXED[name]
        if name in SPLITS or name in LEFT_OUT:
            return None  # recoded by date / left out, in _countries
        by_name = countries.try_resolve(name) if name else None
        if by_name is None:
            raise self.fail(path, f"unknown country {name!r}", row=row, column="country")
        # the ISO2 code is a cross-check only: country_converter 1.3.2 does not resolve GB or GR
        by_code = countries.try_resolve(code) if code else None
        if by_code and by_code != by_name:
            raise self.fail(
                path, f"country {name!r} ({by_name}) disagrees with country_code {code!r} ({by_code})", row=row,
                column="country_code",
            )
        return by_name

    # -- pack ------------------------------------------------------------------------------------
    def reduce_for_pack(self, table_name: str, tbl):
        """Roll calls of 1946–2019 only: from 2020 the pack takes the UN Digital Library (``undl``).

        The unvotes data end with one roll call of 14 Jan 2020 (rcid 9079, A/RES/74/267); keeping it
        would make unvotes the source of 2020 for :func:`tethers.atlas.queries.votes` (one source per year).
        """
        return pl.from_arrow(tbl).filter(pl.col("date") < dt.date(2020, 1, 1)).to_arrow()


def _text(col: str) -> pl.Expr:
    """Stripped text, empty → null."""
    s = pl.col(col).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def sha256_of_files(files: tuple[Path, ...] | list[Path]) -> str:
    """One SHA-256 over several files: the hash of their hashes, in the given order."""
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(sha256_of(f).encode())
    return h.hexdigest()


SOURCE = Unvotes()
