"""Every page, and every wall view, on records whose names attack the browser: markup, formulas,
text as long as the columns allow and odd Unicode (right-to-left override, zero-width joiners,
combining marks, emoji, a wide ligature). All of it must render as inert text: no dialog, no
element made from the data, no browser error, and the wall still fits the screen."""
from __future__ import annotations

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import free_port
from tests.hostile_fixture import IMAGE

PAGES = ["/", "/funnel", "/marketing", "/sales", "/closed-loop", "/leads", "/agreement", "/data-quality", "/review"]
# What no page may contain when the text is inert.
PROBE = """
return {
  images: document.querySelectorAll('img[src="x"]').length,
  scripts: [...document.scripts].filter(s => s.textContent.includes('alert(')).length,
  pwned: window.__pwned === true,
};
"""


def _inert(dash_duo, where: str):
    try:
        alert = dash_duo.driver.switch_to.alert
        raise AssertionError(f"{where}: a dialog opened: {alert.text}")
    except NoAlertPresentException:
        pass
    assert dash_duo.driver.execute_script(PROBE) == {"images": 0, "scripts": 0, "pwned": False}, where


def test_hp001_every_page_shows_hostile_and_odd_names_as_text(dash_duo, odd_settings):
    from dashboard.application import create_app

    dash_duo.start_server(create_app(odd_settings), port=free_port())
    for path in PAGES:
        dash_duo.driver.get(dash_duo.server_url + path)
        WebDriverWait(dash_duo.driver, 30).until(lambda d: d.execute_script(
            "return !document.querySelector('._dash-loading, ._dash-loading-callback')"
            " && document.querySelectorAll('.page *').length > 20"))
        _inert(dash_duo, path)
    dash_duo.driver.get(dash_duo.server_url + "/leads")
    dash_duo.wait_for_contains_text("#leads-body", "Spring ΩΩΩ", timeout=30)
    _inert(dash_duo, "/leads")
    assert dash_duo.get_logs() == []


def test_hp002_the_wall_shows_them_as_text_and_still_fits(dash_duo, odd_settings):
    from dashboard.application import create_app
    from dashboard.wall.views import TITLES

    dash_duo.start_server(create_app(odd_settings), port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/wall?views=breaches,loop,meeting&seconds=2")
    dash_duo.wait_for_contains_text("#wall-view-breaches", "evil.exe", timeout=30)
    assert IMAGE in dash_duo.find_element("#wall-view-breaches").get_attribute("textContent")
    for name in ("loop", "meeting", "breaches"):
        dash_duo.wait_for_text_to_equal("#wall-title", TITLES[name], timeout=8)
        _inert(dash_duo, name)
        overflow = dash_duo.driver.execute_script(
            f"const v = document.getElementById('wall-view-{name}');"
            "return [v.scrollWidth - v.clientWidth, document.documentElement.scrollWidth - innerWidth];")
        assert overflow[0] <= 1 and overflow[1] <= 0, (name, overflow)
    assert dash_duo.get_logs() == []
