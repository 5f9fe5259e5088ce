"""tethers data fetch: download (resume, retry, checksum, lock, log), fetch plans, the Comtrade converter.

Every request goes to a stdlib HTTP server on 127.0.0.1 started here; nothing touches the internet
(the conftest guard would raise). Bodies served are real files from ``tests/samples/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tethers.errors import FetchError, UnknownCountryError, UnknownSourceError
from tethers.sources import _fetch_plans as plans
from tethers.sources._fetch import LOG_NAME, download, fetch_source, read_log
from tethers.sources._fetch_plans import (
    COMTRADE_PLUS_COLUMNS,
    Download,
    comtrade_preview_to_csv,
    fetchable_sources,
    plan,
)

SAMPLES = Path(__file__).parent / "samples"
COMTRADE_SAMPLE = SAMPLES / "comtrade_api" / "usa_jpn_total_2023_preview.json"
# A real binary file of several server writes (the 20 kB BNS sample workbook).
BIG_SAMPLE = SAMPLES / "kz_bns" / "kz_trade_by_country_2022_sheet2021.xlsx"
FAST = {"backoff": 0.0, "timeout": 5.0}  # no sleeping between retries in tests


# ---- local HTTP server ------------------------------------------------------------------------


@dataclass
class Route:
    """What the server does for one path.

    statuses: error statuses answered first, one per request (then the body is served).
    cut_after / cuts: for the first ``cuts`` body requests, send ``cut_after`` bytes then drop the connection.
    ignore_range: answer 200 with the whole body even when a Range is asked for.
    stall: seconds to wait before the body on the first ``stalls`` requests (client timeouts).
    """

    body: bytes
    statuses: list[int] = field(default_factory=list)
    cut_after: int = 0
    cuts: int = 0
    ignore_range: bool = False
    stall: float = 0.0
    stalls: int = 0
    slow: float = 0.0  # seconds between chunks (keeps concurrent downloads overlapping)


class Server:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def serve(self, path: str, body: bytes, **kw) -> str:
        self.routes[path] = Route(body, **kw)
        return self.url(path)

    def requests_for(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.seen if urlsplit(p).path == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        srv: Server = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        with srv.lock:
            srv.seen.append((self.path, dict(self.headers)))
            route = srv.routes.get(path)
            status = route.statuses.pop(0) if route and route.statuses else None
            cut = route is not None and route.cuts > 0
            stall = route is not None and route.stalls > 0
            if cut:
                route.cuts -= 1
            if stall:
                route.stalls -= 1
        if route is None:
            return self._plain(404, b"not found")
        if status is not None:
            return self._plain(status, b"server error")
        self._body(route, cut=cut, stall=stall)

    def _plain(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def _body(self, route: Route, *, cut: bool, stall: bool) -> None:
        body, start = route.body, 0
        asked = self.headers.get("Range")
        if asked and not route.ignore_range:
            start = int(asked.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                return self._plain(416, b"range not satisfiable")
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if stall:
            time.sleep(route.stall)
        payload = body[start:][: route.cut_after] if cut else body[start:]
        try:
            for i in range(0, len(payload), 8192):
                self.wfile.write(payload[i : i + 8192])
                if route.slow:
                    time.sleep(route.slow)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass
        if cut:
            self.close_connection = True


@pytest.fixture()
def server(monkeypatch):
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture(scope="module")
def big() -> bytes:
    return BIG_SAMPLE.read_bytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- download -------------------------------------------------------------------------------


def test_full_download(server, tmp_path, big):
    url = server.serve("/files/big.xlsx", big)
    seen = []
    dest = download(url, tmp_path / "c" / "big.xlsx", sha256=sha(big), size=len(big),
                    progress=lambda *a: seen.append(a), **FAST)
    assert dest.read_bytes() == big
    assert not (tmp_path / "c" / "big.xlsx.part").exists()
    assert seen[-1] == ("big.xlsx", len(big), len(big))


def test_resume_after_mid_body_failure(server, tmp_path, big):
    cut = len(big) // 3
    url = server.serve("/big.xlsx", big, cut_after=cut, cuts=1)
    dest = download(url, tmp_path / "big.xlsx", retries=2, **FAST)
    assert dest.read_bytes() == big  # exact bytes, no duplicated or missing range
    reqs = server.requests_for("/big.xlsx")
    assert [r.get("Range") for r in reqs] == [None, f"bytes={cut}-"]
    (rec,) = read_log(tmp_path)
    assert rec["status"] == "ok" and rec["attempts"] == 2
    assert rec["resumed_from"] == cut and rec["http_status"] == 206


def test_resume_in_a_later_run(server, tmp_path, big):
    cut = len(big) // 2
    url = server.serve("/big.xlsx", big, cut_after=cut, cuts=1)
    with pytest.raises(FetchError, match=r"127\.0\.0\.1.*/big\.xlsx: connection .* after 1 attempts"):
        download(url, tmp_path / "big.xlsx", retries=0, **FAST)
    assert not (tmp_path / "big.xlsx").exists()
    assert (tmp_path / "big.xlsx.part").stat().st_size == cut
    download(url, tmp_path / "big.xlsx", **FAST)
    assert (tmp_path / "big.xlsx").read_bytes() == big
    assert server.requests_for("/big.xlsx")[-1]["Range"] == f"bytes={cut}-"
    assert [r["status"] for r in read_log(tmp_path)] == ["failed", "ok"]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path, big):
    url = server.serve("/big.xlsx", big, cut_after=10_000, cuts=1, ignore_range=True)
    dest = download(url, tmp_path / "big.xlsx", retries=1, **FAST)
    assert dest.read_bytes() == big
    assert server.requests_for("/big.xlsx")[-1]["Range"] == "bytes=10000-"
    assert read_log(tmp_path)[-1]["http_status"] == 200


def test_stale_partial_longer_than_the_file(server, tmp_path, big):
    url = server.serve("/big.xlsx", big)
    (tmp_path / "big.xlsx.part").write_bytes(big + b"stale tail")  # server answers 416 to its range
    download(url, tmp_path / "big.xlsx", retries=1, **FAST)
    assert (tmp_path / "big.xlsx").read_bytes() == big
    assert [r.get("Range") for r in server.requests_for("/big.xlsx")] == [f"bytes={len(big) + 10}-", None]


def test_no_resume_starts_over(server, tmp_path, big):
    url = server.serve("/big.xlsx", big)
    (tmp_path / "big.xlsx.part").write_bytes(b"stale bytes from an older copy")
    download(url, tmp_path / "big.xlsx", resume=False, **FAST)
    assert (tmp_path / "big.xlsx").read_bytes() == big
    assert "Range" not in server.requests_for("/big.xlsx")[0]


def test_retry_on_5xx_then_success(server, tmp_path, big):
    url = server.serve("/big.xlsx", big, statuses=[500, 503])
    download(url, tmp_path / "big.xlsx", retries=3, **FAST)
    assert (tmp_path / "big.xlsx").read_bytes() == big
    assert read_log(tmp_path)[-1]["attempts"] == 3


def test_retries_exhausted(server, tmp_path, big):
    url = server.serve("/big.xlsx", big, statuses=[500, 500, 500])
    with pytest.raises(FetchError, match=r"/big\.xlsx: HTTP 500 .*gave up after 2 attempts"):
        download(url, tmp_path / "big.xlsx", retries=1, **FAST)
    assert not (tmp_path / "big.xlsx").exists()


def test_timeout_is_retried(server, tmp_path, big):
    url = server.serve("/big.xlsx", big, stall=1.0, stalls=1)
    download(url, tmp_path / "big.xlsx", retries=1, backoff=0.0, timeout=0.3)
    assert (tmp_path / "big.xlsx").read_bytes() == big


def test_404_names_the_url(server, tmp_path):
    url = server.url("/missing.csv")
    with pytest.raises(FetchError, match=rf"^{url}: not found \(HTTP 404\)$"):
        download(url, tmp_path / "missing.csv", **FAST)
    assert len(server.requests_for("/missing.csv")) == 1  # not retried
    assert not list(tmp_path.glob("missing.csv*"))
    assert read_log(tmp_path)[-1]["status"] == "failed"


def test_checksum_mismatch_keeps_nothing(server, tmp_path, big):
    url = server.serve("/big.xlsx", big)
    wrong = sha(b"some other file")
    with pytest.raises(FetchError, match=rf"checksum mismatch: expected sha256 {wrong}, got {sha(big)}"):
        download(url, tmp_path / "big.xlsx", sha256=wrong, **FAST)
    assert not list(tmp_path.glob("big.xlsx*"))
    assert read_log(tmp_path)[-1]["status"] == "failed"


def test_size_mismatch_keeps_nothing(server, tmp_path, big):
    url = server.serve("/big.xlsx", big)
    with pytest.raises(FetchError, match=rf"size mismatch: expected {len(big) + 1} bytes, got {len(big)}"):
        download(url, tmp_path / "big.xlsx", size=len(big) + 1, **FAST)
    assert not list(tmp_path.glob("big.xlsx*"))


def test_concurrent_downloads_of_one_file(server, tmp_path, big):
    url = server.serve("/big.xlsx", big, slow=0.1)  # ≈ 0.3 s per download, so the threads overlap
    dest = tmp_path / "big.xlsx"
    results, errors = [], []
    start = threading.Barrier(4)

    def run():
        start.wait()
        try:
            results.append(download(url, dest, sha256=sha(big), **FAST))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert results == [dest] * 4
    assert dest.read_bytes() == big
    assert len(server.requests_for("/big.xlsx")) == 1  # the others waited on the lock and found the file
    assert not (tmp_path / "big.xlsx.part").exists()


def test_log_record(server, tmp_path, big):
    url = server.serve("/big.xlsx", big)
    download(url, tmp_path / "big.xlsx", **FAST)
    lines = (tmp_path / LOG_NAME).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert {k: rec[k] for k in ("kind", "url", "file", "bytes", "sha256", "status")} == {
        "kind": "fileio", "url": url, "file": "big.xlsx", "bytes": len(big), "sha256": sha(big), "status": "ok",
    }
    started, finished = dt.datetime.fromisoformat(rec["started"]), dt.datetime.fromisoformat(rec["finished"])
    assert started.tzinfo is not None and started <= finished


# ---- Comtrade JSON → Comtrade Plus CSV ------------------------------------------------------------


def test_comtrade_converter_on_real_response():
    raw = COMTRADE_SAMPLE.read_bytes()
    records = json.loads(raw)["data"]
    rows = list(csv.DictReader(io.StringIO(comtrade_preview_to_csv(raw))))
    assert list(rows[0]) == list(COMTRADE_PLUS_COLUMNS)
    assert len(rows) == len(records) == 2
    for row, rec in zip(rows, records, strict=True):  # every cell is the JSON value, written as text
        for col in COMTRADE_PLUS_COLUMNS:
            v = rec[col]
            assert row[col] == ("" if v is None else str(v)), col
    # the values the publisher's record states (see tests/samples/comtrade_api/README.md)
    got = {(r["refYear"], r["reporterISO"], r["partnerISO"], r["flowCode"], r["cmdCode"]): r["primaryValue"]
           for r in rows}
    assert got == {("2023", "USA", "JPN", "M", "TOTAL"): "151580564290",
                   ("2023", "USA", "JPN", "X", "TOTAL"): "76154045176"}


def _mutated(change) -> bytes:
    doc = json.loads(COMTRADE_SAMPLE.read_bytes())
    change(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(("payload", "match"), [
    (b"<html>Service unavailable</html>", "not JSON"),
    (_mutated(lambda d: d.update(error="Invalid reporterCode")), "API answered with an error: Invalid reporterCode"),
    (_mutated(lambda d: d.pop("data")), "no 'data' list"),
    (_mutated(lambda d: d.update(data=d["data"] * 250)), "returned 500 records, its cap"),
    (_mutated(lambda d: d["data"][1].update(partnerISO=None)), "record 2 has no reporterISO/partnerISO"),
], ids=["html", "api-error", "no-data", "truncated", "no-iso"])
def test_comtrade_converter_rejects(payload, match):
    with pytest.raises(FetchError, match=match):
        comtrade_preview_to_csv(payload)


def test_comtrade_csv_is_read_by_the_loader(tmp_path):
    from tethers.sources import get_source, list_sources

    if "comtrade" not in list_sources():
        pytest.skip("the comtrade loader is not registered yet")
    path = tmp_path / "comtrade_USA_2023_JPN_TOTAL.csv"
    path.write_text(comtrade_preview_to_csv(COMTRADE_SAMPLE.read_bytes()), encoding="utf-8")
    src = get_source("comtrade")
    assert src.handles(path)
    assert src.read(path).table("trade").num_rows == 2


# ---- fetch_source ---------------------------------------------------------------------------


def _local(server, d: Download, body: bytes) -> Download:
    """The same download, served by the local server at the real URL's path and query."""
    parts = urlsplit(d.url)
    server.serve(parts.path, body)
    return Download(**{**d.__dict__, "url": server.url(parts.path + ("?" + parts.query if parts.query else ""))})


