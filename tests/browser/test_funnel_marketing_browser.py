"""The funnel and marketing pages in a real browser: they load clean, draw their charts, and
follow the grain filter and the conversion switch."""
from __future__ import annotations

from dash.testing.wait import until

from tests.browser.conftest import free_port
from tests.pages import tree

BARS = "g.trace.bars g.point"


def _bars(dash_duo, graph_id: str) -> int:
    return len(dash_duo.find_elements(f"#{graph_id} {BARS}"))


def test_fm001_funnel_page_follows_the_grain_and_the_conversion_switch(dash_duo, demo_settings):
    """By week, then by month from the URL: the per-period table and the conversion panels
    change; the switch turns the cohorts into a period ratio that says so."""
    from dashboard.application import create_app

    app = create_app(demo_settings)
    page = tree.page("funnel")  # the module Dash imported for this app

    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/funnel")
    dash_duo.wait_for_element(f"#{page.CONVERSION_GRAPH} .main-svg", timeout=30)
    dash_duo.wait_for_element(f"#{page.VELOCITY_GRAPH} .main-svg", timeout=30)
    dash_duo.wait_for_contains_text(f"#{page.COUNTS_TABLE} tbody tr:first-child td:first-child", "W23", timeout=30)
    weekly_rows = len(dash_duo.find_elements(f"#{page.COUNTS_TABLE} tbody tr"))
    weekly_bars = _bars(dash_duo, page.CONVERSION_GRAPH)
    assert weekly_rows > 20 and weekly_bars > 100
    assert dash_duo.get_logs() == []

    dash_duo.driver.get(dash_duo.server_url + "/funnel?grain=month")
    dash_duo.wait_for_text_to_equal(f"#{page.COUNTS_TABLE} tbody tr:first-child td:first-child", "Jun 2026", timeout=30)
    assert len(dash_duo.find_elements(f"#{page.COUNTS_TABLE} tbody tr")) == 7  # June to November and the total
    until(lambda: 0 < _bars(dash_duo, page.CONVERSION_GRAPH) <= 5 * 6, timeout=30)
    assert "immature" in dash_duo.find_element(f"#{page.CONVERSION} .section-note").text.lower()

    ratio = f"//*[@id='{page.CONVERSION_VIEW}']//label[starts-with(normalize-space(.), 'Period ratio')]"
    dash_duo.driver.find_element("xpath", ratio).click()
    dash_duo.wait_for_contains_text("#funnel-conversion-note", "Period ratio, not a conversion", timeout=30)
    assert dash_duo.get_logs() == []


def test_fm002_marketing_page_follows_the_grain_dropdown(dash_duo, demo_settings):
    """The charts draw with their targets, and picking "By month" in the filter bar redraws
    the volume chart with one pair of bars a month."""
    from dashboard.application import create_app

    app = create_app(demo_settings)
    page = tree.page("marketing")  # the module Dash imported for this app

    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/marketing")
    for graph_id in (page.VOLUME_GRAPH, page.PACING_GRAPH, page.ACCEPTANCE_GRAPH):
        dash_duo.wait_for_element(f"#{graph_id} .main-svg", timeout=30)
    legend = dash_duo.find_element(f"#{page.VOLUME_GRAPH} .legend").text
    assert "MQL target" in legend
    assert "Target, ramped by working days" in dash_duo.find_element(f"#{page.PACING_GRAPH} .legend").text
    weekly_bars = _bars(dash_duo, page.VOLUME_GRAPH)
    assert weekly_bars > 40  # leads and MQLs for each of some 25 weeks
    assert dash_duo.get_logs() == []

    dash_duo.select_dcc_dropdown("#filter-grain", value="By month")
    until(lambda: _bars(dash_duo, page.VOLUME_GRAPH) == 12, timeout=30)  # June to November, two bars each
    assert "grain=month" in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#marketing-as-of", "by month", timeout=30)
    assert dash_duo.get_logs() == []
