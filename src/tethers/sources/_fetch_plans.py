"""Fetch plans: which public files make up each fetchable source, and where they live.

:func:`plan` turns a source id and its parameters into a list of :class:`Download` s. It is pure (no
network, no disk): every URL pattern below was looked up in 2026-11 in stored copies of the
publishers' pages or of public code that calls them; where one could not be confirmed the planner's
docstring says so. :mod:`tethers.sources._fetch` runs a plan.

Fetchable sources and their parameters
--------------------------------------
=================  ==========================================================================
``comtrade``       ``reporter`` (required), ``year``/``years`` (required), ``partner`` (default
                   all partners), ``cmd`` (default ``TOTAL``), ``flow`` (default ``M,X``)
``baci``           ``year``/``years`` (required), ``revision`` (default ``HS17``), ``version``
                   (default :data:`BACI_VERSION`)
``unvotes``        none
``cbr``            ``date`` | ``dates`` | ``start`` + ``end`` [+ ``every`` = ``day`` | ``month``]
``nbk``            as ``cbr``
``gem``            ``tracker`` = ``gas`` | ``oil`` | ``all`` (default ``all``)
``cepii_geodist``  none
=================  ==========================================================================

Years accept ``2021``, ``"2021"``, ``"2019-2021"``, ``"2019,2021"`` or a list; dates accept
``datetime.date`` or ``"YYYY-MM-DD"``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..errors import FetchError, UnknownSourceError

Converter = Callable[[bytes], str]


@dataclass(frozen=True)
class Download:
    """One public file to fetch into a source's cache folder.

    Attributes
    ----------
    url : the public URL.
    filename : the file's name in the cache folder.
    sha256, size : what the publisher states, when it does (verified after download); else None.
    extract : zip members (base names) to unpack next to the archive; these are what a loader reads.
    convert : pure function raw bytes → text, written to ``output`` (e.g. Comtrade JSON → CSV).
    output : name of the converted file in the cache folder.
    entry : whether the file is handed to the loader; False for a companion file the loader finds next
        to another (the unvotes roll-call and issue tables beside ``un_votes.csv``).
    """

    url: str
    filename: str
    sha256: str | None = None
    size: int | None = None
    extract: tuple[str, ...] = ()
    convert: Converter | None = None
    output: str | None = None
    entry: bool = True

    def outputs(self) -> tuple[str, ...]:
        """Names (in the cache folder) of the files to hand to the loader once this download is done."""
        if not self.entry:
            return ()
        if self.extract:
            return self.extract
        if self.output:
            return (self.output,)
        return (self.filename,)


# --------------------------------------------------------------------------------------------
# parameter parsing (validation at the boundary; each message names the source and the parameter)
# --------------------------------------------------------------------------------------------


def _bad(source: str, param: str, reason: str) -> FetchError:
    return FetchError(f"{source}: parameter '{param}': {reason}")


def _check_params(source: str, params: Mapping[str, Any], allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    extra = sorted(set(params) - set(allowed))
    if extra:
        accepted = ", ".join(allowed) if allowed else "none"
        raise FetchError(f"{source}: unknown parameter(s) {', '.join(extra)}; accepted: {accepted}")


def _years(source: str, params: Mapping[str, Any], *, lo: int, hi: int) -> list[int]:
    """``year`` or ``years`` → sorted distinct ints in [lo, hi]."""
    if "year" in params and "years" in params:
        raise _bad(source, "year", "give either 'year' or 'years', not both")
    key = "years" if "years" in params else "year"
    value = params.get(key)
    if value is None:
        raise _bad(source, "year", "required (e.g. year=2021 or years='2019-2021')")
    items: list[Any] = list(value) if isinstance(value, list | tuple | set | range) else [value]
    out: set[int] = set()
    for item in items:
        for part in str(item).replace(" ", "").split(","):
            m = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", part)
            if not m:
                raise _bad(source, key, f"{part!r} is not a year or a range like 2019-2021")
            a, b = int(m[1]), int(m[2] or m[1])
            if a > b:
                raise _bad(source, key, f"{part!r}: the range runs backwards")
            out.update(range(a, b + 1))
    bad = sorted(y for y in out if not lo <= y <= hi)
    if bad:
        raise _bad(source, key, f"{bad[0]} is outside the years available ({lo}-{hi})")
    return sorted(out)


def _date(source: str, param: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _bad(source, param, f"{value!r} is not a date (YYYY-MM-DD)") from None


MAX_DAILY_REQUESTS = 4000  # about eleven years of daily files; more is almost surely a typo


def _dates(source: str, params: Mapping[str, Any], *, first: dt.date) -> list[dt.date]:
    """``date`` | ``dates`` | ``start``+``end`` (+ ``every``) → sorted distinct dates in [first, today]."""
    given = [k for k in ("date", "dates", "start") if k in params]
    if len(given) != 1:
        raise _bad(source, "date", "give exactly one of date=…, dates=[…] or start=… end=…")
    every = str(params.get("every", "day")).lower()
    if every not in ("day", "month"):
        raise _bad(source, "every", f"{every!r}; allowed: day, month")
    if given == ["date"]:
        days = [_date(source, "date", params["date"])]
    elif given == ["dates"]:
        raw = params["dates"]
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        days = [_date(source, "dates", v) for v in items]
    else:
        days = _date_range(source, params)
    today = dt.date.today()
    for d in days:
        if not first <= d <= today:
            raise _bad(source, "date", f"{d} is outside {first} … {today} (today)")
    if len(days) > MAX_DAILY_REQUESTS:
        raise _bad(source, "start", f"{len(days)} requests; narrow the range or use every='month'")
    return sorted(set(days))


def _date_range(source: str, params: Mapping[str, Any]) -> list[dt.date]:
    """``start`` … ``end`` inclusive, every day or the first day of every month."""
    every = str(params.get("every", "day")).lower()
    if "end" not in params:
        raise _bad(source, "end", "required with start")
    start, end = _date(source, "start", params["start"]), _date(source, "end", params["end"])
    if end < start:
        raise _bad(source, "end", f"{end} is before start {start}")
    if every == "day":
        return [start + dt.timedelta(n) for n in range((end - start).days + 1)]
    days = []
    d = start if start.day == 1 else _next_month(start)
    while d <= end:
        days.append(d)
        d = _next_month(d)
    if not days:
        raise _bad(source, "start", f"{start} … {end} holds no first day of a month")
    return days


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _choice(source: str, param: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    v = str(value).strip()
    hit = next((a for a in allowed if a.lower() == v.lower()), None)
    if hit is None:
        raise _bad(source, param, f"{v!r}; allowed: {', '.join(allowed)}")
    return hit


# --------------------------------------------------------------------------------------------
# UN Comtrade public preview API
# --------------------------------------------------------------------------------------------

COMTRADE_PREVIEW = "https://comtradeapi.un.org/public/v1/preview/C/A/HS"
COMTRADE_MAX_ROWS = 500  # the keyless preview returns at most 500 records per call
COMTRADE_FIRST_YEAR = 1962
# Comtrade's own numeric codes where they differ from ISO 3166 numeric (France, Norway, India,
# Switzerland, USA, noted by a public "M49 codes" README in the code corpus; USA = 842 also in the stored
# response tests/samples/comtrade_api/); Taiwan is reported as 490 "Other Asia, nes".
COMTRADE_CODE = {"FRA": 251, "NOR": 579, "IND": 699, "CHE": 757, "USA": 842, "TWN": 490}
# Column order of a Comtrade Plus CSV export (TradeData_*.csv; same names as the API's JSON keys).
COMTRADE_PLUS_COLUMNS: tuple[str, ...] = (
    "typeCode", "freqCode", "refPeriodId", "refYear", "refMonth", "period", "reporterCode", "reporterISO",
    "reporterDesc", "flowCode", "flowDesc", "partnerCode", "partnerISO", "partnerDesc", "partner2Code",
    "partner2ISO", "partner2Desc", "classificationCode", "classificationSearchCode",
    "isOriginalClassification", "cmdCode", "cmdDesc", "aggrLevel", "isLeaf", "customsCode", "customsDesc",
    "mosCode", "motCode", "motDesc", "qtyUnitCode", "qtyUnitAbbr", "qty", "isQtyEstimated",
    "altQtyUnitCode", "altQtyUnitAbbr", "altQty", "isAltQtyEstimated", "netWgt", "isNetWgtEstimated",
    "grossWgt", "isGrossWgtEstimated", "cifvalue", "fobvalue", "primaryValue", "legacyEstimationFlag",
    "isReported", "isAggregate",
)


def comtrade_code(country: Any) -> tuple[str, int]:
    """ISO3 and the Comtrade numeric area code of a country (ISO3, ISO2, UN number or name)."""
    from .. import countries

    iso3 = countries.resolve(country)
    if iso3 in COMTRADE_CODE:
        return iso3, COMTRADE_CODE[iso3]
    cc = countries._converter()
    hit = cc.data.loc[cc.data["ISO3"] == iso3, "ISOnumeric"]
    if not len(hit) or str(hit.iloc[0]) in ("", "nan", "None"):
        raise FetchError(f"comtrade: no Comtrade area code known for {iso3}")
    return iso3, int(hit.iloc[0])


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def comtrade_preview_to_csv(response: bytes | str | Mapping[str, Any]) -> str:
    """Convert a Comtrade preview API JSON response into a Comtrade Plus CSV (text).

    Columns are :data:`COMTRADE_PLUS_COLUMNS` in that order (any further keys follow, sorted); one row
    per record of ``data``; JSON null → empty cell, booleans → ``True``/``False``, numbers unchanged.

    Raises
    ------
    FetchError
        when the payload is not JSON, carries an ``error``, has no ``data`` list, lacks the ISO codes
        (request made without ``includeDesc=true``), or holds :data:`COMTRADE_MAX_ROWS` records (the
        preview truncates there: narrow the query, e.g. by partner).
    """
    if isinstance(response, Mapping):
        doc = response
    else:
        try:
            doc = json.loads(response)
        except (ValueError, UnicodeDecodeError) as e:
            raise FetchError(f"comtrade: the response is not JSON ({e})") from None
    if not isinstance(doc, Mapping):
        raise FetchError("comtrade: the response is not a JSON object")
    if doc.get("error"):
        raise FetchError(f"comtrade: the API answered with an error: {doc['error']}")
    data = doc.get("data")
    if not isinstance(data, list):
        raise FetchError("comtrade: the response has no 'data' list")
    if len(data) >= COMTRADE_MAX_ROWS:
        raise FetchError(
            f"comtrade: the preview returned {len(data)} records, its cap, so the answer is truncated; "
            "narrow the query (partner=…, cmd=…)"
        )
    for i, rec in enumerate(data):
        if not rec.get("reporterISO") or not rec.get("partnerISO"):
            raise FetchError(f"comtrade: record {i + 1} has no reporterISO/partnerISO (request includeDesc=true)")
    extra = sorted({k for rec in data for k in rec} - set(COMTRADE_PLUS_COLUMNS))
    columns = [*COMTRADE_PLUS_COLUMNS, *extra]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for rec in data:
        w.writerow([_csv_cell(rec.get(c)) for c in columns])
    return buf.getvalue()


def _comtrade_convert(raw: bytes) -> str:
    return comtrade_preview_to_csv(raw)


def plan_comtrade(**params: Any) -> list[Download]:
    """UN Comtrade public preview API (keyless): one JSON query per year, converted to Comtrade Plus CSV.

    URL (confirmed in public code calling it, 2024-2026): ``https://comtradeapi.un.org/public/v1/preview/
    C/A/HS?reporterCode=…&period=…&partnerCode=…&flowCode=M,X&cmdCode=TOTAL`` plus ``includeDesc=true``
    (for the ISO codes) and ``partner2Code=0&customsCode=C00&motCode=0`` (totals only, as in a public
    README's verified query). The preview takes one period per call and returns at most 500 records,
    without a key. Reporter/partner codes are Comtrade's (``USA`` = 842, not 840).

    Parameters: ``reporter`` (required), ``year``/``years`` (required, 1962 … this year), ``partner``
    (default: all partners, World ``W00`` included), ``cmd`` (``TOTAL``, ``AG2``, or HS codes
    ``27,2709``), ``flow`` (``M``, ``X`` or ``M,X``; default ``M,X``).
    """
    src = "comtrade"
    _check_params(src, params, ("reporter", "year", "years", "partner", "cmd", "flow"))
    if params.get("reporter") in (None, ""):
        raise _bad(src, "reporter", "required (e.g. reporter='KAZ')")
    rep_iso, rep_code = comtrade_code(params["reporter"])
    years = _years(src, params, lo=COMTRADE_FIRST_YEAR, hi=dt.date.today().year)
    partner = params.get("partner")
    if partner in (None, "", "all"):
        part_iso, part_code = "all", None
    elif str(partner).strip().lower() in ("0", "world", "w00"):
        part_iso, part_code = "W00", 0
    else:
        part_iso, part_code = comtrade_code(partner)
    cmd = str(params.get("cmd", "TOTAL")).upper().replace(" ", "")
    if not re.fullmatch(r"(TOTAL|AG[1-6]|ALL|\d{2}(\d{2}){0,2})(,(\d{2}(\d{2}){0,2}))*", cmd):
        raise _bad(src, "cmd", f"{cmd!r}; use TOTAL, AG2, AG4, AG6 or HS codes like 27,2709")
    flow = str(params.get("flow", "M,X")).upper().replace(" ", "")
    if flow not in ("M", "X", "M,X", "X,M"):
        raise _bad(src, "flow", f"{flow!r}; allowed: M, X, M,X")
    out = []
    for year in years:
        query = {"reporterCode": rep_code, "period": year}
        if part_code is not None:
            query["partnerCode"] = part_code
        query |= {"flowCode": flow, "cmdCode": cmd, "partner2Code": 0, "customsCode": "C00", "motCode": 0,
                  "includeDesc": "true"}
        stem = f"comtrade_{rep_iso}_{year}_{part_iso}_{cmd.replace(',', '-')}"
        out.append(Download(
            url=f"{COMTRADE_PREVIEW}?{urlencode(query, safe=',')}",
            filename=f"{stem}.json",
            convert=_comtrade_convert,
            output=f"{stem}.csv",
        ))
    return out


# --------------------------------------------------------------------------------------------
# CEPII BACI
# --------------------------------------------------------------------------------------------

BACI_BASE = "https://www.cepii.fr/DATA_DOWNLOAD/baci/data"
# The newest release seen in public code calling the server (BACI_HS17_V202601.zip, 2026).
BACI_VERSION = "202601"
# First year of each HS revision (CEPII, baci_webpage.html, "HS revision / Years available").
BACI_FIRST_YEAR = {"HS92": 1995, "HS96": 1996, "HS02": 2002, "HS07": 2007, "HS12": 2012, "HS17": 2017,
                   "HS22": 2022}


def plan_baci(**params: Any) -> list[Download]:
    """CEPII BACI: the release zip of one HS revision, and the year files a loader reads from it.

    URL ``https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_{HSxx}_V{version}.zip`` (pattern confirmed for
    V202301, V202401b, V202501, V202601 in public code; CEPII's page names the members
    ``BACI_HSxx_Yyyyy_Vversion.csv``). Unconfirmed: whether the server keeps a release once a newer one
    is out (CEPII lists older versions in an archive panel). The release's country file is not unpacked:
    the ``baci`` loader ships its own code table. A release VYYYY.. covers years up to YYYY-2. The zips
    are large (HS17 ≈ 1-2 GB); downloads resume.

    Parameters: ``year``/``years`` (required), ``revision`` (HS92 … HS22, default HS17),
    ``version`` (default :data:`BACI_VERSION`, e.g. ``202401b``).
    """
    src = "baci"
    _check_params(src, params, ("year", "years", "revision", "version"))
    rev = _choice(src, "revision", str(params.get("revision", "HS17")).upper(), BACI_FIRST_YEAR)
    version = str(params.get("version", BACI_VERSION)).strip().lstrip("Vv")
    if not re.fullmatch(r"\d{6}[a-z]?", version):
        raise _bad(src, "version", f"{version!r} is not a BACI release like 202401b")
    years = _years(src, params, lo=BACI_FIRST_YEAR[rev], hi=int(version[:4]) - 2)
    members = tuple(f"BACI_{rev}_Y{y}_V{version}.csv" for y in years)
    return [Download(url=f"{BACI_BASE}/BACI_{rev}_V{version}.zip", filename=f"BACI_{rev}_V{version}.zip",
                     extract=members)]


# --------------------------------------------------------------------------------------------
# UN General Assembly votes (Voeten data via the unvotes package)
# --------------------------------------------------------------------------------------------

UNVOTES_BASE = "https://raw.githubusercontent.com/rfordatascience/tidytuesday/main/data/2021/2021-03-23"


def plan_unvotes(**params: Any) -> list[Download]:
    """UN GA roll-call votes 1946-2019 as published with the ``unvotes`` R package, as CSV.

    The package ships ``.rda`` files (github.com/dgrtwo/unvotes, ``data/*.rda``), which need R; the
    same three tables were published as CSV by TidyTuesday 2021-03-23, whose readme gives these raw URLs
    (same columns: ``rcid, country, country_code, vote`` / ``rcid, session, importantvote, date, unres,
    amend, para, short, descr`` / ``rcid, short_name, issue``). They are saved under the package's
    table names; the loader is handed ``un_votes.csv`` and finds the other two beside it. Not used:
    Harvard Dataverse hdl:1902.1/12379 (the upstream Voeten data, CC0) serves
    R data files by numeric file id, which changes with every release; no stable URL was confirmed.
    """
    _check_params("unvotes", params, ())
    files = {"unvotes.csv": "un_votes.csv", "roll_calls.csv": "un_roll_calls.csv",
             "issues.csv": "un_roll_call_issues.csv"}
    return [Download(url=f"{UNVOTES_BASE}/{remote}", filename=local, entry=local == "un_votes.csv")
            for remote, local in files.items()]


# --------------------------------------------------------------------------------------------
# Central Bank of Russia, National Bank of Kazakhstan: daily official rates
# --------------------------------------------------------------------------------------------

CBR_DAILY = "https://www.cbr.ru/scripts/XML_daily.asp"
CBR_FIRST = dt.date(1992, 7, 1)
NBK_RATES = "https://nationalbank.kz/rss/get_rates.cfm"
NBK_FIRST = dt.date(1993, 11, 15)  # the tenge's first day; how far back the feed goes is not confirmed


def plan_cbr(**params: Any) -> list[Download]:
    """Bank of Russia official rates, one ``XML_daily`` file per date (windows-1251 XML, ``ValCurs``).

    URL ``https://www.cbr.ru/scripts/XML_daily.asp?date_req=DD/MM/YYYY`` (confirmed in many public
    clients). For a non-business day the bank answers with the last rate set (its ``Date`` attribute).
    Parameters: ``date`` | ``dates`` | ``start`` + ``end``, with ``every`` = ``day`` (default) or
    ``month`` (the first day of each month, like the monthly series in the data pack).
    """
    _check_params("cbr", params, ("date", "dates", "start", "end", "every"))
    return [Download(url=f"{CBR_DAILY}?date_req={d:%d/%m/%Y}", filename=f"cbr_XML_daily_{d:%Y-%m-%d}.xml")
            for d in _dates("cbr", params, first=CBR_FIRST)]


def plan_nbk(**params: Any) -> list[Download]:
    """National Bank of Kazakhstan official rates, one RSS XML file per date (``rates/item``).

    URL ``https://nationalbank.kz/rss/get_rates.cfm?fdate=DD.MM.YYYY`` (confirmed in many public
    clients). Parameters as :func:`plan_cbr`.
    """
    _check_params("nbk", params, ("date", "dates", "start", "end", "every"))
    return [Download(url=f"{NBK_RATES}?fdate={d:%d.%m.%Y}", filename=f"nbk_rates_{d:%Y-%m-%d}.xml")
            for d in _dates("nbk", params, first=NBK_FIRST)]


# --------------------------------------------------------------------------------------------
# Global Energy Monitor trackers, CEPII GeoDist
# --------------------------------------------------------------------------------------------

GEM_FILES = {
    "gas": ("https://raw.githubusercontent.com/GlobalEnergyMonitor/maps/094c98ba5e883930b2f9f250e6538bbfcba7d124/"
            "trackers/ggit/compilation_output/ggit_2024-10-08.xlsx",
            "gem_ggit_gas_pipelines_lng_terminals_mapfile_2024-10-08.xlsx"),
    "oil": ("https://raw.githubusercontent.com/GlobalEnergyMonitor/goit-tracker-greeninfo-map/"
            "c011cb54a60473c2b81aacb9ba2f498c69393d3e/static/data/data.csv",
            "gem_goit_oil_ngl_pipelines_mapdata_2024-06.csv"),
}


def plan_gem(**params: Any) -> list[Download]:
    """Global Energy Monitor gas (GGIT 2024-10) and oil (GOIT 2024-06) pipeline trackers.

    GEM hands out its full tracker downloads through a request form, so there is no public file URL;
    these are the map files GEM publishes in its own GitHub repositories, pinned to the commits the
    data pack was built from (``shared/data/energy/SOURCE.md``), saved under the pack's file names.
    Unconfirmed: that ``raw.githubusercontent.com`` serves the xlsx itself rather than a Git LFS pointer.
    Parameters: ``tracker`` = ``gas`` | ``oil`` | ``all`` (default).
    """
    _check_params("gem", params, ("tracker",))
    which = _choice("gem", "tracker", params.get("tracker", "all"), ("all", "gas", "oil"))
    keys = ("gas", "oil") if which == "all" else (which,)
    return [Download(url=GEM_FILES[k][0], filename=GEM_FILES[k][1]) for k in keys]


def plan_cepii_geodist(**params: Any) -> list[Download]:
    """CEPII GeoDist dyadic distances: ``dist_cepii.zip``, unpacked to ``dist_cepii.xls``.

    URL ``https://www.cepii.fr/distance/dist_cepii.zip`` (confirmed in public code, which unzips the
    member ``dist_cepii.xls``; whether the zip also holds a CSV or Stata copy is not confirmed). The
    country file ``…/distance/geo_cepii.xls`` is not fetched: no loader reads it. No parameters.
    """
    _check_params("cepii_geodist", params, ())
    return [Download(url="https://www.cepii.fr/distance/dist_cepii.zip", filename="dist_cepii.zip",
                     extract=("dist_cepii.xls",))]


PLANNERS: dict[str, Callable[..., list[Download]]] = {
    "baci": plan_baci,
    "cbr": plan_cbr,
    "cepii_geodist": plan_cepii_geodist,
    "comtrade": plan_comtrade,
    "gem": plan_gem,
    "nbk": plan_nbk,
    "unvotes": plan_unvotes,
}


def fetchable_sources() -> list[str]:
    """Ids of the sources :func:`plan` knows how to fetch, sorted."""
    return sorted(PLANNERS)


def source_key(source_id: str) -> str:
    """Normalised source id (case-insensitive, ``-`` = ``_``); raises listing the fetchable ids."""
    key = str(source_id).strip().lower().replace("-", "_")
    if key not in PLANNERS:
        raise UnknownSourceError(
            f"cannot fetch {source_id!r}: no public download is known for it; "
            f"fetchable sources: {', '.join(fetchable_sources())}"
        )
    return key


def plan(source_id: str, **params: Any) -> list[Download]:
    """The downloads that make up ``source_id`` for these parameters (pure: no network, no disk).

    Raises
    ------
    UnknownSourceError
        for an id without a plan (the message lists the fetchable ones).
    FetchError
        for a missing, unknown or invalid parameter (the message names it and what is allowed).
    UnknownCountryError
        for a reporter or partner that does not resolve to a country.
    """
    return PLANNERS[source_key(source_id)](**params)
