"""The metric engine against figures worked out by hand (SPEC's definitions 1-11).

Times in the fixtures are Helsinki wall-clock times unless they carry an offset. The
agreement is the frozen copy of data/sla.yaml (tests/agreements.py): Mon-Fri 08:00-16:00,
Finnish holidays, a 4-hour window.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.metrics import acceptance, funnel
from dashboard.metrics.calendar import WorkCalendar, period_key, period_range
from dashboard.metrics.closed_loop import campaign_cost_in_range, closed_loop
from dashboard.metrics.deals import weighted_pipeline
from dashboard.metrics.kpis import compute_kpis, kpi_table
from dashboard.metrics.pacing import count_pacing, rate_pacing, status_of
from dashboard.metrics.response import response_times
from dashboard.metrics.stages import as_known_at, effective_stages
from dashboard.metrics.targets import count_target, rate_target
from dashboard.sla import parse_agreement
from tests.agreements import agreement_text, frozen_agreement
from tests.factories import dataset, deals, leads, t

AGREEMENT = frozen_agreement()
CALENDAR = WorkCalendar.from_agreement(AGREEMENT)
TZ = AGREEMENT.tz


def hours(start: str, end: str, calendar: WorkCalendar = CALENDAR) -> float:
    return float(calendar.hours_between(pd.Series([t(start)]), pd.Series([t(end)])).iloc[0])


# --- working time (SPEC 5) ---------------------------------------------------------------

@pytest.mark.parametrize("start, end, expected", [
    ("2026-11-18 09:00", "2026-11-18 11:30", 2.5),            # same working day
    ("2026-11-20 15:30", "2026-11-23 08:30", 1.0),            # Friday 15:30 answered Monday
    ("2026-11-21 10:00", "2026-11-23 09:00", 1.0),            # created on Saturday: clock starts Monday 08:00
    ("2026-11-18 17:00", "2026-11-19 07:00", 0.0),            # overnight, outside hours
    ("2026-03-27 15:00", "2026-03-30 09:00", 2.0),            # weekend of the spring DST change
    ("2026-10-23 15:00", "2026-10-26 09:00", 2.0),            # weekend of the autumn DST change
    ("2026-12-23 15:00", "2026-12-28 09:00", 2.0),            # Christmas Eve and Day are holidays
    ("2026-11-16 08:00", "2026-11-23 08:00", 40.0),           # one full working week
])
def test_working_hours_between(start, end, expected):
    assert hours(start, end) == pytest.approx(expected)


def test_clock_hours_without_working_hours_cross_dst():
    """Without working hours the response is clock time: the spring weekend has a 23-hour day."""
    text = agreement_text(('working_hours: {start: "08:00", end: "16:00"}\n', ""))
    calendar = WorkCalendar.from_agreement(parse_agreement(text))
    assert hours("2026-03-27 15:00", "2026-03-30 09:00", calendar) == pytest.approx(65.0)


def test_utc_timestamp_on_next_local_day_is_bucketed_locally():
    """22:30 UTC on 30 November is 00:30 on 1 December in Helsinki: December's lead."""
    data = dataset([dict(id=1, created_at="2026-11-30T22:30:00+00:00")])
    table = kpi_table(data, AGREEMENT, "month", period_range(dt.date(2026, 11, 1), dt.date(2026, 12, 1), "month"),
                      t("2026-12-10 12:00"))
    assert table["leads"].tolist() == [0, 1]


# --- periods and targets -----------------------------------------------------------------

def test_period_keys():
    assert period_key(pd.Timestamp("2026-06-29"), "week") == "2026-W27"
    assert period_key(pd.Timestamp("2026-07-01"), "quarter") == "2026-Q3"
    assert period_key(pd.Timestamp("2026-07-01"), "month") == "2026-07"


def test_week_across_two_months_takes_from_both_targets():
    """Week 27 of 2026: Mon 29 and Tue 30 June (June: 21 working days, target 400) and
    Wed-Fri 1-3 July (July: 23 working days, override 200)."""
    mqls = AGREEMENT.commitment("mql_volume")
    assert count_target(mqls, CALENDAR, "2026-06-29", "2026-07-06") == pytest.approx(2 * 400 / 21 + 3 * 200 / 23)


