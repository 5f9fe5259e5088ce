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


def test_report_world_section_renders_offline(browser, views, atlas_path, tmp_path):
    """`report --world`: the section's map is drawn in the report file, from the embedded geometry, offline."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tethers.analysis.world import world_view
    from tethers.atlas.store import Atlas
    from tethers.report.html import render_report
    from tethers.report.html_world import insert_world_section

    from .conftest import embedded

    with Atlas(atlas_path) as a:
        wv = world_view("import_share:RUS", 2020, atlas=a).to_dict()
    html = insert_world_section(render_report(views("KAZ")), wv, "KAZ", "Kazakhstan")
    path = tmp_path / "kaz-world.html"
    path.write_text(html, encoding="utf-8")
    requested_urls(browser)  # drain the log of earlier pages
    browser.get(path.as_uri())
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-rendered"))
    # every figure of the report plus the map
    assert int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered")) == len(embedded(html)["figures"]) + 1
    paths = browser.find_elements(By.CSS_SELECTOR, "#world path.choroplethlocation")
    assert len(paths) > 150
    urls = requested_urls(browser)
    assert urls and all(u.startswith(("file:", "data:", "blob:")) for u in urls), [u for u in urls if not u.startswith("file:")]
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
