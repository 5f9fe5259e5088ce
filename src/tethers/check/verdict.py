"""Deciding a claim against the atlas: the figures, the tolerance, the verdict.

Figures come from the public functions of tethers (no measure is re-implemented here):

* trade shares and ranks: :func:`tethers.atlas.queries.trade_totals` → :func:`tethers.measures.trade.partner_shares`;
* gas from / via: :func:`tethers.measures.transit.readings` (the three readings of "from/via") over
  :func:`tethers.atlas.queries_measures.energy_imports` and the hand-kept routes;
* UN votes: :func:`tethers.analysis.profile.vote_record`;
* memberships: :func:`tethers.measures.institutions.memberships_in_year`;
* currency: the ``fx`` table (:func:`tethers.atlas.queries_measures.fx_pair`);
* troops: the ``security_ties`` personnel columns;
* turnover: :func:`tethers.measures.turnover.turnover_by_basis` on the reporter and mirror bases.

Tolerances (docs/check.md)
--------------------------
A stated share ``x`` holds for a computed share ``f`` (both in percent) when: ``über/more than x``: f ≥ x;
``unter/less than x``: f ≤ x; ``rund/etwa/about/nearly x``: |f − x| ≤ 3 percentage points; a bare ``x``:
|f − x| ≤ 1 pp (rounding). Counts and US-dollar amounts: approximately ±10 %, bare ±5 % (an amount
on another basis or in another vintage differs by a few percent). A growth rate is a percentage: ±3 pp / ±1 pp.

Verdicts
--------
Each claim is evaluated over a grid of years × readings. ``supported``: every cell holds; ``not supported``:
none holds; ``depends on the reading``: in some year one reading holds and another does not; ``depends on the
year``: readings agree within each year but the years disagree; ``cannot check``: no cell has data (the
``needs`` field says what data would decide it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from .claims import Claim
from .extract import Quantity, usd_text

SUPPORTED, NOT_SUPPORTED = "supported", "not supported"
BY_READING, BY_YEAR, CANNOT = "depends on the reading", "depends on the year", "cannot check"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, BY_READING, BY_YEAR, CANNOT)

PP_APPROX = 3.0  # percentage points for "rund", "etwa", "about", "nearly"
PP_EXACT = 1.0  # a bare percentage: rounding to the nearest point
COUNT_APPROX = 0.10  # relative, for approximate counts
COUNT_EXACT = 0.05
STRONG_FALL = 10.0  # percent: "dramatisch", "stark", "sharply" — a currency's loss against the USD at least this
LOOKBACK = 5  # years before the text's present that a figure stated without a year is checked for
WINDOW_DAYS = 31  # a currency's fall after an event: the weakest rate within this many days


@dataclass(frozen=True)
class Figure:
    year: int | None
    reading: str
    value: float | None  # percent for shares, count, rank …
    unit: str
    holds: bool | None
    basis: str  # source, reporter or mirror, year, definition
    note: str = ""


@dataclass(frozen=True)
class Decision:
    verdict: str
    figures: tuple[Figure, ...]
    tolerance: str
    definition: str
    sources: tuple[str, ...] = ()
    needs: str = ""  # what data would decide a claim that cannot be checked
    reason: str = ""


@dataclass
class Context:
    """What every evaluator shares: the atlas, the year asked for, the text's events, and a cache."""

    atlas: object
    year: int | None
    events: list = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    def memo(self, key, fn):
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def years_for(self, claim: Claim, available: list[int]) -> list[int]:
        """The sentence's own years, else ``--year``, else the text's present: the years the data has from
        :data:`LOOKBACK` years before the latest event the text names (without one, before the latest year of
        data) to the latest year of data."""
        if claim.years:
            return list(claim.years)
        if self.year is not None:
            return [self.year]
        if not available:
            return []
        anchor = max(e.date.year for e in self.events) if self.events else max(available)
        return sorted(y for y in available if y >= anchor - LOOKBACK)

    def doc_year(self) -> int | None:
        """For states (memberships): ``--year``, else the year of the latest event the text names."""
        if self.year is not None:
            return self.year
        return self.event_year()

    def event_year(self) -> int | None:
        """For events (a deployment, a currency's fall, a vote): the year of the latest event the text names,
        else ``--year`` — a text about 2022 speaks of the 2022 deployment whatever year its statistics refer to."""
        return max(e.date.year for e in self.events) if self.events else self.year


