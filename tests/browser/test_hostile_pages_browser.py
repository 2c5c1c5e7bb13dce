"""Every page, and every wall view, on records whose names attack the browser: markup, formulas,
text as long as the columns allow and odd Unicode (right-to-left override, zero-width joiners,
combining marks, emoji, a wide ligature). All of it must render as inert text: no dialog, no
element made from the data, no browser error, and the wall still fits the screen."""
from __future__ import annotations

import datetime as dt

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import free_port
from tests.demo_fixture import AS_OF
from tests.hostile_fixture import FORMULA, IMAGE, SCRIPT

RTL = "Zoë \u202eevil.exe\u202c O\u200d\u200dwner"
LONG_CAMPAIGN = ("Spring " + "Ω" * 280 + SCRIPT)[:300]
SOURCE = ("😀🚀 ﷽ e\u0301\u0301\u0301 " + IMAGE)[:100]
PAGES = ["/", "/funnel", "/marketing", "/sales", "/closed-loop", "/leads", "/agreement", "/data-quality", "/review"]
# What no page may contain when the text is inert.
PROBE = """
return {
  images: document.querySelectorAll('img[src="x"]').length,
  scripts: [...document.scripts].filter(s => s.textContent.includes('alert(')).length,
  pwned: window.__pwned === true,
};
"""


@pytest.fixture(scope="module")
def odd_settings(tmp_path_factory):
    """Thirty leads of this month, each an MQL nobody touched (open breaches of the odd owner),
    from a campaign with a 300-character name and a source of emoji and markup."""
    from sqlalchemy import insert

    from dashboard.settings import Settings
    from queries.db import init_db
    from queries.schema import Campaign, Lead, Owner

    path = tmp_path_factory.mktemp("odd") / "odd.db"
    engine = init_db(f"sqlite:///{path}")
    start = dt.datetime(2026, 11, 2, 8, tzinfo=dt.timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(Owner), [{"id": 1, "external_id": "O1", "name": RTL, "team": "sdr", "active": True},
                                           {"id": 2, "external_id": "O2", "name": IMAGE, "team": "sales", "active": True}])
        connection.execute(insert(Campaign), [{"id": 1, "external_id": "C1", "name": LONG_CAMPAIGN, "channel": SOURCE,
                                               "cost": 1000, "currency": "EUR", "starts_on": dt.date(2026, 11, 1)}])
        connection.execute(insert(Lead), [
            {"id": i, "external_id": f"{FORMULA}-{i}" if i % 2 else f"{SCRIPT}-{i}", "created_at": start + dt.timedelta(hours=i),
             "source": SOURCE, "campaign_id": 1, "segment": "🚀 Enterprise", "owner_id": 1 + i % 2,
             "mql_at": start + dt.timedelta(hours=i, minutes=5), "updated_at": start}
            for i in range(1, 31)])
    return Settings(database_url=f"sqlite:///{path}", as_of=AS_OF)


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
            "const v = document.getElementById('wall-view-%s');"
            "return [v.scrollWidth - v.clientWidth, document.documentElement.scrollWidth - innerWidth];" % name)
        assert overflow[0] <= 1 and overflow[1] <= 0, (name, overflow)
    assert dash_duo.get_logs() == []
