"""The closed-loop page: its table worked out by hand on a tiny dataset, then its callback called
as a plain function on the demo database."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from dashboard.metrics.closed_loop_view import (
    campaigns_in_view,
    cohort_leads,
    loop_table,
    loop_totals,
    rows_to_chart,
)
from dashboard.metrics.stages import as_known_at, effective_stages
from tests.demo_fixture import AS_OF
from tests.factories import dataset, t
from tests.pages import tree
from tests.pages.tree import find, texts

TZ = "Europe/Helsinki"
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))

# November 2026, seen at Fri 20 Nov 12:00.
#   campaign 1 "Webinar A" (webinar), 1-10 Nov, cost 1,000: all of it in November.
#   campaign 2 "Search ads" (paid_search), from 22 Oct, still running, cost 3,000, with spend
#     rows (campaign_costs) 22-31 Oct 1,000 and 1-20 Nov 2,000: 2,000 in November.
#   campaign 3 "Fair" (events), 1-2 Sep, cost 5,000: nothing in November.
#   lead  created   campaign  source          reached                  won deals (closed)
#   1     2 Nov     1         webinar         MQL, SQL                 D1 9,000 (10 Nov)
#   2     2 Nov     1         webinar         MQL
#   3     3 Nov     2         paid_search     -
#   4     3 Nov     2         paid_search     MQL, SQL                 D2 1,000 (12 Nov), D3 500 (15 Nov)
#   5     4 Nov     2         paid_search     -
#   6     4 Nov     -         organic_search  (all inferred from D4)   D4 2,000 (16 Nov)
#   7     25 Oct    1         webinar         -                        outside the cohort
#   8     5 Nov     1         webinar         (inferred from D5)       D5 4,000 closes 25 Nov: still open at as_of,
#                                                                      but created 6 Nov: an opportunity, so an
#                                                                      MQL and SQL (SPEC 1)
LEADS = [
    dict(id=1, created_at="2026-11-02 09:00", campaign_id=1, source="webinar", mql_at="2026-11-02 10:00",
         sql_at="2026-11-04 10:00"),
    dict(id=2, created_at="2026-11-02 09:00", campaign_id=1, source="webinar", mql_at="2026-11-02 11:00"),
    dict(id=3, created_at="2026-11-03 09:00", campaign_id=2, source="paid_search"),
    dict(id=4, created_at="2026-11-03 09:00", campaign_id=2, source="paid_search", mql_at="2026-11-03 10:00",
         sql_at="2026-11-05 10:00"),
    dict(id=5, created_at="2026-11-04 09:00", campaign_id=2, source="paid_search"),
    dict(id=6, created_at="2026-11-04 09:00", source="organic_search"),
    dict(id=7, created_at="2026-10-25 09:00", campaign_id=1, source="webinar"),
    dict(id=8, created_at="2026-11-05 09:00", campaign_id=1, source="webinar"),
]
DEALS = [
    dict(id=1, lead_id=1, created_at="2026-11-05 10:00", closed_at="2026-11-10 10:00", is_won=True, amount=9000),
    dict(id=2, lead_id=4, created_at="2026-11-06 10:00", closed_at="2026-11-12 10:00", is_won=True, amount=1000),
    dict(id=3, lead_id=4, created_at="2026-11-06 10:00", closed_at="2026-11-15 10:00", is_won=True, amount=500),
    dict(id=4, lead_id=6, created_at="2026-11-06 10:00", closed_at="2026-11-16 10:00", is_won=True, amount=2000),
    dict(id=5, lead_id=8, created_at="2026-11-06 10:00", closed_at="2026-11-25 10:00", is_won=True, amount=4000),
]
CAMPAIGNS = [
    dict(id=1, name="Webinar A", channel="webinar", started_on="2026-11-01", ended_on="2026-11-10", cost=1000),
    dict(id=2, name="Search ads", channel="paid_search", started_on="2026-10-22", cost=3000),
    dict(id=3, name="Fair", channel="events", started_on="2026-09-01", ended_on="2026-09-02", cost=5000),
]
COST_ROWS = [
    dict(id=1, campaign_id=2, period_start="2026-10-22", period_end="2026-10-31", amount=1000),
    dict(id=2, campaign_id=2, period_start="2026-11-01", period_end="2026-11-20", amount=2000),
]
AS_OF_HAND = t("2026-11-20 12:00")


@pytest.fixture(scope="module")
def known():
    data = as_known_at(dataset(LEADS, DEALS, campaign_rows=CAMPAIGNS, cost_rows=COST_ROWS), AS_OF_HAND)
    return data, effective_stages(data.leads, data.deals)


def _table(known, by, with_cost_rows=True):
    data, stages = known
    return loop_table(stages, data.deals, data.campaigns, by, *NOVEMBER, TZ, "EUR", {},
                      data.campaign_costs if with_cost_rows else None)


def test_loop_by_campaign_by_hand(known):
    """Webinar A: 3 leads (1, 2, 8), 3 MQLs, 2 SQLs (1, 8), 1 won (9,000), cost 1,000: 333.33
    a lead, 333.33 an MQL, 1,000 a won deal, return 9. Search ads: 3 leads, 1 MQL, 1 SQL, 1 won lead with
    2 deals (1,500), cost 2,000: 666.67 a lead, 2,000 an MQL, 1,000 a deal, return 0.75. Lead 6
    has no campaign; its stages are inferred from its won deal. Fair cost nothing in November
    and brought no lead: not listed. Most revenue first."""
    table = _table(known, "campaign")
    assert table["label"].tolist() == ["Webinar A", "(no campaign)", "Search ads"]
    assert table["channel"].tolist() == ["webinar", None, "paid_search"]
    counts = table[["leads", "mqls", "sqls", "won_leads", "deals_won"]].values.tolist()
    assert counts == [[3, 3, 2, 1, 1], [1, 1, 1, 1, 1], [3, 1, 1, 1, 2]]
    assert table["revenue_won"].tolist() == [9000.0, 2000.0, 1500.0]
    webinar, none, search = (table.iloc[i] for i in range(3))
    assert (webinar["cost"], webinar["cost_per_lead"], webinar["cost_per_mql"], webinar["cost_per_won_deal"],
            webinar["return_on_cost"], webinar["conv_lead_won"]) == pytest.approx((1000, 1000 / 3, 1000 / 3, 1000, 9.0, 1 / 3))
    assert (search["cost"], search["cost_per_lead"], search["cost_per_mql"], search["cost_per_won_deal"],
            search["return_on_cost"]) == pytest.approx((2000, 2000 / 3, 2000, 1000, 0.75))
    assert np.isnan(none["cost"]) and np.isnan(none["return_on_cost"])


def test_loop_totals_recompute_the_ratios(known):
    """7 leads, 5 MQLs, 4 SQLs, 3 won leads, 4 deals, 12,500 revenue, conversion 3/7. Cost and
    its ratios count the rows with a cost only: 3,000 over 6 leads (500), 4 MQLs (750), 3 deals
    (1,000); return (9,000 + 1,500) / 3,000 = 3.5, not 12,500 / 3,000: lead 6's 2,000 has no
    campaign and is given beside it. Per source the same totals."""
    totals = loop_totals(_table(known, "campaign"))
    assert (totals["revenue_with_campaign"], totals["revenue_without_campaign"]) == (10500, 2000)
    by_source = loop_totals(_table(known, "source"))
    assert by_source[["cost", "return_on_cost", "revenue_without_campaign"]].tolist() == pytest.approx([3000, 3.5, 2000])
    assert totals[["leads", "mqls", "sqls", "won_leads", "deals_won", "revenue_won"]].tolist() == [7, 5, 4, 3, 4, 12500]
    assert totals["conv_lead_won"] == pytest.approx(3 / 7)
    assert totals[["cost", "cost_per_lead", "cost_per_mql", "cost_per_won_deal", "return_on_cost"]].tolist() == \
        pytest.approx([3000, 500, 750, 1000, 3.5])


def test_loop_by_source_takes_the_channel_s_cost(known):
    """Per source the same leads; webinar costs its channel's 1,000, paid search 2,000, organic
    search nothing."""
    table = _table(known, "source").set_index("key")
    assert table.loc[["webinar", "paid_search", "organic_search"], "leads"].tolist() == [3, 3, 1]
    assert table.loc["webinar", "cost"] == pytest.approx(1000)
    assert table.loc["paid_search", "cost"] == pytest.approx(2000)
    assert np.isnan(table.loc["organic_search", "cost"])
    assert table.loc["paid_search", "label"] == "paid search"


def test_an_open_ended_campaign_without_cost_rows_costs_all_on_its_first_day(known):
    """Without its spend rows, Search ads (no end) has all of its 3,000 on its first day (22
    Oct), so November carries none of it (SPEC 10)."""
    assert _table(known, "campaign", with_cost_rows=False).set_index("label").loc["Search ads", "cost"] == 0


def test_a_filtered_view_keeps_only_its_campaigns(known):
    """Filtered to webinar leads, the cohort's campaigns are Webinar A alone: Search ads' spend
    is not the webinar leads' cost."""
    data, stages = known
    webinar = stages[stages["source"] == "webinar"]
    cohort = cohort_leads(webinar, *NOVEMBER, TZ)
    assert cohort["id"].tolist() == [1, 2, 8]
    kept = campaigns_in_view(data.campaigns, cohort["campaign_id"], sources=("webinar",))
    assert kept["name"].tolist() == ["Webinar A"]
    assert campaigns_in_view(data.campaigns, [], campaign_ids=(3,))["name"].tolist() == ["Fair"]