def tolerance_text(q: Quantity | None) -> str:
    if q is None:
        return "exact (categorical)"
    if q.unit == "%":
        return {">=": f"holds for ≥ {q.value:g} %", "<=": f"holds for ≤ {q.value:g} %",
                "~": f"within ±{PP_APPROX:g} pp of {q.value:g} %",
                "=": f"within ±{PP_EXACT:g} pp of {q.value:g} % (rounding)"}[q.comparator]
    rel = COUNT_APPROX if q.comparator == "~" else COUNT_EXACT
    v = q.stated().lstrip("≥≤≈ ") if q.unit in ("USD", "EUR") else f"{q.value:,.0f}"
    return {">=": f"holds for ≥ {v}", "<=": f"holds for ≤ {v}"}.get(q.comparator, f"within ±{rel:.0%} of {v}")


def holds(value: float | None, q: Quantity) -> bool | None:
    """Whether a computed ``value`` (percent for shares) agrees with the stated quantity ``q``."""
    if value is None:
        return None
    if q.comparator == ">=":
        return value >= q.value - 1e-9
    if q.comparator == "<=":
        return value <= q.value + 1e-9
    if q.unit == "%":
        return abs(value - q.value) <= (PP_APPROX if q.comparator == "~" else PP_EXACT) + 1e-9
    rel = COUNT_APPROX if q.comparator == "~" else COUNT_EXACT
    return abs(value - q.value) <= rel * q.value + 1e-9


def combine(figures: list[Figure]) -> str:
    """The verdict over a grid of (year, reading) cells (see the module docstring)."""
    cells = [f for f in figures if f.holds is not None]
    if not cells:
        return CANNOT
    if all(f.holds for f in cells):
        return SUPPORTED
    if not any(f.holds for f in cells):
        return NOT_SUPPORTED
    by_year: dict[int | None, set[bool]] = {}
    for f in cells:
        by_year.setdefault(f.year, set()).add(bool(f.holds))
    if any(len(v) > 1 for v in by_year.values()):
        return BY_READING
    return BY_YEAR


def _signature(claim: Claim) -> tuple:
    """What a decision depends on: identical claims (a repeated sentence) are decided once."""
    q = claim.quantity
    params = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in claim.params.items()))
    return (claim.kind, params, (q.value, q.unit, q.comparator) if q else None, claim.years)


def decide(claim: Claim, ctx: Context) -> Decision:
    """The decision on ``claim`` (memoised per claim signature within one :func:`tethers.check.check` call)."""
    return ctx.memo(("decision", _signature(claim)), lambda: _decide(claim, ctx))


def _decide(claim: Claim, ctx: Context) -> Decision:
    fn = EVALUATORS.get(claim.kind)
    if fn is None:
        return Decision(CANNOT, (), "", "", needs="a measure for this kind of figure",
                        reason="no rule maps this sentence to a measure tethers computes")
    try:
        return fn(claim, ctx)
    except Exception as exc:  # a missing table or year is "cannot check", never a crash of the whole text
        from ..errors import TethersError

        if not isinstance(exc, TethersError):
            raise
        return Decision(CANNOT, (), tolerance_text(claim.quantity), "", reason=str(exc),
                        needs="the data named in the reason")


def _prov(ctx: Context, table: str, sources) -> tuple[str, ...]:
    return ctx.memo(("prov", table, tuple(sorted(set(sources)))), lambda: _prov_rows(ctx, table, sources))


def _prov_rows(ctx: Context, table: str, sources) -> tuple[str, ...]:
    prov = ctx.atlas.provenance(table).filter(pl.col("source").is_in(sorted(set(sources))))
    return tuple(f"{r['source']}: {r['file']} ({r['licence']})"
                 for r in prov.select("source", "file", "licence").unique().sort("source", "file").iter_rows(named=True))


