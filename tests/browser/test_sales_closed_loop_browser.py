"""The sales and closed-loop pages in a real browser: they load clean, show the figures the
metrics compute, and a filter changes them."""
from __future__ import annotations

import datetime as dt

from dashboard.metrics.kpis import kpi_table, periods_for
from queries.db import get_engine
from queries.loaders import Filters, load_dataset
from tests.browser.conftest import free_port
from tests.demo_fixture import AS_OF

START, END = dt.date(2026, 6, 1), dt.date(2026, 11, 20)  # the default dates on 20 Nov 2026


def _open_breaches(settings, filters=Filters()) -> int:
    data = load_dataset(get_engine(settings.database_url), AS_OF, filters)
    table = kpi_table(data, settings.agreement(), "week", periods_for("week", START, END), AS_OF)
    return int(table["open_breaches"].sum())


def _cohort(settings, filters=Filters()) -> int:
    from tests.factories import t

    leads = load_dataset(get_engine(settings.database_url), AS_OF, filters).leads
    return int(((leads["created_at"] >= t("2026-06-01 00:00")) & (leads["created_at"] < t("2026-11-21 00:00"))).sum())


def test_sl001_sales_page_shows_the_breaches_and_a_filter_changes_them(dash_duo, demo_settings):
    """The breach count is `kpis`' open breaches, the grid lists them with links to the leads,
    the charts draw; with source=webinar in the URL the count is the webinar leads' count."""
    from dashboard.application import create_app

    dash_duo.start_server(create_app(demo_settings), port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/sales")
    everyone = _open_breaches(demo_settings)
    dash_duo.wait_for_text_to_equal("#sales-breach-count", f"{everyone:,}", timeout=30)
    dash_duo.wait_for_element("#sales-breach-grid .ag-row a[href^='/leads?lead=']", timeout=30)
    dash_duo.wait_for_element("#sales-response-histogram .main-svg", timeout=30)
    dash_duo.wait_for_element("#sales-sqls .main-svg", timeout=30)
    dash_duo.wait_for_element("#sales-pipeline .main-svg", timeout=30)

    dash_duo.driver.get(dash_duo.server_url + "/sales?source=webinar")
    webinar = _open_breaches(demo_settings, Filters(sources=("webinar",)))
    assert webinar != everyone
    dash_duo.wait_for_text_to_equal("#sales-breach-count", f"{webinar:,}", timeout=30)
    dash_duo.wait_for_element("#sales-pipeline .main-svg", timeout=30)  # the page has finished drawing
    assert "webinar" in dash_duo.find_element("#filter-source").text
    assert dash_duo.get_logs() == []


def test_sl002_closed_loop_page_shows_the_cohort_and_a_filter_and_switch_change_it(dash_duo, demo_settings):
    """The leads card is the cohort's size, the grid and chart draw; source=webinar narrows the
    cohort, and the switch regroups the grid per source."""
    from dashboard.application import create_app

    dash_duo.start_server(create_app(demo_settings), port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/closed-loop")
    dash_duo.wait_for_text_to_equal("#loop-total-leads .kpi-value", f"{_cohort(demo_settings):,}", timeout=30)
    dash_duo.wait_for_element("#loop-grid .ag-row", timeout=30)
    dash_duo.wait_for_element("#loop-chart .main-svg", timeout=30)
    assert dash_duo.find_element("#loop-cohort").text.startswith("Leads created between 1 Jun 2026 and 20 Nov 2026")

    dash_duo.driver.get(dash_duo.server_url + "/closed-loop?source=webinar")
    webinar = _cohort(demo_settings, Filters(sources=("webinar",)))
    dash_duo.wait_for_text_to_equal("#loop-total-leads .kpi-value", f"{webinar:,}", timeout=30)

    dash_duo.find_elements("#loop-by label")[1].click()  # "Per source"
    dash_duo.wait_for_text_to_equal("#loop-grid .ag-pinned-left-cols-container .ag-row[row-index='0']", "webinar",
                                    timeout=30)
    assert dash_duo.get_logs() == []
