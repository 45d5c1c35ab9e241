"""The API reference page in a real browser (headless Chromium through chromedriver): it
renders every operation of openapi.json with the service's own script and stylesheet, and
"Try it out" with the demo credentials runs a list call against the local front.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped with a
message where they are missing.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT
from tests.e2e.conftest import LocalFront

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
)
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
LISTED = """return Array.from(document.querySelectorAll('.opblock'), block => [
    block.querySelector('.opblock-summary-method').textContent.trim(),
    block.querySelector('.opblock-summary-path').getAttribute('data-path'),
]);"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "no browser: install Debian's chromium and chromium-driver "
            "(apt-get install -y chromium chromium-driver) to run the API reference page test"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def operations() -> set[tuple[str, str]]:
    spec = json.loads((ROOT / "openapi.json").read_text("utf-8"))
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_the_page_lists_every_operation_and_runs_a_list_call(
    browser: Any, local_front: LocalFront, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    browser.get(f"{local_front.base}/docs")
    try:
        wait.until(ready.presence_of_all_elements_located((By.CSS_SELECTOR, ".opblock")))
        # Each operation's method and path, read in the page in one call (not two WebDriver
        # round trips per operation).
        shown = {(method.upper(), path) for method, path in browser.execute_script(LISTED)}
        assert shown == operations()

        # Authorize with the admin's demo credentials (the two X-USER-* API keys).
        browser.find_element(By.CSS_SELECTOR, ".auth-wrapper .authorize").click()
        dialog = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux")))
        values = {"X-USER-USERNAME": "admin@acme.example", "X-USER-TOKEN": "acme-admin-token"}
        authorized = []
        for container in dialog.find_elements(By.CSS_SELECTOR, ".auth-container"):
            names = [code.text for code in container.find_elements(By.CSS_SELECTOR, "code")]
            header = next((h for h in values if h in names), None)  # "Name: <code>X-..."
            if header is None:
                continue
            container.find_element(By.CSS_SELECTOR, "input").send_keys(values[header])
            container.find_element(By.CSS_SELECTOR, "button.authorize").click()
            authorized.append(header)
        assert sorted(authorized) == sorted(values)
        dialog.find_element(By.CSS_SELECTOR, ".close-modal").click()

        # Try it out: the provider catalog, first page.
        operation = browser.find_element(By.ID, "operations-providers-listProviders")
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))
        operation.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
        operation.find_element(By.CSS_SELECTOR, ".execute").click()
        status = wait.until(
            lambda _: operation.find_elements(
                By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
            )
        )
        assert status[0].text.strip() == "200"
        body = operation.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight").text
        assert '"type": "loyalty_providers"' in body  # the catalog, as the admin reads it
    except Exception:
        browser.save_screenshot(str(tmp_path / "api-reference.png"))
        print(f"screenshot: {tmp_path / 'api-reference.png'}")
        raise