# --------------------------------------------------------------------------------------------- trade

TRADE_DEF = ("partner share s = X(reporter←partner) / Σ_p X(reporter←p) of total goods trade (TOTAL rows) "
             "reported by the reporter, one source per year by precedence among those passing the coverage rule "
             "(dimensions.trade.best_rows: listed partners ≥ 95 % of the source's world total); "
             "measures.trade.partner_shares")


def _shares(ctx: Context, reporter: str) -> pl.DataFrame:
    """Partner shares per year and flow, with ``source`` and the coverage ``status`` of the chosen source."""
    from ..dimensions.trade import best_rows, reported_rows
    from ..measures.trade import partner_shares

    def run():
        rows = reported_rows(ctx.atlas, reporter, (1900, 2100))
        if rows.height == 0:
            from ..errors import DataNotAvailableError

            raise DataNotAvailableError(f"no total trade reported by {reporter} in the atlas")
        kept, chosen = best_rows(rows)
        info = chosen.select("year", "flow", "source", "status", "coverage")
        return partner_shares(kept, reporter=reporter).drop("source", strict=False).join(
            info, on=["year", "flow"], how="left")

    return ctx.memo(("shares", reporter), run)


def _years_info(shares: pl.DataFrame) -> dict[int, dict]:
    return {r["year"]: r for r in shares.select("year", "source", "status", "coverage").unique("year").iter_rows(named=True)}


def trade_share(claim: Claim, ctx: Context) -> Decision:
    p, q = claim.params, claim.quantity
    shares = _shares(ctx, p["reporter"]).filter(pl.col("flow") == p["flow"])
    info = _years_info(shares)
    figures = []
    for y in ctx.years_for(claim, sorted(info)):
        i = info.get(y)
        if i is None:
            figures.append(Figure(y, "", None, "%", None, "", f"no {p['flow']}s reported by {p['reporter']} for {y}"))
            continue
        basis = f"{i['source']}, reported by {p['reporter']}, {y}"
        if i["status"] != "ok":
            figures.append(Figure(y, "", None, "%", None, basis, f"coverage {i['status']}: no share (coverage rule)"))
            continue
        row = shares.filter((pl.col("year") == y) & (pl.col("partner") == p["partner"]))
        val = float(row["share"][0]) * 100 if row.height else 0.0  # not among the reporter's partners that year
        figures.append(Figure(y, "", val, "%", holds(val, q), basis))
    return Decision(combine(figures), tuple(figures), tolerance_text(q), TRADE_DEF,
                    _prov(ctx, "trade", shares["source"].drop_nulls().unique().to_list()),
                    needs="" if any(f.value is not None for f in figures) else
                    f"total goods {p['flow']}s of {p['reporter']} by partner for the year (BNS, Comtrade or IMF DOTS)")


def trade_rank(claim: Claim, ctx: Context) -> Decision:
    p = claim.params
    shares = _shares(ctx, p["reporter"])
    if p["flow"] != "trade":
        shares = shares.filter(pl.col("flow") == p["flow"])
    info = _years_info(shares)
    figures = []
    for y in ctx.years_for(claim, sorted(info)):
        yr = shares.filter(pl.col("year") == y).group_by("partner").agg(pl.col("value_usd").sum())
        if yr.height == 0:
            figures.append(Figure(y, "", None, "rank", None, "", f"no trade reported by {p['reporter']} for {y}"))
            continue
        basis = f"{info[y]['source']}, reported by {p['reporter']}, {y}"
        if shares.filter((pl.col("year") == y) & (pl.col("status") != "ok")).height:
            figures.append(Figure(y, "", None, "rank", None, basis, "coverage below the rule: no rank"))
            continue
        yr = yr.sort(["value_usd", "partner"], descending=[True, False])
        ranks = yr["partner"].to_list()
        rank = ranks.index(p["partner"]) + 1 if p["partner"] in ranks else None
        lead = "; ".join(f"{r['partner']} {r['value_usd'] / 1e9:.1f} bn USD" for r in yr.head(2).to_dicts())
        figures.append(Figure(y, "", float(rank) if rank else None, "rank", rank == p["rank"], basis,
                              f"largest: {lead}"))
    return Decision(combine(figures), tuple(figures), f"rank {p['rank']} exactly", TRADE_DEF.replace(
        "partner share s = X(reporter←partner) / Σ_p X(reporter←p)", "partner rank by value (imports + exports for "
        "'trade')"), _prov(ctx, "trade", shares["source"].drop_nulls().unique().to_list()))