def test_month_and_quarter_targets_add_up_from_days():
    mqls = AGREEMENT.commitment("mql_volume")
    assert count_target(mqls, CALENDAR, "2026-07-01", "2026-08-01") == pytest.approx(200)
    assert count_target(mqls, CALENDAR, "2026-10-01", "2027-01-01") == pytest.approx(400 + 400 + 300)
    # a holiday carries no target: 24 and 25 December are Thursday and Friday
    assert count_target(mqls, CALENDAR, "2026-12-24", "2026-12-26") == 0


def test_weekly_target_spreads_to_days_and_months():
    text = agreement_text(("target: {month: 400}", "target: {week: 100}"))
    mqls = parse_agreement(text).commitment("mql_volume")
    # a plain week of five working days: 20 a day; a month override still wins in July
    assert count_target(mqls, CALENDAR, "2026-11-16", "2026-11-17") == pytest.approx(20)
    # December 2026 has its own month target of 300 (override)
    assert count_target(mqls, CALENDAR, "2026-12-01", "2027-01-01") == pytest.approx(300)
    # November 2026: 21 working days, each 100/5 = 20 -> 420
    assert count_target(mqls, CALENDAR, "2026-11-01", "2026-12-01") == pytest.approx(420)


def test_rate_target_override():
    text = agreement_text(("    target: 0.8\n", '    target: 0.8\n    overrides: {"2026-07": 0.7}\n'))
    commitment = parse_agreement(text).commitment("mql_acceptance")
    assert rate_target(commitment, "2026-07-01", "2026-08-01") == 0.7
    assert rate_target(commitment, "2026-07-06", "2026-07-13") == 0.7
    assert rate_target(commitment, "2026-06-29", "2026-07-06") == 0.8  # the week reaches into June


# --- stages and as_of (SPEC 1) -----------------------------------------------------------

def test_skipped_stages_are_inferred_from_the_next_known_one():
    frame = effective_stages(leads(dict(id=1, created_at="2026-11-02 09:00", sql_at="2026-11-05 10:00")),
                             deals())
    row = frame.iloc[0]
    assert row["at_mql"] == t("2026-11-05 10:00") and row["at_sal"] == t("2026-11-05 10:00")
    assert row["inferred_mql"] and row["inferred_sal"] and not row["inferred_sql"]
    assert pd.isna(row["at_opportunity"]) and pd.isna(row["at_won"])


def test_won_deal_without_stage_dates_infers_every_stage():
    frame = effective_stages(
        leads(dict(id=1, created_at="2026-11-02 09:00")),
        deals(dict(id=1, lead_id=1, created_at="2026-11-10 10:00", closed_at="2026-11-20 10:00", is_won=True, amount=5000),
              dict(id=2, lead_id=1, created_at="2026-11-12 10:00")),
    )
    row = frame.iloc[0]
    assert row["at_opportunity"] == t("2026-11-10 10:00")  # the earliest deal
    assert row["at_won"] == t("2026-11-20 10:00")
    for stage in ("mql", "sal", "sql"):
        assert row[f"at_{stage}"] == t("2026-11-10 10:00")
    assert row["inferred_opportunity"]


def test_out_of_order_dates_are_kept_and_flagged():
    frame = effective_stages(leads(dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-04 09:00",
                                        sal_at="2026-11-03 09:00")), deals())
    assert frame.iloc[0]["at_sal"] == t("2026-11-03 09:00")
    assert frame.iloc[0]["out_of_order_sal"] and not frame.iloc[0]["out_of_order_mql"]


