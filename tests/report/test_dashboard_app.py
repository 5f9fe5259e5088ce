"""The dashboard server without a browser: validation, allow-listed files, size limits, the JSON API's numbers.

Most cases call the WSGI application directly (fast, exact environ); a few go through a real socket to
check what the HTTP layer does with unnormalised paths and oversized requests.
"""

from __future__ import annotations

import io
import json
import socket

import polars as pl
import pytest

from .conftest import ROOT, SCENARIOS

OPTIONS = ROOT / "options"

KAZ_RUS_IMPORTS_2021 = 0.4251  # BNS 2021 (tests/test_profile.py)
SHARE_TOL = 5e-5


@pytest.fixture(scope="module")
def app(atlas_path):
    from tethers.dashboard.app import Dashboard

    logged: list[str] = []
    a = Dashboard(atlas_path, scenario_dir=SCENARIOS, options_dir=OPTIONS, log=logged.append)
    a.logged = logged
    return a


def call(app, path: str, query: str = "", *, method: str = "GET", body: bytes = b"", headers: dict | None = None):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "8765", "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)) if body else "",
               **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}}
    seen = {}

    def start_response(status, hdrs):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(hdrs)

    out = b"".join(app(environ, start_response))
    ctype = seen["headers"]["Content-Type"]
    return seen["status"], (json.loads(out) if ctype.startswith("application/json") else out), seen["headers"]


# --------------------------------------------------------------------------------------------- validation


def test_unknown_country_is_404_with_a_message(app):
    status, body, headers = call(app, "/api/view", "country=XYZ")
    assert status == 404
    assert body["error"].startswith("unknown country 'XYZ'") and body["param"] == "country"
    assert headers["Cache-Control"] == "no-store"
    status, body, _ = call(app, "/api/profile", "country=Atlantis&year=2021")
    assert status == 404 and "Atlantis" in body["error"]


@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ("", "country", "'country' is required"),
        ("country=KAZ&start=abc", "start", "not a year"),
        ("country=KAZ&start=1800", "start", "between 1946 and 2100"),
        ("country=KAZ&start=2021&end=2019", "start", "after end"),
        ("country=KAZ&start=1946&end=2100", "start", "at most 80 years"),
        ("country=KAZ&start=2010&end=2020&year=2021", "year", "outside start–end"),
        ("country=KAZ&poles=RUS,MARS", "poles", "unknown pole(s) MARS"),
        ("country=KAZ&poles=RUS", "poles", "at least two poles"),
        ("country=KAZ&scenario=../../etc/passwd", "scenario", "unknown scenario"),
        ("country=KAZ&scenario=eu-2022.yaml", "scenario", "choose one of: eu-2022"),
        ("country=KAZ&country=UZB", "country", "given 2 times"),
        ("country=KAZ&debug=1", "debug", "unknown parameter(s) 'debug'"),
        ("country=" + "K" * 65, "country", "longer than 64"),
        ("country=KAZ&options=../kaz-2022", "options", "unknown options file"),
        ("country=KAZ&budget=2e9", "budget", "budget needs options"),
        ("country=KAZ&options=kaz-2022&budget=abc", "budget", "not a number"),
        ("country=KAZ&options=kaz-2022&budget=-5", "budget", "positive amount"),
        ("country=KAZ&options=kaz-2022&budget=nan", "budget", "positive amount"),
        ("country=KAZ&options=kaz-2022&budget=1e99", "budget", "positive amount"),
    ],
)
def test_bad_parameters_are_422(app, query, param, message):
    status, body, _ = call(app, "/api/view", query)
    assert status == 422, body
    assert message in body["error"] and body["param"] == param


def test_profile_needs_a_year(app):
    status, body, _ = call(app, "/api/profile", "country=KAZ")
    assert status == 422 and "'year' is required" in body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py", "/static/..%2fapp.py", "/static/%2e%2e/%2e%2e/etc/passwd", "/../../etc/passwd",
        "/static//etc/passwd", "/static/index.html/../../../x", "/static/..\\..\\app.py", "/static/",
        "/static/app.py", "/static/templates/report.html.j2", "/static/style.css/", "/etc/passwd", "/api/../app.py",
        "/static/%00index.html", "/index.html/..", "/static/plotly.min.js%00.html",
    ],
)
def test_no_path_reaches_a_file_outside_the_allow_list(app, path):
    status, body, _ = call(app, path)
    assert status == 404, path
    assert "root:" not in json.dumps(body) and "import " not in json.dumps(body)