# --------------------------------------------------------------------------------------------- gas

GAS_DEF = ("from: F/M, the share of the importer's gas imports M (pipeline + LNG, energy_flows) that come from the "
           "country; via: V/M, the third countries' flows whose operating pipeline route crosses the country (hand-kept "
           "routes, reached routes only); from or via: (F+V)/M, the two being disjoint (measures.transit.readings); "
           "M is the publisher's total imports of the importer, shares only where its partners cover >= 95 % of it "
           "(the gas coverage rule, dimensions.energy.gas_import_readings), else levels only")


def gas_share(claim: Claim, ctx: Context) -> Decision:
    from ..atlas import queries_measures as qm
    from ..dimensions.energy import gas_import_readings

    p, q = claim.params, claim.quantity
    imp, src = p["importer"], p["source"]
    have = ctx.memo(("gas_years", imp), lambda: ctx.atlas.sql(
        "SELECT DISTINCT year FROM energy_flows WHERE importer = ? AND exporter <> 'WLD' AND carrier = 'gas' "
        "ORDER BY 1", [imp])["year"].to_list())
    routes = ctx.memo(("routes", "gas"), lambda: qm.routes(ctx.atlas, carriers=("gas",)))
    wanted = list(p["readings"]) + (["from or via"] if len(p["readings"]) > 1 else [])
    figures, used = [], set()
    for y in ctx.years_for(claim, have):
        if y not in have:
            figures += [Figure(y, r, None, "%", None, "", f"no gas imports of {imp} in energy_flows for {y}")
                        for r in wanted]
            continue
        imports = ctx.memo(("gas_imports", imp, y), lambda y=y: qm.energy_imports(ctx.atlas, [imp], year=y, carrier="gas"))
        used.update(imports["source"].unique().to_list())
        rd, status, why = ctx.memo(("readings", imp, src, y),
                                   lambda y=y: gas_import_readings(ctx.atlas, [imp], src, y, routes))
        for r in rd.filter(pl.col("reading").is_in(wanted)).iter_rows(named=True):
            share = r["share"] * 100 if r["share"] is not None and r["share"] == r["share"] else None
            basis = {"from": f"energy_flows, {imp} gas imports from {src}, {y}",
                     "via": f"energy_flows × hand-kept routes, {imp} gas imports crossing {src}, {y}",
                     "from or via": f"energy_flows × hand-kept routes, the sum of both, {y}"}[r["reading"]]
            note = (f"{r['volume']:.1f} of {r['imports']:.1f} {r['unit']} (the publisher's total imports; partners "
                    f"cover {r['coverage']:.1%})" if status == "ok" else
                    f"{status}: {why} — levels only: {r['volume']:.1f} {r['unit']} of {r['partners']:.1f} from partners")
            figures.append(Figure(y, r["reading"], share, "%", holds(share, q), basis, note))
    return Decision(combine(figures), tuple(figures), tolerance_text(q), GAS_DEF,
                    _prov(ctx, "energy_flows", used) + _prov(ctx, "routes", ["handkept"]),
                    needs="" if any(f.value is not None for f in figures)
                    else f"gas trade of {imp} by partner (Energy Institute statistical review) and pipeline routes")


# --------------------------------------------------------------------------------------------- votes

VOTE_DEF = ("the country's recorded vote on the UN General Assembly roll call that answered the event the text "
            "names (analysis.profile.vote_record; the roll call on the whole resolution)")


