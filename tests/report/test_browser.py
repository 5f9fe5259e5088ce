"""End to end in real headless Chromium: the dashboard updates to the right numbers, the report opens offline.

Marker ``browser`` (part of the default run, skipping where Chromium is absent; CI installs the
Debian ``chromium`` and ``chromium-driver`` packages).
"""

from __future__ import annotations

import pytest

from .conftest import requested_urls

pytestmark = pytest.mark.browser

WAIT = 120  # seconds: the first view of a country computes its sections (a few seconds), then it is cached


def _wait_ready(driver, country: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d):
        st = d.find_element(By.ID, "status")
        if st.get_attribute("data-state") == "error":
            raise AssertionError(f"dashboard error: {st.text}")
        return st.get_attribute("data-state") == "ready" and st.get_attribute("data-country") == country

    WebDriverWait(driver, WAIT).until(ready)


def _cell(driver, metric: str) -> tuple[str, float | None]:
    from selenium.webdriver.common.by import By

    el = driver.find_element(By.CSS_SELECTOR, f'#view [data-metric="{metric}"]')
    raw = el.get_attribute("data-value")
    return el.text, (float(raw) if raw else None)


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_dashboard_follows_the_country(browser, live, atlas, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from tethers.atlas import queries
    from tethers.measures.alignment import pole_agreement

    browser.get(live.url + "?country=KAZ&start=2010&end=2021")
    _wait_ready(browser, "KAZ")
    text, value = _cell(browser, "import_share:RUS")
    assert value == pytest.approx(0.4251, abs=5e-5) and text == "42.5 %"
    rendered = int(browser.find_element(By.ID, "view").get_attribute("data-rendered"))
    assert rendered >= 5  # pole shares ×2, balance, routes, alignment, fx
    assert browser.find_elements(By.CSS_SELECTOR, "#fig-alignment .main-svg")  # Plotly drew the chart
    kaz_rus = _cell(browser, "agreement:RUS")[1]
    browser.save_screenshot(str(tmp_path / "dashboard-kaz.png"))

    Select(browser.find_element(By.ID, "country")).select_by_value("UZB")
    _wait_ready(browser, "UZB")
    text, uzb_rus = _cell(browser, "agreement:RUS")
    status, api = live.get("/api/view?country=UZB&start=2010&end=2021")
    assert status == 200
    api_rus = next(r for r in api["data"]["position"] if r["pole"] == "RUS")["agreement"]
    want = pole_agreement(queries.votes(atlas, year=2021), country="UZB", year=2021)
    want_rus = want.filter(want["pole"] == "RUS")["agreement"][0]
    assert uzb_rus == pytest.approx(api_rus, abs=1e-12) == pytest.approx(want_rus, abs=1e-12)
    assert text == f"{want_rus:.3f}"
    assert uzb_rus != kaz_rus
    # 2021: IMF DOTS ends in 2020 and Eurostat's six-partner extract has no world row → no share, never 0
    assert _cell(browser, "import_share:RUS") == ("–", None)
    assert "UZB" in browser.current_url  # the address reflects the choice (shareable)
    browser.save_screenshot(str(tmp_path / "dashboard-uzb.png"))
    assert (tmp_path / "dashboard-uzb.png").stat().st_size > 10_000

    # every request the page made went to this server (chrome:// = the browser's own start page)
    urls = [u for u in requested_urls(browser) if not u.startswith(("chrome:", "about:"))]
    assert urls and all(u.startswith((live.url, "data:")) for u in urls), urls[:5]
    assert not _errors(browser)


def test_dashboard_years_and_poles(browser, live):
    from selenium.webdriver.common.by import By

    browser.get(live.url + "?country=KAZ&start=2018&end=2020&poles=RUS,CHN,EU27")
    _wait_ready(browser, "KAZ")
    status, api = live.get("/api/view?country=KAZ&start=2018&end=2020&poles=RUS,CHN,EU27")
    assert status == 200
    want = {r["pole"]: r["import_share"] for r in api["data"]["position"]}
    assert set(want) == {"RUS", "CHN", "EU27", "ROW"}
    for pole, share in want.items():
        assert _cell(browser, f"import_share:{pole}")[1] == pytest.approx(share, abs=1e-12)
    assert not browser.find_elements(By.CSS_SELECTOR, '#view [data-metric="import_share:USA"]')
    years = browser.execute_script(
        "return document.getElementById('fig-pole_import').data[0].x")  # Plotly keeps the trace on the div
    assert years == [2018, 2019, 2020]


def test_dashboard_strategic_options(browser, live):
    """Choosing the shipped options file and a budget shows the options section with the API's best mix."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(live.url + "?country=KAZ&start=2019&end=2021")
    _wait_ready(browser, "KAZ")
    assert not browser.find_elements(By.CSS_SELECTOR, "#view section#options")
    budget = browser.find_element(By.ID, "budget")
    budget.clear()
    budget.send_keys("500000000")
    Select(browser.find_element(By.ID, "options")).select_by_value("kaz-2022")  # fires the form's change
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#view section#options"))
    _wait_ready(browser, "KAZ")
    status, api = live.get("/api/view?country=KAZ&start=2019&end=2021&options=kaz-2022&budget=500000000")
    assert status == 200
    plan = api["data"]["options_plan"][0]
    assert _cell(browser, "options_plan")[1] == pytest.approx(plan["exact"], rel=1e-12)
    chosen = {r["option"]: r["level"] for r in api["data"]["options"] if r["level"]}
    for option, level in chosen.items():
        assert _cell(browser, f"level:{option}")[1] == pytest.approx(level, rel=1e-12)
    assert browser.find_elements(By.CSS_SELECTOR, "#fig-options_frontier .main-svg")
    assert "options=kaz-2022" in browser.current_url and "budget=500000000" in browser.current_url
    assert not _errors(browser)


def test_bad_parameters_show_a_clear_error(browser, live):
    from selenium.webdriver.common.by import By

    browser.get(live.url + "?country=KAZ&start=2018&end=2021")
    _wait_ready(browser, "KAZ")
    res = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('api/view?country=XYZ').then(r => r.json().then(b => done([r.status, b.error])));")
    assert res[0] == 404 and res[1].startswith("unknown country 'XYZ'")
    res = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('api/view?country=KAZ&start=1800').then(r => r.json().then(b => done([r.status, b.error])));")
    assert res[0] == 422 and "between 1946 and 2100" in res[1]
    # a bad value typed in the form shows the server's message in the status line
    start = browser.find_element(By.ID, "start")
    browser.execute_script("arguments[0].value = '2022'; arguments[0].form.dispatchEvent(new Event('change'));", start)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "error")
    assert "after end" in browser.find_element(By.ID, "status").text


def test_report_opens_offline_in_chromium(browser, report_html, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from .conftest import embedded

    html = report_html("KAZ")
    path = tmp_path / "kaz.html"
    path.write_text(html, encoding="utf-8")
    requested_urls(browser), _errors(browser)  # drain the logs of earlier pages
    browser.get(path.as_uri())
    n = len(embedded(html)["figures"])
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-rendered"))
    assert int(browser.find_element(By.TAG_NAME, "body").get_attribute("data-rendered")) == n
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-figure] .main-svg")) >= n
    urls = requested_urls(browser)
    assert urls and all(u.startswith(("file:", "data:", "blob:")) for u in urls), [u for u in urls if not u.startswith("file:")]
    assert not _errors(browser)
    browser.save_screenshot(str(tmp_path / "report.png"))
