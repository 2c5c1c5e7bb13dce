"""The wall screen in a real browser at 1920x1080 and 3840x2160: it rotates, it picks up a new
record without a page reload, nothing is cut off or too small to read from 3 metres, and it
keeps its last numbers under a "stale" banner while the database is away."""
from __future__ import annotations

import sqlite3
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import create_engine, insert, text

from dashboard.settings import Settings
from dashboard.wall.views import TITLES
from queries.schema import Lead
from tests.browser.conftest import free_port
from tests.conftest import SERVER_URLS
from tests.demo_fixture import AS_OF, TODAY

# Every element with text of its own, and its font size, on the view shown now; and whether the
# view or the page overflow their boxes.
MEASURE = """
const view = [...document.querySelectorAll('.wall-view')].find(v => v.offsetParent !== null);
const sizes = [];
for (const el of document.querySelectorAll('.wall *')) {
  if (el.offsetParent === null) continue;
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (own) sizes.push([parseFloat(getComputedStyle(el).fontSize), el.textContent.trim().slice(0, 40)]);
}
const deck = document.getElementById('wall-deck');
return {
  sizes: sizes,
  viewOverflow: view ? [view.scrollWidth - view.clientWidth, view.scrollHeight - view.clientHeight] : null,
  deckOverflow: [deck.scrollWidth - deck.clientWidth, deck.scrollHeight - deck.clientHeight],
  pageOverflow: [document.documentElement.scrollWidth - innerWidth, document.documentElement.scrollHeight - innerHeight],
  height: innerHeight, width: innerWidth,
};
"""


def _copy_demo(demo_settings, tmp_path) -> str:
    """A private copy of the session's demo database (this test writes to it)."""
    source = demo_settings.database_url.removeprefix("sqlite:///")
    target = tmp_path / "wall.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


def _start(dash_duo, settings, query: str, size=(1920, 1080)):
    from dashboard.application import create_app

    dash_duo.start_server(create_app(settings), navigate=False, port=free_port())
    # The page's own size exactly (a window's size would include the browser's frame).
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + "/wall?" + query)  # not "/": it may ask for a sign-in
    WebDriverWait(dash_duo.driver, 30).until(
        lambda d: d.find_element(By.ID, "wall-updated").text.startswith("updated"))


def _check_layout(dash_duo, name: str, size):
    """The view shown now fits its box, the page does not scroll, and no text is smaller than
    2.1 % of the screen's height (23 px at 1080 p: legible from 3 metres on a 55-inch TV)."""
    measured = dash_duo.driver.execute_script(MEASURE)
    assert (measured["width"], measured["height"]) == size
    assert measured["viewOverflow"][0] <= 1 and measured["viewOverflow"][1] <= 1, (name, measured["viewOverflow"])
    assert measured["pageOverflow"] == [0, 0], (name, measured["pageOverflow"])
    smallest = min(measured["sizes"])
    assert smallest[0] >= 0.021 * measured["height"], (name, smallest, measured["height"])


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160)], ids=["1080p", "2160p"])
def test_wb001_the_wall_rotates_through_every_view_and_each_fits_and_reads(dash_duo, demo_settings, size):
    """With two seconds a view, the title and the shown view advance through the whole
    playlist; each view fits the screen at this resolution with legible type; no navigation."""
    _start(dash_duo, demo_settings, "seconds=2", size)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".navbar")[0].is_displayed() is False
    assert dash_duo.driver.find_element(By.ID, "filter-bar").is_displayed() is False
    order = ["meeting", "week", "month", "funnel", "breaches", "loop"]
    shown = int(dash_duo.find_element("#wall-deck").get_attribute("class").split("show-")[1])
    for step in range(1, len(order) + 2):  # every view, then round to the first again
        index = (shown + step) % len(order)
        name = order[index]
        dash_duo.wait_for_text_to_equal("#wall-title", TITLES[name], timeout=6)
        assert f"show-{index}" in dash_duo.find_element("#wall-deck").get_attribute("class")
        assert dash_duo.find_element(f"#wall-view-{name}").is_displayed()
        _check_layout(dash_duo, name, size)
    assert dash_duo.get_logs() == []