def un_vote(claim: Claim, ctx: Context) -> Decision:
    from ..analysis.profile import vote_record

    p = claim.params
    if not p.get("resolution"):
        return Decision(CANNOT, (), "exact", VOTE_DEF, reason=f"which roll call of {p.get('year') or 'the year'} the "
                        "text means is not known", needs="the resolution symbol (e.g. A/RES/68/262) or an event "
                        "tethers knows (check.entities.EVENTS)")
    rec = ctx.memo(("vote", p["country"], p["resolution"]),
                   lambda: vote_record(p["country"], p["resolution"], atlas=ctx.atlas))
    year = rec["date"].year
    tally = ", ".join(f"{k} {v}" for k, v in rec["tally"].items() if v is not None)
    fig = Figure(year, "", None, "vote", rec["vote"] == p["vote"],
                 f"{rec['source']}, {rec['resolution']} of {rec['date']}",
                 f"{rec['country']} voted {rec['vote']}; '{rec['title']}'; tally {tally}")
    return Decision(combine([fig]), (fig,), "the recorded vote equals the stated one", VOTE_DEF,
                    (f"{rec['source']} ({rec['licence']})",), reason=f"{rec['resolution']}: {rec['vote']}")


# --------------------------------------------------------------------------------------------- memberships

MEMBER_DEF = ("membership spell of the country in the organisation covering the year (measures.institutions."
              "memberships_in_year; hand-kept spells authoritative, COW IGO spells observed to 2014 carried forward)")


def membership(claim: Claim, ctx: Context) -> Decision:
    from ..atlas import queries
    from ..measures.institutions import memberships_in_year

    p = claim.params
    table = ctx.memo(("memberships",), lambda: queries.memberships(ctx.atlas))
    latest = int(table["as_of"].max()) if "as_of" in table.columns and table.height else None
    years = list(claim.years) or ([ctx.doc_year()] if ctx.doc_year() else ([latest] if latest else []))
    figures, used = [], set()
    for y in years:
        for c in p["countries"]:
            mine = ctx.memo(("member", c, y), lambda c=c, y=y: memberships_in_year(table, c, y))
            hit = mine.filter(pl.col("organisation") == p["organisation"])
            ok = hit.height > 0
            status = hit["status"][0] if ok else "not a member"
            src = hit["source"][0] if ok else "memberships"
            used.update(hit["source"].to_list())
            carried = bool(hit["carried_forward"][0]) if ok and "carried_forward" in hit.columns else False
            figures.append(Figure(y, c, None, "membership", ok, f"{src}, {y}",
                                  status + (" (carried forward)" if carried else "")))
    return Decision(combine(figures), tuple(figures), "membership in the year", MEMBER_DEF,
                    _prov(ctx, "memberships", used))


# --------------------------------------------------------------------------------------------- currency

FX_DEF = ("loss of value against the US dollar L = 1 − e₀ / e₁ (e: units per USD) between the last rate before the "
          "event the text names and the weakest rate within 31 days after it (without an event: first and weakest "
          f"rate of the year); 'dramatically'/'sharply' read as L ≥ {STRONG_FALL:g} %")


def _fx_series(ctx: Context, currency: str) -> pl.DataFrame:
    """One source per currency: daily before monthly, then the source with most rows."""
    def run():
        df = ctx.atlas.sql("SELECT * FROM fx WHERE currency = ?", [currency])
        if df.height == 0:
            return df
        best = (df.group_by("source", "frequency").len()
                .with_columns((pl.col("frequency") == "daily").alias("d"))
                .sort(["d", "len", "source"], descending=[True, True, False]).row(0, named=True))
        return df.filter((pl.col("source") == best["source"]) & (pl.col("frequency") == best["frequency"])).sort("date")
    return ctx.memo(("fx", currency), run)


def _loss(series: pl.DataFrame, start: dt.date, end: dt.date) -> tuple[float | None, str]:
    rate = next(c for c in series.columns if c in ("rate", "per_usd", "value"))
    before = series.filter(pl.col("date") < start).tail(1)
    after = series.filter((pl.col("date") >= start) & (pl.col("date") <= end))
    if before.height == 0 or after.height == 0:
        return None, f"no rates around {start} – {end}"
    e0 = float(before[rate][0])
    peak = after.sort(rate, descending=True).row(0, named=True)
    return (1 - e0 / float(peak[rate])) * 100, f"{e0:,.2f} on {before['date'][0]} → {float(peak[rate]):,.2f} on {peak['date']}"


