"""The World page in real headless Chromium: the choropleth draws from the shipped geometry, offline.

Marker ``browser`` (skips where Chromium is absent, fails under CI=true; see tests/report/conftest.py).
"""

from __future__ import annotations

import pytest

from .conftest import requested_urls

pytestmark = pytest.mark.browser

WAIT = 120


def _wait_ready(driver, measure: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        st = d.find_element(By.ID, "status")
        if st.get_attribute("data-state") == "error":
            raise AssertionError(f"world page error: {st.text}")
        return (st.get_attribute("data-state") == "ready"
                and d.find_element(By.ID, "view").get_attribute("data-measure") == measure)

    WebDriverWait(driver, WAIT).until(ready)


def test_world_map_renders_offline(browser, live, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(live.url + "world?measure=import_share:CHN&year=2019")
    _wait_ready(browser, "import_share:CHN")
    paths = browser.find_elements(By.CSS_SELECTOR, "#world-map path.choroplethlocation")
    assert len(paths) > 50  # every Natural Earth country drawn (177 features, some listed twice never)
    # the table: sorted by value, Kazakhstan's row is the BNS figure the API gives, no value without status ok
    rows = browser.find_elements(By.CSS_SELECTOR, "#world-table tbody tr")
    values = [float(r.get_attribute("data-value")) for r in rows if r.get_attribute("data-value")]
    assert len(values) > 100 and values == sorted(values, reverse=True)
    assert all(r.get_attribute("data-status") == "ok" for r in rows if r.get_attribute("data-value"))
    status, api = live.get("/api/world?measure=import_share:CHN&year=2019")
    assert status == 200
    kaz = next(r for r in api["rows"] if r["iso3"] == "KAZ")
    kaz_row = browser.find_element(By.CSS_SELECTOR, '#world-table tr[data-iso3="KAZ"]')
    assert float(kaz_row.get_attribute("data-value")) == pytest.approx(kaz["value"], abs=1e-12)
    browser.save_screenshot(str(tmp_path / "world.png"))
    assert (tmp_path / "world.png").stat().st_size > 10_000
    urls = [u for u in requested_urls(browser) if not u.startswith(("chrome:", "about:"))]
    assert urls and all(u.startswith((live.url, "data:")) for u in urls), urls[:5]
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