def test_fetch_source_comtrade(server, tmp_path, monkeypatch):
    raw = COMTRADE_SAMPLE.read_bytes()
    real = plans.plan_comtrade(reporter="USA", year=2023, partner="JPN")
    monkeypatch.setitem(plans.PLANNERS, "comtrade", lambda **p: [_local(server, d, raw) for d in real])
    (csv_path,) = fetch_source("Comtrade", cache_dir=tmp_path, reporter="USA", year=2023, partner="JPN")
    assert csv_path == tmp_path / "comtrade" / "comtrade_USA_2023_JPN_TOTAL.csv"
    assert csv_path.read_text(encoding="utf-8") == comtrade_preview_to_csv(raw)
    assert (tmp_path / "comtrade" / "comtrade_USA_2023_JPN_TOTAL.json").read_bytes() == raw
    # the query the server saw is the planned one
    assert server.seen[0][0] == urlsplit(real[0].url).path + "?" + urlsplit(real[0].url).query

    fetch_source("comtrade", cache_dir=tmp_path)  # complete in the cache (checksum from the log): no request
    assert len(server.seen) == 1
    (tmp_path / "comtrade" / "comtrade_USA_2023_JPN_TOTAL.json").write_bytes(raw[:-10])  # damaged copy
    assert fetch_source("comtrade", cache_dir=tmp_path) == [csv_path]
    assert len(server.seen) == 2
    assert (tmp_path / "comtrade" / "comtrade_USA_2023_JPN_TOTAL.json").read_bytes() == raw


@pytest.mark.parametrize(("source", "params", "sample"), [
    ("cbr", {"date": "2023-09-27"}, "cbr/cbr_XML_daily_2023-09-27.xml"),
    ("nbk", {"date": "2026-08-01"}, "nbk/nbk_get_rates_2026-08-01_excerpt.xml"),
])
def test_fetched_files_are_read_by_their_loader(server, tmp_path, monkeypatch, source, params, sample):
    """The planned file name and the publisher's bytes (a real stored answer) are what the loader takes."""
    from tethers.sources import get_source, list_sources

    if source not in list_sources():
        pytest.skip(f"the {source} loader is not registered yet")
    body = (SAMPLES / sample).read_bytes()
    real = plan(source, **params)
    monkeypatch.setitem(plans.PLANNERS, source, lambda **p: [_local(server, d, body) for d in real])
    (path,) = fetch_source(source, cache_dir=tmp_path, **params)
    assert path.read_bytes() == body
    loader = get_source(source)
    assert loader.handles(path)
    assert loader.read(path).table("fx").num_rows > 0


def test_fetch_source_bad_response_is_not_kept(server, tmp_path, monkeypatch):
    raw = _mutated(lambda d: d.update(error="Invalid period"))
    real = plans.plan_comtrade(reporter="KAZ", year=2021)
    monkeypatch.setitem(plans.PLANNERS, "comtrade", lambda **p: [_local(server, d, raw) for d in real])
    with pytest.raises(FetchError, match=r"error: Invalid period \(from http://127\.0\.0\.1.*not kept\)"):
        fetch_source("comtrade", cache_dir=tmp_path)
    assert not list((tmp_path / "comtrade").glob("comtrade_*"))


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_fetch_source_extracts_members(server, tmp_path, monkeypatch, big):
    raw = COMTRADE_SAMPLE.read_bytes()
    archive = _zip_of({"release/usa_jpn.json": raw, "release/big.xlsx": big, "release/readme.txt": b"x"})
    d = Download(url=server.serve("/release.zip", archive), filename="release.zip",
                 extract=("usa_jpn.json", "big.xlsx"), sha256=sha(archive))
    monkeypatch.setitem(plans.PLANNERS, "baci", lambda **p: [d])
    out = fetch_source("baci", cache_dir=tmp_path)
    assert out == [tmp_path / "baci" / "usa_jpn.json", tmp_path / "baci" / "big.xlsx"]
    assert out[0].read_bytes() == raw and out[1].read_bytes() == big


