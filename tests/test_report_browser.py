"""The bundled example's report in a real headless browser (Debian's chromium + chromium-driver).

Measured through the page's own DOM: every figure has a rendered size, the sections are
there, nothing but the file itself was requested, the page fits a phone-width window, and
the placement table sorts. Screenshots at 1280 and 400 px are kept (their paths are printed;
``RESOPT_ARTIFACTS`` chooses the folder). Under ``CI=true`` a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECTIONS = ["headline", "warnings", "costs", "pools", "placement", "unplaced", "diff", "trace"]


def _missing_browser() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} not found (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"No browser for the report test under CI: {missing}.")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="resopt-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """``resopt plan --example --out DIR``, through the real command line."""
    folder = tmp_path_factory.mktemp("browser")
    out = folder / "plan"
    subprocess.run([sys.executable, "-m", "resopt", "plan", "--example", "--out", str(out),
                    "--db", str(folder / "history.sqlite"), "--quiet"], check=True, capture_output=True)
    return out / "report.html"


def _requests(driver) -> list[str]:
    """URLs the browser asked for since the last call (Chrome's network log)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


_MEASURE = """
const box = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
return {
  ready: document.readyState,
  figures: Array.from(document.querySelectorAll("svg.figure, img")).map(el =>
      [el.getAttribute("data-figure") || el.getAttribute("src"), ...box(el),
       (el.querySelector("title") || {}).textContent || el.getAttribute("alt") || ""]),
  sections: Array.from(document.querySelectorAll("[id]")).map(el => el.id),
  resources: performance.getEntriesByType("resource").map(e => e.name),
  navigation: performance.getEntriesByType("navigation").map(e => e.name),
  pageWidth: document.documentElement.scrollWidth,
  viewWidth: window.innerWidth,
  height: document.documentElement.scrollHeight,
};
"""


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("RESOPT_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("width", [1280, 400])
def test_report_renders_in_a_browser_with_no_network(browser, report, width, tmp_path, capsys):
    from selenium.webdriver.support.ui import WebDriverWait

    _requests(browser)  # drop what earlier pages logged
    browser.set_window_size(width, 900)
    browser.get(report.as_uri())
    WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    page = browser.execute_script(_MEASURE)
    assert page["ready"] == "complete"
    figures = page["figures"]
    assert len(figures) == 2 + 2 * 12  # cost bars, coverage bars, a fan and a curve per pool
    for name, w, h, alt in figures:
        assert w > 50 and h > 30, (name, w, h)
        assert w <= page["viewWidth"], (name, w)
        assert len(alt) > 40, name
    assert set(SECTIONS) <= set(page["sections"])
    assert {f"pool-{i}" for i in range(12)} <= set(page["sections"])
    # nothing but the file itself was requested
    assert page["navigation"] == [report.as_uri()]
    assert all(url.split(":", 1)[0] in ("data", "about", "file") for url in page["resources"]), page["resources"]
    requested = _requests(browser)
    assert requested and all(url.split(":", 1)[0] in ("data", "about", "file") for url in requested), requested
    # no sideways scrolling of the page at either width: wide tables scroll in their own box
    assert page["pageWidth"] <= page["viewWidth"], (page["pageWidth"], page["viewWidth"])
    browser.set_window_size(width, min(page["height"] + 150, 16_000))
    shot = _artifacts(tmp_path) / f"report-{width}px.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    with capsys.disabled():
        print(f"\nreport screenshot at {width} px: {shot}")


def test_report_placement_table_sorts_by_a_column(browser, report):
    from selenium.webdriver.common.by import By

    browser.set_window_size(1280, 900)
    browser.get(report.as_uri())
    table = browser.find_element(By.ID, "placement-table")
    heads = table.find_elements(By.CSS_SELECTOR, "thead th")
    cost = [h for h in heads if h.text.startswith("cost")][0]
    column = [h.text for h in heads].index(cost.text)
    read = f"""return Array.from(document.querySelectorAll("#placement-table tbody tr"))
                   .map(r => parseFloat(r.cells[{column}].dataset.sort));"""
    before = browser.execute_script(read)
    browser.execute_script("arguments[0].scrollIntoView()", cost)
    cost.find_element(By.TAG_NAME, "button").click()
    ascending = browser.execute_script(read)
    assert ascending == sorted(before) and cost.get_attribute("aria-sort") == "ascending"
    cost.find_element(By.TAG_NAME, "button").click()
    assert browser.execute_script(read) == sorted(before, reverse=True)
    assert cost.get_attribute("aria-sort") == "descending"