def test_a_record_one_minute_after_as_of_does_not_exist_yet():
    as_of = t("2026-11-20 12:00")
    data = dataset(
        [dict(id=1, created_at="2026-11-20 11:00", mql_at="2026-11-20 12:01"),
         dict(id=2, created_at="2026-11-20 12:01")],
        [dict(id=1, lead_id=1, created_at="2026-11-19 10:00", closed_at="2026-11-20 12:01", is_won=True, amount=10)],
    )
    known = as_known_at(data, as_of)
    assert known.leads["id"].tolist() == [1]
    assert pd.isna(known.leads.iloc[0]["mql_at"])
    assert pd.isna(known.deals.iloc[0]["is_won"]) and pd.isna(known.deals.iloc[0]["closed_at"])  # still open
    row = compute_kpis(data, AGREEMENT, "day", dt.date(2026, 11, 20), dt.date(2026, 11, 20), as_of)[0]
    assert (row["leads"], row["mqls"], row["opportunities"], row["deals_won"]) == (1, 0, 0, 0)


# --- response (SPEC 5) -------------------------------------------------------------------

def _responses(lead_rows, activity_rows=(), as_of="2026-11-23 12:00"):
    data = as_known_at(dataset(lead_rows, activity_rows=activity_rows), t(as_of))
    return response_times(effective_stages(data.leads, data.deals), data.activities, CALENDAR, 4, t(as_of))