def currency(claim: Claim, ctx: Context) -> Decision:
    p, q = claim.params, claim.quantity
    ev = max(ctx.events, key=lambda e: e.date) if ctx.events else None
    year = claim.years[0] if claim.years else ctx.event_year()
    if year is None:
        return Decision(CANNOT, (), "", FX_DEF, reason="the text names no year or event for the fall",
                        needs="--year")
    if ev and ev.date.year == year:
        start, end = ev.date, ev.date + dt.timedelta(days=WINDOW_DAYS)
    else:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    figures, sources = [], []
    for cur in [p["currency"]] + ([p["compare"]] if p.get("compare") else []):
        s = _fx_series(ctx, cur)
        if s.height == 0:
            figures.append(Figure(year, cur, None, "%", None, "", f"the atlas has no {cur} rates"))
            continue
        loss, how = _loss(s, start, end)
        ok = None
        if cur == p["currency"] and loss is not None:
            ok = holds(loss, q) if q else (loss >= STRONG_FALL if p.get("strong") else loss > 0)
        figures.append(Figure(year, cur, loss, "% lost against USD", ok,
                              f"{s['source'][0]} {s['frequency'][0]} {cur} per USD, {start} – {end}", how))
        sources.append(s["source"][0])
    main = [f for f in figures if f.reading == p["currency"]]
    tol = tolerance_text(q) if q else (f"loss ≥ {STRONG_FALL:g} % ('dramatically')" if p.get("strong") else "loss > 0")
    need = "" if main and main[0].value is not None else \
        f"daily {p['currency']} per USD rates around {start} (NBK official rates or an Investing.com/Yahoo export)"
    return Decision(combine(main), tuple(figures), tol, FX_DEF, _prov(ctx, "fx", sources), needs=need)


# --------------------------------------------------------------------------------------------- troops

TROOPS_DEF = ("personnel of the foreign deployment in the host country active in the year (security_ties: the "
              "operation row if there is one, else the sum of the contingents; deployed vs announced shown)")


def troops(claim: Claim, ctx: Context) -> Decision:
    p, q = claim.params, claim.quantity
    year = claim.years[0] if claim.years else ctx.event_year()
    cols = ctx.atlas.sql("DESCRIBE security_ties")["column_name"].to_list()
    ties = ctx.atlas.sql("SELECT * FROM security_ties WHERE country = ? AND kind = 'deployment'", [p["host"]])
    if year is not None:
        ties = ties.filter((pl.col("start_date").dt.year() <= year)
                           & (pl.col("end_date").is_null() | (pl.col("end_date").dt.year() >= year)))
    org = p.get("organisation")
    if org and ties.height:
        named = ties.filter(pl.col("name").str.contains(f"(?i){org}"))
        ties = named if named.height else ties
    label = ", ".join(sorted(ties["name"].unique().to_list())) or f"deployments in {p['host']}"
    if "personnel" not in cols:
        return Decision(CANNOT, (), tolerance_text(q), TROOPS_DEF,
                        reason="the security_ties table has no personnel column in this atlas",
                        needs=f"a numeric personnel figure for {label} (security_ties.personnel, hand-kept, cited)")
    if ties.height == 0:
        return Decision(CANNOT, (), tolerance_text(q), TROOPS_DEF,
                        reason=f"no deployment in {p['host']} in {year} in security_ties",
                        needs=f"the deployment and its personnel in security_ties for {p['host']}, {year}")
    figures = []
    op = ties.filter(pl.col("personnel_scope") == "operation") if "personnel_scope" in cols else ties.head(0)
    rows = op if op.height else ties.filter(pl.col("personnel").is_not_null())
    for basis_col, reading in (("personnel", "deployed"), ("personnel_announced", "announced")):
        if basis_col not in cols:
            continue
        vals = rows[basis_col].drop_nulls()
        if vals.len() == 0:
            continue
        total = float(vals.sum())
        basis = rows["personnel_basis"].drop_nulls().unique().to_list() if "personnel_basis" in cols else []
        read = reading if basis_col == "personnel_announced" else ("/".join(basis) or reading)
        cites = rows["personnel_citation"].drop_nulls().unique().to_list() if "personnel_citation" in cols else []
        figures.append(Figure(year, read, total, "persons", holds(total, q),
                              f"security_ties ({'operation row' if op.height else 'sum of contingents'}), {label}",
                              "; ".join(cites)[:300]))
    if not figures:
        return Decision(CANNOT, (), tolerance_text(q), TROOPS_DEF, reason=f"no personnel figure for {label}",
                        needs=f"security_ties.personnel for {label}")
    return Decision(combine(figures), tuple(figures), tolerance_text(q), TROOPS_DEF,
                    _prov(ctx, "security_ties", ties["source"].unique().to_list()))


