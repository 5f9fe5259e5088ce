"""UN General Assembly roll calls from UN Digital Library voting records, in two wide CSV layouts.

Publisher formats (one row per roll call, one column per member state)
----------------------------------------------------------------------
* **Wide scrape** (``undl_scrape_ga_sc_votes_wide_1946_2021.csv``): ``Council, Date, Title, Resolution,
  TOTAL VOTES, NO-VOTE COUNT, ABSENT COUNT, NO COUNT, YES COUNT, Link, token`` then one column per
  member-state **name as the UN record spells it**, cells ``Y``/``N``/``A``/``X`` or blank.
* **3DL extract** (``undl_3dl_extract_*.csv``, 3DL "UN Digital Library Scraper"): ``id, Council, Date,
  Title, Resolution, …`` then one column per **ISO3** code, cells ``YES``/``NO``/``ABSTAIN`` or blank,
  then ``TOTAL VOTES, NO-VOTE COUNT, ABSTAIN COUNT, NO COUNT, YES COUNT, Link, token, Scrape_Year``.

Only General Assembly rows are read; Security Council rows are skipped. ``rcid`` is the Digital
Library record number (``token``), the same in both layouts, so one roll call read from both files
collides on the atlas key instead of being counted twice.

Decisions (dated notes, read 2026-11-25)
----------------------------------------
* Scrape cells: ``Y`` yes, ``N`` no, ``A`` abstain, ``X`` non-voting → ``absent``, blank = not a member
  (or not on the body) → no row. The header ``ABSENT COUNT`` holds the **abstentions** (68/262: 100 Y,
  11 N, 58 "ABSENT", 24 X — the official 100-11-58). 3DL cells: blank = non-voting member → ``absent``.
* Country columns of the scrape map to ISO3 only through the shipped table
  ``sources/data/undl_country_columns.csv`` (name, historical name, misspelling or scrape-noise
  column → ISO3, with a date window where one name covered two states: ``YUGOSLAVIA`` is YUG to Oct
  2000, then SCG). A column not in the table raises. ``USSR`` is SUN, never RUS.
* Scrape-noise columns (``TKAZAKHSTAN``, ``AY DENMARK``, `` CHILE`` …) hold a real vote that the
  scrape put under a mangled name; they are merged into the country's vote. Where a country has a
  value in two of its columns on one roll call, the values must agree (one vote is kept) or the read
  raises — never two votes for one country. (In the 2022-01 scrape no roll call has two.)
* ``ZANZIBAR`` (UN member Dec 1963 – Apr 1964, no ISO code, votes beside Tanganyika) is left out;
  ``DONOTKNOW`` has one Security Council cell and raises if it ever holds a General Assembly value.
* Every roll call's cells must add up to its own ``YES/NO/ABSENT(=abstain)/NO-VOTE`` counts, and
  those to ``TOTAL VOTES``, after merging; otherwise the read raises (a guard against misread columns).
* The symbol ``A/76/L.14`` appears on two records (3949879, 3949880) of the same day with identical
  votes: records with the same date, symbol, title and votes are one roll call, the lowest record
  number is kept. Two rows with the same record number raise.
* Two scrape rows have a year for a date (``1977`` for A/RES/32/105[M], ``2011`` for A/RES/66/230):
  they cannot be placed on a day and are skipped. Any other malformed date raises.
* ``resolution``: ``A/RES/37/125[A]`` is written ``A/RES/37/125A`` (the unvotes form); roman-numbered
  symbols (``A/RES/1514(XV)``), ``A/RES/ES-11/1`` and draft symbols (``A/76/L.14``) are kept;
  ``MISSING_DATA`` → NULL. ``session`` comes from the symbol (NULL for special and emergency special
  sessions). ``issue`` and ``important`` are NULL (3DL's ``tags`` are machine-generated, not UN metadata).
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
from ._titles import record_title_expr

GA, SC = "General Assembly", "Security Council"
FIRST_VOTE = dt.date(1946, 1, 1)
SCRAPE_META = ["Council", "Date", "Title", "Resolution", "TOTAL VOTES", "NO-VOTE COUNT", "ABSENT COUNT",
               "NO COUNT", "YES COUNT", "Link", "token"]
THREE_DL_META = ["Council", "Date", "Title", "Resolution", "TOTAL VOTES", "NO-VOTE COUNT", "ABSTAIN COUNT",
                 "NO COUNT", "YES COUNT", "token"]
THREE_DL_IGNORED = {"id", "country", "subregion", "continent", "tags", "Link", "Scrape_Year"}
# cell → vote, and the count column that must tally each vote
SCRAPE_CELLS = {"Y": "yes", "N": "no", "A": "abstain", "X": "absent"}
SCRAPE_COUNTS = {"yes": "YES COUNT", "no": "NO COUNT", "abstain": "ABSENT COUNT", "absent": "NO-VOTE COUNT"}
THREE_DL_CELLS = {"YES": "yes", "NO": "no", "ABSTAIN": "abstain"}
THREE_DL_COUNTS = {"yes": "YES COUNT", "no": "NO COUNT", "abstain": "ABSTAIN COUNT", "absent": "NO-VOTE COUNT"}
PACK_FROM = dt.date(2020, 1, 1)  # unvotes covers the years before

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}


@cache
def country_columns() -> pl.DataFrame:
    """The shipped column-name → ISO3 table (``sources/data/undl_country_columns.csv``)."""
    with resources.files(__package__).joinpath("data/undl_country_columns.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    date = lambda s: dt.date.fromisoformat(s) if s else None  # noqa: E731
    return pl.DataFrame(
        {
            "column": [r["column"] for r in rows],
            "iso3": [r["iso3"] or None for r in rows],
            "valid_from": [date(r["valid_from"]) or dt.date.min for r in rows],
            "valid_to": [date(r["valid_to"]) or dt.date.max for r in rows],
            "kind": [r["kind"] for r in rows],
        },
        schema={"column": pl.Utf8, "iso3": pl.Utf8, "valid_from": pl.Date, "valid_to": pl.Date, "kind": pl.Utf8},
    )


def normalise_symbol(symbol: str | None) -> str | None:
    """``A/RES/37/125[A]`` → ``A/RES/37/125A``; other symbols unchanged; ``MISSING_DATA``/blank → None."""
    if symbol is None:
        return None
    s = symbol.strip().replace(" ", "")
    if not s or s == "MISSING_DATA":
        return None
    if re.match(r"^A/RES/\d+/", s):
        s = s.replace("[", "").replace("]", "")
    return s


def session_of(symbol: str | None) -> int | None:
    """The regular session a symbol names: ``A/RES/68/262`` → 68, ``A/RES/1514(XV)`` → 15, ``A/76/L.14`` → 76."""
    if symbol is None:
        return None
    m = re.match(r"^A/(?:RES/)?(\d+)/", symbol)
    if m:
        return int(m.group(1))
    m = re.match(r"^A/RES/\d+\(([IVXL]+)\)", symbol)
    if not m:
        return None  # special (S-), emergency special (ES-) sessions, other documents
    vals = [_ROMAN[c] for c in m.group(1)]
    return sum(-v if i + 1 < len(vals) and v < vals[i + 1] else v for i, v in enumerate(vals))


class Undl(Source):
    id = "undl"
    tables = ("votes",)
    pack_inputs = (
        "unvotes/undl_scrape_ga_sc_votes_wide_1946_2021.csv",
        "unvotes/undl_3dl_extract_ES-11_1-6_wide.csv",
    )
    columns = {"resolution": "Resolution", "rcid": "token", "date": "Date", "title": "Title"}

    def handles(self, path: Path) -> bool:
        if path.suffix.lower() not in (".csv", ".gz"):
            return False
        head = header_line(path)
        return "Council" in head and "token" in head and ("ABSENT COUNT" in head or "ABSTAIN COUNT" in head)

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        head = header_line(path)
        if "ABSTAIN COUNT" in head and "ABSENT COUNT" not in head:
            wide, long = self._read_3dl(path)
            counts = THREE_DL_COUNTS
        else:
            wide, long = self._read_scrape(path)
            counts = SCRAPE_COUNTS
        self._check_tallies(path, wide, long, counts)
        long = long.filter(pl.col("kind") != "skip")
        wide = self._drop_repeated_records(wide, long)
        symbol = pl.col("Resolution").map_elements(normalise_symbol, return_dtype=pl.Utf8)
        title = pl.coalesce(record_title_expr("Title"), pl.col("Title").str.strip_chars())  # no ': resolution / …'
        wide = wide.select(ROW, "token", "Date", title.alias("Title"), symbol.alias("resolution"))
        votes = long.join(wide, on=ROW).sort(ROW, "iso3")
        return {
            "votes": votes.select(
                ROW,
                "resolution",
                pl.col("token").alias("rcid"),
                pl.col("resolution").map_elements(session_of, return_dtype=pl.Int32).alias("session"),
                pl.col("Date").alias("date"),
                pl.col("Title").alias("title"),
                pl.lit(None, pl.Utf8).alias("issue"),
                pl.lit(None, pl.Boolean).alias("important"),
                pl.col("iso3").alias("country"),
                "vote",
                source=pl.lit(self.id),
            )
        }

    # -- the two layouts: each returns (GA rows, one row per country cell: _row, column, iso3, kind, vote) --
    def _read_scrape(self, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=SCRAPE_META)
        names = [c for c in df.columns if c not in SCRAPE_META and c != ROW]
        mapping = country_columns()
        unknown = [c for c in names if c not in set(mapping["column"])]
        if unknown:
            raise self.fail(path, "column is not a member-state name listed in sources/data/undl_country_columns.csv",
                            row=1, column=unknown[0])
        ga = self._general_assembly(path, df, list(SCRAPE_COUNTS.values()) + ["TOTAL VOTES"])
        cells = self._cells(path, ga, names, SCRAPE_CELLS, blank=None)
        long = cells.join(ga.select(ROW, "Date"), on=ROW).join(mapping, on="column")
        long = long.filter((pl.col("Date") >= pl.col("valid_from")) & (pl.col("Date") <= pl.col("valid_to")))
        lost = cells.join(long, on=[ROW, "column"], how="anti").sort(ROW).head(1)
        if lost.height:
            raise self.fail(path, "no ISO3 for this column on this date in undl_country_columns.csv",
                            row=lost[ROW][0], column=lost["column"][0])
        unk = long.filter(pl.col("kind") == "unknown").sort(ROW).head(1)
        if unk.height:
            raise self.fail(path, f"{unk['cell'][0]!r} in a column that names no country", row=unk[ROW][0],
                            column=unk["column"][0])
        return ga, self._merge_columns(path, long)

    def _read_3dl(self, path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=THREE_DL_META)
        others = [c for c in df.columns if c not in THREE_DL_META and c not in THREE_DL_IGNORED and c != ROW]
        codes = known_codes()
        bad = [c for c in others if not (re.fullmatch(r"[A-Z]{3}", c) and c in codes)]
        if bad:
            raise self.fail(path, "column is neither a known ISO3 country code nor a 3DL column", row=1, column=bad[0])
        ga = self._general_assembly(path, df, list(THREE_DL_COUNTS.values()) + ["TOTAL VOTES"])
        cells = self._cells(path, ga, others, THREE_DL_CELLS, blank="absent")
        return ga, cells.with_columns(pl.col("column").alias("iso3"), pl.lit("name").alias("kind"))

    # -- shared steps -----------------------------------------------------------------------------
    def _general_assembly(self, path: Path, df: pl.DataFrame, count_cols: list[str]) -> pl.DataFrame:
        council = pl.col("Council").str.strip_chars()
        bad = df.filter(~council.is_in([GA, SC]).fill_null(True)).head(1)
        if bad.height:
            raise self.fail(path, f"{bad['Council'][0]!r} is neither {GA!r} nor {SC!r}", row=bad[ROW][0],
                            column="Council")
        token = pl.col("token").str.strip_chars()
        bad = df.filter(~token.str.contains(r"^\d+$").fill_null(False)).head(1)
        if bad.height:
            raise self.fail(path, f"{bad['token'][0]!r} is not a record number", row=bad[ROW][0], column="token")
        dup = df.filter(token.is_duplicated()).sort(ROW)
        if dup.height:
            raise self.fail(path, f"duplicate record {dup['token'][0]} (also at row {dup[ROW][1]})",
                            row=dup[ROW][0], column="token")
        ga = df.filter(council == GA).with_columns(token.alias("token"), pl.col("Date").str.strip_chars())
        ga = ga.filter(~pl.col("Date").str.contains(r"^\d{4}$"))  # year only: cannot be placed on a day
        ga = to_date(ga, "Date", source=self.id, path=path, formats=["%Y-%m-%d"], earliest=FIRST_VOTE)
        for c in count_cols:
            ga = to_number(ga, c, source=self.id, path=path, dtype=pl.Int64)
            bad = ga.filter(pl.col(c).is_null()).head(1)
            if bad.height:
                raise self.fail(path, "missing count", row=bad[ROW][0], column=c)
        return ga

    def _cells(self, path: Path, ga: pl.DataFrame, names: list[str], codes: dict[str, str],
               blank: str | None) -> pl.DataFrame:
        """One row per non-blank cell (or, with ``blank``, per cell): _row, column, cell, vote."""
        order = {c: i for i, c in enumerate(names)}
        long = ga.select(ROW, *names).unpivot(index=ROW, on=names, variable_name="column", value_name="cell")
        long = long.with_columns(pl.col("cell").str.strip_chars())
        if blank is None:
            long = long.filter(pl.col("cell").is_not_null() & (pl.col("cell") != ""))
        bad = long.filter(~pl.col("cell").is_in(list(codes)) & (pl.col("cell").fill_null("") != ""))
        if bad.height:
            first = bad.with_columns(pl.col("column").replace_strict(order).alias("__i")).sort(ROW, "__i").row(0, named=True)
            raise self.fail(path, f"{first['cell']!r} is not one of {list(codes)} (or blank)", row=first[ROW],
                            column=first["column"])
        vote = pl.col("cell").replace_strict(codes, default=blank, return_dtype=pl.Utf8)
        return long.with_columns(vote.alias("vote"))

    def _merge_columns(self, path: Path, long: pl.DataFrame) -> pl.DataFrame:
        """One vote per country and roll call: a country's several columns must agree, one is kept."""
        counted = long.filter(pl.col("kind") != "skip")
        twice = pl.struct(ROW, "iso3").is_duplicated()
        dups = counted.filter(twice)
        if dups.height:
            multi = dups.group_by(ROW, "iso3").agg("column", "cell", pl.col("vote").n_unique().alias("n"))
            clash = multi.filter(pl.col("n") > 1).sort(ROW).head(1)
            if clash.height:
                r = clash.row(0, named=True)
                cells = ", ".join(f"{c!r}={v!r}" for c, v in zip(r["column"], r["cell"], strict=True))
                raise self.fail(path, f"columns for {r['iso3']} disagree ({cells})", row=r[ROW], column=r["column"][0])
            dups = dups.sort(ROW, "kind", "column").unique(subset=[ROW, "iso3"], keep="first")
        cols = [ROW, "column", "iso3", "kind", "vote"]
        return pl.concat([counted.filter(~twice).select(cols), dups.select(cols),
                          long.filter(pl.col("kind") == "skip").select(cols)])

    def _check_tallies(self, path: Path, ga: pl.DataFrame, long: pl.DataFrame, counts: dict[str, str]) -> None:
        """Each roll call's votes (after merging, left-out columns included) must equal its own counts."""
        got = long.group_by(ROW).agg([(pl.col("vote") == v).sum().alias(f"__{v}") for v in counts])
        chk = ga.select(ROW, *counts.values(), "TOTAL VOTES").join(got, on=ROW, how="left").fill_null(0).sort(ROW)
        for vote, col in counts.items():
            bad = chk.filter(pl.col(f"__{vote}") != pl.col(col)).head(1)
            if bad.height:
                raise self.fail(path, f"{bad[f'__{vote}'][0]} cells say {vote} but the row's count is {bad[col][0]}",
                                row=bad[ROW][0], column=col)
        total = pl.sum_horizontal([pl.col(c) for c in counts.values()])
        bad = chk.filter(total != pl.col("TOTAL VOTES")).head(1)
        if bad.height:
            raise self.fail(path, f"{bad['TOTAL VOTES'][0]} is not the sum of the four counts", row=bad[ROW][0],
                            column="TOTAL VOTES")

    def _drop_repeated_records(self, ga: pl.DataFrame, long: pl.DataFrame) -> pl.DataFrame:
        """Records with the same date, symbol, title and votes are one roll call: keep the lowest record number."""
        sig = (
            long.sort("iso3")
            .group_by(ROW)
            .agg(pl.concat_str([pl.col("iso3"), pl.col("vote")], separator="=").str.join(",").alias("__sig"))
        )
        g = ga.join(sig, on=ROW, how="left").with_columns(pl.col("token").cast(pl.Int64).alias("__tok"))
        key = ["Date", "Resolution", "Title", "__sig"]
        first = g.group_by(key).agg(pl.col("__tok").min())
        return g.join(first, on=[*key, "__tok"], how="semi", nulls_equal=True).drop(
            "__sig", "__tok"
        )

    # -- pack ---------------------------------------------------------------------------------------
    def reduce_for_pack(self, table_name: str, tbl):
        """General Assembly roll calls from 2020-01-01 on (unvotes covers 1946–2019)."""
        return pl.from_arrow(tbl).filter(pl.col("date") >= PACK_FROM).to_arrow()


SOURCE = Undl()