def test_wb002_a_refresh_shows_a_new_record_without_reloading_the_page(dash_duo, demo_settings, tmp_path):
    """An MQL inserted this week raises the week's MQL tile by one at the next refresh; the page
    is the same document (a marker set on window survives)."""
    url = _copy_demo(demo_settings, tmp_path)
    settings = Settings(database_url=url, as_of=AS_OF, cache_seconds=0)
    _start(dash_duo, settings, "views=week&refresh=1s")
    before = int(dash_duo.find_element("#wall-week-mql_volume").text.replace(",", ""))
    dash_duo.driver.execute_script("window.wallMarker = 'same page';")

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(insert(Lead).values(
            external_id="WALL-NEW-1", created_at=AS_OF.to_pydatetime().replace(hour=6),
            mql_at=AS_OF.to_pydatetime().replace(hour=7), updated_at=AS_OF.to_pydatetime(),
            source="webinar", segment="SMB"))
    engine.dispose()

    dash_duo.wait_for_text_to_equal("#wall-week-mql_volume", f"{before + 1:,}", timeout=20)
    assert dash_duo.driver.execute_script("return window.wallMarker") == "same page"
    assert dash_duo.get_logs() == []


@pytest.fixture
def demo_postgresql():
    """A PostgreSQL database of its own with a small demo; skips when the server is down."""
    from dashboard.demo import generate_demo
    from queries.db import get_engine, init_db

    admin = create_engine(SERVER_URLS["postgresql"], isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    name = f"wall_{uuid.uuid4().hex}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # noqa: BLE001 - not reachable here
        admin.dispose()
        pytest.skip(f"postgresql not reachable: {str(error).splitlines()[0]}")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        generate_demo(init_db(url), seed=7, today=TODAY, n_leads=400)
        yield url, admin, name
    finally:
        get_engine(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_wb003_the_database_going_away_shows_stale_numbers_and_coming_back_clears_it(dash_duo, demo_postgresql):
    """The database refuses connections (and its sessions are cut): the banner says since when
    the data is stale and the old numbers stay; connections allowed again: the banner goes by
    itself and the numbers are live."""
    url, admin, name = demo_postgresql
    _start(dash_duo, Settings(database_url=url, as_of=AS_OF, cache_seconds=0), "views=week&refresh=1s")
    shown = dash_duo.find_element("#wall-week-mql_volume").text
    updated = dash_duo.find_element("#wall-updated").text

    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                           {"name": name})
    WebDriverWait(dash_duo.driver, 30).until(
        lambda d: d.find_element(By.ID, "wall-banner").is_displayed())
    banner = dash_duo.find_element("#wall-banner").text
    assert banner.startswith(f"⚠ Data is stale since {updated.removeprefix('updated ')}")
    assert dash_duo.find_element("#wall-week-mql_volume").text == shown

    with admin.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
    WebDriverWait(dash_duo.driver, 30).until(
        lambda d: not d.find_element(By.ID, "wall-banner").is_displayed())
    assert dash_duo.find_element("#wall-week-mql_volume").text == shown
    # The server logged the failed refreshes as warnings; the browser saw no error.
    assert dash_duo.get_logs() == []


def test_wb004_a_wall_link_shows_the_wall_with_users_configured_and_revoking_it_blanks_the_screen(
        dash_duo, demo_settings, tmp_path):
    """With sign-in required, the link opens the wall (its URL loses the token), the screen runs
    with no browser error, and revoking the link sends it to the sign-in page at the next refresh."""
    import dataclasses

    from dashboard.users import add_user
    from dashboard.wall.tokens import create_link, revoke_link

    add_user(tmp_path / "users.json", "ada", "a long enough password", "admin")
    link, token = create_link(tmp_path / "links.json", "Corridor TV")
    settings = dataclasses.replace(demo_settings, users_path=tmp_path / "users.json",
                                   wall_tokens_path=tmp_path / "links.json", secret_key_path=tmp_path / "key")
    _start(dash_duo, settings, f"token={token}&views=week,month&seconds=2&refresh=2s")
    assert "token" not in dash_duo.driver.current_url
    dash_duo.wait_for_text_to_equal("#wall-title", TITLES["month"], timeout=10)
    assert dash_duo.find_element("#wall-week-mql_volume").get_attribute("textContent").strip()  # hidden: not .text
    assert dash_duo.get_logs() == []

    revoke_link(tmp_path / "links.json", link.id)
    WebDriverWait(dash_duo.driver, 20).until(lambda d: "/login" in d.current_url)
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#wall-week-mql_volume") == []