# --------------------------------------------------------------------------------------------- share prices

PRICE_DEF = ("fall in value L = 1 − P_min / P₀ of the listing's closing price: P₀ the last close before the event "
             "the text names, P_min the lowest close within 31 days after it")


def share_price(claim: Claim, ctx: Context) -> Decision:
    from .prices import price_series

    p, q = claim.params, claim.quantity
    series = price_series(ctx.cache.get("__prices__", {}), p["ticker"])
    ev = max(ctx.events, key=lambda e: e.date) if ctx.events else None
    need = (f"daily closing prices of {p['company']} ({p['ticker']}, {p['listing']}) around "
            f"{ev.date if ev else 'the date meant'}: an Investing.com or Yahoo 'Historical Data' export passed as "
            f"`--prices {p['ticker'].split(':')[-1]}=FILE` (tethers has no share-price table; sources/market.py reads "
            "exchange rates only)")
    if series is None:
        return Decision(CANNOT, (), tolerance_text(q), PRICE_DEF, reason="no share prices loaded", needs=need)
    start = ev.date if ev else series["date"].min()
    end = start + dt.timedelta(days=WINDOW_DAYS)
    before = series.filter(pl.col("date") < start).tail(1)
    after = series.filter((pl.col("date") >= start) & (pl.col("date") <= end))
    if before.height == 0 or after.height == 0:
        return Decision(CANNOT, (), tolerance_text(q), PRICE_DEF, reason=f"the price file has no closes around {start}",
                        needs=need)
    p0 = float(before["close"][0])
    low = after.sort("close").row(0, named=True)
    loss = (1 - low["close"] / p0) * 100
    fig = Figure(start.year, "", loss, "% lost", holds(loss, q), f"{series['file'][0]}, {start} – {end}",
                 f"{p0:,.4g} on {before['date'][0]} → {low['close']:,.4g} on {low['date']}")
    return Decision(combine([fig]), (fig,), tolerance_text(q), PRICE_DEF, (str(series["file"][0]),))


# --------------------------------------------------------------------------------------------- turnover

TURNOVER_DEF = ("turnover TO = exports + imports of goods (TOTAL rows) between the country and the partner (for the "
                "EU: its member states in the year checked, in both years of a growth), growth = TO_y / TO_(y−1) − 1; "
                "each reading is one basis: the country's own statistics (reporter) or the partner's (mirror: their "
                "exports are its imports and vice versa), one source per reporter and year by precedence; "
                "measures.turnover.turnover_by_basis")


