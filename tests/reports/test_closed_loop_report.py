"""The closed-loop report on a hand-made dataset, without Dash, worked out by hand.

November 2026 (the dates 1-30 Nov), in Helsinki time:
  campaign 1 "Webinar A" (webinar), 1-10 Nov, cost 1,000: all of it in November.
  campaign 2 "Search ads" (paid_search), from 22 Oct, still running, cost 3,000 spread over the
    days it has run by today.
  campaign 3 "Fair" (events), 1-2 Sep, cost 5,000: nothing in November.
  lead  created   campaign  source          reached            won deals (closed)
  1     2 Nov     1         webinar         MQL, SQL           D1 9,000 (10 Nov)
  2     2 Nov     1         webinar         MQL
  3     3 Nov     2         paid_search     -
  4     3 Nov     2         paid_search     MQL, SQL           D2 1,000 (12 Nov), D3 500 (15 Nov)
  5     4 Nov     2         paid_search     -
  6     4 Nov     -         organic_search  (from D4)          D4 2,000 (16 Nov), created 6 Nov
  7     25 Oct    1         webinar         -                  outside the cohort
  8     5 Nov     1         webinar         (from D5)          D5 4,000 closes 25 Nov, created 6 Nov
"""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.reports.closed_loop import BY_CAMPAIGN, BY_SOURCE, closed_loop_report
from queries.loaders import Filters, filter_dataset
from tests.factories import dataset, t
from tests.reports.helpers import context

NOVEMBER = dict(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
LEADS = [
    dict(id=1, created_at="2026-11-02 09:00", campaign_id=1, source="webinar", segment="SMB",
         mql_at="2026-11-02 10:00", sql_at="2026-11-04 10:00"),
    dict(id=2, created_at="2026-11-02 09:00", campaign_id=1, source="webinar", segment="SMB",
         mql_at="2026-11-02 11:00"),
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


def records(filters: Filters = Filters()):
    return filter_dataset(dataset(LEADS, DEALS, campaign_rows=CAMPAIGNS), filters)


def test_rl001_per_campaign_as_of_fri_20_nov():
    """Webinar A: leads 1, 2, 8, won 9,000 for 1,000; no campaign: lead 6, 2,000; Search ads:
    3, 4, 5, two deals of lead 4 (1,500) for the 20 of its 30 days run that fall in November
    (2,000). D5 closes after as_of: lead 8 is an opportunity, not won. Totals: 7 leads, 12,500,
    return (9,000 + 1,500) / 3,000 = 3.5."""
    report = closed_loop_report(context(records(), t("2026-11-20 12:00"), **NOVEMBER))
    assert report.by == BY_CAMPAIGN and not report.is_empty
    assert report.table["label"].tolist() == ["Webinar A", "(no campaign)", "Search ads"]
    assert report.table["revenue_won"].tolist() == [9000.0, 2000.0, 1500.0]
    assert report.table["cost"].tolist()[0::2] == pytest.approx([1000.0, 2000.0])
    assert report.totals[["leads", "won_leads", "deals_won", "revenue_won"]].tolist() == [7, 3, 4, 12500]
    assert report.totals["return_on_cost"] == pytest.approx(3.5)
    assert not report.whole_campaign_costs


def test_rl002_what_was_known_on_wed_11_nov():
    """As of Wed 11 Nov 12:00 only D1 has closed; Search ads has run 21 days (22 Oct - 11 Nov),
    11 of them in November: 3,000 x 11 / 21 of cost."""
    report = closed_loop_report(context(records(), t("2026-11-11 12:00"), **NOVEMBER))
    assert report.totals[["leads", "won_leads", "deals_won", "revenue_won"]].tolist() == [7, 1, 1, 9000]
    assert report.totals["cost"] == pytest.approx(1000 + 3000 * 11 / 21)


def test_rl003_per_source_and_an_unknown_grouping():
    """Per source: webinar 3 leads, paid search 3, organic search 1; any other grouping is per
    campaign."""
    as_of = t("2026-11-20 12:00")
    report = closed_loop_report(context(records(), as_of, **NOVEMBER), BY_SOURCE)
    assert report.table.set_index("key")["leads"].to_dict() == {"webinar": 3, "organic_search": 1, "paid_search": 3}
    assert closed_loop_report(context(records(), as_of, **NOVEMBER), "owner").by == BY_CAMPAIGN


def test_rl004_a_filtered_view_pays_for_its_own_campaigns():
    """Filtered to webinar leads, only Webinar A's 1,000 is their cost; filtered to a segment,
    the costs are whole campaign costs and the report says so."""
    as_of = t("2026-11-20 12:00")
    webinar = Filters(sources=("webinar",))
    report = closed_loop_report(context(records(webinar), as_of, sources=("webinar",), **NOVEMBER))
    assert report.table["label"].tolist() == ["Webinar A"]
    assert report.totals["cost"] == pytest.approx(1000.0) and not report.whole_campaign_costs
    smb = Filters(segments=("SMB",))
    segment = closed_loop_report(context(records(smb), as_of, segments=("SMB",), **NOVEMBER))
    assert segment.totals["leads"] == 2 and segment.whole_campaign_costs


def test_rl005_an_empty_dataset():
    report = closed_loop_report(context(dataset(), t("2026-11-20 12:00"), **NOVEMBER))
    assert report.is_empty and report.table is None
