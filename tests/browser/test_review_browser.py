"""The Review page in a real browser: a click builds the pack, the button is disabled and says
so while it builds, and the page says what was downloaded."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import free_port


def test_rv001_a_click_builds_the_workbook_and_says_so(dash_duo, demo_settings):
    from dashboard.application import create_app

    dash_duo.start_server(create_app(demo_settings), port=free_port())
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/review", timeout=30)
    dash_duo.wait_for_element("#review-xlsx-button", timeout=30)
    assert dash_duo.find_element("#review-month").text.startswith("October 2026")
    dash_duo.find_element("#review-xlsx-button").click()
    dash_duo.wait_for_contains_text("#review-xlsx-status", "XLSX workbook of October 2026 ready", timeout=60)
    button = dash_duo.driver.find_element(By.ID, "review-xlsx-button")
    WebDriverWait(dash_duo.driver, 10).until(expected_conditions.element_to_be_clickable(button))
    assert dash_duo.find_element("#review-xlsx-progress").text == ""
    assert dash_duo.get_logs() == []
