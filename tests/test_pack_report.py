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


def tiny_october(extra_leads=(), extra_deals=(), campaign_rows=()):
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
    return dataset([*leads, *extra_leads], [*deals, *extra_deals], owner_rows=owners, campaign_rows=campaign_rows)


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
    against 10,000, as the forecast stood at October's end: November had not begun, so nothing
    "so far" (lead 8's MQL of 3 November is later data)."""
    funnel = october.funnel.set_index("stage")["leads"]
    assert funnel.tolist() == [4, 4, 2, 2, 2, 1]
    loop = october.loop_source.set_index("key")
    assert loop.loc[["webinar", "paid_search"], "leads"].tolist() == [3, 1]
    assert loop.loc["webinar", "revenue_won"] == 6000.0
    assert october.loop_source_totals["leads"] == 4
    forecast = october.forecast.set_index("id")
    assert forecast.loc["won_revenue", ["target", "open_deals", "weighted_pipeline"]].tolist() == [10000.0, 1, 2000.0]
    assert forecast["actual_so_far"].isna().all() and forecast["status"].isna().all()
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


# A deal on lead 8, created on Thursday 5 November (after October ended), 4,000 in proposal,
# expected to close on 27 November: later data for an October pack made on 4 December.
LATER_DEAL = {"id": 3, "lead_id": 8, "owner_id": 1, "created_at": "2026-11-05 10:00", "amount": 4000,
              "stage": "proposal", "expected_close_on": "2026-11-27"}


def test_pr005_a_past_month_packed_later_holds_no_later_data():
    """October packed on Fri 4 December 12:00: the forecast for November is the one made at
    October's end: only deal 2 (8,000 x 0.25 = 2,000 weighted, 1 deal, 8,000 open), not deal 3
    (created 5 November; with it 1 + 1 = 2 deals and 2,000 + 1,000 = 3,000), November not begun
    (nothing so far, although lead 8 became an MQL on 3 November and deal 2 is still open). The
    pipeline per close month as it stood then: November holds deal 2 alone."""
    context = ReportContext(tiny_october(extra_deals=[LATER_DEAL]), AGREEMENT, t("2026-12-04 12:00"))
    report = pack_report(context, pd.Timestamp("2026-10-01"), UNRESOLVED, generated_at=AS_OF)
    assert report.complete and report.forecast_month == pd.Timestamp("2026-11-01")
    forecast = report.forecast.set_index("id")
    assert forecast.loc["won_revenue", ["open_deals", "open_amount", "weighted_pipeline"]].tolist() == [
        1, 8000.0, 2000.0]
    assert forecast["actual_so_far"].isna().all()
    assert report.forecast_pipeline[["stage", "deals", "amount", "weighted"]].values.tolist() == [
        ["proposal", 1, 8000.0, 2000.0]]
    assert report.pipeline_month[["bucket", "deals", "weighted"]].values.tolist() == [["2026-11-01", 1, 2000.0]]
    assert report.standing_at == t("2026-11-01 00:00")
    assert not any("3,000" in sentence or "3 000" in sentence for sentence in report.summary)
    assert "At the end of October, €2,000 of weighted open pipeline was expected to close in November 2026" in \
        " ".join(report.summary)


def test_pr006_a_running_month_is_compared_with_the_same_point_of_the_month_before():
    """November at Fri 20 Nov 12:00 has 1 MQL (lead 8). October to Tue 20 Oct 12:00 had 4
    (leads 1-4; lead 9's MQL of 27 October comes later), so -75 % = (1 - 4) / 4, not the
    whole October's 5: (1 - 5) / 5 = -80 %. November 2025 to 20 Nov 2025 12:00: none, so no
    relative change. Revenue: deal 1's 6,000 closed on 20 October 10:00, before the point:
    (0 - 6,000) / 6,000 = -100 %."""
    lead_9 = _mql(9, "2026-10-27 10:00", "2026-10-27 11:00")
    november = pack_report(ReportContext(tiny_october(extra_leads=[lead_9]), AGREEMENT, AS_OF),
                           pd.Timestamp("2026-11-01"), UNRESOLVED, generated_at=AS_OF)
    assert not november.complete and november.compared_to == "to 20 October 2026 12:00"
    board = november.scorecard.set_index("id")
    assert board.loc["mql_volume", ["actual", "previous", "year_ago"]].tolist() == [1, 4, 0]
    assert board.loc["mql_volume", "mom"] == pytest.approx(-0.75)
    assert pd.isna(board.loc["mql_volume", "yoy"])
    assert board.loc["won_revenue", ["actual", "previous", "mom"]].tolist() == [0.0, 6000.0, -1.0]
    figures = november.key_figures.set_index("metric")
    assert figures.loc["mqls", ["value", "previous"]].tolist() == [1, 4]
    assert "October had 4 by the same point" in " ".join(november.summary)
    assert november.trends["mqls"].tolist()[-2:] == [5, 1]  # the trend keeps October whole


def test_pr007_the_best_campaign_is_a_named_one():
    """Lead 1 (no campaign) won 6,000; lead 10 of campaign 'Autumn webinar', created 12 October,
    won 1,500 on the 22nd: the best campaign is 'Autumn webinar', never '(no campaign)'."""
    won = {"sal_at": "2026-10-13 09:00", "sql_at": "2026-10-14 09:00", "opportunity_at": "2026-10-15 09:00"}
    lead_10 = _mql(10, "2026-10-12 10:00", "2026-10-12 11:00", campaign_id=1, **won)
    deal = {"id": 4, "lead_id": 10, "owner_id": 1, "created_at": "2026-10-15 10:00", "closed_at": "2026-10-22 10:00",
            "is_won": True, "amount": 1500, "stage": "closed won"}
    campaign = {"id": 1, "name": "Autumn webinar", "channel": "webinar", "cost": 500}
    report = pack_report(ReportContext(tiny_october([lead_10], [deal], [campaign]), AGREEMENT, AS_OF),
                         pd.Timestamp("2026-10-01"), UNRESOLVED, generated_at=AS_OF)
    best = [s for s in report.summary if s.startswith("The campaign whose")]
    assert best == ["The campaign whose October leads brought the most won revenue: Autumn webinar (€1,500, 3.0× "
                    "its cost)."]


def test_pr008_a_deal_closed_later_is_open_in_the_month_end_pipeline_without_its_final_stage():
    """Deal 5 (4,000, created 14 October, expected 20 November) was won on 10 November; its record
    says 'closed won' with probability 1. At October's end it was open, its stage then not
    recorded: counted (2 deals, 8,000 + 4,000 = 12,000 open) but not weighed by the later 100 %:
    the weighted pipeline stays deal 2's 2,000."""
    deal = {"id": 5, "lead_id": 4, "owner_id": 1, "created_at": "2026-10-14 12:00", "closed_at": "2026-11-10 10:00",
            "is_won": True, "amount": 4000, "probability": 1.0, "stage": "closed won",
            "expected_close_on": "2026-11-20"}
    context = ReportContext(tiny_october(extra_deals=[deal]), AGREEMENT, t("2026-12-04 12:00"))
    report = pack_report(context, pd.Timestamp("2026-10-01"), UNRESOLVED, generated_at=AS_OF)
    forecast = report.forecast.set_index("id")
    assert forecast.loc["won_revenue", ["open_deals", "open_amount", "weighted_pipeline"]].tolist() == [
        2, 12000.0, 2000.0]
    stages = report.forecast_pipeline.set_index("stage")
    assert stages.loc["(closed later; its stage then not recorded)", "amount"] == 4000.0
    assert "closed won" not in stages.index