def test_fetch_source_missing_member_or_not_a_zip(server, tmp_path, monkeypatch):
    d = Download(url=server.serve("/r.zip", _zip_of({"a.csv": b"a"})), filename="r.zip", extract=("b.csv",))
    monkeypatch.setitem(plans.PLANNERS, "baci", lambda **p: [d])
    with pytest.raises(FetchError, match=r"r\.zip: the archive has no member 'b\.csv' \(it has a\.csv"):
        fetch_source("baci", cache_dir=tmp_path)
    d2 = Download(url=server.serve("/page.zip", COMTRADE_SAMPLE.read_bytes()), filename="page.zip",
                  extract=("b.csv",))
    monkeypatch.setitem(plans.PLANNERS, "baci", lambda **p: [d2])
    with pytest.raises(FetchError, match=r"page\.zip: not a zip archive"):
        fetch_source("baci", cache_dir=tmp_path)
    assert not (tmp_path / "baci" / "page.zip").exists()


def test_fetch_source_default_cache_dir(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TETHERS_HOME", str(tmp_path / "home"))
    d = Download(url=server.serve("/geo_cepii.xls", b"GeoDist"), filename="geo_cepii.xls")
    monkeypatch.setitem(plans.PLANNERS, "cepii_geodist", lambda **p: [d])
    assert fetch_source("cepii-geodist") == [tmp_path / "home" / "cache" / "cepii_geodist" / "geo_cepii.xls"]


# ---- plans: URL construction and parameter validation ---------------------------------------------

COMTRADE = "https://comtradeapi.un.org/public/v1/preview/C/A/HS?"
TOTALS = "cmdCode=TOTAL&partner2Code=0&customsCode=C00&motCode=0&includeDesc=true"
BACI = "https://www.cepii.fr/DATA_DOWNLOAD/baci/data/"
TT = "https://raw.githubusercontent.com/rfordatascience/tidytuesday/main/data/2021/2021-03-23/"


@pytest.mark.parametrize(("source", "params", "expected"), [
    ("comtrade", {"reporter": "KAZ", "year": 2021},
     [(f"{COMTRADE}reporterCode=398&period=2021&flowCode=M,X&{TOTALS}", "comtrade_KAZ_2021_all_TOTAL.json")]),
    ("comtrade", {"reporter": "United States", "years": "2022-2023", "partner": "KZ", "flow": "M"},
     [(f"{COMTRADE}reporterCode=842&period={y}&partnerCode=398&flowCode=M&{TOTALS}",
       f"comtrade_USA_{y}_KAZ_TOTAL.json") for y in (2022, 2023)]),
    ("comtrade", {"reporter": "398", "year": "2021", "partner": "world", "cmd": "27,2709"},
     [(f"{COMTRADE}reporterCode=398&period=2021&partnerCode=0&flowCode=M,X&cmdCode=27,2709&partner2Code=0"
       "&customsCode=C00&motCode=0&includeDesc=true", "comtrade_KAZ_2021_W00_27-2709.json")]),
    ("baci", {"year": 2021},
     [(f"{BACI}BACI_HS17_V202601.zip", "BACI_HS17_V202601.zip")]),
    ("baci", {"years": [2019, 2021], "revision": "hs92", "version": "V202401b"},
     [(f"{BACI}BACI_HS92_V202401b.zip", "BACI_HS92_V202401b.zip")]),
    ("unvotes", {},
     [(f"{TT}unvotes.csv", "un_votes.csv"), (f"{TT}roll_calls.csv", "un_roll_calls.csv"),
      (f"{TT}issues.csv", "un_roll_call_issues.csv")]),
    ("cbr", {"date": "2022-03-01"},
     [("https://www.cbr.ru/scripts/XML_daily.asp?date_req=01/03/2022", "cbr_XML_daily_2022-03-01.xml")]),
    ("cbr", {"start": "2022-01-15", "end": "2022-03-01", "every": "month"},
     [("https://www.cbr.ru/scripts/XML_daily.asp?date_req=01/02/2022", "cbr_XML_daily_2022-02-01.xml"),
      ("https://www.cbr.ru/scripts/XML_daily.asp?date_req=01/03/2022", "cbr_XML_daily_2022-03-01.xml")]),
    ("nbk", {"start": dt.date(2022, 2, 28), "end": "2022-03-01"},
     [("https://nationalbank.kz/rss/get_rates.cfm?fdate=28.02.2022", "nbk_rates_2022-02-28.xml"),
      ("https://nationalbank.kz/rss/get_rates.cfm?fdate=01.03.2022", "nbk_rates_2022-03-01.xml")]),
    ("gem", {"tracker": "gas"},
     [("https://raw.githubusercontent.com/GlobalEnergyMonitor/maps/094c98ba5e883930b2f9f250e6538bbfcba7d124/"
       "trackers/ggit/compilation_output/ggit_2024-10-08.xlsx",
       "gem_ggit_gas_pipelines_lng_terminals_mapfile_2024-10-08.xlsx")]),
    ("gem", {},
     [(plans.GEM_FILES["gas"][0], plans.GEM_FILES["gas"][1]), (plans.GEM_FILES["oil"][0], plans.GEM_FILES["oil"][1])]),
    ("CEPII-GeoDist", {},
     [("https://www.cepii.fr/distance/dist_cepii.zip", "dist_cepii.zip")]),
], ids=["comtrade-kaz", "comtrade-usa-years", "comtrade-world-hs", "baci-default", "baci-hs92", "unvotes",
        "cbr-day", "cbr-months", "nbk-range", "gem-gas", "gem-all", "geodist"])
def test_plan_urls(source, params, expected):
    assert [(d.url, d.filename) for d in plan(source, **params)] == expected


def test_plan_outputs():
    (b,) = plan("baci", years="2020-2021", revision="HS92", version="202401b")
    assert b.outputs() == ("BACI_HS92_Y2020_V202401b.csv", "BACI_HS92_Y2021_V202401b.csv")
    (c,) = plan("comtrade", reporter="KAZ", year=2021)
    assert c.outputs() == ("comtrade_KAZ_2021_all_TOTAL.csv",)
    (g,) = plan("cepii_geodist")
    assert g.outputs() == ("dist_cepii.xls",)
    assert [d.outputs() for d in plan("unvotes")] == [("un_votes.csv",), (), ()]


NEXT_YEAR = dt.date.today().year + 1
TOMORROW = dt.date.today() + dt.timedelta(1)


@pytest.mark.parametrize(("source", "params", "error", "match"), [
    ("kz_bns", {}, UnknownSourceError, "cannot fetch 'kz_bns'.*fetchable sources: baci, cbr, cepii_geodist, "
                                       "comtrade, gem, nbk, unvotes"),
    ("comtrade", {"year": 2021}, FetchError, "comtrade: parameter 'reporter': required"),
    ("comtrade", {"reporter": "Atlantis", "year": 2021}, UnknownCountryError, "unknown country 'Atlantis'"),
    ("comtrade", {"reporter": "KAZ"}, FetchError, "parameter 'year': required"),
    ("comtrade", {"reporter": "KAZ", "year": NEXT_YEAR}, FetchError, f"{NEXT_YEAR} is outside the years"),
    ("comtrade", {"reporter": "KAZ", "year": "21"}, FetchError, "'21' is not a year"),
    ("comtrade", {"reporter": "KAZ", "years": "2021-2019"}, FetchError, "runs backwards"),
    ("comtrade", {"reporter": "KAZ", "year": 2021, "years": 2020}, FetchError, "not both"),
    ("comtrade", {"reporter": "KAZ", "year": 2021, "flow": "R"}, FetchError, "'flow': 'R'; allowed: M, X"),
    ("comtrade", {"reporter": "KAZ", "year": 2021, "cmd": "oil"}, FetchError, "'cmd': 'OIL'"),
    ("comtrade", {"reporter": "KAZ", "year": 2021, "region": "x"}, FetchError,
     "unknown parameter.*region; accepted: reporter, year, years, partner, cmd, flow"),
    ("baci", {}, FetchError, "baci: parameter 'year': required"),
    ("baci", {"year": 2016}, FetchError, r"2016 is outside the years available \(2017-2024\)"),
    ("baci", {"year": 2023, "version": "202401b"}, FetchError, r"\(2017-2022\)"),
    ("baci", {"year": 2021, "revision": "HS15"}, FetchError, "'HS15'; allowed: HS92, HS96"),
    ("baci", {"year": 2021, "version": "latest"}, FetchError, "'latest' is not a BACI release"),
    ("unvotes", {"year": 2020}, FetchError, "unvotes: unknown parameter.*year; accepted: none"),
    ("cbr", {}, FetchError, "give exactly one of date"),
    ("cbr", {"date": "2022-03-01", "start": "2022-01-01"}, FetchError, "give exactly one of date"),
    ("cbr", {"date": "1.3.2022"}, FetchError, r"'1\.3\.2022' is not a date"),
    ("cbr", {"date": TOMORROW}, FetchError, f"{TOMORROW} is outside"),
    ("cbr", {"date": "1991-12-31"}, FetchError, "1991-12-31 is outside 1992-07-01"),
    ("cbr", {"start": "2022-03-01"}, FetchError, "'end': required with start"),
    ("cbr", {"start": "2022-03-01", "end": "2022-02-01"}, FetchError, "before start"),
    ("nbk", {"start": "2022-03-02", "end": "2022-03-30", "every": "month"}, FetchError, "no first day of a month"),
    ("nbk", {"start": "2000-01-01", "end": "2020-01-01"}, FetchError, "requests; narrow the range"),
    ("nbk", {"date": "2022-03-01", "every": "week"}, FetchError, "'every': 'week'; allowed: day, month"),
    ("gem", {"tracker": "coal"}, FetchError, "'tracker': 'coal'; allowed: all, gas, oil"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_plan_rejects_bad_parameters(source, params, error, match):
    with pytest.raises(error, match=match):
        plan(source, **params)


def test_every_fetchable_source_is_in_the_catalogue():
    from tethers.sources import catalogue

    assert set(fetchable_sources()) <= set(catalogue())


def test_fetch_validates_before_any_request(server, tmp_path):
    with pytest.raises(FetchError):
        fetch_source("comtrade", cache_dir=tmp_path, reporter="KAZ", year=1900)
    assert server.seen == [] and not (tmp_path / "comtrade").exists()
