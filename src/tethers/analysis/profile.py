"""A country's dependency profile for one year — the figures behind ``tethers profile``.

Orchestration only: it reads tidy frames from the atlas (:mod:`tethers.atlas.queries`), hands them to the
pure measures and collects the results, with the provenance of every section. Read results through
:meth:`Profile.tidy` (tables) or :meth:`Profile.to_dict` (JSON).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from .. import countries
from ..atlas import queries
from ..atlas.store import Atlas


@dataclass(frozen=True)
class Profile:
    """Dependency profile of ``country`` in ``year``.

    Attributes
    ----------
    totals : flow → total goods trade in current USD (``import``, ``export``).
    partners : the top partners per flow: [flow, rank, partner, name, pole, value_usd, share (0–1), estimated
        (the publisher's estimate flag; null where it gives none)].
    poles : trade by pole per flow: [flow, pole, label, value_usd, share (0–1)]; shares sum to 1 per flow.
    memberships : organisations the country belongs to in ``year``: [organisation, organisation_name,
        kind, status, source, carried_forward, as_of, poles] (``poles``: the poles sharing it, ';'-joined).
    votes : counts of the country's UNGA roll-call votes in ``year``: {yes, no, abstain, absent, roll_calls};
        ``absent`` is None where the year's source does not record absences (unvotes).
    alignment : agreement with each pole in ``year``: [pole, label, agreement (0–1), kappa, n].
    energy : gas and oil by pole in ``year`` (:func:`tethers.analysis.dependence.dependence`'s energy section):
        [pole, label, gas_import_share, gas_export_share, gas_exports_bcm, gas_transit_share,
        oil_transit_share, transit_provided_bcm, transit_provided_share, pole_gas_from_share, pole_gas_via_share,
        pole_gas_from_or_via_share]; shares 0–1 (``pole_gas_*``: the pole's gas imports *from* this country (origin),
        *via* it (third countries' gas crossing it) and *from or via* it) (``transit`` = exports
        whose routes cross the pole; ``transit_provided`` = the pole's gas imports from third countries that
        cross this country, and its share of the pole's pipeline gas imports); null where the atlas has no data.
    sources : where each section's figures came from: [section, source, file, licence].
    notes : caveats a reader must see (coverage gaps, carried-forward memberships …).
    dimensions : every registered dimension split over the poles in ``year`` (:mod:`tethers.dimensions`):
        [dimension, part, unit, pole, label, value, share, status, coverage, basis, reason]; ``share`` null
        unless the coverage rule passes (then ``value`` is a level only).
    coverage : section → {status, coverage, basis, reason} (trade per flow: ``trade_import``, ``trade_export``).
    """

    country: str
    name: str
    year: int
    totals: dict[str, float]
    partners: pl.DataFrame
    poles: pl.DataFrame
    memberships: pl.DataFrame
    votes: dict[str, int | None]
    alignment: pl.DataFrame
    sources: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    energy: pl.DataFrame = field(default_factory=pl.DataFrame)
    dimensions: pl.DataFrame = field(default_factory=pl.DataFrame)
    coverage: dict[str, dict] = field(default_factory=dict)

    def tidy(self) -> dict[str, pl.DataFrame]:
        """Every section as a tidy Polars frame."""
        totals = pl.DataFrame({"flow": list(self.totals), "value_usd": list(self.totals.values())})
        votes = pl.DataFrame({"vote": list(self.votes), "count": list(self.votes.values())})
        return {"totals": totals, "partners": self.partners, "poles": self.poles, "memberships": self.memberships,
                "votes": votes, "alignment": self.alignment, "energy": self.energy, "dimensions": self.dimensions,
                "sources": self.sources}

    def to_dict(self) -> dict:
        return {
            "country": self.country, "name": self.name, "year": self.year, "totals_usd": self.totals,
            "partners": self.partners.to_dicts(), "poles": self.poles.to_dicts(),
            "memberships": self.memberships.to_dicts(), "votes": self.votes,
            "alignment": self.alignment.to_dicts(), "energy": self.energy.to_dicts(),
            "dimensions": self.dimensions.to_dicts(), "coverage": self.coverage, "sources": self.sources.to_dicts(),
            "notes": self.notes,
        }


def profile(country: str, year: int, *, atlas: Atlas | None = None, top: int = 10,
            poles: tuple[str, ...] = countries.POLE_ORDER) -> Profile:
    """Compute the dependency profile of ``country`` (any spelling) in ``year`` from the atlas."""
    from ..atlas.store import open_atlas

    iso3 = countries.resolve(country)
    own = atlas is None
    atlas = atlas or open_atlas()
    try:
        with atlas.memo():
            notes: list[str] = []
            totals, partners, pole_tbl, trade_src, cover = _trade_section(atlas, iso3, year, top, poles, notes)
            members, member_src = _membership_section(atlas, iso3, year, poles, notes)
            votes, align, vote_src = _votes_section(atlas, iso3, year, poles, notes)
            energy, energy_src = energy_by_pole(atlas, iso3, year, poles)
            dims, dim_cover = dimension_table(atlas, iso3, year, poles)
            sources = pl.concat([trade_src, member_src, vote_src, energy_src], how="vertical_relaxed").unique(
                maintain_order=True)
            return Profile(iso3, countries.name(iso3), year, totals, partners, pole_tbl, members, votes, align, sources,
                           notes, energy, dims, {**cover, **dim_cover})
    finally:
        if own:
            atlas.close()


def _provenance(atlas: Atlas, section: str, table: str, sources: list[str]) -> pl.DataFrame:
    prov = queries.provenance(atlas, table)
    prov = prov.filter(pl.col("source").is_in(sources)) if sources else prov.head(0)
    return prov.select(pl.lit(section).alias("section"), "source", "file", "licence").unique().sort("source", "file")


def _trade_section(atlas, iso3, year, top, poles, notes):
    """Trade totals, top partners and pole shares from :func:`tethers.dimensions.trade.overview` (the coverage
    rule decides whether shares are shown)."""
    from ..dimensions.trade import overview

    o = overview(atlas, iso3, year, top=top, poles=poles)
    cover = {f"trade_{flow}": c for flow, c in o["coverage"].items()}
    if not o["totals"]:
        notes.append(f"trade: {o['reason'] or 'no total trade in the atlas'}")
    for flow, c in o["coverage"].items():
        if c["status"] != "ok":
            notes.append(f"trade {flow}s: {c['reason']} — levels only, no shares")
    by_pole = o["poles"].filter(pl.col("status").is_not_null())
    return o["totals"], o["partners"], by_pole, _provenance(atlas, "trade", "trade", o["sources"]), cover


def dimension_table(atlas: Atlas, iso3: str, year: int, poles) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Every registered dimension's reading for ``year`` split over ``poles``: ``(frame, coverage by part)``."""
    from .. import dimensions as registry

    pole_ids = tuple(p for p in poles if p != "ROW")
    frames, cover = [], {}
    for dim in registry.registered():
        if not dim.parts:
            continue
        reading = dim.read(atlas, iso3, (year, year), pole_ids)
        units = {p.id: p.unit for p in dim.parts}
        sh = reading.shares(dim.parts)
        cov = reading.coverage.filter(pl.col("year") == year)
        for r in cov.iter_rows(named=True):
            cover[r["part"]] = {"dimension": dim.id, "status": r["status"], "coverage": r["coverage"],
                                "basis": r["basis"], "reason": r["reason"]}
        missing_parts = cov.join(sh.select("part").unique(), on="part", how="anti")
        sh = pl.concat([sh.drop("year"), missing_parts.select(
            "part", pl.lit(None, pl.Utf8).alias("pole"), pl.lit(None, pl.Float64).alias("value"),
            pl.lit(None, pl.Float64).alias("share"), "status", "coverage", "basis", "reason")],
            how="vertical_relaxed")
        frames.append(sh.with_columns(
            pl.lit(dim.id).alias("dimension"), pl.col("part").replace_strict(units).alias("unit"),
            pl.col("pole").replace_strict(countries.POLE_LABELS, default=pl.col("pole"), return_dtype=pl.Utf8)
            .alias("label")))
    cols = ["dimension", "part", "unit", "pole", "label", "value", "share", "status", "coverage", "basis", "reason"]
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(cols, pl.Utf8)), cover
    return pl.concat([f.select(cols) for f in frames], how="vertical_relaxed"), cover


ENERGY_METRICS = {  # profile column → metric of the dependence energy section
    "gas_import_share": "gas_import_share", "gas_export_share": "gas_export_share",
    "gas_exports_bcm": "gas_export_volume", "gas_transit_share": "gas_transit_share",
    "oil_transit_share": "oil_transit_share", "transit_provided_bcm": "gas_transit_provided",
    "transit_provided_share": "gas_transit_provided_pipeline_share",
    # the three named readings of "the pole's gas imports from / via / from or via this country"
    "pole_gas_from_share": "gas_imports_from_share", "pole_gas_via_share": "gas_imports_via_share",
    "pole_gas_from_or_via_share": "gas_imports_from_or_via_share",
}


def energy_by_pole(atlas, iso3, year, poles):
    """``(frame, sources)``: one row per named pole (columns as :attr:`Profile.energy`), from the energy section
    of :func:`tethers.analysis.dependence.dependence` (same definitions); ``sources`` [section, source, file, licence]."""
    from ..dimensions import energy as dep
    from ..dimensions.base import pole_members

    rows, sources = [], []
    for pole in [p for p in poles if p != "ROW"]:
        if not pole_members(pole, year, country=iso3):
            continue
        sec = dep.energy_section(iso3, pole, year, atlas=atlas)
        rows.append({"pole": pole, "label": countries.POLE_LABELS.get(pole, pole),
                     **{col: sec.value(metric) for col, metric in ENERGY_METRICS.items()}})
        sources.append(sec.sources.select(pl.lit("energy").alias("section"), "source", "file", "licence"))
    schema = {"pole": pl.Utf8, "label": pl.Utf8, **dict.fromkeys(ENERGY_METRICS, pl.Float64)}
    src = pl.concat(sources, how="vertical_relaxed").unique().sort("source", "file") if sources else None
    return pl.DataFrame(rows, schema=schema), src if src is not None else _provenance(atlas, "energy", "energy_flows", [])


def _membership_section(atlas, iso3, year, poles, notes):
    from ..measures.institutions import memberships_in_year, memberships_of

    table = queries.memberships(atlas)
    mine = memberships_in_year(table, iso3, year)
    pm = countries.pole_map(year, country=iso3, poles=poles)
    pole_sets: dict[str, set[str]] = {}
    for state, pole in pm.items():
        pole_sets.setdefault(pole, set()).add(state)
    # a pole shares an organisation when any of its states is a full member that year
    per_state: dict[str, set[str]] = {}
    if mine.height:
        full = memberships_of(table, set(pm), year).filter(pl.col("status") == "full")
        for s, org in full.select("country", "organisation").iter_rows():
            per_state.setdefault(s, set()).add(org)
    poles_col = []
    for org in mine["organisation"].to_list():
        shared = [p for p in poles if p in pole_sets and any(org in per_state.get(s, ()) for s in pole_sets[p])]
        poles_col.append(";".join(shared))
    mine = mine.with_columns(pl.Series("poles", poles_col, dtype=pl.Utf8))
    if mine.height and mine["carried_forward"].any():
        names = {"cow_igo": "the COW IGO data", "handkept": "the hand-kept table"}
        by_src = (mine.filter(pl.col("carried_forward")).group_by("source")
                  .agg(pl.len().alias("n"), pl.col("as_of").max()).sort("as_of"))
        parts = [f"{r['n']} from {names.get(r['source'], r['source'])} (last observed {r['as_of']})"
                 for r in by_src.iter_rows(named=True)]
        notes.append(f"memberships: organisations carried forward past their source's last observed year: "
                     f"{'; '.join(parts)}; the others are observed in {year}")
    used = sorted(mine["source"].unique().to_list()) if mine.height else []
    return mine, _provenance(atlas, "memberships", "memberships", used)


def _votes_section(atlas, iso3, year, poles, notes):
    from ..measures.alignment import pole_agreement

    v = queries.votes(atlas, year=year)
    mine = v.filter(pl.col("country") == iso3)
    counts: dict[str, int | None] = {k: int((mine["vote"] == k).sum()) for k in ("yes", "no", "abstain", "absent")}
    counts["roll_calls"] = int(v["rcid"].n_unique()) if v.height else 0
    if v.height and set(v["source"].unique()) <= queries.NO_ABSENCES:
        counts["absent"] = None  # the source records no absences
    if v.height == 0:
        notes.append(f"votes: the atlas has no UN General Assembly roll calls for {year}")
        align = pl.DataFrame(schema={"pole": pl.Utf8, "label": pl.Utf8, "agreement": pl.Float64,
                                     "kappa": pl.Float64, "n": pl.Int64})
        return counts, align, _provenance(atlas, "votes", "votes", [])
    src = sorted(v["source"].unique().to_list())
    if counts["roll_calls"] < 20:
        notes.append(f"votes: only {counts['roll_calls']} roll calls recorded for {year} (source: {', '.join(src)})")
    align = pole_agreement(v, country=iso3, year=year, poles=poles)
    align = align.with_columns(
        pl.col("pole").replace_strict(countries.POLE_LABELS, default=pl.col("pole")).alias("label")
    ).select("pole", "label", "agreement", "kappa", pl.col("n_roll_calls").alias("n"))
    return counts, align, _provenance(atlas, "votes", "votes", src)


def vote_record(country: str, resolution: str, *, atlas: Atlas) -> dict:
    """How ``country`` voted on ``resolution``, with the tally, title, date and source."""
    iso3 = countries.resolve(country)
    df = queries.vote_on(atlas, resolution)
    rcids = df["rcid"].unique().to_list()
    if len(rcids) > 1:  # several roll calls (paragraph votes): the one on the whole resolution has most votes
        rcid = df.group_by("rcid").len().sort("len", descending=True)["rcid"][0]
        df = df.filter(pl.col("rcid") == rcid)
    mine = df.filter(pl.col("country") == iso3)
    vote = mine["vote"][0] if mine.height else "absent"
    first = df.row(0, named=True)
    tally: dict[str, int | None] = {k: int((df["vote"] == k).sum()) for k in ("yes", "no", "abstain", "absent")}
    if first["source"] in queries.NO_ABSENCES:
        tally["absent"] = None  # the source records no absences
    prov = atlas.provenance("votes").filter(pl.col("source") == first["source"])
    return {
        "resolution": first["resolution"], "rcid": first["rcid"], "date": first["date"], "title": first["title"],
        "country": iso3, "country_name": countries.name(iso3), "vote": vote,
        "recorded": bool(mine.height), "tally": tally, "source": first["source"],
        "licence": prov["licence"][0] if prov.height else "",
    }
