"""The scoreboard in a real browser: it loads clean, its numbers are `kpis`' numbers, and a
filter in the URL changes them."""
from __future__ import annotations

import datetime as dt

from dashboard.components import formatting
from dashboard.metrics.kpis import compute_kpis
from queries.db import get_engine
from queries.loaders import Filters, load_dataset
from tests.browser.conftest import free_port
from tests.demo_fixture import AS_OF


def _month_kpis(settings, filters=Filters()):
    data = load_dataset(get_engine(settings.database_url), AS_OF, filters)
    return compute_kpis(data, settings.agreement(), "month", dt.date(2026, 11, 1), dt.date(2026, 11, 1), AS_OF)[0]


def test_sb001_scoreboard_numbers_equal_kpis(dash_duo, demo_settings):
    """Every commitment's month-to-date actual on the page is what `kpis` prints."""
    from dashboard.application import create_app

    dash_duo.start_server(create_app(demo_settings), port=free_port())
    dash_duo.wait_for_element("#commitment-mql_volume", timeout=30)
    month = _month_kpis(demo_settings)
    agreement = demo_settings.agreement()
    for commitment in agreement.commitments:
        actual = dash_duo.find_element(f"#score-{commitment.id}-this_month td.actual").text
        assert actual == formatting.metric_value(commitment.metric, month["commitments"][commitment.id]["actual"],
                                                 agreement.currency), commitment.id
    assert dash_duo.get_logs() == []


def test_sb002_a_filter_in_the_url_changes_the_numbers_and_the_link_reproduces_it(dash_duo, demo_settings):
    """Opening a copied link with segment=Enterprise shows the Enterprise figures, and the
    filter bar shows the segment chosen."""
    from dashboard.application import create_app

    dash_duo.start_server(create_app(demo_settings), port=free_port())
    dash_duo.wait_for_element("#commitment-mql_volume", timeout=30)
    everyone = dash_duo.find_element("#score-mql_volume-this_quarter td.actual").text

    dash_duo.driver.get(dash_duo.server_url + "/?segment=Enterprise")
    enterprise = _month_kpis(demo_settings, Filters(segments=("Enterprise",)))
    expected = formatting.metric_value("mqls", enterprise["mqls"])
    dash_duo.wait_for_text_to_equal("#score-mql_volume-this_month td.actual", expected, timeout=30)
    assert dash_duo.find_element("#score-mql_volume-this_quarter td.actual").text != everyone
    assert "Enterprise" in dash_duo.find_element("#filter-segment").text
    assert dash_duo.get_logs() == []