def _turnover_rows(ctx: Context, country: str, partners: tuple[str, ...], aggregate: str | None) -> pl.DataFrame:
    """Canonical TOTAL trade rows for both bases, one source per (reporter, year) by :data:`TRADE_PRECEDENCE`."""
    from ..atlas.queries import TRADE_PRECEDENCE

    def run():
        reps = sorted({*partners, *([aggregate] if aggregate else [])})
        t = ctx.atlas.sql(
            "SELECT * FROM trade WHERE classification = 'TOTAL' AND ((reporter = ? AND list_contains(?::VARCHAR[], "
            "partner)) OR (partner = ? AND list_contains(?::VARCHAR[], reporter)))",
            [country, sorted(partners), country, reps])
        rank = pl.col("source").replace_strict({v: i for i, v in enumerate(TRADE_PRECEDENCE)},
                                               default=len(TRADE_PRECEDENCE), return_dtype=pl.Int32)
        t = t.with_columns(__r=rank)
        best = t.group_by("reporter", "year").agg(pl.col("__r").min())
        return t.join(best, on=["reporter", "year", "__r"]).drop("__r")

    return ctx.memo(("turnover_rows", country, partners, aggregate), run)


FLOW_DEF = ("the country's exports to (or imports from) the partner, goods (TOTAL rows), or its growth over the year "
            "before; two readings: the country's own statistics (reporter basis) and the partner's (mirror basis, "
            "the partner's imports standing for the country's exports), in US dollars (a euro amount, or a growth "
            "stated with one, cannot be checked: the atlas holds dollars); measures.turnover.turnover_by_basis")


def turnover(claim: Claim, ctx: Context) -> Decision:
    """A turnover or trade-flow claim (amount or growth) on the reporter and the mirror basis."""
    from ..countries import eu_members
    from ..measures.turnover import turnover_by_basis

    p, q = claim.params, claim.quantity
    country, partner, level = p["country"], p["partner"], p["measure"] == "level"
    col = {"export": "exports", "import": "imports"}.get(p.get("flow", ""), "turnover")
    definition = TURNOVER_DEF if col == "turnover" else FLOW_DEF
    if p.get("currency", "USD") != "USD":
        return Decision(CANNOT, (), tolerance_text(q), definition,
                        reason="the atlas holds trade in US dollars (Eurostat's euros converted month by month), so a "
                               "euro amount, or a growth stated with one, cannot be recomputed exactly",
                        needs="the publisher's own euro values (e.g. Eurostat Comext in EUR) for both years")
    aggregate = "EUU" if partner == "EU27" else None
    members = lambda y: tuple(sorted(eu_members(y))) if partner == "EU27" else (partner,)  # noqa: E731
    avail = ctx.memo(("trade_years", country), lambda: ctx.atlas.sql(
        "SELECT DISTINCT year FROM trade WHERE reporter = ? AND classification = 'TOTAL' ORDER BY year",
        [country])["year"].to_list())
    figures, sources = [], set()
    for y in ctx.years_for(claim, avail):
        rows = _turnover_rows(ctx, country, members(y), aggregate)
        for r in turnover_by_basis(rows, country, members(y), years=(y - 1, y), aggregate=aggregate).to_dicts():
            reading = f"{r['basis']} basis"
            sources |= {x for x in r["sources"].split(", ") if x}
            v0, v1 = r[f"{col}0"], r[f"{col}1"]
            val = v1 if level else (100 * (v1 / v0 - 1) if v0 and v1 is not None else None)
            who = f"reported by {country}" if r["basis"] == "reporter" else \
                "reported by the partner, its exports and imports swapped"
            basis = f"{r['sources'] or 'no rows'}, {r['basis']} basis ({who}), {y}" + ("" if level else f" over {y - 1}")
            if val is not None:
                basis += ": " + ", ".join(f"{k} {usd_text(r[f'{k}1'])}" for k in ("exports", "imports")
                                          if r[f"{k}1"] is not None)
            figures.append(Figure(y, reading, val, "USD" if level else "%", holds(val, q), basis,
                                  "" if val is not None else r["reason"] or "no data"))
    return Decision(combine(figures), tuple(figures), tolerance_text(q), definition,
                    _prov(ctx, "trade", sorted(sources)),
                    needs="" if any(f.value is not None for f in figures) else
                    f"total goods exports and imports between {country} and {partner} for the year and the year before")


EVALUATORS = {"trade_share": trade_share, "trade_rank": trade_rank, "gas_share": gas_share, "un_vote": un_vote,
              "membership": membership, "currency": currency, "troops": troops, "share_price": share_price,
              "turnover": turnover, "trade_flow": turnover}