def test_allow_listed_assets_are_served(app):
    for name, ctype in (("index.html", "text/html"), ("dashboard.js", "text/javascript"),
                        ("render.js", "text/javascript"), ("style.css", "text/css"), ("plotly.min.js", "text/javascript")):
        status, body, headers = call(app, f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(ctype), name
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    status, body, _ = call(app, "/")
    assert status == 200 and b'<script src="static/dashboard.js">' in body
    assert b"http://" not in body and b"https://" not in body


def test_oversized_requests_are_413(app):
    status, body, _ = call(app, "/api/view", "country=KAZ&x=" + "a" * 3000)
    assert status == 413 and "too large" in body["error"]
    status, body, _ = call(app, "/api/view", "country=KAZ", body=b"x" * 5000)
    assert status == 413


def test_writes_and_foreign_hosts_are_refused(app, atlas_path):
    from tethers.dashboard.app import Dashboard

    status, body, _ = call(app, "/api/view", "country=KAZ", method="POST", body=b"a=1")
    assert status == 405 and "read-only" in body["error"]
    guarded = Dashboard(atlas_path, allowed_hosts={"127.0.0.1:8765"})
    assert call(guarded, "/api/health", headers={"Host": "127.0.0.1:8765"})[0] == 200
    status, body, _ = call(guarded, "/api/health", headers={"Host": "attacker.example"})
    assert status == 400 and "Host" in body["error"]


def test_internal_errors_carry_no_traceback(app, monkeypatch):
    import tethers.report.views as views

    def boom(*a, **k):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(views, "collect", boom)
    status, body, _ = call(app, "/api/view", "country=TJK&start=2000&end=2001")
    assert status == 500
    assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
    assert "server log" in body["error"]
    assert app.logged and "RuntimeError: secret detail" in app.logged[-1]  # logged server-side


def test_results_are_cached_and_computations_bounded(atlas_path, monkeypatch):
    import tethers.report.views as views
    from tethers.dashboard.app import Dashboard

    calls = []
    real = views.collect
    monkeypatch.setattr(views, "collect", lambda *a, **k: calls.append(k) or real(*a, **k))
    app = Dashboard(atlas_path, max_workers=1, busy_timeout=0.2)
    q = "country=TJK&start=2019&end=2021&poles=RUS,CHN"
    assert call(app, "/api/view", q)[0] == 200
    assert call(app, "/api/view", q)[0] == 200
    assert len(calls) == 1  # the second answer came from the cache
    app._slots.acquire()  # every computation slot busy
    try:
        status, body, _ = call(app, "/api/view", "country=TJK&start=2020&end=2021")
        assert status == 503 and "busy" in body["error"]
        assert call(app, "/api/view", q)[0] == 200  # cached answers still flow
    finally:
        app._slots.release()


# --------------------------------------------------------------------------------------------- numbers


def test_view_api_carries_the_measures(app, atlas):
    from tethers.atlas import queries
    from tethers.measures.alignment import pole_agreement

    status, body, _ = call(app, "/api/view", "country=KAZ&start=2015&end=2021")
    assert status == 200
    assert body["meta"]["country"] == "KAZ" and body["meta"]["year"] == 2021
    pos = {r["pole"]: r for r in body["data"]["position"]}
    assert pos["RUS"]["import_share"] == pytest.approx(KAZ_RUS_IMPORTS_2021, abs=SHARE_TOL)
    want = pole_agreement(queries.votes(atlas, year=2021), country="KAZ", year=2021)
    for r in want.iter_rows(named=True):
        assert pos[r["pole"]]["agreement"] == pytest.approx(r["agreement"], abs=1e-12)
    assert 'data-metric="import_share:RUS"' in body["html"]  # the same section fragment as the report
    assert {"pole_import", "alignment", "fx", "routes", "balance"} <= set(body["figures"])
    years = {r["year"] for r in body["data"]["alignment"]}
    assert min(years) == 2015 and max(years) == 2021


def test_view_api_follows_the_poles(app):
    status, body, _ = call(app, "/api/view", "country=KAZ&start=2020&end=2021&poles=RUS,CHN")
    assert status == 200
    poles = {r["pole"] for r in body["data"]["pole_shares"]}
    assert poles == {"RUS", "CHN", "ROW"}
    rus = [r for r in body["data"]["pole_shares"] if r["pole"] == "RUS" and r["year"] == 2021 and r["flow"] == "import"]
    assert rus[0]["share"] == pytest.approx(KAZ_RUS_IMPORTS_2021, abs=SHARE_TOL)  # Russia's share is unchanged


def test_profile_api_is_the_profile(app, atlas):
    from tethers.analysis.profile import profile

    status, body, _ = call(app, "/api/profile", "country=kz&year=2021")
    assert status == 200 and body["country"] == "KAZ"
    want = profile("KAZ", 2021, atlas=atlas)
    assert body["totals_usd"] == pytest.approx(want.totals)
    rus = [r for r in body["poles"] if r["flow"] == "import" and r["pole"] == "RUS"][0]
    assert rus["share"] == pytest.approx(KAZ_RUS_IMPORTS_2021, abs=SHARE_TOL)


def test_options_list_countries_poles_scenarios(app):
    status, body, _ = call(app, "/api/options")
    assert status == 200
    iso = {c["iso3"] for c in body["countries"]}
    assert {"KAZ", "UZB", "KGZ", "RUS"} <= iso
    assert [p["id"] for p in body["poles"]] == ["RUS", "CHN", "EU27", "USA", "TUR", "CASIA"]
    assert {"eu-2022", "kaz-cpc-closure"} <= set(body["scenarios"])
    assert body["options"] == ["kaz-2022"] and body["max_budget"] > 0


def test_strategic_options_through_the_api(app, atlas):
    """options=kaz-2022&budget=5e8 shows the report's options section with the same plan as the report."""
    from tethers.report.views import collect

    status, body, _ = call(app, "/api/view", "country=KAZ&start=2019&end=2021&options=kaz-2022&budget=5e8")
    assert status == 200, body
    want = collect("KAZ", atlas=atlas, year=2021, start=2019, end=2021, options=OPTIONS / "kaz-2022.yaml", budget=5e8)
    plan, want_plan = body["data"]["options_plan"][0], want.frames["options_plan"].to_dicts()[0]
    assert plan["options"] == want_plan["options"] and plan["cost_usd"] == pytest.approx(want_plan["cost_usd"], rel=1e-12)
    assert plan["exact"] == pytest.approx(want_plan["exact"], rel=1e-12)
    assert "options_frontier" in body["figures"] and '<section id="options"' in body["html"]
    status, plain, _ = call(app, "/api/view", "country=KAZ&start=2019&end=2021")
    assert '<section id="options"' not in plain["html"]


def test_scenario_through_the_api(app):
    pytest.importorskip("tethers.scenario.engine")
    status, body, _ = call(app, "/api/view", "country=KAZ&start=2020&end=2021&scenario=kaz-cpc-closure")
    assert status == 200, body
    eff = pl.DataFrame(body["data"]["scenario"])
    assert eff.filter((pl.col("metric") == "stranded_volume") & (pl.col("detail") == "oil"))["value"][0] > 0
    assert "scenario" in body["figures"]


# --------------------------------------------------------------------------------------------- real socket


def raw_request(live, request: bytes) -> tuple[int, bytes]:
    port = int(live.url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    resp = b"".join(chunks)
    return int(resp.split(b" ", 2)[1]), resp


@pytest.mark.parametrize("target", [b"/static/../../../../etc/passwd", b"/static/%2e%2e/%2e%2e/etc/passwd",
                                    b"/../tethers/dashboard/app.py", b"//etc/passwd"])
def test_traversal_over_http_is_404(live, target):
    host = live.url.split("//")[1].rstrip("/").encode()
    status, resp = raw_request(live, b"GET " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
    assert status == 404, resp[:200]
    assert b"root:" not in resp


def test_oversized_over_http_is_413(live):
    host = live.url.split("//")[1].rstrip("/").encode()
    status, _ = raw_request(live, b"GET /api/view?country=KAZ&pad=" + b"x" * 4000 + b" HTTP/1.1\r\nHost: " + host
                            + b"\r\nConnection: close\r\n\r\n")
    assert status == 413
    status, _ = raw_request(live, b"POST /api/view HTTP/1.1\r\nHost: " + host + b"\r\nContent-Length: 1000000\r\n"
                            b"Connection: close\r\n\r\n" + b"x" * 2000)
    assert status == 413


def test_live_server_answers_json(live):
    status, body = live.get("/api/health")
    assert status == 200 and body["status"] == "ok"
    status, body = live.get("/api/view?country=XYZ")
    assert status == 404 and "unknown country" in body["error"]
    status, body = live.get("/api/health", headers={"Host": "evil.example"})
    assert status == 400


def test_serve_command_starts_the_dashboard(atlas_path):
    """`tethers serve --port 0 --json` binds a free loopback port, prints its URL and answers."""
    import subprocess
    import sys
    import urllib.request

    proc = subprocess.Popen([sys.executable, "-m", "tethers.cli", "--atlas", str(atlas_path), "serve", "--port", "0",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        text = ""
        while True:  # the address is printed as (indented) JSON
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            text += line
            if line.startswith("}"):
                break
        url = json.loads(text)["url"]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "api/health", timeout=30) as r:
            assert json.loads(r.read())["status"] == "ok"
        with urllib.request.urlopen(url + "api/options", timeout=60) as r:
            assert "kaz-cpc-closure" in json.loads(r.read())["scenarios"]  # the shipped scenarios by default
    finally:
        proc.terminate()
        proc.wait(timeout=30)
