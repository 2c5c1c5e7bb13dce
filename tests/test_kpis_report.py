"""What `kpis` prints, from its report called directly on two hand-made weeks, without the
command line: the flow counts, response and deals per ISO week, and a commitment paced on the
running week."""
from __future__ import annotations

import datetime as dt

import pytest

from dashboard.reports.context import ReportContext
from dashboard.reports.filters import ViewFilters
from dashboard.reports.kpis import kpis_report
from dashboard.sla import parse_agreement
from tests.factories import dataset, t

AS_OF = t("2026-11-20 12:00")  # Friday
AGREEMENT = parse_agreement("""
name: Tiny kpis SLA
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


def two_weeks():
    """Week of 9 Nov: lead 1 (MQL Mon 10:00, touched 11:00; its deal opened Thu 12th and won
    3,000 on Tue 17th), lead 2 (MQL Wed 10:00, never touched). Week of 16 Nov: lead 3 (MQL Tue
    10:00, touched 12:00), lead 4 (MQL Fri 11:00, an hour before as_of), lead 5 (no MQL)."""
    leads = [
        {"id": 1, "created_at": "2026-11-09 09:00", "mql_at": "2026-11-09 10:00", "first_touch_at": "2026-11-09 11:00"},
        {"id": 2, "created_at": "2026-11-11 09:00", "mql_at": "2026-11-11 10:00"},
        {"id": 3, "created_at": "2026-11-17 09:00", "mql_at": "2026-11-17 10:00", "first_touch_at": "2026-11-17 12:00"},
        {"id": 4, "created_at": "2026-11-20 10:00", "mql_at": "2026-11-20 11:00"},
        {"id": 5, "created_at": "2026-11-19 09:00"},
    ]
    deals = [{"id": 1, "lead_id": 1, "created_at": "2026-11-12 10:00", "closed_at": "2026-11-17 10:00", "is_won": True,
              "amount": 3000, "stage": "closed won"}]
    return dataset(leads, deals)


@pytest.fixture(scope="module")
def records():
    return kpis_report(ReportContext(two_weeks(), AGREEMENT, AS_OF), "week", dt.date(2026, 11, 10), dt.date(2026, 11, 18))


def test_kr001_one_record_per_week_with_spec_fields(records):
    """Week 9: leads 1 and 2; lead 1 reached SAL, SQL and opportunity by its deal (SPEC 1); lead 1
    met its window, lead 2 is an open breach: 1 of 2. Week 16: leads 3, 4, 5; lead 3 met, lead 4
    pending: 1 of 1; the deal won in it. The records hold no lost deal, no rejection, and their
    one SQL won: win rate, acceptance and SQL -> won are not recorded (null), not 100 %."""
    assert [r["period_start"] for r in records] == ["2026-11-09", "2026-11-16"]
    first, second = records
    assert [first[f] for f in ("leads", "mqls", "sals", "sqls", "opportunities", "deals_won")] == [2, 2, 1, 1, 1, 0]
    assert (first["response_sla_attainment"], first["open_breaches"], first["response_pending"]) == (0.5, 1, 0)
    assert first["conv_lead_mql"] == 1.0
    assert [second[f] for f in ("leads", "mqls", "deals_won", "revenue_won", "win_rate")] == [3, 2, 1, 3000.0, None]
    assert first["notes"] == second["notes"] == {"conv_sql_won": "not recorded", "acceptance_rate": "not recorded",
                                                 "win_rate": "not recorded"}
    assert (second["response_sla_attainment"], second["open_breaches"], second["response_pending"]) == (1.0, 0, 1)


def test_kr002_the_running_week_is_paced(records):
    """21 MQLs a month over 21 working days: 5 this week, 4.5 expected by Friday noon (a day
    without working hours counts its clock share); 2 MQLs project to 2 / 0.9 = 2.22, needing
    (5 - 2) / 0.5 = 6 on the half day left: behind."""
    week = records[1]["commitments"]["mql_volume"]
    assert (week["actual"], week["target"], week["expected"]) == (2, 5.0, 4.5)
    assert week["projected"] == pytest.approx(2 / 0.9) and week["required_per_day"] == 6.0
    assert week["status"] == "behind"
    assert records[1]["commitments"]["first_touch"] == {"actual": 1.0, "target": 0.9, "status": "ahead"}


def test_kr003_without_arguments_the_context_says_grain_and_dates(records):
    filters = ViewFilters(grain="week", start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 18))
    assert kpis_report(ReportContext(two_weeks(), AGREEMENT, AS_OF, filters)) == records