def test_response_outcomes_and_pending():
    """as_of Monday 23 Nov 12:00. Lead 1: Fri 15:30 -> Mon 08:30, 1 h, met. Lead 2: touched
    after 6 h, missed. Lead 3: MQL Mon 09:00, untouched, 3 h so far: pending. Lead 4: MQL Fri
    10:00, untouched, 6+4 = 10 h: missed and an open breach. Lead 5: touched before the MQL: 0 h."""
    frame = _responses([
        dict(id=1, created_at="2026-11-20 15:00", mql_at="2026-11-20 15:30", first_touch_at="2026-11-23 08:30"),
        dict(id=2, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", first_touch_at="2026-11-19 15:00"),
        dict(id=3, created_at="2026-11-23 08:00", mql_at="2026-11-23 09:00"),
        dict(id=4, created_at="2026-11-20 09:00", mql_at="2026-11-20 10:00"),
        dict(id=5, created_at="2026-11-19 08:00", mql_at="2026-11-19 10:00", first_touch_at="2026-11-19 09:30"),
    ]).set_index("lead_id")
    assert frame["outcome"].to_dict() == {1: "met", 2: "missed", 3: "pending", 4: "missed", 5: "met"}
    assert frame["response_hours"][[1, 2, 5]].tolist() == pytest.approx([1.0, 6.0, 0.0])
    assert frame["open_breach"].to_dict() == {1: False, 2: False, 3: False, 4: True, 5: False}
    assert frame.loc[4, "age_hours"] == pytest.approx(10.0)


def test_first_touch_from_sales_activities_at_or_after_the_mql():
    """No first_touch_at: the first sales activity at or after the MQL counts; a marketing
    engagement and a sales call before the MQL do not."""
    frame = _responses(
        [dict(id=1, created_at="2026-11-18 08:00", mql_at="2026-11-18 10:00")],
        [dict(id=1, lead_id=1, occurred_at="2026-11-18 09:00"),
         dict(id=2, lead_id=1, occurred_at="2026-11-18 11:00", team="marketing", type="page_view"),
         dict(id=3, lead_id=1, occurred_at="2026-11-18 13:00"),
         dict(id=4, lead_id=1, occurred_at="2026-11-18 14:00")],
    )
    assert frame.iloc[0]["first_touch_at"] == t("2026-11-18 13:00")
    assert frame.iloc[0]["response_hours"] == pytest.approx(3.0)


def test_routing_delay_apart_from_rep_delay():
    frame = _responses([dict(id=1, created_at="2026-11-18 08:00", mql_at="2026-11-18 09:00",
                             assigned_at="2026-11-18 12:00", first_touch_at="2026-11-18 13:30")])
    row = frame.iloc[0]
    assert (row["routing_hours"], row["rep_hours"], row["response_hours"]) == pytest.approx((3.0, 1.5, 4.5))


def test_attainment_excludes_pending_and_counts_breaches_in_kpis():
    data = dataset([
        dict(id=1, created_at="2026-11-20 15:00", mql_at="2026-11-20 15:30", first_touch_at="2026-11-23 08:30"),
        dict(id=2, created_at="2026-11-19 08:00", mql_at="2026-11-19 09:00", first_touch_at="2026-11-19 15:00"),
        dict(id=3, created_at="2026-11-23 08:00", mql_at="2026-11-23 09:00"),
        dict(id=4, created_at="2026-11-20 09:00", mql_at="2026-11-20 10:00"),
    ])
    rows = compute_kpis(data, AGREEMENT, "week", dt.date(2026, 11, 16), dt.date(2026, 11, 23), t("2026-11-23 12:00"))
    last_week, this_week = rows
    # last week: 1 met, 2 missed (lead 2 late, lead 4 untouched) -> 1/3
    assert last_week["response_sla_attainment"] == pytest.approx(1 / 3, abs=1e-6)
    assert (last_week["response_pending"], last_week["open_breaches"]) == (0, 1)
    # this week: lead 3 pending -> no known outcome, null attainment
    assert this_week["response_sla_attainment"] is None and this_week["response_pending"] == 1
    assert this_week["commitments"]["first_touch"]["status"] is None


# --- acceptance, conversion, velocity ----------------------------------------------------

def test_acceptance_rate_and_rejections_without_reason():
    stages = effective_stages(leads(
        dict(id=1, created_at="2026-11-02 08:00", mql_at="2026-11-02 09:00", sal_at="2026-11-03 09:00"),
        dict(id=2, created_at="2026-11-02 08:00", mql_at="2026-11-02 09:00", sql_at="2026-11-04 09:00"),
        dict(id=3, created_at="2026-11-02 08:00", mql_at="2026-11-02 09:00", disqualified_at="2026-11-03 10:00",
             disqualified_reason="No budget"),
        dict(id=4, created_at="2026-11-02 08:00", mql_at="2026-11-02 09:00", disqualified_at="2026-11-03 10:00"),
        dict(id=5, created_at="2026-11-02 08:00", mql_at="2026-11-02 09:00"),
        dict(id=6, created_at="2026-11-02 08:00"),
    ), deals())
    decided = acceptance.decisions(stages)
    periods = pd.DatetimeIndex(["2026-11-02"])
    table = acceptance.acceptance_by_period(decided, periods, TZ, "week")
    # accepted: 1 and 2 (SAL inferred from SQL); rejected: 3 and 4; 5 undecided -> 2/4
    assert table.iloc[0][["accepted", "rejected", "undecided", "rejected_without_reason"]].tolist() == [2, 2, 1, 1]
    assert table.iloc[0]["acceptance_rate"] == 0.5
    reasons = acceptance.rejection_reasons(decided).set_index("reason")
    assert reasons["rejections"].to_dict() == {"No budget": 1, "(no reason given)": 1}
    assert reasons.loc["(no reason given)", "violation"]


def test_cohort_conversion_and_immature_cohorts():
    """Leads of week 45 (2-8 Nov): 4 leads, 2 became MQL -> 0.5. The median lead->MQL lag over
    all history is 2 days (lags 1, 2, 3 days), so at as_of Mon 9 Nov 12:00 (half a day after
    the week ended) the cohort is immature; by Fri 13 Nov it is mature."""
    stages = effective_stages(leads(
        dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-03 09:00"),
        dict(id=2, created_at="2026-11-02 09:00", mql_at="2026-11-04 09:00"),
        dict(id=3, created_at="2026-11-03 09:00"),
        dict(id=4, created_at="2026-11-05 09:00"),
        dict(id=5, created_at="2026-10-26 09:00", mql_at="2026-10-29 09:00"),
    ), deals())
    periods = pd.DatetimeIndex(["2026-11-02"])
    early = funnel.cohort_conversion(stages, periods, TZ, "week", "lead", "mql", t("2026-11-09 12:00")).iloc[0]
    assert (early["cohort"], early["reached"], early["rate"], early["immature"]) == (4, 2, 0.5, True)
    late = funnel.cohort_conversion(stages, periods, TZ, "week", "lead", "mql", t("2026-11-13 12:00")).iloc[0]
    assert not late["immature"]


def test_period_ratio_and_velocity():
    stages = effective_stages(leads(
        dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-04 09:00"),
        dict(id=2, created_at="2026-10-20 09:00", mql_at="2026-11-03 09:00"),
        dict(id=3, created_at="2026-11-05 09:00"),
    ), deals())
    periods = pd.DatetimeIndex(["2026-11-02"])
    counts = funnel.flow_counts(stages, periods, TZ, "week")
    assert (counts.iloc[0]["leads"], counts.iloc[0]["mqls"]) == (2, 2)
    assert funnel.period_ratio(counts, "mqls", "leads").iloc[0] == 1.0
    # lags 2 days and 14 days + 1 hour (DST ended on 25 Oct: the wall clock repeats an hour)
    assert funnel.velocity(stages, periods, TZ, "week", "lead", "mql").iloc[0] == pytest.approx((2 + 14 + 1 / 24) / 2)


def test_exits_and_stuck_leads():
    stages = effective_stages(leads(
        dict(id=1, created_at="2026-11-02 09:00", mql_at="2026-11-02 10:00", disqualified_at="2026-11-03 09:00",
             disqualified_reason="Competitor"),
        dict(id=2, created_at="2026-11-02 09:00", recycled_at="2026-11-04 09:00", recycled_reason="Timing"),
        dict(id=3, created_at="2026-10-01 09:00", mql_at="2026-10-02 09:00"),
    ), deals())
    gone = funnel.exits(stages, t("2026-11-01 00:00"), t("2026-12-01 00:00"))
    assert gone[["kind", "reason", "stage", "leads"]].values.tolist() == [
        ["disqualified", "Competitor", "mql", 1], ["recycled", "Timing", "lead", 1]]
    stuck = funnel.stuck(stages, t("2026-11-20 12:00"), {"mql": 7})
    assert stuck["lead_id"].tolist() == [3] and stuck.iloc[0]["stage"] == "mql"


# --- deals, win rate, pipeline (SPEC 2, 7, 11) -------------------------------------------

def test_won_lost_revenue_and_win_rate():
    data = dataset([], [
        dict(id=1, created_at="2026-10-01 10:00", closed_at="2026-11-03 10:00", is_won=True, amount=1000),
        dict(id=2, created_at="2026-10-01 10:00", closed_at="2026-11-04 10:00", is_won=True, amount=2500.5),
        dict(id=3, created_at="2026-10-01 10:00", closed_at="2026-11-05 10:00", is_won=False, amount=9999),
        dict(id=4, created_at="2026-10-01 10:00", closed_at="2026-11-05 10:00", is_won=True, amount=100, currency="SEK"),
        dict(id=5, created_at="2026-10-01 10:00", amount=7000),
    ])
    row = compute_kpis(data, AGREEMENT, "month", dt.date(2026, 11, 1), dt.date(2026, 11, 1), t("2026-11-20 12:00"))[0]
    # the SEK deal counts as won but has no rate to EUR: it is left out of revenue (and reported)
    assert (row["deals_won"], row["deals_lost"], row["revenue_won"]) == (3, 1, 3500.5)
    assert row["win_rate"] == 0.75


def test_weighted_pipeline_uses_own_then_stage_probability():
    frame = weighted_pipeline(deals(
        dict(id=1, created_at="2026-11-01 10:00", stage="proposal", amount=1000, expected_close_on="2026-12-15"),
        dict(id=2, created_at="2026-11-01 10:00", stage="proposal", amount=2000, probability=0.2, expected_close_on="2026-12-20"),
        dict(id=3, created_at="2026-11-01 10:00", stage="demo", amount=4000, expected_close_on="2027-01-10"),
        dict(id=4, created_at="2026-11-01 10:00", stage="demo", amount=4000, closed_at="2026-11-10 10:00", is_won=False),
    ), "EUR", {}, {"proposal": 0.5, "demo": 0.25})
    assert frame[["close_month", "stage", "deals", "amount", "weighted"]].values.tolist() == [
        [pd.Timestamp("2026-12-01"), "proposal", 2, 3000.0, 1000 * 0.5 + 2000 * 0.2],
        [pd.Timestamp("2027-01-01"), "demo", 1, 4000.0, 1000.0],
    ]


# --- pacing (SPEC 9) ---------------------------------------------------------------------

def test_pacing_mid_month_by_hand():
    """November 2026 has 21 working days. At Friday 20 Nov 10:00, 14 whole days and 2 of the 8
    working hours of the 20th are gone: e = 14.25 / 21. With 250 MQLs against 400:
    expected = 400 e = 271.43, projected = 250 / e = 368.42 (>= 360 = 90 %): at risk;
    required per day = 150 / 6.75 = 22.22."""
    elapsed = CALENDAR.working_days_elapsed("2026-11-01", "2026-12-01", t("2026-11-20 10:00"))
    assert elapsed == pytest.approx(14.25)
    scored = count_pacing(250, 400, elapsed, 21, "during")
    assert scored["expected"] == pytest.approx(400 * 14.25 / 21)
    assert scored["projected"] == pytest.approx(250 * 21 / 14.25)
    assert scored["required_per_day"] == pytest.approx(150 / 6.75)
    assert scored["status"] == "at_risk"


def test_pacing_before_and_after_the_period():
    before = count_pacing(0, 400, 0, 21, "before")
    assert (before["expected"], before["projected"], before["status"]) == (0, None, None)
    # After the period the outcome is final (SPEC 9): 380 of 400 is missed, never "at risk".
    after = count_pacing(380, 400, 21, 21, "after")
    assert (after["expected"], after["projected"], after["required_per_day"], after["status"]) == (400, 380, None, "missed")
    assert count_pacing(400, 400, 21, 21, "after")["status"] == "met"


@pytest.mark.parametrize("value, target, expected", [
    (0.8, 0.8, "ahead"), (0.72, 0.8, "at_risk"), (0.7199, 0.8, "behind"), (None, 0.8, None),
])
def test_rate_status(value, target, expected):
    assert rate_pacing(value, target)["status"] == expected
    assert status_of(value, target) == expected


def test_kpis_commitments_for_a_week_in_progress():
    """Week 47 (16-22 Nov 2026) at Wed 18 Nov 12:00: 2 working days + 4/8 gone, e = 2.5 / 5.
    Week MQL target = 5 x 400/21 = 95.238; 3 MQLs -> expected 47.619, projected 6,
    required (95.238 - 3) / 2.5 = 36.895."""
    data = dataset([dict(id=i, created_at="2026-11-16 09:00", mql_at="2026-11-17 09:00",
                         first_touch_at="2026-11-17 10:00") for i in (1, 2, 3)])
    row = compute_kpis(data, AGREEMENT, "week", dt.date(2026, 11, 18), dt.date(2026, 11, 18), t("2026-11-18 12:00"))[0]
    mqls = row["commitments"]["mql_volume"]
    assert mqls["actual"] == 3
    assert mqls["target"] == pytest.approx(2000 / 21, abs=1e-6)
    assert mqls["expected"] == pytest.approx(1000 / 21, abs=1e-6)
    assert mqls["projected"] == pytest.approx(6.0)
    assert mqls["required_per_day"] == pytest.approx((2000 / 21 - 3) / 2.5, abs=1e-6)
    assert mqls["status"] == "behind"
    assert row["commitments"]["first_touch"] == {"actual": 1.0, "target": 0.9, "status": "ahead"}


def test_empty_database_gives_zero_counts_and_null_rates():
    rows = compute_kpis(dataset(), AGREEMENT, "month", dt.date(2026, 10, 1), dt.date(2026, 11, 30), t("2026-11-20 12:00"))
    assert [r["period_start"] for r in rows] == ["2026-10-01", "2026-11-01"]
    for row in rows:
        assert (row["leads"], row["mqls"], row["deals_won"], row["revenue_won"]) == (0, 0, 0, 0.0)
        assert row["conv_lead_mql"] is None and row["win_rate"] is None and row["acceptance_rate"] is None
    assert rows[0]["commitments"]["mql_volume"]["status"] == "missed"  # October ended with 0 of 400
    assert rows[0]["commitments"]["mql_acceptance"]["status"] is None


# --- closed loop (SPEC 10) ---------------------------------------------------------------

def test_an_open_ended_campaign_costs_all_on_its_start_day():
    """November's share of each campaign's cost (SPEC 10):
    1. 1 Oct - 10 Nov, 4,100 over 41 days: 10 November days, 1,000.
    2. from 22 Oct, no end, 3,000: all of it on 22 Oct, so 0 in November, 3,000 in October.
    3. from 1 Dec, no end, 10: 0 in November.
    4. no dates, 700: counts in full."""
    campaigns = dataset(campaign_rows=[
        dict(id=1, name="A", channel="webinar", started_on="2026-10-01", ended_on="2026-11-10", cost=4100),
        dict(id=2, name="B", channel="paid_search", started_on="2026-10-22", cost=3000),
        dict(id=3, name="C", channel="email", started_on="2026-12-01", cost=10),
        dict(id=4, name="D", channel="events", cost=700),
    ]).campaigns
    november = (pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), "EUR", {})
    assert campaign_cost_in_range(campaigns, *november).to_dict() == pytest.approx({1: 1000, 2: 0, 3: 0, 4: 700})
    october = (pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01"), "EUR", {})
    assert campaign_cost_in_range(campaigns, *october).to_dict() == pytest.approx({1: 3100, 2: 3000, 3: 0, 4: 700})
    assert campaigns["ended_on"].isna().sum() == 3  # the input is left as it was


def test_closed_loop_by_campaign_with_cost():
    """Campaign 1 runs 1-30 Nov at 3,000 (100 a day): all of it in November. Two leads, one
    won for 9,000: cost per lead 1,500, per won deal 3,000, return 3.0."""
    data = dataset(
        [dict(id=1, created_at="2026-11-02 09:00", campaign_id=1, source="webinar", mql_at="2026-11-02 10:00"),
         dict(id=2, created_at="2026-11-03 09:00", campaign_id=1, source="webinar")],
        [dict(id=1, lead_id=1, created_at="2026-11-05 10:00", closed_at="2026-11-10 10:00", is_won=True, amount=9000)],
        campaign_rows=[dict(id=1, name="Webinar", channel="webinar", started_on="2026-11-01", ended_on="2026-11-30", cost=3000)],
    )
    known = as_known_at(data, t("2026-11-20 12:00"))
    stages = effective_stages(known.leads, known.deals)
    args = (t("2026-11-01 00:00"), t("2026-12-01 00:00"), pd.Timestamp("2026-11-01"), pd.Timestamp("2026-12-01"), "EUR", {})
    row = closed_loop(stages, known.deals, known.campaigns, "campaign", *args).iloc[0]
    assert (row["name"], row["leads"], row["mqls"], row["deals_won"], row["revenue_won"]) == ("Webinar", 2, 1, 1, 9000)
    assert (row["cost"], row["cost_per_lead"], row["cost_per_mql"], row["cost_per_won_deal"], row["return_on_cost"]) == \
        pytest.approx((3000, 1500, 3000, 3000, 3.0))
    assert row["conv_lead_won"] == 0.5
    # half of November: 15 of the campaign's 30 days
    half = closed_loop(stages, known.deals, known.campaigns, "source", t("2026-11-01 00:00"), t("2026-11-16 00:00"),
                       pd.Timestamp("2026-11-01"), pd.Timestamp("2026-11-16"), "EUR", {}).iloc[0]
    assert (half["source"], half["cost"]) == ("webinar", pytest.approx(1500))
