"""Fixtures for the report and dashboard tests: report views per country, a live dashboard, headless Chromium.

The browser tests (marker ``browser``) drive the Debian ``chromium`` + ``chromium-driver`` packages through
Selenium; where they are absent the tests skip, except under CI (``CI`` set), where they fail: CI installs
them, so a missing browser there is a broken setup, not a reason to go green.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
COUNTRIES = ("KAZ", "UZB", "KGZ", "RUS")
YEAR = 2021


@pytest.fixture(scope="session")
def views(atlas_path):
    """Report views of the test countries for 2021, computed once per session (country → ReportView)."""
    from tethers.atlas.store import Atlas
    from tethers.report.views import collect

    cache: dict = {}

    def get(country: str):
        if country not in cache:
            with Atlas(atlas_path) as a:
                cache[country] = collect(country, atlas=a, year=YEAR)
        return cache[country]

    return get


@pytest.fixture(scope="session")
def report_html(views, atlas_path):
    """The rendered report (HTML text) of each test country, rendered once per session."""
    from tethers.report.html import render_report

    cache: dict = {}

    def get(country: str) -> str:
        if country not in cache:
            cache[country] = render_report(views(country))
        return cache[country]

    return get


def embedded(html: str) -> dict:
    """The JSON payload the report embeds in <script type="application/json" id="tethers-data">."""
    start = html.index('<script type="application/json" id="tethers-data">')
    start = html.index(">", start) + 1
    end = html.index("</script>", start)
    return json.loads(html[start:end])


def trace(fig: dict, **meta) -> dict:
    """The trace of a figure whose ``meta`` has these values."""
    hits = [t for t in fig["data"] if all((t.get("meta") or {}).get(k) == v for k, v in meta.items())]
    assert len(hits) == 1, f"{len(hits)} traces with meta {meta}"
    return hits[0]


def at(tr: dict, x) -> float | None:
    return tr["y"][tr["x"].index(x)]


# --------------------------------------------------------------------------------------------- server


class LiveServer:
    def __init__(self, server) -> None:
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_port}/"
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def get(self, path: str, *, headers: dict | None = None) -> tuple[int, dict | str]:
        req = urllib.request.Request(self.url + path.lstrip("/"), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                body, status, ctype = r.read(), r.status, r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            body, status, ctype = e.read(), e.code, e.headers.get("Content-Type", "")
        return status, json.loads(body) if ctype.startswith("application/json") else body.decode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(atlas_path):
    """The dashboard on a free loopback port, with the shipped scenario and options files; stopped after the module."""
    from tethers.dashboard.app import make_server

    srv = LiveServer(make_server("127.0.0.1", 0, atlas_path=atlas_path, scenario_dir=SCENARIOS,
                                 options_dir=ROOT / "options", quiet=True))
    yield srv
    srv.stop()


# --------------------------------------------------------------------------------------------- browser


def _need_browser() -> tuple[str, str]:
    from tethers.report.html import find_chromium

    chromium = find_chromium()
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if chromium and driver:
        return chromium, driver
    msg = "headless Chromium and chromedriver are needed (apt-get install -y chromium chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(msg + "; CI must install them")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Selenium + the system chromedriver) that makes no background requests."""
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = _need_browser()
    profile = tempfile.mkdtemp(prefix="tethers-test-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1300,1400", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(driver), options=opts)
    d.set_page_load_timeout(120)
    d.set_script_timeout(120)
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


def requested_urls(driver) -> list[str]:
    """Every URL the page asked the network for (DevTools performance log), drained."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls
