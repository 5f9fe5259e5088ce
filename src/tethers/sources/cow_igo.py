"""Correlates of War Intergovernmental Organizations v3: membership spells, 1816–2014.

Publisher format
----------------
``state_year_format3`` (COW's ``state_year_formatv3.csv``, or the igoR copy as ``.csv.gz``): one row
per country and year, columns ``ccode, year, state`` and then one column per IGO named by its lower-case
``ioname`` (``cis, csto, sco, eaec, …``; 534 in v3). Cell codes: ``1`` full member, ``2`` associate,
``3`` observer, ``0`` not a member, ``-9`` missing, ``-1`` state not in the system or IGO not in
existence. Codes may be written as integers or floats (``1`` or ``1.0``).

Quirks handled here
-------------------
* **Spells, not country-years.** Consecutive years with the same status become one row
  (``joined`` = first year, ``left`` = last year). A gap year, a ``0``, a ``-9`` or a ``-1`` ends the
  spell; ``-9`` is *not* read as membership. ``observed_to`` is the last year of the file (2014 for
  v3) and ``left`` is NULL for a spell still running in that year.
* **COW state codes → ISO3** through the shipped table ``data/cow_ccodes.csv`` (derived from COW's
  ``states2016``), with historical states mapped by year: ccode 365 is the USSR (``SUN``) for
  1922–1991 and Russia before and after; 345 is Serbia / Yugoslavia (``YUG``) / Serbia and Montenegro
  (``SCG``) / Serbia by year; 315 → ``CSK``; 265 → ``DDR``; 680 → ``YMD``. Historical states with no
  ISO 3166 code (German and Italian states before unification, Austria-Hungary, Korea 1887–1905,
  Zanzibar, South Vietnam) are listed there with an empty ISO3 and their rows are left out.
* **Names and kinds** come from the shipped ``data/cow_igo_organisations.csv``, derived by
  :func:`derive_organisations` from COW's IGO-year file: the ``political`` / ``economic`` / ``social``
  flag gives ``political`` / ``economic`` / ``other``, and :data:`KIND_OVERRIDES` pins security
  alliances and key organisations (NATO, CSTO, SCO → security; CICA → forum; …).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl

from . import Source
from ._common import ROW, header_line, read_csv_strings, to_number

STATUS = {1: "full", 2: "associate", 3: "observer"}
CODES = (-9, -1, 0, 1, 2, 3)
FIRST_YEAR = 1816  # COW's state system starts in 1816
LAST_YEAR = 2100
ID_COLUMNS = ("ccode", "year", "state")
CITATION = "Correlates of War IGO v3.0 (Pevehouse, Nordstrom, McManus and Jamison 2020), state_year_format3"

# ioname -> (kind, reason). Applied over the COW flags by derive_organisations().
KIND_OVERRIDES: dict[str, tuple[str, str]] = {
    "nato": ("security", "collective-defence alliance (North Atlantic Treaty art. 5)"),
    "csto": ("security", "collective-defence alliance (Collective Security Treaty art. 4)"),
    "wpact": ("security", "collective-defence alliance (Warsaw Treaty)"),
    "seato": ("security", "collective-defence alliance (Manila Pact)"),
    "cento": ("security", "collective-defence alliance (Baghdad Pact)"),
    "anzus": ("security", "collective-defence alliance (ANZUS Treaty)"),
    "weu": ("security", "collective-defence alliance (modified Brussels Treaty art. V)"),
    "iadefb": ("security", "military body (Inter-American Defense Board)"),
    "eapc": ("security", "NATO partnership council"),
    "baltbat": ("security", "joint military unit"),
    "mfo": ("security", "peacekeeping force"),
    "idc": ("security", "military planning body"),
    "sco": ("security", "security cooperation is its core mandate (SCO Charter art. 1; RATS)"),
    "osce": ("security", "regional security organisation (arms control, conflict prevention)"),
    "cica": ("forum", "consultative conference on confidence-building, no binding commitments"),
    "nam": ("forum", "movement without a treaty or secretariat of its own"),
    "cis": ("political", "general-purpose political commonwealth"),
    "oic": ("political", "political organisation of Muslim-majority states (COW flags it social)"),
    "un": ("political", "general-purpose political organisation"),
    "eaec": ("economic", "customs union / common market (EurAsEC)"),
    "eu": ("economic", "customs union and single market"),
    "wto": ("economic", "trade rules"),
    "eco": ("economic", "economic cooperation (ECO)"),
}


def _data_file(name: str):
    return resources.files(__package__).joinpath(f"data/{name}")


@cache
def organisations() -> dict[str, tuple[str, str]]:
    """COW ioname (lower case) → (organisation name, kind), shipped with tethers."""
    with _data_file("cow_igo_organisations.csv").open(encoding="utf-8") as fh:
        return {r["ioname"]: (r["name"], r["kind"]) for r in csv.DictReader(fh)}


@cache
def ccode_table() -> pl.DataFrame:
    """COW ccode → ISO3 by year range (``to_year`` null = still existing; ``iso3`` "" = left out)."""
    with _data_file("cow_ccodes.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return pl.DataFrame(
        {
            "ccode": [int(r["ccode"]) for r in rows],
            "statenme": [r["statenme"] for r in rows],
            "from_year": [int(r["from_year"]) for r in rows],
            "to_year": [int(r["to_year"]) if r["to_year"] else LAST_YEAR for r in rows],
            "iso3": [r["iso3"] for r in rows],
        },
        schema={"ccode": pl.Int32, "statenme": pl.Utf8, "from_year": pl.Int32, "to_year": pl.Int32, "iso3": pl.Utf8},
    )


def derive_organisations(igo_year: str | Path) -> pl.DataFrame:
    """Organisation names and kinds from COW's IGO-year file (``igo_year_format3``).

    ``name`` is ``longorgname`` and the kind follows the ``political`` / ``economic`` / ``social`` flag
    (→ political / economic / other) of each IGO's latest year, unless :data:`KIND_OVERRIDES` names
    it. Returns ``[ioname, name, kind, kind_basis]`` sorted by ioname — the shipped
    ``data/cow_igo_organisations.csv`` is this function's output on the v3 file.
    """
    df = pl.read_csv(igo_year, columns=["ioname", "longorgname", "year", "political", "social", "economic"],
                     infer_schema_length=0)
    last = (
        df.with_columns(pl.col("year").cast(pl.Int32), pl.col("ioname").str.to_lowercase())
        .sort("year")
        .group_by("ioname")
        .agg(pl.all().last())
    )
    flag = pl.when(pl.col("political").cast(pl.Float64) == 1).then(pl.lit("political")) \
        .when(pl.col("economic").cast(pl.Float64) == 1).then(pl.lit("economic")) \
        .otherwise(pl.lit("other"))
    basis = pl.when(pl.col("political").cast(pl.Float64) == 1).then(pl.lit("COW flag political")) \
        .when(pl.col("economic").cast(pl.Float64) == 1).then(pl.lit("COW flag economic")) \
        .when(pl.col("social").cast(pl.Float64) == 1).then(pl.lit("COW flag social")) \
        .otherwise(pl.lit("no COW flag"))
    out = last.select("ioname", pl.col("longorgname").str.strip_chars().alias("name"), flag.alias("kind"),
                      basis.alias("kind_basis"))
    over = pl.DataFrame(
        {"ioname": list(KIND_OVERRIDES), "o_kind": [k for k, _ in KIND_OVERRIDES.values()],
         "o_basis": [f"override: {why}" for _, why in KIND_OVERRIDES.values()]}
    )
    return (
        out.join(over, on="ioname", how="left")
        .select("ioname", "name", pl.coalesce("o_kind", "kind").alias("kind"),
                pl.coalesce("o_basis", "kind_basis").alias("kind_basis"))
        .sort("ioname")
    )


class CowIgo(Source):
    id = "cow_igo"
    tables = ("memberships",)
    pack_inputs = ("igo/cow_igo_v3_state_year.csv.gz",)
    columns = {"country": "ccode", "joined": "year"}

    def handles(self, path: Path) -> bool:
        name = path.name.lower()
        if not (name.endswith(".csv") or name.endswith(".csv.gz")):
            return False
        head = header_line(path).split(",")
        return tuple(h.strip().strip('"') for h in head[:3]) == ID_COLUMNS and len(head) > 3

    def parse(self, path: Path) -> dict[str, pl.DataFrame]:
        df = read_csv_strings(path, source=self.id, required=ID_COLUMNS)
        orgs = self._igo_columns(path, df)
        df = to_number(df, "ccode", source=self.id, path=path, dtype=pl.Int32)
        df = to_number(df, "year", source=self.id, path=path, dtype=pl.Int32)
        self._check_ids(path, df)
        codes = self._codes(path, df, orgs)
        codes = self._iso3(path, codes)
        observed_to = int(df["year"].max())
        return {"memberships": self._spells(codes, orgs, observed_to)}

    # -- checks ------------------------------------------------------------------------------
    def _igo_columns(self, path: Path, df: pl.DataFrame) -> list[str]:
        known = organisations()
        orgs = [c for c in df.columns if c not in (ROW, *ID_COLUMNS)]
        if not orgs:
            raise self.fail(path, "no IGO columns after 'ccode, year, state'", row=1)
        unknown = [c for c in orgs if c.lower() not in known]
        if unknown:
            raise self.fail(path, f"unknown IGO column(s) {unknown[:5]}: not in COW IGO v3 "
                            "(data/cow_igo_organisations.csv)", row=1, column=unknown[0])
        return orgs

    def _check_ids(self, path: Path, df: pl.DataFrame) -> None:
        for col in ("ccode", "year"):
            bad = df.filter(pl.col(col).is_null()).head(1)
            if bad.height:
                raise self.fail(path, "missing value", row=bad[ROW][0], column=col)
        bad = df.filter((pl.col("year") < FIRST_YEAR) | (pl.col("year") > LAST_YEAR)).head(1)
        if bad.height:
            raise self.fail(path, f"{bad['year'][0]} is outside COW's coverage ({FIRST_YEAR}–)", row=bad[ROW][0],
                            column="year")
        dup = df.filter(pl.struct("ccode", "year").is_duplicated()).sort(ROW)
        if dup.height:
            first = dup.row(0, named=True)
            again = dup.filter((pl.col("ccode") == first["ccode"]) & (pl.col("year") == first["year"]))[ROW][1]
            raise self.fail(path, f"duplicate country-year (ccode {first['ccode']}, {first['year']}); also at row "
                            f"{again}", row=first[ROW])

    def _codes(self, path: Path, df: pl.DataFrame, orgs: list[str]) -> pl.DataFrame:
        """Membership cells as Int8, after checking every cell is one of COW's codes."""
        parsed = df.select(
            ROW, "ccode", "year",
            *[pl.col(c).str.strip_chars().cast(pl.Float64, strict=False).alias(c) for c in orgs],
        )
        allowed = [float(c) for c in CODES]
        bad_row = parsed.filter(pl.any_horizontal([~pl.col(c).is_in(allowed).fill_null(False) for c in orgs])).head(1)
        if bad_row.height:
            r = bad_row[ROW][0]
            raw = df.filter(pl.col(ROW) == r).row(0, named=True)
            col = next(c for c in orgs if bad_row[c][0] is None or bad_row[c][0] not in CODES)
            value = raw[col]
            why = "is not a number" if bad_row[col][0] is None else "is not a COW membership code (1, 2, 3, 0, -9, -1)"
            raise self.fail(path, f"{value!r} {why}", row=r, column=col)
        return parsed.with_columns([pl.col(c).cast(pl.Int8) for c in orgs])

    def _iso3(self, path: Path, codes: pl.DataFrame) -> pl.DataFrame:
        """Attach ISO3 by ccode and year; rows of states without an ISO code are dropped."""
        table = ccode_table()
        unknown = codes.join(table.select("ccode").unique(), on="ccode", how="anti").head(1)
        if unknown.height:
            raise self.fail(path, f"unknown COW country code {unknown['ccode'][0]} (not in COW states2016)",
                            row=unknown[ROW][0], column="ccode")
        keyed = codes.select(ROW, "ccode", "year").join(table, on="ccode").filter(
            pl.col("year").is_between("from_year", "to_year")
        )
        missing = codes.join(keyed.select(ROW), on=ROW, how="anti").head(1)
        if missing.height:
            name = table.filter(pl.col("ccode") == missing["ccode"][0])["statenme"][0]
            raise self.fail(path, f"ccode {missing['ccode'][0]} ({name}) is not a state in {missing['year'][0]} "
                            "(COW states2016)", row=missing[ROW][0], column="year")
        out = codes.join(keyed.select(ROW, "iso3"), on=ROW).filter(pl.col("iso3") != "")
        clash = out.filter(pl.struct("iso3", "year").is_duplicated()).sort(ROW)
        if clash.height:
            first = clash.row(0, named=True)
            raise self.fail(path, f"two COW states map to {first['iso3']} in {first['year']}", row=first[ROW],
                            column="ccode")
        return out

    # -- spells ------------------------------------------------------------------------------
    def _spells(self, codes: pl.DataFrame, orgs: list[str], observed_to: int) -> pl.DataFrame:
        """Country-year codes → one row per run of consecutive years with the same membership status.

        Textbook form: for each (country, IGO), walk the years in order and start a new spell whenever
        the status changes or a year is skipped. Fast path: flag those breaks with a shifted
        comparison over the sorted long table and number the spells with a cumulative sum.
        """
        long = (
            codes.lazy()
            .unpivot(index=[ROW, "iso3", "year"], on=orgs, variable_name="ioname", value_name="code")
            .filter(pl.col("code").is_between(1, 3))
            .with_columns(pl.col("ioname").str.to_lowercase())
            .sort("iso3", "ioname", "year")
        )
        same_pair = (pl.col("iso3") == pl.col("iso3").shift()) & (pl.col("ioname") == pl.col("ioname").shift())
        cont = same_pair & (pl.col("year") == pl.col("year").shift() + 1) & (pl.col("code") == pl.col("code").shift())
        spells = (
            long.with_columns((~cont.fill_null(False)).cum_sum().alias("__spell"))
            .group_by("__spell")
            .agg(
                pl.col(ROW).first(), pl.col("iso3").first(), pl.col("ioname").first(), pl.col("code").first(),
                pl.col("year").min().alias("joined"), pl.col("year").max().alias("last"),
            )
            .collect()
        )
        names = organisations()
        lookup = pl.DataFrame(
            {"ioname": list(names), "organisation_name": [n for n, _ in names.values()],
             "kind": [k for _, k in names.values()]}
        )
        return (
            spells.join(lookup, on="ioname", how="left")
            .select(
                ROW,
                pl.col("ioname").alias("organisation"),
                "organisation_name",
                "kind",
                pl.col("iso3").alias("country"),
                pl.col("code").replace_strict(STATUS, return_dtype=pl.Utf8).alias("status"),
                pl.col("joined").cast(pl.Int32),
                pl.when(pl.col("last") >= observed_to).then(None).otherwise(pl.col("last")).cast(pl.Int32)
                .alias("left"),
                pl.lit(None, pl.Date).alias("joined_date"),
                pl.lit(None, pl.Date).alias("left_date"),
                pl.lit(observed_to, pl.Int32).alias("observed_to"),
                pl.lit(CITATION).alias("citation"),
                pl.lit(None, pl.Utf8).alias("participation"),  # COW codes membership only
                pl.lit(None, pl.Date).alias("participation_from"),
                pl.lit(self.id).alias("source"),
            )
            .sort(ROW, "organisation")
        )


SOURCE = CowIgo()
