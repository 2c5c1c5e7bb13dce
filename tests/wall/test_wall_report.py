"""The wall's report called directly on a hand-made month, without Dash: the week and month
tiles, the meeting's change on last week and its risks, the breaches per rep of the pages'
default date range, the month's funnel against last month at the same point, the loop by source."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.reports.context import ReportContext
from dashboard.reports.wall import wall_report
from dashboard.sla import parse_agreement
from tests.factories import dataset, t

AS_OF = t("2026-11-20 12:00")  # Friday
AGREEMENT = parse_agreement("""
name: Tiny wall SLA
agreed_on: 2026-01-12
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
currency: EUR
working_days: [mon, tue, wed, thu, fri]
definitions: {lead: a, mql: b, sal: c, sql: d, opportunity: e}
commitments:
  - {id: mql_volume, team: marketing, metric: mqls, target: {month: 21}}
  - {id: first_touch, team: sales, metric: response_sla_attainment, window_hours: 4, target: 0.9}
""")


def _mql(lead_id, mql_at, touched=None, owner=None, source="webinar", **more):
    """A lead created an hour before its MQL time, first touched at `touched` (None: never)."""
    created = (pd.Timestamp(mql_at) - pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    return {"id": lead_id, "created_at": created, "mql_at": mql_at, "first_touch_at": touched, "owner_id": owner,
            "source": source, **more}


def tiny_wall():
    """November 2026 to Fri 20th 12:00 (no working hours: clock hours, 4 h window):
    3 Nov: lead 1 (touched in 1 h).
    Last week: 9 Nov lead 2 (2 h), 11 Nov lead 3 (3 h), Fri 13 Nov 10:00 lead 4 (1 h) and 15:00
    lead 5 (1 h): four MQLs, three of them by Friday noon.
    This week: Mon 16 lead 6 (1 h); untouched: Tue 17 10:00 lead 7 (Aino), Thu 19 10:00 lead 8
    (Bob), Fri 20 07:00 lead 9 (Aino), Fri 20 10:00 lead 12 (Bob, 2 h: still in its window).
    Older untouched MQLs: lead 10 on 5 Oct 10:00 with no owner (in the default range, 1 June to
    today), lead 11 on 20 May (Bob; before the range). Lead 13 (paid search) MQL on 22 Oct,
    its deal won on 5 Nov for 5,000. Lead 14 was created in November 2025 (before the loop's
    12 months)."""
    leads = [
        _mql(1, "2026-11-03 10:00", "2026-11-03 11:00", owner=1),
        _mql(2, "2026-11-09 10:00", "2026-11-09 12:00", owner=1),
        _mql(3, "2026-11-11 10:00", "2026-11-11 13:00", owner=2),
        _mql(4, "2026-11-13 10:00", "2026-11-13 11:00", owner=2),
        _mql(5, "2026-11-13 15:00", "2026-11-13 16:00", owner=2),
        _mql(6, "2026-11-16 10:00", "2026-11-16 11:00", owner=1),
        _mql(7, "2026-11-17 10:00", owner=1),
        _mql(8, "2026-11-19 10:00", owner=2),
        _mql(9, "2026-11-20 07:00", owner=1),
        _mql(12, "2026-11-20 10:00", owner=2),
        _mql(10, "2026-10-05 10:00"),
        _mql(11, "2026-05-20 10:00", owner=2, source="paid_search"),
        _mql(13, "2026-10-22 10:00", "2026-10-22 11:00", owner=2, source="paid_search", sal_at="2026-10-23 09:00",
             sql_at="2026-10-26 09:00", opportunity_at="2026-10-27 09:00"),
        {"id": 14, "created_at": "2025-11-10 09:00", "source": "webinar"},
    ]
    deals = [{"id": 1, "lead_id": 13, "created_at": "2026-10-27 10:00", "closed_at": "2026-11-05 10:00",
              "is_won": True, "amount": 5000, "stage": "closed won"}]
    owners = [{"id": 1, "name": "Aino Virtanen", "team": "sales"}, {"id": 2, "name": "Bob Berg", "team": "sales"}]
    return dataset(leads, deals, owner_rows=owners)


@pytest.fixture(scope="module")
def report():
    return wall_report(ReportContext(tiny_wall(), AGREEMENT, AS_OF))


def test_wr001_the_week_and_month_tiles(report):
    """This week: MQLs 6, 7, 8, 9, 12 = 5 against 5 working days x 21 / 21; expected 4.5 (Friday
    half gone), projected 5 / 0.9 = 5.6: ahead. Attainment: lead 6 met, 7, 8 and 9 missed, 12
    pending: 1 / 4. The month: 1 + 4 + 5 = 10 MQLs; 14.5 of 21 working days gone: expected 14.5,
    projected 10 / (14.5 / 21) = 14.5 < 18.9: behind, needing (21 - 10) / 6.5 = 1.69 a day;
    attainment 6 met of 9 known = 2/3."""
    week = report.week.set_index("id")
    assert week.loc["mql_volume", ["actual", "target", "expected", "status"]].tolist() == [5, 5.0, 4.5, "ahead"]
    assert week.loc["first_touch", "actual"] == 0.25 and week.loc["first_touch", "status"] == "behind"
    month = report.month.set_index("id")
    assert month.loc["mql_volume", ["actual", "target", "expected", "status"]].tolist() == [10, 21.0, 14.5, "behind"]
    assert month.loc["mql_volume", "required_per_day"] == pytest.approx(11 / 6.5)
    assert month.loc["first_touch", "actual"] == pytest.approx(2 / 3)


def test_wr002_the_meeting_compares_with_last_week_at_the_same_point(report):
    """Last week by Friday noon: leads 2, 3 and 4 = 3, so this week's 5 is +2; last week in full
    4 MQLs of 5, its responses all within the window: 100 %. Both month commitments are behind."""
    changes = report.changes.set_index("id")
    assert changes.loc["mql_volume", ["week_to_date", "last_week_same_point", "change"]].tolist() == [5, 3, 2]
    assert changes.loc["mql_volume", ["last_week", "last_week_target"]].tolist() == [4, 5]
    assert changes.loc["first_touch", ["last_week", "last_week_target"]].tolist() == [1.0, 0.9]
    assert report.risks["id"].tolist() == ["mql_volume", "first_touch"]
    assert set(report.risks["status"]) == {"behind"}


def test_wr003_breaches_per_rep_in_the_pages_default_range(report):
    """Untouched past 4 h at Fri 12:00: Aino's leads 7 (74 h) and 9 (5 h); lead 10 with no owner
    (5 Oct 10:00 EEST to 20 Nov 12:00 EET: 46 days and 3 h = 1,107 h); Bob's lead 8 (26 h). Bob's
    lead 12 is inside its window; his lead 11 is older than the default range (1 June on)."""
    assert report.breaches == 4
    assert report.reps.to_dict("list") == {"owner": ["Aino Virtanen", "(unassigned)", "Bob Berg"],
                                           "breaches": [2, 1, 1], "oldest_hours": [74.0, 1107.0, 26.0]}
    assert report.window_hours == 4 and report.currency == "EUR"


def test_wr004_the_months_funnel_and_the_loop(report):
    """November to Friday noon: 10 leads and MQLs (1-9 and 12), lead 13 won on the 5th; October
    to the 20th at noon: lead 10 only. The loop of December 2025 to today: webinar leads 1-10
    and 12 (11), paid search leads 11 and 13 with 5,000 won; lead 14 is older."""
    funnel = report.funnel.set_index("stage")
    assert funnel.loc[["lead", "mql", "sal", "won"], "count"].tolist() == [10, 10, 0, 1]
    assert funnel.loc[["lead", "mql", "won"], "previous"].tolist() == [1, 1, 0]
    assert funnel.loc["mql", "ratio_to_previous_stage"] == 1.0
    loop = report.loop.set_index("key")
    assert loop.loc[["webinar", "paid_search"], "leads"].tolist() == [11, 2]
    assert loop.loc["paid_search", "revenue_won"] == 5000.0 and loop.loc["webinar", "revenue_won"] == 0.0
    assert report.loop_totals["leads"] == 13 and report.loop_totals["deals_won"] == 1


def test_wr005_only_the_views_asked_for_are_worked_out():
    report = wall_report(ReportContext(tiny_wall(), AGREEMENT, AS_OF), ("breaches",))
    assert report.views == ("breaches",) and report.breaches == 4
    assert report.week is None and report.month is None and report.funnel is None and report.loop is None
