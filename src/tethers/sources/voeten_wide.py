"""UN General Assembly roll calls in Voeten's vote codes, one row per roll call and one column per country.

Publisher format (``ungaVoting_003.csv`` of Pigeon-Effect/Mapping-UNGA-Voting-Alliances, derived from
Voeten, Strezhnev & Bailey, *United Nations General Assembly Voting Data*, Harvard Dataverse)
----------------------------------------------------------------------------------------------------
``rcid, date, me, nu, di, hr, co, ec`` then one column per **ISO3** code (194: the UN members and
Taiwan). ``me … ec`` are Voeten's issue flags (``TRUE``/``FALSE``: Middle East, nuclear, disarmament,
human rights, colonialism, economic development). Cells hold Voeten's vote codes, sometimes written as
floats (``1.0``): 1 yes, 2 abstain, 3 no, 8 absent, 9 not a member. The file has **no resolution
symbols and no titles**, 1946-01-01 … 2024-06-04.

Decisions (dated notes, read 2026-12-04)
----------------------------------------
* 1 → ``yes``, 2 → ``abstain``, 3 → ``no``, 8 → ``absent``, 9 → no row (not a member). An empty cell or
  any other code raises (file, row, column). A country column that is not a known ISO3 code raises.
* ``rcid`` is Voeten's roll-call id. It is **not unique in this file**: four 2023 roll calls reuse the
  numbers of 1954–1955 ones (411, 427, 449, 495). Every occurrence of a repeated number is therefore
  written ``<rcid>/<date>`` (``427/2023-11-02``), the others keep the bare number; the same number twice
  on the same date raises (a duplicated row).
* ``issue``: the flags that are TRUE, ``;``-separated (``hr;co``); NULL when none. ``important``: NULL.
* Symbols and titles come only from the shipped table ``sources/data/voeten_wide_roll_calls.csv``
  (rcid, date → symbol, title and the **published** tally, with a citation per row): a roll call is
  named there only when its yes/no/abstain counts in this file equal the published record exactly, and
  the loader re-checks that equality on every read (a different count raises, naming the roll call).
  ``session`` is the symbol's session (NULL without a symbol).
* The file does not reproduce every published tally (SOURCE.md: it lacks the ES-11 votes of March and
  April 2022, and e.g. its 2 Nov 2023 Cuba-embargo roll call counts 185-2-1 against the recorded
  187-2-1): it is a secondary source, placed after ``undl`` in the vote precedence, and the atlas keeps
  one copy of a roll call that several sources hold (``tethers.atlas.queries.votes``).
* The pack keeps the roll calls from 2022-01-01 on (``unvotes`` covers 1946–2019, ``undl`` 2020–2021).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, known_codes, read_csv_strings, to_date, to_number
from .undl import session_of

META = ["rcid", "date", "me", "nu", "di", "hr", "co", "ec"]
ISSUES = ["me", "nu", "di", "hr", "co", "ec"]
CODES = {"1": "yes", "2": "abstain", "3": "no", "8": "absent", "9": None}
CODE = re.compile(r"^([12389])(?:\.0+)?$")
FIRST_VOTE = dt.date(1946, 1, 1)
PACK_FROM = dt.date(2022, 1, 1)
CROSSWALK_COLUMNS = ["rcid", "date", "resolution", "title", "yes", "no", "abstain", "citation"]


@cache
def roll_call_names() -> pl.DataFrame:
    """The shipped rcid/date → symbol, title, published tally table (``data/voeten_wide_roll_calls.csv``)."""
    with resources.files(__package__).joinpath("data/voeten_wide_roll_calls.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return pl.DataFrame(
        {
            "rcid": [r["rcid"] for r in rows],
            "date": [dt.date.fromisoformat(r["date"]) for r in rows],
            "resolution": [r["resolution"] for r in rows],
            "title": [r["title"] for r in rows],
            "pub_yes": [int(r["yes"]) for r in rows],
            "pub_no": [int(r["no"]) for r in rows],
            "pub_abstain": [int(r["abstain"]) for r in rows],
        },
        schema={"rcid": pl.Utf8, "date": pl.Date, "resolution": pl.Utf8, "title": pl.Utf8, "pub_yes": pl.Int64,
                "pub_no": pl.Int64, "pub_abstain": pl.Int64},
    )


class VoetenWide(Source):
    id = "voeten_wide"
    tables = ("votes",)
    pack_inputs = ("unvotes/voeten_wide/ungaVoting_003_wide_voeten_derived.csv",)
    columns = {"rcid": "rcid", "date": "date"}

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        head = [h.strip().strip('"') for h in header_line(path).split(",")]
        return head[: len(META)] == META and len(head) > len(META)

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=META)
        header = [c for c in df.columns if c != ROW]
        if header[: len(META)] != META:
            raise self.fail(path, f"the first columns must be {', '.join(META)} (got {', '.join(header[:8])})", row=1)
        countries = header[len(META):]
        if not countries:
            raise self.fail(path, "no country columns after the issue flags", row=1)
        codes = known_codes()
        for c in countries:
            if c not in codes:
                raise self.fail(path, f"column {c!r} is not a known ISO3 country code", row=1, column=c)
        df = to_number(df, "rcid", source=self.id, path=path, dtype=pl.Int64)
        df = to_date(df, "date", source=self.id, path=path, formats=["%Y-%m-%d"], earliest=FIRST_VOTE)
        for flag in ISSUES:
            bad = df.filter(~pl.col(flag).str.strip_chars().str.to_uppercase().is_in(["TRUE", "FALSE"])
                            | pl.col(flag).is_null()).head(1)
            if bad.height:
                raise self.fail(path, f"issue flag {bad[flag][0]!r} is not TRUE or FALSE", row=bad[ROW][0],
                                column=flag)
        df = self._rcids(path, df)
        issue = pl.concat_str(
            [pl.when(pl.col(f).str.strip_chars().str.to_uppercase() == "TRUE").then(pl.lit(f)) for f in ISSUES],
            separator=";", ignore_nulls=True,
        )
        wide = df.with_columns(pl.when(issue == "").then(None).otherwise(issue).alias("issue"))
        long = wide.select(ROW, "rcid", "date", "issue", *countries).unpivot(
            index=[ROW, "rcid", "date", "issue"], on=countries, variable_name="country", value_name="cell"
        )
        cell = pl.col("cell").str.strip_chars()
        bad = long.filter(cell.is_null() | ~cell.str.contains(CODE.pattern)).sort(ROW).head(1)
        if bad.height:
            raise self.fail(path, f"vote code {bad['cell'][0]!r} is not one of 1, 2, 3, 8, 9 (Voeten's codes)",
                            row=bad[ROW][0], column=bad["country"][0])
        long = long.with_columns(
            cell.str.extract(CODE.pattern, 1).replace_strict(CODES, return_dtype=pl.Utf8).alias("vote")
        ).filter(pl.col("vote").is_not_null())
        named = self._names(path, long)
        votes = long.join(named, on=["rcid", "date"], how="left").sort(ROW, "country")
        return {
            "votes": votes.select(
                ROW,
                "resolution",
                "rcid",
                pl.col("resolution").map_elements(session_of, return_dtype=pl.Int32).alias("session"),
                "date",
                "title",
                "issue",
                pl.lit(None, pl.Boolean).alias("important"),
                "country",
                "vote",
                source=pl.lit(self.id),
            )
        }

    def _rcids(self, path: Path, df: pl.DataFrame) -> pl.DataFrame:
        """Voeten's rcid as text; a number used by several roll calls becomes ``<rcid>/<date>``."""
        dup = df.filter(pl.struct("rcid", "date").is_duplicated()).sort(ROW)
        if dup.height:
            raise self.fail(path, f"roll call {dup['rcid'][0]} of {dup['date'][0]} appears twice "
                                  f"(also at row {dup[ROW][1]})", row=dup[ROW][0], column="rcid")
        repeated = pl.col("rcid").is_duplicated()
        return df.with_columns(
            pl.when(repeated)
            .then(pl.format("{}/{}", pl.col("rcid"), pl.col("date").dt.to_string("%Y-%m-%d")))
            .otherwise(pl.col("rcid").cast(pl.Utf8))
            .alias("rcid")
        )

    def _names(self, path: Path, long: pl.DataFrame) -> pl.DataFrame:
        """Symbols and titles of the named roll calls present in the file, their tallies re-checked."""
        names = roll_call_names()
        tally = long.group_by("rcid", "date").agg(
            *[(pl.col("vote") == v).sum().cast(pl.Int64).alias(v) for v in ("yes", "no", "abstain")],
            pl.col(ROW).min(),
        )
        hit = names.join(tally, on=["rcid", "date"], how="inner")
        off = hit.filter((pl.col("yes") != pl.col("pub_yes")) | (pl.col("no") != pl.col("pub_no"))
                         | (pl.col("abstain") != pl.col("pub_abstain"))).sort(ROW).head(1)
        if off.height:
            r = off.row(0, named=True)
            raise self.fail(
                path,
                f"roll call {r['rcid']} of {r['date']} counts {r['yes']}-{r['no']}-{r['abstain']} (yes-no-abstain), "
                f"not the {r['pub_yes']}-{r['pub_no']}-{r['pub_abstain']} recorded for {r['resolution']}",
                row=r[ROW], column="rcid",
            )
        return hit.select("rcid", "date", "resolution", "title")

    def reduce_for_pack(self, table_name: str, tbl):
        """Roll calls from 2022-01-01 on (unvotes covers 1946–2019, undl 2020–2021)."""
        return pl.from_arrow(tbl).filter(pl.col("date") >= PACK_FROM).to_arrow()


SOURCE = VoetenWide()