def test_rows_to_chart_keeps_the_biggest_by_leads_and_by_revenue(known):
    """Each=1: Webinar A is first by leads (tied with Search ads, first in order) and by revenue.
    Each=2: by leads Webinar A and Search ads, by revenue Webinar A and no campaign: all three."""
    table = _table(known, "campaign")
    assert rows_to_chart(table, 1)["label"].tolist() == ["Webinar A"]
    assert rows_to_chart(table, 2)["label"].tolist() == ["Webinar A", "(no campaign)", "Search ads"]


# --- the page on the demo database ---------------------------------------------------------

def _cohort_size(settings, sources=()):
    """Leads created 1 Jun - 20 Nov 2026 (Helsinki), counted straight from the records."""
    from dashboard.data import dataset_for
    from queries.loaders import Filters

    leads = dataset_for(settings, Filters(sources=tuple(sources))).leads
    start, end = t("2026-06-01 00:00"), t("2026-11-21 00:00")
    return int(((leads["created_at"] >= start) & (leads["created_at"] < end) & (leads["created_at"] <= AS_OF)).sum())


def test_loop_page_shows_the_cohort_line_grid_and_chart(demo_app, demo_settings):
    """One line says which leads and as of when; the grid's leads add up to the cohort, its
    bottom row says so, and the chart has its four panels and the break-even line."""
    page = tree.page("closed_loop")

    with demo_app.server.test_request_context():
        body = page.update_loop(None)
    assert texts(find(body, page.COHORT_NOTE)) == [
        "Leads created between 1 Jun 2026 and 20 Nov 2026, what became of them by Fri 20 Nov 2026 12:00 "
        "(Europe/Helsinki)."]
    grid = find(body, page.GRID)
    cohort = _cohort_size(demo_settings)
    assert sum(row["leads"] for row in grid.rowData) == cohort
    total = grid.dashGridOptions["pinnedBottomRowData"][0]
    assert total["leads"] == cohort and total["leads_text"] == f"{cohort:,}"
    assert texts(find(body, page.TOTAL_CARD.format("leads"))) == ["Leads", f"{cohort:,}"]
    revenue = [row["revenue_won"] for row in grid.rowData]
    assert revenue == sorted(revenue, reverse=True)
    assert all(row["revenue_won_text"].startswith("€") for row in grid.rowData)
    figure = find(body, page.CHART).figure
    assert [trace.name for trace in figure.data if trace.type == "bar"] == \
        ["leads", "conv_lead_won", "revenue_won", "return_on_cost"]
    assert any(trace.name == "Break-even (1×)" and list(trace.x) == [1.0, 1.0] for trace in figure.data)
    assert [column["headerName"] for column in grid.columnDefs][:3] == ["Campaign", "Channel", "Leads"]
    assert all(column.get("headerTooltip") for column in grid.columnDefs[2:])


def test_loop_page_per_source_and_filtered(demo_app, demo_settings):
    """Per source the rows are sources; with source=webinar only webinar leads are counted."""
    page = tree.page("closed_loop")

    with demo_app.server.test_request_context():
        by_source = page.update_loop(None, "source")
        webinar = page.update_loop({"sources": ["webinar"]}, "source")
    rows = find(by_source, page.GRID).rowData
    assert find(by_source, page.GRID).columnDefs[0]["headerName"] == "Source"
    assert sum(row["leads"] for row in rows) == _cohort_size(demo_settings)
    webinar_rows = find(webinar, page.GRID).rowData
    assert [row["key"] for row in webinar_rows] == ["webinar"]
    assert webinar_rows[0]["leads"] == _cohort_size(demo_settings, ["webinar"])


def test_empty_database_says_what_to_load(empty_settings):
    from dashboard.application import create_app

    app = create_app(empty_settings)
    page = tree.page("closed_loop")

    with app.server.test_request_context():
        assert "No data loaded yet" in texts(page.update_loop(None))
