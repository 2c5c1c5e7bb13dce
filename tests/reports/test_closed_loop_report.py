"""The closed-loop report on a hand-made dataset, without Dash, worked out by hand.

November 2026 (the dates 1-30 Nov), in Helsinki time:
  campaign 1 "Webinar A" (webinar), 1-10 Nov, cost 1,000: all of it in November.
  campaign 2 "Search ads" (paid_search), from 22 Oct, still running (no end), cost 3,000: without
    spend rows all of it on its first day, 22 Oct (SPEC 10), so none in November.
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
from dashboard.sla import parse_agreement
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


def records(filters: Filters = Filters(), cost_rows=()):
    return filter_dataset(dataset(LEADS, DEALS, campaign_rows=CAMPAIGNS, cost_rows=cost_rows), filters)


def test_rl001_per_campaign_as_of_fri_20_nov():
    """Webinar A: leads 1, 2, 8, won 9,000 for 1,000; no campaign: lead 6, 2,000; Search ads:
    3, 4, 5, two deals of lead 4 (1,500), and no cost in November (all on 22 Oct). D5 closes
    after as_of: lead 8 is an opportunity, not won. Totals: 7 leads, 12,500; the return divides
    the revenue of the leads with a campaign by the campaigns' cost, (9,000 + 1,500) / 1,000 =
    10.5, and lead 6's 2,000 without a campaign is beside it."""
    report = closed_loop_report(context(records(), t("2026-11-20 12:00"), **NOVEMBER))
    assert report.by == BY_CAMPAIGN and not report.is_empty
    assert report.table["label"].tolist() == ["Webinar A", "(no campaign)", "Search ads"]
    assert report.table["revenue_won"].tolist() == [9000.0, 2000.0, 1500.0]
    assert report.table["cost"].tolist()[0::2] == pytest.approx([1000.0, 0.0])
    assert report.totals[["leads", "won_leads", "deals_won", "revenue_won"]].tolist() == [7, 3, 4, 12500]
    assert report.totals["return_on_cost"] == pytest.approx(10.5)
    assert report.totals["revenue_without_campaign"] == 2000
    assert not report.whole_campaign_costs


def test_rl002_a_closed_months_cost_holds_still_as_as_of_moves():
    """October's cost: Search ads' 3,000 (open-ended, all on its first day, 22 Oct), the same in
    a report made on 1 Nov and one made on 4 Dec (it used to be re-spread over the days run:
    3,000 x 10/11 on 1 Nov, 3,000 x 10/44 on 4 Dec). Webinar A and Fair cost nothing in October."""
    october = dict(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    early = closed_loop_report(context(records(), t("2026-11-01 09:00"), **october))
    late = closed_loop_report(context(records(), t("2026-12-04 09:00"), **october))
    assert early.totals["cost"] == late.totals["cost"] == pytest.approx(3000)
    assert early.table.set_index("label")["cost"].to_dict() == pytest.approx({"Webinar A": 0.0, "Search ads": 3000.0})


def test_rl006_spend_rows_across_a_month_boundary():
    """Search ads' spend rows: 22 Oct - 10 Nov 2,000 (20 days, 100 a day: 10 in October, 10 in
    November), 11-20 Nov 500, and 15 Oct USD 100 at 0.9 (90 EUR, a row in its own currency).
    The campaign's own cost (3,000) is not used once it has rows. October 1,000 + 90 = 1,090;
    November 1,000 + 500 = 1,500; with Webinar A's 1,000: 2,500."""
    from tests.reports.helpers import AGREEMENT_TEXT

    rows = [dict(id=1, campaign_id=2, period_start="2026-10-22", period_end="2026-11-10", amount=2000),
            dict(id=2, campaign_id=2, period_start="2026-11-11", period_end="2026-11-20", amount=500),
            dict(id=3, campaign_id=2, period_start="2026-10-15", period_end="2026-10-15", amount=100,
                 currency="USD")]
    as_of = t("2026-12-04 09:00")
    october = dict(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    agreement = parse_agreement(AGREEMENT_TEXT + "exchange_rates: {USD: 0.9}\n")
    oct_report = closed_loop_report(context(records(cost_rows=rows), as_of, agreement=agreement, **october))
    nov_report = closed_loop_report(context(records(cost_rows=rows), as_of, agreement=agreement, **NOVEMBER))
    assert oct_report.table.set_index("label").loc["Search ads", "cost"] == pytest.approx(1090)
    assert nov_report.table.set_index("label").loc["Search ads", "cost"] == pytest.approx(1500)
    assert nov_report.totals["cost"] == pytest.approx(2500)
    # as of 4 Dec D5 (lead 8, Webinar A, 4,000, closed 25 Nov) is won too: (9,000 + 1,500 + 4,000) / 2,500
    assert nov_report.totals["return_on_cost"] == pytest.approx(14500 / 2500)


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
