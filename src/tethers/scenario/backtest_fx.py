"""The currency and price rows of :func:`tethers.scenario.engine.backtest` (fx channel), each with its own
simulated figure: the shock month, the largest move from daily official rates (the target's and the
country's currency), the annual average, Dec/Dec, and consumer prices as excess and as the level of
inflation. Observed figures come from the atlas (monthly CBR compilation; daily ``cbr_dynamics`` and
``nbk``; ``kz_cpi``); every row names its basis. When the imported-inflation channel (``prices``) ran, the
CPI rows are the sum fx + prices (draw by draw) and two more rows show each part of the Dec/Dec excess.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from .channels.fx import daily_or_monthly, decdec_inflation, pick_calibration
from .spec import ScenarioSpec

__all__ = ["fx_backtest_rows", "peak_move", "decdec_change", "combined_band"]


def peak_move(rates: pl.DataFrame, *, shock_date: dt.date, end: dt.date) -> dict | None:
    """From the last rate dated before ``shock_date`` to the highest rate up to ``end``:
    ``{eve, eve_date, peak, peak_date, move}`` with ``move = peak / eve − 1``; None without data on both sides."""
    r = rates.sort("date")
    before = r.filter(pl.col("date") < shock_date)
    after = r.filter((pl.col("date") >= shock_date) & (pl.col("date") <= end))
    if before.height == 0 or after.height == 0:
        return None
    top = after.sort(["per_usd", "date"], descending=[True, False]).row(0, named=True)
    eve = before.row(-1, named=True)
    return {"eve": eve["per_usd"], "eve_date": eve["date"], "peak": top["per_usd"], "peak_date": top["date"],
            "move": top["per_usd"] / eve["per_usd"] - 1.0}


def decdec_change(fx: pl.DataFrame, currency: str, year: int) -> tuple[float | None, str]:
    """The currency's change per USD from December of ``year − 1`` to December of ``year`` (first-of-month
    monthly rates of one publisher), and the basis."""
    m = fx.filter((pl.col("frequency") == "monthly") & (pl.col("currency") == currency))
    for src in sorted(m["source"].unique().to_list()):
        s = m.filter(pl.col("source") == src)
        a = s.filter(pl.col("date") == dt.date(year, 12, 1))["per_usd"]
        b = s.filter(pl.col("date") == dt.date(year - 1, 12, 1))["per_usd"]
        if a.len() and b.len():
            return float(a[0] / b[0] - 1.0), f"{src} monthly, 1 Dec {year - 1} → 1 Dec {year}"
    return None, "no December rates"


def combined_band(res, parts: list[tuple[str, str]]) -> tuple:
    """Central value and p5/p95 of the sum of channel metrics (every detail), summed draw by draw (the same
    draw index in each channel); ``(None, None, None)`` without a central value."""
    from .observed import _central_value, _draw_values

    cs = [_central_value(res, ch, metric, "") for ch, metric in parts]
    if any(c is None for c in cs):
        return None, None, None
    series = [_draw_values(res, ch, metric, "") for ch, metric in parts]
    if any(s.len() == 0 for s in series) or len({s.len() for s in series}) != 1:
        return float(sum(cs)), None, None
    tot = series[0]
    for s in series[1:]:
        tot = tot + s
    return (float(sum(cs)), float(tot.quantile(0.05, "linear")), float(tot.quantile(0.95, "linear")),
            tot.to_numpy().astype(float))


def fx_backtest_rows(res, fx: pl.DataFrame, prices: pl.DataFrame, *, spec: ScenarioSpec, iso3: str, cur: str | None,
                     tgt: str | None, base_year: int, outcome_year: int) -> tuple[list[dict], list[str]]:
    """Rows ``[indicator, unit, simulated, p5, p95, observed, error, basis]`` and notes (see the module)."""
    from .observed import _fx_observed

    rows: list[dict] = []
    notes: list[str] = []
    fx_obs, fx_src = _fx_observed(fx, cur, tgt, outcome_year, base_year) if cur and tgt else ({}, "")
    # the shock month is the target's: found from its own rates when the country's currency has none
    shock = fx_obs.get("shock_date") if cur else (
        _fx_observed(fx, tgt, tgt, outcome_year, base_year)[0].get("shock_date") if tgt else None)
    when = f"{shock:%Y-%m}" if shock else "n/a"
    if cur is None:
        notes.append(f"fx: no currency rows: the atlas does not know {iso3}'s currency or has no rates for it")
    else:
        rows += _currency_rows(res, fx, fx_obs, fx_src, spec=spec, cur=cur, tgt=tgt, when=when, base_year=base_year,
                               outcome_year=outcome_year)
    cpi_rows, cpi_notes = _cpi_rows(res, prices, spec=spec, iso3=iso3, cur=cur, shock=shock, when=when,
                                    base_year=base_year, outcome_year=outcome_year)
    rows += cpi_rows
    notes += cpi_notes
    if fx_obs.get("target_shock_month") is not None:
        notes.append(f"observed {tgt} change in {when}: {fx_obs['target_shock_month']:+.1%} (monthly data); the fx "
                     "channel's shock is estimated on another episode of the target's currency (see the fx notes: "
                     "estimation window and test window do not overlap)")
    return rows, notes


def _currency_rows(res, fx: pl.DataFrame, fx_obs: dict, fx_src: str, *, spec: ScenarioSpec, cur: str, tgt: str | None,
                   when: str, base_year: int, outcome_year: int) -> list[dict]:
    """The exchange-rate rows: shock month, largest daily moves, annual average, Dec/Dec."""
    from .observed import _band, _bt_row

    def sim(metric: str) -> tuple:
        return _band(res, "fx", metric, "", lambda v: v)

    rows: list[dict] = []
    rows.append(_bt_row(f"{cur} per USD, month of the largest {tgt} fall ({when})", "share",
                        sim("currency_depreciation"), fx_obs.get("shock_month"), f"fx channel; {fx_src} monthly"))
    # the largest move from daily official rates, from the eve of the scenario's own shock date
    own = pick_calibration(tgt, start_year=spec.start_year, base_year=base_year)[1] if tgt else None
    if own is not None and own.end.year >= outcome_year >= own.start.year:
        end = min(own.end, dt.date(outcome_year, 12, 31))
        for code, metric in ((tgt, "target_peak_move"), (cur, "currency_peak_move")):
            try:
                rates, freq, src = daily_or_monthly(fx, code)
            except Exception:  # noqa: BLE001 - no series: the row says so
                rates, freq, src = pl.DataFrame(), "", ""
            pk = peak_move(rates, shock_date=own.shock_date, end=end) if rates.height else None
            if pk is None:
                basis = f"fx channel; no {code} rates around {own.shock_date}"
                label = f"{code} per USD, largest move after {own.shock_date}"
            else:
                basis = (f"fx channel; {src} {freq} official: {pk['eve']:.4f} on {pk['eve_date']} → "
                         f"{pk['peak']:.4f} on {pk['peak_date']}")
                label = f"{code} per USD, largest move after {own.shock_date} ({freq})"
            rows.append(_bt_row(label, "share", sim(metric), pk["move"] if pk else None, basis))
    rows.append(_bt_row(f"{cur} per USD, annual average {base_year}→{outcome_year}", "share",
                        sim("currency_annual_change"), fx_obs.get("annual"), f"fx channel; {fx_src} monthly"))
    dd, dd_basis = decdec_change(fx, cur, outcome_year)
    rows.append(_bt_row(f"{cur} per USD, Dec/Dec {outcome_year}", "share", sim("currency_decdec_change"), dd,
                        f"fx channel; {dd_basis}"))
    return rows


def _cpi_rows(res, prices: pl.DataFrame, *, spec: ScenarioSpec, iso3: str, cur: str | None, shock, when: str,
              base_year: int, outcome_year: int) -> tuple[list[dict], list[str]]:
    """The consumer-price rows (fx + imported inflation where both ran), each naming its CPI source."""
    from .observed import _band, _bt_row, _central_value, _cpi_observed

    def sim(metric: str) -> tuple:
        return _band(res, "fx", metric, "", lambda v: v)

    rows: list[dict] = []
    notes: list[str] = []
    own = prices.filter(pl.col("country") == iso3)
    src = ", ".join(sorted(own["source"].unique().to_list())) or "no CPI in the atlas"
    how = "index levels" if own.filter(pl.col("measure") == "level").height else "chained m/m"
    cpi = _cpi_observed(prices, iso3, outcome_year, base_year, shock)
    # with the imported-inflation channel (prices) the CPI rows are fx + prices, draw by draw, and each part
    imp = "prices" in res.channels and _central_value(res, "prices", "cpi_decdec_excess_pp", "") is not None
    both = " + imported inflation (prices channel, γ_h)" if imp else ""

    def cpi_sim(metric: str, *, level: bool = False) -> tuple:
        if not imp:
            return sim(metric)
        return combined_band(res, [("fx", metric), ("prices", "cpi_decdec_excess_pp" if level else metric)])

    rows.append(_bt_row(f"CPI m/m {when} minus mean m/m {base_year}", "pp", cpi_sim("cpi_shock_month_pp"),
                        cpi.get("shock_month"), f"fx channel (local projection θ_0){both}; {src} all items",
                        control="cpi:shock_month"))
    rows.append(_bt_row(f"CPI Dec/Dec {outcome_year} minus {base_year}", "pp", cpi_sim("cpi_decdec_excess_pp"),
                        cpi.get("decdec_excess"),
                        f"fx channel (local projection θ_0…θ_11){both}; {src} all items, {how}",
                        control="cpi:decdec_excess"))
    if imp:
        rows.append(_bt_row(f"CPI Dec/Dec {outcome_year} minus {base_year}: fx part", "pp", sim("cpi_decdec_excess_pp"),
                            None, "fx channel alone (KZT path × θ_h)"))
        rows.append(_bt_row(f"CPI Dec/Dec {outcome_year} minus {base_year}: imported-inflation part", "pp",
                            _band(res, "prices", "cpi_decdec_excess_pp", "", lambda v: v), None,
                            f"prices channel alone (target's excess inflation × γ_h, at a given {cur} rate)"))
    level = decdec_inflation(prices, iso3, outcome_year)
    rows.append(_bt_row(f"CPI Dec/Dec {outcome_year}, level of inflation (%)", "pp", cpi_sim("cpi_decdec_pp", level=True),
                        level,
                        f"fx channel{both}: {base_year} Dec/Dec + simulated excess; {src} all items, {how}"
                        + (" (published by the BNS: 20.3 % for 2022)" if outcome_year == 2022 and iso3 == "KAZ"
                           and src == "kz_cpi" else ""),
                        control="cpi:decdec_excess"))
    if outcome_year != spec.start_year:
        notes.append(f"fx: the simulated currency path and its CPI effect cover the scenario's start year "
                     f"{spec.start_year} only; the {outcome_year} rows compare that year's simulated figures with "
                     f"{outcome_year}'s observations (no second-year dynamics)")
    return rows, notes
