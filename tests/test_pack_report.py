"""The monthly pack's report called directly on a hand-made October, without Dash or a file:
the scorecard against September and October last year, response in working hours per rep, the
month's funnel and loop, next month's forecast, and a running month said to be partial."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.reports.context import ReportContext
from dashboard.reports.pack import pack_report
from dashboard.sla import parse_agreement
from tests.factories import dataset, t

AS_OF = t("2026-11-20 12:00")  # Friday
UNRESOLVED = pd.DataFrame(columns=["table_name", "record_id", "field", "target_table", "target_external_id"])
AGREEMENT_TEXT = """
name: Tiny pack SLA
agreed_on: 2026-01-12
agreed_by: [Head of Marketing, Head of Sales]
timezone: Europe/Helsinki
currency: EUR
working_days: [mon, tue, wed, thu, fri]
working_hours: {start: "08:00", end: "16:00"}
definitions: {lead: a, mql: b, sal: c, sql: d, opportunity: e}
commitments:
  - {id: mql_volume, team: marketing, metric: mqls, target: {month: 10}}
  - {id: first_touch, team: sales, metric: response_sla_attainment, window_hours: 4, target: 0.9}
  - {id: won_revenue, team: sales, metric: revenue_won, target: {month: 10000}}
stage_probabilities: {proposal: 0.25}
"""
AGREEMENT = parse_agreement(AGREEMENT_TEXT)


def _mql(lead_id, mql_at, touched=None, owner=1, source="webinar", **more):
    created = (pd.Timestamp(mql_at) - pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    return {"id": lead_id, "created_at": created, "mql_at": mql_at, "first_touch_at": touched, "owner_id": owner,
            "source": source, **more}


def tiny_october():
    """October 2026 (working hours 08-16, window 4 h): Aino's lead 1 (Mon 5th 10:00, touched
    11:00: 1 h; accepted, won 6,000 on the 20th) and lead 4 (Wed 14th, never touched); Bob's lead
    2 (Tue 6th 10:00, touched 15:00: 5 h) and lead 3 (paid search, Fri 9th 15:00, touched Mon
    12th 10:00: 1 h + 2 h = 3 working hours), whose 8,000 proposal is expected on 25 November.
    September: leads 5 (1 h) and 6 (2 h). October 2025: lead 7, never touched. November: lead 8."""
    won = {"sal_at": "2026-10-06 09:00", "sql_at": "2026-10-07 09:00", "opportunity_at": "2026-10-08 09:00"}
    leads = [
        _mql(1, "2026-10-05 10:00", "2026-10-05 11:00", **won),
        _mql(2, "2026-10-06 10:00", "2026-10-06 15:00", owner=2),
        _mql(3, "2026-10-09 15:00", "2026-10-12 10:00", owner=2, source="paid_search"),
        _mql(4, "2026-10-14 10:00"),
        _mql(5, "2026-09-07 10:00", "2026-09-07 11:00"),
        _mql(6, "2026-09-08 10:00", "2026-09-08 12:00"),
        _mql(7, "2025-10-06 10:00"),
        _mql(8, "2026-11-03 10:00", "2026-11-03 11:00"),
    ]
    deals = [
        {"id": 1, "lead_id": 1, "owner_id": 1, "created_at": "2026-10-08 10:00", "closed_at": "2026-10-20 10:00",
         "is_won": True, "amount": 6000, "stage": "closed won"},
        {"id": 2, "lead_id": 3, "owner_id": 2, "created_at": "2026-10-13 10:00", "amount": 8000, "stage": "proposal",
         "expected_close_on": "2026-11-25"},
    ]
    owners = [{"id": 1, "name": "Aino Virtanen", "team": "sales"}, {"id": 2, "name": "Bob Berg", "team": "sales"}]
    return dataset(leads, deals, owner_rows=owners)


@pytest.fixture(scope="module")
def october():
    return pack_report(ReportContext(tiny_october(), AGREEMENT, AS_OF), pd.Timestamp("2026-10-01"), UNRESOLVED,
                       generated_at=AS_OF)


def test_pr001_the_scorecard_against_the_months_before(october):
    """MQLs 4 of 10 (40 %, missed: October is over), September 2 (+100 %), October 2025 1 (+300 %). Response: leads
    1 and 3 within 4 working hours, 2 (5 h) and 4 (untouched) not: 50 %; September 2 of 2: -50
    points; October 2025 0 of 1: +50 points. Revenue 6,000 of 10,000, nothing a month or a year
    earlier to compare with."""
    assert october.complete and october.has_data
    board = october.scorecard.set_index("id")
    assert board.loc["mql_volume", ["actual", "target", "of_target", "previous", "year_ago", "mom", "yoy"]].tolist() \
        == [4, 10.0, 0.4, 2, 1, 1.0, 3.0]
    assert board.loc["mql_volume", "status"] == "missed"
    assert board.loc["first_touch", ["actual", "previous", "year_ago", "mom", "yoy"]].tolist() == [0.5, 1.0, 0.0, -0.5, 0.5]
    assert board.loc["won_revenue", ["actual", "of_target", "previous"]].tolist() == [6000.0, 0.6, 0.0]
    assert pd.isna(board.loc["won_revenue", "mom"]) and pd.isna(board.loc["won_revenue", "yoy"])
    assert len(october.trends) == 13 and october.trends["mqls"].tolist()[-2:] == [2, 4]


def test_pr002_response_per_rep_in_working_hours(october):
    """Aino: leads 1 (1 h) and 4 (open breach), 1 met; Bob: leads 2 (5 h) and 3 (3 h), 1 met,
    median (5 + 3) / 2 = 4 working hours."""
    assert {k: october.response[k] for k in ("mqls", "met", "missed", "pending", "open_breaches")} == {
        "mqls": 4, "met": 2, "missed": 2, "pending": 0, "open_breaches": 1}
    reps = october.reps.set_index("name")
    assert reps.loc[["Aino Virtanen", "Bob Berg"], "mqls"].tolist() == [2, 2]
    assert reps.loc[["Aino Virtanen", "Bob Berg"], "met"].tolist() == [1, 1]
    assert reps.loc["Aino Virtanen", "median_response_hours"] == pytest.approx(1.0)
    assert reps.loc["Bob Berg", "median_response_hours"] == pytest.approx(4.0)
    assert october.response_target == 0.9 and october.window_hours == 4


def test_pr003_the_months_funnel_loop_and_next_months_forecast(october):
    """Of October's 4 leads all are MQLs; leads 1 and 3 (by its proposal, SPEC 1) reached SAL, SQL and
    opportunity, and lead 1 was won. By source: webinar leads
    1, 2 and 4 with 6,000 won, paid search lead 3. November: 8,000 x 0.25 = 2,000 weighted
    against 10,000, with 0 won and lead 8's one MQL so far."""
    funnel = october.funnel.set_index("stage")["leads"]
    assert funnel.tolist() == [4, 4, 2, 2, 2, 1]
    loop = october.loop_source.set_index("key")
    assert loop.loc[["webinar", "paid_search"], "leads"].tolist() == [3, 1]
    assert loop.loc["webinar", "revenue_won"] == 6000.0
    assert october.loop_source_totals["leads"] == 4
    forecast = october.forecast.set_index("id")
    assert forecast.loc["won_revenue", ["target", "actual_so_far", "open_deals", "weighted_pipeline"]].tolist() == [
        10000.0, 0.0, 1, 2000.0]
    assert forecast.loc["mql_volume", "actual_so_far"] == 1
    assert october.forecast_month == pd.Timestamp("2026-11-01")


def test_pr004_a_running_month_says_how_far_it_is():
    """At Fri 20 Nov 12:00: 14 working days gone (2-6, 9-13, 16-19) and 4 of the 20th's 8 working
    hours: 14.5 of 21."""
    november = pack_report(ReportContext(tiny_october(), AGREEMENT, AS_OF), pd.Timestamp("2026-11-01"), UNRESOLVED)
    assert not november.complete
    assert november.partial_note.startswith("November 2026 is not complete: these are its figures to "
                                            "20 November 2026 12:00, 14.5 of its 21 working days.")
    assert november.kpis["mqls"] == 1


def test_pr_versions_a_month_across_a_change_is_scored_by_both_and_the_pack_names_them():
    """Version 1 (from 12 Jan 2026) asked 22 MQLs a month, version 2 (from 16 Oct) 10. October
    has 22 working days: 1-15 Oct are 11 of them at 22/22 = 1 each, 16-30 Oct the other 11 at
    10/22: 11 + 5 = 16. October's 4 MQLs are missed against 16."""
    text = AGREEMENT_TEXT.replace("commitments:\n", "effective_from: 2026-10-16\ncommitments:\n", 1) + (
        "versions:\n"
        "  - effective_from: 2026-01-12\n"
        "    commitments:\n"
        "      - {id: mql_volume, team: marketing, metric: mqls, target: {month: 22}}\n")
    report = pack_report(ReportContext(tiny_october(), parse_agreement(text), AS_OF), pd.Timestamp("2026-10-01"),
                         UNRESOLVED, generated_at=AS_OF)
    board = report.scorecard.set_index("id")
    assert board.loc["mql_volume", "target"] == pytest.approx(16)
    assert board.loc["mql_volume", "status"] == "missed"
    assert report.scored_by == (
        "Version 1 (in force from 12 January 2026, agreed on 12 January 2026 by Head of Marketing, Head of Sales) "
        "scored 1–15 October 2026",
        "Version 2 (in force from 16 October 2026, agreed on 12 January 2026 by Head of Marketing, Head of Sales) "
        "scored 16–31 October 2026",
    )
    assert report.agreement_line.endswith("; ".join(report.scored_by))
